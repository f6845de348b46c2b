//! Focused tests of the report parsers: deletion sections of both kops generations, banners,
//! merged klog, missing closing line, map-order normalisation, rolling-update layouts,
//! NeedsUpdate detection, malformed input, error recognisers and redaction.
//!
//! Inputs are real samples from `kopsflow/tests/kops-samples/`, or DERIVED from them by cutting and
//! concatenating real lines; every derived input says how it was made. Nothing here is kops
//! output written from scratch, except where a comment names the exact kops format string the
//! lines were produced with.

use crate::samples::{dump_rolling, dump_update, sample};
use kopsflow::report::{
    normalize_value, parse_kops_error, parse_rolling_update, parse_update_dry_run,
    redact::{is_secret_field, redact_task},
    redact_report, DeletionSection, FieldChange, GroupState, TaskChange, REDACTED,
};

const MODIFY_IG: &str = "update-cluster-dryrun.modify-ig.REAL.kops-1.29.2.stdout.txt";
const MODIFY_IG_STDERR: &str = "update-cluster-dryrun.modify-ig.REAL.kops-1.29.2.stderr.txt";
const CREATE_ALL: &str = "update-cluster-dryrun.create-all.REAL.kops-1.29.2.stdout.txt";
const KOPS_17_DOC: &str = "update-cluster-dryrun.create-and-modify.gce.kops-1.7-doc.txt";
const RU_NEEDS: &str = "rolling-update-table.needsupdate.cloudonly.REAL.kops-1.29.2.stdout.txt";
const RU_CLEAN: &str = "rolling-update-table.no-update.cloudonly.REAL.kops-1.29.2.stdout.txt";

/// The real modify-ig report without its closing line (last line).
fn modify_ig_body() -> String {
    let text = sample(MODIFY_IG);
    let body = text
        .trim_end_matches('\n')
        .strip_suffix("Must specify --yes to apply changes")
        .unwrap();
    body.to_string()
}

/// A deletion line exactly as kops prints it: `fmt.Fprintf(b, "  %-20s %s\n", TaskName, Item)`
/// (dryrun_target.go). TaskName/Item follow awstasks `deleteSecurityGroupRule` (`TaskName()` =
/// "SecurityGroupRule"; `Item()` = `<GroupId>: port=N protocol=P ip=CIDR ipv6=CIDR6`) with the
/// port, protocol and CIDRs of the real rule `from-0.0.0.0/0-ingress-tcp-22to22-nodes…` in
/// the create-all sample; no real security group id appears in the samples, so the group's name
/// `nodes.demo1.k8s.local` stands in for it.
fn deletion_line(ipv4: &str, ipv6: &str) -> String {
    format!(
        "  {:<20} nodes.demo1.k8s.local: port=22 protocol=tcp ip={ipv4} ipv6={ipv6}\n",
        "SecurityGroupRule"
    )
}

#[test]
fn deletions_kops_1_28_and_older() {
    // DERIVED: real modify-ig report + a `Will delete items:` block per docs/KOPS.md §1.4 (no blank
    // line after it) + the real closing line.
    let input = format!(
        "{}Will delete items:\n{}Must specify --yes to apply changes\n",
        modify_ig_body(),
        deletion_line("0.0.0.0/0", "")
    );
    let r = parse_update_dry_run(&input).unwrap();
    assert_eq!(r.modify_count(), 3);
    assert_eq!(r.delete_count(), 1);
    let d = &r.deletions[0];
    assert_eq!(d.section, DeletionSection::WillDelete);
    assert!(d.section.deleted_by_plain_update());
    assert_eq!(d.task, "SecurityGroupRule");
    assert_eq!(
        d.item,
        "nodes.demo1.k8s.local: port=22 protocol=tcp ip=0.0.0.0/0 ipv6="
    );
    assert!(r.changes_pending);
}

#[test]
fn deletions_kops_1_29_and_newer() {
    // DERIVED: real modify-ig report + the two 1.29+ deletion headers per docs/KOPS.md §1.4, each
    // followed by a blank line, + the real closing line.
    let input = format!(
        "{}Items will be deleted only when the --prune flag is specified:\n{}\n\
         Items will be deleted during update:\n{}\nMust specify --yes to apply changes\n",
        modify_ig_body(),
        deletion_line("0.0.0.0/0", ""),
        deletion_line("", "::/0"),
    );
    let r = parse_update_dry_run(&input).unwrap();
    assert_eq!(
        r.deletions
            .iter()
            .map(|d| (d.section, d.item.as_str()))
            .collect::<Vec<_>>(),
        [
            (
                DeletionSection::OnlyWithPrune,
                "nodes.demo1.k8s.local: port=22 protocol=tcp ip=0.0.0.0/0 ipv6="
            ),
            (
                DeletionSection::DuringUpdate,
                "nodes.demo1.k8s.local: port=22 protocol=tcp ip= ipv6=::/0"
            ),
        ]
    );
    assert!(!DeletionSection::OnlyWithPrune.deleted_by_plain_update());
    insta::assert_snapshot!(dump_update(&r));
}

/// A banner exactly as apply_cluster.go prints it (`fmt.Printf("\n")`, starline = 81 `*`,
/// `fmt.Printf("\n")`, text, …). The version and URL are placeholders filled into kops's
/// format strings `A new kubernetes version is available: %s` / `More information: %s`.
fn k8s_version_banner() -> String {
    let star = "*".repeat(81);
    format!(
        "\n{star}\n\nA new kubernetes version is available: 1.28.15\n\
         Upgrading is recommended (try kops upgrade cluster)\n\n\
         More information: https://example.invalid/upgrade_k8s\n\n{star}\n\n"
    )
}

#[test]
fn banners_become_notices() {
    // DERIVED: banner (see k8s_version_banner) + `Previewing changes…` + real modify-ig stdout.
    let input = format!(
        "{}Previewing changes that will be made:\n\n{}",
        k8s_version_banner(),
        sample(MODIFY_IG)
    );
    let r = parse_update_dry_run(&input).unwrap();
    assert_eq!(
        r.notices,
        ["A new kubernetes version is available: 1.28.15\n\
          Upgrading is recommended (try kops upgrade cluster)\n\
          More information: https://example.invalid/upgrade_k8s"]
    );
    let plain = parse_update_dry_run(&sample(MODIFY_IG)).unwrap();
    assert_eq!(r.modifies, plain.modifies);
    assert!(r.changes_pending);
}

#[test]
fn merged_klog_lines_are_skipped() {
    // DERIVED: the real stderr of the same run (incl. its two-line klog warning with a
    // `caused by:` continuation) put before, and its first line also inside, the real stdout.
    let stderr = sample(MODIFY_IG_STDERR);
    let stdout = sample(MODIFY_IG);
    let first_klog = stderr.lines().next().unwrap();
    let (head, tail) = stdout.split_once('\n').unwrap();
    let input = format!("{stderr}{head}\n{first_klog}\n{tail}");
    let r = parse_update_dry_run(&input).unwrap();
    assert_eq!(r, parse_update_dry_run(&stdout).unwrap());
}

#[test]
fn missing_closing_line_falls_back_to_sections() {
    // Real: the kops 1.7 docs omitted the closing line.
    let r = parse_update_dry_run(&sample(KOPS_17_DOC)).unwrap();
    assert!(!r.closing_line_seen);
    assert!(r.changes_pending);
    assert_eq!((r.create_count(), r.modify_count()), (2, 2));
    assert_eq!(
        r.modifies[0].fields[0].old.as_deref(),
        Some("id:master-us-central1-a-simple-k8s-local-1507089163")
    );

    // DERIVED: real modify-ig report with its closing line cut off.
    let r = parse_update_dry_run(&modify_ig_body()).unwrap();
    assert!(!r.closing_line_seen && r.changes_pending);

    // The closing line is the authority even when it disagrees with the sections.
    // DERIVED: real modify-ig body + the real `No changes need to be applied` line.
    let r = parse_update_dry_run(&format!(
        "{}No changes need to be applied\n",
        modify_ig_body()
    ))
    .unwrap();
    assert!(r.closing_line_seen && !r.changes_pending && r.has_listed_changes());
}

/// Reverse the entries of every `Tags {…}` value (kops prints Go maps in random order).
fn permute_tags(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once("\tTags                \t{") {
            Some((pre, rest)) => {
                let inner = rest.strip_suffix('}').unwrap();
                let mut entries: Vec<&str> = inner.split(", ").collect();
                entries.reverse();
                format!("{pre}\tTags                \t{{{}}}\n", entries.join(", "))
            }
            None => format!("{line}\n"),
        })
        .collect()
}

#[test]
fn map_order_normalises_equal() {
    // DERIVED: the real create-all sample, and the same with the entries of every `Tags {…}`
    // map reversed, as a second kops run could print them.
    let a = sample(CREATE_ALL);
    let b = permute_tags(&a);
    assert_ne!(a, b, "the permutation changed something");
    let ra = parse_update_dry_run(&a).unwrap();
    let rb = parse_update_dry_run(&b).unwrap();
    assert_ne!(ra, rb);
    assert_eq!(ra.normalized(), rb.normalized());

    // Real values from the samples.
    assert_eq!(
        normalize_value("{Name: test.k8s.local, KubernetesCluster: test.k8s.local, kubernetes.io/cluster/test.k8s.local: owned}"),
        normalize_value("{KubernetesCluster: test.k8s.local, kubernetes.io/cluster/test.k8s.local: owned, Name: test.k8s.local}"),
    );
    assert_eq!(
        normalize_value("{startup-script: <resource>, cluster-name: <resource>}"),
        "{cluster-name: <resource>, startup-script: <resource>}"
    );
    // Slices keep their order; JSON and scalars are untouched.
    let slice = "[name:kops-controller-test-k8s--70kef8 id:kops-controller-test-k8s--70kef8, name:tcp-test-k8s-local-9rvjr5 id:tcp-test-k8s-local-9rvjr5]";
    assert_eq!(normalize_value(slice), slice);
    let json = r#"{"Enabled":false,"S3BucketName":null,"S3BucketPrefix":null}"#;
    assert_eq!(normalize_value(json), json);
    assert_eq!(normalize_value("t3.large"), "t3.large");
    assert_eq!(normalize_value("{unbalanced: [x}"), "{unbalanced: [x}");
    let f = FieldChange {
        field: "Attributes".into(),
        old: None,
        new: "{deregistration_delay.timeout_seconds: 30, deregistration_delay.connection_termination.enabled: true}".into(),
        diff: vec![],
    };
    assert_eq!(
        f.normalized_value(),
        "{deregistration_delay.connection_termination.enabled: true, deregistration_delay.timeout_seconds: 30}"
    );
}

#[test]
fn internal_consistency_error_block() {
    // DERIVED: real modify-ig report with, after its first task header, the block that
    // dryrun_target.go prints (`"   internal consistency error!\n"`, `"    actual: %+v\n"`,
    // `"    expect: %+v\n"`, `"    change: %+v\n"`, then `continue` — no blank line). The %+v
    // payloads are placeholders.
    let text = sample(MODIFY_IG);
    let mut lines: Vec<&str> = text.lines().collect();
    // Replace the AutoscalingGroup's two field lines and blank line by the block.
    lines.splice(
        2..5,
        [
            "   internal consistency error!",
            "    actual: &{Name:0xc0001 MaxSize:0xc0002}",
            "    expect: &{Name:0xc0003 MaxSize:0xc0004}",
            "    change: &{Name:<nil> MaxSize:<nil>}",
        ],
    );
    let input = lines.join("\n") + "\n";
    let r = parse_update_dry_run(&input).unwrap();
    assert_eq!(r.modify_count(), 3);
    let asg = &r.modifies[0];
    assert!(asg.fields.is_empty());
    assert_eq!(asg.consistency_error.len(), 4);
    assert_eq!(
        r.modifies[1].resource(),
        "LaunchTemplate/nodes-us-east-1a.demo1.k8s.local"
    );
}

#[test]
fn malformed_update_output_is_kept_with_its_line() {
    // DERIVED: real modify-ig stdout with ` -> ` removed from line 3 (`MaxSize  1 -> 3`).
    let input = sample(MODIFY_IG).replacen(" 1 -> 3", " 1 3", 1);
    let r = parse_update_dry_run(&input).unwrap();
    assert_eq!(r.unparsed.len(), 1);
    let b = &r.unparsed[0];
    assert_eq!(b.line, 3);
    assert_eq!(b.lines, [input.lines().nth(2).unwrap()]);
    assert_eq!(b.section.as_deref(), Some("Will modify resources:"));
    assert_eq!(
        b.after_resource.as_deref(),
        Some("AutoscalingGroup/nodes-us-east-1a.demo1.k8s.local")
    );
    assert_eq!(b.after_field, None);
    assert_eq!(
        r.warnings,
        [
            "line 3: not parsed (modified field without ` <old> -> <new>`); 1 line kept verbatim, \
          in `Will modify resources:`, after `AutoscalingGroup/nodes-us-east-1a.demo1.k8s.local`"
        ]
    );

    // DERIVED: a field line (real, from modify-ig) before any task header, no closing line:
    // a line not understood inside a section counts as pending.
    let input = "Will modify resources:\n  \tMaxSize             \t 1 -> 3\n";
    let r = parse_update_dry_run(input).unwrap();
    assert_eq!(
        (r.unparsed[0].line, r.unparsed[0].reason.as_str()),
        (2, "field line outside a task")
    );
    assert!(r.changes_pending && !r.closing_line_seen && !r.has_listed_changes());

    // DERIVED: unknown top-level text inside a section (the real `--yes` closing text).
    let input = format!(
        "{}Cluster changes have been applied to the cloud.\n",
        modify_ig_body()
    );
    let r = parse_update_dry_run(&input).unwrap();
    assert_eq!(r.unparsed[0].line, 12);
    assert_eq!(
        r.unparsed[0].after_resource.as_deref(),
        Some("Subnet/us-east-1a.demo1.k8s.local")
    );
    assert_eq!(r.modify_count(), 3);

    // Not a dry-run at all: the real `update --yes` stdout.
    let err = parse_update_dry_run(&sample(
        "update-cluster-yes.subsequent-run.REAL.kops-1.29.2.stdout.txt",
    ))
    .unwrap_err();
    assert_eq!(err.line, 0, "{err}");
    assert!(parse_update_dry_run("").is_err());

    // DERIVED: a banner (see k8s_version_banner) cut before its closing star line: no banner
    // after all, its lines are notices; without a report or closing line it is no dry-run.
    let banner = k8s_version_banner();
    let cut = &banner[..banner.rfind('*').unwrap() - 80];
    let err = parse_update_dry_run(cut).unwrap_err();
    assert_eq!(err.line, 0, "{err}");
    let r = parse_update_dry_run(&format!("{cut}{}", sample(MODIFY_IG))).unwrap();
    assert_eq!(r.notices.len(), 4, "{:?}", r.notices);
    assert_eq!(r.notices[0], "*".repeat(81));
}

/// Remove the column at `idx` from every line of a tabwriter table (split on whitespace,
/// re-joined with one TAB).
fn drop_column(table: &str, idx: usize) -> String {
    table
        .lines()
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            if line.contains('\t') && cells.len() >= 7 {
                let kept: Vec<&str> = cells
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != idx)
                    .map(|(_, c)| *c)
                    .collect();
                format!("{}\n", kept.join("\t"))
            } else {
                format!("{line}\n")
            }
        })
        .collect()
}

/// Append a NODES column to the table rows, copying READY (index 3) as its value.
fn add_nodes_column(table: &str) -> String {
    table
        .lines()
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            match cells.first() {
                Some(&"NAME") => format!("{line}\tNODES\n"),
                Some(_) if line.contains('\t') && cells.len() >= 6 => {
                    format!("{line}\t{}\n", cells[3])
                }
                _ => format!("{line}\n"),
            }
        })
        .collect()
}

#[test]
fn rolling_update_layouts() {
    // Real 1.29 --cloudonly: TARGET, no NODES.
    let real = parse_rolling_update(&sample(RU_NEEDS)).unwrap();
    assert!(real.has_target_column() && !real.has_nodes_column());

    // DERIVED (kops <= 1.17 --cloudonly layout): the real 1.29 table with TARGET dropped.
    let pre118 = parse_rolling_update(&drop_column(&sample(RU_NEEDS), 5)).unwrap();
    assert!(!pre118.has_target_column() && !pre118.has_nodes_column());
    assert_eq!(pre118.groups[1].max, 3);
    assert_eq!(pre118.groups[1].target, None);

    // DERIVED (kops 1.18+ without --cloudonly): NODES appended (values copied from READY).
    let with_nodes = parse_rolling_update(&add_nodes_column(&sample(RU_NEEDS))).unwrap();
    assert!(with_nodes.has_target_column() && with_nodes.has_nodes_column());
    assert_eq!(with_nodes.groups[0].nodes, Some(1));

    // DERIVED (kops <= 1.17 without --cloudonly): both of the above.
    let old_nodes =
        parse_rolling_update(&add_nodes_column(&drop_column(&sample(RU_NEEDS), 5))).unwrap();
    assert!(!old_nodes.has_target_column() && old_nodes.has_nodes_column());

    insta::assert_snapshot!(format!(
        "real 1.29 --cloudonly:\n{}\npre-1.18 --cloudonly:\n{}\n1.18+ with NODES:\n{}\npre-1.18 with NODES:\n{}",
        dump_rolling(&real),
        dump_rolling(&pre118),
        dump_rolling(&with_nodes),
        dump_rolling(&old_nodes)
    ));
}

#[test]
fn needs_update_detection() {
    let needs = parse_rolling_update(&sample(RU_NEEDS)).unwrap();
    assert!(needs.update_required && needs.closing_line_seen && needs.single_control_plane);
    let names: Vec<&str> = needs
        .groups_needing_update()
        .map(|g| g.name.as_str())
        .collect();
    assert_eq!(names, ["nodes-us-east-1a"]);
    assert_eq!(needs.groups[1].status, GroupState::NeedsUpdate);
    assert_eq!(needs.groups[1].need_update, 3);

    let clean = parse_rolling_update(&sample(RU_CLEAN)).unwrap();
    assert!(!clean.update_required && clean.groups_needing_update().next().is_none());

    // DERIVED: the real all-Ready table closed with the real `Must specify --yes…` line (what
    // kops prints with --force): the closing line alone makes the update required.
    let forced = sample(RU_CLEAN).replace(
        "No rolling-update required.",
        "Must specify --yes to rolling-update.",
    );
    let forced = parse_rolling_update(&forced).unwrap();
    assert!(forced.update_required && forced.groups_needing_update().next().is_none());

    // DERIVED: the real NeedsUpdate table without the single-control-plane line and closing
    // line (kops >= 1.32 / output cut short): STATUS alone decides.
    let text = sample(RU_NEEDS);
    let cut: String = text
        .lines()
        .skip(1)
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    let r = parse_rolling_update(&cut).unwrap();
    assert!(r.update_required && !r.closing_line_seen && !r.single_control_plane);
}

#[test]
fn malformed_rolling_update_is_kept_with_its_line() {
    // DERIVED: real table with a cell removed from the 4th line.
    let text = sample(RU_NEEDS).replace(
        "nodes-us-east-1a\t\tNeedsUpdate\t3",
        "nodes-us-east-1a\t\tNeedsUpdate",
    );
    let r = parse_rolling_update(&text).unwrap();
    assert_eq!(r.groups.len(), 1);
    let b = &r.unparsed[0];
    assert_eq!((b.line, b.lines.len()), (4, 1));
    assert_eq!(b.reason, "fewer cells than the 7 columns of the header");
    assert_eq!(
        b.after_resource.as_deref(),
        Some("control-plane-us-east-1a")
    );
    assert!(r.update_required);
    assert_eq!(
        r.warnings,
        [
            "line 4: not parsed (fewer cells than the 7 columns of the header); 1 line kept \
          verbatim, after `control-plane-us-east-1a`"
        ]
    );

    // DERIVED: unknown STATUS.
    let text = sample(RU_NEEDS).replace("NeedsUpdate", "Updating");
    let r = parse_rolling_update(&text).unwrap();
    assert_eq!(r.unparsed[0].line, 4);
    assert_eq!(
        r.unparsed[0].reason,
        "STATUS is neither Ready nor NeedsUpdate"
    );
    // The closing line alone still asks for the update.
    assert!(r.update_required);

    // Not a table: real dry-run output.
    let err = parse_rolling_update(&sample(MODIFY_IG)).unwrap_err();
    assert_eq!(err.line, 0, "{err}");
    assert!(parse_rolling_update("").is_err());
}

#[test]
fn kops_error_messages() {
    let stderr = sample("rolling-update.error.api-unreachable.REAL.kops-1.29.2.stderr.txt");
    assert!(kopsflow::report::is_api_unreachable(&stderr));
    assert!(parse_kops_error(&stderr)
        .unwrap()
        .starts_with("error listing nodes in cluster: Get \"https://api-demo1"));
    assert_eq!(
        parse_kops_error(&sample(
            "replace.error.cluster-missing.REAL.kops-1.29.2.stderr.txt"
        ))
        .as_deref(),
        Some("cluster test.k8s.local does not exist (try adding --force flag)")
    );
    // kops <= 1.21 printed "\n<message>\n" without `Error:` (docs/KOPS.md §0). DERIVED: the real
    // klog line of a 1.29 stderr + the message of a real `Error:` line without its prefix.
    let old = "W1125 19:17:57.018132   21081 factory.go:134] The local filesystem state store is not functional for running clusters\n\ncluster test.k8s.local does not exist (try adding --force flag)\n";
    assert_eq!(
        parse_kops_error(old).as_deref(),
        Some("cluster test.k8s.local does not exist (try adding --force flag)")
    );
    // Only klog: nothing to report.
    assert_eq!(
        parse_kops_error(&sample(
            "update-cluster-dryrun.no-changes.REAL.kops-1.29.2.stderr.txt"
        )),
        None
    );
    assert!(!kopsflow::report::is_api_unreachable(&sample(
        MODIFY_IG_STDERR
    )));
}

#[test]
fn redaction() {
    assert!(is_secret_field("Password"));
    assert!(is_secret_field("BootstrapToken"));
    assert!(is_secret_field("SSHPrivateKey"));
    assert!(is_secret_field("clientSecret"));
    assert!(!is_secret_field("HTTPTokens"));
    assert!(!is_secret_field("SSHKey"));
    assert!(!is_secret_field("KeyName"));
    assert!(!is_secret_field("RootVolumeKmsKey"));

    // Real create-all sample: Keypair tasks keep their descriptive fields, `HTTPTokens` and
    // other LaunchTemplate fields stay visible.
    let real = parse_update_dry_run(&sample(CREATE_ALL)).unwrap();
    let red = redact_report(&real);
    assert_eq!(
        real, red,
        "nothing secret is printed in the create-all sample"
    );

    // Hand-built tasks (not kops output): secret kinds and secret-named fields are hidden.
    let secret = TaskChange {
        kind: "Secret".into(),
        name: "admin".into(),
        fields: vec![FieldChange {
            field: "Data".into(),
            old: None,
            new: String::new(),
            diff: vec!["+ c2VjcmV0".into(), "- b2xk".into()],
        }],
        consistency_error: vec!["actual: &{Data:c2VjcmV0}".into()],
    };
    let r = redact_task(&secret);
    assert_eq!(r.fields[0].diff, [REDACTED]);
    assert_eq!(r.consistency_error, [REDACTED]);

    let keypair = TaskChange {
        kind: "Keypair".into(),
        name: "kubernetes-ca".into(),
        fields: vec![
            FieldChange {
                field: "Subject".into(),
                old: None,
                new: "cn=kubernetes-ca".into(),
                diff: vec![],
            },
            FieldChange {
                field: "Certificate".into(),
                old: Some("-----BEGIN…".into()),
                new: "-----BEGIN…".into(),
                diff: vec![],
            },
        ],
        consistency_error: vec![],
    };
    let r = redact_task(&keypair);
    assert_eq!(r.fields[0].new, "cn=kubernetes-ca");
    assert_eq!(
        (r.fields[1].old.as_deref(), r.fields[1].new.as_str()),
        (Some(REDACTED), REDACTED)
    );

    let lt = TaskChange {
        kind: "LaunchTemplate".into(),
        name: "nodes".into(),
        fields: vec![
            FieldChange {
                field: "BootstrapToken".into(),
                old: Some("abc".into()),
                new: "def".into(),
                diff: vec![],
            },
            FieldChange {
                field: "HTTPTokens".into(),
                old: Some("optional".into()),
                new: "required".into(),
                diff: vec![],
            },
        ],
        consistency_error: vec![],
    };
    let r = redact_task(&lt);
    assert_eq!(r.fields[0].new, REDACTED);
    assert_eq!(r.fields[1].new, "required");
}
