//! JSON rendering of a [`RunSummary`]. The `Json*` view structs below are the one serde model of
//! the report: the domain types (`RunSummary`, `UpdateReport`, `SpecChange`, …) carry no serde,
//! and every JSON key, its order and its string values are decided here. The schema is
//! documented in `report/JSON.md`; keep the two in step.

use serde::Serialize;

use crate::policy::Violation;
use crate::report::redact::redact_report;
use crate::report::rolling::{GroupStatus, RollingUpdateReport};
use crate::report::summary::{ClusterStatus, ClusterSummary, RunSummary};
use crate::report::unparsed::UnparsedBlock;
use crate::report::update::{Deletion, DeletionSection, FieldChange, TaskChange, UpdateReport};
use crate::spec::SpecChange;

/// Version of the JSON document written by [`render_json`]; bumped on incompatible changes.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Top level (JSON.md "Top level").
#[derive(Serialize)]
struct JsonRun<'a> {
    schema_version: u32,
    command: &'a str,
    branch: &'a str,
    changes_pending: bool,
    rolling_update_needed: bool,
    has_errors: bool,
    policy_blocked: bool,
    overrides: Vec<JsonOverride<'a>>,
    clusters: Vec<JsonCluster<'a>>,
}

/// JSON.md "override".
#[derive(Serialize)]
struct JsonOverride<'a> {
    cluster: &'a str,
    rule: &'a str,
}

/// JSON.md "violation".
#[derive(Serialize)]
struct JsonViolation<'a> {
    rule: &'a str,
    level: &'static str,
    blocks: bool,
    allowed: bool,
    file: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    path: &'a str,
    message: &'a str,
    why: &'a str,
    #[serde(rename = "override")]
    override_flag: String,
    rendered: Option<&'a str>,
}

/// JSON.md "cluster".
#[derive(Serialize)]
struct JsonCluster<'a> {
    cluster: &'a str,
    status: &'static str,
    new_cluster: bool,
    changes_pending: bool,
    rolling_update_needed: bool,
    error: Option<&'a str>,
    spec_diff: Option<Vec<JsonSpecChange<'a>>>,
    update: Option<JsonUpdate>,
    instance_groups_to_delete: &'a [String],
    rolling_update: Option<JsonRolling<'a>>,
    policy: Option<Vec<JsonViolation<'a>>>,
}

/// JSON.md "spec change".
#[derive(Serialize)]
struct JsonSpecChange<'a> {
    change: &'static str,
    kind: &'static str,
    object: &'a str,
    path: Option<&'a str>,
    old: Option<&'a str>,
    new: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonCounts {
    create: usize,
    modify: usize,
    delete: usize,
}

/// JSON.md "update": built from the redacted report, which it owns.
#[derive(Serialize)]
struct JsonUpdate {
    changes_pending: bool,
    closing_line_seen: bool,
    counts: JsonCounts,
    creates: Vec<JsonTask>,
    modifies: Vec<JsonTask>,
    deletions: Vec<JsonDeletion>,
    notices: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unparsed: Vec<JsonUnparsed>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

/// JSON.md "unparsed block".
#[derive(Serialize)]
struct JsonUnparsed {
    line: usize,
    section: Option<String>,
    after_resource: Option<String>,
    after_field: Option<String>,
    reason: String,
    lines: Vec<String>,
}

/// JSON.md "task".
#[derive(Serialize)]
struct JsonTask {
    kind: String,
    name: String,
    fields: Vec<JsonField>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    consistency_error: Vec<String>,
}

/// JSON.md "field".
#[derive(Serialize)]
struct JsonField {
    field: String,
    old: Option<String>,
    new: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    diff: Vec<String>,
}

/// JSON.md "deletion".
#[derive(Serialize)]
struct JsonDeletion {
    section: &'static str,
    task: String,
    item: String,
}

/// JSON.md "rolling update".
#[derive(Serialize)]
struct JsonRolling<'a> {
    update_required: bool,
    closing_line_seen: bool,
    single_control_plane: bool,
    groups_needing_update: Vec<&'a str>,
    groups: Vec<JsonGroup<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unparsed: Vec<JsonUnparsed>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    warnings: &'a [String],
}

/// JSON.md "group".
#[derive(Serialize)]
struct JsonGroup<'a> {
    name: &'a str,
    status: &'static str,
    need_update: u32,
    ready: u32,
    min: u32,
    target: Option<u32>,
    max: u32,
    nodes: Option<u32>,
}

/// The `status` strings of JSON.md.
fn status(st: ClusterStatus) -> &'static str {
    match st {
        ClusterStatus::Error => "error",
        ClusterStatus::NewCluster => "new_cluster",
        ClusterStatus::ChangesPending => "changes_pending",
        ClusterStatus::NoChanges => "no_changes",
    }
}

/// The deletion `section` strings of JSON.md.
fn section(s: DeletionSection) -> &'static str {
    match s {
        DeletionSection::WillDelete => "will_delete",
        DeletionSection::OnlyWithPrune => "only_with_prune",
        DeletionSection::DuringUpdate => "during_update",
    }
}

/// From the change's shared description.
fn json_spec_change(c: &SpecChange) -> JsonSpecChange<'_> {
    let d = c.describe();
    JsonSpecChange {
        change: d.change.word(),
        kind: d.kind.as_str(),
        object: d.object,
        path: d.path,
        old: d.old,
        new: d.new,
    }
}

fn json_field(f: FieldChange) -> JsonField {
    JsonField {
        field: f.field,
        old: f.old,
        new: f.new,
        diff: f.diff,
    }
}

fn json_task(t: TaskChange) -> JsonTask {
    JsonTask {
        kind: t.kind,
        name: t.name,
        fields: t.fields.into_iter().map(json_field).collect(),
        consistency_error: t.consistency_error,
    }
}

fn json_unparsed(b: UnparsedBlock) -> JsonUnparsed {
    JsonUnparsed {
        line: b.line,
        section: b.section,
        after_resource: b.after_resource,
        after_field: b.after_field,
        reason: b.reason,
        lines: b.lines,
    }
}

fn json_deletion(d: Deletion) -> JsonDeletion {
    JsonDeletion {
        section: section(d.section),
        task: d.task,
        item: d.item,
    }
}

/// Values redacted first (see [`redact_report`]); JSON never clips them.
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
        creates: u.creates.into_iter().map(json_task).collect(),
        modifies: u.modifies.into_iter().map(json_task).collect(),
        deletions: u.deletions.into_iter().map(json_deletion).collect(),
        notices: u.notices,
        unparsed: u.unparsed.into_iter().map(json_unparsed).collect(),
        warnings: u.warnings,
    }
}

fn json_group(g: &GroupStatus) -> JsonGroup<'_> {
    JsonGroup {
        name: &g.name,
        status: g.status.as_str(),
        need_update: g.need_update,
        ready: g.ready,
        min: g.min,
        target: g.target,
        max: g.max,
        nodes: g.nodes,
    }
}

fn json_rolling(r: &RollingUpdateReport) -> JsonRolling<'_> {
    JsonRolling {
        update_required: r.update_required,
        closing_line_seen: r.closing_line_seen,
        single_control_plane: r.single_control_plane,
        groups_needing_update: r.groups_needing_update().map(|g| g.name.as_str()).collect(),
        groups: r.groups.iter().map(json_group).collect(),
        unparsed: r.unparsed.iter().cloned().map(json_unparsed).collect(),
        warnings: &r.warnings,
    }
}

fn json_cluster(c: &ClusterSummary) -> JsonCluster<'_> {
    JsonCluster {
        cluster: &c.cluster,
        status: status(c.status()),
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
        rolling_update: c.rolling_update.as_ref().map(json_rolling),
        policy: c
            .policy
            .as_ref()
            .map(|violations| violations.iter().map(json_violation).collect()),
    }
}

fn json_violation(v: &Violation) -> JsonViolation<'_> {
    JsonViolation {
        rule: &v.rule,
        level: v.level.as_str(),
        blocks: v.blocks(),
        allowed: v.allowed,
        file: v.file.as_str(),
        line: v.line,
        column: v.column,
        path: &v.path,
        message: &v.message,
        why: &v.why,
        override_flag: v.override_flag(),
        rendered: v.rendered.as_deref(),
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
        policy_blocked: s.policy_blocked(),
        overrides: s
            .overrides()
            .map(|v| JsonOverride {
                cluster: &v.cluster,
                rule: &v.rule,
            })
            .collect(),
        clusters: s.clusters.iter().map(json_cluster).collect(),
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
