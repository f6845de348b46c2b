//! Integration tests of deploys that converge: a new cluster created in the order kops needs,
//! re-runs after a failure at any step after `kops replace` and repeated deploys of one commit
//! finishing without `--allow-drift`, and the record of the last successful deploy
//! (`KOPSFLOW_LAST_DEPLOYED`) selecting what an unfinished deploy left. The kops stand-in keeps
//! production's state between calls (`KOPS_STANDIN_STATE`): a `replace` is what the next
//! `kops get` serves, a new cluster has no CA before its first `update --yes`.

use crate::support::{mutating, Run, Test, CLUSTER};

const NEW: &str = "new.k8s.local";

/// A test whose production keeps state between kops calls.
fn stateful() -> Test {
    let test = Test::new();
    let state = test.path("state").display().to_string();
    test.env("KOPS_STANDIN_STATE", &state)
        .env("KOPS_STANDIN_NEW_CLUSTER", NEW)
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout()))
}

/// The subcommands of the kops calls (`update cluster --yes` keeps its `--yes`).
fn subcommands(run: &Run) -> Vec<String> {
    run.argv()
        .iter()
        .map(|a| {
            let words: Vec<&str> = a.split(' ').collect();
            let mut name = words[..2.min(words.len())].join(" ");
            if a.ends_with(" --yes") {
                name.push_str(" --yes");
            }
            name
        })
        .collect()
}

/// A summary with what changes per run replaced: temp paths, and the commit before HEAD (its
/// hash depends on the time it was made) as `HEAD^`.
fn stable(test: &Test, run: &Run, text: &str) -> String {
    let parent = test.rev_parse("HEAD^");
    run.normalize(text).replace(&parent[..12], "HEAD^")
}

fn assert_ok(run: &Run) {
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(!run.stderr().contains("error: error:"), "{}", run.stderr());
}

#[test]
fn a_new_cluster_is_created_before_its_kubeconfig_is_exported() {
    let test = stateful();
    test.add_cluster(NEW);
    test.commit("a new cluster");
    let print = test.run(&["deploy", "--print"]);
    assert_ok(&print);
    let plan = print.stdout();
    let (update, export) = (
        plan.find(&format!("kops update cluster {NEW}")).unwrap(),
        plan.find(&format!("kops export kubecfg {NEW}")).unwrap(),
    );
    assert!(update < export, "--print shows the order:\n{plan}");

    let run = test.run(&["deploy", "--format", "json"]);
    assert_ok(&run);
    assert_eq!(
        subcommands(&run),
        [
            "version",
            "get cluster",
            "replace -f",
            "update cluster --yes",
            "export kubecfg",
        ],
        "not found, so no instance groups to read; then create, update (CA, keys, cloud), \
         export; no rolling-update preview of instances just made"
    );
    // No drift check and no rolling update of a cluster just made; the real first-run output
    // of update --yes ("Cluster is starting.").
    insta::assert_snapshot!("new_cluster_deploy_stderr", run.settled_stderr(&test));
    let summary = json(&run);
    let cluster = &summary["clusters"][0];
    assert_eq!(
        (&cluster["cluster"], &cluster["status"], &cluster["applied"]),
        (
            &serde_json::json!(NEW),
            &serde_json::json!("created"),
            &serde_json::json!(true)
        )
    );
    assert_eq!(cluster["changes_pending"], false);
    assert_eq!(summary["changes_pending"], false);

    // A re-plan right after: production (the stand-in's state) now equals git.
    let replan = test.run(&["plan", "--cluster", NEW, "--detailed-exitcode"]);
    assert_ok(&replan);
    insta::assert_snapshot!("new_cluster_replan", replan.settled_stdout(&test));

    // The summaries say `created`, never "changes pending".
    test.git(&["commit", "-q", "--allow-empty", "-m", "again"]);
    for format in ["text", "markdown"] {
        let again = test.run(&["deploy", "--cluster", NEW, "--format", format]);
        assert_ok(&again);
        let out = again.settled_stdout(&test);
        assert!(!out.contains("changes pending"), "{out}");
        insta::assert_snapshot!(format!("new_cluster_again_{format}"), out);
    }
}

#[test]
fn summaries_say_created_and_applied() {
    let test = stateful();
    test.add_cluster(NEW);
    test.modify(CLUSTER);
    test.commit("a new cluster, and nodes maxSize 2");
    for format in ["text", "markdown"] {
        // Each run starts from production as it was: the state dir is removed.
        let _ = std::fs::remove_dir_all(test.path("state"));
        let run = test.run(&["deploy", "--format", format]);
        assert_ok(&run);
        insta::assert_snapshot!(
            format!("converge_deploy_summary_{format}"),
            stable(&test, &run, &run.stdout())
        );
    }
}

/// Each step after `kops replace` that can fail, the `KOPS_STANDIN_FAIL_ON` prefix for it.
const STEPS_AFTER_REPLACE: [&str; 3] =
    ["update cluster", "export kubecfg", "rolling-update cluster"];

/// Production on the recorded spec; a commit raises nodes maxSize 1 → 2; its deploy fails at
/// `step`, after `kops replace` changed production. The commit before it.
fn failed_deploy(step: &str) -> (Test, String) {
    let test = stateful();
    let before = test.rev_parse("HEAD");
    test.modify(CLUSTER);
    test.commit("nodes maxSize 2");
    let run = test.run_with(&[("KOPS_STANDIN_FAIL_ON", step)], &["deploy"]);
    assert_eq!(run.code(), 1, "{step}: {}", run.stderr());
    assert!(
        run.argv().iter().any(|a| a.starts_with("replace -f")),
        "{step}: production was changed: {:?}",
        run.argv()
    );
    assert!(!run.stderr().contains("error: error:"), "{}", run.stderr());
    // A failure after `update --yes` succeeded says the change is in production; before it, not.
    let applied = "applied: `kops update cluster --yes` succeeded: the change is in production";
    assert_eq!(
        run.stdout().contains(applied),
        step != "update cluster",
        "{step}: {}",
        run.stdout()
    );
    (test, before)
}

#[test]
fn a_re_run_after_a_failure_at_any_step_after_replace_finishes_without_override() {
    for step in STEPS_AFTER_REPLACE {
        let (test, _) = failed_deploy(step);
        let rerun = test.run(&["deploy"]);
        assert_ok(&rerun);
        let name = step.replace(' ', "_");
        insta::assert_snapshot!(
            format!("rerun_after_{name}_stderr"),
            rerun.settled_stderr(&test)
        );
        assert!(
            rerun
                .argv()
                .iter()
                .any(|a| a.starts_with("update cluster") && a.ends_with("--yes")),
            "{step}: the update runs again: {:?}",
            rerun.argv()
        );
        insta::assert_snapshot!(
            format!("rerun_after_{name}_stdout"),
            rerun.settled_stdout(&test)
        );
    }
}

#[test]
fn an_unrelated_push_deploys_what_a_failed_deploy_left() {
    for step in STEPS_AFTER_REPLACE {
        let (test, before) = failed_deploy(step);
        std::fs::write(test.repo().join("README.md"), "docs\n").unwrap();
        test.commit("docs only");
        // The pushed range alone has no spec change: the failed deploy would be forgotten.
        let pushed = test.run(&["deploy"]);
        assert_ok(&pushed);
        let name = step.replace(' ', "_");
        insta::assert_snapshot!(
            format!("unrelated_push_after_{name}_stdout"),
            pushed.settled_stdout(&test)
        );
        assert_eq!(pushed.argv(), Vec::<String>::new(), "nothing ran");
        // The record of the last successful deploy: the commit before the failed one.
        let run = test.run_with(&[("KOPSFLOW_LAST_DEPLOYED", &before)], &["deploy"]);
        assert_ok(&run);
        assert_eq!(run.clusters(), [CLUSTER], "{step}");
        // Selected from $KOPSFLOW_LAST_DEPLOYED; production already matches the spec.
        insta::assert_snapshot!(
            format!("last_deployed_after_{name}_stderr"),
            run.settled_stderr(&test)
        );
        assert!(
            run.argv()
                .iter()
                .any(|a| a.starts_with("update cluster") && a.ends_with("--yes")),
            "{step}: deployed again: {:?}",
            run.argv()
        );
    }
}

#[test]
fn a_push_changing_a_cluster_whose_last_deploy_failed_is_not_drift() {
    // C1's deploy fails after `kops replace` (production at C1); C2 changes the cluster again.
    let (test, before) = failed_deploy("update cluster");
    let failed = test.rev_parse("HEAD");
    test.modify(CLUSTER);
    test.commit("nodes maxSize 3");
    // Production is neither the spec at the record (C0) nor HEAD's: it is C1's, from git.
    let run = test.run_with(
        &[("KOPSFLOW_LAST_DEPLOYED", &before)],
        &["deploy", "--format", "json"],
    );
    assert_ok(&run);
    insta::assert_snapshot!("changed_after_failed_stderr", run.settled_stderr(&test));
    let drift = &json(&run)["clusters"][0]["drift"];
    assert_eq!(drift["at_commit"], failed.as_str());
    assert_eq!(drift["drifted"], false);
    assert_eq!(json(&run)["clusters"][0]["status"], "applied");
}

#[test]
fn two_deploys_of_one_commit_in_a_row() {
    let test = stateful();
    test.modify(CLUSTER);
    test.commit("nodes maxSize 2");
    let first = test.run(&["deploy"]);
    assert_ok(&first);
    insta::assert_snapshot!("first_of_two_stderr", first.settled_stderr(&test));
    let second = test.run(&["deploy", "--format", "json"]);
    assert_ok(&second);
    insta::assert_snapshot!("second_of_two_stderr", second.settled_stderr(&test));
    let drift = &json(&second)["clusters"][0]["drift"];
    assert_eq!(
        (&drift["drifted"], &drift["at_target"]),
        (&false.into(), &true.into())
    );
    assert_eq!(json(&second)["clusters"][0]["status"], "applied");
    // And a re-plan exits 0: nothing is left to apply.
    let replan = test.run(&["plan", "--detailed-exitcode"]);
    assert_ok(&replan);
}

#[test]
fn a_genuine_out_of_band_change_is_still_refused() {
    let test = stateful();
    let first = test.rev_parse("HEAD");
    test.modify(CLUSTER);
    test.commit("nodes maxSize 2");
    assert_ok(&test.run(&["deploy"]));
    // Someone edits production outside git: nodes maxSize 2 → 5.
    let igs = test.path(&format!("state/{CLUSTER}/instancegroups.yaml"));
    let text = std::fs::read_to_string(&igs).unwrap();
    let start = text.find("name: nodes-us-east-1a").unwrap();
    let at = start + text[start..].find("maxSize: 2").unwrap();
    let edited = format!(
        "{}maxSize: 5{}",
        &text[..at],
        &text[at + "maxSize: 2".len()..]
    );
    std::fs::write(&igs, edited).unwrap();
    // The next push changes the same group again (maxSize 3).
    test.modify(CLUSTER);
    test.commit("nodes maxSize 3");
    let run = test.run(&["deploy"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    // The hint names the `kops get` that shows the change: the instance groups.
    insta::assert_snapshot!("out_of_band_stderr", run.settled_stderr(&test));
    assert!(run.argv().iter().all(|a| !mutating(a)), "{:?}", run.argv());
    // Counted from an older record, the spec committed since (maxSize 2) does not match either.
    let run = test.run_with(&[("KOPSFLOW_LAST_DEPLOYED", &first)], &["deploy"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    insta::assert_snapshot!("out_of_band_older_record_stderr", run.settled_stderr(&test));
    assert!(run.argv().iter().all(|a| !mutating(a)), "{:?}", run.argv());
}
