//! Parsing YAML: saphyr-parser events become `Node` trees with 1-based line/column positions,
//! plain scalars resolve the way Kubernetes reads them (YAML 1.1), anchors and aliases are
//! expanded, and duplicate keys are recorded.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::{push_index, push_key, Node, Scalar, Value};

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
