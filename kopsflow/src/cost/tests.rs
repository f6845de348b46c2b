//! Unit tests of the cost estimate: the region from the zones, a group's price, and what a
//! change costs (resize, machine type, added and removed groups, unknown types). Snapshot tests
//! of the summaries are in `kopsflow/tests/it/cost.rs`.

use super::*;

fn spec(zones: &[&str], groups: &[(&str, &str, i64, i64, &str)]) -> ClusterSpec {
    let mut text = String::from(
        "apiVersion: kops.k8s.io/v1alpha2\nkind: Cluster\nmetadata:\n  name: a.example.com\nspec:\n  cloudProvider: aws\n  kubernetesVersion: 1.29.2\n  networkCIDR: 172.20.0.0/16\n  subnets:\n",
    );
    for (i, zone) in zones.iter().enumerate() {
        text.push_str(&format!(
            "  - cidr: 172.20.{}.0/24\n    name: {zone}\n    type: Public\n    zone: {zone}\n",
            32 + i
        ));
    }
    for (name, machine, min, max, extra) in groups {
        text.push_str(&format!(
            "---\napiVersion: kops.k8s.io/v1alpha2\nkind: InstanceGroup\nmetadata:\n  labels:\n    kops.k8s.io/cluster: a.example.com\n  name: {name}\nspec:\n  image: ami-0123456789abcdef0\n  machineType: {machine}\n  maxSize: {max}\n  minSize: {min}\n  role: Node\n  subnets:\n  - {}\n{extra}",
            zones[0]
        ));
    }
    match ClusterSpec::parse("cluster-spec/a.example.com.yml".into(), &text) {
        Ok(loaded) => loaded.spec,
        Err(d) => panic!("{d:#?}\n{text}"),
    }
}

#[test]
fn money() {
    assert_eq!(Micros(30_368_000).to_string(), "$30.37");
    assert_eq!(Micros(1_234_567_890).to_string(), "$1,234.57");
    assert_eq!(Micros(0).to_string(), "$0.00");
    assert_eq!(signed(60_736_000), "+$60.74");
    assert_eq!(signed(-30_368_000), "-$30.37");
    assert_eq!(signed(-1_000), "$0.00");
    let span = Span {
        min: Micros(30_368_000),
        max: Micros(91_104_000),
    };
    assert_eq!(span.to_string(), "$30.37–$91.10");
    assert_eq!(signed_span((0, 60_736_000)), "$0.00–+$60.74");
}

#[test]
fn the_region_comes_from_the_zones() {
    let one = spec(&["us-east-1a", "us-east-1b"], &[]);
    assert_eq!(location(&one), Ok(("aws".into(), "us-east-1".into())));
    let two = spec(&["us-east-1a", "eu-west-1a"], &[]);
    assert_eq!(
        location(&two),
        Err("subnets in several regions: us-east-1, eu-west-1".into())
    );
}

#[test]
fn a_resize_and_a_machine_type_change() {
    let table = PriceTable::bundled();
    let live = spec(
        &["us-east-1a"],
        &[
            ("nodes", "t3.medium", 1, 1, ""),
            ("cp", "m5.large", 1, 1, ""),
        ],
    );
    let git = spec(
        &["us-east-1a"],
        &[
            ("nodes", "t3.medium", 1, 3, ""),
            ("cp", "m5.xlarge", 1, 1, ""),
        ],
    );
    let cost = estimate(&git, Some(&live), &table, false);
    // t3.medium: 0.0416 × 730 = $30.368; m5.large 0.096 × 730 = $70.08; m5.xlarge $140.16.
    assert_eq!(cost.before().unwrap().to_string(), "$100.45");
    assert_eq!(cost.after().unwrap().to_string(), "$170.53–$231.26");
    assert_eq!(signed_span(cost.delta().unwrap()), "+$70.08–+$130.82");
    let changes: Vec<&str> = cost.groups.iter().map(|g| g.change.as_str()).collect();
    assert_eq!(changes, ["changed", "changed"]);
    assert!(cost.unknown().is_empty());
    let same = estimate(&live, Some(&live), &table, false);
    assert_eq!(same.delta(), Some((0, 0)));
    assert!(same
        .groups
        .iter()
        .all(|g| g.change == GroupChange::Unchanged));
}

#[test]
fn removed_groups_cost_until_deleted() {
    let table = PriceTable::bundled();
    let live = spec(
        &["us-east-1a"],
        &[
            ("nodes", "t3.medium", 2, 2, ""),
            ("old", "t3.large", 1, 1, ""),
        ],
    );
    let git = spec(
        &["us-east-1a"],
        &[
            ("nodes", "t3.medium", 2, 2, ""),
            ("new", "c5.large", 1, 2, ""),
        ],
    );
    let off = estimate(&git, Some(&live), &table, false);
    assert_eq!(
        off.still_running()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>(),
        ["old"]
    );
    // Prune off: `old` still runs, so only `new` is added.
    assert_eq!(signed_span(off.delta().unwrap()), "+$62.05–+$124.10");
    let on = estimate(&git, Some(&live), &table, true);
    assert_eq!(on.still_running().count(), 0);
    assert_eq!(signed_span(on.delta().unwrap()), "+$1.31–+$63.36");
    let new = estimate(&git, None, &table, false);
    assert!(new.new_cluster);
    assert_eq!(new.before().unwrap().to_string(), "$0.00");
}

#[test]
fn unknown_types_regions_and_volumes_are_never_guessed() {
    let table = PriceTable::bundled();
    let odd = spec(&["us-east-1a"], &[("nodes", "x9.huge", 1, 1, "")]);
    let cost = estimate(&odd, None, &table, false);
    assert_eq!(cost.after(), None);
    assert_eq!(
        cost.unknown(),
        ["nodes: no price for x9.huge in aws us-east-1"]
    );
    let elsewhere = spec(&["eu-west-1a"], &[("nodes", "t3.medium", 1, 1, "")]);
    let cost = estimate(&elsewhere, None, &table, false);
    assert_eq!(
        cost.unknown(),
        ["nodes: no price for t3.medium in aws eu-west-1"]
    );
    // A root volume sized and typed is counted; sized only, it is named and not counted.
    let typed = spec(
        &["us-east-1a"],
        &[(
            "nodes",
            "t3.medium",
            1,
            1,
            "  rootVolumeSize: 50\n  rootVolumeType: gp3\n",
        )],
    );
    let cost = estimate(&typed, None, &table, false);
    assert_eq!(cost.after().unwrap().to_string(), "$34.37"); // + 50 × $0.08
    let sized = spec(
        &["us-east-1a"],
        &[("nodes", "t3.medium", 1, 1, "  rootVolumeSize: 50\n")],
    );
    let cost = estimate(&sized, None, &table, false);
    assert_eq!(cost.after().unwrap().to_string(), "$30.37");
    let note = cost.groups[0]
        .after
        .as_ref()
        .unwrap()
        .volume_note
        .clone()
        .unwrap();
    assert!(note.contains("root volume of 50 GB not counted"), "{note}");
    let io = spec(
        &["us-east-1a"],
        &[(
            "nodes",
            "t3.medium",
            1,
            1,
            "  rootVolumeSize: 50\n  rootVolumeType: io2\n",
        )],
    );
    assert_eq!(
        estimate(&io, None, &table, false).unknown(),
        ["nodes: no price for root volume type io2 in aws us-east-1"]
    );
}
