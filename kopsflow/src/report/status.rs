//! `cargo xtask status`: one row per cluster — the spec's revision in git, what is deployed as far
//! as kopsflow can know (the audit log), spec drift (git against production's store), the cloud
//! against the store (kops's dry-run of production's own spec: `not applied`), whether a rolling
//! update is needed, and the last deploy's outcome. The row's checks come from the
//! [`ClusterSummary`] of a run of the `Drift` and `Rolling update` (preview) stages; the audit
//! log's lines are read here ([`last_deploys`], schema in `docs/AUDIT.md`). Rendered by
//! `render/status.rs`.

use super::summary::{ClusterSummary, KopsUsed};
use crate::json::{read, Json};

/// What `status` found, over all its clusters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusReport {
    /// The git branch the run was for.
    pub branch: String,
    pub kops: Option<KopsUsed>,
    /// The audit log the deploys were read from.
    pub audit_log: AuditLogRead,
    pub rows: Vec<StatusRow>,
}

/// The audit log as `status` read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditLogRead {
    /// Its path, as shown.
    pub path: String,
    /// The file exists (a runner without it knows nothing of earlier deploys).
    pub found: bool,
    /// Lines that are no audit record (not JSON, or without a cluster), skipped.
    pub skipped_lines: usize,
}

/// One cluster's row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusRow {
    pub cluster: String,
    pub spec_file: String,
    /// The last commit that changed the spec file; `None` when git has none (not committed).
    pub revision: Option<Revision>,
    /// The last successful `deploy` of the cluster in the audit log: what is deployed, as far as
    /// kopsflow can know. `None`: unknown.
    pub deployed: Option<DeployRecord>,
    /// The last `deploy` of the cluster in the audit log, whatever its outcome.
    pub last_deploy: Option<DeployRecord>,
    /// What the run found: spec diff, the cloud's dry-run, the rolling-update table, an error.
    pub found: ClusterSummary,
    /// Why the rolling-update check has no answer although the cluster did not fail: kops could
    /// not reach the Kubernetes API (`API unreachable`).
    pub rolling_unknown: Option<String>,
}

/// A commit, as `git log` gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub commit: String,
    /// Committer date, ISO 8601 (`2026-12-02T10:00:00+00:00`).
    pub date: String,
}

/// One `deploy` record of the audit log (`docs/AUDIT.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployRecord {
    /// `time`: when it ended (RFC 3339, UTC).
    pub time: String,
    /// `commit`: what was checked out.
    pub commit: Option<String>,
    /// `outcome`: `ok`, `failed` or `skipped`.
    pub outcome: String,
    /// `error` of a failed deploy, `reason` of a skipped one.
    pub detail: Option<String>,
}

/// The last `deploy` record and the last successful one of `cluster` in the audit log's text
/// (JSON Lines, oldest first), and how many lines were no record.
pub fn last_deploys(
    log: &str,
    cluster: &str,
) -> (Option<DeployRecord>, Option<DeployRecord>, usize) {
    let mut last = None;
    let mut last_ok = None;
    let mut skipped = 0;
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(record) = read::parse(line) else {
            skipped += 1;
            continue;
        };
        let text = |key: &str| record.get(key).and_then(Json::as_str).map(str::to_owned);
        if text("cluster").is_none() {
            skipped += 1;
            continue;
        }
        if text("cluster").as_deref() != Some(cluster)
            || text("subcommand").as_deref() != Some("deploy")
        {
            continue;
        }
        let outcome = text("outcome").unwrap_or_default();
        let deploy = DeployRecord {
            time: text("time").unwrap_or_default(),
            commit: text("commit"),
            detail: text("error").or_else(|| text("reason")),
            outcome,
        };
        if deploy.outcome == "ok" {
            last_ok = Some(deploy.clone());
        }
        last = Some(deploy);
    }
    (last, last_ok, skipped)
}

/// One check of a row: a state word (the JSON's `state`) and the text shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// `none`, `drifted`, `not_applied`, `needed`, `not_required`, `not_in_production` or
    /// `unknown`.
    pub state: &'static str,
    pub text: String,
}

impl Cell {
    fn new(state: &'static str, text: impl Into<String>) -> Cell {
        Cell {
            state,
            text: text.into(),
        }
    }

    /// Something to act on: a drift, a cluster not in production yet, a cloud not applied, a
    /// rolling update needed.
    pub fn needs_attention(&self) -> bool {
        matches!(
            self.state,
            "drifted" | "not_in_production" | "not_applied" | "needed"
        )
    }
}

/// `3 changes`, `1 change`.
fn changes(n: usize) -> String {
    format!("{n} change{}", if n == 1 { "" } else { "s" })
}

impl StatusRow {
    /// Why a check has no answer: the cluster's error, if the run stopped before it.
    fn unknown(&self) -> Cell {
        match &self.found.error {
            Some(_) => Cell::new("unknown", "unknown (error)"),
            None => Cell::new("unknown", "unknown"),
        }
    }

    /// Git's spec against production's store (`kops get`).
    pub fn spec_drift(&self) -> Cell {
        let c = &self.found;
        if c.new_cluster {
            return Cell::new("not_in_production", "not in production");
        }
        let Some(diff) = &c.spec_diff else {
            return self.unknown();
        };
        let n = diff.changes.len();
        let igs = c.instance_groups_to_delete.len();
        match (n, igs) {
            (0, 0) => Cell::new("none", "none"),
            (n, 0) => Cell::new("drifted", changes(n)),
            (0, igs) => Cell::new("drifted", format!("{igs} instance group(s) not in git")),
            (n, igs) => Cell::new(
                "drifted",
                format!("{}, {igs} instance group(s) not in git", changes(n)),
            ),
        }
    }

    /// The cloud against production's store: kops's dry-run of production's own spec.
    pub fn cloud(&self) -> Cell {
        let c = &self.found;
        if c.new_cluster {
            return Cell::new("not_in_production", "not in production");
        }
        let Some(u) = &c.cloud else {
            return self.unknown();
        };
        if !u.changes_pending {
            return Cell::new("none", "none");
        }
        Cell::new(
            "not_applied",
            format!(
                "not applied ({} to create, {} to modify, {} to delete)",
                u.create_count(),
                u.modify_count(),
                u.delete_count()
            ),
        )
    }

    /// `kops rolling-update cluster` without `--yes`.
    pub fn rolling_update(&self) -> Cell {
        if let Some(why) = &self.rolling_unknown {
            return Cell::new("unknown", format!("unknown ({why})"));
        }
        if self.found.new_cluster {
            return Cell::new("not_in_production", "not in production");
        }
        match &self.found.rolling_update {
            None => self.unknown(),
            Some(r) if r.update_required => {
                let groups: Vec<&str> =
                    r.groups_needing_update().map(|g| g.name.as_str()).collect();
                if groups.is_empty() {
                    Cell::new("needed", "needed")
                } else {
                    Cell::new("needed", format!("needed: {}", groups.join(", ")))
                }
            }
            Some(_) => Cell::new("not_required", "not required"),
        }
    }

    /// Spec drift, a cloud not applied or a rolling update needed.
    pub fn needs_attention(&self) -> bool {
        [self.spec_drift(), self.cloud(), self.rolling_update()]
            .iter()
            .any(Cell::needs_attention)
    }
}

impl StatusReport {
    /// Any row needs attention (`--detailed-exitcode`: exit 2).
    pub fn needs_attention(&self) -> bool {
        self.rows.iter().any(StatusRow::needs_attention)
    }

    /// Any cluster failed (not counting an unreachable API, which is a row's `unknown`).
    pub fn has_errors(&self) -> bool {
        self.rows.iter().any(|r| r.found.error.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::update::UpdateReport;

    /// Lines as `cargo xtask deploy` writes them (docs/AUDIT.md), trimmed to the keys read.
    const LOG: &str = r#"{"schema_version":1,"time":"2026-05-01T10:00:00Z","cluster":"a","subcommand":"deploy","commit":"1111","outcome":"ok","error":null,"reason":null}
not json
{"schema_version":1,"time":"2026-05-01T11:00:00Z","cluster":"a","subcommand":"rolling-update","commit":"2222","outcome":"ok","error":null,"reason":null}
{"schema_version":1,"time":"2026-05-01T12:00:00Z","cluster":"b","subcommand":"deploy","commit":"3333","outcome":"ok","error":null,"reason":null}
{"schema_version":1,"time":"2026-05-01T13:00:00Z","cluster":"a","subcommand":"deploy","commit":"4444","outcome":"failed","error":"kops update cluster failed","reason":null}
{"schema_version":1}
"#;

    #[test]
    fn the_last_deploy_and_the_last_successful_one() {
        let (last, ok, skipped) = last_deploys(LOG, "a");
        let last = last.expect("a was deployed");
        assert_eq!(
            (
                last.outcome.as_str(),
                last.commit.as_deref(),
                last.detail.as_deref()
            ),
            ("failed", Some("4444"), Some("kops update cluster failed"))
        );
        let ok = ok.expect("a was deployed once");
        assert_eq!(
            (ok.commit.as_deref(), ok.time.as_str()),
            (Some("1111"), "2026-05-01T10:00:00Z")
        );
        assert_eq!(skipped, 2);
        assert_eq!(last_deploys(LOG, "c"), (None, None, 2));
    }

    #[test]
    fn cells() {
        let mut row = StatusRow::default();
        assert_eq!(row.spec_drift().state, "unknown");
        row.found.spec_diff = Some(crate::spec::SpecDiff::default());
        row.found.cloud = Some(UpdateReport::default());
        assert_eq!(row.spec_drift(), Cell::new("none", "none"));
        assert_eq!(row.cloud(), Cell::new("none", "none"));
        row.found.cloud = Some(UpdateReport {
            changes_pending: true,
            ..UpdateReport::default()
        });
        assert_eq!(row.cloud().state, "not_applied");
        assert!(row.needs_attention());
        row.rolling_unknown = Some("API unreachable".to_owned());
        assert_eq!(row.rolling_update().text, "unknown (API unreachable)");
        row.found.new_cluster = true;
        assert_eq!(row.cloud().state, "not_in_production");
    }
}
