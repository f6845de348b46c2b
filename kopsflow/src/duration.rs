//! Durations as users write them (30m, 90s, 1h30m, 500ms) and as kopsflow prints them.
//!
//! One syntax in and two forms out: [`parse_duration`] reads Go-style durations (what kops and
//! `--timeout` take), [`format_go`] writes one back for a kops flag (`--wait 10m`), and
//! [`format_elapsed`] is the human form of log lines and errors (`1m05s`, `42.1s`).

use std::time::Duration;

use anyhow::{bail, Context as _};

const EXAMPLES: &str = "use e.g. 30m, 90s or 1h";

/// Parses `30m`, `90s`, `1h`, `1h30m`, `500ms` (Go-style durations, as kops uses).
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        bail!("empty duration: {EXAMPLES}");
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let number: u64 = rest[..digits]
            .parse()
            .with_context(|| format!("{text:?} is not a duration: {EXAMPLES}"))?;
        rest = &rest[digits..];
        let unit = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let part = match &rest[..unit] {
            "h" => number.checked_mul(3600).map(Duration::from_secs),
            "m" => number.checked_mul(60).map(Duration::from_secs),
            "s" => Some(Duration::from_secs(number)),
            "ms" => Some(Duration::from_millis(number)),
            other => {
                bail!("{text:?} is not a duration: unknown unit {other:?} (use h, m, s or ms)")
            }
        };
        total = part
            .and_then(|part| total.checked_add(part))
            .with_context(|| format!("{text:?} is too long a duration"))?;
        rest = &rest[unit..];
    }
    Ok(total)
}

/// Hours, minutes and seconds of `d` (sub-second parts dropped).
fn hms(d: Duration) -> (u64, u64, u64) {
    let secs = d.as_secs();
    (secs / 3600, secs % 3600 / 60, secs % 60)
}

/// kops/Go duration syntax for a kops flag: `10m`, `1h30m`, `45s`, `0s` (whole seconds).
/// [`parse_duration`] reads it back.
pub fn format_go(d: Duration) -> String {
    let (h, m, s) = hms(d);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// Elapsed time for people: `1m05s` from a minute on (minutes not folded into hours), else
/// `42.1s`.
pub fn format_elapsed(d: Duration) -> String {
    match hms(d) {
        (0, 0, _) => format!("{:.1}s", d.as_secs_f64()),
        (h, m, s) => format!("{}m{s:02}s", h * 60 + m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_style_durations() -> anyhow::Result<()> {
        assert_eq!(parse_duration("30m")?, Duration::from_secs(1800));
        assert_eq!(parse_duration("1h30m")?, Duration::from_secs(5400));
        assert_eq!(parse_duration("90s")?, Duration::from_secs(90));
        assert_eq!(parse_duration("500ms")?, Duration::from_millis(500));
        assert_eq!(parse_duration(" 1m1s ")?, Duration::from_secs(61));
        Ok(())
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        let message = |text: &str| format!("{:#}", parse_duration(text).unwrap_err());
        assert!(message("10").contains("unknown unit \"\""));
        assert!(message("5q").contains("unknown unit \"q\""));
        assert!(message("x").contains("\"x\" is not a duration"));
        assert!(message("").contains("empty duration"));
        assert!(message("99999999999999999999h").contains("not a duration"));
        assert!(message("9999999999999999h").contains("too long"));
    }

    #[test]
    fn formats_for_kops_and_reads_it_back() -> anyhow::Result<()> {
        for (secs, text) in [(5400, "1h30m"), (600, "10m"), (45, "45s"), (0, "0s")] {
            let d = Duration::from_secs(secs);
            assert_eq!(format_go(d), text);
            assert_eq!(parse_duration(text)?, d);
        }
        assert_eq!(format_go(Duration::from_millis(61_500)), "1m1s");
        Ok(())
    }

    #[test]
    fn formats_elapsed_time() {
        assert_eq!(format_elapsed(Duration::from_secs(65)), "1m05s");
        assert_eq!(format_elapsed(Duration::from_secs(5400)), "90m00s");
        assert_eq!(format_elapsed(Duration::from_millis(42_140)), "42.1s");
        assert_eq!(format_elapsed(Duration::from_millis(700)), "0.7s");
    }
}
