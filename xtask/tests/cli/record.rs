//! Integration tests of the record of the last successful deploy (`--last-deployed`,
//! `$KOPSFLOW_LAST_DEPLOYED`, Jenkins' `$GIT_PREVIOUS_SUCCESSFUL_COMMIT`): a usable record
//! selects the clusters changed since it and no others; an empty record, a commit the clone does
//! not have, or one that is not an ancestor of HEAD selects every cluster, with the reason in
//! `--print` and the summary; unset, the pushed range applies as before.

use crate::support::{Run, Test, CLUSTER};

const A: &str = "a.k8s.local";
const B: &str = "b.k8s.local";
const NO_RECORD: &str = "no record of the last successful deploy: deploying every cluster";

/// Three clusters (test, a, b) committed; the commit holding them.
fn three_clusters() -> (Test, String) {
    let test = Test::new();
    test.add_clusters(&[A, B]);
    let base = test.rev_parse("HEAD");
    (test, base)
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout()))
}

#[test]
fn the_record_selects_every_cluster_changed_since_it_and_no_other() {
    let (test, base) = three_clusters();
    test.modify(A);
    test.commit("a: nodes maxSize 2 (its deploy failed)");
    test.modify(B);
    test.commit("b: nodes maxSize 2");
    // The pushed range alone: only b.
    let pushed = test.run(&["deploy"]);
    assert_eq!(pushed.code(), 0, "{}", pushed.stderr());
    assert_eq!(pushed.clusters(), [B]);
    // From the record: a and b, not the unchanged cluster.
    for (name, env, args) in [
        (
            "env",
            vec![("KOPSFLOW_LAST_DEPLOYED", base.as_str())],
            vec!["deploy"],
        ),
        (
            "jenkins",
            vec![("GIT_PREVIOUS_SUCCESSFUL_COMMIT", base.as_str())],
            vec!["deploy"],
        ),
        (
            "flag",
            vec![],
            vec!["deploy", "--last-deployed", base.as_str()],
        ),
    ] {
        let run = test.run_with(&env, &args);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        assert_eq!(run.clusters(), [A, B], "{env:?} {args:?}");
        // The drift check compares production with the specs at the record.
        insta::assert_snapshot!(
            format!("record_from_{name}_stderr"),
            run.settled_stderr(&test)
        );
    }
    let print = test.run_with(&[("KOPSFLOW_LAST_DEPLOYED", &base)], &["deploy", "--print"]);
    assert_eq!(print.code(), 0, "{}", print.stderr());
    insta::assert_snapshot!("record_print", print.settled_stdout(&test));
    // The record is HEAD (a re-run of a successful deploy): nothing is left to deploy.
    let head = test.rev_parse("HEAD");
    let run = test.run_with(&[("KOPSFLOW_LAST_DEPLOYED", &head)], &["deploy"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("record_is_head", run.settled_stdout(&test));
}

/// Every cluster deployed, and the reason said in `--print` and the text summary (snapshots
/// `NAME_print` and `NAME_text`) and in the JSON summary.
fn assert_every_cluster(test: &Test, env: &[(&str, &str)], why: &str, name: &str) {
    let print = test.run_with(env, &["deploy", "--print"]);
    assert_eq!(print.code(), 0, "{}", print.stderr());
    insta::assert_snapshot!(format!("{name}_print"), print.settled_stdout(test));
    let run = test.run_with(env, &["deploy", "--format", "json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [A, B, CLUSTER]);
    let note = json(&run)["note"].as_str().unwrap_or_default().to_owned();
    assert!(note.starts_with(NO_RECORD) && note.contains(why), "{note}");
    let text = test.run_with(env, &["deploy"]);
    assert_eq!(text.code(), 0, "{}", text.stderr());
    insta::assert_snapshot!(format!("{name}_text"), text.settled_stdout(test));
}

#[test]
fn an_empty_record_deploys_every_cluster() {
    let (test, _) = three_clusters();
    test.modify(A);
    test.commit("a");
    assert_every_cluster(
        &test,
        &[("KOPSFLOW_LAST_DEPLOYED", "")],
        "$KOPSFLOW_LAST_DEPLOYED is empty: no successful deploy on record",
        "empty_record",
    );
}

#[test]
fn a_record_that_history_no_longer_has_deploys_every_cluster() {
    let (test, _) = three_clusters();
    // A commit on a branch that was force-pushed away: known here, not an ancestor of HEAD.
    test.git(&["checkout", "-q", "-b", "rewritten"]);
    test.modify(B);
    let gone = test.commit("b, later rewritten");
    test.git(&["checkout", "-q", "main"]);
    test.modify(A);
    test.commit("a");
    assert_every_cluster(
        &test,
        &[("KOPSFLOW_LAST_DEPLOYED", &gone)],
        &format!(
            "$KOPSFLOW_LAST_DEPLOYED is {gone}, not an ancestor of HEAD: history was rewritten"
        ),
        "rewritten_record",
    );
    // A commit this clone never had (an expired record of another history).
    let unknown = "0123456789abcdef0123456789abcdef01234567";
    assert_every_cluster(
        &test,
        &[("GIT_PREVIOUS_SUCCESSFUL_COMMIT", unknown)],
        &format!("$GIT_PREVIOUS_SUCCESSFUL_COMMIT is {unknown}, a commit this clone does not have"),
        "unknown_record",
    );
}

#[test]
fn the_record_is_not_read_by_plan_or_off_the_main_branch() {
    let (test, _) = three_clusters();
    test.modify(A);
    test.commit("a");
    let env = [("KOPSFLOW_LAST_DEPLOYED", "")];
    let plan = test.run_with(&env, &["plan", "--print"]);
    assert_eq!(plan.code(), 0, "{}", plan.stderr());
    insta::assert_snapshot!("plan_ignores_the_record", plan.settled_stdout(&test));
    let base = test.run_with(&env, &["deploy", "--print", "--base", "HEAD^"]);
    let out = base.settled_stdout(&test);
    assert!(!out.contains(NO_RECORD), "{out}");
    insta::assert_snapshot!("base_ignores_the_record", out);
    let both = test.run(&["deploy", "--last-deployed", "HEAD^", "--base", "HEAD^"]);
    assert_eq!(both.code(), 1, "--last-deployed and --base conflict");
}
