//! Characters that are line breaks for kops's YAML reader and not for this one: YAML 1.1 (go-yaml
//! v2, libyaml) breaks lines at NEL (U+0085), LINE SEPARATOR (U+2028) and PARAGRAPH SEPARATOR
//! (U+2029), YAML 1.2 (saphyr-parser) does not. `typ<U+2028>e: x` is one key here and a new
//! top-level line for kops, so every raw one in a spec is refused at its line (`docs/YAML.md`).

use super::parse::Unsupported;

const BREAKS_1_1: [char; 3] = ['\u{85}', '\u{2028}', '\u{2029}'];

/// Every raw NEL, LS or PS in `text`, at its 1-based line and column (lines as this reader
/// counts them).
pub(super) fn refused_breaks(text: &str) -> Vec<Unsupported> {
    let mut refused = Vec::new();
    if !text.contains(BREAKS_1_1) {
        return refused;
    }
    for (index, line) in text.split('\n').enumerate() {
        for (column, c) in line.chars().enumerate() {
            if BREAKS_1_1.contains(&c) {
                refused.push(Unsupported {
                    line: index + 1,
                    column: column + 1,
                    message: format!(
                        "the character U+{:04X} is a line break for kops's YAML reader (YAML 1.1), not for this one",
                        u32::from(c)
                    ),
                    hint: "remove it, or write it escaped in a double-quoted string (`\\N`, `\\L`, `\\P`)".into(),
                });
            }
        }
    }
    refused
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_1_1_line_break_is_refused_at_its_line_and_column() {
        assert!(refused_breaks("a: \"\\L\"\nb: ü\n").is_empty());
        let found = refused_breaks("a: 1\n  typ\u{2028}e: x\n# c\u{85}d\n\u{2029}\n");
        let at: Vec<(usize, usize)> = found.iter().map(|u| (u.line, u.column)).collect();
        assert_eq!(at, [(2, 6), (3, 4), (4, 1)]);
        assert!(found[0].message.contains("U+2028"), "{}", found[0].message);
    }
}
