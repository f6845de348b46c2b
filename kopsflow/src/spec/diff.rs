//! Spec diff: what differs, field by field, between the git spec and the live (production) spec,
//! and the one description of a change ([`SpecChange::describe`]) every report rendering uses.

use std::collections::HashMap;
use std::fmt;

use super::yaml::{join_key, key_text, Node, Value};
use super::ClusterSpec;

/// Which kind of kops object a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ObjectKind {
    Cluster,
    InstanceGroup,
}

impl ObjectKind {
    /// `Cluster` or `InstanceGroup`, the kops `kind:`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Cluster => "Cluster",
            ObjectKind::InstanceGroup => "InstanceGroup",
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference between the git spec (new) and the live spec (old).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecChange {
    /// A field differs. `old`/`new` are the values rendered as compact YAML; `None` = absent.
    Modified {
        kind: ObjectKind,
        /// The object's name (the cluster name for `Cluster`).
        object: String,
        /// Field path such as `spec.kubernetesVersion` or `spec.subnets[0].cidr`.
        path: String,
        old: Option<String>,
        new: Option<String>,
    },
    /// The object is in git but not live (`kops replace --force` creates it).
    Added { kind: ObjectKind, object: String },
    /// The object is live but not in git (`kops replace` never deletes it).
    Removed { kind: ObjectKind, object: String },
}

/// What a [`SpecChange`] did to its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Modified,
    Added,
    Removed,
}

impl ChangeType {
    /// `modified`, `added` or `removed`.
    pub fn word(self) -> &'static str {
        match self {
            ChangeType::Modified => "modified",
            ChangeType::Added => "added",
            ChangeType::Removed => "removed",
        }
    }
}

/// How an absent value (`old`/`new` of `None`) is shown to people.
pub const ABSENT: &str = "(absent)";

/// One [`SpecChange`] as plain strings: the single description the text, markdown and JSON
/// renderings are all built from, so that they cannot disagree about what changed. `Display`
/// is the one-line plain-text form (used by the text report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeDescription<'a> {
    pub change: ChangeType,
    pub kind: ObjectKind,
    /// The object's name (the cluster name for `Cluster`).
    pub object: &'a str,
    /// Field path, for `Modified` only.
    pub path: Option<&'a str>,
    /// Live value as compact YAML; `None` when absent (always `None` unless `Modified`).
    pub old: Option<&'a str>,
    /// Git value as compact YAML; `None` when absent (always `None` unless `Modified`).
    pub new: Option<&'a str>,
}

impl SpecChange {
    /// This change as display strings (see [`ChangeDescription`]).
    pub fn describe(&self) -> ChangeDescription<'_> {
        match self {
            SpecChange::Modified {
                kind,
                object,
                path,
                old,
                new,
            } => ChangeDescription {
                change: ChangeType::Modified,
                kind: *kind,
                object,
                path: Some(path),
                old: old.as_deref(),
                new: new.as_deref(),
            },
            SpecChange::Added { kind, object } => ChangeDescription {
                change: ChangeType::Added,
                kind: *kind,
                object,
                path: None,
                old: None,
                new: None,
            },
            SpecChange::Removed { kind, object } => ChangeDescription {
                change: ChangeType::Removed,
                kind: *kind,
                object,
                path: None,
                old: None,
                new: None,
            },
        }
    }
}

/// `Cluster spec.x: 1 → 2`, `InstanceGroup nodes spec.maxSize: 1 → 3`, `+ InstanceGroup new`,
/// `- InstanceGroup old (kops replace does not delete it)`.
impl fmt::Display for ChangeDescription<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind;
        let object = self.object;
        match self.change {
            ChangeType::Modified => {
                let path = self.path.unwrap_or_default();
                let old = self.old.unwrap_or(ABSENT);
                let new = self.new.unwrap_or(ABSENT);
                match kind {
                    ObjectKind::Cluster => write!(f, "Cluster {path}: {old} → {new}"),
                    ObjectKind::InstanceGroup => {
                        write!(f, "InstanceGroup {object} {path}: {old} → {new}")
                    }
                }
            }
            ChangeType::Added => write!(f, "+ {kind} {object}"),
            ChangeType::Removed => match kind {
                ObjectKind::InstanceGroup => {
                    write!(f, "- {kind} {object} (kops replace does not delete it)")
                }
                ObjectKind::Cluster => write!(f, "- {kind} {object}"),
            },
        }
    }
}

impl fmt::Display for SpecChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe().fmt(f)
    }
}

/// All differences for one cluster, in a stable order: Cluster fields first, then instance
/// groups by name, fields in path order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecDiff {
    pub changes: Vec<SpecChange>,
}

impl SpecDiff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Instance groups that are live but no longer in git.
    pub fn removed_instance_groups(&self) -> impl Iterator<Item = &str> {
        self.changes.iter().filter_map(|c| match c {
            SpecChange::Removed {
                kind: ObjectKind::InstanceGroup,
                object,
            } => Some(object.as_str()),
            _ => None,
        })
    }
}

impl fmt::Display for SpecDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.changes.is_empty() {
            return writeln!(f, "no spec changes");
        }
        for change in &self.changes {
            writeln!(f, "{change}")?;
        }
        Ok(())
    }
}

/// Values rendered longer than this are split into one change per field.
const MAX_INLINE_VALUE: usize = 80;

/// Field-by-field differences between the git spec (new) and the live spec (old). Both are
/// normalised first (server-set fields dropped, key order ignored). `spec.configBase` absent in
/// git but present live is not a change: kops fills it in on read.
pub fn diff(git: &ClusterSpec, live: &ClusterSpec) -> SpecDiff {
    let git = git.normalized();
    let live = live.normalized();
    let mut changes = Vec::new();

    let mut git_cluster = git.cluster.document.clone();
    if git.cluster.config_base.is_none() {
        if let (Some(spec), Some(live_base)) = (
            git_cluster.get_mut("spec"),
            live.cluster.document.get_path(&["spec", "configBase"]),
        ) {
            spec.remove("configBase");
            spec.insert("configBase", live_base.clone());
        }
    }
    let mut cluster_changes = FieldChanges {
        kind: ObjectKind::Cluster,
        object: git.cluster.name.clone(),
        changes: &mut changes,
    };
    cluster_changes.compare("", Some(&live.cluster.document), Some(&git_cluster));

    let mut names: Vec<&str> = git
        .instance_group_names()
        .into_iter()
        .chain(live.instance_group_names())
        .collect();
    names.sort_unstable();
    names.dedup();
    let by_name = |spec: &ClusterSpec| -> HashMap<String, usize> {
        spec.instance_groups
            .iter()
            .enumerate()
            .map(|(i, ig)| (ig.name.clone(), i))
            .collect()
    };
    let (git_index, live_index) = (by_name(&git), by_name(&live));
    for name in names {
        let object = name.to_owned();
        let git_ig = git_index.get(name).map(|&i| &git.instance_groups[i]);
        let live_ig = live_index.get(name).map(|&i| &live.instance_groups[i]);
        match (git_ig, live_ig) {
            (Some(_), None) => changes.push(SpecChange::Added {
                kind: ObjectKind::InstanceGroup,
                object,
            }),
            (None, Some(_)) => changes.push(SpecChange::Removed {
                kind: ObjectKind::InstanceGroup,
                object,
            }),
            (Some(new), Some(old)) => FieldChanges {
                kind: ObjectKind::InstanceGroup,
                object,
                changes: &mut changes,
            }
            .compare("", Some(&old.document), Some(&new.document)),
            (None, None) => {}
        }
    }
    SpecDiff { changes }
}

struct FieldChanges<'a> {
    kind: ObjectKind,
    object: String,
    changes: &'a mut Vec<SpecChange>,
}

fn is_scalar(node: &Node) -> bool {
    matches!(node.value, Value::Scalar(_))
}

/// A mapping's entries by key text as kops reads keys (`1` and `"1"` alike; complex keys in flow
/// form), built once per comparison so that looking up every key stays linear. Keys that read
/// alike are refused when a spec is read; a tree built otherwise keeps every entry of such a
/// key, in order, so none of them can hide a change.
fn entries(node: Option<&Node>) -> HashMap<String, Vec<&Node>> {
    let mut entries: HashMap<String, Vec<&Node>> = HashMap::new();
    for (key, value) in node.and_then(Node::as_mapping).into_iter().flatten() {
        let text = key_text(key).unwrap_or_else(|| key.to_flow());
        entries.entry(text).or_default().push(value);
    }
    entries
}

impl FieldChanges<'_> {
    fn push(&mut self, path: &str, old: Option<&Node>, new: Option<&Node>) {
        self.changes.push(SpecChange::Modified {
            kind: self.kind,
            object: self.object.clone(),
            path: path.to_owned(),
            old: old.map(Node::to_flow),
            new: new.map(Node::to_flow),
        });
    }

    /// Compare two values at `path`, recursing into mappings (keys sorted) and into lists of
    /// objects (by index); lists of scalars and scalars are compared as one value.
    fn compare(&mut self, path: &str, old: Option<&Node>, new: Option<&Node>) {
        if old == new {
            return;
        }
        let is_mapping = |n: Option<&Node>| n.is_some_and(|n| n.as_mapping().is_some());
        let both_mappings = is_mapping(old) && is_mapping(new);
        // A whole object added or removed: one line if it is short, else one line per field.
        let one_side_long_mapping = [old, new].iter().any(|n| is_mapping(*n))
            && (old.is_none() || new.is_none())
            && old
                .or(new)
                .is_some_and(|n| n.to_flow().len() > MAX_INLINE_VALUE);
        if both_mappings || one_side_long_mapping {
            let (old_entries, new_entries) = (entries(old), entries(new));
            let mut keys: Vec<&String> = old_entries.keys().chain(new_entries.keys()).collect();
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                let none = Vec::new();
                let old_values = old_entries.get(key).unwrap_or(&none);
                let new_values = new_entries.get(key).unwrap_or(&none);
                for index in 0..old_values.len().max(new_values.len()) {
                    let mut field = join_key(path, key);
                    if index > 0 {
                        field.push_str(&format!(" (entry {} of that key)", index + 1));
                    }
                    let (old, new) = (old_values.get(index), new_values.get(index));
                    self.compare(&field, old.copied(), new.copied());
                }
            }
            return;
        }
        if let (Some(old_items), Some(new_items)) = (
            old.and_then(Node::as_sequence),
            new.and_then(Node::as_sequence),
        ) {
            let all_scalars = old_items.iter().chain(new_items).all(is_scalar);
            if !all_scalars {
                for index in 0..old_items.len().max(new_items.len()) {
                    self.compare(
                        &format!("{path}[{index}]"),
                        old_items.get(index),
                        new_items.get(index),
                    );
                }
                return;
            }
        }
        self.push(path, old, new);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Scalar;

    /// `{1: a, "1": b}` built in code (a spec file with it is refused): a change to either entry
    /// is shown, none hides behind the other.
    #[test]
    fn keys_that_read_alike_each_show_their_change() {
        let scalar = |s: Scalar| Node::synthetic(Value::Scalar(s));
        let labels = |a: &str, b: &str| {
            Node::synthetic(Value::Mapping(vec![
                (scalar(Scalar::Int(1)), Node::string(a)),
                (Node::string("1"), Node::string(b)),
            ]))
        };
        let mut changes = Vec::new();
        let mut fields = FieldChanges {
            kind: ObjectKind::Cluster,
            object: "c".into(),
            changes: &mut changes,
        };
        fields.compare("labels", Some(&labels("a", "b")), Some(&labels("x", "b")));
        fields.compare("other", Some(&labels("a", "b")), Some(&labels("a", "z")));
        let shown: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "Cluster labels.1: a → x",
                "Cluster other.1 (entry 2 of that key): b → z"
            ]
        );
    }

    #[test]
    fn described_changes_and_their_text() {
        let modified = SpecChange::Modified {
            kind: ObjectKind::InstanceGroup,
            object: "nodes".into(),
            path: "spec.maxSize".into(),
            old: None,
            new: Some("3".into()),
        };
        let d = modified.describe();
        assert_eq!(
            (
                d.change.word(),
                d.kind.as_str(),
                d.object,
                d.path,
                d.old,
                d.new
            ),
            (
                "modified",
                "InstanceGroup",
                "nodes",
                Some("spec.maxSize"),
                None,
                Some("3")
            )
        );
        assert_eq!(
            modified.to_string(),
            "InstanceGroup nodes spec.maxSize: (absent) → 3"
        );
        let removed = SpecChange::Removed {
            kind: ObjectKind::InstanceGroup,
            object: "old".into(),
        };
        let d = removed.describe();
        assert_eq!(
            (d.change, d.path, d.old, d.new),
            (ChangeType::Removed, None, None, None)
        );
        assert_eq!(
            removed.to_string(),
            "- InstanceGroup old (kops replace does not delete it)"
        );
    }
}
