//! Reports of clusters in waves: text and markdown put the clusters under a heading per wave
//! and environment (the markdown table gains a `wave` column), JSON gives each cluster its
//! `environment` and `wave`. Built from real parsed kops samples and the executor's own
//! not-run error.

use kopsflow::exec::not_run_after_wave;
use kopsflow::plan::Placement;
use kopsflow::report::{
    parse_kops_error, parse_update_dry_run, render_json, render_markdown, render_text,
    ClusterSummary, RunSummary,
};

use crate::samples::sample;

fn placed(environment: &str, wave: u32) -> Option<Placement> {
    Some(Placement {
        wave,
        environment: environment.to_owned(),
    })
}

/// A deploy whose wave 1 (dev) failed (the real `replace.error.cluster-missing` stderr, named
/// after dev's cluster as the kops stand-in does): stg and prod were not run.
fn failed_deploy() -> RunSummary {
    let stderr = sample("replace.error.cluster-missing.REAL.kops-1.29.2.stderr.txt");
    let error = parse_kops_error(&stderr.replace("test.k8s.local", "dev.k8s.example.com")).unwrap();
    let not_run = Some(not_run_after_wave(1));
    RunSummary {
        command: "deploy".into(),
        branch: "main".into(),
        note: None,
        kops: None,
        clusters: vec![
            ClusterSummary {
                cluster: "dev.k8s.example.com".into(),
                placement: placed("dev", 1),
                error: Some(error.to_string()),
                ..Default::default()
            },
            ClusterSummary {
                cluster: "stg.k8s.example.com".into(),
                placement: placed("stg", 2),
                error: not_run.clone(),
                ..Default::default()
            },
            ClusterSummary {
                cluster: "prod.k8s.example.com".into(),
                placement: placed("prod", 3),
                error: not_run,
                ..Default::default()
            },
        ],
    }
}

/// A plan over two environments (the real modify-ig and no-changes dry-runs), its clusters in
/// the order of the run, prod's two first: the report groups them by wave and environment.
fn plan() -> RunSummary {
    let dry_run = |name: &str| Some(parse_update_dry_run(&sample(name)).unwrap());
    let modify = "update-cluster-dryrun.modify-ig.REAL.kops-1.29.2.stdout.txt";
    let no_changes = "update-cluster-dryrun.no-changes.REAL.kops-1.29.2.stdout.txt";
    let cluster = |name: &str, placement, update| ClusterSummary {
        cluster: name.into(),
        placement,
        update,
        ..Default::default()
    };
    RunSummary {
        command: "plan".into(),
        branch: "feature/x".into(),
        note: None,
        kops: None,
        clusters: vec![
            cluster("prod.k8s.example.com", placed("prod", 3), dry_run(modify)),
            cluster(
                "test.k8s.example.com",
                placed("prod", 3),
                dry_run(no_changes),
            ),
            cluster("dev.k8s.example.com", placed("dev", 1), dry_run(modify)),
        ],
    }
}

#[test]
fn a_failed_wave_in_text() {
    let text = render_text(&failed_deploy(), false);
    insta::assert_snapshot!(text);
}

#[test]
fn a_failed_wave_in_markdown() {
    let md = render_markdown(&failed_deploy());
    assert!(md.contains("| cluster | wave | status |"), "{md}");
    insta::assert_snapshot!(md);
}

#[test]
fn a_plan_grouped_by_environment_and_wave() {
    let text = render_text(&plan(), false);
    let headings: Vec<&str> = text.lines().filter(|l| l.starts_with("===")).collect();
    assert_eq!(
        headings,
        [
            "=== wave 1 (dev): 1 cluster ===",
            "=== wave 3 (prod): 2 clusters ==="
        ]
    );
    insta::assert_snapshot!("plan_text", text);
    insta::assert_snapshot!("plan_markdown", render_markdown(&plan()));
}

#[test]
fn json_gives_each_cluster_its_environment_and_wave() {
    let json: serde_json::Value = serde_json::from_str(&render_json(&failed_deploy())).unwrap();
    let placements: Vec<(&str, &str, u64)> = json["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["cluster"].as_str().unwrap(),
                c["environment"].as_str().unwrap(),
                c["wave"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        placements,
        [
            ("dev.k8s.example.com", "dev", 1),
            ("stg.k8s.example.com", "stg", 2),
            ("prod.k8s.example.com", "prod", 3)
        ]
    );
    assert_eq!(json["clusters"][1]["error"], "not run: wave 1 failed");
}

#[test]
fn clusters_without_an_environment_come_last() {
    let mut summary = failed_deploy();
    summary.clusters.insert(
        0,
        ClusterSummary {
            cluster: "loose.k8s.local".into(),
            ..Default::default()
        },
    );
    let text = render_text(&summary, false);
    let headings: Vec<&str> = text.lines().filter(|l| l.starts_with("===")).collect();
    assert_eq!(headings.last(), Some(&"=== no environment: 1 cluster ==="));
    let json = render_json(&summary);
    assert!(
        json.contains("\"environment\": null,\n      \"wave\": null,"),
        "{json}"
    );
}
