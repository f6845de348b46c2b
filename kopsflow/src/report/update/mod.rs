//! The `kops update cluster` dry-run report as data: [`UpdateReport`] and its parts (tasks to
//! create or modify, their fields, items to delete, text not understood), and normalisation of
//! the randomly ordered Go map values kops prints (`docs/KOPS.md` §1.2, `normalize.rs`). kops's text
//! is read into it by [`parse_update_dry_run`] (`parse.rs`, with the line shapes in
//! `layout.rs`).

mod layout;
mod normalize;
mod parse;

pub use normalize::{
    normalize_value, only_server_set_fields, COMPLETED_SPEC, MAX_NORMALIZE_DEPTH,
    SERVER_SET_METADATA,
};
pub use parse::{parse_update_dry_run, CLOSING_CLEAN, CLOSING_PENDING};

use super::unparsed::UnparsedBlock;

/// Everything a dry-run said it would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateReport {
    /// Tasks whose cloud object does not exist yet (`Will create resources:`), in kops order
    /// (sorted by `Type/name`).
    pub creates: Vec<TaskChange>,
    /// Tasks whose cloud object differs (`Will modify resources:`).
    pub modifies: Vec<TaskChange>,
    /// Modified tasks kops listed that change nothing but a server-set field, left out of
    /// `modifies` and of `changes_pending`: `ManagedFile/cluster-completed.spec` differing only
    /// by `metadata.creationTimestamp` ([`only_server_set_fields`]).
    pub ignored: Vec<TaskChange>,
    /// Items kops would delete, from any of the deletion sections.
    pub deletions: Vec<Deletion>,
    /// kops would change something. Taken from the closing line when present (it is the
    /// authority); otherwise "any create, modify or delete, or any line not understood inside a
    /// report section".
    pub changes_pending: bool,
    /// Whether one of the two closing lines was seen. `false` means the output was cut short or
    /// (old docs) pasted without it; `changes_pending` was then inferred from the sections.
    pub closing_line_seen: bool,
    /// Text of the `****…`-framed banners (new kops/kubernetes version, anonymousAuth, …) and any
    /// other unrecognised text outside the report sections, one entry per banner/line.
    pub notices: Vec<String>,
    /// Lines kopsflow did not understand, kept verbatim in blocks (see [`UnparsedBlock`]).
    /// They count neither as creates, modifies nor deletions; `changes_pending` still comes from
    /// the closing line.
    pub unparsed: Vec<UnparsedBlock>,
    /// What a reader should know about this parse: first one line per [`UnparsedBlock`], in
    /// the same order ([`UnparsedBlock::warning`]), then any other (a note when the closing line
    /// says "no changes" although the report lists some). Never contains text of the report's
    /// values.
    pub warnings: Vec<String>,
}

/// One task in the create or modify section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskChange {
    /// Go task type, e.g. `AutoscalingGroup`, `LaunchTemplate`, `ManagedFile`.
    pub kind: String,
    /// Task name, e.g. `nodes-us-east-1a.demo1.k8s.local` (may contain `/` or `:`).
    pub name: String,
    /// Fields in kops order.
    pub fields: Vec<FieldChange>,
    /// Lines of an `internal consistency error!` block printed under this task (rare; the
    /// task then has no fields). Empty normally.
    pub consistency_error: Vec<String>,
}

/// One field of a task.
///
/// * create: `old` is `None`, `new` is the value, `diff` is empty;
/// * modify, single line (`MaxSize 1 -> 3`): `old` = `Some("1")`, `new` = `"3"`;
/// * modify, multi-line Resource (`UserData`, `PolicyDocument`, `Contents` …): `old` is `None`,
///   `new` is empty and `diff` holds the diff lines with their `+ ` / `- ` / `  ` prefixes
///   (and `...` for skipped regions). The empty line kops prints after every diff is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: String,
    pub diff: Vec<String>,
}

/// Which deletion header an item was listed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeletionSection {
    /// `Will delete items:` (kops <= 1.28): deleted by `update --yes`.
    WillDelete,
    /// `Items will be deleted only when the --prune flag is specified:` (kops 1.29+).
    OnlyWithPrune,
    /// `Items will be deleted during update:` (kops 1.29+).
    DuringUpdate,
}

impl DeletionSection {
    /// The exact header line kops prints.
    pub fn header(self) -> &'static str {
        match self {
            DeletionSection::WillDelete => "Will delete items:",
            DeletionSection::OnlyWithPrune => {
                "Items will be deleted only when the --prune flag is specified:"
            }
            DeletionSection::DuringUpdate => "Items will be deleted during update:",
        }
    }

    /// Whether `kops update cluster --yes` (without `--prune`) deletes the item.
    pub fn deleted_by_plain_update(self) -> bool {
        !matches!(self, DeletionSection::OnlyWithPrune)
    }
}

/// One line of a deletion section: `  <TaskName %-20s> <item>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deletion {
    pub section: DeletionSection,
    /// Deletion task name, e.g. `SecurityGroupRule`.
    pub task: String,
    /// kops's description of the item (free text, may contain spaces).
    pub item: String,
}

impl TaskChange {
    /// `Kind/name`, as kops prints it.
    pub fn resource(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

impl FieldChange {
    /// A multi-line Resource diff (see the type docs).
    pub fn is_diff(&self) -> bool {
        !self.diff.is_empty()
    }

    /// `new` with `{k: v, …}` map entries sorted (see [`normalize_value`]).
    pub fn normalized_value(&self) -> String {
        normalize_value(&self.new)
    }

    /// This field with `old` and `new` normalised (see [`normalize_value`]).
    pub fn normalized(&self) -> FieldChange {
        FieldChange {
            field: self.field.clone(),
            old: self.old.as_deref().map(normalize_value),
            new: normalize_value(&self.new),
            diff: self.diff.clone(),
        }
    }
}

impl UpdateReport {
    pub fn create_count(&self) -> usize {
        self.creates.len()
    }

    pub fn modify_count(&self) -> usize {
        self.modifies.len()
    }

    pub fn delete_count(&self) -> usize {
        self.deletions.len()
    }

    /// Any create, modify or delete listed (independent of the closing line).
    pub fn has_listed_changes(&self) -> bool {
        !(self.creates.is_empty() && self.modifies.is_empty() && self.deletions.is_empty())
    }

    /// Number of lines kept verbatim because they were not understood.
    pub fn unparsed_line_count(&self) -> usize {
        self.unparsed.iter().map(|b| b.lines.len()).sum()
    }

    /// The warnings that are not about an [`UnparsedBlock`] (those follow the blocks' own).
    pub fn other_warnings(&self) -> &[String] {
        self.warnings.get(self.unparsed.len()..).unwrap_or_default()
    }

    /// `Kind/name` of every created, then every modified task, e.g.
    /// `AutoscalingGroup/nodes-us-east-1a.demo1.k8s.local`. Deletions are in `deletions`
    /// (they have no task key, only a task name and a free-text item).
    pub fn resources(&self) -> Vec<String> {
        self.creates
            .iter()
            .chain(&self.modifies)
            .map(TaskChange::resource)
            .collect()
    }

    /// A copy that compares equal across runs: map values sorted (kops prints Go maps in random
    /// order, `docs/KOPS.md` §1.2), tasks sorted by `Kind/name`, deletions sorted.
    pub fn normalized(&self) -> UpdateReport {
        let norm_tasks = |tasks: &[TaskChange]| {
            let mut out: Vec<TaskChange> = tasks
                .iter()
                .map(|t| TaskChange {
                    kind: t.kind.clone(),
                    name: t.name.clone(),
                    fields: t.fields.iter().map(FieldChange::normalized).collect(),
                    consistency_error: t.consistency_error.clone(),
                })
                .collect();
            out.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
            out
        };
        let mut deletions = self.deletions.clone();
        deletions.sort();
        UpdateReport {
            creates: norm_tasks(&self.creates),
            modifies: norm_tasks(&self.modifies),
            ignored: norm_tasks(&self.ignored),
            deletions,
            changes_pending: self.changes_pending,
            closing_line_seen: self.closing_line_seen,
            notices: self.notices.clone(),
            unparsed: self.unparsed.clone(),
            warnings: self.warnings.clone(),
        }
    }
}
