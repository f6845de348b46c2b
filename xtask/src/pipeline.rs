//! This repository's pipeline: the classic Jenkinsfile flow, typed and made safe — first the
//! definition ([`repo_pipeline`]): `Test` on every branch (the isolated dry-run store of
//! `docs/ARCHITECTURE.md`), `Deploy` on main branches, the deliberate `Rolling update` (a preview
//! anywhere, `--yes` only on main branches) and the read-only `Drift` check (a scheduled job).
//! Each job runs one stage. Below it, its settings: [`KOPS_PIN`], the kops version the
//! repository is operated with, [`PRUNE`], whether `Deploy` deletes the instance groups git no
//! longer has, and the settings of the CI files generated from it ([`ci_settings`]).

use std::time::Duration;

use kopsflow::kops::pin::KopsPin;
use kopsflow::kops::KopsVersion;
use kopsflow::kops::Mode::{Apply, Preview};
use kopsflow::pipeline::BranchCondition::{self, Always};
use kopsflow::pipeline::{DryRunStep, ProductionStep, Stage};
use kopsflow::plan::OnDrift;

use kopsflow_cli::ci::{AwsAuth, CiSettings, DriftFound, KopsInstall, Runners, Timeouts};
use kopsflow_cli::pipeline::{Prune, RepoPipeline, RunFlags};
use kopsflow_cli::{declared, Config, Declared};

/// The pipeline: its stages in order, when each runs, the store it binds to (`dry_run` or
/// `production`) and its steps. Laid out by hand, like the Jenkinsfile it replaces.
#[rustfmt::skip]
pub fn repo_pipeline(config: &Config, flags: RunFlags) -> RepoPipeline {
    let RunFlags { cloud_only, roll, instance_groups, allow_drift, validate } = flags;
    let main = BranchCondition::any_of_names(&config.main_branches);
    // Previewing a rolling update is safe anywhere; rolling (`--yes`) only on main branches.
    let roll_on = match roll { Preview => Always, Apply => main.clone() };
    // Production changed outside git since the last deploy stops the deploy, unless allowed.
    let on_drift = if allow_drift { OnDrift::Proceed } else { OnDrift::Refuse };
    // Optional steps: the prune (see PRUNE below) and `deploy --validate WAIT`.
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

/// The production state store (the classic Jenkinsfile's `SPEC_S3_BUCKET`).
/// `KOPS_STATE_STORE` overrides it, as it does for kops itself.
pub const PRODUCTION_STORE: Declared<&str> = declared!("PRODUCTION_STORE", "s3://k8s-kops");

/// Branches that deploy. `KOPSFLOW_MAIN_BRANCHES` (comma-separated) overrides them.
pub const MAIN_BRANCHES: Declared<&[&str]> = declared!("MAIN_BRANCHES", &["main", "master"]);

/// The kops version this repository is operated with: an exact release
/// (`KopsPin::exact(1, 29, 2)`) or a range of minors (`KopsPin::range((1, 29), (1, 31))`: any
/// 1.29.x or 1.30.x). `plan`, `deploy`, `rolling-update`, `drift` and `export` compare it with
/// `kops version` before any other kops call and stop on a mismatch, unless given
/// `--any-kops-version`; `validate` checks it offline against the specs (kops 1.36 refuses
/// Kubernetes below 1.31). The CI jobs install `ci_settings().kops.version`, which must satisfy
/// it (`cargo xtask ci` refuses one that does not, and `cargo test` fails).
pub const KOPS_PIN: Declared<KopsPin> = declared!("KOPS_PIN", KopsPin::exact(1, 29, 2));

/// Instance-group prune: whether `deploy` deletes the instance groups production has and git no
/// longer has (`kops delete instancegroup IG --name CLUSTER --yes`, after `kops replace`, before
/// `kops update cluster --yes`). Off, like Argo CD's `prune: false`: `kops replace` never
/// deletes, so they stay, and every plan and deploy summary lists them. Turn it on here
/// (`Prune::On`), or per job with `KOPSFLOW_PRUNE=on` (`off` turns it off). Even on, a prune
/// never deletes the last control-plane group: the deploy is refused before it changes anything.
pub const PRUNE: Prune = Prune::Off;

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

// ---- CI settings --------------------------------------------------------------------------
// What `cargo xtask ci github|jenkins|gitlab` writes into the generated CI files besides the
// stages above (which say where each job acts) and the main branches (`MAIN_BRANCHES`
// above). Change a value, run `cargo xtask ci <engine>` and commit the result: `cargo
// test` fails while a committed CI file differs from what these values generate.

/// The settings of the generated CI files (types: `kopsflow-cli/src/ci/mod.rs`).
pub const CI_SETTINGS: Declared<fn() -> CiSettings> = declared!("ci_settings", ci_settings);

#[rustfmt::skip]
fn ci_settings() -> CiSettings {
    const MINUTE: u64 = 60;
    CiSettings {
        kops: KopsInstall {
            // The kops the jobs install: the pinned one (KOPS_PIN above). With a range pin, name
            // a release in the range here.
            version: KopsVersion::new(1, 29, 2),
            // Not pinned: the jobs check kops-linux-amd64 against the `.sha256` file published
            // with the release. Pinning is stronger (a changed release asset then fails the job):
            // put the sha256 of the release's kops-linux-amd64 here, taken from a download you
            // verified, e.g. `sha256: Some("<64 hex digits>")`.
            sha256: None,
        },
        // GitHub, GitLab: OIDC roles, each environment's ARNs in CI secrets it names (never
        // inlined; the environments and their identities: xtask/src/environments.rs).
        aws_auth: AwsAuth::OidcRole,
        runners: Runners {
            github: &["ubuntu-latest"],
            gitlab_tags: &[],
            gitlab_image: "rust:1-bookworm",
            jenkins_label: None,
        },
        drift_schedule: "23 6 * * 1-5",
        // Post-deploy `kops validate cluster --wait`: off (`Some(Duration::from_secs(10 * MINUTE))`
        // turns it on in the generated deploy jobs; it needs the Kubernetes API from the runner).
        validate_after_deploy: None,
        // Rolling updates (deploy's preview, the rolling-update jobs) with kops `--cloudonly`, for
        // agents that cannot reach the Kubernetes API: off. The CI variable KOPSFLOW_CLOUDONLY
        // (`true`/`false`), set in the CI engine, overrides it without regenerating the files.
        cloud_only: false,
        // Drift found fails the drift job (`DriftFound::Warn`: only a warning, nobody notified).
        drift_found: DriftFound::Fail,
        timeouts: Timeouts {
            plan: Duration::from_secs(60 * MINUTE),
            deploy: Duration::from_secs(120 * MINUTE),
            rolling_update: Duration::from_secs(360 * MINUTE),
        },
        jenkins_lockable_resources: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kopsflow::kops::KopsVersion;
    use kopsflow::pipeline::{ClusterTarget, Context};
    use kopsflow::plan::DeployedSpec;

    fn config() -> Config {
        Config::from_env(&crate::repo(), |_| None).expect("defaults parse")
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
                    // As on a main branch whose push changed the spec.
                    deployed: Some(DeployedSpec {
                        commit: Some("1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d".to_owned()),
                        file: format!("cluster-spec/{name}.yml").into(),
                        text: Some(String::new()),
                        since: Vec::new(),
                    }),
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
            ..RunFlags::default()
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

    /// With prune on, the deploy checks the control-plane rule before any change and deletes
    /// the instance groups git no longer has after `replace`, before `update --yes`; with
    /// `--allow-drift` the drift check reports and goes on.
    #[test]
    fn deploy_with_prune_on() -> anyhow::Result<()> {
        let ctx = context("master", V1_29, &["test.k8s.example.com"]);
        let on = Config {
            prune: Prune::On,
            ..config()
        };
        let plan = repo_pipeline(&on, RunFlags::default())
            .only(|p| p.deploy)
            .resolve(&ctx)?;
        insta::assert_snapshot!(plan.to_string());
        let text = plan.to_string();
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle}: {text}"))
        };
        assert!(at("check the instance groups") < at("kops replace"));
        assert!(at("kops replace") < at("kops delete instancegroup IG"));
        assert!(
            at("kops delete instancegroup IG")
                < at("kops update cluster test.k8s.example.com --state s3://k8s-kops --yes")
        );
        let allowed = RunFlags {
            allow_drift: true,
            ..RunFlags::default()
        };
        let plan = pipeline(allowed).only(|p| p.deploy).resolve(&ctx)?;
        assert!(
            plan.to_string()
                .contains("report what changed outside git and go on (allowed)"),
            "{plan}"
        );
        assert!(
            !plan.to_string().contains("delete instancegroup"),
            "prune is off by default"
        );
        Ok(())
    }

    /// `drift` runs anywhere and only reads production: the two `kops get`s, then the dry-run
    /// of production's own spec in a dry-run store (seeded as production has it, no replace).
    #[test]
    fn drift_only_reads_production() -> anyhow::Result<()> {
        for branch in ["main", "feature/x"] {
            let ctx = context(branch, V1_29, &["a.example.com"]);
            let plan = pipeline(RunFlags::default())
                .only(|p| p.drift)
                .resolve(&ctx)?;
            let steps: Vec<String> = plan.steps().map(|(_, _, s)| s.to_string()).collect();
            assert_eq!(steps.len(), 5, "{steps:#?}");
            assert!(steps[0].starts_with("kops get cluster a.example.com -o yaml"));
            assert!(steps[1].starts_with("kops get instancegroups --name a.example.com"));
            assert!(steps[2].contains("as production has them"), "{}", steps[2]);
            assert!(
                steps[3].starts_with(
                    "kops update cluster a.example.com --state file:///tmp/kopsflow-XXXXXX/a.example.com/store\n"
                ),
                "{}",
                steps[3]
            );
            assert!(steps[4].starts_with("remove /tmp/kopsflow-XXXXXX/a.example.com"));
            assert!(!steps
                .iter()
                .any(|s| s.contains("replace") || s.contains("--yes")));
            assert!(plan.steps().all(|(_, _, s)| !s.mutates_production()));
        }
        Ok(())
    }

    /// `deploy --validate 10m`: `kops validate cluster --wait 10m` right after `update --yes`
    /// (the kubeconfig is already exported); `0s` validates once; without the flag, nothing.
    #[test]
    fn deploy_with_post_deploy_validation() -> anyhow::Result<()> {
        let flags = |secs| RunFlags {
            validate: Some(Duration::from_secs(secs)),
            ..RunFlags::default()
        };
        let ctx = context("main", V1_29, &["test.k8s.example.com"]);
        let plan = pipeline(flags(600)).only(|p| p.deploy).resolve(&ctx)?;
        insta::assert_snapshot!(plan.to_string());
        let text = plan.to_string();
        let update = text.find("--yes").expect("update --yes");
        let validate = text.find("kops validate cluster").expect("validate");
        assert!(update < validate && text[validate..].contains("--wait 10m"));
        let once = pipeline(flags(0)).only(|p| p.deploy).resolve(&ctx)?;
        let once = once.to_string();
        assert!(
            once.contains("kops validate cluster test.k8s.example.com --state s3://k8s-kops\n"),
            "{once}"
        );
        let off = pipeline(RunFlags::default())
            .only(|p| p.deploy)
            .resolve(&ctx)?;
        assert!(!off.to_string().contains("validate"));
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
                        for (instance_groups, validate) in [
                            (vec![], None),
                            (vec!["nodes".to_owned()], Some(Duration::from_secs(600))),
                        ] {
                            let flags = RunFlags {
                                cloud_only,
                                roll,
                                instance_groups,
                                allow_drift: cloud_only,
                                validate,
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
