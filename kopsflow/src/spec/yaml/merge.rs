//! Merge keys (`<<: *base`, `<<: [*a, *b]`, `<<: {k: v}`) applied while parsing, exactly as
//! kops's reader (go-yaml v2) applies them, so the tree (and what the emitter hands to kops) holds
//! the merged fields; and mapping keys as kops reads them (`key_text`: every key becomes a string).
//!
//! go-yaml v2 sets a mapping's entries in order, a merge setting each merged key: a key written
//! after `<<` wins over the merged one (as YAML says), a key written before it is overwritten by
//! it (YAML says the written key wins). That one disagreement is refused: write `<<` first. Of
//! several merged mappings the earlier one wins, in both.

use std::collections::HashMap;

use super::tag::Refusal;
use super::{Node, Scalar, Value};

/// The text kops reads a mapping key as (sigs.k8s.io/yaml turns every key into a string):
/// strings as they are, integers in decimal, `true`/`false`. `None` for keys kops cannot read
/// or would round (null, floats, lists, mappings).
pub fn key_text(key: &Node) -> Option<String> {
    match &key.value {
        Value::Scalar(Scalar::String(s)) => Some(s.clone()),
        Value::Scalar(Scalar::Int(i)) => Some(i.to_string()),
        Value::Scalar(Scalar::Bool(b)) => Some(b.to_string()),
        _ => None,
    }
}

/// Why a key is not supported, for a key without [`key_text`].
pub(super) fn unsupported_key(key: &Node) -> Refusal {
    let (what, hint) = match &key.value {
        Value::Scalar(Scalar::Null) => (
            "a null key",
            "write the key as text (quote it: `\"null\":`, `\"~\":`)",
        ),
        Value::Scalar(_) => (
            "a number with a fraction as a key",
            "quote the key: kops reads float keys rounded to 7 digits",
        ),
        _ => (
            "a list or mapping as a key",
            "kops reads only text keys: write the key as a string",
        ),
    };
    Refusal {
        message: format!("{what} is not supported ({})", key.to_flow_cut(64)),
        hint: hint.to_owned(),
    }
}

/// A `<<` entry waiting for its mapping to end.
#[derive(Debug)]
pub(super) struct PendingMerge {
    /// How many explicit entries came before it.
    pub index: usize,
    /// Where the `<<` key is.
    pub at: (usize, usize),
    pub value: Node,
}

/// The mapping's entries with the merge applied; problems go to `refused` with their position
/// (the entries then stay as written, without the merge).
pub(super) fn apply(
    entries: Vec<(Node, Node)>,
    merge: PendingMerge,
    refused: &mut Vec<((usize, usize), Refusal)>,
) -> Vec<(Node, Node)> {
    let sources: Vec<Vec<(Node, Node)>> = match merge.value.value {
        Value::Mapping(merged) => vec![merged],
        Value::Sequence(items) => {
            let mut sources = Vec::with_capacity(items.len());
            for item in items {
                match item.value {
                    Value::Mapping(merged) => sources.push(merged),
                    _ => {
                        refused.push((
                            (item.line, item.column),
                            not_a_mapping("an item of the `<<` list"),
                        ));
                        return entries;
                    }
                }
            }
            sources
        }
        _ => {
            refused.push((merge.at, not_a_mapping("the value of `<<`")));
            return entries;
        }
    };
    let explicit: HashMap<String, usize> = entries
        .iter()
        .enumerate()
        .filter_map(|(position, (key, _))| Some((key_text(key)?, position)))
        .collect();
    let mut seen: HashMap<String, Node> = HashMap::new();
    let mut added = Vec::new();
    for (key, value) in sources.into_iter().flatten() {
        let Some(text) = key_text(&key) else { continue };
        let alike = match seen.get(&text) {
            Some(earlier) if *earlier == key => continue, // an earlier merged mapping has it
            Some(earlier) => Some(earlier.clone()),
            None => match explicit.get(&text) {
                Some(&position) if entries[position].0 != key => Some(entries[position].0.clone()),
                _ => None,
            },
        };
        if let Some(other) = alike {
            // `1` and `"1"`: two keys to go-yaml v2, one to kops once keys become strings.
            refused.push((
                (key.line, key.column),
                Refusal {
                    message: format!(
                        "the merge key `<<` (line {}) brings `{}` where `{}` is also set",
                        merge.at.0,
                        key.to_flow_cut(64),
                        other.to_flow_cut(64)
                    ),
                    hint: "kops reads both as the same key and keeps one at random: write the keys alike".to_owned(),
                },
            ));
            continue;
        }
        seen.insert(text.clone(), key.clone());
        match explicit.get(&text) {
            Some(&position) if position < merge.index => {
                let written = &entries[position].0;
                refused.push((
                    (written.line, written.column),
                    Refusal {
                        message: format!(
                            "`{}` is written before the merge key `<<` (line {}) that also sets it",
                            written.to_flow_cut(64),
                            merge.at.0
                        ),
                        hint: "kops (go-yaml v2) would take the merged value, YAML the written one: put `<<` first in the mapping, or remove one of the two".to_owned(),
                    },
                ));
            }
            Some(_) => {} // written after `<<`: it wins
            None => added.push((key, value)),
        }
    }
    let mut entries = entries;
    let tail = entries.split_off(merge.index);
    entries.extend(added);
    entries.extend(tail);
    entries
}

fn not_a_mapping(what: &str) -> Refusal {
    Refusal {
        message: format!("{what} is not a mapping"),
        hint: "merge only mappings: `<<: *base` or `<<: [*a, *b]` with anchors of mappings"
            .to_owned(),
    }
}
