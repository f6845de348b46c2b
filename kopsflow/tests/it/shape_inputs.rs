//! The 1 MB inputs of issue 16's shapes, built once for both their users: the regression tests
//! in `shape_bounds.rs` assert what kopsflow answers for them, and the speed benchmark
//! (`benches/shapes.rs`, which includes this file by path) times those answers.
// Each user takes only the builders it needs.
#![allow(dead_code)]

use kopsflow::spec::ClusterSpec;

pub const MB: usize = 1 << 20;

/// Instance groups on each side of the cost cases: as many as a 12 MB spec file holds.
pub const GROUPS: usize = 40_000;

pub fn cluster(subnets: &str) -> String {
    format!("apiVersion: kops.k8s.io/v1alpha2\nkind: Cluster\nmetadata:\n  name: big.example.com\nspec:\n  cloudProvider: aws\n  kubernetesVersion: 1.29.2\n  networkCIDR: 10.0.0.0/8\n  subnets:\n{subnets}")
}

pub fn subnet(i: usize, cidr: &str) -> String {
    format!("  - cidr: {cidr}\n    name: s{i}\n    type: Public\n    zone: us-east-1a\n")
}

pub fn group(i: usize, machine: &str, max: u64) -> String {
    format!("---\napiVersion: kops.k8s.io/v1alpha2\nkind: InstanceGroup\nmetadata:\n  labels:\n    kops.k8s.io/cluster: big.example.com\n  name: nodes-{i:05}\nspec:\n  machineType: {machine}\n  maxSize: {max}\n  minSize: 1\n  role: Node\n  subnets:\n  - s0\n")
}

pub fn parse(text: &str) -> ClusterSpec {
    ClusterSpec::from_kops_output(text, "").unwrap()
}

/// 1 MB of subnets (60k, a CIDR on every 100th), `moved` shifting every CIDR by one `/16`.
fn subnets(moved: bool) -> String {
    let mut text = String::new();
    for i in 0.. {
        if text.len() >= MB {
            break;
        }
        text.push_str(&format!("  - name: s{i}\n"));
        if i % 100 == 0 {
            text.push_str(&format!(
                "    cidr: 10.{}.{}.0/24\n",
                i / 25_600 + usize::from(moved),
                i / 100 % 256
            ));
        }
    }
    text
}

/// `(git, live)`: 1 MB of subnets live, git listing them in reverse with every CIDR (on every
/// 100th subnet) moved — one `network-cidr-changed` finding each.
pub fn moved_subnets() -> (ClusterSpec, ClusterSpec) {
    let live = parse(&cluster(&subnets(false)));
    let mut git = parse(&cluster(&subnets(true)));
    git.cluster.subnets.reverse();
    (git, live)
}

/// A spec with `count` instance groups, copies of one parsed group named `nodes-NNNNN` with the
/// machine type `{machine}NNNNN`: as many groups as a 12 MB spec file holds, built in memory.
pub fn many_groups(count: usize, machine: &str) -> ClusterSpec {
    let text = format!(
        "{}{}",
        cluster(&subnet(0, "10.0.0.0/24")),
        group(0, "t3.medium", 3)
    );
    let mut spec = parse(&text);
    let template = spec.instance_groups.remove(0);
    spec.instance_groups = (0..count)
        .map(|i| {
            let mut ig = template.clone();
            ig.name = format!("nodes-{i:05}");
            ig.machine_type = Some(format!("{machine}{i:05}"));
            ig
        })
        .collect();
    spec
}

/// `(git, live)`: GROUPS instance groups on each side, every machine type without a price, and
/// different on the two sides: every group changed and unknown, on both sides.
pub fn unpriced_groups() -> (ClusterSpec, ClusterSpec) {
    (
        many_groups(GROUPS, "x9.made-up-"),
        many_groups(GROUPS, "y9.made-up-"),
    )
}

/// `git` with its second half of instance groups gone (they stay, still running, with prune off).
pub fn half_the_groups(git: &ClusterSpec) -> ClusterSpec {
    let mut half = git.clone();
    half.instance_groups.truncate(GROUPS / 2);
    half
}

/// A spec file (`cluster-spec/big.example.com.yml`) whose last line, line 14, is one 1 MB flow
/// mapping of `MB / 6` keys `a`: `MB / 6 - 1` duplicates. The same shape as the unit test
/// `spec::large_input_tests::duplicate_keys_170k_on_one_line_and_keys_that_read_alike`, which,
/// inside the crate, cannot include this file.
pub fn duplicate_keys_on_one_line() -> String {
    let mut text = cluster(&subnet(0, "10.0.0.0/24"));
    text.push_str("  x: {");
    text.push_str(&"a: 1, ".repeat(MB / 6));
    text.push_str("}\n");
    text
}
