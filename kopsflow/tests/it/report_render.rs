//! Snapshots of the text, markdown and JSON renderings of run summaries built from real parsed
//! kops samples.

use crate::samples::sample;
use kopsflow::report::{
    parse_kops_error, parse_rolling_update, parse_update_dry_run, render_json, render_markdown,
    render_text, use_color, ClusterStatus, ClusterSummary, KopsUsed, RunSummary,
};
use kopsflow::spec::{ObjectKind, SpecChange, SpecDiff};

fn modified(object: &str, path: &str, old: &str, new: &str) -> SpecChange {
    SpecChange::Modified {
        kind: ObjectKind::InstanceGroup,
        object: object.into(),
        path: path.into(),
        old: Some(old.into()),
        new: Some(new.into()),
    }
}

/// Three clusters from real samples:
/// * `demo1.k8s.local`: the modify-ig dry-run (its origin line: IG nodes-us-east-1a
///   minSize/maxSize 1→3, machineType t3.medium→t3.large — hence the spec diff) and the real
///   NeedsUpdate rolling-update table;
/// * `demo2.k8s.local`: the real no-changes dry-run and no-update table (labelled demo2 here);
/// * `broken.k8s.local`: the error of the real replace.error.cluster-missing stderr.
fn summary() -> RunSummary {
    let demo1 = ClusterSummary {
        cluster: "demo1.k8s.local".into(),
        spec_diff: Some(SpecDiff {
            changes: vec![
                modified(
                    "nodes-us-east-1a",
                    "spec.machineType",
                    "t3.medium",
                    "t3.large",
                ),
                modified("nodes-us-east-1a", "spec.maxSize", "1", "3"),
                modified("nodes-us-east-1a", "spec.minSize", "1", "3"),
            ],
        }),
        update: Some(
            parse_update_dry_run(&sample(
                "update-cluster-dryrun.modify-ig.REAL.kops-1.29.2.stdout.txt",
            ))
            .unwrap(),
        ),
        rolling_update: Some(
            parse_rolling_update(&sample(
                "rolling-update-table.needsupdate.cloudonly.REAL.kops-1.29.2.stdout.txt",
            ))
            .unwrap(),
        ),
        ..Default::default()
    };
    let demo2 = ClusterSummary {
        cluster: "demo2.k8s.local".into(),
        spec_diff: Some(SpecDiff::default()),
        update: Some(
            parse_update_dry_run(&sample(
                "update-cluster-dryrun.no-changes.REAL.kops-1.29.2.stdout.txt",
            ))
            .unwrap(),
        ),
        rolling_update: Some(
            parse_rolling_update(&sample(
                "rolling-update-table.no-update.cloudonly.REAL.kops-1.29.2.stdout.txt",
            ))
            .unwrap(),
        ),
        ..Default::default()
    };
    let broken = ClusterSummary {
        cluster: "broken.k8s.local".into(),
        error: parse_kops_error(&sample(
            "replace.error.cluster-missing.REAL.kops-1.29.2.stderr.txt",
        ))
        .map(|e| format!("kops replace failed: {e}")),
        ..Default::default()
    };
    RunSummary {
        command: "plan".into(),
        branch: "feature/bigger-nodes".into(),
        note: None,
        kops: Some(KopsUsed {
            version: "1.29.2".into(),
            pin: "1.29.2".into(),
            matches_pin: true,
            any_kops_version: false,
        }),
        clusters: vec![demo1, demo2, broken],
    }
}

/// One cluster with multi-line diffs (real copied-state sample), deletions of both 1.29+ kinds
/// and an instance group removed from git.
fn summary_with_diffs() -> RunSummary {
    let mut update = parse_update_dry_run(&sample(
        "update-cluster-dryrun.copied-state-configbase-rewritten.REAL.kops-1.29.2.stdout.txt",
    ))
    .unwrap();
    // Keep the first two tasks (IAMRolePolicy with PolicyDocument + Managed, LaunchTemplate
    // with UserData) to keep the snapshot short.
    update.modifies.truncate(2);
    // DERIVED deletions, as in tests/report_parsers.rs: the two kops 1.29+ deletion headers
    // (docs/KOPS.md §1.4), lines printed with kops's `"  %-20s %s\n"`, TaskName/Item of awstasks
    // deleteSecurityGroupRule for the real port-22 rule of the create-all sample (the group's
    // name stands in for its id, which no sample shows).
    let item = |ip: &str, ip6: &str| {
        format!(
            "  {:<20} nodes.demo1.k8s.local: port=22 protocol=tcp ip={ip} ipv6={ip6}\n",
            "SecurityGroupRule"
        )
    };
    let deletions = parse_update_dry_run(&format!(
        "Items will be deleted only when the --prune flag is specified:\n{}\n\
         Items will be deleted during update:\n{}\nMust specify --yes to apply changes\n",
        item("0.0.0.0/0", ""),
        item("", "::/0")
    ))
    .unwrap();
    update.deletions = deletions.deletions;
    let removed = SpecChange::Removed {
        kind: ObjectKind::InstanceGroup,
        object: "extra-nodes".into(),
    };
    let diff = SpecDiff {
        changes: vec![removed],
    };
    let igs = diff.removed_instance_groups().map(str::to_string).collect();
    RunSummary {
        command: "deploy".into(),
        branch: "main".into(),
        note: None,
        // A kops outside the pin, run anyway: every format says so.
        kops: Some(KopsUsed {
            version: "1.36.2".into(),
            pin: ">=1.29, <1.31".into(),
            matches_pin: false,
            any_kops_version: true,
        }),
        clusters: vec![ClusterSummary {
            cluster: "demo1.k8s.local".into(),
            spec_diff: Some(diff),
            update: Some(update),
            instance_groups_to_delete: igs,
            ..Default::default()
        }],
    }
}

#[test]
fn summary_outcome() {
    let s = summary();
    assert!(s.changes_pending());
    assert!(s.rolling_update_needed());
    assert!(s.has_errors());
    let statuses: Vec<ClusterStatus> = s.clusters.iter().map(ClusterSummary::status).collect();
    assert_eq!(
        statuses,
        [
            ClusterStatus::ChangesPending,
            ClusterStatus::NoChanges,
            ClusterStatus::Error
        ]
    );
    let clean = RunSummary {
        clusters: vec![s.clusters[1].clone()],
        ..s
    };
    assert!(!clean.changes_pending() && !clean.rolling_update_needed() && !clean.has_errors());
}

#[test]
fn no_color_convention() {
    assert!(use_color(true, None));
    assert!(use_color(true, Some("")));
    assert!(!use_color(true, Some("1")));
    assert!(!use_color(false, None));
}

#[test]
fn text_plain() {
    let out = render_text(&summary(), false);
    assert!(!out.contains('\x1b'));
    insta::assert_snapshot!(out);
}

#[test]
fn text_color() {
    let out = render_text(&summary(), true);
    assert!(out.contains("\x1b[33mchanges pending\x1b[0m"));
    // ESC shown as ␛ so the snapshot is readable.
    insta::assert_snapshot!(out.replace('\x1b', "␛"));
}

#[test]
fn markdown() {
    insta::assert_snapshot!(render_markdown(&summary()));
}

#[test]
fn markdown_with_diffs_and_deletions() {
    insta::assert_snapshot!(render_markdown(&summary_with_diffs()));
}

#[test]
fn text_with_diffs() {
    insta::assert_snapshot!(render_text(&summary_with_diffs(), false));
}

#[test]
fn json() {
    let out = render_json(&summary());
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert!(out.starts_with("{\n  \"schema_version\": 1,"));
    insta::assert_snapshot!(out);
}

#[test]
fn json_with_diffs() {
    insta::assert_snapshot!(render_json(&summary_with_diffs()));
}

#[test]
fn new_cluster_markdown() {
    // Real create-all sample (first dry-run of a cluster that does not exist yet).
    let s = RunSummary {
        command: "plan".into(),
        branch: "feature/new-cluster".into(),
        note: None,
        kops: None,
        clusters: vec![ClusterSummary {
            cluster: "test.k8s.local".into(),
            new_cluster: true,
            update: Some(
                parse_update_dry_run(&sample(
                    "update-cluster-dryrun.create-all.REAL.kops-1.29.2.stdout.txt",
                ))
                .unwrap(),
            ),
            ..Default::default()
        }],
    };
    assert_eq!(s.clusters[0].status(), ClusterStatus::NewCluster);
    let md = render_markdown(&s);
    assert!(md.contains("### 🆕 `test.k8s.local` — new cluster"));
    assert!(md.contains("| ➕ create | `Secret/system:dns` | | |"));
    assert!(md.contains("<details><summary>Fields of the 114 resources to create</summary>"));
    // Long values (SubnetMappings JSON) are clipped in markdown, never in JSON.
    assert!(md.contains("… (+"));
    assert!(!render_json(&s).contains("… (+"));
    // GitHub rejects comments over 65536 characters.
    assert!(md.chars().count() < 65_536, "{} chars", md.chars().count());
    let text = render_text(&s, false);
    assert!(text.contains("    + VPC/test.k8s.local\n"));
}

/// Two clusters whose kops output was not fully understood (every input DERIVED from real
/// samples):
/// * `demo1.k8s.local`: the modify-ig dry-run with ` -> ` removed from its `MaxSize` line and the
///   real first line of `update --yes` stdout put before its closing line; the real NeedsUpdate
///   rolling-update table with its `TARGET` header renamed `DESIRED` (unknown layout);
/// * `demo2.k8s.local`: create-all's first Keypair task with its `Subject` line unindented (not
///   understood under a secret-bearing kind, so redacted), closed by the real
///   `No changes need to be applied` (the closing line decides, with a warning).
fn summary_not_parsed() -> RunSummary {
    let modify = sample("update-cluster-dryrun.modify-ig.REAL.kops-1.29.2.stdout.txt");
    let yes_line = sample("update-cluster-yes.subsequent-run.REAL.kops-1.29.2.stdout.txt")
        .lines()
        .next()
        .unwrap()
        .to_string();
    let update = modify.replacen(" 1 -> 3", " 1 3", 1).replacen(
        "Must specify --yes to apply changes",
        &format!("{yes_line}\nMust specify --yes to apply changes"),
        1,
    );
    let rolling = sample("rolling-update-table.needsupdate.cloudonly.REAL.kops-1.29.2.stdout.txt")
        .replacen("TARGET", "DESIRED", 1);
    let create_all = sample("update-cluster-dryrun.create-all.REAL.kops-1.29.2.stdout.txt");
    let mut lines = create_all
        .lines()
        .skip_while(|l| !l.starts_with("  Keypair/"));
    let keypair = lines.next().unwrap();
    let subject = lines.next().unwrap().trim_start();
    let demo2 =
        format!("Will create resources:\n{keypair}\n{subject}\n\nNo changes need to be applied\n");
    RunSummary {
        command: "plan".into(),
        branch: "main".into(),
        note: None,
        kops: None,
        clusters: vec![
            ClusterSummary {
                cluster: "demo1.k8s.local".into(),
                update: Some(parse_update_dry_run(&update).unwrap()),
                rolling_update: Some(parse_rolling_update(&rolling).unwrap()),
                ..Default::default()
            },
            ClusterSummary {
                cluster: "demo2.k8s.local".into(),
                update: Some(parse_update_dry_run(&demo2).unwrap()),
                ..Default::default()
            },
        ],
    }
}

#[test]
fn text_not_parsed() {
    let out = render_text(&summary_not_parsed(), false);
    assert!(out.contains("; 2 lines not parsed"));
    assert!(!out.contains("cn=apiserver-aggregator-ca"), "redacted");
    insta::assert_snapshot!(out);
}

#[test]
fn markdown_not_parsed() {
    let out = render_markdown(&summary_not_parsed());
    assert!(out.contains("#### ⚠️ Not parsed: kops update cluster"));
    assert!(out.contains("#### ⚠️ Not parsed: kops rolling-update cluster"));
    assert!(!out.contains("cn=apiserver-aggregator-ca"), "redacted");
    insta::assert_snapshot!(out);
}

#[test]
fn json_not_parsed() {
    let out = render_json(&summary_not_parsed());
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let update = &v["clusters"][0]["update"];
    assert_eq!(update["unparsed"][0]["line"], 3);
    assert_eq!(update["changes_pending"], true);
    assert_eq!(v["clusters"][0]["rolling_update"]["update_required"], true);
    assert_eq!(v["clusters"][1]["update"]["changes_pending"], false);
    assert!(!out.contains("cn=apiserver-aggregator-ca"), "redacted");
    insta::assert_snapshot!(out);
}
