//! Position-carrying YAML tree for cluster specs: parsing from saphyr-parser events (k8s /
//! YAML 1.1 scalar resolution, duplicate-key detection) and canonical serialisation via
//! serde_norway.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// A YAML node with the position (1-based line and column) where it starts in the source.
#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    pub line: usize,
    pub column: usize,
}

/// The content of a node. Mappings keep their source order.
#[derive(Debug, Clone)]
pub enum Value {
    Scalar(Scalar),
    Sequence(Vec<Node>),
    Mapping(Vec<(Node, Node)>),
}

/// A resolved scalar: plain scalars resolve the way Kubernetes (go-yaml v2, YAML 1.1) reads
/// them; quoted and block scalars are always strings.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
}

/// Structural equality: positions are ignored and so is the order of mapping keys (`.nan`
/// equals `.nan`, so a spec always equals itself).
impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        match (&self.value, &other.value) {
            (Value::Scalar(Scalar::Float(a)), Value::Scalar(Scalar::Float(b))) => {
                a == b || (a.is_nan() && b.is_nan())
            }
            (Value::Scalar(a), Value::Scalar(b)) => a == b,
            (Value::Sequence(a), Value::Sequence(b)) => a == b,
            (Value::Mapping(a), Value::Mapping(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(key, value)| {
                        b.iter()
                            .find(|(other_key, _)| other_key == key)
                            .is_some_and(|(_, other_value)| other_value == value)
                    })
            }
            _ => false,
        }
    }
}

impl Node {
    /// A node without a source position (line and column 0), for values built in code.
    pub fn synthetic(value: Value) -> Node {
        Node {
            value,
            line: 0,
            column: 0,
        }
    }

    pub fn string(text: &str) -> Node {
        Node::synthetic(Value::Scalar(Scalar::String(text.to_owned())))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(Scalar::String(s)) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Scalar(Scalar::Int(i)) => Some(*i),
            _ => None,
        }
    }

    pub fn as_mapping(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_sequence(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Sequence(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Scalar(Scalar::Null))
    }

    /// The value under a string key of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_mapping()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The key node of an entry (useful for positions of the key itself).
    pub fn get_key(&self, key: &str) -> Option<&Node> {
        self.as_mapping()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, _)| k)
    }

    /// Follow a path of string keys.
    pub fn get_path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.value {
            Value::Mapping(entries) => entries
                .iter_mut()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Remove a key from a mapping; returns whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        match &mut self.value {
            Value::Mapping(entries) => {
                let before = entries.len();
                entries.retain(|(k, _)| k.as_str() != Some(key));
                entries.len() != before
            }
            _ => false,
        }
    }

    /// Set a key in a mapping (replacing its value, or appending the entry).
    pub fn insert(&mut self, key: &str, value: Node) {
        if let Value::Mapping(entries) = &mut self.value {
            match entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
                Some((_, existing)) => *existing = value,
                None => entries.push((Node::string(key), value)),
            }
        }
    }

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

fn json_quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

// ---------------------------------------------------------------------------------------------
// Scalar resolution

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

// ---------------------------------------------------------------------------------------------
// Parsing

/// One non-empty YAML document of a stream.
#[derive(Debug, Clone)]
pub struct Document {
    pub root: Node,
    /// 0-based position of the document in the stream, counting empty documents too.
    pub index: usize,
}

/// A key that appears twice in one mapping. The first occurrence is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    pub key: String,
    /// Index of the document in the stream (as in [`Document::index`]).
    pub document: usize,
    /// Path of the mapping holding the key (empty for a document's top level).
    pub parent_path: String,
    pub first: (usize, usize),
    pub second: (usize, usize),
}

#[derive(Debug, Clone)]
pub struct ParsedStream {
    pub documents: Vec<Document>,
    pub duplicate_keys: Vec<DuplicateKey>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parse a multi-document YAML stream. Empty documents (nothing, or only `null`) are dropped.
pub fn parse_stream(text: &str) -> Result<ParsedStream, SyntaxError> {
    let mut builder = TreeBuilder::default();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|error| SyntaxError {
            line: error.marker().line(),
            column: error.marker().col() + 1,
            message: error.info().to_owned(),
        })?;
        builder.on_event(event, span);
    }
    Ok(ParsedStream {
        documents: builder.documents,
        duplicate_keys: builder.duplicate_keys,
    })
}

#[derive(Debug)]
enum Frame {
    Sequence {
        start: (usize, usize),
        anchor: usize,
        items: Vec<Node>,
    },
    Mapping {
        start: (usize, usize),
        anchor: usize,
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        /// The pending key duplicates an earlier one: drop its value.
        skip_value: bool,
    },
}

#[derive(Debug, Default)]
struct TreeBuilder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    documents: Vec<Document>,
    document_count: usize,
    duplicate_keys: Vec<DuplicateKey>,
}

fn position(span: Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

impl TreeBuilder {
    fn on_event(&mut self, event: Event<'_>, span: Span) {
        let (line, column) = position(span);
        match event {
            Event::DocumentStart(_) => self.anchors.clear(),
            Event::Scalar(text, style, anchor, tag) => {
                let is_str_tag = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let scalar = if style == ScalarStyle::Plain && !is_str_tag {
                    resolve_plain(&text)
                } else {
                    Scalar::String(text.into_owned())
                };
                let node = Node {
                    value: Value::Scalar(scalar),
                    line,
                    column,
                };
                self.complete(node, anchor);
            }
            Event::Alias(anchor) => {
                let value = self
                    .anchors
                    .get(&anchor)
                    .map(|n| n.value.clone())
                    .unwrap_or(Value::Scalar(Scalar::Null));
                self.complete(
                    Node {
                        value,
                        line,
                        column,
                    },
                    0,
                );
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Sequence {
                start: (line, column),
                anchor,
                items: Vec::new(),
            }),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Mapping {
                start: (line, column),
                anchor,
                entries: Vec::new(),
                pending_key: None,
                skip_value: false,
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(frame) = self.stack.pop() {
                    let (node, anchor) = match frame {
                        Frame::Sequence {
                            start,
                            anchor,
                            items,
                        } => (at(Value::Sequence(items), start), anchor),
                        Frame::Mapping {
                            start,
                            anchor,
                            entries,
                            ..
                        } => (at(Value::Mapping(entries), start), anchor),
                    };
                    self.complete(node, anchor);
                }
            }
            Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }

    /// A node is finished: attach it to its parent, or close the document.
    fn complete(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let path = self.current_path();
        match self.stack.last_mut() {
            None => {
                let index = self.document_count;
                self.document_count += 1;
                if !node.is_null() {
                    self.documents.push(Document { root: node, index });
                }
            }
            Some(Frame::Sequence { items, .. }) => items.push(node),
            Some(Frame::Mapping {
                entries,
                pending_key,
                skip_value,
                ..
            }) => match pending_key.take() {
                None => {
                    if let Some((first, _)) = entries.iter().find(|(k, _)| *k == node) {
                        self.duplicate_keys.push(DuplicateKey {
                            key: first.to_flow(),
                            document: self.document_count,
                            parent_path: path,
                            first: (first.line, first.column),
                            second: (node.line, node.column),
                        });
                        *skip_value = true;
                    }
                    *pending_key = Some(node);
                }
                Some(key) => {
                    if std::mem::take(skip_value) {
                        return;
                    }
                    entries.push((key, node));
                }
            },
        }
    }

    /// Field path of the innermost open collection, e.g. `spec.subnets[0]`.
    fn current_path(&self) -> String {
        let mut path = String::new();
        for frame in &self.stack {
            match frame {
                Frame::Sequence { items, .. } => push_index(&mut path, items.len()),
                Frame::Mapping {
                    pending_key: Some(key),
                    ..
                } => push_key(&mut path, &key.to_flow()),
                Frame::Mapping { .. } => {}
            }
        }
        path
    }
}

fn at(value: Value, (line, column): (usize, usize)) -> Node {
    Node {
        value,
        line,
        column,
    }
}

/// Append a key to a field path: `a.b`, or `a["kops.k8s.io/cluster"]` when the key is not a
/// simple name.
pub fn push_key(path: &mut String, key: &str) {
    let simple = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if simple {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&json_quote(key));
        path.push(']');
    }
}

pub fn push_index(path: &mut String, index: usize) {
    path.push_str(&format!("[{index}]"));
}

pub fn join_key(path: &str, key: &str) -> String {
    let mut joined = path.to_owned();
    push_key(&mut joined, key);
    joined
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse_one(text: &str) -> Node {
        parse_stream(text).unwrap().documents.remove(0).root
    }

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

    #[test]
    fn quoted_scalars_are_strings() {
        let root = parse_one("a: \"yes\"\nb: '12'\nc: !!str 13\n");
        assert_eq!(root.get("a").unwrap().as_str(), Some("yes"));
        assert_eq!(root.get("b").unwrap().as_str(), Some("12"));
        assert_eq!(root.get("c").unwrap().as_str(), Some("13"));
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
    fn positions_are_one_based() {
        let root = parse_one("a:\n  b: 1\n");
        let b = root.get("a").unwrap().get_key("b").unwrap();
        assert_eq!((b.line, b.column), (2, 3));
    }

    #[test]
    fn duplicate_keys_are_reported_and_the_first_kept() {
        let stream = parse_stream("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n").unwrap();
        let root = &stream.documents[0].root;
        assert_eq!(root.get("a").unwrap().as_i64(), Some(1));
        assert_eq!(
            stream.duplicate_keys,
            vec![
                DuplicateKey {
                    key: "c".into(),
                    document: 0,
                    parent_path: "b".into(),
                    first: (3, 3),
                    second: (4, 3),
                },
                DuplicateKey {
                    key: "a".into(),
                    document: 0,
                    parent_path: String::new(),
                    first: (1, 1),
                    second: (5, 1),
                },
            ]
        );
    }

    #[test]
    fn empty_documents_are_dropped() {
        let stream =
            parse_stream("---\na: 1\n---\n---\n# only a comment\n---\nb: 2\n---\n").unwrap();
        let indexes: Vec<usize> = stream.documents.iter().map(|d| d.index).collect();
        assert_eq!(stream.documents.len(), 2);
        assert_eq!(indexes.first(), Some(&0));
    }

    #[test]
    fn flow_rendering_is_compact() {
        let root = parse_one("a: {x: 1, z: [p, \"yes\"], y: 2}\n");
        assert_eq!(
            root.get("a").unwrap().to_flow(),
            "{x: 1, z: [p, \"yes\"], true: 2}"
        );
    }

    #[test]
    fn anchors_and_aliases_are_resolved() {
        let root = parse_one("a: &x [1, 2]\nb: *x\n");
        assert_eq!(root.get("a"), root.get("b"));
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let error = parse_stream("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(error.line >= 1, "{error:?}");
    }
}
