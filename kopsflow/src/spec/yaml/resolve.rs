//! Plain-scalar resolution: what an unquoted scalar means to Kubernetes (go-yaml v2, YAML 1.1):
//! null, bool, int, float or string. The parser resolves with it and the emitter quotes every
//! string that would resolve to something else.

use super::Scalar;

/// Resolve a plain (unquoted) scalar like go-yaml v2 does for Kubernetes objects.
pub fn resolve_plain(text: &str) -> Scalar {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Scalar::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Scalar::Bool(false)
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Scalar::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Scalar::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Scalar::Float(f64::NAN),
        _ => {}
    }
    // go-yaml only tries numbers when the scalar starts with a digit or a sign/dot.
    if text.starts_with('.') {
        // `strconv.ParseFloat` on the text as written: no `_`, and out of range is no number.
        return match is_yaml_float(text) && !text.contains('_') {
            true => finite_float(text),
            false => None,
        }
        .unwrap_or_else(|| Scalar::String(text.to_owned()));
    }
    if !text.starts_with(|c: char| c.is_ascii_digit() || "+-".contains(c)) {
        return Scalar::String(text.to_owned());
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(int) = parse_go_int(&plain) {
        return match i64::try_from(int) {
            Ok(int) => Scalar::Int(int),
            // go-yaml reads it as a uint64; the parser refuses it (`out_of_range_int`), and the
            // emitter quotes a string that reads so.
            Err(_) => Scalar::Float(int as f64),
        };
    }
    if is_yaml_float(&plain) {
        if let Some(float) = finite_float(&plain) {
            return float;
        }
    }
    Scalar::String(text.to_owned())
}

/// A float that `strconv.ParseFloat` reads without a range error (Rust reads `1e999` as
/// infinity, Go refuses it and go-yaml keeps the text as a string).
fn finite_float(text: &str) -> Option<Scalar> {
    let float = text.parse::<f64>().ok()?;
    float.is_finite().then_some(Scalar::Float(float))
}

/// A plain scalar that go-yaml v2 reads as an integer outside `i64` (a `uint64` up to
/// 18446744073709551615), which a [`Scalar`] cannot hold.
pub(super) fn out_of_range_int(text: &str) -> bool {
    if !text.starts_with(|c: char| c.is_ascii_digit() || "+-".contains(c)) {
        return false;
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    parse_go_int(&plain).is_some_and(|int| i64::try_from(int).is_err())
}

/// `strconv.ParseInt(s, 0, 64)`, then `strconv.ParseUint(s, 0, 64)` as go-yaml tries them:
/// optional sign, then 0x / 0o / 0b / leading-0 octal / decimal.
fn parse_go_int(text: &str) -> Option<i128> {
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let (digits, radix) = if let Some(rest) = lower.strip_prefix("0x") {
        (rest, 16)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (rest, 8)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (rest, 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    match negative {
        // ParseUint takes no sign: a negative number must fit ParseInt.
        true => i64::try_from(-i128::from(magnitude)).ok().map(i128::from),
        false if body.len() < text.len() => i64::try_from(magnitude).ok().map(i128::from),
        false => Some(i128::from(magnitude)),
    }
}

/// go-yaml's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", fraction)) => all_digits(fraction),
        Some((whole, fraction)) => {
            all_digits(whole) && fraction.bytes().all(|b| b.is_ascii_digit())
        }
        None => all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| all_digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_resolve_like_kubernetes() {
        let cases = [
            ("yes", Scalar::Bool(true)),
            ("Off", Scalar::Bool(false)),
            ("~", Scalar::Null),
            ("42", Scalar::Int(42)),
            ("-0x1F", Scalar::Int(-31)),
            ("0755", Scalar::Int(0o755)),
            ("1_000", Scalar::Int(1000)),
            ("1.5", Scalar::Float(1.5)),
            ("1.29.2", Scalar::String("1.29.2".into())),
            ("200m", Scalar::String("200m".into())),
            ("0.0.0.0/0", Scalar::String("0.0.0.0/0".into())),
            ("::/0", Scalar::String("::/0".into())),
            (".1_0", Scalar::String(".1_0".into())),
            ("1e999", Scalar::String("1e999".into())),
            ("1_0.5", Scalar::Float(10.5)),
            ("1:30", Scalar::String("1:30".into())),
            ("2001-12-14", Scalar::String("2001-12-14".into())),
            ("9223372036854775807", Scalar::Int(i64::MAX)),
            ("-0x8000000000000000", Scalar::Int(i64::MIN)),
            ("v1.29.0", Scalar::String("v1.29.0".into())),
        ];
        for (text, expected) in cases {
            assert_eq!(resolve_plain(text), expected, "{text}");
        }
        for big in [
            "9223372036854775808",
            "18446744073709551615",
            "0xFFFFFFFFFFFFFFFF",
        ] {
            assert!(out_of_range_int(big), "{big}");
        }
        for not_big in [
            "+9223372036854775808",
            "-9223372036854775809",
            "18446744073709551616",
            "1",
        ] {
            assert!(!out_of_range_int(not_big), "{not_big}");
        }
    }
}
