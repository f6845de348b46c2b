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
        for cluster in &self.clusters {
            writeln!(f)?;
            writeln!(
                f,
                "cluster {} (spec {}, production store {})",
                cluster.cluster,
                cluster.spec_file,
                cluster.production_store.store()
            )?;
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
