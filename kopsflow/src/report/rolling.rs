//! Parser for the `kops rolling-update cluster` table (no `--yes`, `docs/KOPS.md` §2) into a
//! [`RollingUpdateReport`]. (What kops writes to stderr when it fails is read by `super::stderr`.)
//!
//! Table layouts: `NAME STATUS NEEDUPDATE READY MIN MAX NODES` (kops <= 1.17) and
//! `NAME STATUS NEEDUPDATE READY MIN TARGET MAX NODES` (1.18+); `--cloudonly` drops `NODES`.
//! Columns are padded with runs of TABs (tabwriter), so rows are split on whitespace.

use std::fmt;

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
    /// Any group is `NeedsUpdate`, or kops closed with `Must specify --yes to rolling-update.`
    /// (which it also does with `--force`).
    pub update_required: bool,
    /// Whether one of the two closing lines was seen.
    pub closing_line_seen: bool,
    /// The `Detected single-control-plane cluster…` line was printed (kops 1.26–1.31).
    pub single_control_plane: bool,
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

fn parse_header(n: usize, line: &str) -> Result<Vec<Column>, ReportError> {
    let cols: Vec<Column> = line
        .split_whitespace()
        .map(|c| match c {
            "NAME" => Ok(Column::Name),
            "STATUS" => Ok(Column::Status),
            "NEEDUPDATE" => Ok(Column::NeedUpdate),
            "READY" => Ok(Column::Ready),
            "MIN" => Ok(Column::Min),
            "TARGET" => Ok(Column::Target),
            "MAX" => Ok(Column::Max),
            "NODES" => Ok(Column::Nodes),
            other => Err(ReportError::at(
                n,
                format!("unknown column `{other}` in the rolling-update header"),
                line,
            )),
        })
        .collect::<Result<_, _>>()?;
    let required = [
        Column::Name,
        Column::Status,
        Column::NeedUpdate,
        Column::Ready,
        Column::Min,
        Column::Max,
    ];
    if let Some(missing) = required.iter().find(|c| !cols.contains(c)) {
        return Err(ReportError::at(
            n,
            format!("rolling-update header lacks the {missing:?} column"),
            line,
        ));
    }
    Ok(cols)
}

fn parse_row(n: usize, line: &str, cols: &[Column]) -> Result<GroupStatus, ReportError> {
    let cells: Vec<&str> = line.split_whitespace().collect();
    if cells.len() != cols.len() {
        return Err(ReportError::at(
            n,
            format!(
                "expected {} columns like the header, found {}",
                cols.len(),
                cells.len()
            ),
            line,
        ));
    }
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
    for (col, cell) in cols.iter().zip(cells) {
        let num = || {
            cell.parse::<u32>()
                .map_err(|_| ReportError::at(n, format!("{col:?} is not a number: `{cell}`"), line))
        };
        match col {
            Column::Name => row.name = cell.to_string(),
            Column::Status => {
                row.status = match cell {
                    "Ready" => GroupState::Ready,
                    "NeedsUpdate" => GroupState::NeedsUpdate,
                    other => {
                        return Err(ReportError::at(
                            n,
                            format!("STATUS must be Ready or NeedsUpdate, found `{other}`"),
                            line,
                        ))
                    }
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
    Ok(row)
}

/// Parse the stdout of `kops rolling-update cluster` without `--yes`.
///
/// Accepts the optional `Detected single-control-plane cluster…` first line, the header with or
/// without `TARGET` and `NODES`, rows split on runs of whitespace, blank lines, klog lines (if
/// stderr was merged) and the closing line. Fails with a line number on a row that does not match
/// the header, an unknown STATUS, non-numeric counts, or text it does not know; and when there is
/// no header at all.
pub fn parse_rolling_update(stdout: &str) -> Result<RollingUpdateReport, ReportError> {
    let mut report = RollingUpdateReport::default();
    let mut cols: Option<Vec<Column>> = None;
    let mut closing: Option<bool> = None;
    for (idx, raw) in stdout.lines().enumerate() {
        let n = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() || is_klog_line(line) {
            continue;
        }
        if trimmed == SINGLE_CONTROL_PLANE {
            report.single_control_plane = true;
            continue;
        }
        if trimmed == ROLLING_CLEAN || trimmed == ROLLING_PENDING {
            if closing.is_some() {
                return Err(ReportError::at(n, "second closing line", line));
            }
            closing = Some(trimmed == ROLLING_PENDING);
            continue;
        }
        if closing.is_some() {
            return Err(ReportError::at(n, "text after the closing line", line));
        }
        match &cols {
            None if trimmed.split_whitespace().next() == Some("NAME") => {
                cols = Some(parse_header(n, line)?);
            }
            None => {
                return Err(ReportError::at(
                    n,
                    "expected the rolling-update table header (NAME STATUS …)",
                    line,
                ))
            }
            Some(c) => report.groups.push(parse_row(n, line, c)?),
        }
    }
    if cols.is_none() {
        return Err(ReportError::whole(
            "no rolling-update table header (NAME STATUS NEEDUPDATE …) found",
        ));
    }
    report.closing_line_seen = closing.is_some();
    report.update_required = closing == Some(true)
        || report
            .groups
            .iter()
            .any(|g| g.status == GroupState::NeedsUpdate);
    Ok(report)
}
