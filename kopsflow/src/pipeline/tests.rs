//! Unit tests of pipelines: branch conditions, and where resolution puts the checks of
//! production.

use super::*;

#[test]
fn exact_and_any_of() {
    let main = BranchCondition::any_of_names(&["main", "master"]);
    assert!(main.matches("main") && main.matches("master"));
    assert!(!main.matches("feature/x") && !main.matches("mainline"));
    assert_eq!(main.to_string(), "any of 'main', 'master'");
    assert!(!main.clone().negate().matches("main"));
    assert!(main.negate().matches("feature/x"));
    assert!(BranchCondition::Always.matches(""));
}

fn deploy_of(steps: Vec<ProductionStep>, deployed: Option<DeployedSpec>) -> anyhow::Result<Plan> {
    let store = StateStore::parse("s3://k8s-kops")?;
    let ctx = Context {
        branch: "main".to_owned(),
        kops_version: KopsVersion::new(1, 29, 2),
        clusters: vec![ClusterTarget {
            name: "c.example.com".to_owned(),
            spec_file: "cluster-spec/c.example.com.yml".into(),
            config_base: None,
            deployed,
        }],
        work_dir: "/tmp/run".into(),
    };
    let stage = Stage::production("Deploy", BranchCondition::Always, steps);
    Pipeline::new(Some(store), vec![stage]).resolve(&ctx)
}

#[test]
fn checks_come_after_reading_and_before_any_change() -> anyhow::Result<()> {
    use ProductionStep::{CheckDrift, DeleteRemovedInstanceGroups, ReadProduction, ReplaceSpec};
    let deployed = Some(DeployedSpec {
        commit: Some("1a2b3c4d5e6f7".to_owned()),
        file: "cluster-spec/c.example.com.yml".into(),
        text: Some(String::new()),
        since: Vec::new(),
    });
    let drift = CheckDrift(OnDrift::Refuse);
    let prune = DeleteRemovedInstanceGroups(Mode::Apply);
    let names = |plan: &Plan| -> Vec<String> {
        plan.steps()
            .map(|(_, _, step)| {
                step.to_string()
                    .split(' ')
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let plan = deploy_of(
        vec![ReadProduction, drift.clone(), ReplaceSpec, prune.clone()],
        deployed.clone(),
    )?;
    assert_eq!(
        names(&plan),
        [
            "kops get",
            "kops get",
            "check the",
            "check production",
            "write /tmp/run/c.example.com/c.example.com.yaml",
            "kops replace",
            "for each",
            "remove /tmp/run/c.example.com"
        ]
    );
    // A preview prune deletes nothing: no control-plane check.
    let plan = deploy_of(
        vec![ReadProduction, DeleteRemovedInstanceGroups(Mode::Preview)],
        None,
    )?;
    assert!(!plan
        .steps()
        .any(|(_, _, s)| matches!(s, PlannedStep::CheckPrune { .. })));
    let error = |steps: Vec<ProductionStep>, deployed: Option<DeployedSpec>| {
        format!("{:#}", deploy_of(steps, deployed).unwrap_err())
    };
    let e = error(vec![drift.clone(), ReadProduction], deployed.clone());
    assert!(
        e.contains("CheckDrift needs a ReadProduction step before it"),
        "{e}"
    );
    let e = error(
        vec![ReadProduction, ReplaceSpec, drift.clone()],
        deployed.clone(),
    );
    assert!(
        e.contains("CheckDrift must come before every step that changes production"),
        "{e}"
    );
    let e = error(vec![ReplaceSpec, ReadProduction, prune], deployed);
    assert!(
        e.contains("pruning instance groups must come before every step"),
        "{e}"
    );
    let e = error(vec![ReadProduction, drift], None);
    assert!(
        e.contains("the spec c.example.com was last deployed from was not read"),
        "{e}"
    );
    Ok(())
}

#[test]
fn only_a_stage_that_runs_checks_drift() {
    let main = BranchCondition::exact("main");
    let with = |steps| Pipeline::new(None, vec![Stage::production("Deploy", main.clone(), steps)]);
    let pipeline = with(vec![
        ProductionStep::ReadProduction,
        ProductionStep::CheckDrift(OnDrift::Proceed),
    ]);
    assert!(pipeline.checks_drift("main"));
    assert!(
        !pipeline.checks_drift("feature/x"),
        "the stage is skipped there"
    );
    assert!(!with(vec![ProductionStep::ReadProduction]).checks_drift("main"));
}

#[test]
fn the_kubeconfig_is_exported_after_the_update_that_makes_the_ca() -> anyhow::Result<()> {
    use ProductionStep::{ExportKubecfg, ReadProduction, ReplaceSpec, UpdateCluster};
    let before = vec![
        ReadProduction,
        ReplaceSpec,
        ExportKubecfg,
        UpdateCluster(Mode::Apply),
    ];
    let err = format!("{:#}", deploy_of(before, None).unwrap_err());
    assert!(
        err.contains("ExportKubecfg must come after UpdateCluster(Apply)")
            && err.contains("cannot find CA certificate"),
        "{err}"
    );
    let after = vec![
        ReadProduction,
        ReplaceSpec,
        UpdateCluster(Mode::Apply),
        ExportKubecfg,
    ];
    let plan = deploy_of(after, None)?;
    let kops: Vec<&str> = plan
        .steps()
        .filter_map(|(_, _, step)| match step {
            PlannedStep::Kops { command, .. } => Some(command.subcommand()),
            _ => None,
        })
        .collect();
    assert_eq!(
        kops,
        [
            "get cluster",
            "get instancegroups",
            "replace",
            "update cluster",
            "export kubecfg"
        ]
    );
    // A stage that does not replace and then apply (a preview) may export first.
    deploy_of(vec![ExportKubecfg, UpdateCluster(Mode::Preview)], None)?;
    Ok(())
}

#[test]
fn globs() {
    let release = BranchCondition::glob("release/*");
    assert!(release.matches("release/1.29"));
    assert!(!release.matches("release/1.29/hotfix"));
    assert!(!release.matches("releases/1"));
    assert!(BranchCondition::glob("release/**").matches("release/1.29/hotfix"));
    assert!(BranchCondition::glob("*-hotfix").matches("x-hotfix"));
    assert!(BranchCondition::glob("v?").matches("v1"));
    assert!(!BranchCondition::glob("v?").matches("v12"));
    assert!(!BranchCondition::glob("a?b").matches("a/b"));
    assert!(BranchCondition::glob("*").matches("feature"));
    assert!(!BranchCondition::glob("*").matches("feature/x"));
}

/// `clusters` (name, environment and wave, or none), resolved on `branch` by a pipeline whose
/// deploy applies on `main` only.
fn waves_plan(branch: &str, clusters: &[(&str, Option<(&str, u32)>)]) -> anyhow::Result<Plan> {
    let ctx = Context {
        branch: branch.to_owned(),
        kops_version: KopsVersion::new(1, 29, 2),
        clusters: clusters
            .iter()
            .map(|(name, _)| ClusterTarget {
                name: (*name).to_owned(),
                spec_file: format!("cluster-spec/{name}.yml").into(),
                config_base: None,
                deployed: None,
            })
            .collect(),
        work_dir: "/tmp/run".into(),
    };
    let waves = clusters
        .iter()
        .filter_map(|(name, placement)| {
            placement.map(|(environment, wave)| {
                let environment = environment.to_owned();
                ((*name).to_owned(), Placement { wave, environment })
            })
        })
        .collect();
    let stage = Stage::production(
        "Deploy",
        BranchCondition::exact("main"),
        vec![ProductionStep::UpdateCluster(Mode::Apply)],
    );
    Pipeline::new(Some(StateStore::parse("s3://k8s-kops")?), vec![stage])
        .with_cluster_waves(waves)
        .resolve(&ctx)
}

fn names(plan: &Plan) -> Vec<&str> {
    plan.clusters.iter().map(|c| c.cluster.as_str()).collect()
}

#[test]
fn clusters_are_ordered_by_wave_keeping_the_selection_order_within_a_wave() -> anyhow::Result<()> {
    let plan = waves_plan(
        "main",
        &[
            ("p1", Some(("prod", 3))),
            ("none", None),
            ("d1", Some(("dev", 1))),
            ("s1", Some(("stg", 2))),
            ("p2", Some(("prod", 3))),
            ("d2", Some(("dev", 1))),
        ],
    )?;
    assert_eq!(names(&plan), ["d1", "d2", "s1", "p1", "p2", "none"]);
    let waves: Vec<String> = plan.waves().iter().map(ToString::to_string).collect();
    assert_eq!(
        waves,
        [
            "wave 1 (dev): 2 clusters",
            "wave 2 (stg): 1 cluster",
            "wave 3 (prod): 2 clusters",
            "no wave (no environment): 1 cluster"
        ]
    );
    assert_eq!(plan.waves()[2].clusters, [3, 4]);
    assert!(plan.runs_in_waves());
    // Without waves, the selection's order stands and nothing waits.
    let plain = waves_plan("main", &[("b", None), ("a", None)])?;
    assert_eq!(names(&plain), ["b", "a"]);
    assert!(plain.waves().is_empty() && !plain.runs_in_waves());
    Ok(())
}

#[test]
fn two_environments_can_share_a_wave() -> anyhow::Result<()> {
    let plan = waves_plan(
        "main",
        &[
            ("us", Some(("dev-us", 1))),
            ("eu", Some(("dev-eu", 1))),
            ("p", Some(("prod", 2))),
        ],
    )?;
    assert_eq!(names(&plan), ["us", "eu", "p"]);
    assert_eq!(
        plan.waves()[0].to_string(),
        "wave 1 (dev-us, dev-eu): 2 clusters"
    );
    Ok(())
}

#[test]
fn the_plan_shows_its_waves_and_whether_they_wait() -> anyhow::Result<()> {
    let clusters = [
        ("prod.example.com", Some(("prod", 3))),
        ("stg.example.com", Some(("stg", 2))),
        ("dev.example.com", Some(("dev", 1))),
    ];
    let main = waves_plan("main", &clusters)?;
    insta::assert_snapshot!("plan_with_waves_on_main", main.to_string());
    // A run that changes nothing in production is not held back by wave.
    let feature = waves_plan("feature/x", &clusters)?;
    assert!(!feature.runs_in_waves());
    let shown = feature.to_string();
    assert!(
        shown.contains("waves (this run changes nothing in production: no wave waits for another):\n  wave 1 (dev): dev.example.com\n"),
        "{shown}"
    );
    Ok(())
}
