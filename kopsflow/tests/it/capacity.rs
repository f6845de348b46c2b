//! Snapshot tests of the capacity of a change in the plan summary (text, markdown, JSON), where
//! it matters most: a cluster whose prices are unknown. Production is the real kops 1.29.2
//! `kops get` recording moved to eu-west-1 (its zone and group names rewritten; the bundled
//! prices cover us-east-1 only), git the same spec edited — a group resized and the control plane
//! given another machine type, a group added and one removed (prune off and on), a new cluster —
//! and, in us-east-1, a machine type with a price but no capacity facts.

use kopsflow::cost::{estimate, PriceTable};
use kopsflow::report::{render_json, render_markdown, render_text, ClusterSummary, RunSummary};
use kopsflow::spec::ClusterSpec;

use crate::samples::sample;

/// The recording with its region `us-east-1` replaced by `region`.
fn live(region: &str) -> ClusterSpec {
    let moved = |name: &str| sample(name).replace("us-east-1", region);
    ClusterSpec::from_kops_output(
        &moved("get-cluster-o-yaml.REAL.kops-1.29.2.yaml"),
        &moved("get-instancegroups-o-yaml.REAL.kops-1.29.2.yaml"),
    )
    .unwrap()
}

/// Production's spec in `region` as git would hold it, edited by `edit`.
fn git(region: &str, edit: impl Fn(String) -> String) -> ClusterSpec {
    let text = live(region)
        .to_kops_yaml()
        .replace("  creationTimestamp: \"2026-11-25T19:17:00Z\"\n", "");
    let text = edit(text);
    match ClusterSpec::parse("cluster-spec/test.k8s.local.yml".into(), &text) {
        Ok(loaded) => loaded.spec,
        Err(d) => panic!("{d:#?}\n{text}"),
    }
}

/// The document of the instance group `name` edited by `edit` (the groups follow the cluster).
fn group(name: &str, edit: impl Fn(&str) -> String) -> impl Fn(String) -> String {
    let needle = format!("name: {name}\n");
    move |text: String| {
        let at = text.find(&needle).unwrap();
        let start = text[..at].rfind("apiVersion:").unwrap();
        let end = text[at..]
            .find("\n---\n")
            .map_or(text.len(), |e| at + e + 1);
        format!(
            "{}{}{}",
            &text[..start],
            edit(&text[start..end]),
            &text[end..]
        )
    }
}

fn summary(git: &ClusterSpec, live: Option<&ClusterSpec>, prune: bool) -> RunSummary {
    RunSummary {
        command: "plan".into(),
        branch: "feature/x".into(),
        kops: None,
        note: None,
        clusters: vec![ClusterSummary {
            cluster: "test.k8s.local".into(),
            new_cluster: live.is_none(),
            spec_diff: live.map(|l| kopsflow::spec::diff(git, l)),
            cost: Some(estimate(git, live, &PriceTable::bundled(), prune)),
            ..ClusterSummary::default()
        }],
    }
}

fn all_formats(s: &RunSummary) -> String {
    format!(
        "{}\n----- markdown -----\n{}\n----- json: capacity -----\n{}",
        render_text(s, false),
        render_markdown(s),
        capacity_json(&render_json(s))
    )
}

/// The JSON's `capacity` objects (top level and the cluster's) and why the cluster's price is
/// unknown, read back with serde_json.
fn capacity_json(text: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    serde_json::to_string_pretty(&serde_json::json!({
        "capacity": v["capacity"],
        "clusters[0].capacity": v["clusters"][0]["capacity"],
        "clusters[0].cost.unknown": v["clusters"][0]["cost"]["unknown"],
    }))
    .unwrap()
}

#[test]
fn price_unknown_capacity_shown() {
    let live = live("eu-west-1");
    let git = git("eu-west-1", |text| {
        let text = group("nodes-eu-west-1a", |doc| {
            doc.replace("maxSize: 1", "maxSize: 3")
        })(text);
        group("control-plane-eu-west-1a", |doc| {
            doc.replace("machineType: t3.medium", "machineType: m5.large")
        })(text)
    });
    let s = summary(&git, Some(&live), false);
    let text = render_text(&s, false);
    // t3.medium: 2 vCPU, 4 GiB; m5.large: 2 vCPU, 8 GiB (kops v1.18.3 MachineTypes).
    assert!(
        text.contains(
            "capacity (aws): 4 vCPU, 8 GiB → 4–8 vCPU, 12–20 GiB (0–+4 vCPU, +4–+12 GiB)"
        ),
        "{text}"
    );
    assert!(text.contains("unknown → unknown"), "{text}");
    insta::assert_snapshot!(all_formats(&s));
}

#[test]
fn added_and_removed_groups() {
    // `nodes-eu-west-1a` renamed: `nodes-b` added (c5.large, 2 to 4), the old group removed.
    let live = live("eu-west-1");
    let git = git(
        "eu-west-1",
        group("nodes-eu-west-1a", |doc| {
            doc.replace("name: nodes-eu-west-1a", "name: nodes-b")
                .replace("machineType: t3.medium", "machineType: c5.large")
                .replace("maxSize: 1", "maxSize: 4")
                .replace("minSize: 1", "minSize: 2")
        }),
    );
    let off = render_text(&summary(&git, Some(&live), false), false);
    let on = render_text(&summary(&git, Some(&live), true), false);
    assert!(off.contains("(+4–+8 vCPU, +8–+16 GiB)"), "{off}");
    assert!(on.contains("(+2–+6 vCPU, +4–+12 GiB)"), "{on}");
    insta::assert_snapshot!(format!("{off}\n===== prune on =====\n{on}"));
}

#[test]
fn new_cluster() {
    let git = git("eu-west-1", |text| text);
    insta::assert_snapshot!(render_text(&summary(&git, None, false), false));
}

#[test]
fn priced_but_no_capacity_facts() {
    // m6i.large has a bundled us-east-1 price, but kops's table predates the m6i family.
    let live = live("us-east-1");
    let git = git(
        "us-east-1",
        group("nodes-us-east-1a", |doc| {
            doc.replace("machineType: t3.medium", "machineType: m6i.large")
        }),
    );
    let s = summary(&git, Some(&live), false);
    let text = render_text(&s, false);
    assert!(
        text.contains("nodes-us-east-1a: t3.medium × 1 (2 vCPU, 4 GiB) → m6i.large × 1 (unknown: no capacity for m6i.large (aws))"),
        "{text}"
    );
    insta::assert_snapshot!(all_formats(&s));
}

/// The eu-west-1 excerpt of `docs/GUIDE.md` ("Cost of a change") is what the summary says.
#[test]
fn the_readme_excerpt_is_true() {
    let live = live("eu-west-1");
    let git = git(
        "eu-west-1",
        group("nodes-eu-west-1a", |doc| {
            doc.replace("maxSize: 1", "maxSize: 3")
        }),
    );
    let text = render_text(&summary(&git, Some(&live), false), false);
    let readme = include_str!("../../../docs/GUIDE.md");
    let at = readme.find("    cost per month (aws eu-west-1)").unwrap();
    let excerpt: Vec<&str> = readme[at..]
        .lines()
        .take_while(|l| !l.trim_start().starts_with("```"))
        .map(|l| l.strip_prefix("  ").unwrap())
        .collect();
    assert_eq!(excerpt.len(), 5, "{excerpt:#?}");
    for line in excerpt {
        assert!(
            text.contains(&format!("{line}\n")),
            "{line}\nnot in\n{text}"
        );
    }
}

/// An absurd `maxSize` (fuzz inputs have them) saturates: every format renders, none panics.
#[test]
fn absurd_sizes_render() {
    // Validation refuses a git spec with a size above kops's int32 (`docs/KOPS.md` §7), so the
    // absurd size is production's, read from kops output without validation: git restores 1.
    let normal = live("eu-west-1");
    let huge_text =
        normal
            .to_kops_yaml()
            .replacen("maxSize: 1\n", "maxSize: 9223372036854775807\n", 1);
    let huge = ClusterSpec::from_kops_output(&huge_text, "").unwrap();
    let git = git("eu-west-1", |text| text);
    let s = summary(&git, Some(&huge), false);
    let text = render_text(&s, false);
    // 2 vCPU × (2⁶³−1), plus the control plane's 2: saturated at 2⁶⁴−1.
    assert!(
        text.contains("capacity (aws): 4–18446744073709551615 vCPU, "),
        "{text}"
    );
    assert!(
        render_markdown(&s).contains("🧮 **Capacity** (aws): 4–18446744073709551615 vCPU"),
        "{}",
        render_markdown(&s)
    );
    let v: serde_json::Value = serde_json::from_str(&render_json(&s)).unwrap();
    let capacity = &v["clusters"][0]["capacity"];
    assert_eq!(capacity["before"]["vcpus"]["max"], u64::MAX);
    assert_eq!(
        capacity["delta"]["vcpus"]["max"].as_f64(),
        Some(-((u64::MAX - 4) as f64))
    );
}
