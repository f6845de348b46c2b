//! Integration tests of the deploy guards and the instance-group prune: the real `xtask` binary
//! over real temp git repositories, with the kops stand-in (`kops-standin.sh`) replaying the
//! real kops 1.29.2 recordings. Every refusal is checked from the stand-in's log: exit 1, a
//! clear reason, and no kops call that changes production.

use std::path::Path;

use crate::support::{mutating, nodes_ig_doc, Run, Test, CLUSTER};

/// Production's kubernetesVersion in the real `kops get cluster` recording (1.29.2).
const PRODUCTION_K8S: &str = "kubernetesVersion: 1.28.6";

/// Exit 1, no kops call that changes production, nothing left in TMPDIR; the whole stderr (the
/// reason) is the snapshot `name`.
fn assert_refused_before_any_change(test: &Test, run: &Run, name: &str) {
    assert_eq!(run.code(), 1, "{}", run.stderr());
    insta::assert_snapshot!(name, run.settled_stderr(test));
    let argv = run.argv();
    assert!(
        argv.iter().all(|a| !mutating(a)),
        "a mutating kops call ran: {argv:#?}"
    );
    assert!(run.tmp_left.is_empty(), "work dir left: {:?}", run.tmp_left);
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout()))
}

/// The position of the first kops call starting with `prefix`.
fn call_index(argv: &[String], prefix: &str) -> usize {
    argv.iter()
        .position(|a| a.starts_with(prefix))
        .unwrap_or_else(|| panic!("no `kops {prefix}` in {argv:#?}"))
}

// --- The guards that were there: main branch, clean tree -----------------------------------------

#[test]
fn a_dirty_tree_is_refused_before_any_change() {
    let test = Test::new();
    test.modify(CLUSTER); // an uncommitted edit of the spec
    let run = test.run(&["deploy", "--all"]);
    assert_refused_before_any_change(&test, &run, "dirty_tree_stderr");
    assert_eq!(run.argv(), ["version"], "not even production was read");
}

#[test]
fn another_branch_deploys_nothing() {
    let test = Test::new().feature_branch();
    let run = test.run(&["deploy", "--all"]);
    // By design a skip, not an error: CI may run the deploy job on every branch.
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("another_branch_stderr", run.settled_stderr(&test));
    assert_eq!(run.argv(), ["version"]);
}

// --- Stale commit ---------------------------------------------------------------------------------

/// `git -C DIR ARGS` with the test's hermetic environment.
fn git_in(test: &Test, dir: &Path, args: &[&str]) {
    let mut all = vec!["-C", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    test.git(&all);
}

#[test]
fn a_checkout_behind_its_upstream_is_refused() {
    // The repository is pushed to a bare origin and tracks it; a colleague's clone pushes a
    // newer commit; this checkout fetches (as CI does) but stays on the old commit.
    let test = Test::new();
    let origin = test.path("origin.git");
    let other = test.path("other");
    test.git(&["clone", "-q", "--bare", ".", origin.to_str().unwrap()]);
    test.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    test.git(&["fetch", "-q", "origin"]);
    test.git(&["branch", "-q", "--set-upstream-to=origin/main", "main"]);
    let old = test.rev_parse("HEAD");
    // Up to date: the guard passes.
    let run = test.run(&["deploy", "--all"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());

    test.git(&[
        "clone",
        "-q",
        origin.to_str().unwrap(),
        other.to_str().unwrap(),
    ]);
    let spec = other.join(format!("cluster-spec/{CLUSTER}.yml"));
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replace("maxSize: 1", "maxSize: 2")).unwrap();
    git_in(
        &test,
        &other,
        &["commit", "-q", "-am", "a newer reviewed change"],
    );
    git_in(&test, &other, &["push", "-q", "origin", "main"]);
    test.git(&["fetch", "-q", "origin"]);
    let new = test.rev_parse("origin/main");
    assert_ne!(old, new);

    let run = test.run(&["deploy", "--all"]);
    assert_refused_before_any_change(&test, &run, "behind_upstream_stderr");
    assert_eq!(run.argv(), ["version"], "production was not even read");

    // A local commit that was never pushed is not deployed either.
    test.git(&["merge", "-q", "--ff-only", "origin/main"]);
    test.modify(CLUSTER).commit("local, unreviewed");
    let run = test.run(&["deploy", "--all"]);
    assert_refused_before_any_change(&test, &run, "unpushed_commit_stderr");

    // The latest commit deploys.
    test.git(&["reset", "-q", "--hard", "origin/main"]);
    let run = test.run(&["deploy", "--all"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.argv().iter().any(|a| a.ends_with("--yes")));
}

// --- Drift from the spec deployed before ----------------------------------------------------------

/// main: the root commit (the spec as production has it); `drifted`: the spec with
/// kubernetesVersion 1.28.5 — production (the real recording) still has 1.28.6, as if someone
/// had changed it outside git after that commit was deployed; HEAD: nodes maxSize 1 → 2.
/// Deploying that history also downgrades production's Kubernetes (1.28.6 → 1.28.5), which the
/// policy blocks before the drift check: these tests allow `kubernetes-downgrade` to look at the
/// guard alone.
fn drifted_history() -> (Test, String, String) {
    let test = Test::new();
    let root = test.rev_parse("HEAD");
    let spec = test.read_spec();
    assert!(spec.contains(PRODUCTION_K8S), "the sample changed: {spec}");
    test.write_spec(&spec.replace(PRODUCTION_K8S, "kubernetesVersion: 1.28.5"));
    let drifted = test.commit("kubernetes 1.28.5");
    test.modify(CLUSTER).commit("nodes: maxSize 2");
    (test, root, drifted)
}

#[test]
fn production_drifted_from_the_previous_commit_is_refused_and_shown() {
    let (test, _, drifted) = drifted_history();
    let run = test.run(&["deploy", "--allow", "kubernetes-downgrade"]);
    // The drift in the spec diff's format (production → the spec deployed before), and the
    // `kops get` that shows it: the Cluster, with the production store.
    assert_refused_before_any_change(&test, &run, "drifted_stderr");
    let err = run.stderr();
    assert!(
        !err.contains("and `kops get instancegroups"),
        "only the Cluster differs: {err}"
    );
    // HEAD's own change is not drift.
    assert!(!err.contains("maxSize: 1 → 2"), "{err}");
    // Production was read (to compare), nothing else.
    assert_eq!(
        run.argv()[1..],
        [
            "get cluster test.k8s.local -o yaml --state file:///srv/kstate",
            "get instancegroups --name test.k8s.local -o yaml --state file:///srv/kstate",
        ]
    );
    insta::assert_snapshot!("drifted_stdout", run.settled_stdout(&test));

    let run = test.run(&[
        "deploy",
        "--allow",
        "kubernetes-downgrade",
        "--format",
        "json",
    ]);
    assert_eq!(run.code(), 1);
    let drift = &json(&run)["clusters"][0]["drift"];
    assert_eq!(drift["commit"], drifted.as_str());
    assert_eq!(drift["drifted"], true);
    assert_eq!(drift["allowed"], false);
    assert_eq!(drift["changes"][0]["path"], "spec.kubernetesVersion");
    assert_eq!(drift["changes"][0]["old"], "1.28.6");
    assert_eq!(drift["changes"][0]["new"], "1.28.5");
}

#[test]
fn allow_drift_deploys_over_it_and_says_so() {
    let (test, _, _) = drifted_history();
    let run = test.run(&["deploy", "--allow", "kubernetes-downgrade", "--allow-drift"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let argv = run.argv();
    assert!(call_index(&argv, "replace") < call_index(&argv, "update cluster"));
    assert!(argv.iter().any(|a| a.ends_with("--yes")), "{argv:#?}");
    insta::assert_snapshot!("allow_drift_stdout", run.settled_stdout(&test));
    insta::assert_snapshot!("allow_drift_stderr", run.settled_stderr(&test));
    let run = test.run(&[
        "deploy",
        "--allow",
        "kubernetes-downgrade",
        "--allow-drift",
        "--format",
        "markdown",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("allow_drift_markdown", run.settled_stdout(&test));
    let run = test.run(&[
        "deploy",
        "--allow",
        "kubernetes-downgrade",
        "--allow-drift",
        "--format",
        "json",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let drift = &json(&run)["clusters"][0]["drift"];
    assert_eq!(
        (&drift["drifted"], &drift["allowed"]),
        (&serde_json::json!(true), &serde_json::json!(true))
    );
    // The override is in the audit record of every run that used it.
    let log = std::fs::read_to_string(test.repo().join("target/kopsflow/audit.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3, "{log}");
    for record in &records {
        assert_eq!(
            record["overrides"],
            serde_json::json!(["allow-drift", "allow:kubernetes-downgrade"]),
            "{record}"
        );
    }
}

#[test]
fn the_spec_compared_is_the_one_before_the_pushed_range() {
    // Both commits pushed at once: the spec deployed before is the root's, which production
    // matches. Not drift, though HEAD^ differs from production.
    let (test, root, _) = drifted_history();
    let run = test.run_with(
        &[("GITHUB_EVENT_BEFORE", &root)],
        &["deploy", "--allow", "kubernetes-downgrade"],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("pushed_range_stdout", run.settled_stdout(&test));
    // The same for --cluster and --all, which select without the range.
    let allow = ["--allow", "kubernetes-downgrade"];
    for (name, args) in [
        (
            "cluster",
            &["deploy", "--cluster", CLUSTER, allow[0], allow[1]][..],
        ),
        ("all", &["deploy", "--all", allow[0], allow[1]]),
    ] {
        let run = test.run_with(&[("GITHUB_EVENT_BEFORE", &root)], args);
        assert_eq!(run.code(), 0, "{args:?}: {}", run.stderr());
        let run = test.run(args);
        assert_refused_before_any_change(&test, &run, &format!("drifted_{name}_stderr"));
    }
}

#[test]
fn a_new_cluster_passes_the_drift_check() {
    // Not in production yet.
    let (test, _, _) = drifted_history();
    let run = test.run_with(&[("KOPS_STANDIN_NEW_CLUSTER", "1")], &["deploy"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.argv().iter().any(|a| a.ends_with("--yes")));
    insta::assert_snapshot!("new_cluster_stderr", run.settled_stderr(&test));
    // In production, but new in git: no spec was deployed from git before.
    let (test, _, _) = drifted_history();
    test.add_cluster("fresh.k8s.local").commit("a new cluster");
    let run = test.run(&["deploy"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), ["fresh.k8s.local"]);
    insta::assert_snapshot!("new_in_git_stderr", run.settled_stderr(&test));
    assert!(run.argv().iter().any(|a| a.ends_with("--yes")));
}

// --- Instance-group prune -------------------------------------------------------------------------

/// main: the spec as production has it, then a commit that drops the nodes instance group
/// (production, the real recording, still has nodes-us-east-1a).
fn nodes_dropped() -> Test {
    let test = Test::new();
    let spec = test.read_spec();
    let (start, end) = nodes_ig_doc(&spec);
    let end = (end + 4).min(spec.len()); // with its `---` line
    test.write_spec(&format!("{}{}", &spec[..start], &spec[end..]));
    test.commit("drop the nodes instance group");
    test
}

const DELETE_NODES: &str =
    "delete instancegroup nodes-us-east-1a --name test.k8s.local --state file:///srv/kstate --yes";

#[test]
fn prune_on_deletes_after_replace_and_before_update() {
    let test = nodes_dropped().env("KOPSFLOW_PRUNE", "on");
    let run = test.run(&["deploy"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let argv = run.argv();
    let delete = call_index(&argv, "delete instancegroup");
    assert_eq!(argv[delete], DELETE_NODES);
    assert_eq!(
        argv.iter().filter(|a| a.starts_with("delete")).count(),
        1,
        "only the removed group: {argv:#?}"
    );
    assert!(call_index(&argv, "replace") < delete, "{argv:#?}");
    let update = argv
        .iter()
        .position(|a| a.starts_with("update cluster") && a.ends_with("--yes"))
        .unwrap();
    assert!(delete < update, "{argv:#?}");
    let out = run.settled_stdout(&test);
    insta::assert_snapshot!("prune_on_stdout", out);
    assert!(!out.contains("warning: prune is off"), "{out}");
    let run = test.run(&["deploy", "--format", "json"]);
    let cluster = &json(&run)["clusters"][0];
    assert_eq!(
        cluster["instance_groups_deleted"],
        serde_json::json!(["nodes-us-east-1a"])
    );
    assert_eq!(cluster["instance_groups_kept"], serde_json::json!([]));
}

#[test]
fn prune_off_deletes_nothing_and_warns() {
    let test = nodes_dropped();
    let run = test.run(&["deploy"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        !run.argv().iter().any(|a| a.starts_with("delete")),
        "{:#?}",
        run.argv()
    );
    insta::assert_snapshot!("prune_off_stdout", run.settled_stdout(&test));
    let run = test.run(&["deploy", "--format", "markdown"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("prune_off_markdown", run.settled_stdout(&test));
    let run = test.run(&["deploy", "--format", "json"]);
    let cluster = &json(&run)["clusters"][0];
    assert_eq!(
        cluster["instance_groups_kept"],
        serde_json::json!(["nodes-us-east-1a"])
    );
    assert_eq!(cluster["instance_groups_deleted"], serde_json::json!([]));
    // `KOPSFLOW_PRUNE=off` is the same.
    let run = test.run_with(&[("KOPSFLOW_PRUNE", "off")], &["deploy"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("prune_off_stdout", run.settled_stdout(&test));
}

#[test]
fn prune_never_deletes_the_last_control_plane_group() {
    // git renames the control-plane group (and its etcd members): production's
    // control-plane-us-east-1a would be pruned, and the new group does not run yet.
    let test = Test::new().env("KOPSFLOW_PRUNE", "on");
    let spec = test.read_spec();
    test.write_spec(&spec.replace("control-plane-us-east-1a", "control-plane-b"));
    test.commit("move the control plane to control-plane-b");
    // The policy blocks this too (the etcd members move and the control-plane group goes): allow
    // those rules to look at the prune guard alone.
    let allow = [
        "--allow",
        "control-plane-ig-removed",
        "--allow",
        "etcd-member-removed",
    ];
    let run = test.run(&[&["deploy"][..], &allow].concat());
    assert_refused_before_any_change(&test, &run, "last_control_plane_stderr");
    assert_eq!(
        run.argv().len(),
        3,
        "version and the two gets: {:#?}",
        run.argv()
    );
    // With prune off, the same deploy goes on (and warns).
    let run = test.run_with(
        &[("KOPSFLOW_PRUNE", "off")],
        &[&["deploy"][..], &allow].concat(),
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("last_control_plane_prune_off", run.settled_stdout(&test));
}

#[test]
fn print_shows_the_checks_and_the_prune() {
    let test = nodes_dropped().env("KOPSFLOW_PRUNE", "on");
    let run = test.run(&["deploy", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("print_checks_and_prune", run.settled_stdout(&test));
    assert!(run.argv().is_empty(), "--print runs nothing");
}
