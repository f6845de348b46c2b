//! Pipelines as typed values: `Pipeline`, `Stage`, its steps per store role, `BranchCondition`;
//! `Pipeline::resolve` turns them, for one branch and a set of clusters, into a `Plan` (pure).

use std::collections::BTreeMap;
use std::fmt;

use anyhow::{bail, Context as _};
use camino::Utf8PathBuf;

use crate::kops::{KopsCommand, KopsVersion, Mode};
use crate::plan::{
    wave_key, ClusterPlan, DeployedSpec, OnDrift, OutputUse, Placement, Plan, PlannedStep,
    StageOutcome, StagePlan,
};
use crate::store::{DryRunStore, ProductionStore, StateStore, StoreRole};

/// When a stage runs, by branch name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchCondition {
    Always,
    /// The branch is exactly this name.
    Exact(String),
    /// Glob: `*` and `?` match within one path segment (not `/`), `**` matches anything.
    Glob(String),
    Not(Box<BranchCondition>),
    AnyOf(Vec<BranchCondition>),
}

impl BranchCondition {
    pub fn exact(name: &str) -> BranchCondition {
        BranchCondition::Exact(name.to_owned())
    }

    pub fn glob(pattern: &str) -> BranchCondition {
        BranchCondition::Glob(pattern.to_owned())
    }

    /// Any of these exact names.
    pub fn any_of_names<S: AsRef<str>>(names: &[S]) -> BranchCondition {
        BranchCondition::AnyOf(names.iter().map(|n| Self::exact(n.as_ref())).collect())
    }

    pub fn negate(self) -> BranchCondition {
        BranchCondition::Not(Box::new(self))
    }

    pub fn matches(&self, branch: &str) -> bool {
        match self {
            BranchCondition::Always => true,
            BranchCondition::Exact(name) => name == branch,
            BranchCondition::Glob(pattern) => glob_matches(pattern.as_bytes(), branch.as_bytes()),
            BranchCondition::Not(inner) => !inner.matches(branch),
            BranchCondition::AnyOf(all) => all.iter().any(|c| c.matches(branch)),
        }
    }
}

impl fmt::Display for BranchCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BranchCondition::Always => f.write_str("any branch"),
            BranchCondition::Exact(name) | BranchCondition::Glob(name) => write!(f, "'{name}'"),
            BranchCondition::Not(inner) => write!(f, "not {inner}"),
            BranchCondition::AnyOf(all) => {
                f.write_str("any of ")?;
                for (i, c) in all.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{c}")?;
                }
                Ok(())
            }
        }
    }
}

fn glob_matches(pattern: &[u8], text: &[u8]) -> bool {
    match pattern {
        [] => text.is_empty(),
        [b'*', b'*', rest @ ..] => (0..=text.len()).any(|i| glob_matches(rest, &text[i..])),
        [b'*', rest @ ..] => {
            let segment = text.iter().position(|&c| c == b'/').unwrap_or(text.len());
            (0..=segment).any(|i| glob_matches(rest, &text[i..]))
        }
        [b'?', rest @ ..] => {
            matches!(text, [c, tail @ ..] if *c != b'/' && glob_matches(rest, tail))
        }
        [p, rest @ ..] => matches!(text, [c, tail @ ..] if c == p && glob_matches(rest, tail)),
    }
}

/// A step of a stage bound to the dry-run store. There is no way to say `--yes` here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRunStep {
    /// `kops get` cluster + instance groups from production, seed the dry-run store from them.
    CopyProduction,
    /// `kops replace --force -f SPEC` of the git spec into the dry-run store.
    ReplaceSpec,
    /// `kops update cluster` without `--yes` against the dry-run store.
    PreviewUpdate,
    /// `kops get` cluster + instance groups from production, seed the dry-run store with all of
    /// them, as production has them (instance groups git no longer has included): production's
    /// own spec, for [`DryRunStep::PreviewCloud`].
    CopyProductionAsIs,
    /// `kops update cluster` without `--yes` against the dry-run store holding production's own
    /// spec (after `CopyProductionAsIs`, no replace): what the cloud lacks of production's state
    /// store (`drift`: not applied).
    PreviewCloud,
}

/// A step of a stage bound to the production store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductionStep {
    /// `kops get` cluster + instance groups (spec diff; instance groups to delete).
    ReadProduction,
    /// Compare production with the spec the cluster was last deployed from
    /// ([`ClusterTarget::deployed`]); needs `ReadProduction`, and comes before every step that
    /// changes production.
    CheckDrift(OnDrift),
    /// `kops replace --force -f SPEC` (`--force` so new instance groups are created).
    ReplaceSpec,
    /// `kops export kubecfg` (`--admin` from kops 1.19). In a stage that replaces the spec and
    /// applies it, it must come after `UpdateCluster(Apply)`: a new cluster has no CA before its
    /// first `kops update cluster --yes` (kops: `cannot find CA certificate`).
    ExportKubecfg,
    /// `kops delete instancegroup` for instance groups removed from git (needs `ReadProduction`).
    /// With `Apply`, a check right after `ReadProduction` refuses to delete the last
    /// control-plane group before anything changes production.
    DeleteRemovedInstanceGroups(Mode),
    UpdateCluster(Mode),
    /// `kops rolling-update cluster`. Exports the kubeconfig first when kops needs it to reach
    /// the API (≤1.30, no `--cloudonly`).
    RollingUpdate {
        mode: Mode,
        /// `--cloudonly`: for CI agents that cannot reach the Kubernetes API.
        cloud_only: bool,
        /// `--instance-group IG` for each (empty: all instance groups).
        instance_groups: Vec<String>,
    },
    /// `kops validate cluster [--wait D]` (post-deploy validation). Exports the kubeconfig first
    /// when kops needs it to reach the API (≤1.30). A cluster that does not validate fails the
    /// stage; the verdict is in the summary (`validated`).
    ValidateCluster {
        wait: Option<std::time::Duration>,
    },
}

/// A stage's steps; the variant is the store role the stage binds to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Steps {
    DryRun(Vec<DryRunStep>),
    Production(Vec<ProductionStep>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub name: String,
    pub when: BranchCondition,
    pub steps: Steps,
}

impl Stage {
    pub fn dry_run(name: &str, when: BranchCondition, steps: Vec<DryRunStep>) -> Stage {
        Stage {
            name: name.to_owned(),
            when,
            steps: Steps::DryRun(steps),
        }
    }

    pub fn production(name: &str, when: BranchCondition, steps: Vec<ProductionStep>) -> Stage {
        Stage {
            name: name.to_owned(),
            when,
            steps: Steps::Production(steps),
        }
    }

    pub fn store_role(&self) -> StoreRole {
        match self.steps {
            Steps::DryRun(_) => StoreRole::DryRun,
            Steps::Production(_) => StoreRole::Production,
        }
    }
}

/// A pipeline: the production store and the stages, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    production_store: Option<StateStore>,
    /// Per-cluster stores (a repository's environments), in place of `production_store`.
    cluster_stores: BTreeMap<String, StateStore>,
    /// Per-cluster environment and wave (a repository's environments): the plan orders its
    /// clusters by wave, and a run that changes production goes wave by wave.
    cluster_waves: BTreeMap<String, Placement>,
    stages: Vec<Stage>,
}

/// A cluster as the pipeline needs to know it (from its validated spec).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterTarget {
    pub name: String,
    pub spec_file: Utf8PathBuf,
    pub config_base: Option<String>,
    /// The spec it was last deployed from, which a `CheckDrift` step compares production with;
    /// `None` when not read (a pipeline with such a step then fails to resolve).
    pub deployed: Option<DeployedSpec>,
}

/// What a pipeline is resolved for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub branch: String,
    pub kops_version: KopsVersion,
    pub clusters: Vec<ClusterTarget>,
    /// Per-run scratch directory; each cluster gets `work_dir/<cluster>`.
    pub work_dir: Utf8PathBuf,
}

impl Pipeline {
    /// `production_store`: the store every cluster is managed from, which must agree with each
    /// spec's `configBase`; `None` derives it per cluster from `spec.configBase`.
    pub fn new(production_store: Option<StateStore>, stages: Vec<Stage>) -> Pipeline {
        Pipeline {
            production_store,
            cluster_stores: BTreeMap::new(),
            cluster_waves: BTreeMap::new(),
            stages,
        }
    }

    /// The pipeline with each listed cluster managed from its own store (its environment's),
    /// which must agree with its spec's `configBase`; other clusters keep the production store.
    pub fn with_cluster_stores(mut self, stores: BTreeMap<String, StateStore>) -> Pipeline {
        self.cluster_stores = stores;
        self
    }

    /// The pipeline with each listed cluster placed in its environment's wave: resolution
    /// orders the clusters by wave (the selection's order kept within a wave), and a run that
    /// changes production starts a wave only once the earlier ones finished without error.
    /// Clusters not listed have no wave (after every wave).
    pub fn with_cluster_waves(mut self, waves: BTreeMap<String, Placement>) -> Pipeline {
        self.cluster_waves = waves;
        self
    }

    /// Whether a stage that runs on `branch` checks drift, so that the clusters need
    /// [`ClusterTarget::deployed`].
    pub fn checks_drift(&self, branch: &str) -> bool {
        self.stages.iter().any(|stage| {
            stage.when.matches(branch)
                && matches!(&stage.steps, Steps::Production(steps)
                    if steps.iter().any(|s| matches!(s, ProductionStep::CheckDrift(_))))
        })
    }

    /// Resolves every stage for every cluster into exact steps, or a skip reason; the clusters
    /// ordered by wave (stable: in the context's order within a wave).
    pub fn resolve(&self, ctx: &Context) -> anyhow::Result<Plan> {
        let mut clusters = ctx
            .clusters
            .iter()
            .map(|cluster| self.resolve_cluster(ctx, cluster))
            .collect::<anyhow::Result<Vec<_>>>()?;
        clusters.sort_by_key(|c| wave_key(c.placement.as_ref()));
        Ok(Plan {
            branch: ctx.branch.clone(),
            kops_version: ctx.kops_version.clone(),
            clusters,
        })
    }

    fn resolve_cluster(
        &self,
        ctx: &Context,
        cluster: &ClusterTarget,
    ) -> anyhow::Result<ClusterPlan> {
        let production = ProductionStore::resolve(
            self.cluster_stores
                .get(&cluster.name)
                .or(self.production_store.as_ref()),
            &cluster.name,
            cluster.config_base.as_deref(),
            &cluster.spec_file,
        )?;
        let work_dir = ctx.work_dir.join(&cluster.name);
        let mut stages = Vec::new();
        for stage in &self.stages {
            let outcome =
                if stage.when.matches(&ctx.branch) {
                    let resolver = StageResolver {
                        version: &ctx.kops_version,
                        cluster,
                        production: &production,
                        work_dir: &work_dir,
                    };
                    StageOutcome::Run(resolver.resolve(&stage.steps).with_context(|| {
                        format!("stage {} of cluster {}", stage.name, cluster.name)
                    })?)
                } else {
                    StageOutcome::Skipped {
                        reason: format!("branch '{}' does not match {}", ctx.branch, stage.when),
                    }
                };
            stages.push(StagePlan {
                name: stage.name.clone(),
                role: stage.store_role(),
                outcome,
            });
        }
        Ok(ClusterPlan {
            cluster: cluster.name.clone(),
            spec_file: cluster.spec_file.clone(),
            production_store: production,
            work_dir,
            stages,
            placement: self.cluster_waves.get(&cluster.name).cloned(),
        })
    }
}

struct StageResolver<'a> {
    version: &'a KopsVersion,
    cluster: &'a ClusterTarget,
    production: &'a ProductionStore,
    work_dir: &'a Utf8PathBuf,
}

impl StageResolver<'_> {
    fn resolve(&self, steps: &Steps) -> anyhow::Result<Vec<PlannedStep>> {
        let mut out = match steps {
            Steps::DryRun(steps) => self.dry_run(steps)?,
            Steps::Production(steps) => self.production(steps)?,
        };
        let writes_files = out.iter().any(|step| {
            matches!(
                step,
                PlannedStep::PrepareSpec { .. } | PlannedStep::SeedDryRunStore { .. }
            )
        });
        if writes_files {
            out.push(PlannedStep::RemoveWorkDir {
                dir: self.work_dir.clone(),
            });
        }
        Ok(out)
    }

    fn name(&self) -> &str {
        &self.cluster.name
    }

    fn spec_path(&self) -> Utf8PathBuf {
        self.work_dir.join(format!("{}.yaml", self.name()))
    }

    fn read_production(&self) -> [PlannedStep; 2] {
        [
            PlannedStep::Kops {
                command: KopsCommand::get_cluster(self.name(), self.production),
                output: OutputUse::LiveCluster,
            },
            PlannedStep::Kops {
                command: KopsCommand::get_instance_groups(self.name(), self.production),
                output: OutputUse::LiveInstanceGroups,
            },
        ]
    }

    fn dry_run(&self, steps: &[DryRunStep]) -> anyhow::Result<Vec<PlannedStep>> {
        if !self.version.supports_file_store() {
            bail!(
                "kops {} has no file:// state store (added in kops 1.17), which the isolated dry-run store needs: upgrade kops",
                self.version
            );
        }
        let store = DryRunStore::in_dir(&self.work_dir.join("store"));
        let mut out = Vec::new();
        for step in steps {
            match step {
                DryRunStep::CopyProduction => {
                    out.extend(self.read_production());
                    out.push(PlannedStep::SeedDryRunStore {
                        store: store.clone(),
                        cluster: self.name().to_owned(),
                        as_is: false,
                    });
                }
                DryRunStep::CopyProductionAsIs => {
                    out.extend(self.read_production());
                    out.push(PlannedStep::SeedDryRunStore {
                        store: store.clone(),
                        cluster: self.name().to_owned(),
                        as_is: true,
                    });
                }
                DryRunStep::PreviewCloud => out.push(PlannedStep::Kops {
                    command: KopsCommand::update_cluster_preview(self.name(), &store),
                    output: OutputUse::CloudReport,
                }),
                DryRunStep::ReplaceSpec => {
                    out.push(PlannedStep::PrepareSpec {
                        source: self.cluster.spec_file.clone(),
                        dest: self.spec_path(),
                        // pki and secrets are read through configBase: keep it on production.
                        inject_config_base: Some(
                            self.production.store().config_base_for(self.name()),
                        ),
                    });
                    out.push(PlannedStep::Kops {
                        command: KopsCommand::replace(self.spec_path(), &store, true),
                        output: OutputUse::Shown,
                    });
                }
                DryRunStep::PreviewUpdate => out.push(PlannedStep::Kops {
                    command: KopsCommand::update_cluster_preview(self.name(), &store),
                    output: OutputUse::UpdateReport,
                }),
            }
        }
        Ok(out)
    }

    fn production(&self, steps: &[ProductionStep]) -> anyhow::Result<Vec<PlannedStep>> {
        let mut out: Vec<PlannedStep> = Vec::new();
        let mut exported = false;
        let mut read = false;
        let prunes = steps.contains(&ProductionStep::DeleteRemovedInstanceGroups(Mode::Apply));
        export_after_apply(steps)?;
        for step in steps {
            match step {
                ProductionStep::ReadProduction => {
                    out.extend(self.read_production());
                    read = true;
                    if prunes {
                        before_changes(read, &out, "pruning instance groups")?;
                        out.push(PlannedStep::CheckPrune {
                            cluster: self.name().to_owned(),
                        });
                    }
                }
                ProductionStep::CheckDrift(on_drift) => {
                    before_changes(read, &out, "CheckDrift")?;
                    let deployed = self.cluster.deployed.clone().with_context(|| {
                        format!(
                            "the spec {} was last deployed from was not read (CheckDrift compares production with it)",
                            self.name()
                        )
                    })?;
                    out.push(PlannedStep::CheckDrift {
                        deployed,
                        on_drift: *on_drift,
                    });
                }
                ProductionStep::ReplaceSpec => {
                    out.push(PlannedStep::PrepareSpec {
                        source: self.cluster.spec_file.clone(),
                        dest: self.spec_path(),
                        inject_config_base: None,
                    });
                    out.push(PlannedStep::Kops {
                        command: KopsCommand::replace(self.spec_path(), self.production, true),
                        output: OutputUse::Shown,
                    });
                }
                ProductionStep::ExportKubecfg => {
                    out.push(self.export_kubecfg());
                    exported = true;
                }
                ProductionStep::DeleteRemovedInstanceGroups(mode) => {
                    if !read {
                        bail!("DeleteRemovedInstanceGroups needs a ReadProduction step before it");
                    }
                    out.push(PlannedStep::DeleteRemovedInstanceGroups {
                        cluster: self.name().to_owned(),
                        store: self.production.clone(),
                        mode: *mode,
                    });
                }
                ProductionStep::UpdateCluster(mode) => out.push(PlannedStep::Kops {
                    command: KopsCommand::update_cluster(self.name(), self.production, *mode),
                    output: match mode {
                        Mode::Preview => OutputUse::UpdateReport,
                        Mode::Apply => OutputUse::Shown,
                    },
                }),
                ProductionStep::RollingUpdate {
                    mode,
                    cloud_only,
                    instance_groups,
                } => {
                    if !exported && !cloud_only && self.version.rolling_update_needs_kubeconfig() {
                        out.push(self.export_kubecfg());
                        exported = true;
                    }
                    out.push(PlannedStep::Kops {
                        command: KopsCommand::rolling_update(
                            self.name(),
                            self.production,
                            *mode,
                            *cloud_only,
                            instance_groups,
                        ),
                        output: match mode {
                            Mode::Preview => OutputUse::RollingUpdateReport,
                            Mode::Apply => OutputUse::Shown,
                        },
                    });
                }
                ProductionStep::ValidateCluster { wait } => {
                    if !exported && self.version.rolling_update_needs_kubeconfig() {
                        out.push(self.export_kubecfg());
                        exported = true;
                    }
                    out.push(PlannedStep::Kops {
                        command: KopsCommand::validate_cluster(self.name(), self.production, *wait),
                        output: OutputUse::Validation,
                    });
                }
            }
        }
        Ok(out)
    }

    fn export_kubecfg(&self) -> PlannedStep {
        PlannedStep::Kops {
            command: KopsCommand::export_kubecfg(self.name(), self.production, self.version),
            output: OutputUse::Shown,
        }
    }
}

/// In a stage that creates what it replaces (`ReplaceSpec` then `UpdateCluster(Apply)`), the
/// kubeconfig can only be exported once the update has created the cluster's CA: kops fails
/// with `cannot find CA certificate` before (`docs/KOPS.md` §4.2). The order is the same for
/// every cluster, new or not: nothing between the replace and the update needs the kubeconfig.
fn export_after_apply(steps: &[ProductionStep]) -> anyhow::Result<()> {
    let position = |wanted: &ProductionStep| steps.iter().position(|s| s == wanted);
    let apply = position(&ProductionStep::UpdateCluster(Mode::Apply));
    let (Some(replace), Some(apply), Some(export)) = (
        position(&ProductionStep::ReplaceSpec),
        apply,
        position(&ProductionStep::ExportKubecfg),
    ) else {
        return Ok(());
    };
    if replace < export && export < apply {
        bail!(
            "ExportKubecfg must come after UpdateCluster(Apply) in a stage that replaces the spec: \
             a new cluster has no CA before its first `kops update cluster --yes` (kops: cannot find CA certificate)"
        );
    }
    Ok(())
}

/// A check of production must come after it was read and before every step that changes it.
fn before_changes(read: bool, out: &[PlannedStep], what: &str) -> anyhow::Result<()> {
    if !read {
        bail!("{what} needs a ReadProduction step before it");
    }
    if out.iter().any(PlannedStep::mutates_production) {
        bail!("{what} must come before every step that changes production");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
