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
    /// While settling what fell due at a past moment, the clock reads that moment, so what
    /// follows from it (another vendor's reaction) is stamped when it happened, not when it was
    /// settled. Set only with the world locked, cleared before it is released.
    #[serde(skip)]
    pinned: Option<Millis>,
}

impl Clock {
    pub fn now_ms(&self) -> Millis {
        match self.pinned {
            Some(at) => at,
            None => real_now_ms().saturating_add(self.offset_ms),
        }
    }

    /// Makes the clock read `at` (`None`: the time again); returns what it was pinned to.
    pub fn pin(&mut self, at: Option<Millis>) -> Option<Millis> {
        std::mem::replace(&mut self.pinned, at)
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

/// Which end of a day a date alone stands for, as a bound of a time range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEnd {
    /// Its first millisecond (a lower bound).
    Start,
    /// Its last (an upper bound that takes the whole day in).
    End,
}

/// An ISO 8601 date-time (RFC 3339) or a date alone (`2024-05-01`, UTC, at `end` of it), in
/// epoch milliseconds. An offset's `+` sent unencoded in a query arrives as a space: it is read
/// as the `+` it was.
pub fn parse_instant(text: &str, end: DayEnd) -> Option<Millis> {
    let text = text.trim().replace(' ', "+");
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&text) {
        return Some(t.timestamp_millis());
    }
    let day = chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()?;
    let at = match end {
        DayEnd::Start => day.and_hms_milli_opt(0, 0, 0, 0),
        DayEnd::End => day.and_hms_milli_opt(23, 59, 59, 999),
    }?;
    Some(at.and_utc().timestamp_millis())
}

pub fn real_now_ms() -> Millis {
    unix_ms(SystemTime::now())
}

/// `time` in milliseconds since the Unix epoch (0 before it).
pub fn unix_ms(time: SystemTime) -> Millis {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `2024-02-15T23:48:17.732Z`: the form every vendor here uses.
pub fn iso8601(ms: Millis) -> String {
    let mut out = String::with_capacity(24);
    if !push_utc(&mut out, ms.saturating_mul(1000), 3) {
        out = chrono::DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    }
    out
}

/// Appends `micros` since the epoch as `YYYY-MM-DDTHH:MM:SS.fffZ` with `digits` (1 to 6)
/// fractional digits, as chrono writes it; false (nothing written) for a year chrono would
/// write with more than four digits or a sign. By hand: chrono's formatting machinery was a
/// visible share of every request (the journal's time, the request log line, every rendered
/// timestamp).
pub fn push_utc(out: &mut String, micros: i64, digits: u32) -> bool {
    let secs = micros.div_euclid(1_000_000);
    let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) || !(1..=6).contains(&digits) {
        return false;
    }
    let mut buf = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, width: usize, value: i64| {
        put_digits(&mut buf[at..at + width], value.unsigned_abs());
    };
    put(0, 4, year);
    put(5, 2, i64::from(month));
    put(8, 2, i64::from(day));
    put(11, 2, day_secs / 3600);
    put(14, 2, day_secs / 60 % 60);
    put(17, 2, day_secs % 60);
    put(20, 6, micros.rem_euclid(1_000_000));
    buf[20 + digits as usize] = b'Z';
    out.push_str(std::str::from_utf8(&buf[..21 + digits as usize]).unwrap_or_default());
    true
}

/// Writes `value` in decimal into all of `digits`, zero-padded (its higher digits dropped if
/// `digits` is too short): the fixed-width fields of a timestamp or a fraction.
pub fn put_digits(digits: &mut [u8], mut value: u64) {
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Year, month and day of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
    fn instants_are_date_times_or_a_day_from_either_end() {
        let day = parse_instant("2024-05-01", DayEnd::Start);
        assert_eq!(day, parse_instant("2024-05-01T00:00:00Z", DayEnd::End));
        assert_eq!(
            parse_instant("2024-05-01", DayEnd::End),
            parse_instant("2024-05-01T23:59:59.999Z", DayEnd::Start)
        );
        // An offset's `+` that arrived as a space.
        assert_eq!(
            parse_instant("2024-05-01T02:00:00 02:00", DayEnd::Start),
            day
        );
        assert_eq!(parse_instant("2024-13-01", DayEnd::Start), None);
        assert_eq!(parse_instant("yesterday", DayEnd::End), None);
    }

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
    fn by_hand_is_what_chrono_writes() {
        let chrono_ms = |ms| {
            chrono::DateTime::from_timestamp_millis(ms)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        let mut ms = -62_167_219_200_000 - 86_400_000; // a day before year 0
        while ms < 253_402_300_800_000 + 86_400_000 {
            assert_eq!(iso8601(ms), chrono_ms(ms), "{ms}");
            ms += 86_399_999 * 3 + 7;
        }
        for ms in [i64::MIN, i64::MAX, -1, 951_782_400_000, 4_107_542_399_999] {
            assert_eq!(iso8601(ms), chrono_ms(ms), "{ms}");
        }
        let mut out = String::new();
        assert!(push_utc(&mut out, 1_700_000_000_123_456, 6));
        assert_eq!(out, "2023-11-14T22:13:20.123456Z");
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
