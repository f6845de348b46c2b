//! How the emitter writes a string scalar so that it reads back as exactly that string, both
//! for kops/Kubernetes (go-yaml v2: YAML 1.1, `resolve_plain`) and for our own parser: plain,
//! single-quoted, double-quoted with escapes, or a literal block (`|`, `|-`, `|+`).
//!
//! The rules, in order:
//! 1. A character that YAML 1.1 does not allow raw (controls, tab, `\r`, DEL, C1 controls, NEL,
//!    U+2028/U+2029 which YAML 1.1 reads as line breaks, U+FEFF, U+FFFE/U+FFFF): double quotes
//!    with escapes, on one line.
//! 2. A line break (`\n`): a literal block where one is allowed (not for simple keys or a
//!    document's root), else double quotes.
//! 3. Plain would resolve to something else (`yes`, `on`, `0755`, `1e3`, `null`, `~`, ``):
//!    double quotes.
//! 4. Plain when YAML 1.1 reads it back unchanged (see [`plain_allowed`]), else single quotes.

use super::{resolve_plain, Scalar};

/// How a string is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// `|` with the chomping indicator and, when needed, an indentation indicator.
    Literal,
}

/// Whether `c` may appear raw (unescaped) in a plain, single-quoted or literal scalar: printable
/// for YAML 1.1 and for go-yaml's reader, and not a YAML 1.1 line break.
pub(super) fn is_raw_safe(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

/// The style for `s`; `block` says whether a literal block may be used at this place.
pub(super) fn style_of(s: &str, block: bool) -> Style {
    if !s.chars().all(|c| c == '\n' || is_raw_safe(c)) {
        return Style::DoubleQuoted;
    }
    if s.contains('\n') {
        return if block {
            Style::Literal
        } else {
            Style::DoubleQuoted
        };
    }
    if resolve_plain(s) != Scalar::String(s.to_owned()) || is_sexagesimal(s) {
        return Style::DoubleQuoted;
    }
    if plain_allowed(s) {
        Style::Plain
    } else {
        Style::SingleQuoted
    }
}

/// `1:30`, `-1_0:05:59.5`: base-60 numbers in YAML 1.1 (90, …). go-yaml v2 reads them as
/// strings, other YAML 1.1 readers as numbers: quoted, every reader gets the string.
fn is_sexagesimal(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (whole, fraction) = body.split_once('.').unwrap_or((body, "0"));
    let mut parts = whole.split(':');
    let first = parts.next().unwrap_or_default();
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    let mut rest = parts.peekable();
    rest.peek().is_some()
        && digits(first)
        && first.starts_with(|c: char| c.is_ascii_digit())
        && rest.all(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
        && fraction.bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

/// A one-line string of raw-safe characters that resolves to itself can be written plain in
/// block context when:
/// - it does not start with an indicator (`# , [ ] { } & * ! | > ' " % @` and backtick), nor
///   with `-`, `?` or `:` followed by a space or nothing, nor with `---` or `...`;
/// - it has no leading or trailing space, no `: ` or ` #`, and does not end with `:`;
/// - it is not `<<` (go-yaml reads a plain `<<` key as a merge).
fn plain_allowed(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let second = chars.next();
    let indicator = match first {
        '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
        | '@' | '`' => true,
        '-' | '?' | ':' => second.is_none_or(|c| c == ' '),
        _ => false,
    };
    !indicator
        && !s.starts_with("---")
        && !s.starts_with("...")
        && !s.starts_with(' ')
        && !s.ends_with(' ')
        && !s.ends_with(':')
        && !s.contains(": ")
        && !s.contains(" #")
        && s != "<<"
}

/// The header of a literal block for `s` (which contains a line break): `|`, then `2` when the
/// content starts with a space or a line break (the indentation cannot be detected then), then
/// the chomping: `-` without a final line break, none for exactly one, `+` to keep more (or when
/// the content is only line breaks).
pub(super) fn literal_header(s: &str) -> String {
    let mut header = String::from("|");
    if s.starts_with([' ', '\n']) {
        header.push('2');
    }
    if !s.ends_with('\n') {
        header.push('-');
    } else if s.len() == 1 || s[..s.len() - 1].ends_with('\n') {
        header.push('+');
    }
    header
}

/// `s` in double quotes, on one line, with YAML escapes for `"`, `\` and every character that is
/// not raw-safe. The escapes are the ones YAML 1.1 and 1.2 share.
pub(super) fn write_double_quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            c if is_raw_safe(c) => out.push(c),
            c if u32::from(c) <= 0xFF => out.push_str(&format!("\\x{:02X}", u32::from(c))),
            c if u32::from(c) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08X}", u32::from(c))),
        }
    }
    out.push('"');
}

/// `s` in single quotes (`'` doubled); only for one-line, raw-safe strings.
pub(super) fn write_single_quoted(s: &str, out: &mut String) {
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_follow_the_rules() {
        let cases = [
            ("plain", Style::Plain),
            ("::/0", Style::Plain),
            ("-Xmx1g", Style::Plain),
            ("1.29.2", Style::Plain),
            ("a,b[c]", Style::Plain),
            ("ünïcødé ✓", Style::Plain),
            ("yes", Style::DoubleQuoted),
            ("0755", Style::DoubleQuoted),
            ("", Style::DoubleQuoted),
            ("~", Style::DoubleQuoted),
            ("1e3", Style::DoubleQuoted),
            ("1:30", Style::DoubleQuoted),
            ("-1_0:05:59.5", Style::DoubleQuoted),
            ("18446744073709551615", Style::DoubleQuoted),
            ("12:345", Style::Plain),
            ("a:30", Style::Plain),
            ("a: b", Style::SingleQuoted),
            ("a:", Style::SingleQuoted),
            ("x #y", Style::SingleQuoted),
            ("- x", Style::SingleQuoted),
            ("-", Style::SingleQuoted),
            ("*x", Style::SingleQuoted),
            (" padded", Style::SingleQuoted),
            ("---x", Style::SingleQuoted),
            ("<<", Style::SingleQuoted),
            ("tab\there", Style::DoubleQuoted),
            ("cr\r", Style::DoubleQuoted),
            ("line\u{2028}separator", Style::DoubleQuoted),
            ("bom\u{feff}", Style::DoubleQuoted),
            ("nel\u{85}", Style::DoubleQuoted),
            ("two\nlines", Style::Literal),
        ];
        for (text, style) in cases {
            assert_eq!(style_of(text, true), style, "{text:?}");
        }
        assert_eq!(style_of("two\nlines", false), Style::DoubleQuoted);
    }

    #[test]
    fn literal_headers_choose_chomping_and_indentation() {
        assert_eq!(literal_header("a\nb"), "|-");
        assert_eq!(literal_header("a\nb\n"), "|");
        assert_eq!(literal_header("a\nb\n\n"), "|+");
        assert_eq!(literal_header("\n"), "|2+");
        assert_eq!(literal_header(" a\nb\n"), "|2");
        assert_eq!(literal_header("\na"), "|2-");
    }

    #[test]
    fn double_quotes_escape_what_is_not_raw_safe() {
        let mut out = String::new();
        write_double_quoted("a\"b\\c\td\u{1}\u{7f}\u{85}\u{2028}\u{feff}é", &mut out);
        assert_eq!(out, r#""a\"b\\c\td\x01\x7F\x85\u2028\uFEFFé""#);
    }
}
