//! This repository's cluster templates: `cluster-spec/templates/cluster.yml.tmpl` rendered for
//! three environments (dev, stg, prod) from the typed values below, into
//! `cluster-spec/<name>.yml` by `cargo xtask render`. Every value records the line that declared
//! it, so a problem in a rendered spec points here (or at the template line), not only at the
//! rendered file.

use std::collections::BTreeMap;
use std::panic::Location;

use kopsflow::spec::{Node, Value as Yaml};

use kopsflow_cli::render::template::{Binding, Value};

use crate::policies::PRODUCTION;

/// The template every environment below is rendered from.
pub const TEMPLATE: &str = "cluster-spec/templates/cluster.yml.tmpl";

/// This file: where the values are declared (messages name it).
pub const VALUES_FILE: &str = file!();

/// The environments, each rendered to `cluster-spec/<name>.yml`.
pub fn environments() -> Vec<kopsflow_cli::render::Environment> {
    declared()
        .into_iter()
        .map(Environment::into_render)
        .collect()
}

/// The environments with their values. Laid out like the spec: a reviewer sees every
/// difference between dev, stg and prod here.
#[rustfmt::skip]
pub fn declared() -> Vec<Environment> {
    vec![
        Environment::new(Tier::Development, "dev.k8s.example.com").with(shared)
            .kubernetes_version("1.29.2")
            .network("172.20.0.0/16", &[("eu-west-1a", "172.20.32.0/19")])
            .control_plane("t3.medium")
            .nodes("t3.medium", 1, 3)
            .api_access(&["0.0.0.0/0", "::/0"])
            .ssh_access(&["0.0.0.0/0", "::/0"]),
        Environment::new(Tier::Staging, "stg.k8s.example.com").with(shared)
            .kubernetes_version("1.29.2")
            .network("172.20.0.0/16", &[("eu-west-1a", "172.20.32.0/19"), ("eu-west-1b", "172.20.64.0/19")])
            .control_plane("t3.medium")
            .nodes("t3.large", 2, 6)
            .api_access(&["203.0.113.0/24"])
            .ssh_access(&["203.0.113.0/24"]),
        Environment::new(Tier::Production, "prod.k8s.example.com").with(shared)
            .kubernetes_version("1.28.6")
            .network("172.20.0.0/16", &[("eu-west-1a", "172.20.32.0/19"), ("eu-west-1b", "172.20.64.0/19"), ("eu-west-1c", "172.20.96.0/19")])
            .control_plane("m5.large")
            .nodes("m5.xlarge", 3, 20)
            .api_access(&["203.0.113.0/24"])
            .ssh_access(&["203.0.113.0/24"]),
    ]
}

/// What every environment shares unless it says otherwise (a later call overrides it).
fn shared(env: Environment) -> Environment {
    env.image("099720109477/ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240126")
        .labels(&[("team", "platform")])
}

/// Which kind of environment: sets the `environment` cloud label, which marks production for
/// the policy (`xtask/src/policies.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Development,
    Staging,
    Production,
}

impl Tier {
    /// The value of the `environment` cloud label.
    pub fn label(self) -> &'static str {
        match self {
            Tier::Development => "development",
            Tier::Staging => "staging",
            Tier::Production => PRODUCTION.value,
        }
    }
}

/// One environment: the cluster's name and its typed values, each with the line that set it.
#[derive(Debug, Clone)]
pub struct Environment {
    pub tier: Tier,
    /// The cluster's name; the rendered file is `cluster-spec/<name>.yml`.
    pub name: &'static str,
    pub bindings: Vec<Binding>,
    labels: BTreeMap<String, String>,
}

fn strings(items: &[&str]) -> Node {
    Node::synthetic(Yaml::Sequence(
        items.iter().map(|s| Node::string(s)).collect(),
    ))
}

fn mapping(entries: &[(&str, &str)]) -> Node {
    let entries = entries
        .iter()
        .map(|(k, v)| (Node::string(k), Node::string(v)))
        .collect();
    Node::synthetic(Yaml::Mapping(entries))
}

impl Environment {
    /// `name`, `config_base` (`<its environment's store>/<name>`, which the pipeline requires) and
    /// the `environment` cloud label of `tier`.
    #[track_caller]
    pub fn new(tier: Tier, name: &'static str) -> Environment {
        let labels = BTreeMap::from([(PRODUCTION.label.to_owned(), tier.label().to_owned())]);
        Environment {
            tier,
            name,
            bindings: Vec::new(),
            labels,
        }
        .set("name", Value::Str(name.to_owned()))
        .set(
            "config_base",
            Value::Str(format!(
                "{}/{name}",
                crate::environments::of_tier(tier).store
            )),
        )
        .set_labels()
    }

    /// Binds `name` to `value`, declared at the caller's caller (the line in [`environments`]).
    #[track_caller]
    fn set(mut self, name: &'static str, value: Value) -> Environment {
        let binding = Binding {
            name,
            value,
            at: Location::caller(),
        };
        match self.bindings.iter_mut().find(|b| b.name == name) {
            Some(existing) => *existing = binding,
            None => self.bindings.push(binding),
        }
        self
    }

    #[track_caller]
    fn set_labels(self) -> Environment {
        let entries: Vec<(&str, &str)> = self
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let node = mapping(&entries);
        self.set("cloud_labels", Value::Block(node))
    }

    /// `spec.kubernetesVersion`.
    #[track_caller]
    pub fn kubernetes_version(self, version: &str) -> Environment {
        self.set("kubernetes_version", Value::Str(version.to_owned()))
    }

    /// `spec.networkCIDR` and one public subnet per `(zone, cidr)`, named after its zone; the
    /// control plane runs in the first zone, the nodes in all of them.
    #[track_caller]
    pub fn network(self, cidr: &str, zones: &[(&str, &str)]) -> Environment {
        let subnets = zones
            .iter()
            .map(|(zone, cidr)| {
                mapping(&[
                    ("cidr", cidr),
                    ("name", zone),
                    ("type", "Public"),
                    ("zone", zone),
                ])
            })
            .collect();
        let names: Vec<&str> = zones.iter().map(|(zone, _)| *zone).collect();
        self.set("network_cidr", Value::Str(cidr.to_owned()))
            .set(
                "subnets",
                Value::Block(Node::synthetic(Yaml::Sequence(subnets))),
            )
            .set("zones", Value::Block(strings(&names)))
            .set(
                "control_plane_zone",
                Value::Str(names.first().copied().unwrap_or_default().to_owned()),
            )
    }

    /// The image of every instance group.
    #[track_caller]
    pub fn image(self, image: &str) -> Environment {
        self.set("image", Value::Str(image.to_owned()))
    }

    /// The control plane's machine type (one instance).
    #[track_caller]
    pub fn control_plane(self, machine_type: &str) -> Environment {
        self.set(
            "control_plane_machine_type",
            Value::Str(machine_type.to_owned()),
        )
    }

    /// The nodes' machine type and autoscaling bounds.
    #[track_caller]
    pub fn nodes(self, machine_type: &str, min_size: u32, max_size: u32) -> Environment {
        self.set("nodes_machine_type", Value::Str(machine_type.to_owned()))
            .set("nodes_min_size", Value::Int(min_size.into()))
            .set("nodes_max_size", Value::Int(max_size.into()))
    }

    /// `spec.kubernetesApiAccess`: who may reach the Kubernetes API.
    #[track_caller]
    pub fn api_access(self, cidrs: &[&str]) -> Environment {
        self.set("api_access", Value::Block(strings(cidrs)))
    }

    /// `spec.sshAccess`: who may SSH to the instances.
    #[track_caller]
    pub fn ssh_access(self, cidrs: &[&str]) -> Environment {
        self.set("ssh_access", Value::Block(strings(cidrs)))
    }

    /// `spec.cloudLabels` (tags on every cloud resource), besides `environment`.
    #[track_caller]
    pub fn labels(mut self, labels: &[(&str, &str)]) -> Environment {
        for (key, value) in labels {
            self.labels.insert((*key).to_owned(), (*value).to_owned());
        }
        self.set_labels()
    }

    /// `f(self)`: values declared in a shared function (they point at its lines).
    pub fn with(self, f: fn(Environment) -> Environment) -> Environment {
        f(self)
    }

    /// What the library renders: the name, the tier's label and the values.
    pub fn into_render(self) -> kopsflow_cli::render::Environment {
        kopsflow_cli::render::Environment {
            name: self.name.to_owned(),
            kind: self.tier.label().to_owned(),
            bindings: self.bindings,
        }
    }
}

#[cfg(test)]
mod tests;
