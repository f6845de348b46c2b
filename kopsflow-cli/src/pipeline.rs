//! The shape every repository's pipeline has ([`RepoPipeline`]: its stages by name), the run's
//! flags that shape the steps ([`RunFlags`]), the prune setting ([`Prune`]), and the classic
//! pipeline ([`standard`]) a repository can use as it is.

use std::time::Duration;

use kopsflow::kops::Mode::{self, Apply, Preview};
use kopsflow::pipeline::BranchCondition::{self, Always};
use kopsflow::pipeline::{DryRunStep, Pipeline, ProductionStep, Stage};
use kopsflow::plan::OnDrift;
use kopsflow::store::StateStore;

use crate::config::Config;

/// The classic pipeline (kopsflow's own repository spells the same one out in its xtask):
/// `Test` on every branch in an isolated dry-run store, `Deploy` on the main branches, the
/// deliberate `Rolling update` (a preview anywhere, `--yes` only on main branches) and the
/// read-only `Drift` check. A repository that needs other stages writes its own function.
#[rustfmt::skip]
pub fn standard(config: &Config, flags: RunFlags) -> RepoPipeline {
    let RunFlags { cloud_only, roll, instance_groups, allow_drift, validate } = flags;
    let main = BranchCondition::any_of_names(&config.main_branches);
    // Previewing a rolling update is safe anywhere; rolling (`--yes`) only on main branches.
    let roll_on = match roll { Preview => Always, Apply => main.clone() };
    // Production changed outside git since the last deploy stops the deploy, unless allowed.
    let on_drift = if allow_drift { OnDrift::Proceed } else { OnDrift::Refuse };
    // Optional steps: the prune (`Repo::prune`) and `deploy --validate WAIT`.
    let prune = (config.prune == Prune::On).then_some(ProductionStep::DeleteRemovedInstanceGroups(Apply));
    let validate = validate.map(validate_cluster);
    RepoPipeline {
        production_store: config.production_store.clone(),
        test: Stage::dry_run("Test", Always, vec![
            DryRunStep::CopyProduction,
            DryRunStep::ReplaceSpec,
            DryRunStep::PreviewUpdate,
        ]),
        deploy: Stage::production("Deploy", main, steps([
            Some(ProductionStep::ReadProduction),
            Some(ProductionStep::CheckDrift(on_drift)),
            Some(ProductionStep::ReplaceSpec),
            prune,
            // `update --yes` creates a new cluster's CA: the kubeconfig can be exported only
            // after it (docs/KOPS.md §4.2); the rolling-update preview and validate need it.
            Some(ProductionStep::UpdateCluster(Apply)),
            Some(ProductionStep::ExportKubecfg),
            validate,
            Some(ProductionStep::RollingUpdate { mode: Preview, cloud_only, instance_groups: vec![] }),
        ])),
        rolling_update: Stage::production("Rolling update", roll_on, vec![
            ProductionStep::RollingUpdate { mode: roll, cloud_only, instance_groups },
        ]),
        // Only reads production: the spec diff of git against it, then kops's dry-run of
        // production's own spec in a dry-run store (the cloud against the store: not applied).
        drift: Stage::dry_run("Drift", Always, vec![
            DryRunStep::CopyProductionAsIs,
            DryRunStep::PreviewCloud,
        ]),
    }
}

/// The prune setting ([`crate::Repo::prune`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prune {
    /// Instance groups removed from git stay in production; deploy warns about them.
    Off,
    /// Deploy deletes them (never the last control-plane group).
    On,
}

/// The steps that are on, in order.
fn steps<const N: usize>(steps: [Option<ProductionStep>; N]) -> Vec<ProductionStep> {
    steps.into_iter().flatten().collect()
}

/// `kops validate cluster --wait WAIT`; a zero WAIT validates once.
fn validate_cluster(wait: Duration) -> ProductionStep {
    ProductionStep::ValidateCluster {
        wait: (!wait.is_zero()).then_some(wait),
    }
}

/// The repo's pipeline with its stages by name, so that a job picks its stage as a field (the
/// compiler checks the name) rather than by a string looked up at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoPipeline {
    /// The store the `production` stages bind to.
    pub production_store: StateStore,
    /// `plan`: the dry-run on every branch.
    pub test: Stage,
    /// `deploy`: the apply on the main branches.
    pub deploy: Stage,
    /// `rolling-update`: a preview, or `--yes` where allowed.
    pub rolling_update: Stage,
    /// `drift` (and `status`): read-only, git and the cloud against production.
    pub drift: Stage,
}

impl RepoPipeline {
    /// Every stage, in order: the whole pipeline, as the snapshot tests show it. (A job runs
    /// only its own stage.)
    pub fn all(self) -> Pipeline {
        let stages = vec![self.test, self.deploy, self.rolling_update, self.drift];
        Pipeline::new(Some(self.production_store), stages)
    }

    /// `status`: the `Drift` stage, then the `Rolling update` stage (a preview unless the run's
    /// flags say `--yes`, which `status` never does).
    pub fn status(self) -> Pipeline {
        let stages = vec![self.drift, self.rolling_update];
        Pipeline::new(Some(self.production_store), stages)
    }

    /// One stage, picked by field: `repo_pipeline(…).only(|p| p.deploy)`.
    pub fn only(self, stage: fn(RepoPipeline) -> Stage) -> Pipeline {
        let production_store = self.production_store.clone();
        Pipeline::new(Some(production_store), vec![stage(self)])
    }
}

/// The flags of one run (from the job's command line) that shape the pipeline's steps.
/// Environment configuration is [`Config`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFlags {
    /// `--cloudonly`: rolling updates without the Kubernetes API (CI agents that cannot reach it).
    pub cloud_only: bool,
    /// `rolling-update --yes` rolls (`Apply`); otherwise the `Rolling update` stage previews.
    pub roll: Mode,
    /// `rolling-update --instance-group`: only these instance groups (empty: all).
    pub instance_groups: Vec<String>,
    /// `deploy --allow-drift`: deploy even when production was changed outside git since the
    /// spec deployed before (reported, not refused).
    pub allow_drift: bool,
    /// `deploy --validate WAIT`: `kops validate cluster --wait WAIT` after `update --yes`
    /// (`0s`: validate once, without `--wait`). `None`: no post-deploy validation.
    pub validate: Option<Duration>,
}

impl RunFlags {
    /// The run's flags with the environment's settings: `KOPSFLOW_CLOUDONLY=true` turns
    /// `--cloudonly` on (`false` leaves the flag as given). `deploy --validate` is refused with
    /// cloud-only: `kops validate cluster` needs the Kubernetes API that cloud-only is for
    /// agents without.
    pub fn with_config(mut self, config: &Config) -> anyhow::Result<RunFlags> {
        self.cloud_only |= config.cloud_only == Some(true);
        if self.cloud_only && self.validate.is_some() {
            anyhow::bail!(
                "--validate cannot run with --cloudonly ({}): kops validate cluster needs the Kubernetes API, which cloud-only rolling updates are for agents without. Drop --validate, or run where the API is reachable with KOPSFLOW_CLOUDONLY=false",
                match config.cloud_only {
                    Some(true) => "$KOPSFLOW_CLOUDONLY is true",
                    _ => "given on the command line",
                }
            );
        }
        Ok(self)
    }
}

impl Default for RunFlags {
    fn default() -> RunFlags {
        RunFlags {
            cloud_only: false,
            roll: Preview,
            instance_groups: Vec::new(),
            allow_drift: false,
            validate: None,
        }
    }
}
