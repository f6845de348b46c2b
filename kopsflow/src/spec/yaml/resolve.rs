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
    if !text.starts_with(|c: char| c.is_ascii_digit() || "+-.".contains(c)) {
        return Scalar::String(text.to_owned());
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(int) = parse_go_int(&plain) {
        return Scalar::Int(int);
    }
    if is_yaml_float(&plain) {
        if let Ok(float) = plain.parse::<f64>() {
            return Scalar::Float(float);
        }
    }
    Scalar::String(text.to_owned())
}

/// `strconv.ParseInt(s, 0, 64)`: optional sign, then 0x / 0o / 0b / leading-0 octal / decimal.
fn parse_go_int(text: &str) -> Option<i64> {
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
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).ok()
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
            ("v1.29.0", Scalar::String("v1.29.0".into())),
        ];
        for (text, expected) in cases {
            assert_eq!(resolve_plain(text), expected, "{text}");
        }
    }
}
