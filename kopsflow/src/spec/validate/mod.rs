//! Spec validation: turns a parsed YAML stream into a `ClusterSpec` while collecting every
//! problem as a diagnostic (file, line, column, field path, hint). Rules follow kops
//! v1alpha2 (docs/KOPS.md §3, §7) plus kopsflow's own (one cluster per file, file named after it).
//!
//! This file is the checker: `load` walks the stream document by document and collects the
//! diagnostics, which the rules report through it. The rules live by object kind in
//! `document.rs` (the stream and every object), `cluster.rs` and `instance_group.rs`; value rules
//! (names, versions) in `values.rs`; the known kops names in `known.rs` and the "did you mean"
//! matching in `suggest.rs`.

mod cluster;
mod document;
mod instance_group;
mod known;
mod suggest;
mod values;

use camino::Utf8Path;

use super::diagnostic::{Diagnostic, Severity};
use super::yaml::{self, Node, Scalar, Value};
use super::ClusterSpec;

pub use values::{is_dns1123_label, is_dns1123_subdomain, is_kubernetes_version};

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
}
