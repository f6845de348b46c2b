//! Policy corpus: specs and spec changes that break each built-in rule, and near misses that must
//! pass. Every case is DERIVED from the real kops 1.29.2 recordings `get-cluster-o-yaml` and
//! `get-instancegroups-o-yaml` (cluster test.k8s.local, Kubernetes 1.28.6, API and SSH open to
//! `0.0.0.0/0` and `::/0`): production is the recording as kops printed it, git is the same spec
//! without server-set fields, and each case edits one or both with exact text replacements (each
//! must match). The violations of each breaking case are snapshotted (reviewed), and the rules
//! they name are asserted.

use camino::Utf8Path;
use kopsflow::policy::{Policy, Settings, Violation};
use kopsflow::spec::ClusterSpec;

use crate::samples::sample;

/// One case: edits to git's spec and to production's, as `(from, to)` replacements (of every
/// occurrence).
struct Case {
    name: &'static str,
    git: &'static [(&'static str, &'static str)],
    live: &'static [(&'static str, &'static str)],
    /// The rules that must fire, in report order (empty: a near miss that must pass).
    expect: &'static [&'static str],
}

const PRODUCTION: (&str, &str) = (
    "  cloudProvider: aws\n",
    "  cloudLabels:\n    environment: production\n  cloudProvider: aws\n",
);
const API_RESTRICTED: (&str, &str) = (
    "  kubernetesApiAccess:\n  - 0.0.0.0/0\n  - ::/0\n",
    "  kubernetesApiAccess:\n  - 203.0.113.0/24\n",
);
const SSH_RESTRICTED: (&str, &str) = (
    "  sshAccess:\n  - 0.0.0.0/0\n  - ::/0\n",
    "  sshAccess:\n  - 203.0.113.0/24\n",
);
const CP_MEMBER: &str = "      instanceGroup: control-plane-us-east-1a\n      name: a\n";

const CASES: &[Case] = &[
    // ── breaking ──────────────────────────────────────────────────────────────────────────
    Case {
        name: "kubernetes-minor-jump",
        git: &[("kubernetesVersion: 1.28.6", "kubernetesVersion: 1.30.2")],
        live: &[],
        expect: &["kubernetes-minor-jump"],
    },
    Case {
        name: "kubernetes-downgrade",
        git: &[("kubernetesVersion: 1.28.6", "kubernetesVersion: v1.27.9")],
        live: &[],
        expect: &["kubernetes-downgrade"],
    },
    Case {
        name: "kubernetes-patch-downgrade",
        git: &[("kubernetesVersion: 1.28.6", "kubernetesVersion: 1.28.5")],
        live: &[],
        expect: &["kubernetes-downgrade"],
    },
    Case {
        name: "api-open-to-world",
        git: &[PRODUCTION, SSH_RESTRICTED],
        live: &[],
        expect: &["api-open-to-world", "api-open-to-world"],
    },
    Case {
        name: "ssh-open-to-world-ipv6",
        git: &[
            PRODUCTION,
            API_RESTRICTED,
            ("  sshAccess:\n  - 0.0.0.0/0\n  - ::/0\n", "  sshAccess:\n  - 203.0.113.0/24\n  - ::/0\n"),
        ],
        live: &[],
        expect: &["ssh-open-to-world"],
    },
    Case {
        name: "production-mark-removed-in-git",
        // Production is marked; git drops the mark and is still held to production's rules.
        git: &[SSH_RESTRICTED],
        live: &[PRODUCTION],
        expect: &["api-open-to-world", "api-open-to-world"],
    },
    Case {
        name: "instance-group-max-size",
        git: &[("  maxSize: 1\n  minSize: 1\n  role: Node\n", "  maxSize: 80\n  minSize: 1\n  role: Node\n")],
        live: &[],
        expect: &["instance-group-max-size"],
    },
    Case {
        name: "control-plane-min-size-zero",
        git: &[("  maxSize: 1\n  minSize: 1\n  role: Master\n", "  maxSize: 1\n  minSize: 0\n  role: Master\n")],
        live: &[],
        expect: &["control-plane-min-size-zero"],
    },
    Case {
        name: "image-not-pinned",
        git: &[
            ("  image: 099720109477/ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240126\n  machineType: t3.medium\n  maxSize: 1\n  minSize: 1\n  role: Master\n",
             "  image: 099720109477/ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*\n  machineType: t3.medium\n  maxSize: 1\n  minSize: 1\n  role: Master\n"),
            ("  image: 099720109477/ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240126\n  machineType: t3.medium\n  maxSize: 1\n  minSize: 1\n  role: Node\n",
             "  machineType: t3.medium\n  maxSize: 1\n  minSize: 1\n  role: Node\n"),
        ],
        live: &[],
        expect: &["image-not-pinned", "image-not-pinned"],
    },
    Case {
        name: "etcd-member-renamed",
        // Member `a` of both etcd clusters (`main`, `events`) becomes `b`.
        git: &[(CP_MEMBER, "      instanceGroup: control-plane-us-east-1a\n      name: b\n")],
        live: &[],
        expect: &["etcd-member-removed", "etcd-member-removed"],
    },
    Case {
        name: "etcd-cluster-removed",
        git: &[(
            "  - cpuRequest: 100m\n    etcdMembers:\n    - encryptedVolume: true\n      instanceGroup: control-plane-us-east-1a\n      name: a\n    manager:\n      backupRetentionDays: 90\n    memoryRequest: 100Mi\n    name: events\n",
            "",
        )],
        live: &[],
        expect: &["etcd-member-removed"],
    },
    Case {
        name: "control-plane-ig-renamed",
        // The group, its etcd members and its name move to zone b's name (same subnet).
        git: &[
            ("      instanceGroup: control-plane-us-east-1a\n", "      instanceGroup: control-plane-b\n"),
            ("  name: control-plane-us-east-1a\n", "  name: control-plane-b\n"),
        ],
        live: &[],
        expect: &[
            "etcd-member-removed",
            "etcd-member-removed",
            "control-plane-ig-removed",
        ],
    },
    Case {
        name: "network-cidr-changed",
        git: &[
            ("  networkCIDR: 172.20.0.0/16\n", "  networkCIDR: 172.21.0.0/16\n"),
            ("  - cidr: 172.20.0.0/16\n", "  - cidr: 172.21.0.0/16\n"),
        ],
        live: &[],
        expect: &["network-cidr-changed", "network-cidr-changed"],
    },
    Case {
        name: "network-cidr-removed",
        // Git drops networkCIDR and a range production has; the API server range appears.
        git: &[
            ("  networkCIDR: 172.20.0.0/16\n", "  serviceClusterIPRange: 100.64.0.0/13\n"),
        ],
        live: &[(
            "  networkCIDR: 172.20.0.0/16\n",
            "  additionalNetworkCIDRs:\n  - 172.21.0.0/16\n  networkCIDR: 172.20.0.0/16\n",
        )],
        expect: &["network-cidr-changed", "network-cidr-changed", "network-cidr-changed"],
    },
    Case {
        name: "networking-provider-changed",
        git: &[("    cilium:\n      enableNodePort: true\n", "    calico: {}\n")],
        live: &[],
        expect: &["networking-provider-changed"],
    },
    // ── near misses: must pass ────────────────────────────────────────────────────────────
    Case {
        name: "no-change",
        git: &[],
        live: &[],
        expect: &[],
    },
    Case {
        name: "one-minor-upgrade",
        git: &[("kubernetesVersion: 1.28.6", "kubernetesVersion: 1.29.2")],
        live: &[],
        expect: &[],
    },
    Case {
        name: "patch-upgrade-with-v-prefix",
        git: &[("kubernetesVersion: 1.28.6", "kubernetesVersion: v1.28.7")],
        live: &[],
        expect: &[],
    },
    Case {
        name: "open-api-on-a-cluster-not-marked-production",
        git: &[("  cloudProvider: aws\n", "  cloudLabels:\n    environment: staging\n  cloudProvider: aws\n")],
        live: &[],
        expect: &[],
    },
    Case {
        name: "production-restricted-to-known-networks",
        git: &[PRODUCTION, API_RESTRICTED, SSH_RESTRICTED],
        live: &[PRODUCTION, API_RESTRICTED, SSH_RESTRICTED],
        expect: &[],
    },
    Case {
        name: "max-size-at-the-bound-and-nodes-scaling-to-zero",
        git: &[("  maxSize: 1\n  minSize: 1\n  role: Node\n", "  maxSize: 50\n  minSize: 0\n  role: Node\n")],
        live: &[],
        expect: &[],
    },
    Case {
        name: "image-pinned-by-ami-id",
        git: &[(
            "  image: 099720109477/ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240126\n  machineType: t3.medium\n  maxSize: 1\n  minSize: 1\n  role: Node\n",
            "  image: ami-0123456789abcdef0\n  machineType: t3.medium\n  maxSize: 1\n  minSize: 1\n  role: Node\n",
        )],
        live: &[],
        expect: &[],
    },
    Case {
        name: "etcd-settings-changed",
        git: &[("      backupRetentionDays: 90\n", "      backupRetentionDays: 30\n")],
        live: &[],
        expect: &[],
    },
    Case {
        name: "node-instance-group-removed",
        git: &[(
            "---\napiVersion: kops.k8s.io/v1alpha2\nkind: InstanceGroup\nmetadata:\n  labels:\n    kops.k8s.io/cluster: test.k8s.local\n  name: nodes-us-east-1a\n",
            "---\napiVersion: kops.k8s.io/v1alpha2\nkind: InstanceGroup\nmetadata:\n  labels:\n    kops.k8s.io/cluster: test.k8s.local\n  name: nodes-us-east-1b\n",
        )],
        live: &[],
        expect: &[],
    },
    Case {
        name: "networking-options-changed-and-a-network-range-added",
        git: &[
            ("      enableNodePort: true\n", "      enableNodePort: false\n"),
            (
                "  networkCIDR: 172.20.0.0/16\n",
                "  additionalNetworkCIDRs:\n  - 172.21.0.0/16\n  networkCIDR: 172.20.0.0/16\n",
            ),
        ],
        live: &[],
        expect: &[],
    },
];

fn edit(text: &str, edits: &[(&str, &str)], case: &str) -> String {
    let mut text = text.to_owned();
    for (from, to) in edits {
        assert!(text.contains(from), "{case}: {from:?} not in the spec");
        text = text.replace(from, to);
    }
    text
}

/// Production's spec as kops printed it, and git's (no server-set fields), before the edits.
fn base() -> (String, String) {
    let live = format!(
        "{}---\n{}",
        sample("get-cluster-o-yaml.REAL.kops-1.29.2.yaml"),
        sample("get-instancegroups-o-yaml.REAL.kops-1.29.2.yaml")
    );
    let git = live
        .lines()
        .filter(|l| !l.contains("creationTimestamp"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace("\n---\n\n", "\n---\n");
    (live, git)
}

fn evaluate(case: &Case) -> Vec<Violation> {
    let (live, git) = base();
    let file = Utf8Path::new("cluster-spec/test.k8s.local.yml");
    let git = ClusterSpec::parse(file, &edit(&git, case.git, case.name))
        .unwrap_or_else(|d| panic!("{}: {d:#?}", case.name))
        .spec;
    let live = ClusterSpec::from_kops_output(&edit(&live, case.live, case.name), "").unwrap();
    Policy::new(Settings::default()).evaluate(&git, Some(&live), &[])
}

#[test]
fn each_rule_fires_on_its_case_and_near_misses_pass() {
    let mut broken = 0;
    for case in CASES {
        let violations = evaluate(case);
        let rules: Vec<&str> = violations.iter().map(|v| v.rule.as_str()).collect();
        assert_eq!(rules, case.expect, "{}", case.name);
        if case.expect.is_empty() {
            continue;
        }
        broken += 1;
        let text: String = violations.iter().map(|v| format!("{v}\n")).collect();
        insta::assert_snapshot!(format!("policy_{}", case.name), text);
    }
    assert!(broken >= 14);
}

/// Every built-in rule is broken by some case.
#[test]
fn the_corpus_covers_every_builtin_rule() {
    for rule in kopsflow::policy::rules::builtin() {
        assert!(
            CASES.iter().any(|c| c.expect.contains(&rule.name)),
            "no case breaks {}",
            rule.name
        );
    }
}

/// Offline (`validate`, a new cluster) only the spec rules run: a version jump cannot be seen.
#[test]
fn without_production_change_rules_are_not_evaluated() {
    let (_, git) = base();
    let git = edit(
        &git,
        &[
            ("kubernetesVersion: 1.28.6", "kubernetesVersion: 1.30.2"),
            (
                "  maxSize: 1\n  minSize: 1\n  role: Node\n",
                "  maxSize: 80\n  minSize: 1\n  role: Node\n",
            ),
        ],
        "offline",
    );
    let git = ClusterSpec::parse(Utf8Path::new("cluster-spec/test.k8s.local.yml"), &git)
        .unwrap()
        .spec;
    let violations = Policy::new(Settings::default()).evaluate(&git, None, &[]);
    let rules: Vec<&str> = violations.iter().map(|v| v.rule.as_str()).collect();
    assert_eq!(rules, ["instance-group-max-size"]);
}
