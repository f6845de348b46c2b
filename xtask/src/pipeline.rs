//! This repository's pipeline: the classic Jenkinsfile flow, typed and made safe. `Test` on every
//! branch (the isolated dry-run store of `docs/ARCHITECTURE.md`), `Deploy` on main branches, and
//! the deliberate `Rolling update` (a preview anywhere, `--yes` only on main branches), and the
//! read-only `Drift` check of git against production (a scheduled job). Each job runs one stage.

use kopsflow::kops::Mode::{self, Apply, Preview};
use kopsflow::pipeline::BranchCondition::{self, Always};
use kopsflow::pipeline::{DryRunStep, Pipeline, ProductionStep, Stage};
use kopsflow::store::StateStore;

use crate::config::Config;

/// The pipeline: its stages in order, when each runs, the store it binds to (`dry_run` or
/// `production`) and its steps. Laid out by hand, like the Jenkinsfile it replaces.
#[rustfmt::skip]
pub fn repo_pipeline(config: &Config, flags: RunFlags) -> RepoPipeline {
    let RunFlags { cloud_only, roll, instance_groups } = flags;
    let main = BranchCondition::any_of_names(&config.main_branches);
    // Previewing a rolling update is safe anywhere; rolling (`--yes`) only on main branches.
    let roll_on = match roll { Preview => Always, Apply => main.clone() };
    RepoPipeline {
        production_store: config.production_store.clone(),
        test: Stage::dry_run("Test", Always, vec![
            DryRunStep::CopyProduction,
            DryRunStep::ReplaceSpec,
            DryRunStep::PreviewUpdate,
        ]),
        deploy: Stage::production("Deploy", main, vec![
            ProductionStep::ReadProduction,
            ProductionStep::ReplaceSpec,
            ProductionStep::ExportKubecfg,
            ProductionStep::UpdateCluster(Apply),
            ProductionStep::RollingUpdate { mode: Preview, cloud_only, instance_groups: vec![] },
        ]),
        rolling_update: Stage::production("Rolling update", roll_on, vec![
            ProductionStep::RollingUpdate { mode: roll, cloud_only, instance_groups },
        ]),
        // Only reads: the spec diff of git against production, no store written.
        drift: Stage::production("Drift", Always, vec![
            ProductionStep::ReadProduction,
        ]),
    }
}

/// The repo's pipeline with its stages by name, so that a job picks its stage as a field (the
/// compiler checks the name) rather than by a string looked up at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoPipeline {
    pub production_store: StateStore,
    pub test: Stage,
    pub deploy: Stage,
    pub rolling_update: Stage,
    pub drift: Stage,
}

impl RepoPipeline {
    /// Every stage, in order: the whole pipeline, as the snapshot tests show it. (A job runs
    /// only its own stage.)
    #[cfg(test)]
    pub fn all(self) -> Pipeline {
        let stages = vec![self.test, self.deploy, self.rolling_update, self.drift];
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
}

impl Default for RunFlags {
    fn default() -> RunFlags {
        RunFlags {
            cloud_only: false,
            roll: Preview,
            instance_groups: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kopsflow::kops::KopsVersion;
    use kopsflow::pipeline::{ClusterTarget, Context};

    fn config() -> Config {
        Config::from_env(|_| None).expect("defaults parse")
    }

    fn pipeline(flags: RunFlags) -> RepoPipeline {
        repo_pipeline(&config(), flags)
    }

    fn context(branch: &str, version: KopsVersion, clusters: &[&str]) -> Context {
        Context {
            branch: branch.to_owned(),
            kops_version: version,
            clusters: clusters
                .iter()
                .map(|name| ClusterTarget {
                    name: (*name).to_owned(),
                    spec_file: format!("cluster-spec/{name}.yml").into(),
                    config_base: Some(format!("s3://k8s-kops/{name}")),
                })
                .collect(),
            work_dir: "/tmp/kopsflow-XXXXXX".into(),
        }
    }

    const V1_29: KopsVersion = KopsVersion::new(1, 29, 2);

    #[test]
    fn feature_branch() -> anyhow::Result<()> {
        let ctx = context("feature/x", V1_29, &["test.k8s.example.com"]);
        let plan = pipeline(RunFlags::default()).all().resolve(&ctx)?;
        insta::assert_snapshot!(plan.to_string());
        Ok(())
    }

    #[test]
    fn main_branch() -> anyhow::Result<()> {
        let ctx = context("master", V1_29, &["test.k8s.example.com"]);
        let plan = pipeline(RunFlags::default()).all().resolve(&ctx)?;
        insta::assert_snapshot!(plan.to_string());
        Ok(())
    }

    #[test]
    fn kops_1_9_deploys_without_admin_flag_and_cannot_dry_run() -> anyhow::Result<()> {
        let ctx = context(
            "master",
            KopsVersion::new(1, 9, 0),
            &["test.k8s.example.com"],
        );
        let plan = pipeline(RunFlags::default())
            .only(|p| p.deploy)
            .resolve(&ctx)?;
        insta::assert_snapshot!(plan.to_string());
        assert!(!plan.to_string().contains("--admin"));
        let err = pipeline(RunFlags::default())
            .only(|p| p.test)
            .resolve(&ctx)
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("kops 1.9.0 has no file:// state store"),
            "{err:#}"
        );
        Ok(())
    }

    #[test]
    fn rolling_update_with_and_without_yes() -> anyhow::Result<()> {
        let mut ctx = context("master", V1_29, &["test.k8s.example.com"]);
        let preview = pipeline(RunFlags::default())
            .only(|p| p.rolling_update)
            .resolve(&ctx)?;
        let confirmed = RunFlags {
            cloud_only: true,
            roll: Apply,
            instance_groups: Vec::new(),
        };
        let apply = pipeline(confirmed.clone())
            .only(|p| p.rolling_update)
            .resolve(&ctx)?;
        ctx.branch = "feature/x".to_owned();
        let apply_on_branch = pipeline(confirmed)
            .only(|p| p.rolling_update)
            .resolve(&ctx)?;
        insta::assert_snapshot!(format!("{preview}\n{apply}\n{apply_on_branch}"));
        Ok(())
    }

    /// `drift` runs anywhere and only reads production: the two `kops get`s, nothing written.
    #[test]
    fn drift_only_reads_production() -> anyhow::Result<()> {
        for branch in ["main", "feature/x"] {
            let ctx = context(branch, V1_29, &["a.example.com"]);
            let plan = pipeline(RunFlags::default())
                .only(|p| p.drift)
                .resolve(&ctx)?;
            let steps: Vec<String> = plan.steps().map(|(_, _, s)| s.to_string()).collect();
            assert_eq!(steps.len(), 2, "{steps:#?}");
            assert!(steps[0].starts_with("kops get cluster a.example.com -o yaml"));
            assert!(steps[1].starts_with("kops get instancegroups --name a.example.com"));
            assert!(plan.steps().all(|(_, _, s)| !s.mutates_production()));
        }
        Ok(())
    }

    #[test]
    fn two_clusters() -> anyhow::Result<()> {
        let ctx = context(
            "feature/x",
            V1_29,
            &["a.k8s.example.com", "b.k8s.example.com"],
        );
        let plan = pipeline(RunFlags::default()).all().resolve(&ctx)?;
        insta::assert_snapshot!(plan.to_string());
        Ok(())
    }

    /// Every plan this pipeline can resolve for a non-main branch, whatever the run's flags and
    /// the kops version, leaves production untouched.
    #[test]
    fn no_plan_for_a_non_main_branch_mutates_production() -> anyhow::Result<()> {
        let versions = [
            KopsVersion::new(1, 17, 0),
            KopsVersion::new(1, 18, 3),
            KopsVersion::new(1, 19, 0),
            V1_29,
            KopsVersion::new(1, 31, 0),
        ];
        let mut checked = 0;
        for branch in [
            "feature/x",
            "mainline",
            "release/main",
            "Main",
            "develop",
            "",
        ] {
            for version in &versions {
                for roll in [Preview, Apply] {
                    for cloud_only in [false, true] {
                        for instance_groups in [vec![], vec!["nodes".to_owned()]] {
                            let flags = RunFlags {
                                cloud_only,
                                roll,
                                instance_groups,
                            };
                            let ctx = context(
                                branch,
                                version.clone(),
                                &["a.example.com", "b.example.com"],
                            );
                            let plan = pipeline(flags).all().resolve(&ctx)?;
                            assert!(plan.runs_anything(), "the Test stage runs on every branch");
                            for (cluster, stage, step) in plan.steps() {
                                assert!(
                                    !step.mutates_production(),
                                    "branch {branch:?}: {} {} would mutate production: {step}",
                                    cluster.cluster,
                                    stage.name
                                );
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        // And the same pipeline on the main branch does mutate: the check can fail.
        let ctx = context("main", V1_29, &["a.example.com"]);
        let plan = pipeline(RunFlags::default()).all().resolve(&ctx)?;
        assert!(plan.steps().any(|(_, _, step)| step.mutates_production()));
        assert!(checked > 1000, "walked {checked} steps");
        Ok(())
    }
}
