//! Sizes and shapes of specs that made the policy and the cost estimate slow or wrong (issue 16):
//! 1 MB specs with 60k subnets or 40k instance groups, every one of them changed, priced or
//! unknown on both sides, and an absurd `maxSize`. Regression tests in the style of the others:
//! they assert outcomes, not timings. The quadratic versions gave the right answer, only seconds
//! to minutes later: their speed targets are in the benchmark (`cargo bench -p kopsflow --bench
//! shapes`, `benches/shapes.rs`), which times the same inputs (`shape_inputs.rs`).

use kopsflow::cost::{estimate, Micros, PriceTable};
use kopsflow::policy::{Policy, Settings};

use crate::shape_inputs::{
    cluster, group, half_the_groups, moved_subnets, parse, subnet, unpriced_groups, GROUPS,
};

/// 1 MB of subnets (60k, a CIDR on every 100th), git listing them in reverse with every 100th
/// CIDR moved: one finding each.
#[test]
fn network_cidr_changed_over_60k_subnets() {
    let (git, live) = moved_subnets();
    let count = live.cluster.subnets.len();
    assert!(count > 50_000, "{count}");
    let violations = Policy::new(Settings::default()).evaluate(&git, Some(&live), &[]);
    let moved = violations
        .iter()
        .filter(|v| v.rule == "network-cidr-changed")
        .count();
    assert_eq!(moved, count.div_ceil(100));
}

#[test]
fn cost_of_40k_groups_each_changed_and_each_unknown() {
    // Machine types without a price: every group unknown, on both sides.
    let (git, live) = unpriced_groups();
    let table = PriceTable::bundled();
    let change = estimate(&git, Some(&live), &table, false);
    let unknown = change.unknown();
    assert_eq!(change.groups.len(), GROUPS);
    assert_eq!(unknown.len(), 2 * GROUPS);
    assert!(
        unknown[0].starts_with("nodes-00000: no price for"),
        "{}",
        unknown[0]
    );
    // Half the groups gone from git: they stay, still running, with prune off.
    let change = estimate(&half_the_groups(&git), Some(&live), &table, false);
    assert_eq!(change.groups.len(), GROUPS);
    assert_eq!(change.still_running().count(), GROUPS / 2);
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
