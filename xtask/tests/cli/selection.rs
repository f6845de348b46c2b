//! Which clusters a run selects: the changed specs (modified, added, renamed, deleted), nothing
//! changed, shallow clones, `--base` and the CI variables that pick the base.

use crate::support::{mutating, Test, CLUSTER};

const OTHER: &str = "other.k8s.local";

/// main holds two clusters, CLUSTER and OTHER; HEAD is `feature/x`, with nothing on it yet.
fn two_clusters() -> Test {
    let test = Test::new();
    test.add_cluster(OTHER);
    test.commit("other cluster");
    test.git(&["checkout", "-q", "-b", "feature/x"]);
    test
}

/// The stand-in replays CLUSTER's production state for any name: for other clusters it must
/// say "not found" (a new cluster, planned as one).
fn as_new_clusters(test: Test) -> Test {
    test.env("KOPS_STANDIN_NEW_CLUSTER", "1").env(
        "KOPS_STANDIN_UPDATE",
        "update-cluster-dryrun.create-all.REAL.kops-1.29.2.stdout.txt",
    )
}

#[test]
fn only_the_modified_cluster_is_planned() {
    let test = two_clusters();
    test.modify(CLUSTER).commit("test: nodes maxSize");
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [CLUSTER], "{:?}", run.argv());
    assert!(
        !run.argv().iter().any(|a| a.contains(OTHER)),
        "{:?}",
        run.argv()
    );
    insta::assert_snapshot!("modified_cluster_stderr", run.settled_stderr(&test));
    // And the other one alone.
    let test = as_new_clusters(two_clusters());
    test.modify(OTHER).commit("other: nodes maxSize");
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [OTHER], "{:?}", run.argv());
    assert!(
        !run.argv().iter().any(|a| a.contains(CLUSTER)),
        "{:?}",
        run.argv()
    );
}

#[test]
fn an_added_cluster_is_planned() {
    let test = as_new_clusters(Test::new());
    test.git(&["checkout", "-q", "-b", "feature/new"]);
    test.add_cluster(OTHER).commit("a new cluster");
    let run = test.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        run.code(),
        2,
        "a new cluster is a pending change: {}",
        run.stderr()
    );
    assert_eq!(run.clusters(), [OTHER], "{:?}", run.argv());
    insta::assert_snapshot!("added_cluster_stderr", run.settled_stderr(&test));
}

#[test]
fn a_renamed_spec_selects_the_new_name() {
    let test = as_new_clusters(Test::new());
    test.git(&["checkout", "-q", "-b", "feature/rename"]);
    let renamed = "renamed.k8s.local";
    test.git(&["mv", &Test::spec_file(CLUSTER), &Test::spec_file(renamed)]);
    std::fs::write(
        test.repo().join(Test::spec_file(renamed)),
        Test::spec_for(renamed),
    )
    .unwrap();
    test.commit("rename the cluster");
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [renamed], "{:?}", run.argv());
    // The old name has no spec left: reported, never deleted.
    insta::assert_snapshot!("renamed_spec_stderr", run.settled_stderr(&test));
    assert!(run.argv().iter().all(|a| !mutating(a)), "{:?}", run.argv());
}

#[test]
fn a_deleted_spec_is_reported_and_ignored() {
    let test = two_clusters();
    test.git(&["rm", "-q", &Test::spec_file(OTHER)]);
    test.commit("retire other");
    for (name, args) in [
        ("plan", &["plan"][..]),
        ("plan_print", &["plan", "--print"]),
    ] {
        let run = test.run(args);
        assert_eq!(run.code(), 0, "{args:?}: {}", run.stderr());
        assert!(run.argv().is_empty(), "{args:?}: {:?}", run.argv());
        insta::assert_snapshot!(
            format!("deleted_spec_{name}_stdout"),
            run.settled_stdout(&test)
        );
        insta::assert_snapshot!(
            format!("deleted_spec_{name}_stderr"),
            run.settled_stderr(&test)
        );
    }
    // Beside a change, the removal is still reported, and only the changed cluster is planned.
    test.modify(CLUSTER).commit("test: nodes maxSize");
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [CLUSTER]);
    insta::assert_snapshot!("deleted_beside_changed_stderr", run.settled_stderr(&test));
    assert!(run.argv().iter().all(|a| !mutating(a)));
}

#[test]
fn two_changed_clusters_are_both_planned() {
    let test = as_new_clusters(two_clusters());
    test.modify(CLUSTER);
    test.modify(OTHER).commit("both: nodes maxSize");
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        run.clusters(),
        [OTHER, CLUSTER],
        "spec-file order: {:?}",
        run.argv()
    );
    insta::assert_snapshot!("two_changed_stderr", run.settled_stderr(&test));
}

#[test]
fn nothing_changed_exits_0_without_calling_kops() {
    let test = two_clusters();
    let run = test.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.argv().is_empty(),
        "not even kops version: {:?}",
        run.argv()
    );
    insta::assert_snapshot!("nothing_changed_stdout", run.settled_stdout(&test));
    // A commit outside cluster-spec/ changes no cluster, on the branch or on main.
    std::fs::write(test.repo().join("README.md"), "readme\n").unwrap();
    test.commit("docs");
    let summary = test.path("step-summary.md");
    let run = test.run_with(
        &[("GITHUB_STEP_SUMMARY", &summary.display().to_string())],
        &["plan", "--format", "json"],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.argv().is_empty());
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).expect("stdout is JSON");
    assert_eq!(json["clusters"], serde_json::json!([]));
    assert_eq!(json["command"], "plan");
    insta::assert_snapshot!("nothing_changed_json_stderr", run.settled_stderr(&test));
    let written = std::fs::read_to_string(summary).unwrap();
    insta::assert_snapshot!("nothing_changed_summary", run.settle(&test, &written));
    let run = test.run(&["deploy", "--branch", "main"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.argv().is_empty());
    insta::assert_snapshot!("nothing_changed_deploy_stdout", run.settled_stdout(&test));
    // Uncommitted spec edits select nothing: said so.
    test.modify(CLUSTER);
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.argv().is_empty());
    insta::assert_snapshot!("uncommitted_edits_stderr", run.settled_stderr(&test));
}

/// A CI checkout of `feature/x` (CLUSTER changed) made with `git clone ARGS`; main moved on
/// after the branch, so a shallow clone lacks the merge-base.
fn shallow_checkout(args: &[&str]) -> Test {
    let test = two_clusters();
    test.modify(CLUSTER).commit("test: nodes maxSize");
    test.git(&["checkout", "-q", "main"]);
    std::fs::write(test.repo().join("README.md"), "readme\n").unwrap();
    test.commit("main moves on");
    test.git(&["checkout", "-q", "feature/x"]);
    test.reclone(args)
}

#[test]
fn a_shallow_clone_without_the_merge_base_is_an_error_naming_the_fix() {
    let cases: [(&[&str], &[&str]); 3] = [
        (
            &[
                "--depth",
                "1",
                "--no-single-branch",
                "--branch",
                "feature/x",
            ],
            &["plan"],
        ),
        (&["--depth", "1", "--branch", "feature/x"], &["plan"]),
        (&["--depth", "1", "--branch", "main"], &["deploy"]),
    ];
    for (i, (clone, args)) in cases.into_iter().enumerate() {
        let test = shallow_checkout(clone);
        let run = test.run(args);
        assert_eq!(run.code(), 1, "{clone:?} {args:?}: {}", run.stderr());
        insta::assert_snapshot!(
            format!("shallow_clone_{}_stderr", i + 1),
            run.settled_stderr(&test)
        );
        assert!(run.argv().is_empty(), "{clone:?}: {:?}", run.argv());
    }
    // With the history, the same checkout selects the changed cluster.
    let test = shallow_checkout(&["--branch", "feature/x"]);
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [CLUSTER]);
    insta::assert_snapshot!("full_clone_stderr", run.settled_stderr(&test));
}

/// feature/y branches from `release`, which branched from main and changed OTHER;
/// feature/y changes CLUSTER.
fn stacked_branches() -> Test {
    let test = two_clusters();
    test.git(&["checkout", "-q", "-b", "release"]);
    test.modify(OTHER).commit("release: other");
    test.git(&["checkout", "-q", "-b", "feature/y"]);
    test.modify(CLUSTER).commit("feature: test");
    test
}

#[test]
fn base_flag_picks_the_base() {
    let test = stacked_branches();
    let run = test.run(&["plan", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("base_default_print", run.settled_stdout(&test));
    let run = test.run(&["plan", "--base", "release"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [CLUSTER], "{:?}", run.argv());
    insta::assert_snapshot!("base_release_stderr", run.settled_stderr(&test));
    let run = test.run(&["plan", "--base", "no-such-branch"]);
    assert_eq!(run.code(), 1);
    insta::assert_snapshot!("base_missing_stderr", run.settled_stderr(&test));
    assert!(run.argv().is_empty());
    let run = test.run(&["plan", "--base", "release", "--all"]);
    assert_eq!(
        run.code(),
        1,
        "--base selects changed specs; --all every spec"
    );
}

#[test]
fn github_base_ref_picks_the_base() {
    let test = stacked_branches();
    let run = test.run_with(&[("GITHUB_BASE_REF", "release")], &["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [CLUSTER], "{:?}", run.argv());
    insta::assert_snapshot!("github_base_ref_stderr", run.settled_stderr(&test));
    // A CI checkout has the base only as origin/release.
    let test = test.reclone(&["--branch", "feature/y"]);
    let run = test.run_with(&[("GITHUB_BASE_REF", "release")], &["plan", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("github_base_ref_ci_print", run.settled_stdout(&test));
    // --base still wins over the CI's base.
    let run = test.run_with(
        &[("GITHUB_BASE_REF", "release")],
        &["plan", "--print", "--base", "main"],
    );
    insta::assert_snapshot!("base_flag_over_ci_print", run.settled_stdout(&test));
}

#[test]
fn a_main_branch_acts_on_the_pushed_range() {
    // main: the root commit (CLUSTER), then OTHER added, then CLUSTER changed.
    let test = Test::new();
    let root = test.rev_parse("HEAD");
    test.add_cluster(OTHER).commit("other cluster");
    let before = test.rev_parse("HEAD");
    test.modify(CLUSTER).commit("test: nodes maxSize");
    // Pushed: before..HEAD, deployed for real.
    let run = test.run_with(&[("GITHUB_EVENT_BEFORE", &before)], &["deploy"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [CLUSTER], "{:?}", run.argv());
    assert!(
        run.argv().iter().any(|a| a.ends_with("--yes")),
        "{:?}",
        run.argv()
    );
    insta::assert_snapshot!("pushed_range_deploy_stderr", run.settled_stderr(&test));
    // A push of two commits.
    let run = test.run_with(&[("GITHUB_EVENT_BEFORE", &root)], &["deploy", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("pushed_two_commits_print", run.settled_stdout(&test));
    // A new branch's all-zero `before`, or none: the last commit. GitLab's variable is read too.
    let zero = "0000000000000000000000000000000000000000";
    for env in [
        &[("GITHUB_EVENT_BEFORE", zero)][..],
        &[],
        &[("CI_COMMIT_BEFORE_SHA", &before)],
    ] {
        let run = test.run_with(env, &["plan"]);
        assert_eq!(run.code(), 0, "{env:?}: {}", run.stderr());
        assert_eq!(run.clusters(), [CLUSTER], "{env:?}: {:?}", run.argv());
    }
    let run = test.run(&["plan", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("main_last_commit_print", run.settled_stdout(&test));
}

#[test]
fn print_shows_why_each_cluster_is_selected() {
    let test = two_clusters();
    test.modify(CLUSTER).commit("test: nodes maxSize");
    let run = test.run(&["plan", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    // The selection comes first, and names only the changed cluster.
    insta::assert_snapshot!("why_changed_print", run.settled_stdout(&test));
    let run = test.run(&["plan", "--print", "--all"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("why_all_print", run.settled_stdout(&test));
    let run = test.run(&["plan", "--print", "--cluster", OTHER]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("why_cluster_print", run.settled_stdout(&test));
    // rolling-update keeps its rule: a cluster is named, or --all for a preview.
    let run = test.run(&["rolling-update", "--print"]);
    assert_eq!(run.code(), 1);
    insta::assert_snapshot!("rolling_update_unnamed_stderr", run.settled_stderr(&test));
}
