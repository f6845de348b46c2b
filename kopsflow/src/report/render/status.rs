//! The `status` report ([`StatusReport`]) as text (an aligned table, then what needs attention),
//! markdown (a table for a job summary or a pinned issue) and JSON (schema in `JSON.md`,
//! "Status JSON"). Dry-run values are not shown here (only resource names), so nothing needs
//! redaction beyond the output sink's.

use std::fmt::Write as _;

use super::markdown::{md_code, md_text};
use super::{kops_line, short_commit, JSON_SCHEMA_VERSION};
use crate::json::Json;
use crate::report::status::{Cell, DeployRecord, Revision, StatusReport, StatusRow};
use crate::report::update::UpdateReport;

const HEADINGS: [&str; 7] = [
    "cluster",
    "spec in git",
    "deployed (audit log)",
    "spec drift",
    "cloud",
    "rolling update",
    "last deploy",
];

/// `1a2b3c4d5e6f 2026-12-02`: a short commit and the date part of its ISO time.
fn revision(r: &Revision) -> String {
    format!(
        "{} {}",
        short_commit(&r.commit),
        r.date.get(..10).unwrap_or(&r.date)
    )
}

/// What is deployed, as far as the audit log knows.
fn deployed(report: &StatusReport, row: &StatusRow) -> String {
    match &row.deployed {
        Some(d) => format!(
            "{} {}",
            d.commit.as_deref().map_or("?", short_commit),
            d.time
        ),
        None if report.audit_log.found => "unknown (no successful deploy logged)".to_owned(),
        None => "unknown (no audit log)".to_owned(),
    }
}

fn last_deploy(report: &StatusReport, row: &StatusRow) -> String {
    match &row.last_deploy {
        Some(d) => format!("{} {}", d.outcome, d.time),
        None if report.audit_log.found => "none logged".to_owned(),
        None => "unknown (no audit log)".to_owned(),
    }
}

/// Whether any row belongs to an environment: the table then has an `environment` column after
/// the cluster's (`dev (wave 1)`).
fn has_environments(report: &StatusReport) -> bool {
    report.rows.iter().any(|r| r.found.placement.is_some())
}

/// The table's headings: [`HEADINGS`], with `environment` second when rows have one.
fn headings(report: &StatusReport) -> Vec<&'static str> {
    let mut headings = HEADINGS.to_vec();
    if has_environments(report) {
        headings.insert(1, "environment");
    }
    headings
}

/// `dev (wave 1)`, or `none`.
fn environment(row: &StatusRow) -> String {
    row.found.placement.as_ref().map_or_else(
        || "none".to_owned(),
        |p| format!("{} (wave {})", p.environment, p.wave),
    )
}

/// The cells of a row, in [`headings`] order.
fn cells(report: &StatusReport, row: &StatusRow) -> Vec<String> {
    let mut cells = vec![
        row.cluster.clone(),
        row.revision
            .as_ref()
            .map_or_else(|| "not committed".to_owned(), revision),
        deployed(report, row),
        row.spec_drift().text,
        row.cloud().text,
        row.rolling_update().text,
        last_deploy(report, row),
    ];
    if has_environments(report) {
        cells.insert(1, environment(row));
    }
    cells
}

/// `2 clusters: 1 needs attention, 1 error; audit log PATH (N records skipped)`.
fn overview(report: &StatusReport) -> String {
    let n = report.rows.len();
    let attention = report.rows.iter().filter(|r| r.needs_attention()).count();
    let errors = report
        .rows
        .iter()
        .filter(|r| r.found.error.is_some())
        .count();
    let mut parts = Vec::new();
    if attention > 0 {
        parts.push(format!(
            "{attention} need{} attention",
            if attention == 1 { "s" } else { "" }
        ));
    }
    if errors > 0 {
        parts.push(format!(
            "{errors} error{}",
            if errors == 1 { "" } else { "s" }
        ));
    }
    if parts.is_empty() {
        parts.push("all in step".to_owned());
    }
    let log = &report.audit_log;
    let mut line = format!(
        "{n} cluster{}: {}; audit log {}{}",
        if n == 1 { "" } else { "s" },
        parts.join(", "),
        log.path,
        if log.found {
            ""
        } else {
            " (not found: what is deployed is unknown)"
        }
    );
    if log.skipped_lines > 0 {
        let _ = write!(
            line,
            " ({} line(s) that are no record skipped)",
            log.skipped_lines
        );
    }
    line
}

/// The cloud changes of a dry-run, one line each: `~ Kind/name`, `+ …`, `- task item`.
fn cloud_lines(u: &UpdateReport) -> Vec<String> {
    let mut lines: Vec<String> = u
        .creates
        .iter()
        .map(|t| format!("+ {}", t.resource()))
        .collect();
    lines.extend(u.modifies.iter().map(|t| format!("~ {}", t.resource())));
    lines.extend(
        u.deletions
            .iter()
            .map(|d| format!("- {} {}", d.task, d.item)),
    );
    lines
}

/// What a row needs attention for, and its error, as lines under its name.
fn details(row: &StatusRow) -> Vec<String> {
    let mut lines = Vec::new();
    let c = &row.found;
    if let Some(err) = &c.error {
        lines.extend(
            err.lines()
                .enumerate()
                .map(|(i, l)| format!("{} {l}", if i == 0 { "error:" } else { "      " })),
        );
    }
    if row.spec_drift().needs_attention() {
        lines.push("spec drift (git → production's store):".to_owned());
        for change in c.spec_diff.iter().flat_map(|d| &d.changes) {
            lines.push(format!("  {}", change.describe()));
        }
        let igs = &c.instance_groups_to_delete;
        if !igs.is_empty() {
            lines.push(format!(
                "  instance groups in production, not in git: {}",
                igs.join(", ")
            ));
        }
    }
    if let Some(u) = c.cloud.as_ref().filter(|u| u.changes_pending) {
        lines.push(format!("cloud not applied: {}", super::NOT_APPLIED_MEANING));
        lines.extend(cloud_lines(u).into_iter().map(|l| format!("  {l}")));
    }
    if let Some(d) = row.last_deploy.as_ref().filter(|d| d.outcome != "ok") {
        let why = d
            .detail
            .as_deref()
            .and_then(|t| t.lines().next())
            .unwrap_or("");
        lines.push(format!(
            "last deploy {} ({}): {why}",
            d.outcome,
            report_commit(d)
        ));
    }
    lines
}

fn report_commit(d: &DeployRecord) -> String {
    d.commit
        .as_deref()
        .map_or("commit unknown", short_commit)
        .to_owned()
}

/// Terminal text: the table, then what each row needs attention for.
pub fn render_status_text(report: &StatusReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "kopsflow status (branch {})", report.branch);
    let _ = writeln!(out, "{}", overview(report));
    if let Some(k) = &report.kops {
        let _ = writeln!(out, "{}", kops_line(k));
    }
    let headings = headings(report);
    let rows: Vec<Vec<String>> = report.rows.iter().map(|r| cells(report, r)).collect();
    let mut widths: Vec<usize> = headings.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let pad = w - cell.chars().count();
                let _ = write!(text, "{cell}{}  ", " ".repeat(pad));
            }
        }
        text
    };
    let _ = writeln!(out);
    let titles: Vec<String> = headings.iter().map(|h| (*h).to_owned()).collect();
    let _ = writeln!(out, "{}", line(&titles));
    for row in &rows {
        let _ = writeln!(out, "{}", line(row));
    }
    for row in &report.rows {
        let lines = details(row);
        if !lines.is_empty() {
            let _ = writeln!(out, "\n== {}", row.cluster);
            for l in lines {
                let _ = writeln!(out, "  {l}");
            }
        }
    }
    out
}

/// A cell with the emoji of its state.
fn md_cell(cell: &Cell) -> String {
    let emoji = match cell.state {
        "none" | "not_required" => "✅ ",
        "drifted" => "⚠️ ",
        "not_applied" => "☁️ ",
        "needed" => "🔄 ",
        "not_in_production" => "🆕 ",
        _ => "❔ ",
    };
    format!("{emoji}{}", md_text(&cell.text))
}

/// Markdown for a job summary or a pinned issue: one table row per cluster, then the details.
pub fn render_status_markdown(report: &StatusReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## kopsflow status — {}\n", md_code(&report.branch));
    let _ = writeln!(out, "{}\n", md_text(&overview(report)));
    if let Some(k) = &report.kops {
        let _ = writeln!(out, "{}\n", md_text(&kops_line(k)));
    }
    let headings = headings(report);
    let _ = writeln!(out, "| {} |", headings.join(" | "));
    let _ = writeln!(out, "|{}", " --- |".repeat(headings.len()));
    for row in &report.rows {
        let error = if row.found.error.is_some() {
            "❌ "
        } else {
            ""
        };
        let last = match row.last_deploy.as_ref().map(|d| d.outcome.as_str()) {
            Some("ok") => "✅ ",
            Some("failed") => "❌ ",
            _ => "",
        };
        let environment = match has_environments(report) {
            true => format!(" {} |", md_text(&environment(row))),
            false => String::new(),
        };
        let _ = writeln!(
            out,
            "| {error}{} |{environment} {} | {} | {} | {} | {} | {last}{} |",
            md_code(&row.cluster),
            row.revision
                .as_ref()
                .map_or_else(|| "not committed".to_owned(), |r| md_text(&revision(r))),
            md_text(&deployed(report, row)),
            md_cell(&row.spec_drift()),
            md_cell(&row.cloud()),
            md_cell(&row.rolling_update()),
            md_text(&last_deploy(report, row)),
        );
    }
    for row in &report.rows {
        let lines = details(row);
        if !lines.is_empty() {
            let _ = writeln!(out, "\n### {}\n", md_code(&row.cluster));
            for l in lines {
                let indent = l.len() - l.trim_start().len();
                let _ = writeln!(out, "{}- {}", " ".repeat(indent), md_text(l.trim_start()));
            }
        }
    }
    out
}

fn json_cell(cell: &Cell) -> Json {
    Json::object()
        .with("state", cell.state)
        .with("text", cell.text.as_str())
}

fn json_deploy(d: &DeployRecord) -> Json {
    Json::object()
        .with("outcome", d.outcome.as_str())
        .with("time", d.time.as_str())
        .with("commit", d.commit.as_deref())
        .with("detail", d.detail.as_deref())
}

fn json_row(row: &StatusRow) -> Json {
    let cloud = row.found.cloud.as_ref().filter(|u| u.changes_pending);
    Json::object()
        .with("cluster", row.cluster.as_str())
        .with("spec_file", row.spec_file.as_str())
        .with(
            "environment",
            row.found.placement.as_ref().map(|p| p.environment.as_str()),
        )
        .with("wave", row.found.placement.as_ref().map(|p| p.wave))
        .with(
            "revision",
            row.revision.as_ref().map(|r| {
                Json::object()
                    .with("commit", r.commit.as_str())
                    .with("date", r.date.as_str())
            }),
        )
        .with("deployed", row.deployed.as_ref().map(json_deploy))
        .with(
            "spec_drift",
            json_cell(&row.spec_drift()).with(
                "changes",
                Json::array(
                    row.found
                        .spec_diff
                        .iter()
                        .flat_map(|d| &d.changes)
                        .map(|c| c.describe().to_string()),
                ),
            ),
        )
        .with(
            "cloud",
            json_cell(&row.cloud()).with(
                "changes",
                Json::array(cloud.map(cloud_lines).unwrap_or_default()),
            ),
        )
        .with("rolling_update", json_cell(&row.rolling_update()))
        .with("last_deploy", row.last_deploy.as_ref().map(json_deploy))
        .with("error", row.found.error.as_deref())
}

/// JSON (`JSON.md`, "Status JSON"), `schema_version` first.
pub fn render_status_json(report: &StatusReport) -> String {
    Json::object()
        .with("schema_version", JSON_SCHEMA_VERSION)
        .with("command", "status")
        .with("branch", report.branch.as_str())
        .with("kops", report.kops.as_ref().map(super::json::json_kops))
        .with("needs_attention", report.needs_attention())
        .with("has_errors", report.has_errors())
        .with(
            "audit_log",
            Json::object()
                .with("path", report.audit_log.path.as_str())
                .with("found", report.audit_log.found)
                .with("skipped_lines", report.audit_log.skipped_lines),
        )
        .with("clusters", Json::array(report.rows.iter().map(json_row)))
        .pretty()
}
