//! Cluster specs: one `Cluster` and its `InstanceGroup`s per multi-document kops YAML file;
//! parsing with positions, validation into diagnostics, canonical serialisation, spec diff, and
//! the spec file written from production (`export`).
//!
//! Typed fields (`Cluster::kubernetes_version`, `InstanceGroup::min_size` …) are read from the
//! preserved document tree, which keeps every other field (and the key order) for serialisation.

pub mod diagnostic;
pub mod diff;
mod export;
pub mod guard;
mod validate;
pub mod yaml;

use std::collections::BTreeMap;

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};

pub use diagnostic::{render_diagnostics, Diagnostic, Severity};
pub use diff::{diff, ObjectKind, SpecChange, SpecDiff};
pub use export::export_file;
pub use validate::{is_dns1123_label, is_dns1123_subdomain, is_kubernetes_version};
pub use yaml::{Node, Scalar, Value};

/// The apiVersion kopsflow writes (kops also reads the legacy `kops/v1alpha2`).
pub const API_VERSION: &str = "kops.k8s.io/v1alpha2";
/// The label that ties an InstanceGroup to its cluster.
pub const CLUSTER_LABEL: &str = "kops.k8s.io/cluster";

/// One cluster: its `Cluster` object and its `InstanceGroup`s, as kept in one file.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSpec {
    pub file: Utf8PathBuf,
    pub cluster: Cluster,
    pub instance_groups: Vec<InstanceGroup>,
}

/// A subnet of `spec.subnets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub name: String,
    pub zone: Option<String>,
    pub cidr: Option<String>,
    /// `Public`, `Private`, `Utility` …
    pub subnet_type: Option<String>,
}

/// The `kind: Cluster` document.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub name: String,
    pub kubernetes_version: Option<String>,
    pub config_base: Option<String>,
    pub subnets: Vec<Subnet>,
    /// The whole document, every field preserved in source order.
    pub document: Node,
}

/// A `kind: InstanceGroup` document.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceGroup {
    pub name: String,
    /// `metadata.labels["kops.k8s.io/cluster"]`.
    pub cluster_label: Option<String>,
    /// As serialised in v1alpha2: `Master`, `Node`, `Bastion`, `APIServer`.
    pub role: Option<String>,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    pub machine_type: Option<String>,
    pub subnets: Vec<String>,
    /// `metadata.labels` (string values only).
    pub labels: BTreeMap<String, String>,
    /// The whole document, every field preserved in source order.
    pub document: Node,
}

/// A spec that parsed without errors, with the warnings found on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedSpec {
    pub spec: ClusterSpec,
    pub warnings: Vec<Diagnostic>,
}

fn string_at(node: &Node, keys: &[&str]) -> Option<String> {
    node.get_path(keys)?.as_str().map(str::to_owned)
}

impl Cluster {
    /// Read the typed fields from a Cluster document (lenient: wrong types read as absent;
    /// validation reports them).
    pub fn from_document(document: Node) -> Cluster {
        let subnets = document
            .get_path(&["spec", "subnets"])
            .and_then(Node::as_sequence)
            .unwrap_or_default()
            .iter()
            .filter_map(|subnet| {
                Some(Subnet {
                    name: subnet.get("name")?.as_str()?.to_owned(),
                    zone: string_at(subnet, &["zone"]),
                    cidr: string_at(subnet, &["cidr"]),
                    subnet_type: string_at(subnet, &["type"]),
                })
            })
            .collect();
        Cluster {
            name: string_at(&document, &["metadata", "name"]).unwrap_or_default(),
            kubernetes_version: string_at(&document, &["spec", "kubernetesVersion"]),
            config_base: string_at(&document, &["spec", "configBase"]),
            subnets,
            document,
        }
    }
}

impl InstanceGroup {
    /// Read the typed fields from an InstanceGroup document (lenient, like
    /// [`Cluster::from_document`]).
    pub fn from_document(document: Node) -> InstanceGroup {
        let labels: BTreeMap<String, String> = document
            .get_path(&["metadata", "labels"])
            .and_then(Node::as_mapping)
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_str()?.to_owned())))
            .collect();
        let subnets = document
            .get_path(&["spec", "subnets"])
            .and_then(Node::as_sequence)
            .unwrap_or_default()
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect();
        InstanceGroup {
            name: string_at(&document, &["metadata", "name"]).unwrap_or_default(),
            cluster_label: labels.get(CLUSTER_LABEL).cloned(),
            role: string_at(&document, &["spec", "role"]),
            min_size: document
                .get_path(&["spec", "minSize"])
                .and_then(Node::as_i64),
            max_size: document
                .get_path(&["spec", "maxSize"])
                .and_then(Node::as_i64),
            machine_type: string_at(&document, &["spec", "machineType"]),
            subnets,
            labels,
            document,
        }
    }
}

/// Remove fields the server sets (kept out of git and out of diffs) and use the current
/// apiVersion.
fn normalize_document(document: &Node) -> Node {
    let mut document = document.clone();
    document.remove("status");
    if let Some(metadata) = document.get_mut("metadata") {
        metadata.remove("creationTimestamp");
        metadata.remove("generation");
        metadata.remove("resourceVersion");
        metadata.remove("uid");
    }
    if document.get("apiVersion").and_then(Node::as_str) == Some("kops/v1alpha2") {
        document.insert("apiVersion", Node::string(API_VERSION));
    }
    document
}

impl ClusterSpec {
    /// Parse + validate one spec file (pure: takes the text). `Err` holds every diagnostic,
    /// errors first, then warnings.
    pub fn parse(file: &Utf8Path, text: &str) -> Result<LoadedSpec, Vec<Diagnostic>> {
        let outcome = validate::load(file, text, validate::Mode::GitFile);
        match outcome.spec {
            Some(spec) if !outcome.diagnostics.iter().any(Diagnostic::is_error) => Ok(LoadedSpec {
                spec,
                warnings: outcome.diagnostics,
            }),
            _ => Err(outcome.diagnostics),
        }
    }

    /// Build from kops output (`kops get cluster NAME -o yaml` and
    /// `kops get instancegroups --name NAME -o yaml`; the IG text may be empty). Lenient:
    /// server-set fields are fine, there is no file-name check, and only structural problems
    /// (syntax, kinds, missing names, not exactly one Cluster) are errors.
    pub fn from_kops_output(
        cluster_yaml: &str,
        instance_groups_yaml: &str,
    ) -> anyhow::Result<ClusterSpec> {
        let file = Utf8Path::new("(kops get output)");
        let mut text = cluster_yaml.to_owned();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        if !instance_groups_yaml.trim().is_empty() {
            text.push_str("---\n");
            text.push_str(instance_groups_yaml);
        }
        let outcome = validate::load(file, &text, validate::Mode::KopsOutput);
        let errors: Vec<Diagnostic> = outcome
            .diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect();
        match outcome.spec {
            Some(spec) if errors.is_empty() => Ok(spec),
            _ => Err(anyhow::anyhow!(
                "{}",
                render_diagnostics(&errors).trim_end()
            ))
            .context("reading the live cluster spec from kops get -o yaml output"),
        }
    }

    pub fn name(&self) -> &str {
        &self.cluster.name
    }

    pub fn config_base(&self) -> Option<&str> {
        self.cluster.config_base.as_deref()
    }

    pub fn instance_group_names(&self) -> Vec<&str> {
        self.instance_groups
            .iter()
            .map(|ig| ig.name.as_str())
            .collect()
    }

    pub fn instance_group(&self, name: &str) -> Option<&InstanceGroup> {
        self.instance_groups.iter().find(|ig| ig.name == name)
    }

    /// kops-ready stream: Cluster first, then IGs (in file order), documents joined by
    /// `---\n`, no empty documents, no trailing separator (a trailing `---` breaks kops replace).
    pub fn to_kops_yaml(&self) -> String {
        std::iter::once(self.cluster_yaml())
            .chain(self.instance_groups.iter().map(|ig| ig.document.to_yaml()))
            .collect::<Vec<_>>()
            .join("---\n")
    }

    /// Just the Cluster document.
    pub fn cluster_yaml(&self) -> String {
        self.cluster.document.to_yaml()
    }

    pub fn instance_group_yaml(&self, name: &str) -> Option<String> {
        self.instance_group(name).map(|ig| ig.document.to_yaml())
    }

    /// Copy with `spec.configBase` set when it is absent (never overwrites an existing value).
    pub fn with_config_base(&self, config_base: &str) -> ClusterSpec {
        let mut copy = self.clone();
        if copy.cluster.config_base.is_some() {
            return copy;
        }
        let mut document = copy.cluster.document;
        if document.get("spec").is_none_or(Node::is_null) {
            document.insert("spec", Node::synthetic(Value::Mapping(Vec::new())));
        }
        if let Some(spec) = document.get_mut("spec") {
            spec.remove("configBase");
            spec.insert("configBase", Node::string(config_base));
        }
        copy.cluster = Cluster::from_document(document);
        copy
    }

    /// Copy without server-set fields (metadata.creationTimestamp, metadata.generation,
    /// status…), with the current apiVersion; IGs sorted by name.
    pub fn normalized(&self) -> ClusterSpec {
        let mut instance_groups: Vec<InstanceGroup> = self
            .instance_groups
            .iter()
            .map(|ig| InstanceGroup::from_document(normalize_document(&ig.document)))
            .collect();
        instance_groups.sort_by(|a, b| a.name.cmp(&b.name));
        ClusterSpec {
            file: self.file.clone(),
            cluster: Cluster::from_document(normalize_document(&self.cluster.document)),
            instance_groups,
        }
    }
}

#[cfg(test)]
mod large_input_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod yaml_subset_tests;
