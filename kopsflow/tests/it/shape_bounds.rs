//! Sizes and shapes of specs that made the policy and the cost estimate slow or wrong (issue 16):
//! 1 MB specs with 15k subnets or 4k instance groups, every one of them changed, priced or
//! unknown on both sides, and an absurd `maxSize`. The outcomes are asserted; so is a time budget,
//! because the quadratic versions gave the right answer, only seconds to minutes later: each
//! budget is many times what the linear work takes on a busy 2-core machine (debug build) and a
//! fraction of what the quadratic version took.

use std::time::{Duration, Instant};

use kopsflow::cost::{estimate, Micros, PriceTable};
use kopsflow::policy::{Policy, Settings};
use kopsflow::spec::ClusterSpec;

const MB: usize = 1 << 20;

/// Runs `work`, failing when it takes longer than `seconds`.
fn within<T>(seconds: u64, what: &str, work: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let result = work();
    let elapsed = start.elapsed();
    eprintln!("TIMING {what}: {elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(seconds),
        "{what} took {elapsed:?} (budget {seconds} s)"
    );
    result
}

fn cluster(subnets: &str) -> String {
    format!("apiVersion: kops.k8s.io/v1alpha2\nkind: Cluster\nmetadata:\n  name: big.example.com\nspec:\n  cloudProvider: aws\n  kubernetesVersion: 1.29.2\n  networkCIDR: 10.0.0.0/8\n  subnets:\n{subnets}")
}

fn subnet(i: usize, cidr: &str) -> String {
    format!("  - cidr: {cidr}\n    name: s{i}\n    type: Public\n    zone: us-east-1a\n")
}

fn group(i: usize, machine: &str, max: u64) -> String {
    format!("---\napiVersion: kops.k8s.io/v1alpha2\nkind: InstanceGroup\nmetadata:\n  labels:\n    kops.k8s.io/cluster: big.example.com\n  name: nodes-{i:05}\nspec:\n  machineType: {machine}\n  maxSize: {max}\n  minSize: 1\n  role: Node\n  subnets:\n  - s0\n")
}

fn parse(text: &str) -> ClusterSpec {
    ClusterSpec::from_kops_output(text, "").unwrap()
}

/// 1 MB of subnets (60k, a CIDR on every 100th), git listing them in reverse with every 100th
/// CIDR moved: one finding each.
#[test]
fn network_cidr_changed_over_60k_subnets() {
    let subnets = |moved: bool| -> String {
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
    };
    let live = parse(&cluster(&subnets(false)));
    let mut git = parse(&cluster(&subnets(true)));
    git.cluster.subnets.reverse();
    let count = live.cluster.subnets.len();
    assert!(count > 50_000, "{count}");
    let violations = within(10, "the policy", || {
        Policy::new(Settings::default()).evaluate(&git, Some(&live), &[])
    });
    let moved = violations
        .iter()
        .filter(|v| v.rule == "network-cidr-changed")
        .count();
    assert_eq!(moved, count.div_ceil(100));
}

/// A spec with `count` instance groups, copies of one parsed group named `nodes-NNNNN` with the
/// machine type `{machine}NNNNN`: as many groups as a 12 MB spec file holds, built in memory.
fn many_groups(count: usize, machine: &str) -> ClusterSpec {
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

#[test]
fn cost_of_40k_groups_each_changed_and_each_unknown() {
    const COUNT: usize = 40_000;
    // Machine types without a price: every group unknown, on both sides.
    let (git, live) = (
        many_groups(COUNT, "x9.made-up-"),
        many_groups(COUNT, "y9.made-up-"),
    );
    let table = PriceTable::bundled();
    let change = within(10, "the estimate", || {
        estimate(&git, Some(&live), &table, false)
    });
    let unknown = within(10, "the unknown prices", || change.unknown());
    assert_eq!(change.groups.len(), COUNT);
    assert_eq!(unknown.len(), 2 * COUNT);
    assert!(
        unknown[0].starts_with("nodes-00000: no price for"),
        "{}",
        unknown[0]
    );
    // Half the groups gone from git: they stay, still running, with prune off.
    let mut half = git.clone();
    half.instance_groups.truncate(COUNT / 2);
    let change = within(10, "the estimate", || {
        estimate(&half, Some(&live), &table, false)
    });
    assert_eq!(change.groups.len(), COUNT);
    assert_eq!(change.still_running().count(), COUNT / 2);
}

/// `maxSize: 1000000000000` (beyond what kops reads, docs/KOPS.md): the estimate saturates
/// instead of overflowing (a panic in debug builds, `$0.00` in release ones).
#[test]
fn absurd_sizes_saturate_the_estimate() {
    let text = format!(
        "{}{}",
        cluster(&subnet(0, "10.0.0.0/24")),
        group(0, "m5.4xlarge", 1_000_000_000_000)
    );
    let git = parse(&text);
    let live = parse(&text.replace("1000000000000", "1"));
    let table = PriceTable::bundled();
    let change = estimate(&git, Some(&live), &table, false);
    let after = change.after().unwrap();
    assert_eq!(after.max, Micros(u64::MAX));
    let shown = after.to_string();
    assert!(shown.ends_with("$18,446,744,073,709.55"), "{shown}");
    let (_, ceiling) = change.delta().unwrap();
    assert!(kopsflow::cost::signed(ceiling).starts_with("+$18,446,744,"));
}
