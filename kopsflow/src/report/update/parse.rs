//! Parser for the `kops update cluster` dry-run report (no `--yes`), as written to stdout by
//! `DryRunTarget.PrintReport` plus the closing line (`KOPS.md` §1), into an [`UpdateReport`].
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

use super::{Deletion, DeletionSection, FieldChange, TaskChange, UpdateReport};
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

/// ` <old> -> <new>` → (old, new): split at the first ` -> ` whose left side has as many closing
/// as opening brackets (`{`/`[`), else at the first ` -> `. One pass over the value (a search per
/// candidate made hostile values quadratic).
fn split_old_new(value: &str) -> Option<(&str, &str)> {
    let v = value.strip_prefix(' ')?;
    let bytes = v.as_bytes();
    let mut open: i64 = 0;
    let mut first = None;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b' ' && bytes[i..].starts_with(b" -> ") {
            if open == 0 {
                return Some((&v[..i], &v[i + 4..]));
            }
            first.get_or_insert(i);
        }
        match b {
            b'{' | b'[' => open += 1,
            b'}' | b']' => open -= 1,
            _ => {}
        }
    }
    if let Some(at) = first {
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
