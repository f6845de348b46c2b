//! Spec validation: turns a parsed YAML stream into a `ClusterSpec` while collecting every
//! problem as a diagnostic (file, line, column, field path, hint). Rules follow kops
//! v1alpha2 (KOPS.md §3, §7) plus kopsflow's own (one cluster per file, file named after it).

use camino::Utf8Path;

use super::diagnostic::{Diagnostic, Severity};
use super::yaml::{self, join_key, DuplicateKey, Node, Scalar, Value};
use super::{Cluster, ClusterSpec, InstanceGroup, CLUSTER_LABEL};

/// How strict to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A spec file from git: every rule.
    GitFile,
    /// Output of `kops get … -o yaml`: only structural rules (kops already validated it, and
    /// newer kops versions may use values this module does not know yet).
    KopsOutput,
}

#[derive(Debug)]
pub(crate) struct Outcome {
    pub spec: Option<ClusterSpec>,
    /// Errors first, then warnings; each group in line order.
    pub diagnostics: Vec<Diagnostic>,
}

const ACCEPTED_API_VERSIONS: &[&str] = &["kops.k8s.io/v1alpha2", "kops/v1alpha2"];
const KNOWN_TOP_LEVEL_FIELDS: &[&str] = &["apiVersion", "kind", "metadata", "spec", "status"];
/// InstanceGroup roles as serialised by kops v1alpha2 (1.28–1.36).
const KNOWN_ROLES: &[&str] = &["Master", "Node", "Bastion", "APIServer"];

/// Top-level fields of a v1alpha2 `Cluster` spec (kops pkg/apis/kops/v1alpha2/cluster.go,
/// generous: old and new kops versions).
const KNOWN_CLUSTER_SPEC_FIELDS: &[&str] = &[
    "additionalNetworkCIDRs",
    "additionalPolicies",
    "additionalSans",
    "addons",
    "api",
    "assets",
    "authentication",
    "authorization",
    "awsLoadBalancerController",
    "certManager",
    "channel",
    "cloudConfig",
    "cloudControllerManager",
    "cloudLabels",
    "cloudProvider",
    "clusterAutoscaler",
    "clusterDNSDomain",
    "configBase",
    "configStore",
    "containerd",
    "containerRuntime",
    "controlPlaneKubelet",
    "disableSubnetTags",
    "dnsControllerGossipConfig",
    "dnsZone",
    "docker",
    "egressProxy",
    "encryptionConfig",
    "etcdClusters",
    "externalCloudControllerManager",
    "externalDns",
    "externalPolicies",
    "fileAssets",
    "gossipConfig",
    "hooks",
    "iam",
    "isolateMasters",
    "karpenter",
    "keyStore",
    "kubeAPIServer",
    "kubeControllerManager",
    "kubeDNS",
    "kubelet",
    "kubeProxy",
    "kubernetesApiAccess",
    "kubernetesVersion",
    "kubeScheduler",
    "masterInternalName",
    "masterKubelet",
    "masterPublicName",
    "metricsServer",
    "networkCIDR",
    "networkID",
    "networking",
    "nodeAuthorization",
    "nodePortAccess",
    "nodeProblemDetector",
    "nodeTerminationHandler",
    "nonMasqueradeCIDR",
    "ntp",
    "podCIDR",
    "podIdentityWebhook",
    "project",
    "rollingUpdate",
    "secretStore",
    "serviceAccountIssuerDiscovery",
    "serviceClusterIPRange",
    "snapshotController",
    "sshAccess",
    "sshKeyName",
    "subnets",
    "sysctlParameters",
    "target",
    "topology",
    "updatePolicy",
    "useHostCertificates",
    "warmPool",
];

/// Top-level fields of a v1alpha2 `InstanceGroup` spec (pkg/apis/kops/v1alpha2/instancegroup.go).
const KNOWN_INSTANCE_GROUP_SPEC_FIELDS: &[&str] = &[
    "additionalSecurityGroups",
    "additionalUserData",
    "associatePublicIp",
    "autoscale",
    "capacityRebalance",
    "cloudLabels",
    "compressUserData",
    "containerd",
    "cpuCredits",
    "detailedInstanceMonitoring",
    "externalLoadBalancers",
    "fileAssets",
    "gcpProvisioningModel",
    "guestAccelerators",
    "hooks",
    "iam",
    "image",
    "instanceInterruptionBehavior",
    "instanceMetadata",
    "instanceProtection",
    "kubelet",
    "machineType",
    "manager",
    "maxInstanceLifetime",
    "maxPrice",
    "maxSize",
    "minSize",
    "mixedInstancesPolicy",
    "nodeLabels",
    "packages",
    "role",
    "rollingUpdate",
    "rootVolumeDeleteOnTermination",
    "rootVolumeEncryption",
    "rootVolumeEncryptionKey",
    "rootVolumeIops",
    "rootVolumeOptimization",
    "rootVolumeSize",
    "rootVolumeThroughput",
    "rootVolumeType",
    "securityGroupOverride",
    "spotDurationInMinutes",
    "subnets",
    "suspendProcesses",
    "sysctlParameters",
    "taints",
    "tenancy",
    "updatePolicy",
    "volumeMounts",
    "volumes",
    "warmPool",
    "zones",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Cluster,
    InstanceGroup,
}

/// Parse and validate a whole file.
pub(crate) fn load(file: &Utf8Path, text: &str, mode: Mode) -> Outcome {
    let mut checker = Checker {
        file,
        source: text,
        mode,
        diagnostics: Vec::new(),
    };
    let stream = match yaml::parse_stream(text) {
        Ok(stream) => stream,
        Err(error) => {
            checker.report(
                Severity::Error,
                Some((error.line, error.column)),
                None,
                format!("YAML syntax error: {}", error.message),
                Some("fix the YAML at this position (indentation, quoting, a missing `:`)".into()),
            );
            return checker.finish(None);
        }
    };
    let object_labels: Vec<(usize, String)> = stream
        .documents
        .iter()
        .filter(|d| d.root.get("kind").and_then(Node::as_str) == Some("InstanceGroup"))
        .map(|d| (d.index, instance_group_label(&d.root)))
        .collect();
    checker.check_duplicate_keys(&stream.duplicate_keys, &object_labels);

    let mut clusters = Vec::new();
    let mut instance_groups = Vec::new();
    for document in stream.documents {
        match checker.classify(&document.root, document.index) {
            Some(Kind::Cluster) => clusters.push(checker.check_cluster(document.root)),
            Some(Kind::InstanceGroup) => {
                instance_groups.push(checker.check_instance_group(document.root))
            }
            None => {}
        }
    }
    let Some(cluster) = checker.single_cluster(clusters) else {
        return checker.finish(None);
    };
    if mode == Mode::GitFile {
        checker.check_file_name(&cluster);
    }
    checker.check_instance_groups_against_cluster(&cluster, &instance_groups);
    let spec = ClusterSpec {
        file: file.to_owned(),
        cluster,
        instance_groups,
    };
    checker.finish(Some(spec))
}

struct Checker<'a> {
    file: &'a Utf8Path,
    /// The source text, to quote plain scalars as written (`1.30`, not the number `1.3`).
    source: &'a str,
    mode: Mode,
    diagnostics: Vec<Diagnostic>,
}

/// Where a node starts, if it came from the source.
fn position_of(node: &Node) -> Option<(usize, usize)> {
    (node.line > 0).then_some((node.line, node.column))
}

/// Field path as shown in diagnostics: `spec.x` for the Cluster, `InstanceGroup NAME: spec.x`.
fn object_path(object: &str, field: &str) -> String {
    if object.is_empty() {
        field.to_owned()
    } else {
        format!("{object}: {field}")
    }
}

fn instance_group_label(document: &Node) -> String {
    match document
        .get_path(&["metadata", "name"])
        .and_then(Node::as_str)
    {
        Some(name) => format!("InstanceGroup {name}"),
        None => "InstanceGroup (unnamed)".to_owned(),
    }
}

fn describe(node: &Node) -> String {
    match &node.value {
        Value::Scalar(Scalar::String(s)) => format!("\"{s}\""),
        _ => node.to_flow(),
    }
}

impl Checker<'_> {
    /// The plain scalar at a node's position as written in the source.
    fn as_written(&self, node: &Node) -> Option<String> {
        let line = self.source.lines().nth(node.line.checked_sub(1)?)?;
        let rest: String = line.chars().skip(node.column.checked_sub(1)?).collect();
        let token = rest.split(" #").next()?.trim();
        (!token.is_empty()).then(|| token.to_owned())
    }

    fn report(
        &mut self,
        severity: Severity,
        position: Option<(usize, usize)>,
        path: Option<String>,
        message: String,
        hint: Option<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            severity,
            file: self.file.to_owned(),
            line: position.map(|(line, _)| line),
            column: position.map(|(_, column)| column),
            path,
            message,
            hint,
        });
    }

    fn error(&mut self, node: &Node, path: String, message: String, hint: Option<String>) {
        self.report(
            Severity::Error,
            position_of(node),
            Some(path),
            message,
            hint,
        );
    }

    fn finish(mut self, spec: Option<ClusterSpec>) -> Outcome {
        // Stable: errors before warnings, file-level (no line) first, then by position.
        self.diagnostics
            .sort_by_key(|d| (d.severity, d.line.unwrap_or(0), d.column.unwrap_or(0)));
        Outcome {
            spec,
            diagnostics: self.diagnostics,
        }
    }

    /// `object_labels`: document index → `InstanceGroup NAME` for instance group documents.
    fn check_duplicate_keys(
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
                .iter()
                .find(|(index, _)| *index == duplicate.document)
                .map_or("", |(_, label)| label.as_str());
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
    fn classify(&mut self, root: &Node, index: usize) -> Option<Kind> {
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
                    let hint = match node.as_str().and_then(|k| suggest(k, &["Cluster", "InstanceGroup"])) {
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
    fn check_name(&mut self, root: &Node, object: &str, kind: &str) {
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

    fn spec_of<'n>(&mut self, root: &'n Node, object: &str, kind: &str) -> Option<&'n Node> {
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

    fn check_cluster(&mut self, root: Node) -> Cluster {
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
        let mut seen: Vec<(&str, usize)> = Vec::new();
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
                    if let Some((_, line)) = seen.iter().find(|(seen_name, _)| *seen_name == name) {
                        let message =
                            format!("duplicate subnet name \"{name}\" (first at line {line})");
                        self.error(
                            subnet,
                            path,
                            message,
                            Some("subnet names must be unique".into()),
                        );
                    } else {
                        seen.push((name, subnet.line));
                    }
                }
            }
        }
    }

    fn check_instance_group(&mut self, root: Node) -> InstanceGroup {
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

    fn warn_unknown_fields(&mut self, mapping: &Node, object: &str, prefix: &str, known: &[&str]) {
        let Some(entries) = mapping.as_mapping() else {
            return;
        };
        for (key, _) in entries {
            let name = key
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| key.to_flow());
            if known.contains(&name.as_str()) {
                continue;
            }
            let hint = match suggest(&name, known) {
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
    fn single_cluster(&mut self, clusters: Vec<Cluster>) -> Option<Cluster> {
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
        for extra in clusters {
            self.error(
                &extra.document,
                format!("Cluster {}", extra.name),
                format!(
                    "a second Cluster document (this file already holds Cluster \"{}\" from line {})",
                    first.name, first.document.line
                ),
                Some(format!(
                    "keep one cluster per file: move \"{}\" to its own file named {}.yml",
                    extra.name, extra.name
                )),
            );
        }
        Some(first)
    }

    /// `cluster-spec/NAME.yml` (or `.yaml`) must hold the Cluster NAME.
    fn check_file_name(&mut self, cluster: &Cluster) {
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
        let expected = self.file.with_file_name(format!("{}.yml", cluster.name));
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
                cluster.name
            ),
            Some(format!(
                "rename the file to `{expected}` (spec files are named after their cluster, NAME.yml or NAME.yaml)"
            )),
        );
    }

    fn check_instance_groups_against_cluster(
        &mut self,
        cluster: &Cluster,
        groups: &[InstanceGroup],
    ) {
        let subnet_names: Vec<&str> = cluster.subnets.iter().map(|s| s.name.as_str()).collect();
        for (index, group) in groups.iter().enumerate() {
            let object = instance_group_label(&group.document);
            self.check_cluster_label(cluster, group, &object);
            if let Some(first) = groups[..index]
                .iter()
                .find(|g| !g.name.is_empty() && g.name == group.name)
            {
                let at = group
                    .document
                    .get_path(&["metadata", "name"])
                    .unwrap_or(&group.document);
                self.error(
                    at,
                    object_path(&object, "metadata.name"),
                    format!(
                        "duplicate InstanceGroup name \"{}\" (first at line {})",
                        group.name, first.document.line
                    ),
                    Some("instance group names must be unique within a cluster; rename or remove one".into()),
                );
            }
            if self.mode == Mode::GitFile {
                self.check_subnet_references(group, &object, &subnet_names);
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
                        cluster.name
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
                    cluster.name
                ),
                Some(format!(
                    "set it to `{}` (one file holds one cluster and its instance groups)",
                    cluster.name
                )),
            ),
        }
    }

    fn check_subnet_references(&mut self, group: &InstanceGroup, object: &str, known: &[&str]) {
        let Some(items) = group
            .document
            .get_path(&["spec", "subnets"])
            .and_then(Node::as_sequence)
        else {
            return;
        };
        for (index, item) in items.iter().enumerate() {
            let Some(name) = item.as_str() else { continue };
            if known.contains(&name) {
                continue;
            }
            let hint = match suggest(name, known) {
                Some(close) => format!("did you mean `{close}`?"),
                None if known.is_empty() => {
                    "the Cluster has no spec.subnets; add the subnet there first".into()
                }
                None => format!(
                    "use a subnet name from the Cluster's spec.subnets: {}",
                    known.join(", ")
                ),
            };
            self.error(
                item,
                object_path(object, &format!("spec.subnets[{index}]")),
                format!("subnet \"{name}\" is not among the Cluster's spec.subnets"),
                Some(hint),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Value rules

/// A DNS-1123 label: 1–63 of `[a-z0-9-]`, starting and ending alphanumeric.
pub fn is_dns1123_label(s: &str) -> bool {
    let bytes = s.as_bytes();
    let alphanumeric = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.first().is_some_and(alphanumeric)
        && bytes.last().is_some_and(alphanumeric)
        && bytes.iter().all(|b| alphanumeric(b) || *b == b'-')
}

/// A DNS-1123 subdomain: at most 253 characters, dot-separated DNS-1123 labels.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

/// `1.29.2`, `v1.29.0`, `1.30.0-beta.1`, `1.29.2+build.1`, or an http(s) URL (kops accepts a
/// release URL as kubernetesVersion).
pub fn is_kubernetes_version(s: &str) -> bool {
    if let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    {
        return !rest.is_empty() && !rest.contains(char::is_whitespace);
    }
    let version = s.strip_prefix('v').unwrap_or(s);
    let (version, build) = match version.split_once('+') {
        Some((version, build)) => (version, Some(build)),
        None => (version, None),
    };
    let (core, pre_release) = match version.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (version, None),
    };
    let identifiers_ok = |text: &str| {
        text.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    };
    let numbers: Vec<&str> = core.split('.').collect();
    numbers.len() == 3
        && numbers
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && pre_release.is_none_or(identifiers_ok)
        && build.is_none_or(identifiers_ok)
}

/// Edit distance (insertions, deletions, substitutions).
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// The closest known word, if it is close enough to be a likely typo.
fn suggest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    if let Some(same) = known.iter().find(|k| k.eq_ignore_ascii_case(word)) {
        return Some(same);
    }
    let lower = word.to_ascii_lowercase();
    let (distance, closest) = known
        .iter()
        .map(|k| (levenshtein(&lower, &k.to_ascii_lowercase()), *k))
        .min_by_key(|(distance, _)| *distance)?;
    let allowed = match word.chars().count() {
        0..=4 => 1,
        5..=9 => 2,
        _ => 3,
    };
    (distance <= allowed).then_some(closest)
}

fn suggest_role(role: &str) -> Option<&'static str> {
    let lower = role.to_ascii_lowercase();
    match lower.as_str() {
        "controlplane" | "control-plane" | "control_plane" | "masters" => Some("Master"),
        "nodes" | "worker" | "workers" => Some("Node"),
        _ => suggest(role, KNOWN_ROLES),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns1123_subdomains() {
        for good in ["test.k8s.local", "a", "nodes-us-east-1a", "a-b.c0"] {
            assert!(is_dns1123_subdomain(good), "{good}");
        }
        for bad in [
            "",
            "Nodes",
            "a_b",
            "-a",
            "a-",
            "a..b",
            ".a",
            &"x".repeat(64),
        ] {
            assert!(!is_dns1123_subdomain(bad), "{bad}");
        }
    }

    #[test]
    fn kubernetes_versions() {
        for good in [
            "1.29.2",
            "v1.29.0",
            "1.30.0-beta.1",
            "1.29.2+abc",
            "https://storage.googleapis.com/kubernetes-release-dev/ci/v1.30.0-alpha.0/",
        ] {
            assert!(is_kubernetes_version(good), "{good}");
        }
        for bad in [
            "abc", "1.29", "1.29.x", "v", "1..2", "1.29.2-", "ftp://x", "https://",
        ] {
            assert!(!is_kubernetes_version(bad), "{bad}");
        }
    }

    #[test]
    fn suggestions_catch_typos_only() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(
            suggest("kubernetesVerison", KNOWN_CLUSTER_SPEC_FIELDS),
            Some("kubernetesVersion")
        );
        assert_eq!(
            suggest("machinetype", KNOWN_INSTANCE_GROUP_SPEC_FIELDS),
            Some("machineType")
        );
        assert_eq!(suggest("frobnicate", KNOWN_CLUSTER_SPEC_FIELDS), None);
        assert_eq!(suggest_role("master"), Some("Master"));
        assert_eq!(suggest_role("ControlPlane"), Some("Master"));
        assert_eq!(suggest_role("Nodes"), Some("Node"));
        assert_eq!(suggest_role("Bastian"), Some("Bastion"));
        assert_eq!(suggest_role("Database"), None);
    }
}
