//! Anchor and alias names as kops's YAML reader ends them: go-yaml v2 (a port of libyaml) reads
//! a name as letters, digits, `-` and `_` only, where saphyr-parser (YAML 1.2) reads any
//! character up to a space or a flow indicator. `&name:x value` is the anchor `name:x` here and
//! the anchor `name` followed by `:x value` for kops, so a name with any other character is
//! refused at its line (`docs/YAML.md`).

use saphyr_parser::{Event, Parser, Span};

use super::parse::Unsupported;

/// The anchors and aliases of `text` whose names kops would read differently, in source order.
/// Cheap when the text has no `&` or `*`; a syntax error ends the scan (the parse reports it).
pub(super) fn refused_names(text: &str) -> Vec<Unsupported> {
    let mut refused = Vec::new();
    if !text.contains(['&', '*']) {
        return refused;
    }
    let mut cursor = Cursor::new(text);
    for event in Parser::new_from_str(text) {
        let Ok((event, span)) = event else { break };
        let alias = match event {
            Event::Alias(_) => true,
            Event::Scalar(_, _, anchor, _)
            | Event::SequenceStart(anchor, _)
            | Event::MappingStart(anchor, _)
                if anchor != 0 =>
            {
                false
            }
            _ => continue,
        };
        let rest = cursor.at(span);
        let Some((name, end)) = name_in(rest, if alias { '*' } else { '&' }) else {
            continue;
        };
        if is_kops_name(name) && !matches!(end, Some('[' | '{')) {
            continue;
        }
        let what = if alias { "alias" } else { "anchor" };
        refused.push(Unsupported {
            line: span.start.line(),
            column: span.start.col() + 1,
            message: format!(
                "the {what} name `{}` has characters kops's YAML reader does not take in a name",
                name.escape_debug()
            ),
            hint: "name anchors and aliases with letters, digits, `-` and `_` only (e.g. `&base` and `*base`), followed by a space".into(),
        });
    }
    refused
}

/// Letters, digits, `-` and `_`: what libyaml's `yaml_parser_scan_anchor` reads.
fn is_kops_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The name after `sigil` among a node's properties at the start of `rest` (a tag `!…` may come
/// first), as saphyr-parser ends it, and the character that ended it.
fn name_in(rest: &str, sigil: char) -> Option<(&str, Option<char>)> {
    let mut rest = rest;
    for _ in 0..2 {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix(sigil) {
            let end = after
                .find(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}'))
                .unwrap_or(after.len());
            return Some((&after[..end], after[end..].chars().next()));
        }
        if rest.starts_with('!') {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            rest = &rest[end..];
        } else {
            return None;
        }
    }
    None
}

/// Walks `text` forward to the line and column of each span; events come in source order, so
/// the walk over the whole stream is linear.
struct Cursor<'t> {
    text: &'t str,
    line: usize,
    col: usize,
    byte: usize,
}

impl<'t> Cursor<'t> {
    fn new(text: &'t str) -> Cursor<'t> {
        Cursor {
            text,
            line: 1,
            col: 0,
            byte: 0,
        }
    }

    /// The text from where `span` starts (1-based line, 0-based column in characters).
    fn at(&mut self, span: Span) -> &'t str {
        let (line, col) = (span.start.line(), span.start.col());
        while self.line < line {
            match self.text[self.byte..].find('\n') {
                Some(nl) => {
                    self.byte += nl + 1;
                    self.line += 1;
                    self.col = 0;
                }
                None => return "",
            }
        }
        while self.col < col {
            match self.text[self.byte..].chars().next() {
                Some(c) if c != '\n' => {
                    self.byte += c.len_utf8();
                    self.col += 1;
                }
                _ => break,
            }
        }
        &self.text[self.byte..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(usize, String)> {
        refused_names(text)
            .into_iter()
            .map(|u| (u.line, u.message))
            .collect()
    }

    #[test]
    fn names_kops_reads_alike_pass() {
        for text in [
            "a: &base-1_x {b: 1}\nc: *base-1_x\n",
            "a: !!str &q 5\nb: *q\n",
            "a: &k\n  d: 1\ne: *k\n",
            "a: [&x 1, *x]\n",
            "a: '&not:an anchor'\nb: \"*no:alias\"\n",
            "é: &ok é\nb: *ok\n",
        ] {
            assert_eq!(names(text), Vec::<(usize, String)>::new(), "{text}");
        }
    }

    #[test]
    fn names_kops_reads_otherwise_are_refused_at_their_line() {
        let found = names("a: 1\nz: &aname:x id:y 21 {}\nb: &an.x v\nc: *an.x\n");
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0].0, 2);
        assert!(found[0].1.contains("anchor name `aname:x`"), "{found:?}");
        assert_eq!(found[1].0, 3);
        assert_eq!(found[2].0, 4);
        assert!(found[2].1.contains("alias name `an.x`"), "{found:?}");
    }

    #[test]
    fn a_tag_after_the_anchor_and_multibyte_text_before_it() {
        let found = names("ü: ü\nx: &é !!str v\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("`é`"), "{found:?}");
    }
}
