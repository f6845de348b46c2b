//! Spec diff: what differs, field by field, between the git spec and the live (production) spec.

use std::fmt;

use serde::Serialize;

/// Which kind of kops object a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ObjectKind {
    Cluster,
    InstanceGroup,
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectKind::Cluster => "Cluster",
            ObjectKind::InstanceGroup => "InstanceGroup",
        })
    }
}

/// One difference between the git spec (new) and the live spec (old).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
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

impl fmt::Display for SpecChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecChange::Modified {
                kind,
                object,
                path,
                old,
                new,
            } => {
                let old = old.as_deref().unwrap_or("(absent)");
                let new = new.as_deref().unwrap_or("(absent)");
                match kind {
                    ObjectKind::Cluster => write!(f, "Cluster {path}: {old} → {new}"),
                    ObjectKind::InstanceGroup => {
                        write!(f, "InstanceGroup {object} {path}: {old} → {new}")
                    }
                }
            }
            SpecChange::Added { kind, object } => write!(f, "+ {kind} {object}"),
            SpecChange::Removed { kind, object } => match kind {
                ObjectKind::InstanceGroup => {
                    write!(f, "- {kind} {object} (kops replace does not delete it)")
                }
                ObjectKind::Cluster => write!(f, "- {kind} {object}"),
            },
        }
    }
}

/// All differences for one cluster, in a stable order: Cluster fields first, then instance
/// groups by name, fields in path order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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
