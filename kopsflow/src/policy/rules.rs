//! The built-in rules: what kops lets through but a reviewer should have stopped. Each is a
//! plain function over [`Input`]; [`builtin`] lists them with their names and reasons.
//!
//! Spec rules (offline): `api-open-to-world`, `ssh-open-to-world` (production clusters),
//! `instance-group-max-size`, `control-plane-min-size-zero`, `image-not-pinned`. Change rules
//! (against production's spec): `kubernetes-minor-jump`, `kubernetes-downgrade`,
//! `etcd-member-removed`, `control-plane-ig-removed`, `network-cidr-changed`,
//! `networking-provider-changed`.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::version::KubernetesVersion;
use super::{Findings, Input, Rule};
use crate::spec::{ClusterSpec, InstanceGroup, Node, Subnet};

/// Every built-in rule, blocking, in the order reports list them.
pub fn builtin() -> [Rule; 11] {
    [
        Rule::change(
            "kubernetes-minor-jump",
            "Kubernetes is upgraded one minor version at a time (its version skew policy); skipping one leaves the API server, etcd's stored objects and the kubelets in a combination nobody tested, and there is no way back",
            kubernetes_minor_jump,
        ),
        Rule::change(
            "kubernetes-downgrade",
            "Kubernetes does not support downgrades: objects etcd already stores in a newer API version may be unreadable by the older API server, and kops cannot roll a control plane back",
            kubernetes_downgrade,
        ),
        Rule::spec(
            "api-open-to-world",
            "anyone on the internet can reach the Kubernetes API of a production cluster: a leaked credential or an API server vulnerability is then exploitable from anywhere",
            api_open_to_world,
        ),
        Rule::spec(
            "ssh-open-to-world",
            "SSH to the nodes of a production cluster is open to the whole internet: every instance is exposed to credential stuffing and to the next sshd vulnerability",
            ssh_open_to_world,
        ),
        Rule::spec(
            "instance-group-max-size",
            "one slip (maxSize: 500 for 50) lets the autoscaler launch hundreds of instances: cost, exhausted cloud quotas and exhausted subnet addresses",
            instance_group_max_size,
        ),
        Rule::spec(
            "control-plane-min-size-zero",
            "a control-plane instance group with minSize 0 may be scaled to no instances: its API server and etcd member are gone, and with them etcd's quorum",
            control_plane_min_size_zero,
        ),
        Rule::spec(
            "image-not-pinned",
            "an image that is not pinned (a wildcard, `latest`, an SSM alias, or none: kops's default for its version) changes without a change in git: instances launched later run another build, and a kops upgrade silently rolls every node",
            image_not_pinned,
        ),
        Rule::change(
            "etcd-member-removed",
            "removing or renaming an etcd member, or moving it to another instance group, loses that member's data volume and can break etcd's quorum; kops refuses some of these changes only after production has been touched",
            etcd_member_removed,
        ),
        Rule::change(
            "control-plane-ig-removed",
            "a control-plane instance group git no longer has (a rename is a removal plus an addition) keeps running, or is deleted by a prune together with its etcd member",
            control_plane_ig_removed,
        ),
        Rule::change(
            "network-cidr-changed",
            "network CIDRs (the VPC, subnets, pod and service ranges) cannot change in place: kops would replace the VPC or subnets under running instances, and pods and services lose their addresses",
            network_cidr_changed,
        ),
        Rule::change(
            "networking-provider-changed",
            "switching the networking provider (the CNI, e.g. cilium to calico) on a running cluster cuts pod networking on every node until all of them are rolled; kops does not migrate between providers",
            networking_provider_changed,
        ),
    ]
}

fn cluster_node<'a>(spec: &'a ClusterSpec, keys: &[&str]) -> Option<&'a Node> {
    let mut path = vec!["spec"];
    path.extend_from_slice(keys);
    spec.cluster.document.get_path(&path)
}

fn version_of(spec: &ClusterSpec) -> Option<KubernetesVersion> {
    KubernetesVersion::parse(spec.cluster.kubernetes_version.as_deref()?)
}

/// The git and live versions, and git's node, when both parse.
fn versions<'a>(input: &Input<'a>) -> Option<(KubernetesVersion, KubernetesVersion, &'a Node)> {
    let live = version_of(input.live?)?;
    let git = version_of(input.git)?;
    Some((live, git, cluster_node(input.git, &["kubernetesVersion"])?))
}

fn kubernetes_minor_jump(input: &Input<'_>, out: &mut Findings<'_>) {
    let Some((live, git, node)) = versions(input) else {
        return;
    };
    let next = format!("{}.{}", live.major, live.minor + 1);
    let message = if git.major != live.major {
        format!("{live} (production) → {git} changes the major version")
    } else {
        format!("{live} (production) → {git} skips Kubernetes {next}: upgrade to {next}.x first")
    };
    if git > live && (git.major != live.major || git.minor > live.minor + 1) {
        out.at(node, "spec.kubernetesVersion", message);
    }
}

fn kubernetes_downgrade(input: &Input<'_>, out: &mut Findings<'_>) {
    let Some((live, git, node)) = versions(input) else {
        return;
    };
    if git < live {
        out.at(
            node,
            "spec.kubernetesVersion",
            format!("{live} (production) → {git} is a downgrade"),
        );
    }
}

const WORLD: &[&str] = &["0.0.0.0/0", "::/0"];

/// Every `0.0.0.0/0` or `::/0` in the list `spec.FIELD` of a production cluster.
fn open_to_world(input: &Input<'_>, out: &mut Findings<'_>, field: &str, what: &str) {
    if !input.is_production() {
        return;
    }
    let Some(items) = cluster_node(input.git, &[field]).and_then(Node::as_sequence) else {
        return;
    };
    for (index, item) in items.iter().enumerate() {
        if let Some(cidr) = item.as_str().filter(|c| WORLD.contains(&c.trim())) {
            out.at(
                item,
                format!("spec.{field}[{index}]"),
                format!("{cidr} opens {what} of production cluster {} to the whole internet (list the networks that need it instead)", input.git.name()),
            );
        }
    }
}

fn api_open_to_world(input: &Input<'_>, out: &mut Findings<'_>) {
    open_to_world(input, out, "kubernetesApiAccess", "the Kubernetes API");
}

fn ssh_open_to_world(input: &Input<'_>, out: &mut Findings<'_>) {
    open_to_world(input, out, "sshAccess", "SSH");
}

fn ig_node<'a>(ig: &'a InstanceGroup, field: &str) -> &'a Node {
    ig.document
        .get_path(&["spec", field])
        .or_else(|| ig.document.get_path(&["metadata", "name"]))
        .unwrap_or(&ig.document)
}

fn ig_path(ig: &InstanceGroup, field: &str) -> String {
    format!("InstanceGroup {}: spec.{field}", ig.name)
}

fn instance_group_max_size(input: &Input<'_>, out: &mut Findings<'_>) {
    let bound = input.settings.max_instance_group_size;
    for ig in &input.git.instance_groups {
        if let Some(max) = ig.max_size.filter(|&max| max > bound) {
            out.at(
                ig_node(ig, "maxSize"),
                ig_path(ig, "maxSize"),
                format!("maxSize {max} is above the policy's bound of {bound}"),
            );
        }
    }
}

fn is_control_plane(ig: &InstanceGroup) -> bool {
    matches!(ig.role.as_deref(), Some("Master" | "ControlPlane"))
}

fn control_plane_min_size_zero(input: &Input<'_>, out: &mut Findings<'_>) {
    for ig in input
        .git
        .instance_groups
        .iter()
        .filter(|ig| is_control_plane(ig))
    {
        if ig.min_size == Some(0) {
            out.at(
                ig_node(ig, "minSize"),
                ig_path(ig, "minSize"),
                "minSize 0 on a control-plane instance group (keep it at 1)".to_owned(),
            );
        }
    }
}

fn image_not_pinned(input: &Input<'_>, out: &mut Findings<'_>) {
    for ig in &input.git.instance_groups {
        match ig.document.get_path(&["spec", "image"]) {
            None => out.at(
                ig_node(ig, "image"),
                ig_path(ig, "image"),
                "no image: kops picks its default for its own version (pin a dated image or an image ID)".to_owned(),
            ),
            Some(node) => {
                let image = node.as_str().unwrap_or_default();
                if !is_pinned_image(image) {
                    out.at(
                        node,
                        ig_path(ig, "image"),
                        format!("{image:?} is not pinned to a dated image or an image ID"),
                    );
                }
            }
        }
    }
}

/// An AMI ID (`ami-0abc…`), or a name with a build date (`…-20240126`, `v20240126`) or a
/// three-part release (`Flatcar-stable-3815.2.0-hvm`); never a wildcard, `latest`, or an SSM
/// parameter (`ssm:…`, resolved by AWS to whatever is current).
pub fn is_pinned_image(image: &str) -> bool {
    let lower = image.trim().to_ascii_lowercase();
    if lower.is_empty()
        || lower.contains('*')
        || lower.contains("latest")
        || lower.starts_with("ssm:")
    {
        return false;
    }
    let last = lower.rsplit('/').next().unwrap_or_default();
    let is_ami = last.strip_prefix("ami-").is_some_and(|id| {
        (8..=17).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit())
    });
    is_ami || has_date(&lower) || has_release(&lower)
}

/// A run of exactly 8 digits that reads as a date from 2000 on (`20240126`).
fn has_date(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_digit()).any(|run| {
        let Ok(n) = run.parse::<u32>() else {
            return false;
        };
        let (year, month, day) = (n / 10_000, n / 100 % 100, n % 100);
        run.len() == 8
            && (2000..=2099).contains(&year)
            && (1..=12).contains(&month)
            && (1..=31).contains(&day)
    })
}

/// A dotted run of exactly three numbers (`3815.2.0`).
fn has_release(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_digit() && c != '.')
        .any(|run| {
            let parts: Vec<&str> = run.trim_matches('.').split('.').collect();
            parts.len() == 3 && parts.iter().all(|p| !p.is_empty())
        })
}

/// `(etcd cluster name, its node)` for each etcd cluster of a spec.
fn etcd_clusters(spec: &ClusterSpec) -> Vec<(String, &Node)> {
    cluster_node(spec, &["etcdClusters"])
        .and_then(Node::as_sequence)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| Some((c.get("name")?.as_str()?.to_owned(), c)))
        .collect()
}

/// `(member name, instance group)` of an etcd cluster's members.
fn members(etcd: &Node) -> Vec<(String, Option<String>)> {
    etcd.get("etcdMembers")
        .and_then(Node::as_sequence)
        .unwrap_or_default()
        .iter()
        .filter_map(|m| {
            let name = m
                .get("name")
                .map(|n| n.as_str().map_or_else(|| n.to_flow(), str::to_owned))?;
            let group = m
                .get("instanceGroup")
                .and_then(Node::as_str)
                .map(str::to_owned);
            Some((name, group))
        })
        .collect()
}

fn etcd_member_removed(input: &Input<'_>, out: &mut Findings<'_>) {
    let Some(live) = input.live else {
        return;
    };
    let git = etcd_clusters(input.git);
    for (name, live_etcd) in etcd_clusters(live) {
        let Some(index) = git.iter().position(|(n, _)| *n == name) else {
            match cluster_node(input.git, &["etcdClusters"]) {
                Some(node) => out.at(
                    node,
                    "spec.etcdClusters",
                    format!("etcd cluster {name:?} is removed (production has it)"),
                ),
                None => out.at_cluster(
                    "spec.etcdClusters",
                    format!("etcd cluster {name:?} is removed (production has it)"),
                ),
            }
            continue;
        };
        let git_etcd = git[index].1;
        let mut git_members: HashMap<String, Option<String>> = HashMap::new();
        for (member, group) in members(git_etcd) {
            git_members.entry(member).or_insert(group);
        }
        for (member, group) in members(live_etcd) {
            let path = format!("spec.etcdClusters[{index}].etcdMembers");
            let at = git_etcd.get("etcdMembers").unwrap_or(git_etcd);
            match git_members.get_key_value(&member) {
                None => out.at(
                    at,
                    path,
                    format!("etcd member {member:?} of etcd cluster {name:?} is removed or renamed (production has it)"),
                ),
                Some((_, git_group)) if *git_group != group => out.at(
                    at,
                    path,
                    format!(
                        "etcd member {member:?} of etcd cluster {name:?} moves from instance group {} to {}",
                        group.as_deref().unwrap_or("(none)"),
                        git_group.as_deref().unwrap_or("(none)")
                    ),
                ),
                Some(_) => {}
            }
        }
    }
}

fn control_plane_ig_removed(input: &Input<'_>, out: &mut Findings<'_>) {
    let Some(live) = input.live else {
        return;
    };
    let git_groups: HashSet<&str> = input.git.instance_group_names().into_iter().collect();
    for ig in live
        .instance_groups
        .iter()
        .filter(|ig| is_control_plane(ig))
    {
        if !git_groups.contains(ig.name.as_str()) {
            out.at_cluster(
                format!("InstanceGroup {}", ig.name),
                format!(
                    "control-plane instance group {} is removed or renamed (production has it)",
                    ig.name
                ),
            );
        }
    }
}

/// The Cluster fields that hold network ranges.
const CIDR_FIELDS: &[&str] = &[
    "networkCIDR",
    "additionalNetworkCIDRs",
    "nonMasqueradeCIDR",
    "podCIDR",
    "serviceClusterIPRange",
];

fn network_cidr_changed(input: &Input<'_>, out: &mut Findings<'_>) {
    let Some(live) = input.live else {
        return;
    };
    for field in CIDR_FIELDS {
        let (old, new) = (
            cluster_node(live, &[field]),
            cluster_node(input.git, &[field]),
        );
        if old == new || (*field == "additionalNetworkCIDRs" && only_added(old, new)) {
            continue;
        }
        let message = change(old.map(Node::to_flow), new.map(Node::to_flow));
        match new {
            Some(new) => out.at(new, format!("spec.{field}"), message),
            None => out.at_cluster(format!("spec.{field}"), message),
        }
    }
    // Production's subnets by name, looked up once per git subnet (the first of a name).
    let mut live_subnets: HashMap<&str, &Subnet> = HashMap::new();
    for subnet in &live.cluster.subnets {
        live_subnets.entry(subnet.name.as_str()).or_insert(subnet);
    }
    let git_nodes = cluster_node(input.git, &["subnets"]).and_then(Node::as_sequence);
    for (index, subnet) in input.git.cluster.subnets.iter().enumerate() {
        let Some(old) = live_subnets.get(subnet.name.as_str()) else {
            continue; // a new subnet is an addition
        };
        if old.cidr != subnet.cidr {
            let node = git_nodes.and_then(|s| s.get(index));
            let path = format!("spec.subnets[{index}].cidr");
            let message = format!(
                "subnet {}: {}",
                subnet.name,
                change(old.cidr.clone(), subnet.cidr.clone())
            );
            match node.map(|n| n.get("cidr").unwrap_or(n)) {
                Some(node) => out.at(node, path, message),
                None => out.at_cluster(path, message),
            }
        }
    }
}

/// `X (production) → Y`, naming a side that has no value.
fn change(old: Option<String>, new: Option<String>) -> String {
    match (old, new) {
        (Some(old), Some(new)) => format!("{old} (production) → {new}"),
        (Some(old), None) => format!("{old} (production) → absent in git"),
        (None, Some(new)) => format!("absent in production → {new}"),
        (None, None) => String::new(),
    }
}

/// Whether the list `new` keeps every entry of `old` (ranges were only added).
fn only_added(old: Option<&Node>, new: Option<&Node>) -> bool {
    fn entries(n: Option<&Node>) -> &[Node] {
        n.and_then(Node::as_sequence).unwrap_or_default()
    }
    // By their flow text: the same for equal values (CIDRs are strings), looked up in a set.
    let new: HashSet<String> = entries(new).iter().map(Node::to_flow).collect();
    entries(old).iter().all(|o| new.contains(&o.to_flow()))
}

/// The provider keys under `spec.networking` (`cilium`, `calico`, …).
fn providers(spec: &ClusterSpec) -> BTreeSet<String> {
    cluster_node(spec, &["networking"])
        .and_then(Node::as_mapping)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, _)| k.as_str().map(str::to_owned))
        .collect()
}

fn networking_provider_changed(input: &Input<'_>, out: &mut Findings<'_>) {
    let Some(live) = input.live else {
        return;
    };
    let (old, new) = (providers(live), providers(input.git));
    if old.is_empty() || new.is_empty() || old == new {
        return;
    }
    let list = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(", ");
    let message = format!("{} (production) → {}", list(&old), list(&new));
    match cluster_node(input.git, &["networking"]) {
        Some(node) => out.at(node, "spec.networking", message),
        None => out.at_cluster("spec.networking", message),
    }
}
