//! Snapshot tests of the cost of a change in the plan summary (text, markdown, JSON): production
//! is the real kops 1.29.2 `kops get` recording (two t3.medium groups in us-east-1), git is the
//! same spec edited — an instance group resized, a machine type changed, a group added and one
//! removed (prune off and on), a machine type without a price — and a repository's own price
//! wins over the bundled one.

use kopsflow::cost::{estimate, PriceTable};
use kopsflow::report::{render_json, render_markdown, render_text, ClusterSummary, RunSummary};
use kopsflow::spec::ClusterSpec;

use crate::samples::sample;

fn live() -> ClusterSpec {
    ClusterSpec::from_kops_output(
        &sample("get-cluster-o-yaml.REAL.kops-1.29.2.yaml"),
        &sample("get-instancegroups-o-yaml.REAL.kops-1.29.2.yaml"),
    )
    .unwrap()
}

/// Production's spec as git would hold it, edited by `edit`.
fn git(edit: impl Fn(String) -> String) -> ClusterSpec {
    let text = live()
        .to_kops_yaml()
        .replace("  creationTimestamp: \"2026-11-25T19:17:00Z\"\n", "");
    let text = edit(text);
    match ClusterSpec::parse("cluster-spec/test.k8s.local.yml".into(), &text) {
        Ok(loaded) => loaded.spec,
        Err(d) => panic!("{d:#?}\n{text}"),
    }
}

/// The nodes group's document edited by `edit`.
fn nodes(edit: impl Fn(&str) -> String) -> impl Fn(String) -> String {
    move |text: String| {
        let at = text.find("name: nodes-us-east-1a").unwrap();
        let start = text[..at].rfind("apiVersion:").unwrap();
        format!("{}{}", &text[..start], edit(&text[start..]))
    }
}

fn summary(git: &ClusterSpec, table: &PriceTable, prune: bool) -> RunSummary {
    let live = live();
    RunSummary {
        command: "plan".into(),
        branch: "feature/x".into(),
        note: None,
        kops: None,
        clusters: vec![ClusterSummary {
            cluster: "test.k8s.local".into(),
            spec_diff: Some(kopsflow::spec::diff(git, &live)),
            cost: Some(estimate(git, Some(&live), table, prune)),
            ..ClusterSummary::default()
        }],
    }
}

fn all_formats(s: &RunSummary) -> String {
    format!(
        "{}\n----- markdown -----\n{}\n----- json: cost -----\n{}",
        render_text(s, false),
        render_markdown(s),
        cost_json(&render_json(s))
    )
}

/// The JSON's `cost` objects (top level and the cluster's), read back with serde_json.
fn cost_json(text: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    serde_json::to_string_pretty(&serde_json::json!({
        "cost": v["cost"],
        "clusters[0].cost": v["clusters"][0]["cost"],
    }))
    .unwrap()
}

#[test]
fn resize() {
    let git = git(nodes(|doc| doc.replace("maxSize: 1", "maxSize: 3")));
    let s = summary(&git, &PriceTable::bundled(), false);
    insta::assert_snapshot!(all_formats(&s));
}

#[test]
fn machine_type_change() {
    let git = git(nodes(|doc| {
        doc.replace("machineType: t3.medium", "machineType: m5.xlarge")
    }));
    insta::assert_snapshot!(render_text(
        &summary(&git, &PriceTable::bundled(), false),
        false
    ));
}

#[test]
fn added_and_removed_groups() {
    // `nodes-us-east-1a` renamed: `nodes-b` added (c5.large, 2 to 4), the old group removed.
    let git = git(nodes(|doc| {
        doc.replace("name: nodes-us-east-1a", "name: nodes-b")
            .replace("machineType: t3.medium", "machineType: c5.large")
            .replace("maxSize: 1", "maxSize: 4")
            .replace("minSize: 1", "minSize: 2")
    }));
    let off = summary(&git, &PriceTable::bundled(), false);
    let on = summary(&git, &PriceTable::bundled(), true);
    insta::assert_snapshot!(format!(
        "{}\n===== prune on =====\n{}",
        all_formats(&off),
        render_text(&on, false)
    ));
}

#[test]
fn unknown_machine_type() {
    let git = git(nodes(|doc| {
        doc.replace("machineType: t3.medium", "machineType: x9.huge")
    }));
    let s = summary(&git, &PriceTable::bundled(), false);
    insta::assert_snapshot!(all_formats(&s));
}

#[test]
fn a_repository_price_wins() {
    let own = PriceTable::parse("cost-prices.txt", "aws us-east-1 t3.medium 0.05\n").unwrap();
    let table = PriceTable::bundled().extended(own);
    let git = git(nodes(|doc| doc.replace("maxSize: 1", "maxSize: 2")));
    let text = render_text(&summary(&git, &table, false), false);
    // 0.05 × 730 = $36.50 per instance, not the bundled $30.37.
    assert!(text.contains("t3.medium × 1–2 ($36.50–$73.00)"), "{text}");
    insta::assert_snapshot!(text);
}
