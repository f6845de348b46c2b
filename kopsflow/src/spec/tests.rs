//! Unit tests for `ClusterSpec`: the example spec, every kops output sample, round trips,
//! configBase injection, normalisation and the spec diff.

#![allow(clippy::unwrap_used)]

use camino::Utf8PathBuf;

use super::*;

const EXAMPLE_SPEC: &str = include_str!("../../../cluster-spec/test.k8s.example.com.yml");

/// kops output samples (copied from the shared kops-samples; line 1 is an `# origin:` comment).
const SAMPLES: &[(&str, &str)] = &[
    (
        "create-cluster-dry-run-o-yaml.REAL.kops-1.29.2.yaml",
        include_str!(
            "../../tests/kops-samples/create-cluster-dry-run-o-yaml.REAL.kops-1.29.2.yaml"
        ),
    ),
    (
        "create-cluster-dry-run-o-yaml.ha.kops-master-1.37.yaml",
        include_str!(
            "../../tests/kops-samples/create-cluster-dry-run-o-yaml.ha.kops-master-1.37.yaml"
        ),
    ),
    (
        "create-cluster-dry-run-o-yaml.kops-1.18.3.yaml",
        include_str!("../../tests/kops-samples/create-cluster-dry-run-o-yaml.kops-1.18.3.yaml"),
    ),
    (
        "create-cluster-dry-run-o-yaml.kops-1.29.2.yaml",
        include_str!("../../tests/kops-samples/create-cluster-dry-run-o-yaml.kops-1.29.2.yaml"),
    ),
    (
        "create-cluster-dry-run-o-yaml.kops-1.9.0.yaml",
        include_str!("../../tests/kops-samples/create-cluster-dry-run-o-yaml.kops-1.9.0.yaml"),
    ),
];
const GET_CLUSTER: &str =
    include_str!("../../tests/kops-samples/get-cluster-o-yaml.REAL.kops-1.29.2.yaml");
const GET_INSTANCE_GROUPS: &str =
    include_str!("../../tests/kops-samples/get-instancegroups-o-yaml.REAL.kops-1.29.2.yaml");

fn strip_origin(text: &str) -> &str {
    assert!(text.starts_with("# origin:"));
    text.split_once('\n').unwrap().1
}

fn spec_file(name: &str) -> Utf8PathBuf {
    Utf8PathBuf::from(format!("cluster-spec/{name}.yml"))
}

fn parse_ok(name: &str, text: &str) -> ClusterSpec {
    match ClusterSpec::parse(&spec_file(name), text) {
        Ok(loaded) => {
            assert_eq!(loaded.warnings, vec![], "{name}: warnings");
            loaded.spec
        }
        Err(diagnostics) => panic!("{name}:\n{}", render_diagnostics(&diagnostics)),
    }
}

fn live_spec() -> ClusterSpec {
    ClusterSpec::from_kops_output(strip_origin(GET_CLUSTER), strip_origin(GET_INSTANCE_GROUPS))
        .unwrap()
}

#[test]
fn example_spec_parses_with_typed_fields() {
    let spec = parse_ok("test.k8s.example.com", EXAMPLE_SPEC);
    assert_eq!(spec.name(), "test.k8s.example.com");
    assert_eq!(
        spec.config_base(),
        Some("s3://k8s-kops/test.k8s.example.com")
    );
    assert_eq!(spec.cluster.kubernetes_version.as_deref(), Some("1.29.2"));
    assert_eq!(
        spec.cluster.subnets,
        vec![Subnet {
            name: "ap-northeast-1a".into(),
            zone: Some("ap-northeast-1a".into()),
            cidr: Some("172.20.32.0/19".into()),
            subnet_type: Some("Public".into()),
        }]
    );
    assert_eq!(
        spec.instance_group_names(),
        vec!["control-plane-ap-northeast-1a", "nodes-ap-northeast-1a"]
    );
    let nodes = spec.instance_group("nodes-ap-northeast-1a").unwrap();
    assert_eq!(nodes.role.as_deref(), Some("Node"));
    assert_eq!((nodes.min_size, nodes.max_size), (Some(2), Some(3)));
    assert_eq!(nodes.machine_type.as_deref(), Some("t3.medium"));
    assert_eq!(nodes.subnets, vec!["ap-northeast-1a"]);
    assert_eq!(nodes.cluster_label.as_deref(), Some("test.k8s.example.com"));
    assert_eq!(nodes.labels.len(), 1);
}

#[test]
fn example_spec_serialises_back_to_its_own_text() {
    // The example is already in kops's canonical layout, so the canonical form is byte-equal.
    let spec = parse_ok("test.k8s.example.com", EXAMPLE_SPEC);
    assert_eq!(spec.to_kops_yaml(), EXAMPLE_SPEC);
}

#[test]
fn every_kops_sample_loads_from_kops_output_and_from_a_file() {
    for (sample, text) in SAMPLES {
        let text = strip_origin(text);
        let live =
            ClusterSpec::from_kops_output(text, "").unwrap_or_else(|e| panic!("{sample}: {e:#}"));
        assert!(!live.instance_groups.is_empty(), "{sample}");
        assert!(live.config_base().is_some(), "{sample}");
        assert!(
            live.instance_groups
                .iter()
                .all(|ig| ig.cluster_label.as_deref() == Some(live.name())),
            "{sample}"
        );
        let from_file = parse_ok(live.name(), text);
        assert_eq!(from_file.cluster, live.cluster, "{sample}");
        assert_eq!(from_file.instance_groups, live.instance_groups, "{sample}");
    }
    let live = live_spec();
    assert_eq!(live.name(), "test.k8s.local");
    assert_eq!(
        live.instance_group_names(),
        vec!["control-plane-us-east-1a", "nodes-us-east-1a"]
    );
}

#[test]
fn kops_yaml_round_trips_to_an_equal_spec() {
    let mut specs = vec![parse_ok("test.k8s.example.com", EXAMPLE_SPEC), live_spec()];
    for (_, text) in SAMPLES {
        specs.push(ClusterSpec::from_kops_output(strip_origin(text), "").unwrap());
    }
    for spec in specs {
        let yaml = spec.to_kops_yaml();
        assert!(
            !yaml.ends_with("---\n") && !yaml.contains("---\n---"),
            "{yaml}"
        );
        assert!(!yaml.starts_with("---"), "{yaml}");
        assert_eq!(yaml.matches("\n---\n").count(), spec.instance_groups.len());
        let reparsed = ClusterSpec::parse(&spec_file(spec.name()), &yaml)
            .unwrap_or_else(|d| panic!("{}", render_diagnostics(&d)));
        assert_eq!(reparsed.spec.cluster, spec.cluster);
        assert_eq!(reparsed.spec.instance_groups, spec.instance_groups);
        // Canonical: serialising again gives the same text.
        assert_eq!(reparsed.spec.to_kops_yaml(), yaml);
    }
}

#[test]
fn document_accessors_return_single_documents() {
    let spec = parse_ok("test.k8s.example.com", EXAMPLE_SPEC);
    let cluster = spec.cluster_yaml();
    assert!(cluster.starts_with("apiVersion: kops.k8s.io/v1alpha2\nkind: Cluster\n"));
    assert!(!cluster.contains("---"));
    let ig = spec.instance_group_yaml("nodes-ap-northeast-1a").unwrap();
    assert!(ig.contains("name: nodes-ap-northeast-1a\n") && ig.contains("maxSize: 3\n"));
    assert_eq!(spec.instance_group_yaml("nope"), None);
}

#[test]
fn empty_documents_and_separators_never_reach_kops() {
    let text = format!("---\n\n---\n{EXAMPLE_SPEC}---\n\n---\n");
    let spec = parse_ok("test.k8s.example.com", &text);
    assert_eq!(spec.to_kops_yaml(), EXAMPLE_SPEC);
}

#[test]
fn cluster_comes_first_and_groups_keep_file_order() {
    let (cluster, groups) = EXAMPLE_SPEC.split_once("---\n").unwrap();
    let (control_plane, nodes) = groups.split_once("---\n").unwrap();
    let shuffled = format!("{nodes}---\n{cluster}---\n{control_plane}");
    let spec = parse_ok("test.k8s.example.com", &shuffled);
    let yaml = spec.to_kops_yaml();
    assert!(yaml.starts_with(cluster), "{yaml}");
    assert_eq!(
        spec.instance_group_names(),
        vec!["nodes-ap-northeast-1a", "control-plane-ap-northeast-1a"]
    );
}

#[test]
fn with_config_base_only_fills_an_absent_value() {
    let spec = parse_ok("test.k8s.example.com", EXAMPLE_SPEC);
    let kept = spec.with_config_base("s3://elsewhere/x");
    assert_eq!(kept, spec);

    let without = EXAMPLE_SPEC.replace("  configBase: s3://k8s-kops/test.k8s.example.com\n", "");
    let spec = parse_ok("test.k8s.example.com", &without);
    assert_eq!(spec.config_base(), None);
    let injected = spec.with_config_base("s3://prod-state/test.k8s.example.com");
    assert_eq!(
        injected.config_base(),
        Some("s3://prod-state/test.k8s.example.com")
    );
    assert!(injected
        .cluster_yaml()
        .contains("  configBase: s3://prod-state/test.k8s.example.com\n"));
    assert_eq!(injected.instance_groups, spec.instance_groups);
    // The original is untouched.
    assert_eq!(spec.config_base(), None);
}

#[test]
fn legacy_api_version_is_accepted() {
    let legacy = EXAMPLE_SPEC.replace(
        "apiVersion: kops.k8s.io/v1alpha2",
        "apiVersion: kops/v1alpha2",
    );
    let spec = parse_ok("test.k8s.example.com", &legacy);
    assert!(spec
        .to_kops_yaml()
        .starts_with("apiVersion: kops/v1alpha2\n"));
    // Normalised specs use the current apiVersion, so legacy files do not show a diff.
    let current = parse_ok("test.k8s.example.com", EXAMPLE_SPEC);
    assert!(diff(&spec, &current).is_empty());
}

#[test]
fn normalized_drops_server_set_fields_and_sorts_groups() {
    let text = format!(
        "{}\nstatus:\n  phase: x\n",
        EXAMPLE_SPEC
            .replace(
                "  name: test.k8s.example.com\n",
                "  creationTimestamp: null\n  generation: 3\n  name: test.k8s.example.com\n"
            )
            .split_once("---\n")
            .unwrap()
            .0
            .trim_end()
    );
    let groups = EXAMPLE_SPEC.split_once("---\n").unwrap().1;
    let (control_plane, nodes) = groups.split_once("---\n").unwrap();
    let text = format!("{text}---\n{nodes}---\n{control_plane}");
    let spec = parse_ok("test.k8s.example.com", &text);
    let normalized = spec.normalized();
    let yaml = normalized.cluster_yaml();
    for server_set in ["creationTimestamp", "generation", "status"] {
        assert!(spec.cluster_yaml().contains(server_set));
        assert!(!yaml.contains(server_set), "{server_set} in {yaml}");
    }
    assert_eq!(
        normalized.instance_group_names(),
        vec!["control-plane-ap-northeast-1a", "nodes-ap-northeast-1a"]
    );
    let live = live_spec().normalized();
    assert!(!live.to_kops_yaml().contains("creationTimestamp"));
}

#[test]
fn from_kops_output_reports_broken_output_with_context() {
    let error = ClusterSpec::from_kops_output("kind: [", "").unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("kops get"), "{message}");
    assert!(message.contains("YAML syntax error"), "{message}");
    let error = ClusterSpec::from_kops_output("", strip_origin(GET_INSTANCE_GROUPS)).unwrap_err();
    assert!(format!("{error:#}").contains("no `kind: Cluster` document"));
}

/// git = the live spec edited the way a user would: version bump, nodes maxSize 1→5, a new
/// IG, the control-plane IG dropped, creationTimestamp and configBase removed (neither is a
/// change).
fn git_spec_from_live() -> ClusterSpec {
    let cluster = strip_origin(GET_CLUSTER)
        .replace("kubernetesVersion: 1.28.6", "kubernetesVersion: 1.29.2")
        .replace("  configBase: /srv/kstate/test.k8s.local\n", "")
        .replace("  creationTimestamp: \"2026-11-25T19:17:00Z\"\n", "");
    let groups = strip_origin(GET_INSTANCE_GROUPS)
        .replace("  creationTimestamp: \"2026-11-25T19:17:00Z\"\n", "");
    let (_control_plane, nodes) = groups.split_once("\n---\n\n").unwrap();
    let nodes = nodes.replace("maxSize: 1", "maxSize: 5");
    let extra = nodes
        .replace("name: nodes-us-east-1a", "name: extra-nodes")
        .replace("machineType: t3.medium", "machineType: m5.large");
    let text = format!("{cluster}---\n{nodes}---\n{extra}");
    assert!(!text.contains("creationTimestamp") && !text.contains("configBase"));
    parse_ok("test.k8s.local", &text)
}

#[test]
fn diff_against_live_shows_exactly_the_edits() {
    let live = live_spec();
    let git = git_spec_from_live();
    let spec_diff = diff(&git, &live);
    insta::assert_snapshot!(spec_diff.to_string());
    assert_eq!(
        spec_diff.removed_instance_groups().collect::<Vec<_>>(),
        vec!["control-plane-us-east-1a"]
    );
}

#[test]
fn diff_of_identical_specs_is_empty_regardless_of_key_order_and_server_fields() {
    let live = live_spec();
    assert!(diff(&live, &live).is_empty());
    // Same content, keys of the nodes group's spec reversed, no timestamps, no configBase.
    let groups = strip_origin(GET_INSTANCE_GROUPS)
        .replace("  creationTimestamp: \"2026-11-25T19:17:00Z\"\n", "");
    let groups = groups.replace(
        "  machineType: t3.medium\n  maxSize: 1\n  minSize: 1\n  role: Node\n",
        "  role: Node\n  minSize: 1\n  maxSize: 1\n  machineType: t3.medium\n",
    );
    let cluster =
        strip_origin(GET_CLUSTER).replace("  configBase: /srv/kstate/test.k8s.local\n", "");
    let git = parse_ok("test.k8s.local", &format!("{cluster}---\n{groups}"));
    let spec_diff = diff(&git, &live);
    assert!(spec_diff.is_empty(), "{spec_diff}");
    assert_eq!(spec_diff.to_string(), "no spec changes\n");
}

#[test]
fn diff_paths_and_values_are_compact() {
    let live = live_spec();
    let cluster = strip_origin(GET_CLUSTER)
        .replace("  - cidr: 172.20.0.0/16\n", "  - cidr: 172.20.0.0/17\n")
        .replace(
            "  sshAccess:\n  - 0.0.0.0/0\n  - ::/0\n",
            "  sshAccess:\n  - 10.0.0.0/8\n",
        )
        .replace("  kubeProxy:\n    enabled: false\n", "")
        .replace(
            "  configBase: /srv/kstate/test.k8s.local\n",
            "  configBase: s3://other/test.k8s.local\n",
        );
    let groups = strip_origin(GET_INSTANCE_GROUPS).replace(
        "  role: Node\n",
        "  nodeLabels:\n    foo: bar\n    kops.k8s.io/instancegroup: nodes\n  role: Node\n",
    );
    let git = parse_ok("test.k8s.local", &format!("{cluster}---\n{groups}"));
    let lines: Vec<String> = diff(&git, &live)
        .changes
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines,
        vec![
            "Cluster spec.configBase: /srv/kstate/test.k8s.local → s3://other/test.k8s.local",
            "Cluster spec.kubeProxy: {enabled: false} → (absent)",
            "Cluster spec.sshAccess: [0.0.0.0/0, \"::/0\"] → [10.0.0.0/8]",
            "Cluster spec.subnets[0].cidr: 172.20.0.0/16 → 172.20.0.0/17",
            "InstanceGroup nodes-us-east-1a spec.nodeLabels: (absent) → {foo: bar, kops.k8s.io/instancegroup: nodes}",
        ]
    );
}

#[test]
fn parse_collects_every_error_and_keeps_warnings_after_them() {
    let text = EXAMPLE_SPEC
        .replace("kubernetesVersion: 1.29.2", "kubernetesVerison: 1.29.2")
        .replace("role: Node", "role: worker")
        .replace("maxSize: 3", "maxSize: -3");
    let diagnostics = ClusterSpec::parse(&spec_file("test.k8s.example.com"), &text).unwrap_err();
    let summary: Vec<(Severity, Option<String>)> = diagnostics
        .iter()
        .map(|d| (d.severity, d.path.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                Severity::Error,
                Some("InstanceGroup nodes-ap-northeast-1a: spec.maxSize".into())
            ),
            (
                Severity::Error,
                Some("InstanceGroup nodes-ap-northeast-1a: spec.role".into())
            ),
            (Severity::Warning, Some("spec.kubernetesVerison".into())),
        ]
    );
    assert_eq!(
        diagnostics[1].hint.as_deref(),
        Some("did you mean `Node`? (v1alpha2 roles: Master, Node, Bastion, APIServer)")
    );
}

/// Sizes beyond kops's 32-bit `minSize`/`maxSize` are refused at their line (they made the cost
/// estimate overflow, issue 16); the largest one kops reads is fine.
#[test]
fn sizes_beyond_what_kops_reads_are_refused_at_their_line() {
    let file = spec_file("test.k8s.example.com");
    let line = EXAMPLE_SPEC
        .lines()
        .position(|l| l.contains("maxSize: 3"))
        .unwrap()
        + 1;
    let text = EXAMPLE_SPEC.replace("maxSize: 3", "maxSize: 1000000000000");
    let diagnostics = ClusterSpec::parse(&file, &text).unwrap_err();
    let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{}", render_diagnostics(&diagnostics));
    assert_eq!(errors[0].line, Some(line));
    assert_eq!(
        errors[0].message,
        "maxSize 1000000000000 is more than kops accepts (2147483647)"
    );
    assert!(errors[0].hint.as_deref().unwrap().contains("32-bit"));
    let largest = EXAMPLE_SPEC.replace("maxSize: 3", "maxSize: 2147483647");
    assert!(ClusterSpec::parse(&file, &largest).is_ok());
}
