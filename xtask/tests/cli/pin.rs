//! Integration tests of the kops version pin (`KOPS_PIN` in `xtask/src/pipeline.rs`, this
//! repository: kops 1.29.2): the jobs that run kops compare `kops version` with it before any
//! other kops call (the stand-in's log shows what ran), `--any-kops-version` runs anyway and
//! says so in every summary format and the audit record, and `--print` shows the pin. The stand-in
//! replays the real `kops version` of 1.29.2, or of 1.36.2 with `KOPS_STANDIN_VERSION`.

use crate::support::{Test, CLUSTER};

const NEWER: (&str, &str) = ("KOPS_STANDIN_VERSION", "1.36.2");
const URL: &str = "https://github.com/kubernetes/kops/releases/download/v1.29.2/kops-linux-amd64";

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn the_pinned_kops_runs_and_every_summary_names_it() {
    let test = Test::new().feature_branch();
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.argv()[0], "version");
    assert!(run.argv().len() > 1, "the plan went on: {:?}", run.argv());
    insta::assert_snapshot!("pinned_plan_text", run.settled_stdout(&test));
    let run = test.run(&["plan", "--format", "markdown"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("pinned_plan_markdown", run.settled_stdout(&test));
    let run = test.run(&["plan", "--format", "json"]);
    let summary = json(&run.stdout());
    assert_eq!(
        summary["kops"],
        serde_json::json!({"version": "1.29.2", "pin": "1.29.2", "matches_pin": true, "any_kops_version": false})
    );
}

/// Every job that runs kops stops after `kops version` when it is not the pinned one: exit 1,
/// both versions and the download named, and no further kops call.
#[test]
fn another_kops_stops_every_job_after_kops_version() {
    let test = Test::new();
    let jobs: [(&str, &[&str]); 6] = [
        ("plan", &["plan", "--all"]),
        ("deploy", &["deploy"]),
        ("rolling_update", &["rolling-update", "--cluster", CLUSTER]),
        (
            "rolling_update_yes",
            &["rolling-update", "--cluster", CLUSTER, "--yes"],
        ),
        ("drift", &["drift"]),
        ("export", &["export", "--cluster", CLUSTER, "--force"]),
    ];
    let spec = test.read_spec();
    for (name, args) in jobs {
        let run = test.run_with(&[NEWER], args);
        assert_eq!(run.code(), 1, "{args:?}: {}", run.stderr());
        let err = run.settled_stderr(&test);
        assert!(err.contains(URL), "{args:?}: the download is named: {err}");
        insta::assert_snapshot!(format!("other_kops_{name}_stderr"), err);
        assert_eq!(run.argv(), ["version"], "{args:?}: only kops version ran");
        assert_eq!(run.stdout(), "", "{args:?}: no summary");
    }
    assert_eq!(test.read_spec(), spec, "export wrote nothing");
    // The refused deploy and rolling updates are in the audit log, failed with that reason.
    let log = std::fs::read_to_string(test.repo().join("target/kopsflow/audit.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = log.lines().map(json).collect();
    assert_eq!(records.len(), 3, "{log}");
    for record in &records {
        assert_eq!(record["outcome"], "failed", "{record}");
        assert!(
            record["error"]
                .as_str()
                .unwrap()
                .contains("is not the kops this repository is pinned to"),
            "{record}"
        );
    }
}

/// `--kops-version` is trusted (kops is not asked) but must satisfy the pin too.
#[test]
fn kops_version_flag_is_held_to_the_pin() {
    let test = Test::new().feature_branch();
    let run = test.run(&["plan", "--kops-version", "1.36.2"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    insta::assert_snapshot!("kops_version_flag_stderr", run.settled_stderr(&test));
    assert!(
        run.argv().is_empty(),
        "no kops call at all: {:?}",
        run.argv()
    );
    let run = test.run(&["plan", "--kops-version", "1.29.2"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        !run.argv().contains(&"version".to_owned()),
        "{:?}",
        run.argv()
    );
}

#[test]
fn print_shows_the_pin() {
    let test = Test::new().feature_branch();
    let run = test.run(&["plan", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("print_pinned", run.settled_stdout(&test));
    let run = test.run(&[
        "deploy",
        "--print",
        "--branch",
        "main",
        "--kops-version",
        "1.36.2",
    ]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    insta::assert_snapshot!("print_other_kops_stderr", run.settled_stderr(&test));
    let run = test.run(&[
        "plan",
        "--print",
        "--kops-version",
        "1.36.2",
        "--any-kops-version",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("print_any_kops_version", run.settled_stdout(&test));
    assert!(run.argv().is_empty());
}

/// `--any-kops-version` runs with another kops, and says so: a warning on stderr, the summary
/// in text, markdown and JSON, and the audit record's overrides.
#[test]
fn any_kops_version_runs_anyway_and_says_so() {
    let test = Test::new().feature_branch();
    // drift: read-only, and no policy to trip over the 1.36.2 recording's other spec.
    let newer = [NEWER];
    let run = test.run_with(&newer, &["drift", "--any-kops-version"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.argv().len() > 1 && run.argv()[0] == "version");
    insta::assert_snapshot!("any_kops_version_drift_stderr", run.settled_stderr(&test));
    insta::assert_snapshot!("any_kops_version_drift_text", run.settled_stdout(&test));
    let run = test.run_with(
        &newer,
        &["drift", "--any-kops-version", "--format", "markdown"],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("any_kops_version_drift_markdown", run.settled_stdout(&test));
    let run = test.run_with(&newer, &["drift", "--any-kops-version", "--format", "json"]);
    assert_eq!(
        json(&run.stdout())["kops"],
        serde_json::json!({"version": "1.36.2", "pin": "1.29.2", "matches_pin": false, "any_kops_version": true})
    );

    let run = test.run_with(
        &[NEWER],
        &["rolling-update", "--cluster", CLUSTER, "--any-kops-version"],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let log = std::fs::read_to_string(test.repo().join("target/kopsflow/audit.jsonl")).unwrap();
    let record = json(log.lines().last().unwrap());
    assert_eq!(record["kops_version"], "1.36.2");
    assert_eq!(record["overrides"], serde_json::json!(["any-kops-version"]));
    assert_eq!(record["outcome"], "ok");
}
