//! Execution: runs a resolved `Plan` against kops, step by step per cluster, writes the isolated
//! dry-run store, and collects what kops said into a `RunSummary`. The only module (with `git`)
//! that starts processes or writes files.
//!
//! Clusters run one after the other with their output streamed live, or `jobs` at a time with
//! each cluster's output shown whole when it finishes (`parallel.rs`). Runs that change
//! production hold a per-cluster lock meanwhile (`lock.rs`), and go wave by wave when their
//! clusters have waves (`waves.rs`).

mod guard;
pub mod lock;
mod parallel;
pub mod process;
mod scratch;
mod seed;
mod waves;

use std::sync::atomic::Ordering;

use anyhow::{bail, Context as _};
use camino::{Utf8Path, Utf8PathBuf};

use crate::duration::format_elapsed;
use crate::kops::{KopsCommand, KopsVersion, Mode};
use crate::plan::{ClusterPlan, OutputUse, Plan, PlannedStep, StageOutcome};
use crate::policy;
use crate::report::{
    is_api_unreachable, is_cluster_not_found, parse_kops_error, parse_rolling_update,
    parse_update_dry_run, ClusterSummary, CommandEnd, CommandRun, RunSummary,
};
use crate::spec::{self, ClusterSpec};

pub use crate::report::redact::Redactor;
pub use lock::{LockGuard, Locks};
pub use process::{find_kops, Ended, ProcessOutput, ProcessRunner};
pub use scratch::{ignored_dir, ScratchDir};

pub use crate::report::not_run::{
    is_not_run, not_run_after_wave, NOT_RUN_AFTER_FAILURE, NOT_RUN_INTERRUPTED,
};

/// How the error of a rolling-update check that kops could not run (no route to the
/// Kubernetes API) begins, after the cluster and step it names.
pub const API_UNREACHABLE: &str = "kops cannot reach the Kubernetes API of";

/// Runs plans with one kops binary.
#[derive(Debug, Clone)]
pub struct Executor {
    pub kops: Utf8PathBuf,
    pub runner: ProcessRunner,
    /// The repository root: spec files in the plan are relative to it.
    pub root: Utf8PathBuf,
    /// How many clusters run at once. At 1 they run in order and their output is streamed
    /// live; above 1 each cluster's output is buffered and shown whole when it finishes.
    pub jobs: usize,
    /// Whether clusters still start after one has failed (`plan`: yes; `deploy`: only with
    /// `--keep-going`). Clusters not started are reported as [`NOT_RUN_AFTER_FAILURE`].
    pub keep_going: bool,
    /// Per-cluster locks, held by each cluster whose steps change production. `None`: no lock.
    pub locks: Option<Locks>,
    /// The policy, evaluated once per cluster after production has been read and before any
    /// other step; a blocking violation stops a cluster whose steps change production.
    pub policy: Option<policy::Gate>,
    /// Prices each cluster's change once production was read (`plan`); `None`: no cost.
    pub pricing: Option<crate::cost::Pricing>,
}

impl Executor {
    /// `kops version`, read once; it decides version-dependent flags.
    pub fn kops_version(&self) -> anyhow::Result<KopsVersion> {
        let command = KopsCommand::version();
        let out = self
            .runner
            .run(&self.kops, &command.args(), command.env())
            .with_context(|| format!("running `{} version`", self.kops))?;
        if !out.success() {
            bail!(
                "`{} version` failed: {}{}",
                self.kops,
                out.ended,
                stderr_excerpt(&out.stderr_tail)
            );
        }
        KopsVersion::parse_version_output(&out.stdout)
    }

    /// Runs every cluster of the plan, in order or `jobs` at a time (fail-fast within a
    /// cluster; see [`Executor::keep_going`] for the others). A plan that changes production
    /// and whose clusters have waves runs wave by wave ([`Plan::runs_in_waves`]). The summary
    /// lists every cluster in the plan's order. Scratch directories are removed and locks
    /// released on every path.
    pub fn run(&self, plan: &Plan, command: &str) -> RunSummary {
        let clusters = if plan.runs_in_waves() {
            self.run_waves(plan)
        } else {
            self.run_clusters(&plan.clusters.iter().collect::<Vec<_>>())
        };
        RunSummary {
            command: command.to_owned(),
            branch: plan.branch.clone(),
            kops: None,
            note: None,
            clusters,
        }
    }

    /// `clusters`, in order or `jobs` at a time; their summaries in the same order.
    fn run_clusters(&self, clusters: &[&ClusterPlan]) -> Vec<ClusterSummary> {
        if self.jobs > 1 && clusters.len() > 1 {
            self.run_parallel(clusters)
        } else {
            self.run_in_order(clusters)
        }
    }

    fn run_in_order(&self, clusters: &[&ClusterPlan]) -> Vec<ClusterSummary> {
        let mut failed = false;
        let mut summaries = Vec::new();
        for &cluster in clusters {
            if let Some(reason) = self.not_run(failed) {
                summaries.push(not_run(cluster, reason));
                continue;
            }
            let summary = self.run_cluster(cluster, false);
            failed |= summary.error.is_some();
            summaries.push(summary);
        }
        summaries
    }

    /// Why the next cluster must not start, if it must not.
    fn not_run(&self, an_earlier_one_failed: bool) -> Option<&'static str> {
        if self.runner.cancel.load(Ordering::SeqCst) {
            Some(NOT_RUN_INTERRUPTED)
        } else if an_earlier_one_failed && !self.keep_going {
            Some(NOT_RUN_AFTER_FAILURE)
        } else {
            None
        }
    }

    /// One cluster, start to end: its lock (when it changes production), its stages, the
    /// removal of its work dir. `own_kubeconfig`: give kops a KUBECONFIG in the work dir, so
    /// that clusters running side by side never write one kubeconfig file together.
    fn run_cluster(&self, cluster: &ClusterPlan, own_kubeconfig: bool) -> ClusterSummary {
        let mut run = ClusterRun {
            exec: self,
            plan: cluster,
            git: None,
            live_cluster: None,
            live: None,
            policy_checked: false,
            kubeconfig: own_kubeconfig.then(|| cluster.work_dir.join("kubeconfig")),
            prunes: cluster.stages.iter().any(|stage| match &stage.outcome {
                StageOutcome::Run(steps) => steps.iter().any(|step| {
                    matches!(
                        step,
                        PlannedStep::DeleteRemovedInstanceGroups {
                            mode: Mode::Apply,
                            ..
                        }
                    )
                }),
                StageOutcome::Skipped { .. } => false,
            }),
            summary: ClusterSummary {
                cluster: cluster.cluster.clone(),
                placement: cluster.placement.clone(),
                ..ClusterSummary::default()
            },
        };
        let (result, guard) = match self.lock(cluster) {
            Ok(guard) => (run.run(), guard),
            Err(err) => (Err(err), None),
        };
        let removed = remove_dir(&cluster.work_dir);
        drop(guard);
        if let Err(err) = result.and(removed) {
            run.summary.error = Some(format!("{err:#}"));
        }
        run.summary
    }

    /// The cluster's lock, when locks are on and a step of the cluster changes production.
    fn lock(&self, cluster: &ClusterPlan) -> anyhow::Result<Option<LockGuard>> {
        let Some(locks) = &self.locks else {
            return Ok(None);
        };
        let changes_production = cluster.stages.iter().any(|stage| match &stage.outcome {
            StageOutcome::Run(steps) => steps.iter().any(PlannedStep::mutates_production),
            StageOutcome::Skipped { .. } => false,
        });
        if !changes_production {
            return Ok(None);
        }
        let guard = locks.acquire(&cluster.cluster, &self.runner.cancel, &|l| self.log(l))?;
        self.log(&format!(
            "==> {}: lock taken ({})",
            cluster.cluster,
            guard.path()
        ));
        Ok(Some(guard))
    }

    fn log(&self, line: &str) {
        (self.runner.log)(line);
    }
}

/// The summary of a cluster that did not start.
fn not_run(cluster: &ClusterPlan, reason: &str) -> ClusterSummary {
    ClusterSummary {
        cluster: cluster.cluster.clone(),
        placement: cluster.placement.clone(),
        error: Some(reason.to_owned()),
        ..ClusterSummary::default()
    }
}

fn remove_dir(dir: &Utf8Path) -> anyhow::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot remove {dir}")),
    }
}

fn stderr_excerpt(tail: &[String]) -> String {
    if tail.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nlast lines of kops's stderr:");
    for line in tail {
        out.push_str("\n  ");
        out.push_str(line);
    }
    out
}

/// The state of one cluster's run.
struct ClusterRun<'a> {
    exec: &'a Executor,
    plan: &'a ClusterPlan,
    git: Option<ClusterSpec>,
    live_cluster: Option<String>,
    live: Option<ClusterSpec>,
    /// Whether the policy gate has run for this cluster.
    policy_checked: bool,
    /// `KUBECONFIG` for this cluster's kops calls, when it gets its own.
    kubeconfig: Option<Utf8PathBuf>,
    /// The plan deletes the instance groups live but not in git (prune is on). Without it, a
    /// spec replaced into production leaves them there, and the summary says so.
    prunes: bool,
    summary: ClusterSummary,
}

impl ClusterRun<'_> {
    fn run(&mut self) -> anyhow::Result<()> {
        for stage in &self.plan.stages {
            let steps = match &stage.outcome {
                StageOutcome::Skipped { reason } => {
                    self.exec.log(&format!(
                        "==> {} · {}: skipped — {reason}",
                        stage.name, self.plan.cluster
                    ));
                    continue;
                }
                StageOutcome::Run(steps) => steps,
            };
            for (n, step) in steps.iter().enumerate() {
                if self.exec.runner.cancel.load(Ordering::SeqCst) {
                    bail!(
                        "interrupted before stage {}, step {}/{}",
                        stage.name,
                        n + 1,
                        steps.len()
                    );
                }
                if !reads_production(step) {
                    self.policy_gate().map_err(|err| {
                        err.context(format!(
                            "cluster {}: stage {} stopped before step {}/{}",
                            self.plan.cluster,
                            stage.name,
                            n + 1,
                            steps.len()
                        ))
                    })?;
                }
                let header = format!(
                    "==> {} · {} · step {}/{}: {step}",
                    stage.name,
                    self.plan.cluster,
                    n + 1,
                    steps.len()
                );
                self.exec.log(&header);
                let start = std::time::Instant::now();
                let result = self.step(step);
                let elapsed = format_elapsed(start.elapsed());
                match result {
                    Ok(()) => self.exec.log(&format!("    ok ({elapsed})")),
                    Err(err) => {
                        self.exec.log(&format!("    failed ({elapsed})"));
                        return Err(err.context(format!(
                            "cluster {}: stage {}, step {}/{} failed",
                            self.plan.cluster,
                            stage.name,
                            n + 1,
                            steps.len()
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// The policy, once: after production has been read (or found missing) and before any other
    /// step. Its violations go to the summary; a blocking one stops a cluster whose steps change
    /// production, so nothing reaches kops that would.
    fn policy_gate(&mut self) -> anyhow::Result<()> {
        let Some(gate) = self.exec.policy.as_ref().filter(|_| !self.policy_checked) else {
            return Ok(());
        };
        self.policy_checked = true;
        self.git_spec()?; // loads it
        let Some(git) = &self.git else {
            bail!("the git spec was not loaded before the policy");
        };
        let violations = gate.evaluate(git, self.live.as_ref());
        for v in &violations {
            self.exec.log(&format!(
                "    policy {} ({}): {}: {}: {}",
                v.rule,
                v.verdict(),
                v.location(),
                v.path,
                v.message
            ));
        }
        let refusal = policy::refusal(&violations).filter(|_| changes_production(self.plan));
        self.summary.policy = Some(violations);
        match refusal {
            Some(why) => bail!("{why}"),
            None => Ok(()),
        }
    }

    fn git_spec(&mut self) -> anyhow::Result<&ClusterSpec> {
        if self.git.is_none() {
            let path = self.exec.root.join(&self.plan.spec_file);
            let text =
                std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
            let loaded = ClusterSpec::parse(&self.plan.spec_file, &text)
                .map_err(|d| anyhow::anyhow!("{}", spec::render_diagnostics(&d).trim_end()))?;
            self.git = Some(loaded.spec);
        }
        self.git.as_ref().context("git spec not loaded")
    }

    fn step(&mut self, step: &PlannedStep) -> anyhow::Result<()> {
        match step {
            PlannedStep::Kops { command, output } => self.kops(command, *output),
            PlannedStep::PrepareSpec {
                dest,
                inject_config_base,
                ..
            } => {
                // Prefer the live configBase (exact); the plan's value is the conventional one.
                let live_base = self
                    .live
                    .as_ref()
                    .and_then(|l| l.config_base().map(str::to_owned));
                let git = self.git_spec()?;
                let spec = match (inject_config_base, live_base) {
                    (Some(_), Some(live)) => git.with_config_base(&live),
                    (Some(planned), None) => git.with_config_base(planned),
                    (None, _) => git.clone(),
                };
                write_file(dest, &spec.to_kops_yaml())
            }
            PlannedStep::SeedDryRunStore { store, as_is, .. } => self.seed(store, *as_is),
            PlannedStep::CheckDrift { deployed, on_drift } => self.check_drift(deployed, *on_drift),
            PlannedStep::CheckPrune { .. } => self.check_prune(),
            PlannedStep::DeleteRemovedInstanceGroups {
                cluster,
                store,
                mode,
            } => {
                let removed = self.summary.instance_groups_to_delete.clone();
                if self.live.is_none() && !self.summary.new_cluster {
                    bail!("production was not read before deleting instance groups");
                }
                if removed.is_empty() {
                    self.exec.log("    no instance group was removed from git");
                }
                if *mode == Mode::Apply && !removed.is_empty() {
                    // Checked before anything changed production (CheckPrune); again here, so
                    // that no pipeline can delete without it.
                    self.refuse_to_prune_the_last_control_plane()?;
                }
                for ig in removed {
                    let command = KopsCommand::delete_instance_group(cluster, &ig, store, *mode);
                    self.exec.log(&format!("    {command}"));
                    self.kops(&command, OutputUse::Shown)?;
                    if *mode == Mode::Apply {
                        self.summary.instance_groups_deleted.push(ig);
                    }
                }
                Ok(())
            }
            PlannedStep::RemoveWorkDir { dir } => remove_dir(dir),
        }
    }

    fn kops(&mut self, command: &KopsCommand, output: OutputUse) -> anyhow::Result<()> {
        let reads_what_production_has = matches!(
            output,
            OutputUse::LiveInstanceGroups | OutputUse::CloudReport
        );
        if reads_what_production_has && self.summary.new_cluster {
            self.exec
                .log("    skipped: the cluster does not exist in production yet");
            return Ok(());
        }
        if output == OutputUse::RollingUpdateReport
            && self.summary.new_cluster
            && self.summary.applied
        {
            // Its instances were all just made by `update --yes`, and its API is still starting.
            self.exec
                .log("    skipped: the cluster was just created: nothing to roll");
            return Ok(());
        }
        let mut env = command.env().to_vec();
        if let Some(kubeconfig) = &self.kubeconfig {
            env.push(("KUBECONFIG".to_owned(), kubeconfig.to_string()));
        }
        let out = self
            .exec
            .runner
            .run(&self.exec.kops, &command.args(), &env)?;
        self.summary.commands.push(command_run(command, &out));
        if output == OutputUse::Validation {
            self.summary.validated = Some(out.success());
        }
        if !out.success() {
            if output == OutputUse::LiveCluster && is_cluster_not_found(&out.stderr) {
                self.exec.log(&format!(
                    "    cluster {} does not exist in production yet: planning a new cluster",
                    self.plan.cluster
                ));
                self.summary.new_cluster = true;
                let exec = self.exec;
                if let Some(pricing) = &exec.pricing {
                    let cost = pricing.estimate(self.git_spec()?, None);
                    self.summary.cost = Some(cost);
                }
                return Ok(());
            }
            if output == OutputUse::RollingUpdateReport && is_api_unreachable(&out.stderr) {
                bail!(
                    "{API_UNREACHABLE} {}: `{command}` needs it unless --cloudonly is given \
                     (kops ≤ 1.30 also needs `kops export kubecfg --admin` first); {}{}",
                    self.plan.cluster,
                    out.ended,
                    stderr_excerpt(&out.stderr_tail)
                );
            }
            let reason = parse_kops_error(&out.stderr)
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            bail!(
                "`{command}` failed with {}{reason}{}",
                out.ended,
                stderr_excerpt(&out.stderr_tail)
            );
        }
        if command.subcommand() == "update cluster" && command.applies() {
            self.summary.applied = true;
        }
        if command.subcommand() == "replace" && command.mutates_production() && !self.prunes {
            // `kops replace` never deletes (docs/KOPS.md §3): these stay in production.
            self.summary.instance_groups_kept = self.summary.instance_groups_to_delete.clone();
        }
        match output {
            OutputUse::Shown | OutputUse::Validation => {}
            OutputUse::LiveCluster => self.live_cluster = Some(out.stdout),
            OutputUse::LiveInstanceGroups => self.read_live(&out.stdout)?,
            OutputUse::UpdateReport => {
                let report = parse_update_dry_run(&out.stdout)
                    .with_context(|| format!("cannot read the output of `{command}`"))?;
                self.summary.update = Some(report);
            }
            OutputUse::CloudReport => {
                let report = parse_update_dry_run(&out.stdout)
                    .with_context(|| format!("cannot read the output of `{command}`"))?;
                self.summary.cloud = Some(report);
            }
            OutputUse::RollingUpdateReport => {
                let report = parse_rolling_update(&out.stdout)
                    .with_context(|| format!("cannot read the output of `{command}`"))?;
                self.summary.rolling_update = Some(report);
            }
        }
        Ok(())
    }

    /// Production's spec from the two `kops get` outputs: spec diff, removed instance groups.
    fn read_live(&mut self, igs: &str) -> anyhow::Result<()> {
        let cluster = self
            .live_cluster
            .as_deref()
            .context("kops get cluster did not run")?;
        let live = ClusterSpec::from_kops_output(cluster, igs)?;
        if live.name() != self.plan.cluster {
            bail!(
                "kops get cluster {} returned cluster {}",
                self.plan.cluster,
                live.name()
            );
        }
        let exec = self.exec;
        let git = self.git_spec()?;
        let diff = spec::diff(git, &live);
        let cost = exec.pricing.as_ref().map(|p| p.estimate(git, Some(&live)));
        self.summary.cost = cost;
        self.summary.instance_groups_to_delete =
            diff.removed_instance_groups().map(str::to_owned).collect();
        self.summary.spec_diff = Some(diff);
        self.live = Some(live);
        Ok(())
    }
}

/// What the summary keeps of a kops command that ran.
fn command_run(command: &KopsCommand, out: &ProcessOutput) -> CommandRun {
    CommandRun {
        command: command.to_string(),
        end: match out.ended {
            Ended::Exited(code) => CommandEnd::Exited(code),
            Ended::Signalled => CommandEnd::Signalled,
            Ended::TimedOut(_) => CommandEnd::TimedOut,
            Ended::Interrupted => CommandEnd::Interrupted,
        },
        duration: out.elapsed,
    }
}

/// A `kops get` of production's spec: the policy gate runs after these.
fn reads_production(step: &PlannedStep) -> bool {
    matches!(
        step,
        PlannedStep::Kops {
            output: OutputUse::LiveCluster | OutputUse::LiveInstanceGroups,
            ..
        }
    )
}

/// Whether any step of the cluster changes production.
fn changes_production(cluster: &ClusterPlan) -> bool {
    cluster.stages.iter().any(|stage| match &stage.outcome {
        StageOutcome::Run(steps) => steps.iter().any(PlannedStep::mutates_production),
        StageOutcome::Skipped { .. } => false,
    })
}

fn write_file(path: &Utf8Path, contents: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {parent}"))?;
    }
    std::fs::write(path, contents).with_context(|| format!("cannot write {path}"))
}
