//! Emitting YAML: block YAML through serde_norway (the `Serialize for Node` impl and the quote
//! sentinels that keep ambiguous strings quoted), compact flow text for messages, and the quoting
//! helpers.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::{resolve_plain, Node, Scalar, Value};

impl Node {
    /// The text of a scalar as it reads in YAML (strings unquoted), or compact flow YAML for
    /// collections.
    pub fn to_flow(&self) -> String {
        let mut out = String::new();
        write_flow(self, &mut out);
        out
    }

    /// Block YAML for one document (serde_norway), ending with a newline.
    pub fn to_yaml(&self) -> String {
        match serde_norway::to_string(self) {
            Ok(text) => unwrap_quote_sentinels(&text),
            // Only reachable for exotic keys; keep the failure visible in the output.
            Err(error) => format!("# kopsflow could not serialise this document: {error}\n"),
        }
    }
}

fn write_flow(node: &Node, out: &mut String) {
    match &node.value {
        Value::Scalar(Scalar::String(s)) => {
            let needs_quotes = s.is_empty()
                || resolve_plain(s) != Scalar::String(s.clone())
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
        Value::Scalar(Scalar::Null) => out.push_str("null"),
        Value::Scalar(Scalar::Bool(b)) => out.push_str(&b.to_string()),
        Value::Scalar(Scalar::Int(i)) => out.push_str(&i.to_string()),
        Value::Scalar(Scalar::Float(f)) => out.push_str(&format_float(*f)),
        Value::Sequence(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_flow(item, out);
            }
            out.push(']');
        }
        Value::Mapping(entries) => {
            out.push('{');
            for (index, (key, value)) in entries.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_flow(key, out);
                out.push_str(": ");
                write_flow(value, out);
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
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

// ---------------------------------------------------------------------------------------------
// Serialisation

/// Strings that Kubernetes would read as something else when written plain (`yes`, `0755`,
/// `""` …) but that serde_norway (YAML 1.2) may leave unquoted are emitted as a sentinel and then
/// replaced by a double-quoted (JSON) string.
const QUOTE_SENTINEL: &str = "__kopsflow_quoted_";

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.value {
            Value::Scalar(Scalar::Null) => serializer.serialize_unit(),
            Value::Scalar(Scalar::Bool(b)) => serializer.serialize_bool(*b),
            Value::Scalar(Scalar::Int(i)) => serializer.serialize_i64(*i),
            Value::Scalar(Scalar::Float(f)) => serializer.serialize_f64(*f),
            Value::Scalar(Scalar::String(s)) => {
                if !s.contains('\n') && resolve_plain(s) != Scalar::String(s.clone()) {
                    let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
                    serializer.serialize_str(&format!("{QUOTE_SENTINEL}{hex}__"))
                } else {
                    serializer.serialize_str(s)
                }
            }
            Value::Sequence(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Mapping(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    match key.value {
                        Value::Scalar(_) => map.serialize_entry(key, value)?,
                        // Kubernetes objects only have scalar keys; keep others readable.
                        _ => map.serialize_entry(&key.to_flow(), value)?,
                    }
                }
                map.end()
            }
        }
    }
}

fn unwrap_quote_sentinels(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(QUOTE_SENTINEL) {
        out.push_str(&rest[..at]);
        let after = &rest[at + QUOTE_SENTINEL.len()..];
        let decoded = after.find("__").and_then(|end| {
            let hex = &after[..end];
            let bytes: Option<Vec<u8>> = (0..hex.len())
                .step_by(2)
                .map(|i| {
                    hex.get(i..i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                })
                .collect();
            let string = String::from_utf8(bytes?).ok()?;
            Some((string, end + 2))
        });
        match decoded {
            Some((string, consumed)) => {
                out.push_str(&json_quote(&string));
                rest = &after[consumed..];
            }
            None => {
                out.push_str(QUOTE_SENTINEL);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
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
    }
}
