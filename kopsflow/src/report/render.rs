//! Renderers for a [`RunSummary`]: terminal text (optionally ANSI-coloured), GitHub-flavoured
//! markdown (PR comment / `$GITHUB_STEP_SUMMARY`) and JSON (schema in `JSON.md`). All three show
//! dry-run values only after [`redact_report`](super::redact_report).

use std::fmt::Write as _;

use serde::Serialize;

use super::redact::redact_report;
use super::rolling::{GroupStatus, RollingUpdateReport};
use super::summary::{ClusterStatus, ClusterSummary, RunSummary};
use super::update::{Deletion, DeletionSection, FieldChange, TaskChange, UpdateReport};
use crate::spec::{SpecChange, SpecDiff};

/// Version of the JSON document written by [`render_json`]; bumped on incompatible changes.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Longest single-line value shown by the text and markdown renderers (JSON is never clipped).
const MAX_VALUE_CHARS: usize = 200;

/// The NO_COLOR convention (<https://no-color.org>): colour only on a terminal, and never when
/// `NO_COLOR` is set to a non-empty value.
pub fn use_color(is_tty: bool, no_color_env: Option<&str>) -> bool {
    is_tty && no_color_env.is_none_or(str::is_empty)
}

fn clip(value: &str) -> String {
    let count = value.chars().count();
    if count <= MAX_VALUE_CHARS {
        return value.to_string();
    }
    let head: String = value.chars().take(MAX_VALUE_CHARS).collect();
    format!("{head}… (+{} chars)", count - MAX_VALUE_CHARS)
}

fn deletion_when(section: DeletionSection) -> &'static str {
    match section {
        DeletionSection::WillDelete => "deleted on update",
        DeletionSection::OnlyWithPrune => "deleted only with --prune",
        DeletionSection::DuringUpdate => "deleted during update",
    }
}

fn counts_line(u: &UpdateReport) -> String {
    format!(
        "{} to create, {} to modify, {} to delete",
        u.create_count(),
        u.modify_count(),
        u.delete_count()
    )
}

fn rolling_groups(r: &RollingUpdateReport) -> Vec<String> {
    r.groups_needing_update()
        .map(|g| {
            format!(
                "{} ({} of {} instances)",
                g.name,
                g.need_update,
                g.need_update + g.ready
            )
        })
        .collect()
}

fn overview(s: &RunSummary) -> String {
    let n = s.clusters.len();
    let count = |st: ClusterStatus| s.clusters.iter().filter(|c| c.status() == st).count();
    let mut parts = Vec::new();
    for st in [
        ClusterStatus::Error,
        ClusterStatus::NewCluster,
        ClusterStatus::ChangesPending,
        ClusterStatus::NoChanges,
    ] {
        let k = count(st);
        if k > 0 {
            parts.push(format!("{k} {}", st.label()));
        }
    }
    let mut line = format!(
        "{n} cluster{}: {}",
        if n == 1 { "" } else { "s" },
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        }
    );
    if s.rolling_update_needed() {
        line.push_str("; rolling update needed");
    }
    line
}

// ---------------------------------------------------------------------------------------------
// text

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    fn cyan(&self, s: &str) -> String {
        self.paint("36", s)
    }
    fn status(&self, st: ClusterStatus) -> String {
        match st {
            ClusterStatus::Error => self.red(st.label()),
            ClusterStatus::NewCluster => self.cyan(st.label()),
            ClusterStatus::ChangesPending => self.yellow(st.label()),
            ClusterStatus::NoChanges => self.green(st.label()),
        }
    }
    fn diff_line(&self, line: &str) -> String {
        if line.starts_with('+') {
            self.green(line)
        } else if line.starts_with('-') {
            self.red(line)
        } else {
            line.to_string()
        }
    }
}

fn text_field(out: &mut String, p: &Painter, f: &FieldChange) {
    if f.is_diff() {
        let _ = writeln!(out, "        {}:", f.field);
        for line in &f.diff {
            let _ = writeln!(out, "          {}", p.diff_line(line));
        }
    } else {
        match &f.old {
            Some(old) => {
                let _ = writeln!(
                    out,
                    "        {}: {} -> {}",
                    f.field,
                    p.red(&clip(old)),
                    p.green(&clip(&f.new))
                );
            }
            None => {
                let _ = writeln!(out, "        {}: {}", f.field, clip(&f.new));
            }
        }
    }
}

fn text_update(out: &mut String, p: &Painter, u: &UpdateReport) {
    let _ = writeln!(
        out,
        "  {} {}{}",
        p.bold("kops update cluster (dry-run):"),
        counts_line(u),
        if u.closing_line_seen {
            ""
        } else {
            " (kops closing line missing: output may be incomplete)"
        }
    );
    for notice in &u.notices {
        for (i, line) in notice.lines().enumerate() {
            let lead = if i == 0 { "note:" } else { "     " };
            let _ = writeln!(out, "    {} {line}", p.yellow(lead));
        }
    }
    for t in &u.creates {
        let _ = writeln!(out, "    {} {}", p.green("+"), t.resource());
    }
    for t in &u.modifies {
        let _ = writeln!(out, "    {} {}", p.yellow("~"), t.resource());
        for f in &t.fields {
            text_field(out, p, f);
        }
        for line in &t.consistency_error {
            let _ = writeln!(out, "        {}", p.red(line));
        }
    }
    for d in &u.deletions {
        let _ = writeln!(
            out,
            "    {} {} {} ({})",
            p.red("-"),
            d.task,
            d.item,
            deletion_when(d.section)
        );
    }
}

fn text_spec_diff(out: &mut String, p: &Painter, d: &SpecDiff) {
    if d.is_empty() {
        let _ = writeln!(out, "  {} none", p.bold("spec diff:"));
        return;
    }
    let _ = writeln!(out, "  {}", p.bold("spec diff:"));
    for change in &d.changes {
        let _ = writeln!(out, "    {change}");
    }
}

fn text_rolling(out: &mut String, p: &Painter, r: &RollingUpdateReport) {
    if r.update_required {
        let groups = rolling_groups(r);
        let which = if groups.is_empty() {
            "kops asks for --yes (no group is NeedsUpdate: --force?)".to_string()
        } else {
            groups.join(", ")
        };
        let _ = writeln!(
            out,
            "  {} {} — {which}",
            p.bold("rolling update:"),
            p.yellow("needed")
        );
    } else {
        let _ = writeln!(
            out,
            "  {} {}",
            p.bold("rolling update:"),
            p.green("not required")
        );
    }
}

/// Terminal rendering. ANSI colour codes only when `color` is true (see [`use_color`]).
pub fn render_text(s: &RunSummary, color: bool) -> String {
    let p = Painter { color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} (branch {})",
        p.bold("kopsflow"),
        p.bold(&s.command),
        s.branch
    );
    let _ = writeln!(out, "{}", overview(s));
    for c in &s.clusters {
        let _ = writeln!(out);
        let st = c.status();
        let _ = writeln!(
            out,
            "{} {}: {}",
            p.bold("=="),
            p.bold(&c.cluster),
            p.status(st)
        );
        if let Some(err) = &c.error {
            for (i, line) in err.lines().enumerate() {
                let lead = if i == 0 { "error:" } else { "      " };
                let _ = writeln!(out, "  {} {line}", p.red(lead));
            }
        }
        if let Some(d) = &c.spec_diff {
            text_spec_diff(&mut out, &p, d);
        }
        if let Some(u) = &c.update {
            text_update(&mut out, &p, &redact_report(u));
        }
        if !c.instance_groups_to_delete.is_empty() {
            let _ = writeln!(
                out,
                "  {} {}",
                p.bold("instance groups to delete (removed from git):"),
                p.red(&c.instance_groups_to_delete.join(", "))
            );
        }
        if let Some(r) = &c.rolling_update {
            text_rolling(&mut out, &p, r);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// markdown

/// Inline code span that survives backticks and table pipes.
fn md_code(s: &str) -> String {
    if s.is_empty() {
        return "*(empty)*".to_string();
    }
    let s = s.replace('|', "\\|").replace('\n', " ");
    let longest = longest_run(&s, '`');
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in s.chars() {
        if c == ch {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

fn md_fence(lines: &[String]) -> String {
    let longest = lines.iter().map(|l| longest_run(l, '`')).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '<' | '>' | '|' | '[' | ']' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn md_spec_change(c: &SpecChange) -> String {
    let opt = |v: &Option<String>| match v {
        Some(v) => md_code(&clip(v)),
        None => "*(absent)*".to_string(),
    };
    match c {
        SpecChange::Modified {
            kind,
            object,
            path,
            old,
            new,
        } => format!(
            "{kind} {} {}: {} → {}",
            md_code(object),
            md_code(path),
            opt(old),
            opt(new)
        ),
        SpecChange::Added { kind, object } => format!("added {kind} {}", md_code(object)),
        SpecChange::Removed { kind, object } => {
            format!(
                "removed {kind} {} (live, no longer in git)",
                md_code(object)
            )
        }
    }
}

fn md_field_change(f: &FieldChange) -> String {
    if f.is_diff() {
        return "multi-line diff below".to_string();
    }
    match &f.old {
        Some(old) => format!("{} → {}", md_code(&clip(old)), md_code(&clip(&f.new))),
        None => md_code(&clip(&f.new)),
    }
}

fn md_update(out: &mut String, u: &UpdateReport) {
    let _ = writeln!(
        out,
        "**kops update cluster** (dry-run): {}{}\n",
        counts_line(u),
        if u.closing_line_seen {
            ""
        } else {
            " — ⚠️ kops closing line missing, output may be incomplete"
        }
    );
    for notice in &u.notices {
        let _ = writeln!(out, "> ℹ️ {}\n", md_text(notice).replace('\n', "<br>"));
    }
    if !u.has_listed_changes() {
        return;
    }
    let _ = writeln!(out, "| action | resource | field | change |");
    let _ = writeln!(out, "| --- | --- | --- | --- |");
    for t in &u.creates {
        let _ = writeln!(out, "| ➕ create | {} | | |", md_code(&t.resource()));
    }
    for t in &u.modifies {
        if t.fields.is_empty() {
            let _ = writeln!(
                out,
                "| ✏️ modify | {} | | {} |",
                md_code(&t.resource()),
                if t.consistency_error.is_empty() {
                    ""
                } else {
                    "kops: internal consistency error"
                }
            );
        }
        for (i, f) in t.fields.iter().enumerate() {
            let (action, res) = if i == 0 {
                ("✏️ modify", md_code(&t.resource()))
            } else {
                ("", String::new())
            };
            let _ = writeln!(
                out,
                "| {action} | {res} | {} | {} |",
                md_text(&f.field),
                md_field_change(f)
            );
        }
    }
    for d in &u.deletions {
        let _ = writeln!(
            out,
            "| 🗑️ delete | {} | | {} ({}) |",
            md_code(&d.task),
            md_code(&d.item),
            deletion_when(d.section)
        );
    }
    let _ = writeln!(out);
    for t in &u.modifies {
        for f in t.fields.iter().filter(|f| f.is_diff()) {
            let fence = md_fence(&f.diff);
            let _ = writeln!(
                out,
                "<details><summary>{} · {}</summary>\n\n{fence}diff",
                md_text(&t.resource()),
                md_text(&f.field)
            );
            for line in &f.diff {
                let _ = writeln!(out, "{line}");
            }
            let _ = writeln!(out, "{fence}\n\n</details>\n");
        }
        if !t.consistency_error.is_empty() {
            let fence = md_fence(&t.consistency_error);
            let _ = writeln!(
                out,
                "<details><summary>{} · internal consistency error</summary>\n\n{fence}",
                md_text(&t.resource())
            );
            for line in &t.consistency_error {
                let _ = writeln!(out, "{line}");
            }
            let _ = writeln!(out, "{fence}\n\n</details>\n");
        }
    }
    if !u.creates.is_empty() {
        let mut lines = Vec::new();
        for t in &u.creates {
            lines.push(t.resource());
            for f in &t.fields {
                lines.push(format!("  {}: {}", f.field, clip(&f.new)));
            }
        }
        let fence = md_fence(&lines);
        let _ = writeln!(
            out,
            "<details><summary>Fields of the {} resource{} to create</summary>\n\n{fence}text",
            u.create_count(),
            if u.create_count() == 1 { "" } else { "s" }
        );
        for line in &lines {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "{fence}\n\n</details>\n");
    }
}

fn md_rolling(out: &mut String, r: &RollingUpdateReport) {
    if r.update_required {
        let groups: Vec<String> = r
            .groups_needing_update()
            .map(|g| md_code(&g.name))
            .collect();
        let which = if groups.is_empty() {
            "kops asks for `--yes` although no group is NeedsUpdate".to_string()
        } else {
            groups.join(", ")
        };
        let _ = writeln!(out, "🔄 **Rolling update needed**: {which}\n");
    } else {
        let _ = writeln!(out, "**Rolling update**: not required\n");
    }
    let target = r.has_target_column();
    let nodes = r.has_nodes_column();
    let mut header = "| instance group | status | need update | ready | min |".to_string();
    if target {
        header.push_str(" target |");
    }
    header.push_str(" max |");
    if nodes {
        header.push_str(" nodes |");
    }
    let cols = header.matches('|').count() - 1;
    let _ = writeln!(out, "{header}");
    let _ = writeln!(out, "|{}", " --- |".repeat(cols));
    for g in &r.groups {
        let _ = writeln!(out, "{}", md_group_row(g, target, nodes));
    }
    let _ = writeln!(out);
}

fn md_group_row(g: &GroupStatus, target: bool, nodes: bool) -> String {
    let opt = |v: Option<u32>| v.map_or_else(|| "–".to_string(), |v| v.to_string());
    let mut row = format!(
        "| {} | {} | {} | {} | {} |",
        md_code(&g.name),
        g.status,
        g.need_update,
        g.ready,
        g.min
    );
    if target {
        let _ = write!(row, " {} |", opt(g.target));
    }
    let _ = write!(row, " {} |", g.max);
    if nodes {
        let _ = write!(row, " {} |", opt(g.nodes));
    }
    row
}

fn md_cluster(out: &mut String, c: &ClusterSummary) {
    let st = c.status();
    let _ = writeln!(
        out,
        "### {} {} — {}\n",
        st.emoji(),
        md_code(&c.cluster),
        st.label()
    );
    if let Some(err) = &c.error {
        let lines: Vec<String> = err.lines().map(str::to_string).collect();
        let fence = md_fence(&lines);
        let _ = writeln!(out, "**Error**\n\n{fence}text\n{err}\n{fence}\n");
    }
    if let Some(d) = &c.spec_diff {
        if d.is_empty() {
            let _ = writeln!(out, "**Spec diff**: none\n");
        } else {
            let _ = writeln!(out, "**Spec diff**\n");
            for change in &d.changes {
                let _ = writeln!(out, "- {}", md_spec_change(change));
            }
            let _ = writeln!(out);
        }
    }
    if let Some(u) = &c.update {
        md_update(out, &redact_report(u));
    }
    if !c.instance_groups_to_delete.is_empty() {
        let igs: Vec<String> = c
            .instance_groups_to_delete
            .iter()
            .map(|g| md_code(g))
            .collect();
        let _ = writeln!(
            out,
            "🗑️ **Instance groups to delete** (live, removed from git): {}\n",
            igs.join(", ")
        );
    }
    if let Some(r) = &c.rolling_update {
        md_rolling(out, r);
    }
}

/// GitHub-flavoured markdown for a PR comment or `$GITHUB_STEP_SUMMARY`.
pub fn render_markdown(s: &RunSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## kopsflow {} — {}\n",
        md_text(&s.command),
        md_code(&s.branch)
    );
    let _ = writeln!(out, "{}\n", overview(s));
    if !s.clusters.is_empty() {
        let _ = writeln!(
            out,
            "| cluster | status | create | modify | delete | rolling update |"
        );
        let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- |");
        for c in &s.clusters {
            let st = c.status();
            let (cr, md, dl) = c.update.as_ref().map_or(
                ("–".to_string(), "–".to_string(), "–".to_string()),
                |u| {
                    (
                        u.create_count().to_string(),
                        u.modify_count().to_string(),
                        u.delete_count().to_string(),
                    )
                },
            );
            let rolling = match &c.rolling_update {
                None => "–".to_string(),
                Some(r) if r.update_required => "🔄 needed".to_string(),
                Some(_) => "not required".to_string(),
            };
            let _ = writeln!(
                out,
                "| {} | {} {} | {cr} | {md} | {dl} | {rolling} |",
                md_code(&c.cluster),
                st.emoji(),
                st.label()
            );
        }
        let _ = writeln!(out);
    }
    for c in &s.clusters {
        md_cluster(&mut out, c);
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

// ---------------------------------------------------------------------------------------------
// JSON (schema: JSON.md)

#[derive(Serialize)]
struct JsonRun<'a> {
    schema_version: u32,
    command: &'a str,
    branch: &'a str,
    changes_pending: bool,
    rolling_update_needed: bool,
    has_errors: bool,
    clusters: Vec<JsonCluster<'a>>,
}

#[derive(Serialize)]
struct JsonCluster<'a> {
    cluster: &'a str,
    status: ClusterStatus,
    new_cluster: bool,
    changes_pending: bool,
    rolling_update_needed: bool,
    error: Option<&'a str>,
    spec_diff: Option<Vec<JsonSpecChange>>,
    update: Option<JsonUpdate>,
    instance_groups_to_delete: &'a [String],
    rolling_update: Option<JsonRolling<'a>>,
}

#[derive(Serialize)]
struct JsonSpecChange {
    change: &'static str,
    kind: String,
    object: String,
    path: Option<String>,
    old: Option<String>,
    new: Option<String>,
}

#[derive(Serialize)]
struct JsonCounts {
    create: usize,
    modify: usize,
    delete: usize,
}

#[derive(Serialize)]
struct JsonUpdate {
    changes_pending: bool,
    closing_line_seen: bool,
    counts: JsonCounts,
    creates: Vec<TaskChange>,
    modifies: Vec<TaskChange>,
    deletions: Vec<Deletion>,
    notices: Vec<String>,
}

#[derive(Serialize)]
struct JsonRolling<'a> {
    update_required: bool,
    closing_line_seen: bool,
    single_control_plane: bool,
    groups_needing_update: Vec<&'a str>,
    groups: &'a [GroupStatus],
}

fn json_spec_change(c: &SpecChange) -> JsonSpecChange {
    match c {
        SpecChange::Modified {
            kind,
            object,
            path,
            old,
            new,
        } => JsonSpecChange {
            change: "modified",
            kind: kind.to_string(),
            object: object.clone(),
            path: Some(path.clone()),
            old: old.clone(),
            new: new.clone(),
        },
        SpecChange::Added { kind, object } => JsonSpecChange {
            change: "added",
            kind: kind.to_string(),
            object: object.clone(),
            path: None,
            old: None,
            new: None,
        },
        SpecChange::Removed { kind, object } => JsonSpecChange {
            change: "removed",
            kind: kind.to_string(),
            object: object.clone(),
            path: None,
            old: None,
            new: None,
        },
    }
}

fn json_update(u: &UpdateReport) -> JsonUpdate {
    let u = redact_report(u);
    JsonUpdate {
        changes_pending: u.changes_pending,
        closing_line_seen: u.closing_line_seen,
        counts: JsonCounts {
            create: u.create_count(),
            modify: u.modify_count(),
            delete: u.delete_count(),
        },
        creates: u.creates,
        modifies: u.modifies,
        deletions: u.deletions,
        notices: u.notices,
    }
}

/// Pretty JSON with `"schema_version": 1` first; the schema is documented in `JSON.md`.
pub fn render_json(s: &RunSummary) -> String {
    let run = JsonRun {
        schema_version: JSON_SCHEMA_VERSION,
        command: &s.command,
        branch: &s.branch,
        changes_pending: s.changes_pending(),
        rolling_update_needed: s.rolling_update_needed(),
        has_errors: s.has_errors(),
        clusters: s
            .clusters
            .iter()
            .map(|c| JsonCluster {
                cluster: &c.cluster,
                status: c.status(),
                new_cluster: c.new_cluster,
                changes_pending: c.changes_pending(),
                rolling_update_needed: c.rolling_update_needed(),
                error: c.error.as_deref(),
                spec_diff: c
                    .spec_diff
                    .as_ref()
                    .map(|d| d.changes.iter().map(json_spec_change).collect()),
                update: c.update.as_ref().map(json_update),
                instance_groups_to_delete: &c.instance_groups_to_delete,
                rolling_update: c.rolling_update.as_ref().map(|r| JsonRolling {
                    update_required: r.update_required,
                    closing_line_seen: r.closing_line_seen,
                    single_control_plane: r.single_control_plane,
                    groups_needing_update: r
                        .groups_needing_update()
                        .map(|g| g.name.as_str())
                        .collect(),
                    groups: &r.groups,
                }),
            })
            .collect(),
    };
    // Serialising plain structs of strings, numbers and bools cannot fail; keep a JSON error
    // object rather than panicking if it ever does.
    serde_json::to_string_pretty(&run).unwrap_or_else(|e| {
        format!(
            "{{\"schema_version\": {JSON_SCHEMA_VERSION}, \"error\": {:?}}}",
            e.to_string()
        )
    })
}
