//! Plans: for each cluster, each stage resolved to its exact steps (kops commands and the files
//! kopsflow writes) or the reason it is skipped. `Display` is the form `--print` and snapshots use.

use std::fmt;

use camino::Utf8PathBuf;

use crate::kops::{KopsCommand, KopsVersion, Mode};
use crate::store::{DryRunStore, ProductionStore, StoreRole};

/// A resolved pipeline: what would run, in order, for one branch and a set of clusters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub branch: String,
    pub kops_version: KopsVersion,
    pub clusters: Vec<ClusterPlan>,
}

/// The stages of one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterPlan {
    pub cluster: String,
    pub spec_file: Utf8PathBuf,
    pub production_store: ProductionStore,
    /// Per-run scratch directory of this cluster (prepared spec, dry-run store); removed at the end.
    pub work_dir: Utf8PathBuf,
    pub stages: Vec<StagePlan>,
    /// Its environment and wave, when the repository has environments: a run that changes
    /// production runs wave by wave (`exec`).
    pub placement: Option<Placement>,
}

/// Where a cluster sits in a repository's rollout: its environment, and that environment's
/// wave (1 first). A run that changes production starts a wave only once every cluster of the
/// earlier waves has finished without error (docs/CONFIGURATION.md, "Environments").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Placement {
    /// The wave (1 first); several environments may share one.
    pub wave: u32,
    /// The environment's name, e.g. `dev`.
    pub environment: String,
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wave {} ({})", self.wave, self.environment)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagePlan {
    pub name: String,
    pub role: StoreRole,
    pub outcome: StageOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageOutcome {
    Run(Vec<PlannedStep>),
    Skipped { reason: String },
}

/// One concrete step of a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedStep {
    /// Run kops. `output` says what the captured stdout is used for.
    Kops {
        command: KopsCommand,
        output: OutputUse,
    },
    /// Write the kops-ready copy of the git spec: empty documents dropped (a trailing `---`
    /// breaks `kops replace`), `spec.configBase` injected when git omits it.
    PrepareSpec {
        source: Utf8PathBuf,
        dest: Utf8PathBuf,
        inject_config_base: Option<String>,
    },
    /// Write production's `config` and `instancegroup/*` (read by the preceding `kops get`
    /// steps) into the dry-run store, leaving out instance groups git no longer has; with
    /// `as_is`, every instance group production has (its own spec, for a dry-run of the cloud).
    SeedDryRunStore {
        store: DryRunStore,
        cluster: String,
        as_is: bool,
    },
    /// Compare production (read by the preceding `kops get` steps) with the spec the cluster
    /// was last deployed from; on a difference, stop before anything changes production, or
    /// report it and go on (`OnDrift::Proceed`).
    CheckDrift {
        deployed: DeployedSpec,
        on_drift: OnDrift,
    },
    /// Before anything changes production: refuse when deleting the instance groups live but
    /// not in git (a later `DeleteRemovedInstanceGroups`) would delete the last control-plane
    /// group.
    CheckPrune { cluster: String },
    /// `kops delete instancegroup IG` for every instance group live but not in git; the list is
    /// known once production has been read.
    DeleteRemovedInstanceGroups {
        cluster: String,
        store: ProductionStore,
        mode: Mode,
    },
    /// Remove the cluster's scratch directory (also on failure and interruption).
    RemoveWorkDir { dir: Utf8PathBuf },
}

/// The spec a cluster was last deployed from: its spec file at the base of the deployed range
/// (on a main branch, the commit before the push), read from git by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedSpec {
    /// The base commit; `None` when the range starts at the root commit (nothing came before).
    pub commit: Option<String>,
    /// The spec file at `commit` (the cluster's file, or the one it was renamed from).
    pub file: Utf8PathBuf,
    /// Its text; `None` when the commit has no such file (a cluster new in the range).
    pub text: Option<String>,
    /// The spec at the later commits of the range that changed it, before HEAD, newest first:
    /// what a deploy of one of them that failed after `kops replace` may have left in
    /// production. Production equal to one of these came from git: not drift.
    pub since: Vec<SpecAt>,
}

/// A spec file's text at a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecAt {
    pub commit: String,
    pub text: String,
}

/// What a deploy does when production differs from the spec deployed before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDrift {
    /// Stop before any step changes production (the default).
    Refuse,
    /// Report the drift and go on (`--allow-drift`).
    Proceed,
}

/// What the stdout of a kops step feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputUse {
    /// Shown, not parsed.
    Shown,
    /// Live Cluster YAML: spec diff and dry-run store seed.
    LiveCluster,
    /// Live InstanceGroup YAML.
    LiveInstanceGroups,
    /// `update cluster` dry-run report.
    UpdateReport,
    /// `update cluster` dry-run report of production's own spec (a dry-run store seeded as
    /// production has it, nothing replaced): what the cloud lacks of the store.
    CloudReport,
    /// `rolling-update cluster` table.
    RollingUpdateReport,
    /// `validate cluster`: its exit status is the verdict (`docs/KOPS.md` §4.3), recorded in the
    /// summary's `validated`; the tables are shown.
    Validation,
}

impl PlannedStep {
    /// Whether the step changes the production store or production cloud resources.
    pub fn mutates_production(&self) -> bool {
        match self {
            PlannedStep::Kops { command, .. } => command.mutates_production(),
            PlannedStep::DeleteRemovedInstanceGroups { mode, .. } => *mode == Mode::Apply,
            PlannedStep::PrepareSpec { .. }
            | PlannedStep::SeedDryRunStore { .. }
            | PlannedStep::CheckDrift { .. }
            | PlannedStep::CheckPrune { .. }
            | PlannedStep::RemoveWorkDir { .. } => false,
        }
    }
}

impl Plan {
    /// Every step that would run, with its cluster and stage.
    pub fn steps(&self) -> impl Iterator<Item = (&ClusterPlan, &StagePlan, &PlannedStep)> {
        self.clusters.iter().flat_map(|cluster| {
            cluster.stages.iter().flat_map(move |stage| {
                let steps: &[PlannedStep] = match &stage.outcome {
                    StageOutcome::Run(steps) => steps,
                    StageOutcome::Skipped { .. } => &[],
                };
                steps.iter().map(move |step| (cluster, stage, step))
            })
        })
    }

    /// Whether any stage runs at all.
    pub fn runs_anything(&self) -> bool {
        self.steps().next().is_some()
    }

    /// Whether any step changes production (`deploy` on a main branch, `rolling-update --yes`).
    pub fn changes_production(&self) -> bool {
        self.steps().any(|(_, _, step)| step.mutates_production())
    }

    /// Whether the run goes wave by wave: it changes production and its clusters have waves.
    /// A read-only run (plan, drift, a deploy on another branch) is never held back.
    pub fn runs_in_waves(&self) -> bool {
        self.clusters.iter().any(|c| c.placement.is_some()) && self.changes_production()
    }

    /// The plan's clusters by wave, waves in order (clusters without a wave last, as one
    /// group), each wave's clusters in plan order. Empty when no cluster has a wave.
    pub fn waves(&self) -> Vec<Wave<'_>> {
        if self.clusters.iter().all(|c| c.placement.is_none()) {
            return Vec::new();
        }
        let mut waves: Vec<Wave<'_>> = Vec::new();
        let mut order: Vec<(usize, &ClusterPlan)> = self.clusters.iter().enumerate().collect();
        order.sort_by_key(|(_, c)| wave_key(c.placement.as_ref()));
        for (index, cluster) in order {
            let number = cluster.placement.as_ref().map(|p| p.wave);
            if waves.last().map(|w| w.number) != Some(number) {
                waves.push(Wave {
                    number,
                    environments: Vec::new(),
                    clusters: Vec::new(),
                });
            }
            let Some(wave) = waves.last_mut() else {
                continue;
            };
            if let Some(p) = &cluster.placement {
                if !wave.environments.contains(&p.environment.as_str()) {
                    wave.environments.push(&p.environment);
                }
            }
            wave.clusters.push(index);
        }
        waves
    }
}

/// How clusters sort by wave: waves in order, clusters without a wave after every wave.
pub fn wave_key(placement: Option<&Placement>) -> (bool, u32) {
    (placement.is_none(), placement.map_or(0, |p| p.wave))
}

/// One wave of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wave<'a> {
    /// Its number; `None` for the clusters without a wave.
    pub number: Option<u32>,
    /// Its environments, in the order its clusters name them.
    pub environments: Vec<&'a str>,
    /// Its clusters: indices into [`Plan::clusters`], in plan order.
    pub clusters: Vec<usize>,
}

impl fmt::Display for Wave<'_> {
    /// `wave 2 (stg): 1 cluster`, `no wave: 2 clusters`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.number {
            Some(n) => write!(f, "wave {n} ({})", self.environments.join(", "))?,
            None => f.write_str("no wave (no environment)")?,
        }
        let n = self.clusters.len();
        write!(f, ": {n} cluster{}", if n == 1 { "" } else { "s" })
    }
}

impl fmt::Display for PlannedStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlannedStep::Kops { command, output } => {
                write!(f, "{command}")?;
                let note = match output {
                    OutputUse::Shown => None,
                    OutputUse::LiveCluster => Some("production Cluster: spec diff"),
                    OutputUse::LiveInstanceGroups => {
                        Some("production InstanceGroups: spec diff, instance groups removed from git")
                    }
                    OutputUse::UpdateReport => Some("dry-run: what kops would change"),
                    OutputUse::CloudReport => Some(
                        "dry-run of production's own spec: cloud changes kops would make (not applied, or changed outside kops)",
                    ),
                    OutputUse::RollingUpdateReport => {
                        Some("which instance groups need a rolling update")
                    }
                    OutputUse::Validation => Some("post-deploy validation: fails the deploy unless the cluster is ready"),
                };
                match note {
                    Some(note) => write!(f, "\n        # {note}"),
                    None => Ok(()),
                }
            }
            PlannedStep::PrepareSpec {
                source,
                dest,
                inject_config_base,
            } => {
                write!(f, "write {dest} from {source} (empty documents dropped")?;
                if let Some(base) = inject_config_base {
                    write!(f, "; spec.configBase {base} when git omits it")?;
                }
                write!(f, ")")
            }
            PlannedStep::SeedDryRunStore {
                store,
                cluster,
                as_is,
            } => write!(
                f,
                "write dry-run store {}: {cluster}/config and {cluster}/instancegroup/* from production, {}",
                store.store(),
                if *as_is {
                    "as production has them (nothing from git)"
                } else {
                    "without instance groups git no longer has"
                }
            ),
            PlannedStep::CheckDrift { deployed, on_drift } => {
                let DeployedSpec {
                    commit, file, text, ..
                } = deployed;
                match (commit, text) {
                    (Some(commit), Some(_)) => write!(
                        f,
                        "check production against {file} at {} (the spec deployed before): ",
                        short(commit)
                    )?,
                    (Some(commit), None) => {
                        return write!(
                            f,
                            "no drift check: {file} is not in {} (a cluster new since then)",
                            short(commit)
                        )
                    }
                    (None, _) => {
                        return write!(f, "no drift check: no commit before the deployed range")
                    }
                }
                f.write_str(match on_drift {
                    OnDrift::Refuse => "go on when production equals it, a spec committed since, or the spec being deployed; stop here when it was changed outside git",
                    OnDrift::Proceed => "report what changed outside git and go on (allowed)",
                })
            }
            PlannedStep::CheckPrune { cluster } => write!(
                f,
                "check the instance groups of {cluster} live but not in git: never delete the last control-plane group"
            ),
            PlannedStep::DeleteRemovedInstanceGroups {
                cluster,
                store,
                mode,
            } => {
                let preview = KopsCommand::delete_instance_group(cluster, "IG", store, *mode);
                write!(f, "for each instance group live but not in git: {preview}")
            }
            PlannedStep::RemoveWorkDir { dir } => write!(f, "remove {dir} (also on failure)"),
        }
    }
}

/// The first 12 characters of a commit, as git shows it short.
fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Plan for branch '{}' (kops {})",
            self.branch, self.kops_version
        )?;
        if self.clusters.is_empty() {
            writeln!(f, "\nno clusters selected")?;
        }
        self.fmt_waves(f)?;
        for cluster in &self.clusters {
            writeln!(f)?;
            write!(
                f,
                "cluster {} (spec {}, production store {}",
                cluster.cluster,
                cluster.spec_file,
                cluster.production_store.store()
            )?;
            match &cluster.placement {
                Some(p) => writeln!(f, "; environment {}, wave {})", p.environment, p.wave)?,
                None => writeln!(f, ")")?,
            }
            for stage in &cluster.stages {
                match &stage.outcome {
                    StageOutcome::Skipped { reason } => {
                        writeln!(f, "  {}: skipped — {reason}", stage.name)?;
                    }
                    StageOutcome::Run(steps) => {
                        writeln!(f, "  {} [{}]:", stage.name, stage.role)?;
                        for (n, step) in steps.iter().enumerate() {
                            writeln!(f, "    {:>2}. {step}", n + 1)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

impl Plan {
    /// The waves overview: each wave's clusters, and whether the run waits on them.
    fn fmt_waves(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waves = self.waves();
        if waves.is_empty() {
            return Ok(());
        }
        writeln!(f)?;
        if self.runs_in_waves() {
            writeln!(f, "waves (this run changes production: a wave starts once every cluster of the earlier waves has finished without error, and a failure stops the later waves):")?;
        } else {
            writeln!(
                f,
                "waves (this run changes nothing in production: no wave waits for another):"
            )?;
        }
        for wave in waves {
            match wave.number {
                Some(n) => write!(f, "  wave {n} ({}): ", wave.environments.join(", "))?,
                None => write!(f, "  no wave (no environment): ")?,
            }
            let names: Vec<&str> = wave
                .clusters
                .iter()
                .map(|&i| self.clusters[i].cluster.as_str())
                .collect();
            writeln!(f, "{}", names.join(", "))?;
        }
        Ok(())
    }
}
