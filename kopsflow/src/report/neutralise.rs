//! Neutralising text before it reaches a terminal or a CI log: kopsflow prints text it does not
//! control (spec keys and values, branch names, kops's output), and a terminal or a CI engine
//! must not act on any of it. The output sink applies [`neutralise`] to everything it prints
//! and appends, after redaction; it is the one place this happens.
//!
//! * **Control characters** are shown escaped, as JSON writes them (`\r`, `\u001b`, …): C0 but
//!   tab and newline, DEL, C1. So are invisible format characters that reorder or hide text:
//!   bidi embeddings, overrides and isolates, zero-width characters, line and paragraph
//!   separators, soft hyphens, tags, and variation selectors after an ASCII character (an
//!   emoji keeps its own). The escapes are valid in a JSON string, so JSON output stays JSON
//!   and its readers get the original text back. The only escape sequences let through are the
//!   colours of kopsflow's own text renderer (SGR `0`, `1`, `31`, `32`, `33`, `36`).
//! * **Workflow commands**: GitHub Actions reads `::name …::` at the start of a line after white
//!   space, and `##[name …]` anywhere in a line; Azure Pipelines reads `##vso[…]` anywhere.
//!   GitLab has no commands, and its section markers (`section_start:…\r\e[0K`) need CR and ESC,
//!   escaped above; Jenkins's console notes need ESC too. A line starting with `::` gets a `\`
//!   before it, and the second `#` of `##[` and `##vso[` becomes `\u0023`, so no line of
//!   kopsflow's output starts a command. kopsflow issues none of its own on its streams: the
//!   `::notice` lines of the generated GitHub workflows are in files, which this does not touch.

/// The SGR sequences kopsflow's text renderer writes (reset, bold, red, green, yellow, cyan).
const OWN_SGR: &[&str] = &[
    "\u{1b}[0m",
    "\u{1b}[1m",
    "\u{1b}[31m",
    "\u{1b}[32m",
    "\u{1b}[33m",
    "\u{1b}[36m",
];

/// Invisible characters that reorder, hide or join text (Unicode's format characters and other
/// default-ignorable ones), as inclusive ranges. Variation selectors are handled apart.
const INVISIBLE: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
];

fn is_variation_selector(c: char) -> bool {
    matches!(u32::from(c), 0xFE00..=0xFE0F)
}

/// Whether `c` is shown escaped (`prev`: the character before it).
fn escaped(c: char, prev: Option<char>) -> bool {
    let code = u32::from(c);
    (c.is_control() && c != '\t' && c != '\n')
        || INVISIBLE.iter().any(|(lo, hi)| (*lo..=*hi).contains(&code))
        || (is_variation_selector(c) && prev.is_none_or(|p| p.is_ascii()))
}

/// `c` as a JSON string escape: `\r`, or `\uXXXX` (a surrogate pair above U+FFFF).
fn push_escape(out: &mut String, c: char) {
    if c == '\r' {
        out.push_str("\\r");
        return;
    }
    let mut units = [0u16; 2];
    for unit in c.encode_utf16(&mut units) {
        out.push_str(&format!("\\u{unit:04x}"));
    }
}

/// `text` made safe to print, line by line (see the module's documentation). Line ends stay.
pub fn neutralise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&neutralise_line(line));
    }
    out
}

/// One line (no `\n`) made safe to print.
pub fn neutralise_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut prev = None;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}' {
            if let Some(sgr) = OWN_SGR.iter().find(|s| rest.starts_with(**s)) {
                out.push_str(sgr);
                rest = &rest[sgr.len()..];
                prev = Some('m');
                continue;
            }
        }
        if escaped(c, prev) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
        prev = Some(c);
        rest = &rest[c.len_utf8()..];
    }
    break_workflow_commands(&out)
}

/// `##[` and `##vso[` anywhere, and `::` at the start after white space, made inert.
fn break_workflow_commands(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let trimmed = line.trim_start();
    let mut copied = 0;
    if trimmed.starts_with("::") {
        let at = line.len() - trimmed.len();
        out.push_str(&line[..at]);
        out.push('\\');
        copied = at;
    }
    let mut from = copied;
    while let Some(p) = line[from..].find("##") {
        let at = from + p;
        let after = &line[at + 2..];
        let command = after.starts_with('[')
            || after
                .get(..4)
                .is_some_and(|s| s.eq_ignore_ascii_case("vso["));
        if command {
            out.push_str(&line[copied..=at]);
            out.push_str("\\u0023");
            copied = at + 2;
        }
        from = at + 1;
    }
    out.push_str(&line[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_invisible_characters_are_shown_escaped() {
        assert_eq!(
            neutralise("a\u{1b}]0;t\u{7}b\rc\u{7f}\u{85}\td"),
            "a\\u001b]0;t\\u0007b\\rc\\u007f\\u0085\td"
        );
        assert_eq!(
            neutralise("x\u{202e}gpj.exe\u{2066}\u{200b}\u{2028}\u{e0041}"),
            "x\\u202egpj.exe\\u2066\\u200b\\u2028\\udb40\\udc41"
        );
        // kopsflow's own colours pass; other sequences do not.
        assert_eq!(
            neutralise("\u{1b}[31mred\u{1b}[0m \u{1b}[2J \u{1b}[8mha:"),
            "\u{1b}[31mred\u{1b}[0m \\u001b[2J \\u001b[8mha:"
        );
        // An emoji keeps its variation selector; one after ASCII is shown.
        assert_eq!(neutralise("⚠️ #\u{fe0f}#"), "⚠️ #\\ufe0f#");
        assert_eq!(neutralise("a\nb\n"), "a\nb\n");
    }

    #[test]
    fn no_line_starts_a_workflow_command() {
        assert_eq!(
            neutralise("ok\n::error file=a,line=1::x\n \u{a0}\u{3000}::warning::y"),
            "ok\n\\::error file=a,line=1::x\n \u{a0}\u{3000}\\::warning::y"
        );
        assert_eq!(
            neutralise("a ##[error]x ##VSO[task.complete]y ###[z] ## [ok] #vso[ok]"),
            "a #\\u0023[error]x #\\u0023VSO[task.complete]y ##\\u0023[z] ## [ok] #vso[ok]"
        );
        assert_eq!(neutralise("key: a::b"), "key: a::b");
        assert_eq!(
            neutralise("\u{1b}::x section_start:1:s\r\u{1b}[0K"),
            "\\u001b::x section_start:1:s\\r\\u001b[0K"
        );
    }

    #[test]
    fn json_stays_json_and_reads_back_the_same() {
        let text = "\u{1b}[2J ##vso[x] \u{202e} \u{e0041}";
        let json = crate::json::Json::from(text).compact();
        let shown = neutralise(&json);
        assert!(
            !shown.contains("##vso[") && !shown.contains('\u{202e}'),
            "{shown}"
        );
        let back: serde_json::Value = serde_json::from_str(&shown).unwrap_or_default();
        assert_eq!(back, serde_json::Value::from(text));
    }

    /// 1 MB of what is escaped or broken, on one line: one pass.
    #[test]
    fn a_megabyte_line_is_read_once() {
        let line = "##[\u{1b}\u{202e}::".repeat(100_000);
        let shown = neutralise(&line);
        assert_eq!(shown.matches("\\u0023").count(), 100_000);
        assert_eq!(shown.matches("\\u001b").count(), 100_000);
    }
}
