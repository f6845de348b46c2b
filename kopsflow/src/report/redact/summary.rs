//! Redacting a whole report — a [`RunSummary`] ([`redact_summary`]), a [`StatusReport`]
//! ([`redact_status`]) — before any renderer sees it ([`Redactable`]).
//!
//! The sink redacts the finished text too, but a renderer transforms values first: markdown
//! escapes `_`, `*`, `|` and turns newlines into `<br>`, JSON escapes quotes and control
//! characters, text and markdown clip long values. A secret so transformed no longer looks like
//! itself to the sink (`IM_Is4…` becomes `IM\_Is4…`; a clipped one is half a secret). So every
//! string of the summary is redacted here, as the raw text it is, and each renderer — present or
//! future — only ever escapes and clips redacted text. Every struct that holds text of its own
//! is taken apart without `..`: a field added to it does not compile until it is redacted here
//! too (`GroupStatus` and `GroupCost` copy their numbers with `..`).

use super::text::Redactor;
use crate::cost::{CostChange, GroupCost, GroupLine};
use crate::plan::Placement;
use crate::policy::Violation;
use crate::report::rolling::{GroupStatus, RollingUpdateReport};
use crate::report::status::{AuditLogRead, DeployRecord, Revision, StatusReport, StatusRow};
use crate::report::summary::{ClusterSummary, CommandRun, Drift, KopsUsed, RunSummary};
use crate::report::unparsed::UnparsedBlock;
use crate::report::update::{Deletion, FieldChange, TaskChange, UpdateReport};
use crate::spec::diff::{SpecChange, SpecDiff};

/// A copy of `summary` with every string redacted by `redactor` (lines that belong together,
/// such as a diff or a block kops printed, as one text, so a private key across them goes).
pub fn redact_summary(summary: &RunSummary, redactor: &Redactor) -> RunSummary {
    let RunSummary {
        command,
        branch,
        kops,
        note,
        clusters,
    } = summary;
    let r = Rd(redactor);
    RunSummary {
        command: r.s(command),
        branch: r.s(branch),
        kops: kops.as_ref().map(|k| r.kops(k)),
        note: r.opt(note.as_ref()),
        clusters: clusters.iter().map(|c| r.cluster(c)).collect(),
    }
}

/// A report that is redacted string by string before it is rendered.
pub trait Redactable {
    /// A copy with every string redacted by `redactor`.
    fn redacted(&self, redactor: &Redactor) -> Self;
}

impl Redactable for RunSummary {
    fn redacted(&self, redactor: &Redactor) -> Self {
        redact_summary(self, redactor)
    }
}

impl Redactable for StatusReport {
    fn redacted(&self, redactor: &Redactor) -> Self {
        redact_status(self, redactor)
    }
}

/// A copy of the `status` report with every string redacted by `redactor`.
pub fn redact_status(report: &StatusReport, redactor: &Redactor) -> StatusReport {
    let StatusReport {
        branch,
        kops,
        audit_log,
        rows,
    } = report;
    let r = Rd(redactor);
    let AuditLogRead {
        path,
        found,
        skipped_lines,
    } = audit_log;
    let deploy = |d: &DeployRecord| {
        let DeployRecord {
            time,
            commit,
            outcome,
            detail,
        } = d;
        DeployRecord {
            time: r.s(time),
            commit: r.opt(commit.as_ref()),
            outcome: r.s(outcome),
            detail: r.opt(detail.as_ref()),
        }
    };
    StatusReport {
        branch: r.s(branch),
        kops: kops.as_ref().map(|k| r.kops(k)),
        audit_log: AuditLogRead {
            path: r.s(path),
            found: *found,
            skipped_lines: *skipped_lines,
        },
        rows: rows
            .iter()
            .map(|row| {
                let StatusRow {
                    cluster,
                    spec_file,
                    revision,
                    deployed,
                    last_deploy,
                    found,
                    rolling_unknown,
                } = row;
                StatusRow {
                    cluster: r.s(cluster),
                    spec_file: r.s(spec_file),
                    revision: revision.as_ref().map(|v| {
                        let Revision { commit, date } = v;
                        Revision {
                            commit: r.s(commit),
                            date: r.s(date),
                        }
                    }),
                    deployed: deployed.as_ref().map(deploy),
                    last_deploy: last_deploy.as_ref().map(deploy),
                    found: r.cluster(found),
                    rolling_unknown: r.opt(rolling_unknown.as_ref()),
                }
            })
            .collect(),
    }
}

/// The redactor, with a method per part of the summary.
struct Rd<'a>(&'a Redactor);

impl Rd<'_> {
    fn s(&self, text: &str) -> String {
        self.0.redact_text(text)
    }

    fn opt(&self, text: Option<&String>) -> Option<String> {
        text.map(|t| self.s(t))
    }

    fn all(&self, texts: &[String]) -> Vec<String> {
        texts.iter().map(|t| self.s(t)).collect()
    }

    /// Lines that form one text (a diff, a block of kops output): redacted together.
    fn lines(&self, lines: &[String]) -> Vec<String> {
        let mut stream = self.0.stream();
        lines.iter().map(|l| stream.line(l)).collect()
    }

    fn kops(&self, k: &KopsUsed) -> KopsUsed {
        let KopsUsed {
            version,
            pin,
            matches_pin,
            any_kops_version,
        } = k;
        KopsUsed {
            version: self.s(version),
            pin: self.s(pin),
            matches_pin: *matches_pin,
            any_kops_version: *any_kops_version,
        }
    }

    fn cluster(&self, c: &ClusterSummary) -> ClusterSummary {
        let ClusterSummary {
            cluster,
            placement,
            new_cluster,
            applied,
            spec_diff,
            update,
            cloud,
            instance_groups_to_delete,
            instance_groups_deleted,
            instance_groups_kept,
            drift,
            rolling_update,
            validated,
            error,
            policy,
            cost,
            commands,
        } = c;
        ClusterSummary {
            cluster: self.s(cluster),
            placement: placement.as_ref().map(|p| Placement {
                wave: p.wave,
                environment: self.s(&p.environment),
            }),
            new_cluster: *new_cluster,
            applied: *applied,
            spec_diff: spec_diff.as_ref().map(|d| self.spec_diff(d)),
            update: update.as_ref().map(|u| self.update(u)),
            cloud: cloud.as_ref().map(|u| self.update(u)),
            instance_groups_to_delete: self.all(instance_groups_to_delete),
            instance_groups_deleted: self.all(instance_groups_deleted),
            instance_groups_kept: self.all(instance_groups_kept),
            drift: drift.as_ref().map(|d| {
                let Drift {
                    commit,
                    file,
                    changes,
                    allowed,
                    at_target,
                    at_commit,
                } = d;
                Drift {
                    commit: self.s(commit),
                    file: self.s(file),
                    changes: self.spec_diff(changes),
                    allowed: *allowed,
                    at_target: *at_target,
                    at_commit: self.opt(at_commit.as_ref()),
                }
            }),
            rolling_update: rolling_update.as_ref().map(|r| self.rolling(r)),
            validated: *validated,
            error: self.opt(error.as_ref()),
            policy: policy
                .as_ref()
                .map(|vs| vs.iter().map(|v| self.violation(v)).collect()),
            cost: cost.as_ref().map(|c| self.cost(c)),
            commands: commands
                .iter()
                .map(|c| {
                    let CommandRun {
                        command,
                        end,
                        duration,
                    } = c;
                    CommandRun {
                        command: self.s(command),
                        end: *end,
                        duration: *duration,
                    }
                })
                .collect(),
        }
    }

    fn spec_diff(&self, d: &SpecDiff) -> SpecDiff {
        let SpecDiff { changes } = d;
        let changes = changes
            .iter()
            .map(|c| match c {
                SpecChange::Modified {
                    kind,
                    object,
                    path,
                    old,
                    new,
                } => SpecChange::Modified {
                    kind: *kind,
                    object: self.s(object),
                    path: self.s(path),
                    old: self.opt(old.as_ref()),
                    new: self.opt(new.as_ref()),
                },
                SpecChange::Added { kind, object } => SpecChange::Added {
                    kind: *kind,
                    object: self.s(object),
                },
                SpecChange::Removed { kind, object } => SpecChange::Removed {
                    kind: *kind,
                    object: self.s(object),
                },
            })
            .collect();
        SpecDiff { changes }
    }

    fn update(&self, u: &UpdateReport) -> UpdateReport {
        let UpdateReport {
            creates,
            modifies,
            ignored,
            deletions,
            changes_pending,
            closing_line_seen,
            notices,
            unparsed,
            warnings,
        } = u;
        UpdateReport {
            creates: creates.iter().map(|t| self.task(t)).collect(),
            modifies: modifies.iter().map(|t| self.task(t)).collect(),
            ignored: ignored.iter().map(|t| self.task(t)).collect(),
            deletions: deletions
                .iter()
                .map(|d| {
                    let Deletion {
                        section,
                        task,
                        item,
                    } = d;
                    Deletion {
                        section: *section,
                        task: self.s(task),
                        item: self.s(item),
                    }
                })
                .collect(),
            changes_pending: *changes_pending,
            closing_line_seen: *closing_line_seen,
            notices: self.all(notices),
            unparsed: unparsed.iter().map(|b| self.unparsed(b)).collect(),
            warnings: self.all(warnings),
        }
    }

    fn task(&self, t: &TaskChange) -> TaskChange {
        let TaskChange {
            kind,
            name,
            fields,
            consistency_error,
        } = t;
        TaskChange {
            kind: self.s(kind),
            name: self.s(name),
            fields: fields
                .iter()
                .map(|f| {
                    let FieldChange {
                        field,
                        old,
                        new,
                        diff,
                    } = f;
                    FieldChange {
                        field: self.s(field),
                        old: self.opt(old.as_ref()),
                        new: self.s(new),
                        diff: self.lines(diff),
                    }
                })
                .collect(),
            consistency_error: self.lines(consistency_error),
        }
    }

    fn unparsed(&self, b: &UnparsedBlock) -> UnparsedBlock {
        let UnparsedBlock {
            line,
            section,
            after_resource,
            after_field,
            reason,
            lines,
        } = b;
        UnparsedBlock {
            line: *line,
            section: self.opt(section.as_ref()),
            after_resource: self.opt(after_resource.as_ref()),
            after_field: self.opt(after_field.as_ref()),
            reason: self.s(reason),
            lines: self.lines(lines),
        }
    }

    fn rolling(&self, r: &RollingUpdateReport) -> RollingUpdateReport {
        let RollingUpdateReport {
            groups,
            update_required,
            closing_line_seen,
            single_control_plane,
            unparsed,
            warnings,
        } = r;
        RollingUpdateReport {
            groups: groups
                .iter()
                .map(|g| GroupStatus {
                    name: self.s(&g.name),
                    ..g.clone()
                })
                .collect(),
            update_required: *update_required,
            closing_line_seen: *closing_line_seen,
            single_control_plane: *single_control_plane,
            unparsed: unparsed.iter().map(|b| self.unparsed(b)).collect(),
            warnings: self.all(warnings),
        }
    }

    fn violation(&self, v: &Violation) -> Violation {
        let Violation {
            rule,
            level,
            cluster,
            file,
            line,
            column,
            path,
            message,
            why,
            allowed,
            rendered,
        } = v;
        Violation {
            rule: self.s(rule),
            level: *level,
            cluster: self.s(cluster),
            file: self.s(file.as_str()).into(),
            line: *line,
            column: *column,
            path: self.s(path),
            message: self.s(message),
            why: self.s(why),
            allowed: *allowed,
            rendered: self.opt(rendered.as_ref()),
        }
    }

    fn cost(&self, c: &CostChange) -> CostChange {
        let CostChange {
            location,
            groups,
            new_cluster,
        } = c;
        let group_cost = |g: &GroupCost| GroupCost {
            machine_type: self.opt(g.machine_type.as_ref()),
            per_instance: g.per_instance.clone().map_err(|e| self.s(&e)),
            volume_note: self.opt(g.volume_note.as_ref()),
            ..g.clone()
        };
        CostChange {
            location: match location {
                Ok((provider, region)) => Ok((self.s(provider), self.s(region))),
                Err(why) => Err(self.s(why)),
            },
            groups: groups
                .iter()
                .map(|g| {
                    let GroupLine {
                        name,
                        change,
                        before,
                        after,
                    } = g;
                    GroupLine {
                        name: self.s(name),
                        change: *change,
                        before: before.as_ref().map(group_cost),
                        after: after.as_ref().map(group_cost),
                    }
                })
                .collect(),
            new_cluster: *new_cluster,
        }
    }
}
