//! Parser for the `kops update cluster` dry-run report (no `--yes`), as written to stdout by
//! `DryRunTarget.PrintReport` plus the closing line (`docs/KOPS.md` §1), into an [`UpdateReport`].
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
//!
//! Lines in exactly that form are read exactly. Lines indented some other way (kops's tabs
//! expanded to spaces by whatever the output was copied through) are read by their indentation
//! in columns (`layout.rs`): a task header is less indented than its fields, a diff line more.
//! A line that fits neither is kept verbatim as "not parsed" (`report::unparsed`); it never
//! fails the parse. The errors left are listed on [`parse_update_dry_run`].

use super::layout::{
    end_column, from_column, indentation, is_ident, split_old_new, split_old_new_spaced, task_key,
    DIFF_OFFSET, FIELD_WIDTH, TAB_STOP,
};
use super::{Deletion, DeletionSection, FieldChange, TaskChange, UpdateReport};
use crate::report::unparsed::{context_text, Collector, Context};
use crate::report::{is_klog_line, ReportError};

/// Closing line when the dry-run found changes.
pub const CLOSING_PENDING: &str = "Must specify --yes to apply changes";
/// Closing line when there is nothing to do.
pub const CLOSING_CLEAN: &str = "No changes need to be applied";

const HEADER_CREATE: &str = "Will create resources:";
const HEADER_MODIFY: &str = "Will modify resources:";
const HEADER_PREVIEW: &str = "Previewing changes that will be made:";
const CONSISTENCY_ERROR: &str = "internal consistency error!";

/// The deletion section a header line opens.
fn deletion_section(line: &str) -> Option<DeletionSection> {
    [
        DeletionSection::WillDelete,
        DeletionSection::OnlyWithPrune,
        DeletionSection::DuringUpdate,
    ]
    .into_iter()
    .find(|s| s.header() == line)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Section {
    #[default]
    Outside,
    Create,
    Modify,
    Delete(DeletionSection),
}

impl Section {
    /// The header line kops prints for the section.
    fn header(self) -> Option<&'static str> {
        match self {
            Section::Outside => None,
            Section::Create => Some(HEADER_CREATE),
            Section::Modify => Some(HEADER_MODIFY),
            Section::Delete(s) => Some(s.header()),
        }
    }
}

/// A `****…` line framing a kops banner (`docs/KOPS.md` §1.5): unindented, 20 or more `*`.
fn is_starline(line: &str) -> bool {
    let t = line.trim_end();
    !line.starts_with([' ', '\t']) && t.len() >= 20 && t.bytes().all(|b| b == b'*')
}

/// Where a line not understood is, from the parser's state. Costs O(1) whatever the length of
/// the task's name (see [`context_text`]).
fn context(section: Section, task: Option<&(bool, TaskChange)>) -> Context {
    let task = task.map(|(_, t)| t);
    Context {
        section: section.header(),
        after_resource: task.map(|t| context_text(&[&t.kind, "/", &t.name])),
        after_field: task
            .and_then(|t| t.fields.last())
            .map(|f| context_text(&[&f.field])),
    }
}

#[derive(Default)]
struct Parser {
    report: UpdateReport,
    section: Section,
    /// The task being filled, and whether it belongs to the create section. A task stays open
    /// until the next task header, section header or closing line.
    task: Option<(bool, TaskChange)>,
    /// Indentation (columns) of the task headers of the current section, once one was seen.
    header_col: Option<usize>,
    /// Indentation (columns) of the current task's field lines, once one was seen.
    field_col: Option<usize>,
    /// The last field of `task` is a multi-line diff still receiving lines.
    diff_open: bool,
    /// Inside an `internal consistency error!` block.
    in_consistency: bool,
    /// Previous line was klog (so an unrecognised top-level line is its continuation).
    after_klog: bool,
    closing: Option<bool>,
    saw_report: bool,
    unparsed: Collector,
}

impl Parser {
    fn not_understood(&mut self, n: usize, line: &str, reason: &str) {
        let (section, task) = (self.section, self.task.as_ref());
        self.unparsed
            .add(n, line, || reason.to_string(), || context(section, task));
    }

    /// Ends the open diff, dropping its trailing empty lines (kops ends every diff with one; a
    /// blank line after it is read into the diff too). A diff of nothing but empty lines becomes
    /// no diff: the field is then an empty value (what a copy with trailing spaces stripped makes
    /// of `CPUCredits          \t`).
    fn close_diff(&mut self) {
        if self.diff_open {
            if let Some(field) = self.last_field() {
                while field.diff.last().is_some_and(|l| l.is_empty()) {
                    field.diff.pop();
                }
            }
        }
        self.diff_open = false;
    }

    fn last_field(&mut self) -> Option<&mut FieldChange> {
        self.task.as_mut().and_then(|(_, t)| t.fields.last_mut())
    }

    fn flush_task(&mut self) {
        self.close_diff();
        self.in_consistency = false;
        self.field_col = None;
        if let Some((is_create, task)) = self.task.take() {
            if is_create {
                self.report.creates.push(task);
            } else {
                self.report.modifies.push(task);
            }
        }
    }

    fn push_field(&mut self, change: FieldChange, col: usize, diff: bool) {
        self.close_diff();
        if let Some((_, task)) = self.task.as_mut() {
            task.fields.push(change);
        }
        self.field_col = Some(col);
        self.diff_open = diff;
        self.unparsed.understood();
    }

    fn push_diff(&mut self, text: String) {
        if let Some(field) = self.last_field() {
            field.diff.push(text);
        }
        self.unparsed.understood();
    }

    fn push_consistency(&mut self, line: &str) {
        if let Some((_, task)) = self.task.as_mut() {
            task.consistency_error.push(line.trim().to_string());
        }
        self.unparsed.understood();
    }

    /// Column where the text of a diff line starts, for the open task.
    fn diff_col(&self) -> usize {
        self.field_col.unwrap_or(TAB_STOP) + DIFF_OFFSET
    }

    fn top_level(&mut self, n: usize, line: &str) -> Result<(), ReportError> {
        let after_klog = std::mem::replace(&mut self.after_klog, false);
        let trimmed = line.trim_end();
        let new_section = match trimmed {
            HEADER_CREATE => Some(Section::Create),
            HEADER_MODIFY => Some(Section::Modify),
            _ => deletion_section(trimmed).map(Section::Delete),
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
            self.header_col = None;
            self.saw_report = true;
            self.unparsed.understood();
            return Ok(());
        }
        if trimmed == CLOSING_PENDING || trimmed == CLOSING_CLEAN {
            self.flush_task();
            let pending = trimmed == CLOSING_PENDING;
            match self.closing {
                Some(first) if first == pending => {
                    return Err(ReportError::at(n, "second closing line", line))
                }
                Some(_) => {
                    return Err(ReportError::at(
                        n,
                        format!("both closing lines (`{CLOSING_PENDING}` and `{CLOSING_CLEAN}`)"),
                        line,
                    ))
                }
                None => {}
            }
            self.closing = Some(pending);
            self.section = Section::Outside;
            self.unparsed.understood();
            return Ok(());
        }
        if trimmed == HEADER_PREVIEW {
            self.unparsed.understood();
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
                self.unparsed.understood();
            }
            _ => self.not_understood(n, line, "unindented line inside a report section"),
        }
        Ok(())
    }

    fn task_line(&mut self, n: usize, line: &str, is_create: bool) {
        if let Some(rest) = line.strip_prefix("  \t") {
            return self.tab_field_line(n, line, rest, is_create);
        }
        let (indent, content) = indentation(line);
        if let Some((kind, name)) = task_key(content) {
            if self.header_col.is_none_or(|h| indent <= h) {
                self.flush_task();
                self.header_col = Some(indent);
                self.task = Some((
                    is_create,
                    TaskChange {
                        kind: kind.to_string(),
                        name: name.to_string(),
                        fields: Vec::new(),
                        consistency_error: Vec::new(),
                    },
                ));
                self.unparsed.understood();
                return;
            }
        }
        if content.trim_end() == CONSISTENCY_ERROR && self.task.is_some() {
            self.close_diff();
            self.in_consistency = true;
            self.push_consistency(line);
            return;
        }
        if self.in_consistency {
            self.push_consistency(line);
            return;
        }
        if self.task.is_none() {
            return self.not_understood(n, line, "field line outside a task");
        }
        if self.header_col.is_some_and(|h| indent <= h) {
            return self.not_understood(n, line, "indented like a task header but not `Kind/name`");
        }
        if self.diff_open && self.field_col.is_some_and(|f| indent > f) {
            let text = from_column(line, self.diff_col()).unwrap_or_else(|| content.to_string());
            return self.push_diff(text);
        }
        self.spaced_field_line(n, line, indent, content, is_create);
    }

    /// A field line in kops's own form, `  \t…`.
    fn tab_field_line(&mut self, n: usize, line: &str, rest: &str, is_create: bool) {
        self.in_consistency = false;
        if self.task.is_none() {
            return self.not_understood(n, line, "field line outside a task");
        }
        match rest.split_once('\t') {
            Some((name, value)) if name.trim().is_empty() => {
                // Continuation line of a multi-line diff.
                if !self.diff_open {
                    return self.not_understood(
                        n,
                        line,
                        "diff line without a field header above it",
                    );
                }
                self.push_diff(value.to_string());
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
                        return self.not_understood(
                            n,
                            line,
                            "modified field without ` <old> -> <new>`",
                        );
                    };
                    FieldChange {
                        field,
                        old: Some(old.to_string()),
                        new: new.to_string(),
                        diff: Vec::new(),
                    }
                };
                self.push_field(change, TAB_STOP, false);
            }
            None => {
                // Header of a multi-line (Resource) diff: `  \t<Field %-20s>`.
                let field = rest.trim_end();
                if field.is_empty() {
                    return self.not_understood(n, line, "empty field line");
                }
                self.push_field(diff_header(field), TAB_STOP, true);
            }
        }
    }

    /// A field line indented some other way: `<Field><spaces><value>` at column `indent`.
    fn spaced_field_line(
        &mut self,
        n: usize,
        line: &str,
        indent: usize,
        content: &str,
        is_create: bool,
    ) {
        let name_end = content.find([' ', '\t']).unwrap_or(content.len());
        let (field, after) = content.split_at(name_end);
        if !is_ident(field) {
            return self.not_understood(n, line, "expected `Kind/name` or a field line");
        }
        let value = after.trim_start_matches([' ', '\t']);
        // No value: a diff header (`%-20s` and nothing after), unless the padding is followed by
        // the separator kops prints before an empty value (`CPUCredits          \t`).
        if value.is_empty() && end_column(line) <= indent + field.len().max(FIELD_WIDTH) {
            return self.push_field(diff_header(field), indent, true);
        }
        let change = if is_create {
            FieldChange {
                field: field.to_string(),
                old: None,
                new: value.to_string(),
                diff: Vec::new(),
            }
        } else {
            let Some((old, new)) = split_old_new_spaced(value) else {
                return self.not_understood(n, line, "modified field without `<old> -> <new>`");
            };
            FieldChange {
                field: field.to_string(),
                old: Some(old.to_string()),
                new: new.to_string(),
                diff: Vec::new(),
            }
        };
        self.push_field(change, indent, false);
    }

    /// A whitespace-only line while a diff is open: an empty (or blank context) diff line.
    fn diff_blank(&mut self, line: &str) {
        let text = match line.strip_prefix("  \t").and_then(|r| r.split_once('\t')) {
            Some((name, value)) if name.trim().is_empty() => value.to_string(),
            _ => from_column(line, self.diff_col()).unwrap_or_default(),
        };
        self.push_diff(text);
    }

    fn deletion_line(&mut self, line: &str, section: DeletionSection) {
        let content = line.trim_start_matches([' ', '\t']);
        let (task, item) = content.split_once([' ', '\t']).unwrap_or((content, ""));
        self.report.deletions.push(Deletion {
            section,
            task: task.to_string(),
            item: item.trim().to_string(),
        });
        self.unparsed.understood();
    }

    fn line(&mut self, n: usize, line: &str) -> Result<(), ReportError> {
        if is_klog_line(line) {
            self.after_klog = true;
            return Ok(());
        }
        if line.trim().is_empty() {
            self.after_klog = false;
            self.in_consistency = false;
            if self.diff_open {
                self.diff_blank(line);
            } else {
                self.unparsed.blank(line);
            }
            return Ok(());
        }
        if !line.starts_with([' ', '\t']) {
            return self.top_level(n, line);
        }
        self.after_klog = false;
        match self.section {
            Section::Create => self.task_line(n, line, true),
            Section::Modify => self.task_line(n, line, false),
            Section::Delete(s) => self.deletion_line(line, s),
            Section::Outside => {
                self.not_understood(n, line, "indented line outside any report section")
            }
        }
        Ok(())
    }
}

/// The field a multi-line diff header opens.
fn diff_header(field: &str) -> FieldChange {
    FieldChange {
        field: field.to_string(),
        old: None,
        new: String::new(),
        diff: Vec::new(),
    }
}

/// Parse the stdout of `kops update cluster` without `--yes`.
///
/// Reads `****`-framed banners (kept in `notices`), `Previewing changes that will be made:`,
/// blank lines, klog lines (if stderr was merged), `internal consistency error!` blocks, and
/// report lines whose tabs were expanded to spaces. Any other line is kept verbatim in
/// `unparsed`, with a warning, and changes nothing else: `changes_pending` comes from the closing
/// line. Work and memory are linear in the size of the input.
///
/// Errors only on output that contradicts itself or is no dry-run at all:
/// * a second closing line (the same one twice, or both `Must specify --yes…` and `No changes…`):
///   one kops run prints exactly one, so two reports were mixed and neither verdict is sure;
/// * a report section after the closing line (same reason);
/// * neither a report section nor a closing line: not the output of a dry-run (e.g. the output
///   of `--yes`, or nothing).
///
/// A report without its closing line (cut short, or pasted from old docs) is accepted with
/// `closing_line_seen: false`; `changes_pending` is then true when the report lists a change or
/// has lines not understood inside a section.
pub fn parse_update_dry_run(stdout: &str) -> Result<UpdateReport, ReportError> {
    let mut p = Parser::default();
    // Lines since a star line that opened a banner (the star line first).
    let mut banner: Option<Vec<(usize, &str)>> = None;
    for (idx, raw) in stdout.lines().enumerate() {
        let n = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(held) = banner.as_mut() {
            if is_starline(line) {
                let text: Vec<&str> = held[1..]
                    .iter()
                    .map(|(_, l)| l.trim())
                    .filter(|l| !l.is_empty())
                    .collect();
                if !text.is_empty() {
                    p.report.notices.push(text.join("\n"));
                }
                banner = None;
            } else {
                held.push((n, line));
            }
            continue;
        }
        if is_starline(line) && p.section == Section::Outside {
            p.unparsed.understood();
            banner = Some(vec![(n, line)]);
            continue;
        }
        p.line(n, line)?;
    }
    if let Some(held) = banner {
        // Never closed: it was no banner. Read its lines like any others.
        for (n, line) in held {
            p.line(n, line)?;
        }
    }
    p.flush_task();
    let unparsed_in_section = p.unparsed.any_in_section();
    let (blocks, mut warnings) = p.unparsed.finish();
    let mut report = p.report;
    let (ignored, modifies) = std::mem::take(&mut report.modifies)
        .into_iter()
        .partition(super::only_server_set_fields);
    report.modifies = modifies;
    report.ignored = ignored;
    // kops closes with `Must specify --yes` for the ignored tasks too: when they were all it
    // listed, nothing is pending.
    let only_ignored =
        !report.ignored.is_empty() && !report.has_listed_changes() && !unparsed_in_section;
    match p.closing {
        Some(pending) => {
            report.changes_pending = pending && !only_ignored;
            report.closing_line_seen = true;
            if !pending && report.has_listed_changes() {
                warnings.push(format!(
                    "kops closed with `{CLOSING_CLEAN}` although the report lists {} \
                     change(s); kops's closing line decides",
                    report.creates.len() + report.modifies.len() + report.deletions.len()
                ));
            }
        }
        None if p.saw_report => {
            report.changes_pending = report.has_listed_changes() || unparsed_in_section;
            report.closing_line_seen = false;
        }
        None => {
            return Err(ReportError::whole(format!(
            "no dry-run report and no closing line (`{CLOSING_PENDING}` / `{CLOSING_CLEAN}`) found"
        )))
        }
    }
    report.unparsed = blocks;
    report.warnings = warnings;
    Ok(report)
}
