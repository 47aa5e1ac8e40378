//! Money as the vendors' pages and messages show it.

/// `$12.34` (`-$5.50` below zero). The sign is written once, before the dollar sign: `/` and `%`
/// of a negative number both keep the sign.
pub fn usd(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}${}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::usd;

    #[test]
    fn usd_for_any_cents() {
        assert_eq!(usd(1234), "$12.34");
        assert_eq!(usd(5), "$0.05");
        assert_eq!(usd(0), "$0.00");
        assert_eq!(usd(-550), "-$5.50");
        assert_eq!(usd(-5), "-$0.05");
        assert_eq!(usd(i64::MIN), "-$92233720368547758.08");
    }
}
