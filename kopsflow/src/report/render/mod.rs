//! Renderers for a [`RunSummary`]: terminal text (`text`, optionally ANSI-coloured),
//! GitHub-flavoured markdown (`markdown`, PR comment / `$GITHUB_STEP_SUMMARY`) and JSON (`json`,
//! schema in `JSON.md`). This module owns what they share: the NO_COLOR rule, value clipping, the
//! counts and overview lines. All three show dry-run values only after
//! [`redact_report`](super::redact_report).

mod capacity;
mod cost;
mod json;
mod markdown;
mod policy;
mod status;
mod text;
mod waves;

pub use json::{render_json, JSON_SCHEMA_VERSION};
pub use markdown::render_markdown;
pub use status::{render_status_json, render_status_markdown, render_status_text};
pub use text::render_text;

use std::fmt::Write as _;

use super::summary::{ClusterStatus, ClusterSummary, KopsUsed, RunSummary};
use super::update::{DeletionSection, UpdateReport};

/// Longest single-line value shown by the text and markdown renderers (JSON is never clipped).
const MAX_VALUE_CHARS: usize = 200;

/// The NO_COLOR convention (<https://no-color.org>): colour only on a terminal, and never when
/// `NO_COLOR` is set to a non-empty value.
pub fn use_color(is_tty: bool, no_color_env: Option<&str>) -> bool {
    is_tty && no_color_env.is_none_or(str::is_empty)
}

/// `value`, cut to [`MAX_VALUE_CHARS`] characters with a `… (+N chars)` tail when longer.
fn clip(value: &str) -> String {
    let count = value.chars().count();
    if count <= MAX_VALUE_CHARS {
        return value.to_string();
    }
    let head: String = value.chars().take(MAX_VALUE_CHARS).collect();
    format!("{head}… (+{} chars)", count - MAX_VALUE_CHARS)
}

/// The warning of a deploy that left instance groups git no longer has in production.
const KEPT_WARNING: &str =
    "warning: prune is off, so these instance groups removed from git are still in production:";

/// What a [`ClusterSummary::cloud`](super::ClusterSummary::cloud) dry-run is, for its heading.
const CLOUD_TITLE: &str = "cloud (kops update cluster dry-run of production's own spec)";

/// What pending changes in that dry-run mean, and what they cannot tell apart.
const NOT_APPLIED_MEANING: &str = "the cloud does not match production's state store: an apply that did not finish (a failed `kops update cluster --yes`) or a change made in the cloud outside kops, which kops's dry-run shows the same way; `kops update cluster --yes` would make these changes";

/// A modified task left out as a server-set difference, in words.
fn ignored_line(t: &super::update::TaskChange) -> String {
    format!(
        "ignored {}: only metadata.{} differs (set by kops when it created the cluster; kops rewrites the file on its next update)",
        t.resource(),
        super::update::SERVER_SET_METADATA.join(", metadata.")
    )
}

/// How a commit is shown: its first 12 characters.
fn short_commit(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// When an item of a deletion section is deleted, in words.
fn deletion_when(section: DeletionSection) -> &'static str {
    match section {
        DeletionSection::WillDelete => "deleted on update",
        DeletionSection::OnlyWithPrune => "deleted only with --prune",
        DeletionSection::DuringUpdate => "deleted during update",
    }
}

/// `N to create, N to modify, N to delete`, and `; N lines not parsed` when some were not.
fn counts_line(u: &UpdateReport) -> String {
    let mut line = format!(
        "{} to create, {} to modify, {} to delete",
        u.create_count(),
        u.modify_count(),
        u.delete_count()
    );
    let unparsed = u.unparsed_line_count();
    if unparsed > 0 {
        let _ = write!(line, "; {}", lines_not_parsed(unparsed));
    }
    line
}

/// `1 line not parsed`, `3 lines not parsed`.
fn lines_not_parsed(n: usize) -> String {
    format!("{n} line{} not parsed", if n == 1 { "" } else { "s" })
}

/// `3 clusters: 1 error, 2 changes pending; rolling update needed`: clusters per status, the
/// clusters never started (`not run: …`) apart from the ones that failed.
fn overview(s: &RunSummary) -> String {
    let n = s.clusters.len();
    let not_run = |c: &&ClusterSummary| c.error.as_deref().is_some_and(super::not_run::is_not_run);
    let count = |st: ClusterStatus| {
        let of = s.clusters.iter().filter(|c| c.status() == st);
        match st {
            ClusterStatus::Error => of.filter(|c| !not_run(c)).count(),
            _ => of.count(),
        }
    };
    let mut parts = Vec::new();
    let never_started = s.clusters.iter().filter(not_run).count();
    for st in [
        ClusterStatus::Error,
        ClusterStatus::Created,
        ClusterStatus::Applied,
        ClusterStatus::NewCluster,
        ClusterStatus::ChangesPending,
        ClusterStatus::NotApplied,
        ClusterStatus::NoChanges,
    ] {
        let k = count(st);
        if k > 0 {
            parts.push(format!("{k} {}", st.label()));
        }
        if st == ClusterStatus::Error && never_started > 0 {
            parts.push(format!("{never_started} not run"));
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
    if s.policy_blocked() {
        line.push_str("; blocked by policy");
    }
    line
}

/// Which kops ran, against the pin: `kops 1.29.2 (pinned: 1.29.2)`, or
/// `kops 1.36.2 is not the pinned 1.29.2: run anyway (--any-kops-version)`.
fn kops_line(k: &KopsUsed) -> String {
    if k.matches_pin {
        format!("kops {} (pinned: {})", k.version, k.pin)
    } else {
        format!(
            "kops {} is not the pinned {}: run anyway (--any-kops-version)",
            k.version, k.pin
        )
    }
}
