//! Sandbox time: real time plus a per-namespace offset that the admin API moves forward.
//!
//! Everything that stamps or expires (inquiries, share tokens, idempotency keys) reads a
//! [`Clock`], never `SystemTime` directly, so advancing a namespace's clock is enough to make
//! time-based behaviour happen in a test without sleeping.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, in sandbox time.
pub type Millis = i64;

/// How far ahead of real time a namespace's clock may run: a thousand years.
pub const MAX_OFFSET_MS: i64 = 1_000 * 366 * 86_400 * 1_000;

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Clock {
    offset_ms: i64,
}

impl Clock {
    pub fn now_ms(&self) -> Millis {
        real_now_ms().saturating_add(self.offset_ms)
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms
    }

    /// Moves this clock forward. Time never goes backwards, so negative amounts are ignored.
    /// The offset stops at [`MAX_OFFSET_MS`], so sandbox time plus any duration the sandbox
    /// uses (all far shorter than the remaining range of `i64`) cannot overflow.
    pub fn advance(&mut self, ms: i64) {
        self.offset_ms = self.offset_ms.saturating_add(ms.max(0)).min(MAX_OFFSET_MS);
    }

    pub fn now_iso(&self) -> String {
        iso8601(self.now_ms())
    }
}

pub fn real_now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `2024-02-15T23:48:17.732Z`: the form every vendor here uses.
pub fn iso8601(ms: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// [`iso8601`] written into `buf` without allocating (what rendering uses for every timestamp);
/// `None` for a year outside 0000-9999, which needs the longer signed form.
pub fn iso8601_into(ms: Millis, buf: &mut [u8; 24]) -> Option<&str> {
    use chrono::{Datelike, Timelike};
    let t = chrono::DateTime::from_timestamp_millis(ms)?.naive_utc();
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let mut put = |at: usize, width: usize, mut n: u32| {
        for i in (at..at + width).rev() {
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, t.month());
    put(8, 2, t.day());
    put(11, 2, t.hour());
    put(14, 2, t.minute());
    put(17, 2, t.second());
    put(20, 3, t.nanosecond() / 1_000_000 % 1000);
    for (at, c) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (23, b'Z'),
    ] {
        buf[at] = c;
    }
    std::str::from_utf8(buf).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_and_z() {
        assert_eq!(iso8601(1_708_040_897_732), "2024-02-15T23:48:17.732Z");
        for ms in [
            0,
            1_708_040_897_732,
            1_708_040_897_000,
            951_782_400_001,
            253_402_300_799_999,
        ] {
            let mut buf = [0u8; 24];
            assert_eq!(iso8601_into(ms, &mut buf), Some(iso8601(ms).as_str()));
        }
        let mut buf = [0u8; 24];
        assert_eq!(
            iso8601_into(253_402_300_800_000, &mut buf),
            None,
            "year 10000"
        );
        assert_eq!(iso8601_into(-1, &mut buf), Some("1969-12-31T23:59:59.999Z"));
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn the_offset_is_bounded() {
        let mut clock = Clock::default();
        for _ in 0..20 {
            clock.advance(i64::MAX);
        }
        assert_eq!(clock.offset_ms(), MAX_OFFSET_MS);
        assert!(
            clock
                .now_ms()
                .checked_add(100 * 366 * 86_400 * 1_000)
                .is_some()
        );
    }

    #[test]
    fn advance_moves_forward_only() {
        let mut clock = Clock::default();
        clock.advance(5_000);
        clock.advance(-10_000);
        assert_eq!(clock.offset_ms(), 5_000);
    }
}
