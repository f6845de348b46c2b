//! JSON rendering of a [`RunSummary`] (schema documented in `report/JSON.md`).

use serde::Serialize;

use crate::report::redact::redact_report;
use crate::report::rolling::GroupStatus;
use crate::report::summary::{ClusterStatus, RunSummary};
use crate::report::update::{Deletion, TaskChange, UpdateReport};
use crate::spec::SpecChange;

/// Version of the JSON document written by [`render_json`]; bumped on incompatible changes.
pub const JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonRun<'a> {
    schema_version: u32,
    command: &'a str,
    branch: &'a str,
    changes_pending: bool,
    rolling_update_needed: bool,
    has_errors: bool,
    clusters: Vec<JsonCluster<'a>>,
}

#[derive(Serialize)]
struct JsonCluster<'a> {
    cluster: &'a str,
    status: ClusterStatus,
    new_cluster: bool,
    changes_pending: bool,
    rolling_update_needed: bool,
    error: Option<&'a str>,
    spec_diff: Option<Vec<JsonSpecChange>>,
    update: Option<JsonUpdate>,
    instance_groups_to_delete: &'a [String],
    rolling_update: Option<JsonRolling<'a>>,
}

#[derive(Serialize)]
struct JsonSpecChange {
    change: &'static str,
    kind: String,
    object: String,
    path: Option<String>,
    old: Option<String>,
    new: Option<String>,
}

#[derive(Serialize)]
struct JsonCounts {
    create: usize,
    modify: usize,
    delete: usize,
}

#[derive(Serialize)]
struct JsonUpdate {
    changes_pending: bool,
    closing_line_seen: bool,
    counts: JsonCounts,
    creates: Vec<TaskChange>,
    modifies: Vec<TaskChange>,
    deletions: Vec<Deletion>,
    notices: Vec<String>,
}

#[derive(Serialize)]
struct JsonRolling<'a> {
    update_required: bool,
    closing_line_seen: bool,
    single_control_plane: bool,
    groups_needing_update: Vec<&'a str>,
    groups: &'a [GroupStatus],
}

fn json_spec_change(c: &SpecChange) -> JsonSpecChange {
    match c {
        SpecChange::Modified {
            kind,
            object,
            path,
            old,
            new,
        } => JsonSpecChange {
            change: "modified",
            kind: kind.to_string(),
            object: object.clone(),
            path: Some(path.clone()),
            old: old.clone(),
            new: new.clone(),
        },
        SpecChange::Added { kind, object } => JsonSpecChange {
            change: "added",
            kind: kind.to_string(),
            object: object.clone(),
            path: None,
            old: None,
            new: None,
        },
        SpecChange::Removed { kind, object } => JsonSpecChange {
            change: "removed",
            kind: kind.to_string(),
            object: object.clone(),
            path: None,
            old: None,
            new: None,
        },
    }
}

fn json_update(u: &UpdateReport) -> JsonUpdate {
    let u = redact_report(u);
    JsonUpdate {
        changes_pending: u.changes_pending,
        closing_line_seen: u.closing_line_seen,
        counts: JsonCounts {
            create: u.create_count(),
            modify: u.modify_count(),
            delete: u.delete_count(),
        },
        creates: u.creates,
        modifies: u.modifies,
        deletions: u.deletions,
        notices: u.notices,
    }
}

/// Pretty JSON with `"schema_version": 1` first; the schema is documented in `JSON.md`.
pub fn render_json(s: &RunSummary) -> String {
    let run = JsonRun {
        schema_version: JSON_SCHEMA_VERSION,
        command: &s.command,
        branch: &s.branch,
        changes_pending: s.changes_pending(),
        rolling_update_needed: s.rolling_update_needed(),
        has_errors: s.has_errors(),
        clusters: s
            .clusters
            .iter()
            .map(|c| JsonCluster {
                cluster: &c.cluster,
                status: c.status(),
                new_cluster: c.new_cluster,
                changes_pending: c.changes_pending(),
                rolling_update_needed: c.rolling_update_needed(),
                error: c.error.as_deref(),
                spec_diff: c
                    .spec_diff
                    .as_ref()
                    .map(|d| d.changes.iter().map(json_spec_change).collect()),
                update: c.update.as_ref().map(json_update),
                instance_groups_to_delete: &c.instance_groups_to_delete,
                rolling_update: c.rolling_update.as_ref().map(|r| JsonRolling {
                    update_required: r.update_required,
                    closing_line_seen: r.closing_line_seen,
                    single_control_plane: r.single_control_plane,
                    groups_needing_update: r
                        .groups_needing_update()
                        .map(|g| g.name.as_str())
                        .collect(),
                    groups: &r.groups,
                }),
            })
            .collect(),
    };
    // Serialising plain structs of strings, numbers and bools cannot fail; keep a JSON error
    // object rather than panicking if it ever does.
    serde_json::to_string_pretty(&run).unwrap_or_else(|e| {
        format!(
            "{{\"schema_version\": {JSON_SCHEMA_VERSION}, \"error\": {:?}}}",
            e.to_string()
        )
    })
}
