//! Structural equality of `Node`s (positions and mapping key order ignored) and the hashing
//! behind it: `KeyIndex` finds an equal key among a mapping's entries in constant expected time,
//! for duplicate-key detection and for comparing large mappings.
//!
//! Both recurse over the tree; trees from `parse_stream` are at most `MAX_DEPTH` deep.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use super::{Node, Scalar, Value};

/// Mappings up to this size are compared by scanning; larger ones through a `KeyIndex`.
const SCAN_LIMIT: usize = 8;

/// Structural equality: positions are ignored and so is the order of mapping keys (`.nan`
/// equals `.nan`, so a spec always equals itself). Assumes no mapping holds two equal keys
/// (`parse_stream` drops the second one and `Node::insert` replaces).
impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        match (&self.value, &other.value) {
            (Value::Scalar(Scalar::Float(a)), Value::Scalar(Scalar::Float(b))) => {
                a == b || (a.is_nan() && b.is_nan())
            }
            (Value::Scalar(a), Value::Scalar(b)) => a == b,
            (Value::Sequence(a), Value::Sequence(b)) => a == b,
            (Value::Mapping(a), Value::Mapping(b)) => mappings_equal(a, b),
            _ => false,
        }
    }
}

fn mappings_equal(a: &[(Node, Node)], b: &[(Node, Node)]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let index = KeyIndex::of(b);
    a.iter().all(|(key, value)| {
        index
            .find(key, b)
            .is_some_and(|position| b[position].1 == *value)
    })
}

/// The keys of a mapping's entries by structural hash: which entry (the first one) has a key
/// equal to a given node. Small mappings are scanned instead. Hashes are keyed per index
/// (`RandomState`), so input cannot be crafted to collide.
#[derive(Debug, Default)]
pub(super) struct KeyIndex {
    /// Built once the mapping has more than [`SCAN_LIMIT`] entries.
    hashed: Option<(RandomState, HashMap<u64, usize>)>,
}

impl KeyIndex {
    /// An index of all of `entries`.
    pub(super) fn of(entries: &[(Node, Node)]) -> KeyIndex {
        let mut index = KeyIndex::default();
        if entries.len() > SCAN_LIMIT {
            index.build(entries);
        }
        index
    }

    fn build(&mut self, entries: &[(Node, Node)]) {
        let state = RandomState::new();
        let mut first = HashMap::with_capacity(entries.len());
        for (position, (key, _)) in entries.iter().enumerate() {
            first.entry(fingerprint(key, &state)).or_insert(position);
        }
        self.hashed = Some((state, first));
    }

    /// An entry was pushed onto `entries` (which this index covered before).
    #[cfg(test)]
    pub(super) fn pushed(&mut self, entries: &[(Node, Node)]) {
        match (&mut self.hashed, entries.last()) {
            (Some((state, first)), Some((key, _))) => {
                first
                    .entry(fingerprint(key, state))
                    .or_insert(entries.len() - 1);
            }
            (None, _) if entries.len() > SCAN_LIMIT => self.build(entries),
            _ => {}
        }
    }

    /// The position of the first entry of `entries` (the ones indexed) whose key equals `key`.
    pub(super) fn find(&self, key: &Node, entries: &[(Node, Node)]) -> Option<usize> {
        let Some((state, first)) = &self.hashed else {
            return entries.iter().position(|(k, _)| k == key);
        };
        let position = *first.get(&fingerprint(key, state))?;
        if entries.get(position).is_some_and(|(k, _)| k == key) {
            Some(position)
        } else {
            // Two different keys with the same 64-bit hash: astronomically rare, not steerable.
            entries.iter().position(|(k, _)| k == key)
        }
    }
}

/// A hash consistent with `Node`'s equality: positions and mapping key order do not count, all
/// NaNs are equal and so are `0.0` and `-0.0`.
fn fingerprint(node: &Node, state: &RandomState) -> u64 {
    match &node.value {
        Value::Scalar(scalar) => {
            let mut hasher = state.build_hasher();
            hash_scalar(scalar, &mut hasher);
            hasher.finish()
        }
        Value::Sequence(items) => {
            let mut hasher = state.build_hasher();
            (1u8, items.len()).hash(&mut hasher);
            for item in items {
                fingerprint(item, state).hash(&mut hasher);
            }
            hasher.finish()
        }
        Value::Mapping(entries) => {
            // Order-independent: a sum of per-entry hashes.
            let sum = entries.iter().fold(0u64, |sum, (key, value)| {
                sum.wrapping_add(
                    state.hash_one((fingerprint(key, state), fingerprint(value, state))),
                )
            });
            state.hash_one((2u8, entries.len(), sum))
        }
    }
}

fn hash_scalar(scalar: &Scalar, hasher: &mut impl Hasher) {
    match scalar {
        Scalar::Null => 0u8.hash(hasher),
        Scalar::Bool(b) => (1u8, b).hash(hasher),
        Scalar::Int(i) => (2u8, i).hash(hasher),
        Scalar::Float(f) => {
            let bits = if f.is_nan() {
                f64::NAN.to_bits()
            } else if *f == 0.0 {
                0
            } else {
                f.to_bits()
            };
            (3u8, bits).hash(hasher);
        }
        Scalar::String(s) => (4u8, s).hash(hasher),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn mapping(keys: impl IntoIterator<Item = (Node, i64)>) -> Node {
        Node::synthetic(Value::Mapping(
            keys.into_iter()
                .map(|(k, v)| (k, Node::synthetic(Value::Scalar(Scalar::Int(v)))))
                .collect(),
        ))
    }

    #[test]
    fn large_mappings_compare_by_key_not_order() {
        let forward = mapping((0..100).map(|i| (Node::string(&format!("k{i}")), i)));
        let backward = mapping((0..100).rev().map(|i| (Node::string(&format!("k{i}")), i)));
        assert_eq!(forward, backward);
        let changed = mapping((0..100).map(|i| (Node::string(&format!("k{i}")), i.min(98))));
        assert_ne!(forward, changed);
        let renamed = mapping((0..100).map(|i| (Node::string(&format!("j{i}")), i)));
        assert_ne!(forward, renamed);
    }

    #[test]
    fn equal_nodes_hash_alike() {
        let state = RandomState::new();
        let float = |f: f64| Node::synthetic(Value::Scalar(Scalar::Float(f)));
        assert_eq!(
            fingerprint(&float(0.0), &state),
            fingerprint(&float(-0.0), &state)
        );
        assert_eq!(
            fingerprint(&float(f64::NAN), &state),
            fingerprint(&float(-f64::NAN), &state)
        );
        let a = mapping([(Node::string("x"), 1), (float(1.5), 2)]);
        let b = mapping([(float(1.5), 2), (Node::string("x"), 1)]);
        assert_eq!(a, b);
        assert_eq!(fingerprint(&a, &state), fingerprint(&b, &state));
        let int = Node::synthetic(Value::Scalar(Scalar::Int(1)));
        assert_ne!(int, float(1.0));
    }

    #[test]
    fn key_index_finds_complex_keys() {
        let key = mapping([(Node::string("a"), 1), (Node::string("b"), 2)]);
        let same = mapping([(Node::string("b"), 2), (Node::string("a"), 1)]);
        let mut entries = Vec::new();
        let mut index = KeyIndex::default();
        for i in 0..20 {
            entries.push((Node::string(&format!("k{i}")), Node::string("v")));
            index.pushed(&entries);
            if i == 15 {
                entries.push((key.clone(), Node::string("2")));
                index.pushed(&entries);
            }
        }
        assert_eq!(index.find(&same, &entries), Some(16));
        assert_eq!(index.find(&Node::string("k19"), &entries), Some(20));
        assert_eq!(index.find(&Node::string("y"), &entries), None);
        assert_eq!(
            KeyIndex::of(&entries[..3]).find(&Node::string("k2"), &entries),
            Some(2)
        );
    }
}
