//! Integration tests of the read-only `drift` check: git against production's store (`kops get`)
//! and the cloud against production's store (kops's dry-run of production's own spec in a
//! dry-run store: `not applied`), and the export round trip (`export`, then `plan` and `drift`
//! with nothing pending although kops lists the completed spec's `creationTimestamp`). The real
//! `xtask` binary runs in a temp git repository with the kops stand-in replaying real recorded
//! kops output; the harness is in `support/`.

use crate::support::{mutating, Run, Test, CLUSTER};

const NO_CHANGES_1_29: &str = "update-cluster-dryrun.no-changes.REAL.kops-1.29.2.stdout.txt";
const PENDING_1_29: &str = "update-cluster-dryrun.modify-ig.REAL.kops-1.29.2.stdout.txt";
const PENDING_1_36: &str = "update-cluster-dryrun.modify-ig.REAL.kops-1.36.2.stdout.txt";
/// The stand-in's real 1.36.2 report cut to its creationTimestamp-only completed-spec diff.
const CREATION_TIMESTAMP_ONLY: &str = "creation-timestamp-only";

/// `drift --format json` with `env`.
fn run_json_text(test: &Test, env: &[(&str, &str)]) -> String {
    let run = test.run_with(env, &["drift", "--format", "json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    run.stdout()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Production is never written: no `--yes`, no `replace`, no `delete`, and every
/// `update cluster` runs against a `file://` dry-run store in the run's scratch directory.
fn assert_production_untouched(run: &Run) {
    for argv in run.argv() {
        assert!(!mutating(&argv), "{argv}");
        assert!(
            !argv.starts_with("replace") && !argv.contains("--yes"),
            "{argv}"
        );
        if argv.starts_with("update cluster") {
            assert!(
                argv.contains(" --state file://$TMP/kopsflow-RUN/"),
                "not a scratch store: {argv}"
            );
        }
    }
    assert!(run.tmp_left.is_empty(), "scratch left: {:?}", run.tmp_left);
}

/// The four kops calls of one cluster's drift (after `kops version`).
fn drift_calls(cluster: &str, store: &str) -> Vec<String> {
    vec![
        format!("get cluster {cluster} -o yaml --state {store}"),
        format!("get instancegroups --name {cluster} -o yaml --state {store}"),
        format!("update cluster {cluster} --state file://$TMP/kopsflow-RUN/{cluster}/store"),
    ]
}

#[test]
fn no_drift_exits_0_after_reading_production_and_a_dry_run_of_its_own_spec() {
    let test = Test::new();
    let run = test.run_with(
        &[("KOPS_STANDIN_UPDATE", NO_CHANGES_1_29)],
        &["drift", "--detailed-exitcode"],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let mut expected = vec!["version".to_owned()];
    expected.extend(drift_calls(CLUSTER, "file:///srv/kstate"));
    assert_eq!(run.argv(), expected);
    assert_production_untouched(&run);
    // The dry-run store holds production's config and every instance group, configBase kept.
    let store = run.call_details(4);
    for file in [
        "store-file: ./test.k8s.local/config",
        "store-file: ./test.k8s.local/instancegroup/control-plane-us-east-1a",
        "store-file: ./test.k8s.local/instancegroup/nodes-us-east-1a",
        "store-configBase: configBase: /srv/kstate/test.k8s.local",
    ] {
        assert!(store.iter().any(|l| l == file), "{file}: {store:#?}");
    }
    insta::assert_snapshot!("drift_no_changes_text", run.settled_stdout(&test));
    assert!(
        !test.repo().join("target/kopsflow/audit.jsonl").exists(),
        "drift is not audited"
    );
}

/// Case 2 of the issue: the store says maxSize 2, the cloud still 1 (a failed `update --yes`):
/// git equals the store, and kops's dry-run of the store lists the cloud changes.
#[test]
fn a_cloud_that_lags_the_store_is_not_applied_with_exit_2_in_every_format() {
    let test = Test::new();
    let env = [("KOPS_STANDIN_UPDATE", PENDING_1_29)];
    let run = test.run_with(&env, &["drift", "--detailed-exitcode"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert_production_untouched(&run);
    // The whole text is the `drift_not_applied_text` snapshot below.
    let out = run.stdout();
    // Without --detailed-exitcode it is a finding, not an error.
    assert_eq!(test.run_with(&env, &["drift"]).code(), 0);

    let run = test.run_with(&env, &["drift", "--format", "json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let summary = json(&run.stdout());
    assert_eq!(summary["command"], "drift");
    assert_eq!(summary["changes_pending"], true);
    let c = &summary["clusters"][0];
    assert_eq!(c["status"], "not_applied");
    assert_eq!(c["changes_pending"], true);
    assert_eq!(c["spec_diff"], serde_json::json!([]));
    assert!(c["update"].is_null(), "no dry-run of git's spec");
    assert_eq!(c["cloud"]["changes_pending"], true);
    assert_eq!(c["cloud"]["counts"]["modify"], 3);
    assert_eq!(c["cloud"]["modifies"][0]["kind"], "AutoscalingGroup");
    assert_eq!(c["cloud"]["modifies"][0]["fields"][0]["new"], "3");

    insta::assert_snapshot!("drift_not_applied_text", out);
    insta::assert_snapshot!("drift_not_applied_json", run_json_text(&test, &env));
    let run = test.run_with(&env, &["drift", "--format", "markdown"]);
    let out = run.stdout();
    insta::assert_snapshot!("drift_not_applied_markdown", out);
}

/// A spec drift and a lagging cloud at once: the status is the spec drift, the cloud is shown
/// too; a cluster not in production has no cloud to compare.
#[test]
fn spec_drift_comes_first_and_a_new_cluster_has_no_cloud_dry_run() {
    let test = Test::new().feature_branch();
    let run = test.run_with(
        &[("KOPS_STANDIN_UPDATE", PENDING_1_29)],
        &["drift", "--format", "json", "--detailed-exitcode"],
    );
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let c = &json(&run.stdout())["clusters"][0];
    assert_eq!(c["status"], "changes_pending");
    assert_eq!(c["spec_diff"][0]["path"], "spec.maxSize");
    assert_eq!(c["cloud"]["changes_pending"], true);

    let run = test.run_with(
        &[("KOPS_STANDIN_NEW_CLUSTER", "1")],
        &["drift", "--format", "json", "--detailed-exitcode"],
    );
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert_eq!(
        run.argv(),
        [
            "version",
            "get cluster test.k8s.local -o yaml --state file:///srv/kstate"
        ]
    );
    let c = &json(&run.stdout())["clusters"][0];
    assert_eq!(c["status"], "new_cluster");
    assert!(c["cloud"].is_null());
    assert!(run.tmp_left.is_empty());
}

/// Case 1 of the issue: `kops replace` created the cluster in the store, `update --yes` never
/// ran, so the cloud has nothing: git equals the store, and kops's real dry-run of a store whose
/// cluster does not exist in the cloud yet creates everything.
#[test]
fn a_cluster_only_in_the_store_is_not_applied() {
    let test = Test::new();
    let env = [(
        "KOPS_STANDIN_UPDATE",
        "update-cluster-dryrun.create-all.REAL.kops-1.29.2.stdout.txt",
    )];
    let args = ["drift", "--format", "json", "--detailed-exitcode"];
    let run = test.run_with(&env, &args);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert_production_untouched(&run);
    let c = &json(&run.stdout())["clusters"][0];
    assert_eq!(c["status"], "not_applied");
    assert_eq!(c["new_cluster"], false);
    assert_eq!(c["cloud"]["counts"]["modify"], 0);
    assert!(c["cloud"]["counts"]["create"].as_u64().unwrap() > 50, "{c}");
}

#[test]
fn drift_reads_the_committed_spec_and_prints_its_steps() {
    let test = Test::new();
    test.modify(CLUSTER);
    let run = test.run(&["drift"]);
    assert_eq!(run.code(), 1);
    insta::assert_snapshot!("drift_uncommitted_stderr", run.settled_stderr(&test));
    assert!(!run.argv().iter().any(|a| a.starts_with("get")));
    let run = test.run(&["drift", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.settled_stdout(&test);
    insta::assert_snapshot!("drift_print", out);
    assert!(!out.contains("replace") && !out.contains("--yes"), "{out}");
    assert!(run.argv().is_empty());
}

// --- the export round trip ----------------------------------------------------------------------

/// Export from production, then `plan` and (committed) `drift` with kops's dry-run listing only
/// the completed spec's `creationTimestamp`: both exit 0 with `--detailed-exitcode`, and say
/// what they ignored.
fn export_round_trip(test: &Test, env: &[(&str, &str)], cluster: &str, any: &[&str]) {
    let run = test.run_with(env, &[&["export", "--cluster", cluster], any].concat());
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let mut env = env.to_vec();
    env.push(("KOPS_STANDIN_UPDATE", CREATION_TIMESTAMP_ONLY));
    let plan = [
        &[
            "plan",
            "--cluster",
            cluster,
            "--format",
            "json",
            "--detailed-exitcode",
        ][..],
        any,
    ]
    .concat();
    let run = test.run_with(&env, &plan);
    assert_eq!(run.code(), 0, "nothing pending: {}", run.stdout());
    let c = &json(&run.stdout())["clusters"][0];
    assert_eq!(c["status"], "no_changes");
    assert_eq!(c["spec_diff"], serde_json::json!([]));
    assert_eq!(c["update"]["changes_pending"], false);
    assert_eq!(c["update"]["counts"]["modify"], 0);
    assert_eq!(c["update"]["ignored"][0]["kind"], "ManagedFile");
    assert_eq!(c["update"]["ignored"][0]["name"], "cluster-completed.spec");

    test.git(&["add", "-A"]);
    test.git(&["commit", "-q", "-m", "exported"]);
    let drift = [
        &["drift", "--cluster", cluster, "--detailed-exitcode"][..],
        any,
    ]
    .concat();
    let run = test.run_with(&env, &drift);
    assert_eq!(run.code(), 0, "{}\n{}", run.stdout(), run.stderr());
    assert_production_untouched(&run);
    // No changes, and the note of what was ignored: the completed spec's creationTimestamp.
    insta::assert_snapshot!(
        format!("export_round_trip_{cluster}_drift"),
        run.settled_stdout(test)
    );
}

#[test]
fn an_export_from_kops_1_29_plans_and_drifts_clean_despite_creation_timestamp() {
    export_round_trip(&Test::new(), &[], CLUSTER, &[]);
}

#[test]
fn an_export_from_kops_1_36_plans_and_drifts_clean_despite_creation_timestamp() {
    let test = Test::new();
    let env = [
        ("KOPS_STANDIN_VERSION", "1.36.2"),
        ("KOPS_STATE_STORE", "s3://kopsflow-prod"),
    ];
    export_round_trip(&test, &env, "demo1.k8s.local", &["--any-kops-version"]);
    // kops 1.36.2's real report of nothing to do: no drift.
    let mut clean = env.to_vec();
    clean.push((
        "KOPS_STANDIN_UPDATE",
        "update-cluster-dryrun.no-changes.REAL.kops-1.36.2.stdout.txt",
    ));
    let args = [
        "drift",
        "--cluster",
        "demo1.k8s.local",
        "--detailed-exitcode",
        "--any-kops-version",
    ];
    let run = test.run_with(&clean, &args);
    assert_eq!(run.code(), 0, "{}\n{}", run.stdout(), run.stderr());
    insta::assert_snapshot!("drift_clean_1_36", run.settled_stdout(&test));
    // The real 1.36.2 report of a resize: the resize is still not applied, the timestamp ignored.
    let mut env = env.to_vec();
    env.push(("KOPS_STANDIN_UPDATE", PENDING_1_36));
    let args = [
        "drift",
        "--cluster",
        "demo1.k8s.local",
        "--format",
        "json",
        "--detailed-exitcode",
        "--any-kops-version",
    ];
    let run = test.run_with(&env, &args);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let c = &json(&run.stdout())["clusters"][0];
    assert_eq!(c["status"], "not_applied");
    assert_eq!(c["cloud"]["counts"]["modify"], 1);
    assert_eq!(
        c["cloud"]["modifies"][0]["name"],
        "nodes-us-east-1a.demo1.k8s.local"
    );
    assert_eq!(c["cloud"]["ignored"][0]["name"], "cluster-completed.spec");
}

/// A real change inside the completed spec (the real 1.29.2 report of a store whose configBase
/// was rewritten) is still a change.
#[test]
fn a_real_change_inside_the_completed_spec_is_still_reported() {
    let test = Test::new();
    let env = [(
        "KOPS_STANDIN_UPDATE",
        "update-cluster-dryrun.copied-state-configbase-rewritten.REAL.kops-1.29.2.stdout.txt",
    )];
    let run = test.run_with(
        &env,
        &["plan", "--format", "json", "--detailed-exitcode", "--all"],
    );
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let update = &json(&run.stdout())["clusters"][0]["update"];
    assert_eq!(update["changes_pending"], true);
    let modifies = update["modifies"].as_array().unwrap();
    assert!(
        modifies
            .iter()
            .any(|t| t["kind"] == "ManagedFile" && t["name"] == "cluster-completed.spec"),
        "{modifies:#?}"
    );
    assert!(update.get("ignored").is_none(), "{update}");
}
