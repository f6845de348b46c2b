//! `cargo xtask status`: one row per cluster, read-only. The job runs the repo pipeline's
//! `Drift` stage (git against production's store, and kops's dry-run of production's own spec
//! in a dry-run store: the cloud against the store) and its `Rolling update` preview
//! (`--cloudonly` when given); this module adds what git and the audit log know — the last
//! commit that changed each spec, the last successful and the last deploy of each cluster — and
//! reports the rows as text, markdown or JSON (`kopsflow::report::status`). A rolling-update
//! check that cannot reach the Kubernetes API makes its row `unknown (API unreachable)` rather
//! than failing the command (and one of a cluster not in production, `not in production`).

use anyhow::{bail, Context as _};
use camino::{Utf8Path, Utf8PathBuf};
use kopsflow::plan::Plan;
use kopsflow::report::status::{last_deploys, AuditLogRead, Revision, StatusReport, StatusRow};
use kopsflow::report::RunSummary;
use xshell::Shell;

use crate::audit::DEFAULT_AUDIT_LOG;
use crate::env_var;
use crate::flags::{self, Format, Selection};
use crate::job::{Job, Kind, Outcome, Schedule};
use crate::output::Output;
use crate::pipeline::RunFlags;

/// What `status` reads besides its run: the audit log (`--audit-log`, else the default under
/// the repository root).
#[derive(Debug)]
pub struct Options {
    audit_log: Option<Utf8PathBuf>,
}

impl From<flags::Status> for Job {
    fn from(cmd: flags::Status) -> Job {
        Job {
            kind: Kind::Status,
            selection: Selection {
                all: cmd.clusters.is_empty(),
                clusters: cmd.clusters,
                base: None,
                environments: cmd.environments,
                branch: cmd.branch,
            },
            run: cmd.run,
            flags: RunFlags {
                cloud_only: cmd.cloudonly,
                ..RunFlags::default()
            },
            schedule: Schedule {
                jobs: cmd.jobs.jobs,
                keep_going: true,
                lock: None,
            },
            // Status writes no audit record and checks no policy: it changes nothing.
            audit: None,
            allow: None,
            last_deployed: None,
            status: Some(Options {
                audit_log: cmd.audit_log,
            }),
        }
    }
}

impl Options {
    /// The rows of the run's clusters (in the plan's order), printed in `format` (markdown also
    /// to `$GITHUB_STEP_SUMMARY` when set); exit 1 when a cluster failed, `Pending` when one needs
    /// attention.
    pub fn report(
        self,
        sh: &Shell,
        output: &Output,
        format: Format,
        plan: &Plan,
        summary: RunSummary,
    ) -> anyhow::Result<Outcome> {
        let root =
            Utf8PathBuf::try_from(sh.current_dir()).context("the repository root is not UTF-8")?;
        let path = self.audit_log_path(&root)?;
        let log = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("cannot read the audit log {path}")),
        };
        let mut report = StatusReport {
            branch: summary.branch.clone(),
            kops: summary.kops.clone(),
            audit_log: AuditLogRead {
                path: path
                    .strip_prefix(&root)
                    .map_or_else(|_| path.to_string(), |p| p.to_string()),
                found: log.is_some(),
                skipped_lines: 0,
            },
            rows: Vec::new(),
        };
        for (cluster, found) in plan.clusters.iter().zip(summary.clusters) {
            let (last_deploy, deployed, skipped) =
                last_deploys(log.as_deref().unwrap_or_default(), &cluster.cluster);
            report.audit_log.skipped_lines = skipped;
            let mut row = StatusRow {
                cluster: cluster.cluster.clone(),
                spec_file: cluster.spec_file.to_string(),
                revision: revision(sh, &cluster.spec_file)?,
                deployed,
                last_deploy,
                found,
                rolling_unknown: None,
            };
            rolling_check_is_unknown(&mut row);
            report.rows.push(row);
        }
        let text = match format {
            Format::Text => output.rendered(&report, kopsflow::report::render_status_text),
            Format::Markdown => output.rendered(&report, kopsflow::report::render_status_markdown),
            Format::Json => output.rendered(&report, kopsflow::report::render_status_json),
        };
        output.out(text.trim_end());
        if let Some(step_summary) = env_var("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            output
                .append(
                    Utf8Path::new(&step_summary),
                    &output.rendered(&report, kopsflow::report::render_status_markdown),
                )
                .context("$GITHUB_STEP_SUMMARY")?;
        }
        let failed: Vec<String> = report
            .rows
            .iter()
            .filter_map(|r| {
                r.found
                    .error
                    .as_ref()
                    .map(|e| format!("{}: {e}", r.cluster))
            })
            .collect();
        if !failed.is_empty() {
            bail!(
                "{} of {} cluster(s) could not be checked:\n{}",
                failed.len(),
                report.rows.len(),
                failed.join("\n")
            );
        }
        Ok(if report.needs_attention() {
            Outcome::Pending
        } else {
            Outcome::Clean
        })
    }

    /// `--audit-log` (relative to the current directory), else the default under `root`.
    fn audit_log_path(&self, root: &Utf8Path) -> anyhow::Result<Utf8PathBuf> {
        Ok(match &self.audit_log {
            Some(path) if path.is_relative() => {
                let cwd = std::env::current_dir().context("cannot read the current directory")?;
                Utf8PathBuf::try_from(cwd)
                    .context("the current directory is not UTF-8")?
                    .join(path)
            }
            Some(path) => path.clone(),
            None => root.join(DEFAULT_AUDIT_LOG),
        })
    }
}

/// The last commit that changed `spec_file` (`git log -1`), with its committer date; `None`
/// when git has none.
fn revision(sh: &Shell, spec_file: &Utf8Path) -> anyhow::Result<Option<Revision>> {
    let out = xshell::cmd!(sh, "git log -1 --format=%H%x09%cI -- {spec_file}")
        .quiet()
        .read()
        .with_context(|| format!("cannot read the history of {spec_file}"))?;
    Ok(out.split_once('\t').map(|(commit, date)| Revision {
        commit: commit.to_owned(),
        date: date.trim().to_owned(),
    }))
}

/// A cluster whose only failure is the rolling-update check (its last kops command, after the
/// drift checks had run) is not an error of `status` when kops could not have answered: the
/// Kubernetes API is unreachable (the row says `unknown (API unreachable)`), or the cluster is
/// not in production (nothing to roll; the row says `not in production`).
fn rolling_check_is_unknown(row: &mut StatusRow) {
    let in_rolling_check = row.found.commands.last().is_some_and(|c| {
        c.command.starts_with("kops rolling-update cluster ")
            || c.command.starts_with("kops export kubecfg ")
    });
    let Some(error) = row.found.error.as_deref().filter(|_| in_rolling_check) else {
        return;
    };
    if row.found.new_cluster {
        row.found.error = None;
    } else if error.contains(kopsflow::exec::API_UNREACHABLE) {
        row.found.error = None;
        row.rolling_unknown = Some("API unreachable".to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::pipeline::standard as repo_pipeline;
    use kopsflow::kops::KopsVersion;
    use kopsflow::pipeline::{ClusterTarget, Context};

    /// `status` runs the drift checks, then the rolling-update preview (with `--cloudonly` when
    /// given), and nothing that changes production.
    #[test]
    fn status_runs_the_drift_stage_then_a_rolling_update_preview() -> anyhow::Result<()> {
        let config = Config::from_env(&crate::testing::repo(), |_| None)?;
        let ctx = Context {
            branch: "main".to_owned(),
            kops_version: KopsVersion::new(1, 29, 2),
            clusters: vec![ClusterTarget {
                name: "c.example.com".to_owned(),
                spec_file: "cluster-spec/c.example.com.yml".into(),
                config_base: None,
                deployed: None,
            }],
            work_dir: "/tmp/kopsflow-XXXXXX".into(),
        };
        for cloud_only in [false, true] {
            let flags = RunFlags {
                cloud_only,
                ..RunFlags::default()
            };
            let plan = Kind::Status
                .pipeline(repo_pipeline(&config, flags))
                .resolve(&ctx)?;
            let stages: Vec<&str> = plan.clusters[0]
                .stages
                .iter()
                .map(|s| s.name.as_str())
                .collect();
            assert_eq!(stages, ["Drift", "Rolling update"]);
            assert!(plan.steps().all(|(_, _, step)| !step.mutates_production()));
            let text = plan.to_string();
            let rolling = text
                .lines()
                .find(|l| l.contains("kops rolling-update cluster"))
                .unwrap_or_default();
            assert_eq!(rolling.ends_with("--cloudonly"), cloud_only, "{rolling}");
            assert!(!text.contains("--yes"), "{text}");
        }
        Ok(())
    }

    #[test]
    fn a_rolling_check_kops_cannot_answer_is_no_error() {
        let mut row = StatusRow {
            found: kopsflow::report::ClusterSummary {
                error: Some(format!(
                    "cluster c: stage Rolling update, step 2/2 failed: {} c: …",
                    kopsflow::exec::API_UNREACHABLE
                )),
                commands: vec![kopsflow::report::CommandRun {
                    command: "kops rolling-update cluster c --state s3://k".to_owned(),
                    end: kopsflow::report::CommandEnd::Exited(1),
                    duration: std::time::Duration::ZERO,
                }],
                ..Default::default()
            },
            ..StatusRow::default()
        };
        let mut other = row.clone();
        other.found.commands[0].command = "kops get cluster c".to_owned();
        let mut new_cluster = row.clone();
        new_cluster.found.new_cluster = true;
        new_cluster.found.error = Some("`kops rolling-update cluster c` failed".to_owned());
        rolling_check_is_unknown(&mut row);
        assert_eq!(row.found.error, None);
        assert_eq!(row.rolling_update().text, "unknown (API unreachable)");
        rolling_check_is_unknown(&mut other);
        assert!(
            other.found.error.is_some(),
            "another step's failure stays an error"
        );
        rolling_check_is_unknown(&mut new_cluster);
        assert_eq!(new_cluster.found.error, None);
        assert_eq!(new_cluster.rolling_update().text, "not in production");
    }
}
