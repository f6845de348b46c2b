//! Clusters in parallel (`--jobs`): whole output blocks per cluster, a full summary, no new
//! cluster after a failure unless `--keep-going`, and SIGTERM stopping every cluster.

use std::process::Command;

use crate::support::{blocks_in_order, wait_for, Call, Test, CLUSTER};

const FOUR: [&str; 4] = ["a.k8s.local", "b.k8s.local", "c.k8s.local", CLUSTER];

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).expect("stdout is JSON")
}

/// `(cluster, status, error)` of every cluster of a JSON summary, in its order.
fn statuses(summary: &serde_json::Value) -> Vec<(String, String, String)> {
    summary["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["cluster"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
                c["error"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// The most clusters whose kops calls overlap at one moment.
fn most_at_once(calls: &[Call], clusters: &[&str]) -> usize {
    let spans: Vec<(f64, f64)> = clusters
        .iter()
        .filter_map(|cluster| {
            let mine: Vec<&Call> = calls.iter().filter(|c| c.is_for(cluster)).collect();
            let start = mine.iter().map(|c| c.start).reduce(f64::min)?;
            let end = mine.iter().map(|c| c.span().1).reduce(f64::max)?;
            Some((start, end))
        })
        .collect();
    // The count is highest at some span's start.
    spans
        .iter()
        .map(|s| spans.iter().filter(|t| t.0 <= s.0 && s.0 < t.1).count())
        .max()
        .unwrap_or(0)
}

#[test]
fn plan_jobs_2_runs_two_at_a_time_with_whole_blocks_and_a_full_summary() {
    let test = Test::new();
    test.add_clusters(&FOUR[..3]);
    // The first two clusters meet inside `kops get cluster`: both run at once. b fails there.
    let run = test.run_with(
        &[
            ("KOPS_STANDIN_BARRIER", "get cluster 2"),
            ("KOPS_STANDIN_FAIL_CLUSTER", "b.k8s.local"),
        ],
        &["plan", "--all", "--jobs", "2", "--format", "json"],
    );
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let summary = statuses(&json(&run.stdout()));
    let names: Vec<&str> = summary.iter().map(|(c, _, _)| c.as_str()).collect();
    assert_eq!(
        names, FOUR,
        "the summary lists every cluster in selection order"
    );
    for (cluster, status, error) in &summary {
        if cluster == "b.k8s.local" {
            assert_eq!(status, "error");
            assert!(error.contains("stage Test, step 1/"), "{error}");
        } else {
            // The replayed dry-run report has changes.
            assert_eq!(status, "changes_pending", "{cluster}: {error}");
        }
    }
    let stderr = run.stderr();
    let mut blocks = blocks_in_order(&stderr, "==> 4 clusters, up to 2 at a time", &FOUR);
    blocks.sort_unstable();
    assert_eq!(blocks, FOUR, "every cluster has one block:\n{stderr}");
    assert!(stderr.contains("==> b.k8s.local: failed after"), "{stderr}");
    assert!(stderr.contains("==> a.k8s.local: ok after"), "{stderr}");
    assert!(stderr.contains("1 of 4 cluster(s) failed:"), "{stderr}");
    let calls = run.argv();
    for cluster in FOUR {
        let update = format!("update cluster {cluster} --state file://");
        assert_eq!(
            cluster != "b.k8s.local",
            calls.iter().any(|c| c.starts_with(&update))
        );
    }
    assert_eq!(
        most_at_once(&test.calls(), &FOUR),
        2,
        "--jobs 2: two at a time, never more"
    );
    assert!(run.tmp_left.is_empty(), "{:?}", run.tmp_left);
    assert!(!test.repo().join("target").exists(), "plan takes no lock");
    assert_eq!(test.run(&["plan", "--jobs", "0"]).code(), 1);
}

#[test]
fn deploy_jobs_2_starts_no_cluster_after_a_failure_unless_keep_going() {
    let test = Test::new();
    test.add_clusters(&FOUR[..3]);
    // a and b start together; a fails at once, so its worker's next clusters are not started.
    let env = [
        ("KOPS_STANDIN_BARRIER", "get cluster 2"),
        ("KOPS_STANDIN_FAIL_CLUSTER", "a.k8s.local"),
    ];
    let args = ["deploy", "--all", "--jobs", "2", "--format", "json"];
    let run = test.run_with(&env, &args);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let summary = statuses(&json(&run.stdout()));
    let not_run = "not run: an earlier cluster failed";
    let expected = [
        ("a.k8s.local", "error"),
        // Deployed: `update --yes` succeeded.
        ("b.k8s.local", "applied"),
        ("c.k8s.local", "error"),
        (CLUSTER, "error"),
    ];
    for ((cluster, status, error), (want_cluster, want_status)) in summary.iter().zip(expected) {
        assert_eq!(
            (cluster.as_str(), status.as_str()),
            (want_cluster, want_status),
            "{error}"
        );
    }
    assert_eq!(summary.len(), 4);
    assert_eq!(
        (summary[2].2.as_str(), summary[3].2.as_str()),
        (not_run, not_run)
    );
    let calls = test.calls();
    assert!(
        !calls
            .iter()
            .any(|c| c.is_for("c.k8s.local") || c.is_for(CLUSTER)),
        "{calls:#?}"
    );
    assert!(calls
        .iter()
        .any(|c| c.is_for("b.k8s.local") && c.argv.contains("--yes")));
    let stderr = run.stderr();
    assert!(
        stderr.contains(&format!(
            "1 of 4 cluster(s) failed; 2 not run: c.k8s.local, {CLUSTER}:"
        )),
        "{stderr}"
    );
    let mut blocks = blocks_in_order(&stderr, "==> 4 clusters, up to 2 at a time", &FOUR);
    blocks.sort_unstable();
    assert_eq!(blocks, ["a.k8s.local", "b.k8s.local"], "{stderr}");
    // Each cluster's kops wrote its own kubeconfig, in its own work dir.
    let kubeconfigs: Vec<String> = calls
        .iter()
        .filter(|c| c.argv.starts_with("export kubecfg"))
        .map(|c| run.normalize(c.kubeconfig.as_deref().unwrap_or("none")))
        .collect();
    assert_eq!(kubeconfigs, ["$TMP/kopsflow-RUN/b.k8s.local/kubeconfig"]);

    let run = test.run_with(&env, &[&args[..], &["--keep-going"]].concat());
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let summary = statuses(&json(&run.stdout()));
    let failed: Vec<&str> = summary
        .iter()
        .filter(|(_, status, _)| status == "error")
        .map(|(c, _, _)| c.as_str())
        .collect();
    assert_eq!(failed, ["a.k8s.local"], "{summary:?}");
    let mut kubeconfigs: Vec<String> = test
        .calls()
        .iter()
        .filter(|c| c.argv.starts_with("export kubecfg"))
        .map(|c| run.normalize(c.kubeconfig.as_deref().unwrap_or("none")))
        .collect();
    kubeconfigs.sort();
    assert_eq!(
        kubeconfigs,
        FOUR[1..]
            .iter()
            .map(|c| format!("$TMP/kopsflow-RUN/{c}/kubeconfig"))
            .collect::<Vec<_>>()
    );
    assert!(run.tmp_left.is_empty());
}

#[test]
fn sigterm_stops_every_parallel_cluster_and_cleans_up() {
    let test = Test::new();
    test.add_clusters(&FOUR[..3]);
    let gate = format!("update {}", test.path("standin/never").display());
    let run = test.spawn(
        "plan",
        &[("KOPS_STANDIN_GATE", &gate)],
        &["plan", "--all", "--jobs", "2", "--format", "json"],
    );
    wait_for("two clusters inside kops update", || {
        test.calls()
            .iter()
            .filter(|c| c.argv.starts_with("update"))
            .count()
            == 2
    });
    run.signal("TERM");
    let run = run.finish();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let summary = statuses(&json(&run.stdout));
    assert_eq!(summary.len(), 4);
    assert!(
        summary.iter().all(|(_, status, _)| status == "error"),
        "{summary:?}"
    );
    let not_run = summary
        .iter()
        .filter(|(_, _, e)| e == "not run: interrupted")
        .count();
    assert_eq!(not_run, 2, "{summary:?}");
    let left: Vec<_> = std::fs::read_dir(test.path("tmp")).unwrap().collect();
    assert!(left.is_empty(), "work dirs left after SIGTERM");
    // Both kops processes were stopped.
    for call in test.calls().iter().filter(|c| c.argv.starts_with("update")) {
        let alive = Command::new("kill")
            .args(["-0", &call.pid.to_string()])
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(!alive, "kops (pid {}) still runs", call.pid);
    }
}

// Cluster selection: by default, the clusters whose spec file changed.
