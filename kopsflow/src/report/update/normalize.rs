//! Normalisation of the Go map values kops prints in random order (`Tags {k: v, …}`,
//! `docs/KOPS.md` §1.2): [`normalize_value`] sorts map entries so that two prints of the same value
//! compare equal. Bounded: nesting deeper than [`MAX_NORMALIZE_DEPTH`] is left as printed, so a
//! hostile value (100k nested braces) costs linear time and no deep recursion.
//!
//! And the one change kops lists that is no change of the spec: `ManagedFile/cluster-completed.spec`
//! whose diff is only `metadata.creationTimestamp` ([`only_server_set_fields`]). kops sets that
//! field when it creates a cluster and writes it into the completed spec; a spec exported without
//! it (`cargo xtask export` removes server-set fields) and replaced into a dry-run store makes kops
//! list the completed spec as modified, although the next `kops update cluster --yes` would only
//! drop the timestamp (`docs/KOPS.md` §1.8).

use super::TaskChange;

/// The ManagedFile kops writes the completed cluster spec to, under `configBase`.
pub const COMPLETED_SPEC: &str = "cluster-completed.spec";

/// Server-set fields of the completed spec's top-level `metadata` that a dry-run may show
/// changed without any change to the cluster.
pub const SERVER_SET_METADATA: &[&str] = &["creationTimestamp"];

/// Whether a modified task is `ManagedFile/cluster-completed.spec` and every line its diffs add
/// or remove is a server-set key of the Cluster's top-level `metadata` (`  creationTimestamp: …`,
/// two spaces deep in the YAML): a difference kops would print for an exported spec and nothing
/// else. Any other changed line, a field that is no diff, or an internal consistency error keeps
/// the task a change.
pub fn only_server_set_fields(task: &TaskChange) -> bool {
    task.kind == "ManagedFile"
        && task.name == COMPLETED_SPEC
        && task.consistency_error.is_empty()
        && !task.fields.is_empty()
        && task.fields.iter().all(|field| {
            let mut changed = field
                .diff
                .iter()
                .filter(|line| line.starts_with('+') || line.starts_with('-'))
                .peekable();
            field.is_diff()
                && changed.peek().is_some()
                && changed.all(|line| is_server_set_metadata_line(line))
        })
}

/// `+   creationTimestamp: "…"` / `-   creationTimestamp: …`: the diff prefix (`+ ` / `- `),
/// then a key of the top-level `metadata` (indented exactly two spaces).
fn is_server_set_metadata_line(line: &str) -> bool {
    let Some(yaml) = line.strip_prefix("+ ").or_else(|| line.strip_prefix("- ")) else {
        return false;
    };
    let Some(key_line) = yaml.strip_prefix("  ").filter(|k| !k.starts_with(' ')) else {
        return false;
    };
    SERVER_SET_METADATA.iter().any(|key| {
        key_line
            .strip_prefix(key)
            .is_some_and(|rest| rest.starts_with(':'))
    })
}

/// Bracket levels [`normalize_value`] descends into; deeper values are kept as they are. kops
/// values nest a few levels; this bounds both the recursion and the work (each level rescans its
/// part of the value once).
pub const MAX_NORMALIZE_DEPTH: usize = 32;

/// Sort the entries of Go-formatted maps (`{k: v, k2: v2}`) inside a kops value, recursively
/// (also inside slices `[…]`, whose element order is kept) down to [`MAX_NORMALIZE_DEPTH`]
/// levels; anything nested deeper is left as printed. Values that are not a balanced
/// `{…}`/`[…]` are returned unchanged. Entries are split on `", "` outside brackets and quotes;
/// if a map value itself contains `", "` the fragments are still sorted deterministically, so two
/// prints of the same map always normalise equal. Idempotent.
pub fn normalize_value(value: &str) -> String {
    normalize_at(value, 0)
}

/// [`normalize_value`] of a value nested `depth` brackets deep.
fn normalize_at(value: &str, depth: usize) -> String {
    if depth >= MAX_NORMALIZE_DEPTH {
        return value.to_string();
    }
    if let Some(inner) = value.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        if let Some(parts) = split_top_level(inner) {
            let mut parts: Vec<String> = parts
                .into_iter()
                .map(|p| normalize_entry(p, depth + 1))
                .collect();
            parts.sort();
            return format!("{{{}}}", parts.join(", "));
        }
    }
    if let Some(inner) = value.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        if let Some(parts) = split_top_level(inner) {
            let parts: Vec<String> = parts
                .into_iter()
                .map(|p| normalize_at(p, depth + 1))
                .collect();
            return format!("[{}]", parts.join(", "));
        }
    }
    value.to_string()
}

fn normalize_entry(entry: &str, depth: usize) -> String {
    match entry.split_once(": ") {
        Some((k, v)) => format!("{k}: {}", normalize_at(v, depth)),
        None => normalize_at(entry, depth),
    }
}

/// Split on `", "` at bracket depth 0 (outside `"…"`); `None` if brackets are unbalanced.
fn split_top_level(inner: &str) -> Option<Vec<&str>> {
    if inner.is_empty() {
        return Some(Vec::new());
    }
    let bytes = inner.as_bytes();
    let mut parts = Vec::new();
    let mut depth: i32 = 0;
    let mut in_str = false;
    let mut escaped = false;
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'{' | b'[' | b'(' => depth += 1,
                b'}' | b']' | b')' => {
                    depth -= 1;
                    if depth < 0 {
                        return None;
                    }
                }
                b',' if depth == 0 && bytes.get(i + 1) == Some(&b' ') => {
                    parts.push(&inner[start..i]);
                    start = i + 2;
                    i += 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    if depth != 0 || in_str {
        return None;
    }
    parts.push(&inner[start..]);
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::update::FieldChange;

    fn completed_spec(diff: &[&str]) -> TaskChange {
        TaskChange {
            kind: "ManagedFile".to_owned(),
            name: COMPLETED_SPEC.to_owned(),
            fields: vec![FieldChange {
                field: "Contents".to_owned(),
                old: None,
                new: String::new(),
                diff: diff.iter().map(|l| (*l).to_owned()).collect(),
            }],
            consistency_error: Vec::new(),
        }
    }

    /// The diff lines of the real kops 1.36.2 recording
    /// (update-cluster-dryrun.modify-ig.REAL.kops-1.36.2.stdout.txt), then variations.
    #[test]
    fn creation_timestamp_only() {
        let real = [
            "...",
            "  kind: Cluster",
            "  metadata:",
            "-   creationTimestamp: \"2026-11-25T23:27:13Z\"",
            "    name: demo1.k8s.local",
            "  spec:",
            "...",
        ];
        assert!(only_server_set_fields(&completed_spec(&real)));
        // Added back, or its value changed: still only the server-set field.
        assert!(only_server_set_fields(&completed_spec(&[
            "+   creationTimestamp: \"2026-11-25T23:27:13Z\"",
            "-   creationTimestamp: \"2026-11-24T10:00:00Z\"",
        ])));
        // A real change next to it, a nested key of that name, no changed line, another file.
        assert!(!only_server_set_fields(&completed_spec(&[
            "-   creationTimestamp: \"2026-11-25T23:27:13Z\"",
            "+   kubernetesVersion: 1.28.7",
        ])));
        assert!(!only_server_set_fields(&completed_spec(&[
            "-       creationTimestamp: x"
        ])));
        assert!(!only_server_set_fields(&completed_spec(&[
            "...",
            "  kind: Cluster"
        ])));
        assert!(!only_server_set_fields(&completed_spec(&[
            "-   creationTimestampX: 1"
        ])));
        let mut other = completed_spec(&real);
        other.name = "igconfig/node/nodes/nodeupconfig.yaml".to_owned();
        assert!(!only_server_set_fields(&other));
        let mut single = completed_spec(&[]);
        single.fields[0].old = Some("a".to_owned());
        single.fields[0].new = "b".to_owned();
        assert!(!only_server_set_fields(&single));
    }

    #[test]
    fn depth_is_bounded() {
        // Within the bound maps are sorted at every level; below it they are left as printed.
        let nest = |n: usize, core: &str| format!("{}{core}{}", "{x: ".repeat(n), "}".repeat(n));
        let shallow = nest(MAX_NORMALIZE_DEPTH - 1, "{b: 2, a: 1}");
        assert_eq!(
            normalize_value(&shallow),
            nest(MAX_NORMALIZE_DEPTH - 1, "{a: 1, b: 2}")
        );
        let deep = nest(MAX_NORMALIZE_DEPTH, "{b: 2, a: 1}");
        assert_eq!(normalize_value(&deep), deep);
    }

    /// The real kops 1.36.2 dry-run of an exported spec, from the recording.
    const MODIFY_IG_136: &str = include_str!(
        "../../../tests/kops-samples/update-cluster-dryrun.modify-ig.REAL.kops-1.36.2.stdout.txt"
    );

    /// The parser leaves the timestamp-only completed spec out; when it was all kops listed,
    /// nothing is pending although kops closed with `Must specify --yes`.
    #[test]
    fn the_parser_leaves_a_timestamp_only_completed_spec_out() {
        let (_, real) = MODIFY_IG_136.split_once('\n').unwrap_or_default();
        let report = crate::report::parse_update_dry_run(real).expect("parses");
        assert!(report.changes_pending);
        assert_eq!(
            report.resources(),
            ["AutoscalingGroup/nodes-us-east-1a.demo1.k8s.local"]
        );
        assert_eq!(
            report.ignored[0].resource(),
            "ManagedFile/cluster-completed.spec"
        );

        // DERIVED: the AutoscalingGroup block cut (what an export then plan of that cluster shows).
        let start = real.find("  AutoscalingGroup/").unwrap_or_default();
        let end = real.find("  ManagedFile/").unwrap_or_default();
        let only_timestamp = format!("{}{}", &real[..start], &real[end..]);
        let report = crate::report::parse_update_dry_run(&only_timestamp).expect("parses");
        assert!(!report.changes_pending && report.closing_line_seen);
        assert!(!report.has_listed_changes());
        assert_eq!(report.ignored.len(), 1);

        // DERIVED: a real change inside the completed spec next to the timestamp stays a change.
        let timestamp = "-   creationTimestamp: \"2026-11-25T23:27:13Z\"\n";
        let changed = only_timestamp.replacen(
            timestamp,
            &format!("{timestamp}  \t                    \t+   kubernetesVersion: 1.28.7\n"),
            1,
        );
        assert_ne!(changed, only_timestamp);
        let report = crate::report::parse_update_dry_run(&changed).expect("parses");
        assert!(report.changes_pending);
        assert_eq!(report.resources(), ["ManagedFile/cluster-completed.spec"]);
        assert!(report.ignored.is_empty());
    }
}
