//! Rules for the `Cluster` object: `spec.kubernetesVersion`, `spec.subnets` and the known spec
//! fields.

use std::collections::HashMap;

use crate::spec::yaml::{Node, Scalar, Value};
use crate::spec::Cluster;

use super::known::KNOWN_CLUSTER_SPEC_FIELDS;
use super::values::is_kubernetes_version;
use super::{cut, describe, Checker, Mode};

impl Checker<'_> {
    pub(super) fn check_cluster(&mut self, root: Node) -> Cluster {
        self.check_name(&root, "", "Cluster");
        if let Some(spec) = self.spec_of(&root, "", "Cluster") {
            if self.mode == Mode::GitFile {
                self.check_cluster_spec(spec);
            }
        }
        Cluster::from_document(root)
    }

    fn check_cluster_spec(&mut self, spec: &Node) {
        if let Some(version) = spec.get("kubernetesVersion") {
            let valid = version.as_str().is_some_and(is_kubernetes_version);
            if !valid {
                let (shown, hint) = match &version.value {
                    Value::Scalar(Scalar::Int(_) | Scalar::Float(_)) => (
                        format!(
                            "{} (read as the number {})",
                            self.as_written(version).unwrap_or_else(|| version.to_flow()),
                            version.to_flow()
                        ),
                        "write the full version, such as 1.29.2 (an unquoted 1.30 is a number, not a version)".to_owned(),
                    ),
                    _ => (
                        describe(version),
                        "use a version such as 1.29.2 (v1.29.2 and 1.30.0-beta.1 work too, or an https:// URL of a release)".to_owned(),
                    ),
                };
                self.error(
                    version,
                    "spec.kubernetesVersion".into(),
                    format!("{shown} is not a Kubernetes version"),
                    Some(hint),
                );
            }
        }
        if let Some(subnets) = spec.get("subnets") {
            self.check_cluster_subnets(subnets);
        }
        self.warn_unknown_fields(spec, "", "spec", KNOWN_CLUSTER_SPEC_FIELDS);
    }

    fn check_cluster_subnets(&mut self, subnets: &Node) {
        let Some(items) = subnets.as_sequence() else {
            self.error(
                subnets,
                "spec.subnets".into(),
                format!("expected a list of subnets, found {}", describe(subnets)),
                Some(
                    "write `subnets:` as a list of `- name: … zone: … cidr: … type: …` entries"
                        .into(),
                ),
            );
            return;
        };
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (index, subnet) in items.iter().enumerate() {
            let path = format!("spec.subnets[{index}].name");
            match subnet.get("name").and_then(Node::as_str) {
                None => self.error(
                    subnet,
                    path,
                    "subnet has no `name`".into(),
                    Some(
                        "give every subnet a `name` (instance groups refer to subnets by name)"
                            .into(),
                    ),
                ),
                Some(name) => {
                    if let Some(line) = seen.get(name) {
                        let message = format!(
                            "duplicate subnet name \"{}\" (first at line {line})",
                            cut(name)
                        );
                        self.error(
                            subnet,
                            path,
                            message,
                            Some("subnet names must be unique".into()),
                        );
                    } else {
                        seen.insert(name, subnet.line);
                    }
                }
            }
        }
    }
}
