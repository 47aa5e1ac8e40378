//! Integers as clients write them in JSON bodies.

use serde_json::Value;

/// `value` as an integer when it is a whole number: `1000`, and also `1000.0` or `1e4`, which
/// JSON Schema (OpenAPI 3.1) counts as integers and a Node or Rails server cannot tell from
/// `1000` (Python clients write them: `amount * 100`). `None` for a fraction, a number beyond
/// `i64`, or anything that is not a number.
pub fn whole_number(value: &Value) -> Option<i64> {
    let Value::Number(n) = value else {
        return None;
    };
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    // 2^63 as f64: `i64::MAX as f64` rounds up to it, so the bound is exclusive.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) => Some(f as i64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::whole_number;

    #[test]
    fn whole_floats_are_integers_fractions_and_giants_are_not() {
        for (value, whole) in [
            (json!(1000), Some(1000)),
            (json!(-3), Some(-3)),
            (json!(1000.0), Some(1000)),
            (json!(1e4), Some(10_000)),
            (json!(-0.0), Some(0)),
            (json!(i64::MAX), Some(i64::MAX)),
            (json!(1000.5), None),
            (json!(1e308), None),
            (json!(9.3e18), None),
            (json!(u64::MAX), None),
            (json!("1000"), None),
            (json!(null), None),
        ] {
            assert_eq!(whole_number(&value), whole, "{value}");
        }
    }
}
