//! Parser for the `kops update cluster` dry-run report (no `--yes`), as written to stdout by
//! `DryRunTarget.PrintReport` plus the closing line (`KOPS.md` §1), and normalisation of the
//! randomly ordered map values kops prints.
//!
//! Layout (identical from kops 1.9 to master):
//!
//! ```text
//! Will create resources:
//!   <TaskType>/<name>
//!   \t<Field %-20s>\t<value>
//!
//! Will modify resources:
//!   <TaskType>/<name>
//!   \t<Field %-20s>\t <actual> -> <expected>
//!   \t<Field %-20s>                               (multi-line Resource diff header)
//!   \t<20 spaces>\t<diff line>                    (one per diff line)
//!
//! Will delete items:                              (kops <= 1.28; 1.29+ has two headers)
//!   <TaskName %-20s> <item>
//! Must specify --yes to apply changes             (or: No changes need to be applied)
//! ```

use super::{is_klog_line, ReportError};

/// Closing line when the dry-run found changes.
pub const CLOSING_PENDING: &str = "Must specify --yes to apply changes";
/// Closing line when there is nothing to do.
pub const CLOSING_CLEAN: &str = "No changes need to be applied";

const HEADER_CREATE: &str = "Will create resources:";
const HEADER_MODIFY: &str = "Will modify resources:";
const HEADER_PREVIEW: &str = "Previewing changes that will be made:";
const CONSISTENCY_ERROR: &str = "internal consistency error!";

/// Everything a dry-run said it would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateReport {
    /// Tasks whose cloud object does not exist yet (`Will create resources:`), in kops order
    /// (sorted by `Type/name`).
    pub creates: Vec<TaskChange>,
    /// Tasks whose cloud object differs (`Will modify resources:`).
    pub modifies: Vec<TaskChange>,
    /// Items kops would delete, from any of the deletion sections.
    pub deletions: Vec<Deletion>,
    /// kops would change something. Taken from the closing line when present (it is the
    /// authority); otherwise "any create, modify or delete".
    pub changes_pending: bool,
    /// Whether one of the two closing lines was seen. `false` means the output was cut short or
    /// (old docs) pasted without it; `changes_pending` was then inferred from the sections.
    pub closing_line_seen: bool,
    /// Text of the `****…`-framed banners (new kops/kubernetes version, anonymousAuth, …) and any
    /// other unrecognised text outside the report sections, one entry per banner/line.
    pub notices: Vec<String>,
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

    fn from_header(line: &str) -> Option<Self> {
        [
            DeletionSection::WillDelete,
            DeletionSection::OnlyWithPrune,
            DeletionSection::DuringUpdate,
        ]
        .into_iter()
        .find(|s| s.header() == line)
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
    /// order, `KOPS.md` §1.2), tasks sorted by `Kind/name`, deletions sorted.
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
            deletions,
            changes_pending: self.changes_pending,
            closing_line_seen: self.closing_line_seen,
            notices: self.notices.clone(),
        }
    }
}

/// Sort the entries of Go-formatted maps (`{k: v, k2: v2}`) inside a kops value, recursively
/// (also inside slices `[…]`, whose element order is kept). Values that are not a balanced
/// `{…}`/`[…]` are returned unchanged. Entries are split on `", "` outside brackets and quotes;
/// if a map value itself contains `", "` the fragments are still sorted deterministically, so two
/// prints of the same map always normalise equal.
pub fn normalize_value(value: &str) -> String {
    if let Some(inner) = value.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        if let Some(parts) = split_top_level(inner) {
            let mut parts: Vec<String> = parts.into_iter().map(normalize_entry).collect();
            parts.sort();
            return format!("{{{}}}", parts.join(", "));
        }
    }
    if let Some(inner) = value.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        if let Some(parts) = split_top_level(inner) {
            let parts: Vec<String> = parts.into_iter().map(normalize_value).collect();
            return format!("[{}]", parts.join(", "));
        }
    }
    value.to_string()
}

fn normalize_entry(entry: &str) -> String {
    match entry.split_once(": ") {
        Some((k, v)) => format!("{k}: {}", normalize_value(v)),
        None => normalize_value(entry),
    }
}

/// Split on `", "` at bracket depth 0 (outside `"…"`); `None` if brackets are unbalanced.
fn split_top_level(inner: &str) -> Option<Vec<&str>> {
    if inner.is_empty() {
        return Some(Vec::new());
    }
    let bytes = inner.as_bytes();
    let mut parts = Vec::new();
    let mut depth: i32 = 0;
    let mut in_str = false;
    let mut escaped = false;
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'{' | b'[' | b'(' => depth += 1,
                b'}' | b']' | b')' => {
                    depth -= 1;
                    if depth < 0 {
                        return None;
                    }
                }
                b',' if depth == 0 && bytes.get(i + 1) == Some(&b' ') => {
                    parts.push(&inner[start..i]);
                    start = i + 2;
                    i += 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    if depth != 0 || in_str {
        return None;
    }
    parts.push(&inner[start..]);
    Some(parts)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Outside,
    Create,
    Modify,
    Delete(DeletionSection),
}

impl Section {
    fn describe(self) -> &'static str {
        match self {
            Section::Outside => "outside the report",
            Section::Create => "in `Will create resources:`",
            Section::Modify => "in `Will modify resources:`",
            Section::Delete(_) => "in a deletion section",
        }
    }
}

fn is_starline(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 20 && t.bytes().all(|b| b == b'*')
}

/// `  Kind/name` → (kind, name). Kind is a Go identifier.
fn parse_task_header(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("  ")?;
    if rest.starts_with([' ', '\t']) {
        return None;
    }
    let (kind, name) = rest.split_once('/')?;
    let ident = !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    (ident && !name.trim().is_empty()).then_some((kind, name.trim_end()))
}

/// ` <old> -> <new>` → (old, new). Picks the first ` -> ` whose left side has balanced brackets.
fn split_old_new(value: &str) -> Option<(&str, &str)> {
    let v = value.strip_prefix(' ')?;
    let mut candidate = None;
    let mut search = 0;
    while let Some(pos) = v[search..].find(" -> ") {
        let at = search + pos;
        let left = &v[..at];
        if candidate.is_none() {
            candidate = Some(at);
        }
        let balanced = left.matches(['{', '[']).count() == left.matches(['}', ']']).count();
        if balanced {
            candidate = Some(at);
            break;
        }
        search = at + 1;
    }
    if let Some(at) = candidate {
        return Some((&v[..at], &v[at + 4..]));
    }
    // An empty <expected> leaves "old ->" once trailing spaces are stripped.
    v.strip_suffix(" ->").map(|old| (old, ""))
}

struct Parser {
    report: UpdateReport,
    section: Section,
    /// The task being filled, and whether it belongs to the create section.
    task: Option<(bool, TaskChange)>,
    /// The last field of `task` is a multi-line diff still receiving lines.
    diff_open: bool,
    /// Inside an `internal consistency error!` block.
    in_consistency: bool,
    /// Previous line was klog (so an unrecognised top-level line is its continuation).
    after_klog: bool,
    closing: Option<bool>,
    saw_report: bool,
}

impl Parser {
    fn close_diff(&mut self) {
        if self.diff_open {
            if let Some((_, task)) = self.task.as_mut() {
                if let Some(field) = task.fields.last_mut() {
                    while field.diff.len() > 1 && field.diff.last().is_some_and(|l| l.is_empty()) {
                        field.diff.pop();
                    }
                }
            }
        }
        self.diff_open = false;
    }

    fn flush_task(&mut self) {
        self.close_diff();
        self.in_consistency = false;
        if let Some((is_create, task)) = self.task.take() {
            if is_create {
                self.report.creates.push(task);
            } else {
                self.report.modifies.push(task);
            }
        }
    }

    fn top_level(&mut self, n: usize, line: &str) -> Result<(), ReportError> {
        let after_klog = std::mem::replace(&mut self.after_klog, false);
        let trimmed = line.trim_end();
        let new_section = match trimmed {
            HEADER_CREATE => Some(Section::Create),
            HEADER_MODIFY => Some(Section::Modify),
            _ => DeletionSection::from_header(trimmed).map(Section::Delete),
        };
        if let Some(section) = new_section {
            self.flush_task();
            if self.closing.is_some() {
                return Err(ReportError::at(
                    n,
                    "report section after the closing line",
                    line,
                ));
            }
            self.section = section;
            self.saw_report = true;
            return Ok(());
        }
        if trimmed == CLOSING_PENDING || trimmed == CLOSING_CLEAN {
            self.flush_task();
            if self.closing.is_some() {
                return Err(ReportError::at(n, "second closing line", line));
            }
            self.closing = Some(trimmed == CLOSING_PENDING);
            self.section = Section::Outside;
            return Ok(());
        }
        if trimmed == HEADER_PREVIEW {
            return Ok(());
        }
        if self.in_consistency {
            self.push_consistency(line);
            return Ok(());
        }
        if after_klog {
            // Continuation of a multi-line klog message (e.g. `caused by: …`) when stderr was
            // merged into stdout.
            self.after_klog = true;
            return Ok(());
        }
        match self.section {
            Section::Outside => {
                self.report.notices.push(trimmed.to_string());
                Ok(())
            }
            s => Err(ReportError::at(
                n,
                format!("unexpected line {}", s.describe()),
                line,
            )),
        }
    }

    fn push_consistency(&mut self, line: &str) {
        if let Some((_, task)) = self.task.as_mut() {
            task.consistency_error.push(line.trim().to_string());
        }
    }

    fn task_line(&mut self, n: usize, line: &str, is_create: bool) -> Result<(), ReportError> {
        if let Some(rest) = line.strip_prefix("  \t") {
            self.in_consistency = false;
            let Some((_, task)) = self.task.as_mut() else {
                return Err(ReportError::at(n, "field line outside a task", line));
            };
            match rest.split_once('\t') {
                Some((name, value)) if name.trim().is_empty() => {
                    // Continuation line of a multi-line diff.
                    let field = task.fields.last_mut().filter(|_| self.diff_open);
                    let Some(field) = field else {
                        return Err(ReportError::at(
                            n,
                            "diff line without a field header above it",
                            line,
                        ));
                    };
                    field.diff.push(value.to_string());
                    Ok(())
                }
                Some((name, value)) => {
                    let field = name.trim_end().to_string();
                    let change = if is_create {
                        FieldChange {
                            field,
                            old: None,
                            new: value.to_string(),
                            diff: Vec::new(),
                        }
                    } else {
                        let Some((old, new)) = split_old_new(value) else {
                            return Err(ReportError::at(
                                n,
                                "modified field without ` <old> -> <new>`",
                                line,
                            ));
                        };
                        FieldChange {
                            field,
                            old: Some(old.to_string()),
                            new: new.to_string(),
                            diff: Vec::new(),
                        }
                    };
                    self.close_diff();
                    if let Some((_, task)) = self.task.as_mut() {
                        task.fields.push(change);
                    }
                    Ok(())
                }
                None => {
                    // Header of a multi-line (Resource) diff: `  \t<Field %-20s>`.
                    let field = rest.trim_end();
                    if field.is_empty() {
                        return Err(ReportError::at(n, "empty field line", line));
                    }
                    self.close_diff();
                    if let Some((_, task)) = self.task.as_mut() {
                        task.fields.push(FieldChange {
                            field: field.to_string(),
                            old: None,
                            new: String::new(),
                            diff: Vec::new(),
                        });
                    }
                    self.diff_open = true;
                    Ok(())
                }
            }
        } else if let Some((kind, name)) = parse_task_header(line) {
            self.flush_task();
            self.task = Some((
                is_create,
                TaskChange {
                    kind: kind.to_string(),
                    name: name.to_string(),
                    fields: Vec::new(),
                    consistency_error: Vec::new(),
                },
            ));
            Ok(())
        } else if line.trim() == CONSISTENCY_ERROR && self.task.is_some() {
            self.close_diff();
            self.in_consistency = true;
            self.push_consistency(line);
            Ok(())
        } else if self.in_consistency {
            self.push_consistency(line);
            Ok(())
        } else {
            Err(ReportError::at(
                n,
                format!(
                    "expected `  Kind/name` or a field line {}",
                    self.section.describe()
                ),
                line,
            ))
        }
    }

    fn deletion_line(
        &mut self,
        n: usize,
        line: &str,
        section: DeletionSection,
    ) -> Result<(), ReportError> {
        let rest = line
            .strip_prefix("  ")
            .filter(|r| !r.starts_with([' ', '\t']))
            .ok_or_else(|| ReportError::at(n, "expected `  <TaskName> <item>`", line))?;
        let (task, item) = rest.split_once(' ').unwrap_or((rest, ""));
        self.report.deletions.push(Deletion {
            section,
            task: task.to_string(),
            item: item.trim().to_string(),
        });
        Ok(())
    }

    fn line(&mut self, n: usize, line: &str) -> Result<(), ReportError> {
        if is_klog_line(line) {
            self.after_klog = true;
            return Ok(());
        }
        let indented = line.starts_with([' ', '\t']);
        let blank = line.trim().is_empty();
        // Diff continuation lines (`  \t<spaces>\t`) trim to empty: check them before blanks.
        let field_like = line.starts_with("  \t");
        if blank && !field_like {
            self.flush_task();
            self.after_klog = false;
            return Ok(());
        }
        if !indented {
            return self.top_level(n, line);
        }
        self.after_klog = false;
        match self.section {
            Section::Create => self.task_line(n, line, true),
            Section::Modify => self.task_line(n, line, false),
            Section::Delete(s) => self.deletion_line(n, line, s),
            Section::Outside => Err(ReportError::at(
                n,
                "indented line outside any report section",
                line,
            )),
        }
    }
}

/// Parse the stdout of `kops update cluster` without `--yes`.
///
/// Tolerates `****`-framed banners (kept in `notices`), `Previewing changes that will be made:`,
/// blank lines, klog lines (if stderr was merged), and `internal consistency error!` blocks.
/// Fails with the line number on anything else inside a report section, on a report section
/// after the closing line, and on output that has neither a report nor a closing line.
pub fn parse_update_dry_run(stdout: &str) -> Result<UpdateReport, ReportError> {
    let mut p = Parser {
        report: UpdateReport::default(),
        section: Section::Outside,
        task: None,
        diff_open: false,
        in_consistency: false,
        after_klog: false,
        closing: None,
        saw_report: false,
    };
    let mut banner: Option<(usize, Vec<String>)> = None;
    for (idx, raw) in stdout.lines().enumerate() {
        let n = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some((_, lines)) = banner.as_mut() {
            if is_starline(line) {
                let text = lines.join("\n");
                if !text.is_empty() {
                    p.report.notices.push(text);
                }
                banner = None;
            } else if !line.trim().is_empty() {
                lines.push(line.trim().to_string());
            }
            continue;
        }
        if is_starline(line) {
            p.flush_task();
            banner = Some((n, Vec::new()));
            continue;
        }
        p.line(n, line)?;
    }
    if let Some((start, _)) = banner {
        return Err(ReportError::at(
            start,
            "banner opened with a `****` line but never closed",
            "*****",
        ));
    }
    p.flush_task();
    let mut report = p.report;
    match p.closing {
        Some(pending) => {
            report.changes_pending = pending;
            report.closing_line_seen = true;
        }
        None if p.saw_report => {
            report.changes_pending = report.has_listed_changes();
            report.closing_line_seen = false;
        }
        None => {
            return Err(ReportError::whole(format!(
            "no dry-run report and no closing line (`{CLOSING_PENDING}` / `{CLOSING_CLEAN}`) found"
        )))
        }
    }
    Ok(report)
}
