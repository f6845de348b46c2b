//! GitHub-flavoured markdown rendering of a [`RunSummary`], for a PR comment or
//! `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;

use super::{clip, counts_line, deletion_when, overview};
use crate::report::redact::redact_report;
use crate::report::rolling::{GroupStatus, RollingUpdateReport};
use crate::report::summary::{ClusterSummary, Drift, RunSummary};
use crate::report::unparsed::UnparsedBlock;
use crate::report::update::{FieldChange, UpdateReport};
use crate::spec::diff::{ChangeType, ABSENT};
use crate::spec::SpecChange;

mod table;

/// Inline code span that nothing in `s` can leave: its fence is longer than any run of
/// backticks in `s`, a `|` is escaped (GitHub splits table cells before code spans, and takes
/// any `\|` as a pipe in the cell), and line ends (`\n`, `\r`) become spaces.
pub(super) fn md_code(s: &str) -> String {
    if s.is_empty() {
        return "*(empty)*".to_string();
    }
    let s = s
        .replace("\r\n", " ")
        .replace(['\n', '\r'], " ")
        .replace('|', "\\|");
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

/// Text in markdown (a paragraph, a quote, a table cell, a heading) that shows as written and
/// cannot leave its place: the characters that start markup, links, HTML or a cell are escaped,
/// and a line end becomes `<br>` (a line break that stays in the paragraph or cell).
pub(super) fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\\' | '`' | '*' | '_' | '<' | '>' | '|' | '[' | ']' | '#' | '&' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text inside raw HTML (a `<details>` block's `<summary>`), where markdown is not read:
/// HTML-escaped, and on one line (a blank line would end the block).
pub(super) fn md_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// One spec-diff bullet, from the change's shared description.
fn md_spec_change(c: &SpecChange) -> String {
    let d = c.describe();
    let value = |v: Option<&str>| v.map_or_else(|| format!("*{ABSENT}*"), |v| md_code(&clip(v)));
    match d.change {
        ChangeType::Modified => format!(
            "{} {} {}: {} → {}",
            d.kind,
            md_code(d.object),
            md_code(d.path.unwrap_or_default()),
            value(d.old),
            value(d.new)
        ),
        ChangeType::Added => format!("{} {} {}", d.change.word(), d.kind, md_code(d.object)),
        ChangeType::Removed => format!(
            "{} {} {} (live, no longer in git)",
            d.change.word(),
            d.kind,
            md_code(d.object)
        ),
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
    md_update_titled(out, "**kops update cluster** (dry-run):", u);
}

/// The cloud dry-run of `drift`: `not applied` and what it means, or that the cloud matches.
fn md_cloud(out: &mut String, u: &UpdateReport) {
    let (verdict, emoji) = if u.changes_pending {
        ("not applied", "☁️ ")
    } else {
        ("matches the store", "")
    };
    let title = format!("{emoji}**{}**: {verdict} —", md_text(super::CLOUD_TITLE));
    md_update_titled(out, &title, u);
    if u.changes_pending {
        let _ = writeln!(out, "> {}\n", md_text(super::NOT_APPLIED_MEANING));
    }
}

fn md_update_titled(out: &mut String, title: &str, u: &UpdateReport) {
    let _ = writeln!(
        out,
        "{title} {}{}\n",
        counts_line(u),
        if u.closing_line_seen {
            ""
        } else {
            " — ⚠️ kops closing line missing, output may be incomplete"
        }
    );
    for t in &u.ignored {
        let _ = writeln!(out, "> ℹ️ {}\n", md_text(&super::ignored_line(t)));
    }
    for notice in &u.notices {
        let _ = writeln!(out, "> ℹ️ {}\n", md_text(notice));
    }
    md_warnings(out, u.other_warnings());
    if u.has_listed_changes() {
        md_changes(out, u);
    }
    md_unparsed(out, "kops update cluster", &u.unparsed);
}

/// The table of creates, modifies and deletions, then the diffs and create fields folded.
fn md_changes(out: &mut String, u: &UpdateReport) {
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
                md_html(&t.resource()),
                md_html(&f.field)
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
                md_html(&t.resource())
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

fn md_warnings(out: &mut String, warnings: &[String]) {
    for w in warnings {
        let _ = writeln!(out, "> ⚠️ {}\n", md_text(w));
    }
}

/// Most lines not parsed shown in markdown, over all blocks of one report (a PR comment has a
/// size limit; the text and JSON reports show every line).
const MD_MAX_UNPARSED_LINES: usize = 200;

/// `in `Will modify resources:`, after `Kind/name`, field `F``, as markdown.
fn md_location(b: &UnparsedBlock) -> String {
    let mut parts = Vec::new();
    if let Some(section) = &b.section {
        parts.push(format!("in {}", md_code(section)));
    }
    if let Some(resource) = &b.after_resource {
        parts.push(format!("after {}", md_code(resource)));
    }
    if let Some(field) = &b.after_field {
        parts.push(format!("field {}", md_code(field)));
    }
    parts.join(", ")
}

/// A "not parsed" heading, then each block: where and why, and its lines verbatim in a fence.
fn md_unparsed(out: &mut String, what: &str, blocks: &[UnparsedBlock]) {
    if blocks.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "#### ⚠️ Not parsed: {what}\n\n\
         kopsflow did not understand these lines of kops's output. They are shown as kops printed \
         them and are not counted above; whether anything is pending comes from kops's closing \
         line.\n"
    );
    let mut budget = MD_MAX_UNPARSED_LINES;
    let mut hidden = 0;
    for b in blocks {
        if budget == 0 {
            hidden += b.lines.len();
            continue;
        }
        let shown = &b.lines[..b.lines.len().min(budget)];
        budget -= shown.len();
        hidden += b.lines.len() - shown.len();
        let location = md_location(b);
        let lines: Vec<String> = shown.iter().map(|l| clip(l)).collect();
        let fence = md_fence(&lines);
        let _ = writeln!(
            out,
            "Line {} ({}){}{location}:\n\n{fence}text",
            b.line,
            md_text(&b.reason),
            if location.is_empty() { "" } else { ", " },
        );
        for line in &lines {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "{fence}\n");
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "… and {hidden} more line{} not shown here (the text and JSON reports show them all).\n",
            if hidden == 1 { "" } else { "s" }
        );
    }
}

fn md_rolling(out: &mut String, r: &RollingUpdateReport) {
    if r.update_required {
        let groups: Vec<String> = r
            .groups_needing_update()
            .map(|g| md_code(&g.name))
            .collect();
        let which = if !groups.is_empty() {
            groups.join(", ")
        } else if r.unparsed.is_empty() {
            "kops asks for `--yes` although no group is NeedsUpdate".to_string()
        } else {
            "see the lines not parsed below".to_string()
        };
        let _ = writeln!(out, "🔄 **Rolling update needed**: {which}\n");
    } else {
        let _ = writeln!(out, "**Rolling update**: not required\n");
    }
    if r.groups.is_empty() && !r.unparsed.is_empty() {
        // No row was understood: no table, only the lines not parsed.
        md_warnings(out, r.other_warnings());
        md_unparsed(out, "kops rolling-update cluster", &r.unparsed);
        return;
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
    md_warnings(out, r.other_warnings());
    md_unparsed(out, "kops rolling-update cluster", &r.unparsed);
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

fn md_drift(out: &mut String, d: &Drift) {
    let at = format!(
        "{} at {}",
        md_code(&d.file),
        md_code(super::short_commit(&d.commit))
    );
    if let Some(later) = &d.at_commit {
        let _ = writeln!(
            out,
            "**Drift**: none — production matches the spec at {}, committed since {at}: a deploy of it did not finish\n",
            md_code(super::short_commit(later))
        );
        return;
    }
    if d.at_target {
        let _ = writeln!(
            out,
            "**Drift**: none — production already matches the spec being deployed (it differs from {at}, the spec deployed before: a re-run)\n"
        );
        return;
    }
    if !d.drifted() {
        let _ = writeln!(out, "**Drift**: none since {at}\n");
        return;
    }
    let verdict = if d.allowed {
        "⚠️ deployed over it (`--allow-drift`)"
    } else {
        "❌ refused"
    };
    let _ = writeln!(
        out,
        "**Drift**: production was changed outside git since {at}; {verdict} (production → {at})\n"
    );
    for change in &d.changes.changes {
        let _ = writeln!(out, "- {}", md_spec_change(change));
    }
    let _ = writeln!(out);
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
    if let Some(note) = c.applied_before_error() {
        let _ = writeln!(out, "**Applied**: {note}\n");
    }
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
    if let Some(d) = &c.drift {
        md_drift(out, d);
    }
    if let Some(u) = &c.update {
        md_update(out, &redact_report(u));
    }
    if let Some(u) = &c.cloud {
        md_cloud(out, &redact_report(u));
    }
    let to_delete: Vec<String> = c.instance_groups_still_to_delete().map(md_code).collect();
    if !to_delete.is_empty() {
        let _ = writeln!(
            out,
            "🗑️ **Instance groups to delete** (live, removed from git): {}\n",
            to_delete.join(", ")
        );
    }
    if let Some(cost) = &c.cost {
        super::cost::md_cost(out, cost);
        super::capacity::md_capacity(out, cost);
    }
    let list = |igs: &[String]| {
        igs.iter()
            .map(|g| md_code(g))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !c.instance_groups_deleted.is_empty() {
        let _ = writeln!(
            out,
            "🗑️ **Instance groups deleted** (removed from git; prune): {}\n",
            list(&c.instance_groups_deleted)
        );
    }
    if !c.instance_groups_kept.is_empty() {
        let _ = writeln!(
            out,
            "⚠️ {} {}\n",
            super::KEPT_WARNING,
            list(&c.instance_groups_kept)
        );
    }
    if let Some(r) = &c.rolling_update {
        md_rolling(out, r);
    }
    match c.validated {
        Some(true) => out.push_str("✅ **Validation**: the cluster is ready\n\n"),
        Some(false) => out.push_str("❌ **Validation**: failed\n\n"),
        None => {}
    }
    if let Some(violations) = &c.policy {
        super::policy::md_policy(out, violations);
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
    if let Some(note) = &s.note {
        let _ = writeln!(out, "ℹ️ {}\n", md_text(note));
    }
    if let Some(k) = &s.kops {
        let warn = if k.matches_pin { "" } else { "⚠️ " };
        let _ = writeln!(out, "{warn}{}\n", md_text(&super::kops_line(k)));
    }
    if let Some(line) = super::cost::total_line(s) {
        let _ = writeln!(out, "💰 {}\n", md_text(&line));
    }
    if let Some(line) = super::capacity::total_line(s) {
        let _ = writeln!(out, "🧮 {}\n", md_text(&line));
    }
    let groups = super::waves::groups(s);
    table::md_table(&mut out, s, groups.as_deref());
    match groups {
        None => {
            for c in &s.clusters {
                md_cluster(&mut out, c);
            }
        }
        Some(groups) => {
            for group in groups {
                let _ = writeln!(out, "## {}\n", md_text(&group.heading()));
                for c in group.clusters {
                    md_cluster(&mut out, c);
                }
            }
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
