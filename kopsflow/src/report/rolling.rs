//! Parser for the `kops rolling-update cluster` table (no `--yes`, `docs/KOPS.md` §2) into a
//! [`RollingUpdateReport`]. (What kops writes to stderr when it fails is read by `super::stderr`.)
//!
//! Table layouts: `NAME STATUS NEEDUPDATE READY MIN MAX NODES` (kops <= 1.17) and
//! `NAME STATUS NEEDUPDATE READY MIN TARGET MAX NODES` (1.18+); `--cloudonly` drops `NODES`.
//! Columns are padded with runs of TABs (tabwriter), so rows are split on whitespace. A header or
//! row that does not fit (unknown column, count too large for `u32`, …) is kept verbatim as "not
//! parsed" (`super::unparsed`) instead of failing the report.

use std::fmt;

use super::unparsed::{context_text, Collector, Context, UnparsedBlock};
use super::{is_klog_line, ReportError};

/// Closing line when no group needs an update.
pub const ROLLING_CLEAN: &str = "No rolling-update required.";
/// Closing line when something would be rolled (without `--yes`).
pub const ROLLING_PENDING: &str = "Must specify --yes to rolling-update.";
/// First stdout line on kops 1.26–1.31 for clusters with one control-plane node.
pub const SINGLE_CONTROL_PLANE: &str =
    "Detected single-control-plane cluster; won't detach before draining";

/// The `STATUS` column: exactly `Ready` or `NeedsUpdate` in every kops version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    Ready,
    NeedsUpdate,
}

impl GroupState {
    /// The `STATUS` cell exactly as kops prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupState::Ready => "Ready",
            GroupState::NeedsUpdate => "NeedsUpdate",
        }
    }
}

impl fmt::Display for GroupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupStatus {
    /// Instance group name.
    pub name: String,
    pub status: GroupState,
    /// `NEEDUPDATE`: instances that need replacing.
    pub need_update: u32,
    /// `READY`: instances that are up to date.
    pub ready: u32,
    pub min: u32,
    /// `TARGET` (kops 1.18+).
    pub target: Option<u32>,
    pub max: u32,
    /// `NODES` (absent with `--cloudonly`).
    pub nodes: Option<u32>,
}

/// The parsed table and closing line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollingUpdateReport {
    /// Rows in kops order (sorted by name).
    pub groups: Vec<GroupStatus>,
    /// Any group is `NeedsUpdate` (also in a row not understood), or kops closed with
    /// `Must specify --yes to rolling-update.` (which it also does with `--force`).
    pub update_required: bool,
    /// Whether one of the two closing lines was seen.
    pub closing_line_seen: bool,
    /// The `Detected single-control-plane cluster…` line was printed (kops 1.26–1.31).
    pub single_control_plane: bool,
    /// Lines kopsflow did not understand (a header with an unknown layout and the rows under it,
    /// rows that do not fit the header, text after the closing line), kept verbatim. A
    /// `NeedsUpdate` cell in them still makes `update_required` true.
    pub unparsed: Vec<UnparsedBlock>,
    /// First one line per [`UnparsedBlock`], in the same order ([`UnparsedBlock::warning`]),
    /// then any other (a note when the closing line says no update is required although a group
    /// is `NeedsUpdate`).
    pub warnings: Vec<String>,
}

impl RollingUpdateReport {
    /// Groups whose STATUS is `NeedsUpdate`.
    pub fn groups_needing_update(&self) -> impl Iterator<Item = &GroupStatus> {
        self.groups
            .iter()
            .filter(|g| g.status == GroupState::NeedsUpdate)
    }

    /// Whether the table had a `TARGET` column (kops 1.18+).
    pub fn has_target_column(&self) -> bool {
        self.groups.iter().any(|g| g.target.is_some())
    }

    /// Whether the table had a `NODES` column (absent with `--cloudonly`).
    pub fn has_nodes_column(&self) -> bool {
        self.groups.iter().any(|g| g.nodes.is_some())
    }

    /// The warnings that are not about an [`UnparsedBlock`] (those follow the blocks' own).
    pub fn other_warnings(&self) -> &[String] {
        self.warnings.get(self.unparsed.len()..).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Status,
    NeedUpdate,
    Ready,
    Min,
    Target,
    Max,
    Nodes,
}

/// The columns of a header line, or why its layout is not known.
fn parse_header(line: &str) -> Result<Vec<Column>, String> {
    let mut cols: Vec<Column> = Vec::new();
    for cell in line.split_whitespace() {
        let col = match cell {
            "NAME" => Column::Name,
            "STATUS" => Column::Status,
            "NEEDUPDATE" => Column::NeedUpdate,
            "READY" => Column::Ready,
            "MIN" => Column::Min,
            "TARGET" => Column::Target,
            "MAX" => Column::Max,
            "NODES" => Column::Nodes,
            other => return Err(format!("unknown column `{other}` in the table header")),
        };
        // At most 8 known columns, so `contains` stays cheap.
        if cols.contains(&col) {
            return Err(format!("column `{cell}` twice in the table header"));
        }
        cols.push(col);
    }
    let required = [
        Column::Name,
        Column::Status,
        Column::NeedUpdate,
        Column::Ready,
        Column::Min,
        Column::Max,
    ];
    match required.iter().find(|c| !cols.contains(c)) {
        Some(missing) => Err(format!("table header lacks the {missing:?} column")),
        None => Ok(cols),
    }
}

/// A row under a known header, or why it does not fit.
fn parse_row(line: &str, cols: &[Column]) -> Result<GroupStatus, String> {
    let mut row = GroupStatus {
        name: String::new(),
        status: GroupState::Ready,
        need_update: 0,
        ready: 0,
        min: 0,
        target: None,
        max: 0,
        nodes: None,
    };
    let mut cells = line.split_whitespace();
    for col in cols {
        let Some(cell) = cells.next() else {
            return Err(format!(
                "fewer cells than the {} columns of the header",
                cols.len()
            ));
        };
        let num = || {
            cell.parse::<u32>()
                .map_err(|_| format!("{col:?} is not a count that fits 32 bits"))
        };
        match col {
            Column::Name => row.name = cell.to_string(),
            Column::Status => {
                row.status = match cell {
                    "Ready" => GroupState::Ready,
                    "NeedsUpdate" => GroupState::NeedsUpdate,
                    _ => return Err("STATUS is neither Ready nor NeedsUpdate".to_string()),
                }
            }
            Column::NeedUpdate => row.need_update = num()?,
            Column::Ready => row.ready = num()?,
            Column::Min => row.min = num()?,
            Column::Target => row.target = Some(num()?),
            Column::Max => row.max = num()?,
            Column::Nodes => row.nodes = Some(num()?),
        }
    }
    if cells.next().is_some() {
        return Err(format!(
            "more cells than the {} columns of the header",
            cols.len()
        ));
    }
    Ok(row)
}

/// Where the parser is in the table.
enum Table {
    /// No header yet.
    BeforeHeader,
    /// Under a header whose columns are known.
    Known(Vec<Column>),
    /// Under a header that was not understood: its rows cannot be read either.
    Unknown,
}

/// Parse the stdout of `kops rolling-update cluster` without `--yes`.
///
/// Reads the optional `Detected single-control-plane cluster…` first line, the header with or
/// without `TARGET` and `NODES`, rows split on runs of whitespace (tabs or spaces), blank lines,
/// klog lines (if stderr was merged) and the closing line. Any other line — a header of unknown
/// layout and its rows, a row that does not fit the header (wrong cell count, unknown STATUS,
/// a count that is no number or does not fit `u32`), text before the header or after the closing
/// line — is kept verbatim in `unparsed` with a warning. Linear in the size of the input.
///
/// Errors only when the output contradicts itself (a second closing line: one kops run prints
/// exactly one) or is no rolling-update output at all (neither a table header nor a closing
/// line).
pub fn parse_rolling_update(stdout: &str) -> Result<RollingUpdateReport, ReportError> {
    let mut report = RollingUpdateReport::default();
    let mut table = Table::BeforeHeader;
    let mut closing: Option<bool> = None;
    let mut unparsed = Collector::default();
    let mut unparsed_needs_update = false;
    for (idx, raw) in stdout.lines().enumerate() {
        let n = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            unparsed.blank(line);
            continue;
        }
        if is_klog_line(line) {
            continue;
        }
        if trimmed == SINGLE_CONTROL_PLANE || trimmed == ROLLING_CLEAN || trimmed == ROLLING_PENDING
        {
            unparsed.understood();
            if trimmed == SINGLE_CONTROL_PLANE {
                report.single_control_plane = true;
            } else if closing.is_some() {
                return Err(ReportError::at(n, "second closing line", line));
            } else {
                closing = Some(trimmed == ROLLING_PENDING);
            }
            continue;
        }
        let outcome = if closing.is_some() {
            Err("text after the closing line".to_string())
        } else {
            match &table {
                Table::BeforeHeader if trimmed.split_whitespace().next() == Some("NAME") => {
                    match parse_header(line) {
                        Ok(cols) => {
                            table = Table::Known(cols);
                            Ok(None)
                        }
                        Err(reason) => {
                            table = Table::Unknown;
                            Err(reason)
                        }
                    }
                }
                Table::BeforeHeader => {
                    Err("expected the table header (NAME STATUS NEEDUPDATE …)".to_string())
                }
                Table::Known(cols) => parse_row(line, cols).map(Some),
                Table::Unknown => {
                    Err("row under a table header that was not understood".to_string())
                }
            }
        };
        match outcome {
            Ok(row) => {
                unparsed.understood();
                report.groups.extend(row);
            }
            Err(reason) => {
                unparsed_needs_update |= line
                    .split_whitespace()
                    .any(|c| c == GroupState::NeedsUpdate.as_str());
                let groups = &report.groups;
                unparsed.add(
                    n,
                    line,
                    || reason,
                    || Context {
                        after_resource: groups.last().map(|g| context_text(&[&g.name])),
                        ..Context::default()
                    },
                );
            }
        }
    }
    let header_seen = !matches!(table, Table::BeforeHeader);
    if !header_seen && closing.is_none() {
        return Err(ReportError::whole(format!(
            "no rolling-update table header (NAME STATUS NEEDUPDATE …) and no closing line \
             (`{ROLLING_CLEAN}` / `{ROLLING_PENDING}`) found"
        )));
    }
    let listed = report
        .groups
        .iter()
        .any(|g| g.status == GroupState::NeedsUpdate);
    let (blocks, mut warnings) = unparsed.finish();
    if closing == Some(false) && (listed || unparsed_needs_update) {
        warnings.push(format!(
            "kops closed with `{ROLLING_CLEAN}` although a group is NeedsUpdate; \
             counted as an update required"
        ));
    }
    report.closing_line_seen = closing.is_some();
    report.update_required = closing == Some(true) || listed || unparsed_needs_update;
    report.unparsed = blocks;
    report.warnings = warnings;
    Ok(report)
}
