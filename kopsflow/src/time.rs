//! UTC timestamps from seconds since the Unix epoch, without a date library: the lock messages'
//! `2026-05-01 10:00:00 UTC` and the audit log's RFC 3339 `2026-05-01T10:00:00Z`. Pure: the
//! caller reads the clock.

/// `2026-05-01 10:00:00 UTC` for seconds since the Unix epoch.
pub fn format_utc(unix: u64) -> String {
    let (date, h, m, s) = split(unix);
    format!("{date} {h:02}:{m:02}:{s:02} UTC")
}

/// RFC 3339 in UTC, to the second: `2026-05-01T10:00:00Z`.
pub fn rfc3339_utc(unix: u64) -> String {
    let (date, h, m, s) = split(unix);
    format!("{date}T{h:02}:{m:02}:{s:02}Z")
}

/// `YYYY-MM-DD` and the hour, minute and second.
fn split(unix: u64) -> (String, u64, u64, u64) {
    let secs = unix % 86_400;
    let (y, m, d) = civil_from_days(unix / 86_400);
    (
        format!("{y:04}-{m:02}-{d:02}"),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
    )
}

/// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian; Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_utc(1_709_251_199), "2024-02-29 23:59:59 UTC");
        assert_eq!(format_utc(4_102_444_800), "2100-01-01 00:00:00 UTC");
    }

    #[test]
    fn rfc3339() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_777_629_600), "2026-05-01T10:00:00Z");
        // Leap days, the last second of a leap year, a century that is not a leap year.
        assert_eq!(rfc3339_utc(951_868_799), "2000-02-29T23:59:59Z");
        assert_eq!(rfc3339_utc(1_735_689_599), "2024-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(4_107_542_400), "2100-03-01T00:00:00Z");
    }
}
