//! The audit log: every `deploy` and `rolling-update` (preview or `--yes`) appends one JSON line
//! per selected cluster to `--audit-log PATH` (default `target/kopsflow/audit.jsonl` under the
//! repository root): who ran it, from which commit, the kops commands and how they ended, the
//! outcome, what changed. The record itself is `kopsflow::report::audit` (schema:
//! `docs/AUDIT.md`); this module collects what a run learns as it goes ([`Audit`]) and writes
//! the records when the run ends — successful, failed or interrupted — through the redacting
//! output sink.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use kopsflow::exec::is_not_run;
use kopsflow::plan::{Plan, StageOutcome};
use kopsflow::report::audit::{audit_line, Actor, AuditOutcome, AuditRun, Person};
use kopsflow::report::{ClusterSummary, RunSummary};
use xshell::Shell;

use crate::env_var;
use crate::flags;
use crate::output::Output;

/// Where the audit log is when `--audit-log` is not given, under the repository root.
pub const DEFAULT_AUDIT_LOG: &str = "target/kopsflow/audit.jsonl";

/// What one run has learnt so far, for its audit records; inert for jobs that are not audited.
#[derive(Debug)]
pub struct Audit {
    state: Option<RefCell<State>>,
}

#[derive(Debug)]
struct State {
    path: Utf8PathBuf,
    /// The default path: its directory gets a `.gitignore` (the log is inside the work tree).
    default_path: bool,
    subcommand: String,
    started: u64,
    branch: String,
    /// The clusters selected, once the run is past `--print`: each gets a record.
    clusters: Vec<String>,
    kops_version: Option<String>,
    /// Per cluster of the plan, why nothing runs for it (every stage skipped on this branch).
    skipped: Vec<(String, String)>,
    summary: Option<RunSummary>,
    /// Guard overrides the run was started with (e.g. `allow-drift`).
    overrides: Vec<String>,
}

impl Audit {
    /// An audit of a `subcommand` run, writing to `--audit-log` (relative to the current
    /// directory) or to [`DEFAULT_AUDIT_LOG`] under `root`; `None`: the job is not audited.
    pub fn new(
        subcommand: &str,
        flag: Option<flags::AuditLog>,
        root: &Utf8Path,
    ) -> anyhow::Result<Audit> {
        let Some(flag) = flag else {
            return Ok(Audit { state: None });
        };
        let (path, default_path) = match flag.audit_log {
            Some(path) if path.is_relative() => {
                let cwd = std::env::current_dir().context("cannot read the current directory")?;
                let cwd =
                    Utf8PathBuf::try_from(cwd).context("the current directory is not UTF-8")?;
                (cwd.join(path), false)
            }
            Some(path) => (path, false),
            None => (root.join(DEFAULT_AUDIT_LOG), true),
        };
        Ok(Audit {
            state: Some(RefCell::new(State {
                path,
                default_path,
                subcommand: subcommand.to_owned(),
                started: unix_now(),
                branch: String::new(),
                clusters: Vec::new(),
                kops_version: None,
                skipped: Vec::new(),
                summary: None,
                overrides: Vec::new(),
            })),
        })
    }

    fn with(&self, f: impl FnOnce(&mut State)) {
        if let Some(state) = &self.state {
            f(&mut state.borrow_mut());
        }
    }

    /// The run will act on these clusters: from here on, each gets a record whatever happens.
    pub fn selected(&self, branch: &str, clusters: &[String]) {
        self.with(|s| {
            s.branch = branch.to_owned();
            s.clusters = clusters.to_vec();
        });
    }

    /// The plan about to run: its kops version, and the clusters it skips on this branch.
    pub fn planned(&self, plan: &Plan) {
        self.with(|s| {
            s.kops_version = Some(plan.kops_version.to_string());
            s.skipped = plan
                .clusters
                .iter()
                .filter_map(|cluster| {
                    let reasons: Vec<String> = cluster
                        .stages
                        .iter()
                        .map(|stage| match &stage.outcome {
                            StageOutcome::Skipped { reason } => {
                                Some(format!("{}: skipped — {reason}", stage.name))
                            }
                            StageOutcome::Run(_) => None,
                        })
                        .collect::<Option<_>>()?;
                    Some((cluster.cluster.clone(), reasons.join("; ")))
                })
                .collect();
        });
    }

    /// A guard override the run was started with (`--allow-drift`): noted in every record; the
    /// record's `drift` shows whether it was used.
    pub fn overridden(&self, name: &str) {
        self.with(|s| s.overrides.push(name.to_owned()));
    }

    /// What the run found for each cluster.
    pub fn ran(&self, summary: &RunSummary) {
        self.with(|s| s.summary = Some(summary.clone()));
    }

    /// Appends one record per selected cluster: from the run's summary when it got that far,
    /// else each cluster `failed` with `error` (the run stopped before it ran any cluster).
    /// Says on stderr where the records went.
    pub fn finish(
        &self,
        sh: &Shell,
        output: &Output,
        error: Option<&anyhow::Error>,
    ) -> anyhow::Result<()> {
        let Some(state) = &self.state else {
            return Ok(());
        };
        let s = state.borrow();
        if s.clusters.is_empty() {
            return Ok(());
        }
        let commit = kopsflow::git::head(sh).ok();
        let person = |p: &kopsflow::git::Identity| Person {
            name: p.name.clone(),
            email: p.email.clone(),
        };
        let run = AuditRun {
            subcommand: s.subcommand.clone(),
            branch: s.branch.clone(),
            commit: commit.as_ref().map(|c| c.sha.clone()),
            author: commit.as_ref().map(|c| person(&c.author)),
            committer: commit.as_ref().map(|c| person(&c.committer)),
            actor: Actor::from_env(env_var, &kopsflow::exec::lock::this_host()),
            kops_version: s.kops_version.clone(),
            started: s.started,
            overrides: s.overrides.clone(),
        };
        let records: Vec<(ClusterSummary, AuditOutcome)> = match &s.summary {
            Some(summary) => summary
                .clusters
                .iter()
                .map(|c| (c.clone(), s.outcome(c)))
                .collect(),
            None => {
                let why = error.map_or_else(
                    || "the run ended before this cluster ran".to_owned(),
                    |e| format!("{e:#}"),
                );
                s.clusters
                    .iter()
                    .map(|name| {
                        let cluster = ClusterSummary {
                            cluster: name.clone(),
                            ..ClusterSummary::default()
                        };
                        (cluster, AuditOutcome::Failed(why.clone()))
                    })
                    .collect()
            }
        };
        if s.default_path {
            if let Some(dir) = s.path.parent() {
                output.ignored_dir(dir, "kopsflow's audit log and locks")?;
            }
        }
        let now = unix_now();
        for (cluster, outcome) in &records {
            let line = audit_line(&run, cluster, outcome, now, output.redactor());
            output
                .append(&s.path, &line)
                .context("cannot append to the audit log (--audit-log)")?;
        }
        output.err(&format!(
            "audit: {} record(s) appended to {}",
            records.len(),
            s.path
        ));
        Ok(())
    }
}

impl State {
    /// How a cluster that the executor reported on went.
    fn outcome(&self, cluster: &ClusterSummary) -> AuditOutcome {
        match cluster.error.as_deref() {
            Some(reason) if is_not_run(reason) => AuditOutcome::Skipped(reason.to_owned()),
            Some(error) => AuditOutcome::Failed(error.to_owned()),
            None => match self.skipped.iter().find(|(c, _)| *c == cluster.cluster) {
                Some((_, reason)) => AuditOutcome::Skipped(reason.clone()),
                None => AuditOutcome::Ok,
            },
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
