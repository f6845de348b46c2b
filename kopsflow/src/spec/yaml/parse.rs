//! Parsing YAML: saphyr-parser events become `Node` trees with 1-based line/column positions,
//! plain scalars resolve the way Kubernetes reads them (YAML 1.1), anchors and aliases are
//! expanded, duplicate keys are recorded, and the limits that keep hostile input cheap
//! ([`MAX_DEPTH`], [`MAX_ALIAS_COPIES`]) are enforced while the events arrive.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::eq::KeyIndex;
use super::resolve::resolve_plain;
use super::{push_index, push_key, Node, Scalar, Value};

/// The deepest nesting of collections `parse_stream` accepts (a document's root mapping is
/// level 1). kops specs stay under 15 levels. Every recursive walk over a tree (emitting,
/// comparing, validating, cloning, dropping) relies on this bound to stay far from the end of
/// the stack, so trees are never built deeper, not even through aliases.
pub const MAX_DEPTH: usize = 128;

/// The most that anchors (`&a`) and aliases (`*a`) may copy in one stream, counted as nodes plus
/// the bytes of their scalars: an alias copies its anchored node, and an anchored node that an
/// alias uses is copied once more when it is defined. Real specs copy a few hundred; the bound
/// stops alias bombs ("billion laughs": 430 bytes that expand to gigabytes) early. Streams
/// without aliases copy nothing.
pub const MAX_ALIAS_COPIES: usize = 1_000_000;

/// Longest key rendering and longest path in a [`DuplicateKey`] (longer ones are cut with `…`).
const MAX_KEY_CHARS: usize = 64;
const MAX_PATH_CHARS: usize = 200;

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
    /// The key as compact YAML (cut after 64 characters).
    pub key: String,
    /// Index of the document in the stream (as in [`Document::index`]).
    pub document: usize,
    /// Path of the mapping holding the key (empty for a document's top level; long paths keep
    /// their end, behind `…`).
    pub parent_path: String,
    pub first: (usize, usize),
    pub second: (usize, usize),
}

#[derive(Debug, Clone)]
pub struct ParsedStream {
    pub documents: Vec<Document>,
    pub duplicate_keys: Vec<DuplicateKey>,
}

/// Why a stream was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Not valid YAML (the message is saphyr-parser's).
    Syntax,
    /// Collections nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Anchors and aliases copy more than [`MAX_ALIAS_COPIES`].
    TooManyAliasCopies,
}

/// The first problem in a stream, with its 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parse a multi-document YAML stream. Empty documents (nothing, or only `null`) are dropped.
///
/// Anchored nodes are only copied when the stream uses aliases: the first pass copies none and
/// stops at the first alias; then the rest of the stream is scanned for the anchors that aliases
/// use, and a second pass builds the trees copying just those.
pub fn parse_stream(text: &str) -> Result<ParsedStream, ParseError> {
    let mut events = Parser::new_from_str(text);
    let mut builder = TreeBuilder::new(None);
    while let Some(event) = events.next() {
        let (event, span) = event.map_err(syntax_error)?;
        if let Event::Alias(anchor) = event {
            let mut referenced = HashSet::from([anchor]);
            let mut depth = builder.stack.len();
            for event in events {
                let (event, span) = event.map_err(syntax_error)?;
                match event {
                    Event::Alias(anchor) => {
                        referenced.insert(anchor);
                    }
                    Event::SequenceStart(..) | Event::MappingStart(..) => {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            return Err(too_deep(position(span)));
                        }
                    }
                    Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            return build_copying(text, referenced);
        }
        builder.on_event(event, span)?;
    }
    Ok(builder.finish())
}

/// The second pass: build the trees, copying the anchored nodes that aliases use.
fn build_copying(text: &str, referenced: HashSet<usize>) -> Result<ParsedStream, ParseError> {
    let mut builder = TreeBuilder::new(Some(referenced));
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(syntax_error)?;
        builder.on_event(event, span)?;
    }
    Ok(builder.finish())
}

fn syntax_error(error: saphyr_parser::ScanError) -> ParseError {
    // saphyr-parser's own bound on flow nesting (255 levels), hit while it looks ahead.
    if error.info() == "recursion limit exceeded" {
        return too_deep((error.marker().line(), error.marker().col() + 1));
    }
    ParseError {
        kind: ParseErrorKind::Syntax,
        line: error.marker().line(),
        column: error.marker().col() + 1,
        message: error.info().to_owned(),
    }
}

fn too_deep((line, column): (usize, usize)) -> ParseError {
    ParseError {
        kind: ParseErrorKind::TooDeep,
        line,
        column,
        message: format!("collections are nested more than {MAX_DEPTH} levels deep here"),
    }
}

/// A finished node with what the limits need: its size (nodes plus scalar bytes) and its height
/// (levels of collections: 0 for a scalar).
#[derive(Debug, Clone)]
struct Sized {
    node: Node,
    weight: usize,
    height: usize,
}

#[derive(Debug)]
struct Frame {
    start: (usize, usize),
    anchor: usize,
    /// Size and height of the children added so far.
    weight: usize,
    height: usize,
    kind: FrameKind,
}

#[derive(Debug)]
enum FrameKind {
    Sequence(Vec<Node>),
    Mapping {
        entries: Vec<(Node, Node)>,
        keys: KeyIndex,
        pending_key: Option<Sized>,
        /// The pending key duplicates an earlier one: drop its value.
        skip_value: bool,
        /// The mapping's path, once a duplicate key needed it.
        path: Option<String>,
    },
}

impl Frame {
    fn add(&mut self, weight: usize, height: usize) {
        self.weight = self.weight.saturating_add(weight);
        self.height = self.height.max(height);
    }
}

#[derive(Debug)]
struct TreeBuilder {
    stack: Vec<Frame>,
    /// Anchor ids whose nodes are copied (aliases use them); `None` in the first pass.
    referenced: Option<HashSet<usize>>,
    anchors: HashMap<usize, Sized>,
    /// What anchors and aliases copied so far (see [`MAX_ALIAS_COPIES`]).
    copied: usize,
    documents: Vec<Document>,
    document_count: usize,
    duplicate_keys: Vec<DuplicateKey>,
}

fn position(span: Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

impl TreeBuilder {
    fn new(referenced: Option<HashSet<usize>>) -> TreeBuilder {
        TreeBuilder {
            stack: Vec::new(),
            referenced,
            anchors: HashMap::new(),
            copied: 0,
            documents: Vec::new(),
            document_count: 0,
            duplicate_keys: Vec::new(),
        }
    }

    fn finish(self) -> ParsedStream {
        ParsedStream {
            documents: self.documents,
            duplicate_keys: self.duplicate_keys,
        }
    }

    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<(), ParseError> {
        let (line, column) = position(span);
        match event {
            Event::DocumentStart(_) => self.anchors.clear(),
            Event::Scalar(text, style, anchor, tag) => {
                let is_str_tag = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let weight = 1 + text.len();
                let scalar = if style == ScalarStyle::Plain && !is_str_tag {
                    resolve_plain(&text)
                } else {
                    Scalar::String(text.into_owned())
                };
                let node = at(Value::Scalar(scalar), (line, column));
                self.complete(
                    Sized {
                        node,
                        weight,
                        height: 0,
                    },
                    anchor,
                )?;
            }
            Event::Alias(anchor) => {
                let copy = match self.anchors.get(&anchor) {
                    // An alias inside its own anchored node: nothing to copy yet.
                    None => Sized {
                        node: at(Value::Scalar(Scalar::Null), (line, column)),
                        weight: 1,
                        height: 0,
                    },
                    Some(anchored) => {
                        let (weight, height) = (anchored.weight, anchored.height);
                        if self.stack.len() + height > MAX_DEPTH {
                            return Err(too_deep((line, column)));
                        }
                        // Counted before copying: the copy is only made within the limit.
                        self.charge(weight, (line, column))?;
                        let value = self.anchors[&anchor].node.value.clone();
                        Sized {
                            node: at(value, (line, column)),
                            weight,
                            height,
                        }
                    }
                };
                self.complete(copy, 0)?;
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(too_deep((line, column)));
                }
                let kind = if matches!(event, Event::SequenceStart(..)) {
                    FrameKind::Sequence(Vec::new())
                } else {
                    FrameKind::Mapping {
                        entries: Vec::new(),
                        keys: KeyIndex::default(),
                        pending_key: None,
                        skip_value: false,
                        path: None,
                    }
                };
                self.stack.push(Frame {
                    start: (line, column),
                    anchor,
                    weight: 1,
                    height: 0,
                    kind,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(frame) = self.stack.pop() {
                    let value = match frame.kind {
                        FrameKind::Sequence(items) => Value::Sequence(items),
                        FrameKind::Mapping { entries, .. } => Value::Mapping(entries),
                    };
                    self.complete(
                        Sized {
                            node: at(value, frame.start),
                            weight: frame.weight,
                            height: frame.height + 1,
                        },
                        frame.anchor,
                    )?;
                }
            }
            Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// Count a copy against [`MAX_ALIAS_COPIES`].
    fn charge(&mut self, weight: usize, (line, column): (usize, usize)) -> Result<(), ParseError> {
        self.copied = self.copied.saturating_add(weight);
        if self.copied > MAX_ALIAS_COPIES {
            return Err(ParseError {
                kind: ParseErrorKind::TooManyAliasCopies,
                line,
                column,
                message: format!(
                    "anchors (&) and aliases (*) copy more than {MAX_ALIAS_COPIES} nodes and characters by here"
                ),
            });
        }
        Ok(())
    }

    /// A node is finished: attach it to its parent, or close the document.
    fn complete(&mut self, sized: Sized, anchor: usize) -> Result<(), ParseError> {
        if anchor != 0
            && self
                .referenced
                .as_ref()
                .is_some_and(|r| r.contains(&anchor))
        {
            self.charge(sized.weight, (sized.node.line, sized.node.column))?;
            self.anchors.insert(anchor, sized.clone());
        }
        let duplicate_of = match self.stack.last() {
            Some(Frame {
                kind:
                    FrameKind::Mapping {
                        entries,
                        keys,
                        pending_key: None,
                        ..
                    },
                ..
            }) => keys
                .find(&sized.node, entries)
                .map(|first| &entries[first].0),
            _ => None,
        };
        let is_duplicate = duplicate_of.is_some();
        if let Some(first) = duplicate_of {
            let duplicate = DuplicateKey {
                key: first.to_flow_cut(MAX_KEY_CHARS),
                document: self.document_count,
                parent_path: self.parent_path(),
                first: (first.line, first.column),
                second: (sized.node.line, sized.node.column),
            };
            if let Some(Frame {
                kind: FrameKind::Mapping { path, .. },
                ..
            }) = self.stack.last_mut()
            {
                *path = Some(duplicate.parent_path.clone());
            }
            self.duplicate_keys.push(duplicate);
        }
        let Some(frame) = self.stack.last_mut() else {
            let index = self.document_count;
            self.document_count += 1;
            if !sized.node.is_null() {
                self.documents.push(Document {
                    root: sized.node,
                    index,
                });
            }
            return Ok(());
        };
        match &mut frame.kind {
            FrameKind::Sequence(items) => {
                items.push(sized.node);
                frame.add(sized.weight, sized.height);
            }
            FrameKind::Mapping {
                entries,
                keys,
                pending_key,
                skip_value,
                ..
            } => match pending_key.take() {
                None => {
                    *skip_value = is_duplicate;
                    *pending_key = Some(sized);
                }
                Some(key) => {
                    if std::mem::take(skip_value) {
                        return Ok(());
                    }
                    entries.push((key.node, sized.node));
                    keys.pushed(entries);
                    frame.add(key.weight, key.height);
                    frame.add(sized.weight, sized.height);
                }
            },
        }
        Ok(())
    }

    /// Field path of the innermost open collection, e.g. `spec.subnets[0]`; only the last
    /// [`MAX_PATH_CHARS`] or so of a long one, behind `…`.
    fn parent_path(&self) -> String {
        if let Some(Frame {
            kind: FrameKind::Mapping {
                path: Some(path), ..
            },
            ..
        }) = self.stack.last()
        {
            return path.clone();
        }
        let mut segments = Vec::new();
        let mut length = 0;
        let mut cut = false;
        for frame in self.stack.iter().rev() {
            let mut segment = String::new();
            match &frame.kind {
                FrameKind::Sequence(items) => push_index(&mut segment, items.len()),
                FrameKind::Mapping {
                    pending_key: Some(key),
                    ..
                } => push_key(&mut segment, &key.node.to_flow_cut(MAX_KEY_CHARS)),
                FrameKind::Mapping { .. } => continue,
            }
            length += segment.len();
            if length > MAX_PATH_CHARS {
                cut = true;
                break;
            }
            segments.push(segment);
        }
        let mut path = String::new();
        if cut {
            path.push('…');
        }
        for segment in segments.iter().rev() {
            if !path.is_empty() && !segment.starts_with('[') {
                path.push('.');
            }
            path.push_str(segment);
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
