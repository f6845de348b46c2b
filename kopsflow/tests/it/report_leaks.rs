//! Secrets in every place of a run summary, through every renderer (text, coloured text,
//! markdown — stdout and the step summary —, JSON, the audit record) as the output sink runs
//! them: the summary redacted string by string, rendered, then redacted and neutralised. And
//! markdown whose values cannot leave the code span, table cell or HTML block they sit in.

use std::time::Duration;

use kopsflow::cost::{CostChange, GroupChange, GroupCost, GroupLine, Micros};
use kopsflow::exec::Redactor;
use kopsflow::plan::Placement;
use kopsflow::policy::{Level, Violation};
use kopsflow::report::audit::{audit_line, Actor, AuditOutcome, AuditRun, Person};
use kopsflow::report::neutralise::neutralise;
use kopsflow::report::redact::{redact_status, redact_summary};
use kopsflow::report::status::{AuditLogRead, DeployRecord, Revision, StatusReport, StatusRow};
use kopsflow::report::{
    render_json, render_markdown, render_status_json, render_status_markdown, render_status_text,
    render_text, ClusterSummary, CommandEnd, CommandRun, Deletion, DeletionSection, Drift,
    FieldChange, GroupState, GroupStatus, KopsUsed, RollingUpdateReport, RunSummary, TaskChange,
    UnparsedBlock, UpdateReport,
};
use kopsflow::spec::{ObjectKind, SpecChange, SpecDiff};

/// With the characters markdown escapes, and long enough that 8 characters of it say something.
const SECRET: &str = "IM_Is4Iq5z*Kx|9_wJalrXUtnFEMI<b>";

/// What of [`SECRET`] shows in `text`: 8 characters of it in a row, once backslashes (markdown
/// escapes) are gone and HTML and JSON escapes are read back.
fn shown_part(text: &str) -> Option<String> {
    let plain = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("\\u003c", "<")
        .replace('\\', "");
    let chars: Vec<char> = SECRET.chars().collect();
    chars
        .windows(8)
        .map(|w| w.iter().collect::<String>())
        .find(|w| plain.contains(w.as_str()))
}

/// `text` with the secret in it: plain, after 190 characters (a summary clips at 200), at the
/// start of a line of a multi-line value, and as an assignment.
fn with(text: &str) -> String {
    format!(
        "{text} {SECRET} {}{SECRET}\n{SECRET} tail X_TOKEN={SECRET}",
        "x".repeat(190)
    )
}

fn spec_diff() -> SpecDiff {
    SpecDiff {
        changes: vec![
            SpecChange::Modified {
                kind: ObjectKind::InstanceGroup,
                object: with("nodes"),
                path: with("spec.x"),
                old: Some(with("old")),
                new: Some(with("new")),
            },
            SpecChange::Added {
                kind: ObjectKind::InstanceGroup,
                object: with("added"),
            },
            SpecChange::Removed {
                kind: ObjectKind::Cluster,
                object: with("removed"),
            },
        ],
    }
}

fn task(kind: &str) -> TaskChange {
    TaskChange {
        kind: kind.into(),
        name: with("name"),
        fields: vec![
            FieldChange {
                field: with("Field"),
                old: Some(with("old")),
                new: with("new"),
                diff: vec![],
            },
            FieldChange {
                field: "UserData".into(),
                old: None,
                new: String::new(),
                diff: vec![with("+ line"), format!("- {SECRET}")],
            },
        ],
        consistency_error: vec![with("error")],
    }
}

fn unparsed() -> UnparsedBlock {
    UnparsedBlock {
        line: 3,
        section: Some(with("section")),
        after_resource: Some(with("resource")),
        after_field: Some(with("field")),
        reason: with("reason"),
        lines: vec![with("line")],
    }
}

fn group_cost() -> GroupCost {
    GroupCost {
        machine_type: Some(with("t3")),
        min_size: 1,
        max_size: 2,
        per_instance: Err(with("unknown")),
        volume_note: Some(with("volume")),
    }
}

fn update() -> UpdateReport {
    UpdateReport {
        creates: vec![task("LaunchTemplate")],
        modifies: vec![task("AutoscalingGroup"), task("Keypair")],
        ignored: vec![task("ManagedFile")],
        deletions: vec![Deletion {
            section: DeletionSection::WillDelete,
            task: with("task"),
            item: with("item"),
        }],
        changes_pending: true,
        closing_line_seen: true,
        notices: vec![with("notice")],
        unparsed: vec![unparsed()],
        warnings: vec![with("warning")],
    }
}

/// A summary with the secret in every string kops or a spec can put one in.
fn summary() -> RunSummary {
    let cluster = ClusterSummary {
        cluster: with("cluster"),
        placement: Some(Placement {
            wave: 1,
            environment: with("environment"),
        }),
        new_cluster: false,
        applied: false,
        spec_diff: Some(spec_diff()),
        update: Some(update()),
        cloud: Some(update()),
        instance_groups_to_delete: vec![with("ig")],
        instance_groups_deleted: vec![with("ig")],
        instance_groups_kept: vec![with("ig")],
        drift: Some(Drift {
            commit: with("commit"),
            file: with("file"),
            changes: spec_diff(),
            allowed: true,
            at_target: false,
            at_commit: Some(with("at commit")),
        }),
        rolling_update: Some(RollingUpdateReport {
            groups: vec![GroupStatus {
                name: with("group"),
                status: GroupState::NeedsUpdate,
                need_update: 1,
                ready: 0,
                min: 1,
                target: Some(1),
                max: 1,
                nodes: Some(1),
            }],
            update_required: true,
            closing_line_seen: true,
            single_control_plane: false,
            unparsed: vec![unparsed()],
            warnings: vec![with("warning")],
        }),
        validated: Some(false),
        error: Some(with("error")),
        policy: Some(vec![Violation {
            rule: with("rule"),
            level: Level::Block,
            cluster: with("cluster"),
            file: with("file").into(),
            line: Some(1),
            column: Some(1),
            path: with("path"),
            message: with("message"),
            why: with("why"),
            allowed: false,
            rendered: Some(with("rendered")),
        }]),
        cost: Some(CostChange {
            location: Ok((with("aws"), with("region"))),
            groups: vec![GroupLine {
                name: with("group"),
                change: GroupChange::Changed,
                before: Some(GroupCost {
                    per_instance: Ok(Micros(1)),
                    ..group_cost()
                }),
                after: Some(group_cost()),
            }],
            new_cluster: false,
        }),
        commands: vec![CommandRun {
            command: with("kops get"),
            end: CommandEnd::Exited(1),
            duration: Duration::from_secs(1),
        }],
    };
    RunSummary {
        command: with("plan"),
        branch: with("branch"),
        kops: Some(KopsUsed {
            version: with("1.29.2"),
            pin: with("1.29.2"),
            matches_pin: false,
            any_kops_version: true,
        }),
        note: Some(with("note")),
        clusters: vec![cluster],
    }
}

fn redactor() -> Redactor {
    Redactor::from_env([
        ("GITHUB_TOKEN".to_owned(), SECRET.to_owned()),
        ("PLAIN".to_owned(), "not a secret".to_owned()),
    ])
}

/// What the output sink prints for `render` of `s`.
fn shown(r: &Redactor, s: &RunSummary, render: impl Fn(&RunSummary) -> String) -> String {
    neutralise(&r.redact_text(&render(&redact_summary(s, r))))
}

#[test]
fn every_renderer_hides_the_secret_in_every_place() {
    let r = redactor();
    let s = summary();
    let outputs = [
        ("text", shown(&r, &s, |s| render_text(s, false))),
        ("coloured text", shown(&r, &s, |s| render_text(s, true))),
        ("markdown", shown(&r, &s, render_markdown)),
        ("json", shown(&r, &s, render_json)),
    ];
    for (what, out) in &outputs {
        assert!(out.contains("***"), "{what}: values are shown, redacted");
        if let Some(part) = shown_part(out) {
            panic!("{what} shows {part:?} of the secret:\n{out}");
        }
    }
    // The JSON stays JSON.
    let json: serde_json::Value = serde_json::from_str(&outputs[3].1).unwrap();
    assert_eq!(json["schema_version"], 1);
}

/// `status` renders its own report: the secret in every place of it, through its three formats.
#[test]
fn the_status_report_hides_the_secret_in_every_place() {
    let r = redactor();
    let deploy = DeployRecord {
        time: with("time"),
        commit: Some(with("commit")),
        outcome: with("failed"),
        detail: Some(with("detail")),
    };
    let report = StatusReport {
        branch: with("branch"),
        kops: summary().kops,
        audit_log: AuditLogRead {
            path: with("audit.jsonl"),
            found: true,
            skipped_lines: 1,
        },
        rows: vec![StatusRow {
            cluster: with("cluster"),
            spec_file: with("spec"),
            revision: Some(Revision {
                commit: with("commit"),
                date: with("date"),
            }),
            deployed: Some(deploy.clone()),
            last_deploy: Some(deploy),
            found: summary().clusters.remove(0),
            rolling_unknown: Some(with("unknown")),
        }],
    };
    for (what, render) in [
        ("text", render_status_text as fn(&StatusReport) -> String),
        ("markdown", render_status_markdown),
        ("json", render_status_json),
    ] {
        let out = neutralise(&r.redact_text(&render(&redact_status(&report, &r))));
        assert!(out.contains("***"), "{what}: values are shown, redacted");
        if let Some(part) = shown_part(&out) {
            panic!("status {what} shows {part:?} of the secret:\n{out}");
        }
    }
}

#[test]
fn the_audit_record_hides_the_secret_in_every_place() {
    let r = redactor();
    let s = summary();
    let person = Person {
        name: with("Ada"),
        email: with("ada@example.com"),
    };
    let run = AuditRun {
        subcommand: with("deploy"),
        branch: with("main"),
        commit: Some(with("abc")),
        author: Some(person.clone()),
        committer: Some(person),
        actor: Actor {
            ci: "local",
            url: Some(with("https://ci")),
            user: Some(with("ada")),
        },
        kops_version: Some(with("1.29.2")),
        started: 0,
        overrides: vec![with("allow-drift")],
    };
    for outcome in [
        AuditOutcome::Failed(with("failed")),
        AuditOutcome::Skipped(with("skipped")),
    ] {
        let line = neutralise(&r.redact(&audit_line(&run, &s.clusters[0], &outcome, 0, &r)));
        if let Some(part) = shown_part(&line) {
            panic!("the audit record shows {part:?} of the secret:\n{line}");
        }
        let _: serde_json::Value = serde_json::from_str(&line).unwrap();
    }
}

/// The number of `|` in `line` that end a table cell (not escaped by a backslash).
fn cell_pipes(line: &str) -> usize {
    let bytes = line.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
        .count()
}

#[test]
fn markdown_values_cannot_leave_their_place() {
    let evil = "a\n| x | y |\r\n## h\r``` `` ` </summary></details><img src=x>|\\|";
    let s = RunSummary {
        command: evil.into(),
        branch: evil.into(),
        kops: None,
        note: Some(evil.into()),
        clusters: vec![ClusterSummary {
            cluster: evil.into(),
            update: Some(UpdateReport {
                modifies: vec![TaskChange {
                    kind: evil.into(),
                    name: evil.into(),
                    fields: vec![
                        FieldChange {
                            field: evil.into(),
                            old: Some(evil.into()),
                            new: evil.into(),
                            diff: vec![],
                        },
                        FieldChange {
                            field: evil.into(),
                            old: None,
                            new: String::new(),
                            diff: vec![format!("+{evil}")],
                        },
                    ],
                    consistency_error: vec![],
                }],
                deletions: vec![Deletion {
                    section: DeletionSection::WillDelete,
                    task: evil.into(),
                    item: evil.into(),
                }],
                notices: vec![evil.into()],
                warnings: vec![evil.into()],
                closing_line_seen: true,
                ..Default::default()
            }),
            ..Default::default()
        }],
    };
    let md = render_markdown(&s);
    let mut rows = 0;
    // The fence of the code block a line is in: what is inside one is shown as is.
    let mut fence: Option<String> = None;
    for line in md.lines() {
        if let Some(open) = &fence {
            if line.trim_end() == open {
                fence = None;
            }
            continue;
        }
        if line.starts_with("```") {
            fence = Some(line.chars().take_while(|c| *c == '`').collect());
            continue;
        }
        if line.starts_with("| ") {
            rows += 1;
            let columns = if line.contains("cluster | status") || line.contains("🟡") {
                6
            } else {
                4
            };
            assert!(
                [columns + 1, 5, 7].contains(&cell_pipes(line)),
                "a value left its table cell: {line}\n{md}"
            );
        }
        // Every line is kopsflow's: a value never starts one (a heading, a table row, HTML).
        assert!(
            !line.starts_with("## h") && !line.starts_with("| x |") && !line.starts_with("<img"),
            "a value started a line: {line}\n{md}"
        );
        if line.starts_with("<details><summary>") {
            let summary = line.trim_start_matches("<details><summary>");
            assert!(
                summary.ends_with("</summary>") && summary.matches('<').count() == 1,
                "a value left its <summary>: {line}"
            );
        }
    }
    assert!(rows >= 6, "{md}");
    // Outside code spans and fences, `<` is escaped: no HTML of a value's own.
    assert!(
        !md.replace("\\<", "").contains("<img src=x>") || md.contains("`"),
        "{md}"
    );
    // A code span's fence is longer than the value's longest run of backticks.
    assert!(md.contains("````"), "{md}");
}
