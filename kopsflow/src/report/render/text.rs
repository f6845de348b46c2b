//! Terminal text rendering of a [`RunSummary`], optionally ANSI-coloured (see
//! [`super::use_color`]).

use std::fmt::Write as _;

use super::{clip, counts_line, deletion_when, lines_not_parsed, overview};
use crate::report::redact::redact_report;
use crate::report::rolling::RollingUpdateReport;
use crate::report::summary::{ClusterStatus, ClusterSummary, Drift, RunSummary};
use crate::report::unparsed::UnparsedBlock;
use crate::report::update::{FieldChange, UpdateReport};
use crate::spec::SpecDiff;

pub(super) struct Painter {
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
    pub(super) fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    pub(super) fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    pub(super) fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    pub(super) fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    pub(super) fn cyan(&self, s: &str) -> String {
        self.paint("36", s)
    }
    fn status(&self, st: ClusterStatus) -> String {
        match st {
            ClusterStatus::Error => self.red(st.label()),
            ClusterStatus::Created | ClusterStatus::Applied => self.green(st.label()),
            ClusterStatus::NewCluster => self.cyan(st.label()),
            ClusterStatus::ChangesPending | ClusterStatus::NotApplied => self.yellow(st.label()),
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
    text_update_titled(out, p, "kops update cluster (dry-run):", "", None, u);
}

/// The cloud dry-run of `drift`: `not applied` and what it means, or that the cloud matches.
fn text_cloud(out: &mut String, p: &Painter, u: &UpdateReport) {
    let title = format!("{}:", super::CLOUD_TITLE);
    if u.changes_pending {
        let meaning = Some(super::NOT_APPLIED_MEANING);
        text_update_titled(out, p, &title, &p.yellow("not applied: "), meaning, u);
    } else {
        text_update_titled(out, p, &title, &p.green("matches the store: "), None, u);
    }
}

/// A dry-run report under `title`, its counts after `verdict`, then `meaning` on its own line.
fn text_update_titled(
    out: &mut String,
    p: &Painter,
    title: &str,
    verdict: &str,
    meaning: Option<&str>,
    u: &UpdateReport,
) {
    let _ = writeln!(
        out,
        "  {} {verdict}{}{}",
        p.bold(title),
        counts_line(u),
        if u.closing_line_seen {
            ""
        } else {
            " (kops closing line missing: output may be incomplete)"
        }
    );
    if let Some(meaning) = meaning {
        let _ = writeln!(out, "    {meaning}");
    }
    for t in &u.ignored {
        let _ = writeln!(out, "    {} {}", p.yellow("note:"), super::ignored_line(t));
    }
    for notice in &u.notices {
        for (i, line) in notice.lines().enumerate() {
            let lead = if i == 0 { "note:" } else { "     " };
            let _ = writeln!(out, "    {} {line}", p.yellow(lead));
        }
    }
    text_warnings(out, p, u.other_warnings());
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
    text_unparsed(out, p, &u.unparsed);
}

fn text_warnings(out: &mut String, p: &Painter, warnings: &[String]) {
    for w in warnings {
        let _ = writeln!(out, "    {} {w}", p.yellow("warning:"));
    }
}

/// Each block under a `not parsed` marker with where it was and why, then its lines verbatim.
fn text_unparsed(out: &mut String, p: &Painter, blocks: &[UnparsedBlock]) {
    for b in blocks {
        let location = b.location();
        let _ = writeln!(
            out,
            "    {} line {} ({}){}{location}; kops's text, verbatim:",
            p.yellow(&format!("{}:", lines_not_parsed(b.lines.len()))),
            b.line,
            b.reason,
            if location.is_empty() { "" } else { ", " },
        );
        for line in &b.lines {
            let _ = writeln!(out, "      | {line}");
        }
    }
}

fn text_spec_diff(out: &mut String, p: &Painter, d: &SpecDiff) {
    if d.is_empty() {
        let _ = writeln!(out, "  {} none", p.bold("spec diff:"));
        return;
    }
    let _ = writeln!(out, "  {}", p.bold("spec diff:"));
    for change in &d.changes {
        let _ = writeln!(out, "    {}", change.describe());
    }
}

fn text_drift(out: &mut String, p: &Painter, d: &Drift) {
    let at = format!("{} at {}", d.file, super::short_commit(&d.commit));
    if let Some(later) = &d.at_commit {
        let _ = writeln!(
            out,
            "  {} none — production matches the spec at {}, committed since {at}: a deploy of it did not finish",
            p.bold("drift:"),
            super::short_commit(later)
        );
        return;
    }
    if d.at_target {
        let _ = writeln!(
            out,
            "  {} none — production already matches the spec being deployed (it differs from {at}, the spec deployed before: a re-run)",
            p.bold("drift:")
        );
        return;
    }
    if !d.drifted() {
        let _ = writeln!(out, "  {} none since {at}", p.bold("drift:"));
        return;
    }
    let verdict = if d.allowed {
        p.yellow("deployed over it (--allow-drift)")
    } else {
        p.red("refused")
    };
    let _ = writeln!(
        out,
        "  {} production was changed outside git since {at}; {verdict} (production → {at}):",
        p.bold("drift:")
    );
    for change in &d.changes.changes {
        let _ = writeln!(out, "    {}", change.describe());
    }
}

fn text_rolling(out: &mut String, p: &Painter, r: &RollingUpdateReport) {
    if r.update_required {
        let groups = rolling_groups(r);
        let which = if !groups.is_empty() {
            groups.join(", ")
        } else if r.unparsed.is_empty() {
            "kops asks for --yes (no group is NeedsUpdate: --force?)".to_string()
        } else {
            "see the lines not parsed below".to_string()
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
    text_warnings(out, p, r.other_warnings());
    text_unparsed(out, p, &r.unparsed);
}

/// Terminal rendering. ANSI colour codes only when `color` is true (see [`use_color`](super::use_color)).
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
    if let Some(note) = &s.note {
        let _ = writeln!(out, "{} {note}", p.bold("note:"));
    }
    if let Some(k) = &s.kops {
        let line = super::kops_line(k);
        let _ = writeln!(
            out,
            "{}",
            if k.matches_pin { line } else { p.yellow(&line) }
        );
    }
    if let Some(line) = super::cost::total_line(s) {
        let _ = writeln!(out, "{line}");
    }
    if let Some(line) = super::capacity::total_line(s) {
        let _ = writeln!(out, "{line}");
    }
    match super::waves::groups(s) {
        None => {
            for c in &s.clusters {
                text_cluster(&mut out, &p, c);
            }
        }
        Some(groups) => {
            for group in groups {
                let _ = writeln!(out);
                let _ = writeln!(out, "{}", p.bold(&format!("=== {} ===", group.heading())));
                for c in group.clusters {
                    text_cluster(&mut out, &p, c);
                }
            }
        }
    }
    out
}

/// One cluster: its heading and status, then what was found for it.
fn text_cluster(out: &mut String, p: &Painter, c: &ClusterSummary) {
    let _ = writeln!(out);
    let st = c.status();
    let _ = writeln!(
        out,
        "{} {}: {}",
        p.bold("=="),
        p.bold(&c.cluster),
        p.status(st)
    );
    if let Some(note) = c.applied_before_error() {
        let _ = writeln!(out, "  {} {note}", p.green("applied:"));
    }
    if let Some(err) = &c.error {
        for (i, line) in err.lines().enumerate() {
            let lead = if i == 0 { "error:" } else { "      " };
            let _ = writeln!(out, "  {} {line}", p.red(lead));
        }
    }
    if let Some(d) = &c.spec_diff {
        text_spec_diff(out, p, d);
    }
    if let Some(d) = &c.drift {
        text_drift(out, p, d);
    }
    if let Some(u) = &c.update {
        text_update(out, p, &redact_report(u));
    }
    if let Some(u) = &c.cloud {
        text_cloud(out, p, &redact_report(u));
    }
    let to_delete: Vec<&str> = c.instance_groups_still_to_delete().collect();
    if !to_delete.is_empty() {
        let _ = writeln!(
            out,
            "  {} {}",
            p.bold("instance groups to delete (removed from git):"),
            p.red(&to_delete.join(", "))
        );
    }
    if let Some(cost) = &c.cost {
        super::cost::text_cost(out, &p.bold("cost per month"), cost);
        super::capacity::text_capacity(out, &p.bold("capacity"), cost);
    }
    if !c.instance_groups_deleted.is_empty() {
        let _ = writeln!(
            out,
            "  {} {}",
            p.bold("instance groups deleted (removed from git; prune):"),
            c.instance_groups_deleted.join(", ")
        );
    }
    if !c.instance_groups_kept.is_empty() {
        let _ = writeln!(
            out,
            "  {} {}",
            p.yellow(super::KEPT_WARNING),
            p.yellow(&c.instance_groups_kept.join(", "))
        );
    }
    if let Some(r) = &c.rolling_update {
        text_rolling(out, p, r);
    }
    match c.validated {
        Some(true) => {
            let _ = writeln!(out, "  {} {}", p.bold("validation:"), p.green("ready"));
        }
        Some(false) => {
            let _ = writeln!(out, "  {} {}", p.bold("validation:"), p.red("failed"));
        }
        None => {}
    }
    if let Some(violations) = &c.policy {
        super::policy::text_policy(out, p, violations);
    }
}

fn rolling_groups(r: &RollingUpdateReport) -> Vec<String> {
    r.groups_needing_update()
        .map(|g| {
            format!(
                "{} ({} of {} instances)",
                g.name,
                g.need_update,
                // u64: two u32 counts never overflow it.
                u64::from(g.need_update) + u64::from(g.ready)
            )
        })
        .collect()
}
