//! Where kops's YAML reader tokenizes a spec differently from this one. go-yaml v2 (a port of
//! libyaml, YAML 1.1) reads an anchor or alias name as letters, digits, `-` and `_` only, where
//! saphyr-parser (YAML 1.2) reads any character up to a space or a flow indicator: `&name:x v` is
//! the anchor `name:x` here and the anchor `name` followed by `:x v` for kops. And inside
//! `[…]`/`{…}` libyaml takes a leading `?` or `:` as a key or value indicator even before a
//! non-space, where YAML 1.2 starts a plain value (`[?x]`). Both are refused at their line
//! (`docs/YAML.md`).

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::parse::Unsupported;

/// The anchors, aliases and plain values of `text` that kops would read differently, in source
/// order. One more pass over the events, only when the text has a character that can start one
/// (`&`, `*`, `?`, or `:` after `[`, `{`, `,` or `:`); a syntax error ends the scan (the parse
/// reports it).
pub(super) fn refused(text: &str) -> Vec<Unsupported> {
    let mut refused = Vec::new();
    if !may_diverge(text) {
        return refused;
    }
    let mut cursor = Cursor::new(text);
    // One entry per open collection: whether it is a flow collection (`[…]`, `{…}`).
    let mut flow: Vec<bool> = Vec::new();
    for event in Parser::new_from_str(text) {
        let Ok((event, span)) = event else { break };
        let (alias, anchored) = match &event {
            Event::Alias(_) => (true, true),
            Event::Scalar(_, _, anchor, _)
            | Event::SequenceStart(anchor, _)
            | Event::MappingStart(anchor, _) => (false, *anchor != 0),
            Event::SequenceEnd | Event::MappingEnd => {
                flow.pop();
                continue;
            }
            _ => continue,
        };
        let at = (span.start.line(), span.start.col() + 1);
        let rest = cursor.at(span);
        if let Event::SequenceStart(..) | Event::MappingStart(..) = event {
            let inner = flow.last().copied().unwrap_or(false);
            flow.push(inner || after_properties(rest).starts_with(['[', '{']));
        }
        if let Event::Scalar(text, ScalarStyle::Plain, ..) = &event {
            if flow.last().copied().unwrap_or(false) && text.starts_with(['?', ':']) {
                refused.push(Unsupported {
                    line: at.0,
                    column: at.1,
                    message: format!(
                        "the plain value `{}` inside `[…]` or `{{…}}` starts with an indicator",
                        text.escape_debug()
                    ),
                    hint: "quote it (`'?…'`, `':…'`): kops's YAML 1.1 reader takes a leading `?` or `:` there as a key or value indicator".into(),
                });
            }
        }
        if !anchored {
            continue;
        }
        let Some((name, end)) = name_in(rest, if alias { '*' } else { '&' }) else {
            continue;
        };
        if is_kops_name(name) && !matches!(end, Some('[' | '{')) {
            continue;
        }
        let what = if alias { "alias" } else { "anchor" };
        refused.push(Unsupported {
            line: at.0,
            column: at.1,
            message: format!(
                "the {what} name `{}` has characters kops's YAML reader does not take in a name",
                name.escape_debug()
            ),
            hint: "name anchors and aliases with letters, digits, `-` and `_` only (e.g. `&base` and `*base`), followed by a space".into(),
        });
    }
    refused
}

/// Whether `text` has a character that can start a difference [`refused`] looks for.
fn may_diverge(text: &str) -> bool {
    let mut last = b'\n';
    for &b in text.as_bytes() {
        match b {
            b'&' | b'*' | b'?' => return true,
            b':' if matches!(last, b'[' | b'{' | b',' | b':') => return true,
            b' ' | b'\t' => continue,
            _ => {}
        }
        last = b;
    }
    false
}

/// `rest` after a node's properties (a tag `!…` and an anchor `&…`, in either order).
fn after_properties(rest: &str) -> &str {
    let mut rest = rest.trim_start();
    while rest.starts_with(['!', '&']) {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    rest
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
        refused(text)
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
    fn a_leading_question_mark_or_colon_is_refused_in_flow_collections_only() {
        let found =
            names("a: [1, ?x]\nb: {k: :v}\nc: ::/0\nd:\n- ?y\ne: [::/0]\nf: ['?x', \":v\"]\n");
        let lines: Vec<usize> = found.iter().map(|f| f.0).collect();
        assert_eq!(lines, [1, 2, 6], "{found:?}");
        assert!(found[0].1.contains("`?x`"), "{found:?}");
    }

    #[test]
    fn a_tag_after_the_anchor_and_multibyte_text_before_it() {
        let found = names("ü: ü\nx: &é !!str v\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("`é`"), "{found:?}");
    }
}
