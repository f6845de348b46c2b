//! Integration tests of `cargo xtask status`: a repository with two clusters, deployed once
//! (audit records of real `deploy` runs with the kops stand-in), then changed and deployed again
//! with `kops update cluster --yes` failing; `status` then shows each row in text, markdown and
//! JSON (insta snapshots, commits and times masked), reads production only, and reports an
//! unreachable Kubernetes API as an unknown rolling update instead of failing.

use crate::support::{mutating, settle, Run, Test, CLUSTER};

const PENDING_1_29: &str = "update-cluster-dryrun.modify-ig.REAL.kops-1.29.2.stdout.txt";
const NO_CHANGES_1_29: &str = "update-cluster-dryrun.no-changes.REAL.kops-1.29.2.stdout.txt";

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Two clusters deployed at the second commit; then `test.k8s.local`'s nodes grow and its deploy
/// fails at `kops update cluster --yes` (call 5: version, get ×2, replace, update). Returns the commits, oldest first.
fn deployed_then_failed() -> (Test, Vec<String>) {
    let test = Test::new();
    test.add_clusters(&["b.k8s.local"]);
    let run = test.run(&["deploy", "--all", "--branch", "main"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    test.modify(CLUSTER);
    test.commit("test: nodes maxSize 2");
    let run = test.run_with(
        &[("KOPS_STANDIN_FAIL_AT", "5")],
        &["deploy", "--cluster", CLUSTER, "--branch", "main"],
    );
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        run.argv()[4].starts_with("update cluster test.k8s.local"),
        "{:?}",
        run.argv()
    );
    let log = test.git_in(&test.repo(), &["log", "--reverse", "--format=%H"]);
    (test, log.lines().map(str::to_owned).collect())
}

/// Production is never written, and every `update cluster` is a dry-run in a scratch store.
fn assert_read_only(run: &Run) {
    for argv in run.argv() {
        assert!(!mutating(&argv) && !argv.starts_with("replace"), "{argv}");
        if argv.starts_with("update cluster") {
            assert!(
                argv.contains("--state file://$TMP/kopsflow-RUN/") && !argv.contains("--yes"),
                "{argv}"
            );
        }
    }
    assert!(run.tmp_left.is_empty(), "{:?}", run.tmp_left);
}

#[test]
fn status_shows_one_row_per_cluster_in_text_markdown_and_json() {
    let (test, commits) = deployed_then_failed();
    assert_eq!(commits.len(), 3);
    let env = [("KOPS_STANDIN_UPDATE", PENDING_1_29)];
    let mut outputs = Vec::new();
    for format in ["text", "markdown", "json"] {
        let args = [
            "status",
            "--cloudonly",
            "--jobs",
            "2",
            "--format",
            format,
            "--detailed-exitcode",
        ];
        let run = test.run_with(&env, &args);
        assert_eq!(run.code(), 2, "{}", run.stderr());
        assert_read_only(&run);
        // Per cluster: get cluster, get instancegroups, the dry-run, the rolling-update preview.
        let argv = run.argv();
        assert_eq!(argv.len(), 1 + 2 * 4, "{argv:#?}");
        assert!(
            argv.contains(
                &"rolling-update cluster test.k8s.local --state file:///srv/kstate --cloudonly"
                    .to_owned()
            ),
            "{argv:#?}"
        );
        assert!(
            !argv.iter().any(|a| a.starts_with("export")),
            "--cloudonly needs no kubeconfig"
        );
        outputs.push(settle(&run.stdout(), &commits));
    }
    let [text, markdown, json_text] = <[String; 3]>::try_from(outputs).unwrap_or_default();
    // The rows as the repository and its audit log say.
    assert!(
        text.contains("test.k8s.local  <commit 3>   YYYY-MM-DD  "),
        "{text}"
    );
    assert!(
        text.contains("<commit 2>   YYYY-MM-DDThh:mm:ssZ"),
        "deployed at commit 2: {text}"
    );
    assert!(text.contains("failed YYYY-MM-DDThh:mm:ssZ"), "{text}");
    insta::assert_snapshot!("status_text", text);
    insta::assert_snapshot!("status_markdown", markdown);
    insta::assert_snapshot!("status_json", json_text);
    let summary = json(&json_text);
    let a = &summary["clusters"][1];
    assert_eq!(a["cluster"], CLUSTER);
    assert_eq!(a["revision"]["commit"], "<commit 3>");
    assert_eq!(a["deployed"]["commit"], "<commit 2>");
    assert_eq!(a["deployed"]["outcome"], "ok");
    assert_eq!(a["last_deploy"]["outcome"], "failed");
    assert_eq!(a["spec_drift"]["state"], "drifted");
    assert_eq!(a["cloud"]["state"], "not_applied");
    assert_eq!(a["rolling_update"]["state"], "needed");
    let b = &summary["clusters"][0];
    assert_eq!(b["revision"]["commit"], "<commit 2>");
    assert_eq!(b["spec_drift"]["state"], "none");
    assert_eq!(b["last_deploy"]["outcome"], "ok");
}

#[test]
fn an_unreachable_api_is_an_unknown_rolling_update_not_a_failure() {
    let test = Test::new();
    let env = [
        ("KOPS_STANDIN_UPDATE", NO_CHANGES_1_29),
        ("KOPS_STANDIN_API_UNREACHABLE", "1"),
    ];
    let run = test.run_with(&env, &["status", "--format", "json", "--detailed-exitcode"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_read_only(&run);
    // kops 1.29 needs the kubeconfig for a rolling update that reaches the API.
    let argv = run.argv();
    assert!(
        argv[4].starts_with("export kubecfg test.k8s.local"),
        "{argv:#?}"
    );
    assert!(
        argv[5].starts_with("rolling-update cluster test.k8s.local"),
        "{argv:#?}"
    );
    let summary = json(&run.stdout());
    assert_eq!(summary["has_errors"], false);
    assert_eq!(summary["needs_attention"], false);
    let c = &summary["clusters"][0];
    assert_eq!(c["rolling_update"]["state"], "unknown");
    assert_eq!(c["rolling_update"]["text"], "unknown (API unreachable)");
    assert!(c["error"].is_null());
    assert_eq!(c["spec_drift"]["state"], "none");
    assert_eq!(c["cloud"]["state"], "none");
    assert!(c["deployed"].is_null(), "no audit log: unknown");
    assert_eq!(summary["audit_log"]["found"], false);

    let run = test.run_with(&env, &["status"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("status_api_unreachable_text", run.settled_stdout(&test));
}

#[test]
fn a_cluster_that_cannot_be_read_fails_status_after_its_row() {
    let test = Test::new();
    test.add_clusters(&["b.k8s.local"]);
    let env = [
        ("KOPS_STANDIN_UPDATE", NO_CHANGES_1_29),
        ("KOPS_STANDIN_FAIL_CLUSTER", "b.k8s.local"),
    ];
    let run = test.run_with(
        &env,
        &[
            "status",
            "--cloudonly",
            "--cluster",
            "b.k8s.local",
            "--cluster",
            CLUSTER,
        ],
    );
    assert_eq!(run.code(), 1, "{}", run.stderr());
    // b's row says unknown (error), its section the error; test.k8s.local's row is checked.
    insta::assert_snapshot!("status_one_unreadable_text", run.settled_stdout(&test));
    let err = run.settled_stderr(&test);
    assert!(
        err.contains("1 of 2 cluster(s) could not be checked"),
        "{err}"
    );
    // --print shows the steps and runs nothing.
    let run = test.run(&["status", "--print", "--cloudonly"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.settled_stdout(&test);
    assert!(!out.contains("--yes"), "{out}");
    insta::assert_snapshot!("status_print_cloudonly", out);
    assert!(run.argv().is_empty());
}

/// A cluster in git but not in production: no dry-run, and a rolling-update check that kops
/// fails (the stand-in fails call 3, after `version` and the `get cluster` that found nothing)
/// is no error; the row says `not in production` and needs attention.
#[test]
fn a_cluster_not_in_production_is_a_row_not_an_error() {
    let test = Test::new();
    let env = [
        ("KOPS_STANDIN_NEW_CLUSTER", "1"),
        ("KOPS_STANDIN_FAIL_AT", "3"),
    ];
    let args = [
        "status",
        "--cloudonly",
        "--format",
        "json",
        "--detailed-exitcode",
    ];
    let run = test.run_with(&env, &args);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let argv = run.argv();
    assert_eq!(argv.len(), 3, "{argv:#?}");
    assert!(
        argv[2].starts_with("rolling-update cluster test.k8s.local"),
        "{argv:#?}"
    );
    let c = &json(&run.stdout())["clusters"][0];
    for check in ["spec_drift", "cloud", "rolling_update"] {
        assert_eq!(c[check]["state"], "not_in_production", "{check}: {c}");
    }
    assert!(c["error"].is_null(), "{c}");
}
