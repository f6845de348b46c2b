//! JSON rendering of a [`RunSummary`]: the one JSON model of the report. The domain types
//! (`RunSummary`, `UpdateReport`, `SpecChange`, …) know nothing of JSON; every key, its order and
//! its string values are decided here, one function per JSON.md section. The schema is
//! documented in `report/JSON.md`; keep the two in step.

use crate::json::Json;
use crate::policy::Violation;
use crate::report::redact::redact_report;
use crate::report::rolling::{GroupStatus, RollingUpdateReport};
use crate::report::summary::{ClusterStatus, ClusterSummary, Drift, KopsUsed, RunSummary};
use crate::report::unparsed::UnparsedBlock;
use crate::report::update::{Deletion, DeletionSection, FieldChange, TaskChange, UpdateReport};
use crate::spec::SpecChange;

/// Version of the JSON document written by [`render_json`]; bumped on incompatible changes.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// The `status` strings of JSON.md.
fn status(st: ClusterStatus) -> &'static str {
    match st {
        ClusterStatus::Error => "error",
        ClusterStatus::Created => "created",
        ClusterStatus::Applied => "applied",
        ClusterStatus::NewCluster => "new_cluster",
        ClusterStatus::ChangesPending => "changes_pending",
        ClusterStatus::NotApplied => "not_applied",
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

/// JSON.md "spec change", from the change's shared description.
fn json_spec_change(c: &SpecChange) -> Json {
    let d = c.describe();
    Json::object()
        .with("change", d.change.word())
        .with("kind", d.kind.as_str())
        .with("object", d.object)
        .with("path", d.path)
        .with("old", d.old)
        .with("new", d.new)
}

/// JSON.md "field".
fn json_field(f: FieldChange) -> Json {
    Json::object()
        .with("field", f.field)
        .with("old", f.old)
        .with("new", f.new)
        .with_nonempty("diff", f.diff)
}

/// JSON.md "task".
fn json_task(t: TaskChange) -> Json {
    Json::object()
        .with("kind", t.kind)
        .with("name", t.name)
        .with("fields", Json::array(t.fields.into_iter().map(json_field)))
        .with_nonempty("consistency_error", t.consistency_error)
}

/// JSON.md "unparsed block".
fn json_unparsed(b: UnparsedBlock) -> Json {
    Json::object()
        .with("line", b.line)
        .with("section", b.section)
        .with("after_resource", b.after_resource)
        .with("after_field", b.after_field)
        .with("reason", b.reason)
        .with("lines", b.lines)
}

/// JSON.md "deletion".
fn json_deletion(d: Deletion) -> Json {
    Json::object()
        .with("section", section(d.section))
        .with("task", d.task)
        .with("item", d.item)
}

/// JSON.md "update": values redacted first (see [`redact_report`]); JSON never clips them.
fn json_update(u: &UpdateReport) -> Json {
    let u = redact_report(u);
    let counts = Json::object()
        .with("create", u.create_count())
        .with("modify", u.modify_count())
        .with("delete", u.delete_count());
    Json::object()
        .with("changes_pending", u.changes_pending)
        .with("closing_line_seen", u.closing_line_seen)
        .with("counts", counts)
        .with("creates", Json::array(u.creates.into_iter().map(json_task)))
        .with(
            "modifies",
            Json::array(u.modifies.into_iter().map(json_task)),
        )
        .with(
            "deletions",
            Json::array(u.deletions.into_iter().map(json_deletion)),
        )
        .with_nonempty("ignored", Json::array(u.ignored.into_iter().map(json_task)))
        .with("notices", u.notices)
        .with_nonempty(
            "unparsed",
            Json::array(u.unparsed.into_iter().map(json_unparsed)),
        )
        .with_nonempty("warnings", u.warnings)
}

/// JSON.md "group".
fn json_group(g: &GroupStatus) -> Json {
    Json::object()
        .with("name", g.name.as_str())
        .with("status", g.status.as_str())
        .with("need_update", g.need_update)
        .with("ready", g.ready)
        .with("min", g.min)
        .with("target", g.target)
        .with("max", g.max)
        .with("nodes", g.nodes)
}

/// JSON.md "rolling update".
fn json_rolling(r: &RollingUpdateReport) -> Json {
    Json::object()
        .with("update_required", r.update_required)
        .with("closing_line_seen", r.closing_line_seen)
        .with("single_control_plane", r.single_control_plane)
        .with(
            "groups_needing_update",
            Json::array(r.groups_needing_update().map(|g| g.name.as_str())),
        )
        .with("groups", Json::array(r.groups.iter().map(json_group)))
        .with_nonempty(
            "unparsed",
            Json::array(r.unparsed.iter().cloned().map(json_unparsed)),
        )
        .with_nonempty("warnings", r.warnings.as_slice())
}

/// JSON.md "drift".
fn json_drift(d: &Drift) -> Json {
    Json::object()
        .with("commit", d.commit.as_str())
        .with("file", d.file.as_str())
        .with("drifted", d.drifted())
        .with("at_target", d.at_target)
        .with("at_commit", d.at_commit.as_deref())
        .with("allowed", d.allowed)
        .with(
            "changes",
            Json::array(d.changes.changes.iter().map(json_spec_change)),
        )
}

/// JSON.md "violation".
fn json_violation(v: &Violation) -> Json {
    Json::object()
        .with("rule", v.rule.as_str())
        .with("level", v.level.as_str())
        .with("blocks", v.blocks())
        .with("allowed", v.allowed)
        .with("file", v.file.as_str())
        .with("line", v.line)
        .with("column", v.column)
        .with("path", v.path.as_str())
        .with("message", v.message.as_str())
        .with("why", v.why.as_str())
        .with("override", v.override_flag())
        .with("rendered", v.rendered.as_deref())
}

/// JSON.md "cluster".
fn json_cluster(c: &ClusterSummary) -> Json {
    Json::object()
        .with("cluster", c.cluster.as_str())
        .with(
            "environment",
            c.placement.as_ref().map(|p| p.environment.as_str()),
        )
        .with("wave", c.placement.as_ref().map(|p| p.wave))
        .with("status", status(c.status()))
        .with("new_cluster", c.new_cluster)
        .with("applied", c.applied)
        .with("changes_pending", c.changes_pending())
        .with("rolling_update_needed", c.rolling_update_needed())
        .with("error", c.error.as_deref())
        .with(
            "spec_diff",
            c.spec_diff
                .as_ref()
                .map(|d| Json::array(d.changes.iter().map(json_spec_change))),
        )
        .with("update", c.update.as_ref().map(json_update))
        .with("cloud", c.cloud.as_ref().map(json_update))
        .with(
            "instance_groups_to_delete",
            c.instance_groups_to_delete.as_slice(),
        )
        .with(
            "instance_groups_deleted",
            c.instance_groups_deleted.as_slice(),
        )
        .with("instance_groups_kept", c.instance_groups_kept.as_slice())
        .with("drift", c.drift.as_ref().map(json_drift))
        .with(
            "rolling_update",
            c.rolling_update.as_ref().map(json_rolling),
        )
        .with("validated", c.validated)
        .with(
            "policy",
            c.policy
                .as_ref()
                .map(|violations| Json::array(violations.iter().map(json_violation))),
        )
        .with("cost", c.cost.as_ref().map(super::cost::json_cost))
        .with(
            "capacity",
            c.cost.as_ref().map(super::capacity::json_capacity),
        )
}

/// JSON.md "kops".
pub(super) fn json_kops(k: &KopsUsed) -> Json {
    Json::object()
        .with("version", k.version.as_str())
        .with("pin", k.pin.as_str())
        .with("matches_pin", k.matches_pin)
        .with("any_kops_version", k.any_kops_version)
}

/// Pretty JSON with `"schema_version": 1` first (JSON.md "Top level").
pub fn render_json(s: &RunSummary) -> String {
    Json::object()
        .with("schema_version", JSON_SCHEMA_VERSION)
        .with("command", s.command.as_str())
        .with("branch", s.branch.as_str())
        .with("note", s.note.as_deref())
        .with("kops", s.kops.as_ref().map(json_kops))
        .with("changes_pending", s.changes_pending())
        .with("rolling_update_needed", s.rolling_update_needed())
        .with("has_errors", s.has_errors())
        .with("policy_blocked", s.policy_blocked())
        .with(
            "overrides",
            Json::array(s.overrides().map(|v| {
                Json::object()
                    .with("cluster", v.cluster.as_str())
                    .with("rule", v.rule.as_str())
            })),
        )
        .with("cost", super::cost::json_total(s))
        .with("capacity", super::capacity::json_total(s))
        .with("clusters", Json::array(s.clusters.iter().map(json_cluster)))
        .pretty()
}
