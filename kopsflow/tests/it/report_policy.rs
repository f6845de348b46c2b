//! The policy section of run summaries in text, markdown and JSON: a blocking violation, one let
//! through by `--allow`, a warning, and one from a rendered spec. The violations come from
//! evaluating the built-in rules on a spec DERIVED from the real kops 1.29.2 `get` recordings
//! (Kubernetes 1.28.6 → 1.30.2, and the control plane's image unpinned), against the recording.

use camino::Utf8Path;
use kopsflow::policy::{rules, Level, Policy, Settings, Violation};
use kopsflow::report::{render_json, render_markdown, render_text, ClusterSummary, RunSummary};
use kopsflow::spec::{ClusterSpec, SpecDiff};

use crate::samples::sample;

fn summary() -> RunSummary {
    let live = format!(
        "{}---\n{}",
        sample("get-cluster-o-yaml.REAL.kops-1.29.2.yaml"),
        sample("get-instancegroups-o-yaml.REAL.kops-1.29.2.yaml")
    );
    let git: String = live
        .lines()
        .filter(|l| !l.contains("creationTimestamp"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace("kubernetesVersion: 1.28.6", "kubernetesVersion: 1.30.2")
        .replacen("server-20240126", "server-*", 1);
    let file = Utf8Path::new("cluster-spec/test.k8s.local.yml");
    let git = ClusterSpec::parse(file, &git).unwrap().spec;
    let live = ClusterSpec::from_kops_output(&live, "").unwrap();
    let policy = Policy::new(Settings::default());
    let mut violations = policy.evaluate(&git, Some(&live), &["image-not-pinned".to_owned()]);
    // A warning (a rule a team set to `.warn()`), as xtask reports one from a rendered spec:
    // the value's declaration first, the rendered position below.
    let max_size = rules::builtin()[4];
    violations.push(Violation {
        rule: max_size.name.into(),
        level: Level::Warn,
        cluster: "test.k8s.local".into(),
        file: "xtask/src/templates.rs".into(),
        line: Some(61),
        column: Some(10),
        path: "InstanceGroup nodes: spec.maxSize".into(),
        message: "maxSize 80 is above the policy's bound of 50".into(),
        why: max_size.why.into(),
        allowed: false,
        rendered: Some("cluster-spec/test.k8s.local.yml:91:12, from `${{ nodes_max_size }}` at cluster-spec/templates/cluster.yml.tmpl:77:12".into()),
    });
    RunSummary {
        command: "plan".into(),
        branch: "feature/x".into(),
        note: None,
        kops: None,
        clusters: vec![
            ClusterSummary {
                cluster: "test.k8s.local".into(),
                spec_diff: Some(SpecDiff::default()),
                policy: Some(violations),
                ..ClusterSummary::default()
            },
            ClusterSummary {
                cluster: "clean.k8s.local".into(),
                spec_diff: Some(SpecDiff::default()),
                policy: Some(Vec::new()),
                ..ClusterSummary::default()
            },
        ],
    }
}

#[test]
fn policy_blocks_and_names_the_overrides() {
    let s = summary();
    assert!(s.policy_blocked());
    let overrides: Vec<(&str, &str)> = s
        .overrides()
        .map(|v| (v.cluster.as_str(), v.rule.as_str()))
        .collect();
    assert_eq!(overrides, [("test.k8s.local", "image-not-pinned")]);
}

#[test]
fn text_policy() {
    insta::assert_snapshot!(render_text(&summary(), false));
}

#[test]
fn markdown_policy() {
    insta::assert_snapshot!(render_markdown(&summary()));
}

#[test]
fn json_policy() {
    let out = render_json(&summary());
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["policy_blocked"], true);
    assert_eq!(value["overrides"][0]["rule"], "image-not-pinned");
    insta::assert_snapshot!(out);
}
