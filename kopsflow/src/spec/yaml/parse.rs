//! Parsing YAML: saphyr-parser events become `Node` trees with 1-based line/column positions,
//! scalars resolve the way Kubernetes reads them (YAML 1.1, tags: `tag.rs`), anchors and aliases
//! are expanded and merge keys applied (`merge.rs`), duplicate keys and refused features
//! ([`Unsupported`], docs/YAML.md) are recorded, and the limits that keep hostile input cheap
//! ([`MAX_DEPTH`], [`MAX_ALIAS_COPIES`]) are enforced while the events arrive.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::merge::{self, key_text, PendingMerge};
use super::tag::{self, Refusal};
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

/// A key that appears twice in one mapping, or two keys kops reads as one (`1` and `"1"`). The
/// first occurrence is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key as compact YAML (cut after 64 characters); `1` / `"1"` for keys that read alike.
    pub key: String,
    /// Index of the document in the stream (as in [`Document::index`]).
    pub document: usize,
    /// Path of the mapping holding the key (empty for a document's top level; long paths keep
    /// their end, behind `…`).
    pub parent_path: String,
    pub first: (usize, usize),
    pub second: (usize, usize),
}

/// A YAML feature kopsflow refuses rather than hand kops something else (docs/YAML.md): a tag, an
/// alias it cannot follow, a merge it cannot apply as kops does, a key or anchor kops reads apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// How to write it instead.
    pub hint: String,
}

#[derive(Debug, Clone)]
pub struct ParsedStream {
    pub documents: Vec<Document>,
    pub duplicate_keys: Vec<DuplicateKey>,
    /// In source order of discovery; the trees hold a stand-in value where one was refused.
    pub unsupported: Vec<Unsupported>,
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

/// Parse a multi-document YAML stream (see [`super::parse_stream`]).
///
/// Anchored nodes are only copied when the stream uses aliases: the first pass copies none and
/// stops at the first alias; then the rest of the stream is scanned for the anchors that aliases
/// use, and a second pass builds the trees copying just those.
pub(super) fn parse_trees(text: &str) -> Result<ParsedStream, ParseError> {
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
    /// A plain, untagged `<<`: a merge key when it is a mapping's key.
    merge_key: bool,
}

impl Sized {
    fn new(node: Node, weight: usize, height: usize) -> Sized {
        Sized {
            node,
            weight,
            height,
            merge_key: false,
        }
    }
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
        /// The first entry for each key as kops reads it ([`key_text`]).
        keys: HashMap<String, usize>,
        /// The `<<` entry, applied when the mapping ends.
        merge: Option<Box<PendingMerge>>,
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
    refused: Vec<((usize, usize), Refusal)>,
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
            refused: Vec::new(),
        }
    }

    fn finish(self) -> ParsedStream {
        ParsedStream {
            documents: self.documents,
            duplicate_keys: self.duplicate_keys,
            unsupported: self
                .refused
                .into_iter()
                .map(|((line, column), refusal)| Unsupported {
                    line,
                    column,
                    message: refusal.message,
                    hint: refusal.hint,
                })
                .collect(),
        }
    }

    fn refuse(&mut self, at: (usize, usize), refusal: Refusal) {
        self.refused.push((at, refusal));
    }

    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<(), ParseError> {
        let (line, column) = position(span);
        match event {
            Event::DocumentStart(_) => self.anchors.clear(),
            Event::Scalar(text, style, anchor, tag) => {
                let tag = full_tag(tag.as_deref());
                let plain = style == ScalarStyle::Plain;
                let weight = 1 + text.len();
                let merge_key = plain && text == "<<";
                if merge_key && tag.is_some() {
                    self.refuse(
                        (line, column),
                        Refusal {
                            message: "a tagged `<<`".into(),
                            hint: "write a merge key as a plain `<<:`, or quote `'<<':` for a key named <<".into(),
                        },
                    );
                }
                let scalar = match tag::scalar(&text, plain, tag.as_deref()) {
                    Ok(scalar) => scalar,
                    Err(refusal) => {
                        self.refuse((line, column), refusal);
                        Scalar::String(text.into_owned())
                    }
                };
                let node = at(Value::Scalar(scalar), (line, column));
                let mut sized = Sized::new(node, weight, 0);
                sized.merge_key = merge_key && tag.is_none();
                self.complete(sized, anchor)?;
            }
            Event::Alias(anchor) => {
                let copy = match self.anchors.get(&anchor) {
                    None => {
                        let message = if self.stack.iter().any(|f| f.anchor == anchor) {
                            "an alias (*) inside the node its anchor (&) names"
                        } else {
                            "an alias (*) to an anchor (&) of an earlier document"
                        };
                        self.refuse(
                            (line, column),
                            Refusal {
                                message: message.into(),
                                hint: "anchors hold within one document (`---` starts a new one), and only for nodes already complete: write the value out here".into(),
                            },
                        );
                        Sized::new(at(Value::Scalar(Scalar::Null), (line, column)), 1, 0)
                    }
                    Some(anchored) => {
                        let (weight, height) = (anchored.weight, anchored.height);
                        if self.stack.len() + height > MAX_DEPTH {
                            return Err(too_deep((line, column)));
                        }
                        // Counted before copying: the copy is only made within the limit.
                        self.charge(weight, (line, column))?;
                        let value = self.anchors[&anchor].node.value.clone();
                        Sized::new(at(value, (line, column)), weight, height)
                    }
                };
                self.complete(copy, 0)?;
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(too_deep((line, column)));
                }
                let sequence = matches!(event, Event::SequenceStart(..));
                if let Err(refusal) = tag::collection(sequence, full_tag(tag.as_deref()).as_deref())
                {
                    self.refuse((line, column), refusal);
                }
                let kind = if sequence {
                    FrameKind::Sequence(Vec::new())
                } else {
                    FrameKind::Mapping {
                        entries: Vec::new(),
                        keys: HashMap::new(),
                        merge: None,
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
                        FrameKind::Mapping {
                            entries,
                            merge: Some(pending),
                            ..
                        } => Value::Mapping(merge::apply(entries, *pending, &mut self.refused)),
                        FrameKind::Mapping { entries, .. } => Value::Mapping(entries),
                    };
                    self.complete(
                        Sized::new(at(value, frame.start), frame.weight, frame.height + 1),
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
        let is_key = matches!(
            self.stack.last(),
            Some(Frame {
                kind: FrameKind::Mapping {
                    pending_key: None,
                    ..
                },
                ..
            })
        );
        let mut is_duplicate = false;
        if is_key && sized.merge_key {
            if let Some(Frame {
                kind: FrameKind::Mapping { merge: Some(_), .. },
                ..
            }) = self.stack.last()
            {
                self.refuse(
                    (sized.node.line, sized.node.column),
                    Refusal {
                        message: "a second merge key `<<` in one mapping".into(),
                        hint: "merge several mappings with one `<<: [*a, *b]`".into(),
                    },
                );
                is_duplicate = true;
            }
        } else if is_key {
            is_duplicate = self.check_key(&sized.node);
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
                merge,
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
                    if key.merge_key {
                        *merge = Some(Box::new(PendingMerge {
                            index: entries.len(),
                            at: (key.node.line, key.node.column),
                            value: sized.node,
                        }));
                        frame.add(key.weight, key.height);
                        frame.add(sized.weight, sized.height);
                        return Ok(());
                    }
                    if let Some(text) = key_text(&key.node) {
                        keys.entry(text).or_insert(entries.len());
                    }
                    entries.push((key.node, sized.node));
                    frame.add(key.weight, key.height);
                    frame.add(sized.weight, sized.height);
                }
            },
        }
        Ok(())
    }

    /// Check a key of the innermost mapping: one kops can read, and not the same (as kops reads
    /// it) as an earlier key. Returns whether it is a duplicate (its value is then dropped).
    fn check_key(&mut self, key: &Node) -> bool {
        let Some(text) = key_text(key) else {
            self.refuse((key.line, key.column), merge::unsupported_key(key));
            return false;
        };
        let Some(Frame {
            kind: FrameKind::Mapping { entries, keys, .. },
            ..
        }) = self.stack.last()
        else {
            return false;
        };
        let Some(first) = keys.get(&text).map(|&i| &entries[i].0) else {
            return false;
        };
        let mut shown = first.to_flow_cut(MAX_KEY_CHARS);
        if first != key {
            // `1` and `"1"`, `true` and `"true"`: different YAML, one key to kops.
            shown = format!("{shown}` / `{}", key.to_flow_cut(MAX_KEY_CHARS));
        }
        let duplicate = DuplicateKey {
            key: shown,
            document: self.document_count,
            parent_path: self.parent_path(),
            first: (first.line, first.column),
            second: (key.line, key.column),
        };
        if let Some(Frame {
            kind: FrameKind::Mapping { path, .. },
            ..
        }) = self.stack.last_mut()
        {
            *path = Some(duplicate.parent_path.clone());
        }
        self.duplicate_keys.push(duplicate);
        true
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

/// A tag as one string: `tag:yaml.org,2002:str` for `!!str` and `!<tag:yaml.org,2002:str>`,
/// `!` for the non-specific tag, `!name` for a local one.
fn full_tag(tag: Option<&Tag>) -> Option<String> {
    tag.map(|t| format!("{}{}", t.handle, t.suffix))
}

fn at(value: Value, (line, column): (usize, usize)) -> Node {
    Node {
        value,
        line,
        column,
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
