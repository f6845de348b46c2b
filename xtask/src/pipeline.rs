//! This repository's pipeline: the typed equivalent of the classic Jenkinsfile flow, made safe.
//!
//! Stages: `Test` on every branch (isolated dry-run store, DESIGN §3), `Deploy` on the main
//! branch (replace into production, export kubecfg, update `--yes`, rolling-update preview), and
//! the separate `Rolling update` job (preview unless `--yes`, and `--yes` only on the main branch).

use kopsflow::kops::Mode;
use kopsflow::pipeline::{BranchCondition, DryRunStep, Pipeline, ProductionStep, Stage};
use kopsflow::store::{parse_store_setting, StateStore};

/// The production state store (the classic Jenkinsfile's `SPEC_S3_BUCKET`).
/// `KOPS_STATE_STORE` overrides it, as it does for kops itself.
pub const PRODUCTION_STORE: &str = "s3://k8s-kops";

/// Branches that deploy. `KOPSFLOW_MAIN_BRANCHES` (comma-separated) overrides them.
pub const MAIN_BRANCHES: &[&str] = &["main", "master"];

pub const TEST: &str = "Test";
pub const DEPLOY: &str = "Deploy";
pub const ROLLING_UPDATE: &str = "Rolling update";

/// What the pipeline is built from; `from_env` applies the environment overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub production_store: StateStore,
    pub main_branches: Vec<String>,
    /// `--cloudonly` for rolling updates (CI agents that cannot reach the Kubernetes API).
    pub cloud_only: bool,
    /// Roll (`--yes`) instead of previewing in the `Rolling update` stage.
    pub confirm_rolling_update: bool,
    pub rolling_update_instance_groups: Vec<String>,
}

impl Settings {
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Settings> {
        let production_store = match env("KOPS_STATE_STORE").filter(|v| !v.trim().is_empty()) {
            Some(value) => parse_store_setting(&value, "$KOPS_STATE_STORE")?,
            None => {
                parse_store_setting(PRODUCTION_STORE, "xtask/src/pipeline.rs PRODUCTION_STORE")?
            }
        };
        let main_branches = match env("KOPSFLOW_MAIN_BRANCHES").filter(|v| !v.trim().is_empty()) {
            Some(value) => value
                .split(',')
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(str::to_owned)
                .collect(),
            None => MAIN_BRANCHES.iter().map(|b| (*b).to_owned()).collect(),
        };
        Ok(Settings {
            production_store,
            main_branches,
            cloud_only: false,
            confirm_rolling_update: false,
            rolling_update_instance_groups: Vec::new(),
        })
    }
}

/// The repo's pipeline.
pub fn repo_pipeline(settings: &Settings) -> Pipeline {
    let main = BranchCondition::any_of_names(&settings.main_branches);
    let rolling = if settings.confirm_rolling_update {
        Stage::production(
            ROLLING_UPDATE,
            main.clone(),
            vec![ProductionStep::RollingUpdate(Mode::Apply)],
        )
    } else {
        Stage::production(
            ROLLING_UPDATE,
            BranchCondition::Always,
            vec![ProductionStep::RollingUpdate(Mode::Preview)],
        )
    };
    let mut pipeline = Pipeline::new(vec![
        Stage::dry_run(
            TEST,
            BranchCondition::Always,
            vec![
                DryRunStep::CopyProduction,
                DryRunStep::ReplaceSpec,
                DryRunStep::PreviewUpdate,
            ],
        ),
        Stage::production(
            DEPLOY,
            main,
            vec![
                ProductionStep::ReadProduction,
                ProductionStep::ReplaceSpec,
                ProductionStep::ExportKubecfg,
                ProductionStep::UpdateCluster(Mode::Apply),
                ProductionStep::RollingUpdate(Mode::Preview),
            ],
        ),
        rolling,
    ]);
    pipeline.production_store = Some(settings.production_store.clone());
    pipeline.cloud_only = settings.cloud_only;
    pipeline.rolling_update_instance_groups = settings.rolling_update_instance_groups.clone();
    pipeline
}

#[cfg(test)]
mod tests {
    use super::*;
    use kopsflow::kops::KopsVersion;
    use kopsflow::pipeline::{ClusterTarget, Context};

    fn settings() -> Settings {
        Settings::from_env(|_| None).expect("defaults parse")
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
            only_stages: None,
        }
    }

    const V1_29: KopsVersion = KopsVersion::new(1, 29, 2);

    #[test]
    fn feature_branch() -> anyhow::Result<()> {
        let plan = repo_pipeline(&settings()).resolve(&context(
            "feature/x",
            V1_29,
            &["test.k8s.example.com"],
        ))?;
        insta::assert_snapshot!(plan.to_string());
        Ok(())
    }

    #[test]
    fn main_branch() -> anyhow::Result<()> {
        let plan = repo_pipeline(&settings()).resolve(&context(
            "master",
            V1_29,
            &["test.k8s.example.com"],
        ))?;
        insta::assert_snapshot!(plan.to_string());
        Ok(())
    }

    #[test]
    fn kops_1_9_deploys_without_admin_flag_and_cannot_dry_run() -> anyhow::Result<()> {
        let mut ctx = context(
            "master",
            KopsVersion::new(1, 9, 0),
            &["test.k8s.example.com"],
        );
        ctx.only_stages = Some(vec![DEPLOY.to_owned()]);
        let plan = repo_pipeline(&settings()).resolve(&ctx)?;
        insta::assert_snapshot!(plan.to_string());
        assert!(!plan.to_string().contains("--admin"));
        ctx.only_stages = Some(vec![TEST.to_owned()]);
        let err = repo_pipeline(&settings()).resolve(&ctx).unwrap_err();
        assert!(
            format!("{err:#}").contains("kops 1.9.0 has no file:// state store"),
            "{err:#}"
        );
        Ok(())
    }

    #[test]
    fn rolling_update_with_and_without_yes() -> anyhow::Result<()> {
        let mut ctx = context("master", V1_29, &["test.k8s.example.com"]);
        ctx.only_stages = Some(vec![ROLLING_UPDATE.to_owned()]);
        let preview = repo_pipeline(&settings()).resolve(&ctx)?;
        let mut confirmed = settings();
        confirmed.confirm_rolling_update = true;
        confirmed.cloud_only = true;
        let apply = repo_pipeline(&confirmed).resolve(&ctx)?;
        ctx.branch = "feature/x".to_owned();
        let apply_on_branch = repo_pipeline(&confirmed).resolve(&ctx)?;
        insta::assert_snapshot!(format!("{preview}\n{apply}\n{apply_on_branch}"));
        Ok(())
    }

    #[test]
    fn two_clusters() -> anyhow::Result<()> {
        let plan = repo_pipeline(&settings()).resolve(&context(
            "feature/x",
            V1_29,
            &["a.k8s.example.com", "b.k8s.example.com"],
        ))?;
        insta::assert_snapshot!(plan.to_string());
        Ok(())
    }

    /// Every plan this pipeline can resolve for a non-main branch, whatever the settings and
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
                for confirm in [false, true] {
                    for cloud_only in [false, true] {
                        let mut s = settings();
                        s.confirm_rolling_update = confirm;
                        s.cloud_only = cloud_only;
                        let ctx =
                            context(branch, version.clone(), &["a.example.com", "b.example.com"]);
                        let plan = repo_pipeline(&s).resolve(&ctx)?;
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
        // And the same pipeline on the main branch does mutate: the check can fail.
        let plan =
            repo_pipeline(&settings()).resolve(&context("main", V1_29, &["a.example.com"]))?;
        assert!(plan.steps().any(|(_, _, step)| step.mutates_production()));
        assert!(checked > 500, "walked {checked} steps");
        Ok(())
    }

    #[test]
    fn environment_overrides() -> anyhow::Result<()> {
        let s = Settings::from_env(|k| match k {
            "KOPS_STATE_STORE" => Some("gs://other".to_owned()),
            "KOPSFLOW_MAIN_BRANCHES" => Some("trunk, prod".to_owned()),
            _ => None,
        })?;
        assert_eq!(s.production_store.to_string(), "gs://other");
        assert_eq!(s.main_branches, ["trunk", "prod"]);
        assert!(
            Settings::from_env(|k| (k == "KOPS_STATE_STORE").then(|| "ftp://x".to_owned()))
                .is_err()
        );
        Ok(())
    }
}
