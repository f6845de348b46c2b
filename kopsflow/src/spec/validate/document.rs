//! Rules for the stream and every object in it: duplicate keys, `kind` and `apiVersion`,
//! `metadata.name`, the `spec` mapping, unknown fields, one Cluster per file and the file name.

use std::collections::HashMap;

use crate::spec::diagnostic::Severity;
use crate::spec::yaml::{join_key, DuplicateKey, Node};
use crate::spec::Cluster;

use super::known::{ACCEPTED_API_VERSIONS, KNOWN_TOP_LEVEL_FIELDS};
use super::values::is_dns1123_subdomain;
use super::{
    cut, describe, instance_group_label, object_path, position_of, Checker, Kind, Mode, MAX_QUOTED,
};

impl Checker<'_> {
    /// `object_labels`: document index → `InstanceGroup NAME` for instance group documents.
    pub(super) fn check_duplicate_keys(
        &mut self,
        duplicates: &[DuplicateKey],
        object_labels: &[(usize, String)],
    ) {
        // Two top-level `apiVersion`/`kind` keys: two documents glued together.
        let second_document_start = duplicates
            .iter()
            .filter(|d| d.parent_path.is_empty() && (d.key == "apiVersion" || d.key == "kind"))
            .min_by_key(|d| d.second)
            .map(|d| (d.key.clone(), d.second.0));
        let object_labels: HashMap<usize, &str> = object_labels
            .iter()
            .map(|(index, label)| (*index, label.as_str()))
            .collect();
        for duplicate in duplicates {
            let concatenated = duplicate.parent_path.is_empty()
                && (duplicate.key == "apiVersion" || duplicate.key == "kind");
            let hint = match (&second_document_start, duplicate.parent_path.is_empty()) {
                (Some((key, line)), true) if concatenated => Some(format!(
                    "the documents were concatenated without a `---` separator line; put `---` on its own line between them (just before line {line}, the second `{key}`)"
                )),
                (Some((_, line)), true) => Some(format!(
                    "a consequence of the missing `---` separator before line {line} (see above)"
                )),
                _ => Some("remove one of the two entries (only one of them can take effect)".into()),
            };
            let object = object_labels
                .get(&duplicate.document)
                .copied()
                .unwrap_or("");
            self.report(
                Severity::Error,
                Some(duplicate.second),
                Some(object_path(
                    object,
                    &join_key(&duplicate.parent_path, &duplicate.key),
                )),
                format!(
                    "duplicate key `{}` (first at line {}, again at line {})",
                    duplicate.key, duplicate.first.0, duplicate.second.0
                ),
                hint,
            );
        }
    }

    /// Check `kind` and `apiVersion`; `None` when the document cannot be used.
    pub(super) fn classify(&mut self, root: &Node, index: usize) -> Option<Kind> {
        let document_number = index + 1;
        if root.as_mapping().is_none() {
            self.error(
                root,
                format!("document {document_number}"),
                format!(
                    "expected a kops object (a mapping), found {}",
                    describe(root)
                ),
                Some(
                    "each document starts with `apiVersion: kops.k8s.io/v1alpha2` and `kind:`"
                        .into(),
                ),
            );
            return None;
        }
        let kind = match root.get("kind") {
            None => {
                self.error(
                    root,
                    "kind".into(),
                    format!("document {document_number} has no `kind`"),
                    Some("add `kind: Cluster` or `kind: InstanceGroup`".into()),
                );
                return None;
            }
            Some(node) => match node.as_str() {
                Some("Cluster") => Kind::Cluster,
                Some("InstanceGroup") => Kind::InstanceGroup,
                Some("SSHCredential") => {
                    // kops replace accepts SSHCredential, but kopsflow specs do not model it:
                    // keeping it would silently drop it from what we hand to kops. An error
                    // makes that explicit.
                    self.error(
                        node,
                        "kind".into(),
                        "kind `SSHCredential` is not managed in kopsflow cluster specs".into(),
                        Some("remove this document and manage SSH keys with `kops create sshpublickey` (keys do not belong in the spec file)".into()),
                    );
                    return None;
                }
                _ => {
                    let hint = match node.as_str().and_then(|k| self.suggest(k, &["Cluster", "InstanceGroup"])) {
                        Some(known) => format!("did you mean `{known}`?"),
                        None => "a cluster spec holds `kind: Cluster` and `kind: InstanceGroup` documents".into(),
                    };
                    self.error(
                        node,
                        "kind".into(),
                        format!("unknown kind {}", describe(node)),
                        Some(hint),
                    );
                    return None;
                }
            },
        };
        match root.get("apiVersion") {
            None => self.error(
                root,
                "apiVersion".into(),
                format!("document {document_number} ({kind:?}) has no `apiVersion`"),
                Some("add `apiVersion: kops.k8s.io/v1alpha2`".into()),
            ),
            Some(node) if node.as_str().is_some_and(|v| ACCEPTED_API_VERSIONS.contains(&v)) => {}
            Some(node) => self.error(
                node,
                "apiVersion".into(),
                format!("unsupported apiVersion {}", describe(node)),
                Some("use `apiVersion: kops.k8s.io/v1alpha2` (the version kops reads from files; legacy `kops/v1alpha2` also works)".into()),
            ),
        }
        if self.mode == Mode::GitFile {
            let object = match kind {
                Kind::Cluster => String::new(),
                Kind::InstanceGroup => instance_group_label(root),
            };
            self.warn_unknown_fields(root, &object, "", KNOWN_TOP_LEVEL_FIELDS);
        }
        Some(kind)
    }

    /// `metadata.name`: present and a DNS-1123 subdomain.
    pub(super) fn check_name(&mut self, root: &Node, object: &str, kind: &str) {
        let path = object_path(object, "metadata.name");
        match root.get_path(&["metadata", "name"]) {
            None => {
                let at = root.get("metadata").unwrap_or(root);
                self.error(
                    at,
                    path,
                    format!("{kind} has no metadata.name"),
                    Some("add `name:` under `metadata:`".into()),
                );
            }
            Some(node) => match node.as_str() {
                Some(name) if is_dns1123_subdomain(name) => {}
                _ => self.error(
                    node,
                    path,
                    format!("{} is not a valid {kind} name", describe(node)),
                    Some("use a DNS-1123 subdomain: lower-case letters, digits, `-` and `.`, starting and ending with a letter or digit (it becomes a command argument and a file name)".into()),
                ),
            },
        }
    }

    pub(super) fn spec_of<'n>(
        &mut self,
        root: &'n Node,
        object: &str,
        kind: &str,
    ) -> Option<&'n Node> {
        match root.get("spec") {
            Some(spec) if spec.as_mapping().is_some() => Some(spec),
            other => {
                self.error(
                    other.unwrap_or(root),
                    object_path(object, "spec"),
                    format!("{kind} has no `spec` mapping"),
                    Some("add the object's `spec:` (see `kops get … -o yaml` for a complete example)".into()),
                );
                None
            }
        }
    }

    pub(super) fn warn_unknown_fields(
        &mut self,
        mapping: &Node,
        object: &str,
        prefix: &str,
        known: &[&str],
    ) {
        let Some(entries) = mapping.as_mapping() else {
            return;
        };
        for (key, _) in entries {
            let name = match key.as_str() {
                Some(name) if known.contains(&name) => continue,
                Some(name) => cut(name),
                None => key.to_flow_cut(MAX_QUOTED),
            };
            let hint = match self.suggest(&name, known) {
                Some(close) => format!("did you mean `{close}`?"),
                None => "kops may reject or ignore it; check the field name against the kops API (v1alpha2)".into(),
            };
            self.report(
                Severity::Warning,
                position_of(key),
                Some(object_path(object, &join_key(prefix, &name))),
                format!("unknown field `{name}`"),
                Some(hint),
            );
        }
    }

    /// Exactly one Cluster per file.
    pub(super) fn single_cluster(&mut self, clusters: Vec<Cluster>) -> Option<Cluster> {
        let mut clusters = clusters.into_iter();
        let Some(first) = clusters.next() else {
            self.report(
                Severity::Error,
                None,
                None,
                "no `kind: Cluster` document".into(),
                Some("a spec file holds one Cluster document followed by its InstanceGroups, separated by `---` lines".into()),
            );
            return None;
        };
        let first_name = cut(&first.name);
        for extra in clusters {
            let extra_name = cut(&extra.name);
            self.error(
                &extra.document,
                format!("Cluster {extra_name}"),
                format!(
                    "a second Cluster document (this file already holds Cluster \"{first_name}\" from line {})",
                    first.document.line
                ),
                Some(format!(
                    "keep one cluster per file: move \"{extra_name}\" to its own file named {extra_name}.yml"
                )),
            );
        }
        Some(first)
    }

    /// `cluster-spec/NAME.yml` (or `.yaml`) must hold the Cluster NAME.
    pub(super) fn check_file_name(&mut self, cluster: &Cluster) {
        if cluster.name.is_empty() {
            return;
        }
        let file_name = self.file.file_name().unwrap_or(self.file.as_str());
        let stem = file_name
            .strip_suffix(".yml")
            .or_else(|| file_name.strip_suffix(".yaml"));
        if stem == Some(cluster.name.as_str()) {
            return;
        }
        let expected = self
            .file
            .with_file_name(format!("{}.yml", cut(&cluster.name)));
        let at = cluster
            .document
            .get_path(&["metadata", "name"])
            .unwrap_or(&cluster.document)
            .clone();
        self.error(
            &at,
            "metadata.name".into(),
            format!(
                "the file name `{file_name}` does not match the cluster name \"{}\"",
                cut(&cluster.name)
            ),
            Some(format!(
                "rename the file to `{expected}` (spec files are named after their cluster, NAME.yml or NAME.yaml)"
            )),
        );
    }
}
