//! Rules for `InstanceGroup` objects: role, sizes, the subnet list and the known spec fields,
//! then the checks against the file's Cluster (cluster label, unique names, subnet references).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use crate::spec::yaml::Node;
use crate::spec::{Cluster, InstanceGroup, CLUSTER_LABEL};

use super::known::{KNOWN_INSTANCE_GROUP_SPEC_FIELDS, KNOWN_ROLES};
use super::suggest::suggest_role;
use super::{cut, describe, instance_group_label, object_path, Checker, Mode};

/// The largest `minSize`/`maxSize` kops reads: its InstanceGroupSpec holds them as `*int32`
/// (docs/KOPS.md, "Instance group sizes").
const KOPS_MAX_SIZE: i64 = i32::MAX as i64;

impl Checker<'_> {
    pub(super) fn check_instance_group(&mut self, root: Node) -> InstanceGroup {
        let object = instance_group_label(&root);
        self.check_name(&root, &object, "InstanceGroup");
        if let Some(spec) = self.spec_of(&root, &object, "InstanceGroup") {
            if self.mode == Mode::GitFile {
                self.check_role(spec, &object);
                self.check_sizes(spec, &object);
                self.check_instance_group_subnet_list(spec, &object);
                self.warn_unknown_fields(spec, &object, "spec", KNOWN_INSTANCE_GROUP_SPEC_FIELDS);
            }
        }
        InstanceGroup::from_document(root)
    }

    fn check_role(&mut self, spec: &Node, object: &str) {
        let path = object_path(object, "spec.role");
        let Some(role) = spec.get("role") else {
            self.error(
                spec,
                path,
                "role must be set".into(),
                Some("add `role: Node` (or Master, Bastion, APIServer)".into()),
            );
            return;
        };
        if role.as_str().is_some_and(|r| KNOWN_ROLES.contains(&r)) {
            return;
        }
        let hint = match role.as_str().and_then(suggest_role) {
            Some(known) => format!("did you mean `{known}`? (v1alpha2 roles: Master, Node, Bastion, APIServer)"),
            None => "use one of Master, Node, Bastion, APIServer (v1alpha2 names; the control plane is `Master`)".into(),
        };
        self.error(
            role,
            path,
            format!("unknown role {}", describe(role)),
            Some(hint),
        );
    }

    fn check_sizes(&mut self, spec: &Node, object: &str) {
        let mut size = |field: &str| -> Option<i64> {
            let node = spec.get(field)?;
            let path = object_path(object, &format!("spec.{field}"));
            match node.as_i64() {
                None => {
                    self.error(
                        node,
                        path,
                        format!("{} is not an integer", describe(node)),
                        Some(format!(
                            "write a whole number without quotes, e.g. `{field}: 2`"
                        )),
                    );
                    None
                }
                Some(value) if value < 0 => {
                    self.error(
                        node,
                        path,
                        format!("{field} is negative ({value})"),
                        Some(format!("use 0 or more for {field}")),
                    );
                    None
                }
                Some(value) if value > KOPS_MAX_SIZE => {
                    self.error(
                        node,
                        path,
                        format!("{field} {value} is more than kops accepts ({KOPS_MAX_SIZE})"),
                        Some(format!("kops reads {field} as a 32-bit integer (docs/KOPS.md, \"Instance group sizes\"): use at most {KOPS_MAX_SIZE}, and your cloud's own limits are far lower")),
                    );
                    None
                }
                Some(value) => Some(value),
            }
        };
        let min = size("minSize");
        let max = size("maxSize");
        if let (Some(min), Some(max), Some(node)) = (min, max, spec.get("minSize")) {
            if min > max {
                self.error(
                    node,
                    object_path(object, "spec.minSize"),
                    format!("minSize {min} is greater than maxSize {max}"),
                    Some(format!("raise maxSize to at least {min}, or lower minSize")),
                );
            }
        }
    }

    fn check_instance_group_subnet_list(&mut self, spec: &Node, object: &str) {
        let Some(subnets) = spec.get("subnets") else {
            return;
        };
        let path = object_path(object, "spec.subnets");
        match subnets.as_sequence() {
            None => self.error(
                subnets,
                path,
                format!(
                    "expected a list of subnet names, found {}",
                    describe(subnets)
                ),
                Some("write `subnets:` as a list, e.g. `subnets: [us-east-1a]`".into()),
            ),
            Some(items) => {
                for (index, item) in items.iter().enumerate() {
                    if item.as_str().is_none() {
                        self.error(
                            item,
                            format!("{path}[{index}]"),
                            format!("expected a subnet name, found {}", describe(item)),
                            Some(
                                "list subnets by their `name` from the Cluster's spec.subnets"
                                    .into(),
                            ),
                        );
                    }
                }
            }
        }
    }

    pub(super) fn check_instance_groups_against_cluster(
        &mut self,
        cluster: &Cluster,
        groups: &[InstanceGroup],
    ) {
        let subnets = SubnetNames::new(cluster);
        let mut first_by_name: HashMap<&str, &InstanceGroup> = HashMap::new();
        for group in groups {
            let object = instance_group_label(&group.document);
            self.check_cluster_label(cluster, group, &object);
            if !group.name.is_empty() {
                match first_by_name.entry(&group.name) {
                    Entry::Vacant(slot) => {
                        slot.insert(group);
                    }
                    Entry::Occupied(first) => {
                        let at = group
                            .document
                            .get_path(&["metadata", "name"])
                            .unwrap_or(&group.document);
                        self.error(
                            at,
                            object_path(&object, "metadata.name"),
                            format!(
                                "duplicate InstanceGroup name \"{}\" (first at line {})",
                                cut(&group.name),
                                first.get().document.line
                            ),
                            Some("instance group names must be unique within a cluster; rename or remove one".into()),
                        );
                    }
                }
            }
            if self.mode == Mode::GitFile {
                self.check_subnet_references(group, &object, &subnets);
            }
        }
    }

    fn check_cluster_label(&mut self, cluster: &Cluster, group: &InstanceGroup, object: &str) {
        if cluster.name.is_empty() {
            return; // already reported: the Cluster has no name to compare with
        }
        let document = &group.document;
        let label = document.get_path(&["metadata", "labels", CLUSTER_LABEL]);
        match label {
            None => {
                let at = document
                    .get_path(&["metadata", "labels"])
                    .or_else(|| document.get("metadata"))
                    .unwrap_or(document);
                self.error(
                    at,
                    object_path(object, "metadata.labels"),
                    format!("missing label `{CLUSTER_LABEL}`"),
                    Some(format!(
                        "add `{CLUSTER_LABEL}: {}` under metadata.labels (kops replace refuses instance groups without it)",
                        cut(&cluster.name)
                    )),
                );
            }
            Some(node) if node.as_str() == Some(cluster.name.as_str()) => {}
            Some(node) => self.error(
                node,
                object_path(object, &format!("metadata.labels[\"{CLUSTER_LABEL}\"]")),
                format!(
                    "label names cluster {} but this file's Cluster is \"{}\"",
                    describe(node),
                    cut(&cluster.name)
                ),
                Some(format!(
                    "set it to `{}` (one file holds one cluster and its instance groups)",
                    cut(&cluster.name)
                )),
            ),
        }
    }

    fn check_subnet_references(
        &mut self,
        group: &InstanceGroup,
        object: &str,
        subnets: &SubnetNames,
    ) {
        let Some(items) = group
            .document
            .get_path(&["spec", "subnets"])
            .and_then(Node::as_sequence)
        else {
            return;
        };
        for (index, item) in items.iter().enumerate() {
            let Some(name) = item.as_str() else { continue };
            if subnets.set.contains(name) {
                continue;
            }
            let hint = match self.suggest(name, &subnets.names) {
                Some(close) => format!("did you mean `{close}`?"),
                None if subnets.names.is_empty() => {
                    "the Cluster has no spec.subnets; add the subnet there first".into()
                }
                None => format!(
                    "use a subnet name from the Cluster's spec.subnets: {}",
                    subnets.listing
                ),
            };
            self.error(
                item,
                object_path(object, &format!("spec.subnets[{index}]")),
                format!(
                    "subnet \"{}\" is not among the Cluster's spec.subnets",
                    cut(name)
                ),
                Some(hint),
            );
        }
    }
}

/// Listed in a hint, at most; the rest are counted.
const MAX_LISTED: usize = 10;

/// The Cluster's subnet names: in order, as a set, and listed for hints.
struct SubnetNames<'c> {
    names: Vec<&'c str>,
    set: HashSet<&'c str>,
    listing: String,
}

impl<'c> SubnetNames<'c> {
    fn new(cluster: &'c Cluster) -> SubnetNames<'c> {
        let names: Vec<&str> = cluster.subnets.iter().map(|s| s.name.as_str()).collect();
        let mut listing = names
            .iter()
            .take(MAX_LISTED)
            .map(|name| cut(name))
            .collect::<Vec<_>>()
            .join(", ");
        if names.len() > MAX_LISTED {
            listing.push_str(&format!(", … ({} in all)", names.len()));
        }
        SubnetNames {
            set: names.iter().copied().collect(),
            names,
            listing,
        }
    }
}
