//! Integration tests of post-deploy validation (`deploy --validate`), with the real `xtask`
//! binary in a temp repository and the kops stand-in, through the same harness as `cli.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
mod support;

use support::{Test, CLUSTER};

#[test]
fn deploy_validate_runs_kops_validate_after_update_and_reports_it() {
    let test = Test::new();
    let run = test.run(&["deploy", "--validate", "10m", "--format", "json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let argv = run.argv();
    let update = argv
        .iter()
        .position(|a| a.starts_with("update cluster") && a.ends_with("--yes"))
        .unwrap();
    assert_eq!(
        argv[update + 1],
        format!("validate cluster {CLUSTER} --state file:///srv/kstate --wait 10m")
    );
    assert!(argv[update + 2].starts_with("rolling-update cluster"), "{argv:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(json["clusters"][0]["validated"], true);
    assert!(
        run.stderr().contains(&format!("Your cluster {CLUSTER} is ready")),
        "{}",
        run.stderr()
    );
    let md = test.run(&["deploy", "--validate", "0s", "--format", "markdown"]);
    assert_eq!(md.code(), 0, "{}", md.stderr());
    assert!(md.stdout().contains("**Validation**: the cluster is ready"));
    assert!(md
        .argv()
        .contains(&format!("validate cluster {CLUSTER} --state file:///srv/kstate")));
    // Without the flag, no validation and no verdict.
    let plain = test.run(&["deploy", "--format", "json"]);
    assert!(!plain.argv().iter().any(|a| a.starts_with("validate")));
    let json: serde_json::Value = serde_json::from_str(&plain.stdout()).unwrap();
    assert_eq!(json["clusters"][0]["validated"], serde_json::Value::Null);
}

#[test]
fn a_cluster_that_does_not_validate_fails_the_deploy() {
    let test = Test::new();
    let run = test.run_with(
        &[("KOPS_STANDIN_VALIDATE_FAIL", "1")],
        &["deploy", "--validate", "10m", "--format", "json"],
    );
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    let cluster = &json["clusters"][0];
    assert_eq!(cluster["validated"], false);
    assert_eq!(cluster["status"], "error");
    let error = cluster["error"].as_str().unwrap();
    assert!(
        error.contains("validate cluster") && error.contains("validation failed"),
        "{error}"
    );
    // The stage stops at the failed step: no rolling-update check after it.
    assert!(run.argv().last().unwrap().starts_with("validate cluster"));
    let text = test.run_with(
        &[("KOPS_STANDIN_VALIDATE_FAIL", "1")],
        &["deploy", "--validate", "10m"],
    );
    assert!(text.stdout().contains("validation: failed"), "{}", text.stdout());
}
