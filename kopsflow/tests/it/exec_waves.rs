//! The executor's waves: plans resolved with `Pipeline::with_cluster_waves` and run by an
//! `Executor` whose kops is the kops stand-in (`xtask/tests/kops-standin.sh`, replaying real
//! recordings; `KOPS_STANDIN_FAIL_CLUSTER` fails every call naming a cluster). A run that
//! changes production goes wave by wave: a failure in a wave stops the later ones (`not run:
//! wave N failed`), `--keep-going` acts within a wave only, `--jobs` runs a wave's clusters side
//! by side; a read-only run is not held back.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use camino::Utf8PathBuf;
use kopsflow::exec::{is_not_run, not_run_after_wave, NOT_RUN_AFTER_FAILURE};
use kopsflow::kops::{KopsVersion, Mode};
use kopsflow::pipeline::{BranchCondition, Context, Pipeline, ProductionStep, Stage};
use kopsflow::report::RunSummary;
use kopsflow::store::StateStore;

use crate::standin;

/// A temp dir with `kops` (the stand-in, with its knobs) and its log.
struct Kops {
    dir: tempfile::TempDir,
}

impl Kops {
    /// The stand-in, failing every call that names `fail` (when given).
    fn new(fail: Option<&str>) -> Kops {
        let dir = tempfile::tempdir().unwrap();
        let knobs: Vec<(&str, &str)> = fail
            .map(|c| ("KOPS_STANDIN_FAIL_CLUSTER", c))
            .into_iter()
            .collect();
        standin::install(dir.path(), &knobs);
        Kops { dir }
    }

    /// The argv of every kops call, in the order they started.
    fn calls(&self) -> Vec<String> {
        standin::calls(self.dir.path())
            .into_iter()
            .map(|(argv, _)| argv)
            .collect()
    }

    /// When each call about `cluster` started and ended (seconds since the epoch).
    fn spans(&self, cluster: &str) -> Vec<(f64, f64)> {
        let log = std::fs::read_to_string(self.dir.path().join("calls.log")).unwrap_or_default();
        let mut calls: Vec<(String, String, f64)> = Vec::new();
        let mut ends: BTreeMap<String, f64> = BTreeMap::new();
        for line in log.lines() {
            if let Some((n, argv)) = line.strip_prefix("call ").and_then(|l| l.split_once(": ")) {
                calls.push((n.to_owned(), argv.to_owned(), 0.0));
            } else if let Some(start) = line.trim().strip_prefix("start: ") {
                calls.last_mut().unwrap().2 = start.parse().unwrap();
            } else if let Some((n, end)) =
                line.strip_prefix("end ").and_then(|l| l.split_once(": "))
            {
                ends.insert(n.to_owned(), end.parse().unwrap());
            }
        }
        calls
            .into_iter()
            .filter(|(_, argv, _)| argv.split(' ').any(|w| w == cluster))
            .map(|(n, _, start)| (start, ends[&n]))
            .collect()
    }
}

/// How the run goes: whether it changes production, `--jobs`, `--keep-going`.
#[derive(Clone, Copy)]
struct How {
    apply: bool,
    jobs: usize,
    keep_going: bool,
}

const DEPLOY: How = How {
    apply: true,
    jobs: 1,
    keep_going: false,
};

/// Runs `clusters` (name, environment, wave) with `kops`: one stage, `kops update cluster`
/// with `--yes` (`apply`) or without. The summary and the log.
fn run(kops: &Kops, how: How, clusters: &[(&str, &str, u32)]) -> (RunSummary, Vec<String>) {
    let root: Utf8PathBuf = kops.dir.path().to_str().unwrap().into();
    let ctx = Context {
        branch: "main".to_owned(),
        kops_version: KopsVersion::new(1, 29, 2),
        clusters: standin::targets(clusters.iter().map(|(name, _, _)| *name)),
        work_dir: root.join("work"),
    };
    let waves = standin::placements(clusters);
    let mode = if how.apply {
        Mode::Apply
    } else {
        Mode::Preview
    };
    let stage = Stage::production(
        "Deploy",
        BranchCondition::Always,
        vec![ProductionStep::UpdateCluster(mode)],
    );
    let store = StateStore::parse("s3://k8s-kops").unwrap();
    let plan = Pipeline::new(Some(store), vec![stage])
        .with_cluster_waves(waves)
        .resolve(&ctx)
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let log = Arc::new(move |line: &str| sink.lock().unwrap().push(line.to_owned()));
    let exec = standin::executor(root, how.jobs, how.keep_going, log);
    let summary = exec.run(&plan, "deploy");
    let log = lines.lock().unwrap().clone();
    (summary, log)
}

/// Each cluster of the summary, with its error.
fn errors_of(summary: &RunSummary) -> Vec<(&str, Option<&str>)> {
    summary
        .clusters
        .iter()
        .map(|c| (c.cluster.as_str(), c.error.as_deref()))
        .collect()
}

/// The clusters the kops calls name, in call order.
fn called(kops: &Kops) -> Vec<String> {
    kops.calls()
        .iter()
        .map(|argv| argv.split(' ').nth(2).unwrap_or_default().to_owned())
        .collect()
}

const THREE: &[(&str, &str, u32)] = &[
    ("prod.example.com", "prod", 3),
    ("stg.example.com", "stg", 2),
    ("dev.example.com", "dev", 1),
];

#[test]
fn a_deploy_runs_wave_by_wave() {
    let kops = Kops::new(None);
    let (summary, log) = run(&kops, DEPLOY, THREE);
    assert_eq!(
        called(&kops),
        ["dev.example.com", "stg.example.com", "prod.example.com"]
    );
    assert!(errors_of(&summary).iter().all(|(_, e)| e.is_none()));
    let waves: Vec<&String> = log.iter().filter(|l| l.starts_with("==> wave")).collect();
    assert_eq!(
        waves,
        [
            "==> wave 1 (dev): 1 cluster",
            "==> wave 2 (stg): 1 cluster",
            "==> wave 3 (prod): 1 cluster"
        ]
    );
    let placed = &summary.clusters[2].placement;
    assert_eq!(placed.as_ref().map(|p| p.wave), Some(3));
}

#[test]
fn a_failure_in_wave_1_stops_waves_2_and_3() {
    for (jobs, keep_going) in [(1, false), (1, true), (3, false), (3, true)] {
        let kops = Kops::new(Some("dev.example.com"));
        let how = How {
            jobs,
            keep_going,
            ..DEPLOY
        };
        let (summary, log) = run(&kops, how, THREE);
        let what = format!("--jobs {jobs}, keep going: {keep_going}");
        assert_eq!(called(&kops), ["dev.example.com"], "{what}");
        let outcomes = errors_of(&summary);
        assert_eq!(outcomes[0].0, "dev.example.com");
        let error = outcomes[0].1.unwrap();
        assert!(
            error.contains("failed") && !is_not_run(error),
            "{what}: {error}"
        );
        let stopped = not_run_after_wave(1);
        assert_eq!(
            outcomes[1..],
            [
                ("stg.example.com", Some(stopped.as_str())),
                ("prod.example.com", Some(stopped.as_str()))
            ],
            "{what}"
        );
        assert!(!log.iter().any(|l| l.starts_with("==> wave 2")), "{what}");
    }
}

#[test]
fn keep_going_acts_within_a_wave_only() {
    let clusters = &[
        ("a.dev.example.com", "dev", 1),
        ("b.dev.example.com", "dev", 1),
        ("stg.example.com", "stg", 2),
    ];
    let kops = Kops::new(Some("a.dev.example.com"));
    let how = How {
        keep_going: true,
        ..DEPLOY
    };
    let (summary, _) = run(&kops, how, clusters);
    assert_eq!(called(&kops), ["a.dev.example.com", "b.dev.example.com"]);
    let outcomes = errors_of(&summary);
    assert_eq!(outcomes[1], ("b.dev.example.com", None));
    let stopped = not_run_after_wave(1);
    assert_eq!(outcomes[2], ("stg.example.com", Some(stopped.as_str())));

    // Without --keep-going, the rest of the wave is not run either.
    let kops = Kops::new(Some("a.dev.example.com"));
    let (summary, _) = run(&kops, DEPLOY, clusters);
    assert_eq!(called(&kops), ["a.dev.example.com"]);
    let outcomes = errors_of(&summary);
    assert_eq!(
        outcomes[1..],
        [
            ("b.dev.example.com", Some(NOT_RUN_AFTER_FAILURE)),
            ("stg.example.com", Some(stopped.as_str()))
        ]
    );
}

#[test]
fn with_jobs_a_wave_runs_side_by_side_and_the_next_one_waits() {
    let clusters = &[
        ("a.dev.example.com", "dev", 1),
        ("b.dev.example.com", "dev", 1),
        ("stg.example.com", "stg", 2),
    ];
    let kops = Kops::new(None);
    let how = How { jobs: 3, ..DEPLOY };
    let (summary, _) = run(&kops, how, clusters);
    assert!(errors_of(&summary).iter().all(|(_, e)| e.is_none()));
    let stg = kops.spans("stg.example.com")[0];
    for dev in ["a.dev.example.com", "b.dev.example.com"] {
        let (_, end) = kops.spans(dev)[0];
        assert!(
            end <= stg.0,
            "{dev} ended at {end}, after wave 2 started at {}",
            stg.0
        );
    }
}

#[test]
fn a_read_only_run_is_not_held_back_by_wave() {
    let kops = Kops::new(Some("dev.example.com"));
    let how = How {
        apply: false,
        keep_going: true,
        ..DEPLOY
    };
    let (summary, log) = run(&kops, how, THREE);
    assert_eq!(
        called(&kops),
        ["dev.example.com", "stg.example.com", "prod.example.com"],
        "ordered by wave, every cluster run"
    );
    let outcomes = errors_of(&summary);
    assert!(outcomes[0].1.is_some());
    assert_eq!(
        outcomes[1..],
        [("stg.example.com", None), ("prod.example.com", None)]
    );
    assert!(!log.iter().any(|l| l.starts_with("==> wave")), "{log:?}");
}

#[test]
fn what_counts_as_not_run() {
    assert_eq!(not_run_after_wave(2), "not run: wave 2 failed");
    assert!(is_not_run(&not_run_after_wave(12)));
    assert!(is_not_run(NOT_RUN_AFTER_FAILURE));
    assert!(is_not_run(kopsflow::exec::NOT_RUN_INTERRUPTED));
    assert!(!is_not_run("not run: wave x failed"));
    assert!(!is_not_run(
        "`kops update cluster` failed with exit status 1"
    ));
}
