//! Jobs: `plan`, `deploy`, `rolling-update`, `drift` and `status`, typed. Each runs one stage of the repo
//! pipeline over the selected clusters: resolved and printed (`--print`), or run through kops and
//! summarised on stdout. `deploy` and `rolling-update` runs leave audit records (`audit.rs`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use camino::Utf8Path;
use kopsflow::kops::{KopsVersion, Mode};
use kopsflow::pipeline::{Context, Stage};
use kopsflow::report::RunSummary;
use xshell::Shell;

use crate::audit::Audit;
use crate::config::Config;
use crate::flags::{self, Format, Selection};
use crate::output::Output;
use crate::pipeline::{RepoPipeline, RunFlags};
use crate::{env_var, pin, policies, render, select, specs, Repo};

/// Which job: it picks the stage, names the run in reports, and says what exit 2 means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `plan`: the `Test` stage; exit 2 when changes are pending.
    Plan,
    /// `deploy`: the `Deploy` stage; exit 2 when a rolling update is needed.
    Deploy,
    /// `rolling-update`: the `Rolling update` stage; exit 2 when a rolling update is needed.
    RollingUpdate,
    /// `drift`: the read-only `Drift` stage; exit 2 when a cluster drifted.
    Drift,
    /// `status`: the `Drift` stage and the `Rolling update` preview, reported one row per
    /// cluster (`status.rs`); exit 2 when a cluster needs attention.
    Status,
}

impl Kind {
    /// The subcommand, as reports name the run.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Plan => "plan",
            Kind::Deploy => "deploy",
            Kind::RollingUpdate => "rolling-update",
            Kind::Drift => "drift",
            Kind::Status => "status",
        }
    }

    /// The job's stage of the repo pipeline.
    pub fn stage(self) -> fn(RepoPipeline) -> Stage {
        match self {
            Kind::Plan => |p| p.test,
            Kind::Deploy => |p| p.deploy,
            Kind::RollingUpdate => |p| p.rolling_update,
            Kind::Drift | Kind::Status => |p| p.drift,
        }
    }

    /// The job's stages of the repo pipeline: its [`Kind::stage`], and for `status` the
    /// `Rolling update` preview after it.
    pub fn pipeline(self, repo: RepoPipeline) -> kopsflow::pipeline::Pipeline {
        match self {
            Kind::Status => repo.status(),
            _ => repo.only(self.stage()),
        }
    }

    /// Whether a successful run is `Pending`: changes pending (`plan`), a rolling update
    /// needed (`deploy`, `rolling-update`), production differing from git (`drift`).
    pub fn pending(self, summary: &RunSummary) -> bool {
        match self {
            Kind::Plan | Kind::Drift => summary.changes_pending(),
            Kind::Status => summary.changes_pending() || summary.rolling_update_needed(),
            Kind::Deploy | Kind::RollingUpdate => summary.rolling_update_needed(),
        }
    }
}

/// How a successful run ended; with `--detailed-exitcode`, `Pending` exits 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing pending; with `--print`, nothing would run (no cluster selected, or the job's
    /// stage skipped on this branch).
    Clean,
    /// Changes pending, a rolling update needed, drift, or a cluster needing attention; with
    /// `--print`, the run would act on at least one cluster.
    Pending,
}

/// A kops-running job, typed from its subcommand's flags.
#[derive(Debug)]
pub struct Job {
    /// Which job.
    pub kind: Kind,
    /// Which clusters and which branch (`--cluster`, `--all`, `--base`, `--branch`).
    pub selection: Selection,
    /// How to run kops and report.
    pub run: flags::Run,
    /// The flags that shape the pipeline's steps.
    pub flags: RunFlags,
    /// How the clusters run: how many at once, after a failure, under which lock.
    pub schedule: Schedule,
    /// The audit log, for jobs that can change production.
    pub audit: Option<flags::AuditLog>,
    /// `--allow RULE`: policy rules whose violations are let through (and recorded in the
    /// summary); `None` for a job that does not check the policy (`rolling-update`).
    pub allow: Option<Vec<String>>,
    /// `status`: what its report reads besides the run (the audit log); `None` for other jobs.
    pub status: Option<crate::status::Options>,
    /// `deploy --last-deployed REV` (else its variables); `None` for other jobs, which never
    /// read the record of the last successful deploy.
    pub last_deployed: Option<LastDeployed>,
}

/// Where `deploy` reads the record of the last successful deploy from: `--last-deployed`, else
/// the variables of `select::record`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastDeployed {
    /// `--last-deployed REV`, when given.
    pub flag: Option<String>,
}

/// How a job's clusters run (`--jobs`, `--keep-going`, `--lock-timeout`, `--lock-dir`).
#[derive(Debug)]
pub struct Schedule {
    /// How many clusters run at once (`--jobs`).
    pub jobs: usize,
    /// Start the remaining clusters after one failed (`plan` always; `deploy` with
    /// `--keep-going`).
    pub keep_going: bool,
    /// The per-cluster lock, for jobs that can change production; the executor takes it for
    /// clusters whose steps do.
    pub lock: Option<flags::Lock>,
}

impl From<flags::Plan> for Job {
    fn from(cmd: flags::Plan) -> Job {
        Job {
            kind: Kind::Plan,
            selection: cmd.selection,
            run: cmd.run,
            flags: RunFlags::default(),
            schedule: Schedule {
                jobs: cmd.jobs.jobs,
                keep_going: true,
                lock: None,
            },
            audit: None,
            allow: Some(cmd.allow.rules),
            status: None,
            last_deployed: None,
        }
    }
}

impl From<flags::Deploy> for Job {
    fn from(cmd: flags::Deploy) -> Job {
        Job {
            kind: Kind::Deploy,
            selection: cmd.selection,
            run: cmd.run,
            flags: RunFlags {
                cloud_only: cmd.cloudonly,
                allow_drift: cmd.allow_drift,
                validate: cmd.validate,
                ..RunFlags::default()
            },
            schedule: Schedule {
                jobs: cmd.jobs.jobs,
                keep_going: cmd.keep_going,
                lock: Some(cmd.lock),
            },
            audit: Some(cmd.audit),
            allow: Some(cmd.allow.rules),
            status: None,
            last_deployed: Some(LastDeployed {
                flag: cmd.last_deployed,
            }),
        }
    }
}

impl TryFrom<flags::RollingUpdate> for Job {
    type Error = anyhow::Error;

    fn try_from(cmd: flags::RollingUpdate) -> anyhow::Result<Job> {
        if cmd.selection.clusters.is_empty() && (cmd.yes || !cmd.selection.all) {
            bail!("rolling-update needs --cluster NAME (or --all for a preview): a rolling update is disruptive and deliberate");
        }
        Ok(Job {
            kind: Kind::RollingUpdate,
            selection: cmd.selection,
            run: cmd.run,
            flags: RunFlags {
                cloud_only: cmd.cloudonly,
                roll: if cmd.yes { Mode::Apply } else { Mode::Preview },
                instance_groups: cmd.instance_groups,
                ..RunFlags::default()
            },
            schedule: Schedule {
                jobs: 1,
                keep_going: true,
                lock: Some(cmd.lock),
            },
            audit: Some(cmd.audit),
            allow: None,
            status: None,
            last_deployed: None,
        })
    }
}

impl Job {
    /// Loads and validates the specs, selects clusters, tells the branch, resolves the job's
    /// stage, then prints the plan (`--print`) or runs it and reports. A run of an audited job
    /// then appends its audit records, also when it failed.
    pub fn run(
        mut self,
        repo: &Repo,
        sh: &Shell,
        output: &Output,
        root: &Utf8Path,
        config: &Config,
    ) -> anyhow::Result<Outcome> {
        // KOPSFLOW_CLOUDONLY, and its refusal of `--validate`, before anything runs.
        self.flags = std::mem::take(&mut self.flags).with_config(config)?;
        let audit = Audit::new(self.kind.name(), self.audit.take(), root)?;
        if self.flags.allow_drift {
            audit.overridden("allow-drift");
        }
        if self.run.any_kops_version {
            audit.overridden("any-kops-version");
        }
        for rule in self.allow.iter().flatten() {
            audit.overridden(&format!("allow:{rule}"));
        }
        let result = self.run_audited(repo, sh, output, root, config, &audit);
        let written = audit.finish(sh, output, result.as_ref().err());
        match (result, written) {
            (result, Ok(())) => result,
            (Ok(_), Err(err)) => Err(err),
            (Err(err), Err(audit_err)) => {
                output.err(&crate::error_line(&audit_err));
                Err(err)
            }
        }
    }

    fn run_audited(
        self,
        repo: &Repo,
        sh: &Shell,
        output: &Output,
        root: &Utf8Path,
        config: &Config,
        audit: &Audit,
    ) -> anyhow::Result<Outcome> {
        let Job {
            kind,
            selection,
            run,
            flags,
            schedule,
            audit: _,
            allow,
            status,
            last_deployed,
        } = self;
        let gate = allow
            .as_deref()
            .map(|allowed| policies::gate(repo, allowed))
            .transpose()?;
        let loaded = specs::load_all(root, repo)?;
        for warning in &loaded.warnings {
            output.err(&warning.to_string());
        }
        let branch = kopsflow::git::current_branch(sh, selection.branch.as_deref(), env_var)?;
        let record = match &last_deployed {
            Some(last) => {
                select::deploy_record(sh, &selection, &branch, config, last.flag.as_deref())?
            }
            None => None,
        };
        let envs = repo.environments()?;
        let decision = select::choose(sh, &selection, &branch, config, &loaded, record.as_ref())?;
        let decision = match selection.environments.as_slice() {
            [] => decision,
            names => decision.within(&envs, names)?,
        };
        if !select::show(output, &decision, kind.name(), &branch, &run)? {
            return Ok(Outcome::Clean);
        }
        let selected = loaded.select(&decision.names())?;
        specs::check_environments(root, repo, config, &selected)?;
        let mut ctx = Context {
            branch: branch.name.clone(),
            kops_version: pin::print_version(&repo.kops_pin)?,
            clusters: selected.into_iter().map(specs::target).collect(),
            work_dir: std::env::temp_dir()
                .join("kopsflow-XXXXXX")
                .try_into()
                .context("the temp directory is not UTF-8")?,
        };
        let pipeline = kind.pipeline((repo.pipeline)(config, flags));
        let names = || ctx.clusters.iter().map(|c| c.name.as_str());
        // Each cluster from its environment's store, unless `KOPS_STATE_STORE` names one.
        let pipeline = match config.store_override {
            true => pipeline,
            false => pipeline.with_cluster_stores(envs.stores(names())?),
        };
        // Each cluster in its environment's wave, `KOPS_STATE_STORE` or not (none when a
        // selected cluster has no environment: docs/CONFIGURATION.md, "Environments").
        let pipeline = pipeline.with_cluster_waves(envs.placements(names()));
        if pipeline.checks_drift(&branch.name) {
            let (clusters, record) = (&mut ctx.clusters, record.as_ref());
            crate::guards::read_deployed(sh, &selection, &branch, config, record, clusters)?;
        }
        if run.print {
            if let Some(v) = &run.kops_version {
                ctx.kops_version = parse_kops_version(v)?;
            }
            let how = "--kops-version";
            let used = pin::check(
                output,
                &repo.kops_pin,
                &ctx.kops_version,
                how,
                run.any_kops_version,
            )?;
            let plan = pipeline.resolve(&ctx)?;
            output.out(&plan.to_string());
            if !config.store_override && !envs.is_empty() {
                // In the plan's order: by wave.
                for cluster in &plan.clusters {
                    output.out(&envs.of(&cluster.cluster)?.print_line(&cluster.cluster));
                }
            }
            output.out(&pin::print_line(&repo.kops_pin, &used));
            output.out(&format!(
                "(branch from {}; --print ran nothing)",
                branch.source
            ));
            // With `--detailed-exitcode`, exit 2: the run would act on a cluster (the
            // generated CI asks this before an environment's approval: docs/CI.md).
            return Ok(match plan.runs_anything() {
                true => Outcome::Pending,
                false => Outcome::Clean,
            });
        }
        audit.selected(&branch.name, &decision.names());
        if matches!(kind, Kind::Drift | Kind::Status) {
            crate::drift::require_committed(sh, &ctx)?;
        }

        let cancel = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancel);
        // Ctrl-C and SIGTERM: stop the running kops child, clean up, exit 1.
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
            .context("cannot install the Ctrl-C handler")?;
        let kops = kopsflow::exec::find_kops(run.kops.as_deref(), env_var)?;
        let log = output.log();
        let work = kopsflow::exec::ScratchDir::new("kopsflow-")?;
        ctx.work_dir = work.path().to_owned();
        let exec = kopsflow::exec::Executor {
            kops,
            runner: kopsflow::exec::ProcessRunner {
                timeout: run.timeout,
                heartbeat: Duration::from_secs(60),
                cancel,
                redactor: output.redactor().clone(),
                log,
            },
            root: root.to_owned(),
            jobs: schedule.jobs,
            keep_going: schedule.keep_going,
            locks: schedule
                .lock
                .map(|lock| locks(sh, root, kind, lock))
                .transpose()?,
            policy: gate,
            // Every plan summary shows what the change costs per month.
            pricing: (kind == Kind::Plan)
                .then(|| crate::cost::pricing(root, config))
                .transpose()?,
        };
        // The pin, before any other kops call: a kops it does not allow stops here.
        let (version, how) = match &run.kops_version {
            Some(v) => (parse_kops_version(v)?, "--kops-version".to_owned()),
            None => (exec.kops_version()?, format!("`{} version`", exec.kops)),
        };
        let pin = &repo.kops_pin;
        let kops_used = pin::check(output, pin, &version, &how, run.any_kops_version)?;
        ctx.kops_version = version;
        let plan = pipeline.resolve(&ctx)?;
        audit.planned(&plan);
        output.err(&plan.to_string());
        output.err(&format!("(branch from {})", branch.source));
        let mutates = plan.changes_production();
        if mutates && !kopsflow::git::is_clean(sh)? {
            bail!(
                "the work tree has uncommitted changes: {} applies only committed specs (commit or stash them)",
                kind.name()
            );
        }
        if mutates && kind == Kind::Deploy {
            crate::guards::latest_commit(sh)?;
        }
        let sources = render::Sources::for_repo(root, repo);
        let mut summary = sources.summary(exec.run(&plan, kind.name()));
        summary.kops = Some(kops_used);
        summary.note = decision.note();
        audit.ran(&summary);
        drop(work);
        if let Some(status) = status {
            return status.report(sh, output, run.format, &plan, summary);
        }
        report(output, run.format, &summary)?;
        failures(&summary)?;
        policies::blocked(&summary, kind.name())?;
        Ok(if kind.pending(&summary) {
            Outcome::Pending
        } else {
            Outcome::Clean
        })
    }
}

/// The per-cluster locks of a job that can change production: `--lock-dir` (relative to the
/// current directory), else `target/kopsflow/locks` under the repository root.
fn locks(
    sh: &Shell,
    root: &Utf8Path,
    kind: Kind,
    lock: flags::Lock,
) -> anyhow::Result<kopsflow::exec::Locks> {
    let dir = match lock.lock_dir {
        Some(dir) if dir.is_relative() => {
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            camino::Utf8PathBuf::try_from(cwd)
                .context("the current directory is not UTF-8")?
                .join(dir)
        }
        Some(dir) => dir,
        None => root.join("target/kopsflow/locks"),
    };
    let commit = xshell::cmd!(sh, "git rev-parse --short=12 HEAD")
        .quiet()
        .ignore_stderr()
        .read()
        .unwrap_or_else(|_| "unknown".to_owned());
    Ok(kopsflow::exec::Locks {
        dir,
        timeout: lock.lock_timeout,
        commit,
        command: kind.name().to_owned(),
    })
}

/// Exit 1 when a cluster failed or was not run (after a failure, a failed wave, an
/// interruption), naming them.
fn failures(summary: &RunSummary) -> anyhow::Result<()> {
    let mut failed = Vec::new();
    let mut not_run = Vec::new();
    for cluster in &summary.clusters {
        match cluster.error.as_deref() {
            None => {}
            Some(error) if kopsflow::exec::is_not_run(error) => {
                not_run.push(cluster.cluster.as_str())
            }
            Some(error) => failed.push(error),
        }
    }
    if failed.is_empty() && not_run.is_empty() {
        return Ok(());
    }
    let not_run = if not_run.is_empty() {
        String::new()
    } else {
        format!("; {} not run: {}", not_run.len(), not_run.join(", "))
    };
    bail!(
        "{} of {} cluster(s) failed{not_run}{}{}",
        failed.len(),
        summary.clusters.len(),
        if failed.is_empty() { "" } else { ":\n" },
        failed.join("\n")
    )
}

fn parse_kops_version(flag: &str) -> anyhow::Result<KopsVersion> {
    flag.parse()
        .with_context(|| format!("--kops-version {flag}"))
}

/// The summary on stdout in `format`, and as markdown in `$GITHUB_STEP_SUMMARY` when it is set.
fn report(output: &Output, format: Format, summary: &RunSummary) -> anyhow::Result<()> {
    let text = match format {
        Format::Text => {
            let color = kopsflow::report::use_color(
                output.stdout_is_terminal(),
                env_var("NO_COLOR").as_deref(),
            );
            output.rendered(summary, |s| kopsflow::report::render_text(s, color))
        }
        Format::Markdown => output.rendered(summary, kopsflow::report::render_markdown),
        Format::Json => output.rendered(summary, kopsflow::report::render_json),
    };
    output.out(text.trim_end());
    if let Some(path) = env_var("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        output
            .append(
                Utf8Path::new(&path),
                &output.rendered(summary, kopsflow::report::render_markdown),
            )
            .context("$GITHUB_STEP_SUMMARY")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kopsflow::pipeline::ClusterTarget;

    /// Each job resolves exactly its own stage.
    #[test]
    fn each_job_runs_its_stage() -> anyhow::Result<()> {
        let config = Config::from_env(&crate::testing::repo(), |_| None)?;
        let ctx = Context {
            branch: "main".to_owned(),
            kops_version: KopsVersion::new(1, 29, 2),
            clusters: vec![ClusterTarget {
                name: "c.example.com".to_owned(),
                spec_file: "cluster-spec/c.example.com.yml".into(),
                config_base: None,
                deployed: Some(kopsflow::plan::DeployedSpec {
                    commit: None,
                    file: "cluster-spec/c.example.com.yml".into(),
                    text: None,
                    since: Vec::new(),
                }),
            }],
            work_dir: "/tmp/kopsflow-XXXXXX".into(),
        };
        for (kind, stage, name) in [
            (Kind::Plan, "Test", "plan"),
            (Kind::Deploy, "Deploy", "deploy"),
            (Kind::RollingUpdate, "Rolling update", "rolling-update"),
            (Kind::Drift, "Drift", "drift"),
        ] {
            let plan = crate::pipeline::standard(&config, RunFlags::default())
                .only(kind.stage())
                .resolve(&ctx)?;
            let stages: Vec<&str> = plan.clusters[0]
                .stages
                .iter()
                .map(|s| s.name.as_str())
                .collect();
            assert_eq!(stages, [stage]);
            assert_eq!(kind.name(), name);
        }
        Ok(())
    }
}
