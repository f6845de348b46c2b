//! Emitting YAML: block YAML for one document (`to_yaml`, what kops gets), written straight from
//! the tree with the string styles of `style.rs`; and compact flow text for messages and diffs
//! (`to_flow`, `to_flow_cut`).
//!
//! Block layout (as libyaml writes it): mapping keys in source order, 2-space indentation,
//! sequences inside mappings not indented (`key:\n- item`), mappings and sequences inside
//! sequence items start on the item's line (`- a: 1`, `- - x`), `{}` / `[]` for empty
//! collections, `null`, `true`/`false`, integers in decimal, floats in Rust's shortest
//! round-trip form (`.inf`, `-.inf`, `.nan`). Keys that are collections, multi-line or longer
//! than 128 bytes use the explicit form `? key` / `: value`.

use super::style::{literal_header, style_of, write_double_quoted, write_single_quoted, Style};
use super::{resolve_plain, Node, Scalar, Value};

/// Longest key (in bytes) written as a simple `key: value`; YAML readers reject simple keys
/// longer than 1024 characters, libyaml switches to `? key` from 128 bytes on.
const MAX_SIMPLE_KEY: usize = 128;

impl Node {
    /// The text of a scalar as it reads in YAML (strings unquoted), or compact flow YAML for
    /// collections.
    pub fn to_flow(&self) -> String {
        let mut out = String::new();
        write_flow(self, &mut out, usize::MAX);
        out
    }

    /// [`Node::to_flow`] cut after about `max` bytes (then ending in `…`), for messages.
    pub fn to_flow_cut(&self, max: usize) -> String {
        let mut out = String::new();
        write_flow(self, &mut out, max);
        if out.len() > max {
            let mut end = max;
            while !out.is_char_boundary(end) {
                end -= 1;
            }
            out.truncate(end);
            out.push('…');
        }
        out
    }

    /// Block YAML for one document, ending with a newline.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        match &self.value {
            Value::Mapping(entries) if !entries.is_empty() => {
                write_mapping(entries, 0, false, &mut out)
            }
            Value::Sequence(items) if !items.is_empty() => {
                write_sequence(items, 0, false, &mut out)
            }
            // A root scalar is never a literal block (its indentation rules differ by reader).
            _ => write_scalar_line(self, 2, false, &mut out),
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Block YAML

fn indent_to(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A mapping whose keys are at column `indent`; `inline`: the first key goes on the current line
/// (after `- `, `? ` or `: `).
fn write_mapping(entries: &[(Node, Node)], indent: usize, inline: bool, out: &mut String) {
    for (index, (key, value)) in entries.iter().enumerate() {
        if index > 0 || !inline {
            indent_to(out, indent);
        }
        match simple_key(key) {
            Some(text) => {
                out.push_str(&text);
                out.push(':');
                write_value(value, indent, out);
            }
            None => {
                out.push('?');
                write_compact(key, indent + 2, out);
                indent_to(out, indent);
                out.push(':');
                write_compact(value, indent + 2, out);
            }
        }
    }
}

/// A sequence whose `-` are at column `indent`; `inline` as for [`write_mapping`].
fn write_sequence(items: &[Node], indent: usize, inline: bool, out: &mut String) {
    for (index, item) in items.iter().enumerate() {
        if index > 0 || !inline {
            indent_to(out, indent);
        }
        out.push('-');
        write_compact(item, indent + 2, out);
    }
}

/// The value after `key:` of a mapping at column `indent`.
fn write_value(node: &Node, indent: usize, out: &mut String) {
    match &node.value {
        Value::Mapping(entries) if !entries.is_empty() => {
            out.push('\n');
            write_mapping(entries, indent + 2, false, out);
        }
        Value::Sequence(items) if !items.is_empty() => {
            out.push('\n');
            write_sequence(items, indent, false, out);
        }
        _ => {
            out.push(' ');
            write_scalar_line(node, indent + 2, true, out);
        }
    }
}

/// A node after `-`, `?` or `:` at column `indent - 2`: its content starts on the same line.
fn write_compact(node: &Node, indent: usize, out: &mut String) {
    out.push(' ');
    match &node.value {
        Value::Mapping(entries) if !entries.is_empty() => write_mapping(entries, indent, true, out),
        Value::Sequence(items) if !items.is_empty() => write_sequence(items, indent, true, out),
        _ => write_scalar_line(node, indent, true, out),
    }
}

/// The text of a key written as `key: value`, or `None` when it needs the explicit `? key` form.
fn simple_key(key: &Node) -> Option<String> {
    let mut out = String::new();
    match &key.value {
        Value::Scalar(Scalar::String(s)) => {
            if s.contains('\n') || s.len() > MAX_SIMPLE_KEY {
                return None;
            }
            write_string(s, style_of(s, false), 0, &mut out);
        }
        Value::Scalar(scalar) => write_plain_scalar(scalar, &mut out),
        Value::Sequence(_) | Value::Mapping(_) => return None,
    }
    Some(out)
}

/// A scalar or an empty collection, ending the line; a literal block's content lines go to
/// column `content_indent`. `block`: whether a literal block may be used here.
fn write_scalar_line(node: &Node, content_indent: usize, block: bool, out: &mut String) {
    match &node.value {
        Value::Scalar(Scalar::String(s)) => {
            write_string(s, style_of(s, block), content_indent, out);
        }
        Value::Scalar(scalar) => write_plain_scalar(scalar, out),
        Value::Mapping(_) => out.push_str("{}"),
        Value::Sequence(_) => out.push_str("[]"),
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
}

fn write_string(s: &str, style: Style, content_indent: usize, out: &mut String) {
    match style {
        Style::Plain => out.push_str(s),
        Style::SingleQuoted => write_single_quoted(s, out),
        Style::DoubleQuoted => write_double_quoted(s, out),
        Style::Literal => {
            out.push_str(&literal_header(s));
            out.push('\n');
            let body = s.strip_suffix('\n').unwrap_or(s);
            for line in body.split('\n') {
                if !line.is_empty() {
                    indent_to(out, content_indent);
                    out.push_str(line);
                }
                out.push('\n');
            }
        }
    }
}

fn write_plain_scalar(scalar: &Scalar, out: &mut String) {
    match scalar {
        Scalar::Null => out.push_str("null"),
        Scalar::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Scalar::Int(i) => out.push_str(&i.to_string()),
        Scalar::Float(f) => out.push_str(&format_float(*f)),
        Scalar::String(s) => write_string(s, style_of(s, false), 0, out),
    }
}

// ---------------------------------------------------------------------------------------------
// Flow text for messages

/// Compact flow YAML; stops adding once `out` is longer than `limit` bytes.
fn write_flow(node: &Node, out: &mut String, limit: usize) {
    if out.len() > limit {
        return;
    }
    match &node.value {
        Value::Scalar(Scalar::String(s)) => {
            // Only what can still show.
            let mut end = s
                .len()
                .min(limit.saturating_sub(out.len()).saturating_add(1));
            while !s.is_char_boundary(end) {
                end += 1;
            }
            let s = &s[..end];
            let needs_quotes = s.is_empty()
                || resolve_plain(s) != Scalar::String(s.to_owned())
                || s.trim() != s
                || s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c))
                || s.contains(": ")
                || s.contains(" #")
                || s.contains([',', '[', ']', '{', '}', '\n']);
            if needs_quotes {
                out.push_str(&json_quote(s));
            } else {
                out.push_str(s);
            }
        }
        Value::Scalar(scalar) => write_plain_scalar(scalar, out),
        Value::Sequence(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if out.len() > limit {
                    return;
                }
                if index > 0 {
                    out.push_str(", ");
                }
                write_flow(item, out, limit);
            }
            out.push(']');
        }
        Value::Mapping(entries) => {
            out.push('{');
            for (index, (key, value)) in entries.iter().enumerate() {
                if out.len() > limit {
                    return;
                }
                if index > 0 {
                    out.push_str(", ");
                }
                write_flow(key, out, limit);
                out.push_str(": ");
                write_flow(value, out, limit);
            }
            out.push('}');
        }
    }
}

fn format_float(f: f64) -> String {
    if f.is_nan() {
        ".nan".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { ".inf" } else { "-.inf" }.to_owned()
    } else {
        format!("{f:?}")
    }
}

pub(super) fn json_quote(s: &str) -> String {
    crate::json::Json::from(s).compact()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::spec::yaml::parse_stream;

    fn parse_one(text: &str) -> Node {
        parse_stream(text).unwrap().documents.remove(0).root
    }

    #[test]
    fn ambiguous_strings_survive_a_round_trip() {
        let tricky = [
            "yes",
            "no",
            "on",
            "Off",
            "y",
            "N",
            "0755",
            "1_000",
            "12",
            "1.5",
            "",
            "null",
            "~",
            "true",
            ".inf",
            "0x10",
            ".nan",
            "-1",
            "a: b",
            "#x",
            "multi\nline\n",
            " padded ",
            "a long value with many words that goes on and on past the eighty column limit of emitters, surely",
            "#!/bin/bash\nset -e\n  indented: yes\n\necho 'done'\n",
            "trailing spaces \n",
        ];
        for text in tricky {
            let mut root = Node::synthetic(Value::Mapping(Vec::new()));
            root.insert("value", Node::string(text));
            root.insert(text, Node::string("key"));
            let yaml = root.to_yaml();
            let back = parse_one(&yaml);
            assert_eq!(back, root, "{text:?} serialised as {yaml}");
        }
    }

    #[test]
    fn flow_rendering_is_compact() {
        let root = parse_one("a: {x: 1, z: [p, \"yes\"], y: 2}\n");
        assert_eq!(
            root.get("a").unwrap().to_flow(),
            "{x: 1, z: [p, \"yes\"], true: 2}"
        );
        assert_eq!(root.get("a").unwrap().to_flow_cut(8), "{x: 1, z…");
    }

    #[test]
    fn block_layout() {
        let text = "a:\n- b: 1\n  c:\n  - - x\n    - z\n  d: {}\ne: []\nf: |\n  two\n  lines\n";
        assert_eq!(parse_one(text).to_yaml(), text);
        let keys = "? - a\n  - b\n: v\n? |-\n  multi\n  line\n: - 1\n  - 2\n";
        assert_eq!(parse_one(keys).to_yaml(), keys);
    }
}
