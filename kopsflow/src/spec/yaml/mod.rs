//! The position-carrying YAML tree of cluster specs: `Node`, `Value`, `Scalar`, their accessors,
//! and the field paths (`spec.subnets[0]`) that name nodes in diagnostics and diffs.
//!
//! Trees come from saphyr-parser events in `parse.rs` (with the depth and alias limits, and
//! duplicate-key detection), tags are carried or refused in `tag.rs` and merge keys applied in
//! `merge.rs` (the supported subset: docs/YAML.md), plain scalars resolve as Kubernetes reads
//! them in `resolve.rs`,
//! equality and key hashing are in `eq.rs`, and `emit.rs` writes block YAML with the quoting
//! rules of `style.rs`.
//!
//! Walks over a tree recurse: trees from `parse_stream` are at most [`MAX_DEPTH`] deep, and
//! trees built in code are shallow.

mod breaks;
mod emit;
mod eq;
mod merge;
mod parse;
mod resolve;
mod style;
mod tag;
mod tokens;

pub use merge::key_text;
pub use parse::{
    Document, DuplicateKey, ParseError, ParseErrorKind, ParsedStream, Unsupported,
    MAX_ALIAS_COPIES, MAX_DEPTH,
};
pub use resolve::resolve_plain;

/// Parse a multi-document YAML stream. Empty documents (nothing, or only `null`) are dropped.
/// Features kopsflow refuses are listed in [`ParsedStream::unsupported`], in source order: those
/// the tree builder meets (`parse.rs`), anchor or alias names kops reads otherwise
/// (`tokens.rs`) and characters that break lines only for kops (`breaks.rs`).
pub fn parse_stream(text: &str) -> Result<ParsedStream, ParseError> {
    let mut parsed = parse::parse_trees(text)?;
    let names = tokens::refused(text);
    parsed.unsupported.extend(names);
    parsed.unsupported.extend(breaks::refused_breaks(text));
    parsed.unsupported.sort_by_key(|u| (u.line, u.column));
    Ok(parsed)
}

/// A YAML node with the position (1-based line and column) where it starts in the source.
/// Equality is structural (see `eq.rs`).
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
}

// ---------------------------------------------------------------------------------------------
// Field paths

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
        path.push_str(&emit::json_quote(key));
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
mod tests;
