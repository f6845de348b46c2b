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
    let err = run.stderr();
    assert!(
        err.contains("Selected 1 cluster: spec files changed in main...HEAD ("),
        "{err}"
    );
    assert!(
        err.contains("  test.k8s.local: M cluster-spec/test.k8s.local.yml"),
        "{err}"
    );
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
    let err = run.stderr();
    assert!(
        err.contains("  other.k8s.local: A cluster-spec/other.k8s.local.yml"),
        "{err}"
    );
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
    let err = run.stderr();
    let change = "R cluster-spec/test.k8s.local.yml -> cluster-spec/renamed.k8s.local.yml";
    assert!(err.contains(&format!("  {renamed}: {change}")), "{err}");
    // The old name has no spec left: reported, never deleted.
    assert!(
        err.contains(&format!("  {change}: spec removed; kopsflow never deletes clusters — run `kops delete cluster {CLUSTER}` deliberately")),
        "{err}"
    );
    assert!(run.argv().iter().all(|a| !mutating(a)), "{:?}", run.argv());
}

#[test]
fn a_deleted_spec_is_reported_and_ignored() {
    let test = two_clusters();
    test.git(&["rm", "-q", &Test::spec_file(OTHER)]);
    test.commit("retire other");
    for args in [&["plan"][..], &["plan", "--print"]] {
        let run = test.run(args);
        assert_eq!(run.code(), 0, "{args:?}: {}", run.stderr());
        assert!(run.argv().is_empty(), "{args:?}: {:?}", run.argv());
        let shown = format!("{}{}", run.stdout(), run.stderr());
        assert!(
            shown.contains("Ignored:\n  D cluster-spec/other.k8s.local.yml: spec removed; kopsflow never deletes clusters — run `kops delete cluster other.k8s.local` deliberately"),
            "{args:?}: {shown}"
        );
        assert!(
            run.stdout()
                .contains("No cluster spec was added, modified or renamed in main...HEAD"),
            "{args:?}: {}",
            run.stdout()
        );
    }
    // Beside a change, the removal is still reported, and only the changed cluster is planned.
    test.modify(CLUSTER).commit("test: nodes maxSize");
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [CLUSTER]);
    assert!(run
        .stderr()
        .contains("D cluster-spec/other.k8s.local.yml: spec removed"));
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
    assert!(run
        .stderr()
        .contains("Selected 2 clusters: spec files changed in main...HEAD"));
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
    let line = "No cluster spec changed in main...HEAD (";
    assert!(run.stdout().starts_with(line), "{}", run.stdout());
    assert!(
        run.stdout().contains(", base 'main', the first main branch: nothing to plan. To plan anyway, pass --all or --cluster NAME."),
        "{}",
        run.stdout()
    );
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
    assert!(run.stderr().contains(line), "{}", run.stderr());
    let written = std::fs::read_to_string(summary).unwrap();
    assert!(written.contains(line), "{written}");
    let run = test.run(&["deploy", "--branch", "main"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.argv().is_empty());
    assert!(
        run.stdout()
            .starts_with("No cluster spec changed in HEAD^..HEAD (")
            && run.stdout().contains("nothing to deploy"),
        "{}",
        run.stdout()
    );
    // Uncommitted spec edits select nothing: said so.
    test.modify(CLUSTER);
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.argv().is_empty());
    assert!(
        run.stderr()
            .contains("note: cluster-spec/ has uncommitted changes"),
        "{}",
        run.stderr()
    );
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
    for (clone, args) in cases {
        let test = shallow_checkout(clone);
        let run = test.run(args);
        assert_eq!(run.code(), 1, "{clone:?} {args:?}: {}", run.stderr());
        let err = run.stderr();
        for fix in [
            "shallow clone",
            "git fetch --unshallow",
            "fetch-depth: 0",
            "--all or --cluster NAME",
        ] {
            assert!(
                err.contains(fix),
                "{clone:?} {args:?}: {fix:?} not in {err}"
            );
        }
        assert!(run.argv().is_empty(), "{clone:?}: {:?}", run.argv());
    }
    // With the history, the same checkout selects the changed cluster.
    let test = shallow_checkout(&["--branch", "feature/x"]);
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [CLUSTER]);
    assert!(
        run.stderr().contains("origin/main...HEAD"),
        "{}",
        run.stderr()
    );
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
    assert!(
        run.stdout()
            .starts_with("Selected 2 clusters: spec files changed in main...HEAD"),
        "{}",
        run.stdout()
    );
    let run = test.run(&["plan", "--base", "release"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [CLUSTER], "{:?}", run.argv());
    assert!(
        run.stderr()
            .contains("spec files changed in release...HEAD ("),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("base from --base"),
        "{}",
        run.stderr()
    );
    let run = test.run(&["plan", "--base", "no-such-branch"]);
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("no-such-branch"), "{}", run.stderr());
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
    assert!(
        run.stderr().contains("base from $GITHUB_BASE_REF"),
        "{}",
        run.stderr()
    );
    // A CI checkout has the base only as origin/release.
    let test = test.reclone(&["--branch", "feature/y"]);
    let run = test.run_with(&[("GITHUB_BASE_REF", "release")], &["plan", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.stdout();
    assert!(
        out.starts_with("Selected 1 cluster: spec files changed in origin/release...HEAD ("),
        "{out}"
    );
    assert!(
        out.contains("  test.k8s.local: M cluster-spec/test.k8s.local.yml"),
        "{out}"
    );
    // --base still wins over the CI's base.
    let run = test.run_with(
        &[("GITHUB_BASE_REF", "release")],
        &["plan", "--print", "--base", "main"],
    );
    assert!(
        run.stdout()
            .starts_with("Selected 2 clusters: spec files changed in origin/main...HEAD"),
        "{}",
        run.stdout()
    );
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
    assert!(
        run.stderr()
            .contains("spec files changed in $GITHUB_EVENT_BEFORE..HEAD ("),
        "{}",
        run.stderr()
    );
    // A push of two commits.
    let run = test.run_with(&[("GITHUB_EVENT_BEFORE", &root)], &["deploy", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.stdout();
    assert!(
        out.starts_with("Selected 2 clusters: spec files changed in $GITHUB_EVENT_BEFORE..HEAD ("),
        "{out}"
    );
    assert!(
        out.contains("  other.k8s.local: A cluster-spec/other.k8s.local.yml"),
        "{out}"
    );
    assert!(
        out.contains("kops update cluster other.k8s.local --state file:///srv/kstate --yes"),
        "{out}"
    );
    assert!(
        out.contains("kops update cluster test.k8s.local --state file:///srv/kstate --yes"),
        "{out}"
    );
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
    assert!(
        run.stdout().contains("spec files changed in HEAD^..HEAD ("),
        "{}",
        run.stdout()
    );
}

#[test]
fn print_shows_why_each_cluster_is_selected() {
    let test = two_clusters();
    test.modify(CLUSTER).commit("test: nodes maxSize");
    let run = test.run(&["plan", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.stdout();
    let (selection, plan) = out
        .split_once("\n\nPlan for branch 'feature/x'")
        .expect("the selection comes first");
    assert!(
        selection.starts_with("Selected 1 cluster: spec files changed in main...HEAD ("),
        "{out}"
    );
    assert!(selection.ends_with(", base 'main', the first main branch\n  test.k8s.local: M cluster-spec/test.k8s.local.yml"), "{out}");
    assert!(!plan.contains(OTHER), "{out}");
    let run = test.run(&["plan", "--print", "--all"]);
    assert!(
        run.stdout().starts_with("Selected 2 clusters: --all (every spec in cluster-spec/)\n  other.k8s.local\n  test.k8s.local\n"),
        "{}",
        run.stdout()
    );
    let run = test.run(&["plan", "--print", "--cluster", OTHER]);
    assert!(
        run.stdout()
            .starts_with("Selected 1 cluster: --cluster\n  other.k8s.local\n"),
        "{}",
        run.stdout()
    );
    // rolling-update keeps its rule: a cluster is named, or --all for a preview.
    let run = test.run(&["rolling-update", "--print"]);
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr().contains("rolling-update needs --cluster NAME"),
        "{}",
        run.stderr()
    );
}
