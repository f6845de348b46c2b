//! Every real kops update dry-run stdout and rolling-update table in `kopsflow/tests/kops-samples/` is
//! parsed and snapshotted; every stderr sample feeds the error recognisers. The directory is
//! listed, so a new sample of these kinds fails here until it is classified and its snapshot
//! reviewed.

use std::fmt::Write as _;

use crate::samples::{dump_rolling, dump_update, sample, sample_names};
use kopsflow::report::{
    is_api_unreachable, parse_kops_error, parse_rolling_update, parse_update_dry_run,
};

#[derive(Debug, PartialEq)]
pub(crate) enum Class {
    /// `kops update cluster` dry-run stdout: parse as an UpdateReport.
    UpdateDryRun,
    /// `kops rolling-update cluster` stdout table: parse as a RollingUpdateReport.
    RollingTable,
    /// stderr of some kops command: feeds parse_kops_error / is_api_unreachable.
    Stderr,
    /// Not report output (`update --yes` stdout, YAML, tables of other commands, …).
    Other,
}

pub(crate) fn classify(name: &str) -> Class {
    let dryrun = name.starts_with("update-cluster-dryrun.");
    if dryrun && (name.ends_with("stdout.txt") || name.ends_with(".kops-1.7-doc.txt")) {
        Class::UpdateDryRun
    } else if name.starts_with("rolling-update-table.") && name.ends_with("stdout.txt") {
        Class::RollingTable
    } else if name.contains("stderr") {
        Class::Stderr
    } else if name.starts_with("update-cluster-yes.")
        || !(dryrun || name.starts_with("rolling-update"))
    {
        Class::Other
    } else {
        panic!(
            "sample {name} looks like update dry-run / rolling-update output but is not \
             classified: extend classify() in tests/it/report_samples.rs"
        )
    }
}

fn snapshot_name(file: &str) -> String {
    file.trim_end_matches(".txt")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[test]
fn every_update_dry_run_sample_parses() {
    let names: Vec<String> = sample_names()
        .into_iter()
        .filter(|n| classify(n) == Class::UpdateDryRun)
        .collect();
    // The samples known when this test was written; more may come and are parsed too.
    assert!(
        names.len() >= 6,
        "expected at least 6 dry-run samples, got {names:?}"
    );
    for name in names {
        let report = parse_update_dry_run(&sample(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_snapshot!(snapshot_name(&name), dump_update(&report));
    }
}

#[test]
fn every_rolling_update_table_sample_parses() {
    let names: Vec<String> = sample_names()
        .into_iter()
        .filter(|n| classify(n) == Class::RollingTable)
        .collect();
    assert!(
        names.len() >= 2,
        "expected at least 2 rolling-update tables, got {names:?}"
    );
    for name in names {
        let report = parse_rolling_update(&sample(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_snapshot!(snapshot_name(&name), dump_rolling(&report));
    }
}

#[test]
fn every_stderr_sample_feeds_the_error_recognisers() {
    let mut out = String::new();
    for name in sample_names()
        .into_iter()
        .filter(|n| classify(n) == Class::Stderr)
    {
        let text = sample(&name);
        writeln!(out, "{name}").unwrap();
        writeln!(out, "  api_unreachable: {}", is_api_unreachable(&text)).unwrap();
        writeln!(out, "  kops_error: {:?}", parse_kops_error(&text)).unwrap();
    }
    insta::assert_snapshot!(out);
}

#[test]
fn every_sample_is_classified() {
    // Forces classify() to run (and panic on unknown dry-run / rolling-update files) over the
    // whole directory, and records the classification for review.
    let listing: String = sample_names()
        .iter()
        .map(|n| format!("{:?}\t{n}\n", classify(n)))
        .collect();
    insta::assert_snapshot!(listing);
}

#[test]
fn known_outcomes_of_real_samples() {
    let r = parse_update_dry_run(&sample(
        "update-cluster-dryrun.modify-ig.REAL.kops-1.29.2.stdout.txt",
    ))
    .unwrap();
    assert!(r.changes_pending && r.closing_line_seen);
    assert_eq!(
        r.resources(),
        [
            "AutoscalingGroup/nodes-us-east-1a.demo1.k8s.local",
            "LaunchTemplate/nodes-us-east-1a.demo1.k8s.local",
            "Subnet/us-east-1a.demo1.k8s.local",
        ]
    );
    let max = &r.modifies[0].fields[0];
    assert_eq!(
        (max.field.as_str(), max.old.as_deref(), max.new.as_str()),
        ("MaxSize", Some("1"), "3")
    );

    let r = parse_update_dry_run(&sample(
        "update-cluster-dryrun.no-changes.REAL.kops-1.29.2.stdout.txt",
    ))
    .unwrap();
    assert!(!r.changes_pending && r.closing_line_seen && !r.has_listed_changes());

    let r = parse_update_dry_run(&sample(
        "update-cluster-dryrun.create-all.REAL.kops-1.29.2.stdout.txt",
    ))
    .unwrap();
    assert!(r.changes_pending && r.modifies.is_empty() && r.deletions.is_empty());
    assert!(r.resources().contains(&"Route/::/0".to_string()));
    assert!(r.resources().contains(&"Secret/system:dns".to_string()));
    // A field name of 20+ characters is followed directly by the tab.
    let lt = r
        .creates
        .iter()
        .find(|t| t.resource() == "LaunchTemplate/nodes-us-east-1a.test.k8s.local")
        .unwrap();
    let hop = lt
        .fields
        .iter()
        .find(|f| f.field == "HTTPPutResponseHopLimit")
        .unwrap();
    assert_eq!(hop.new, "1");
    let cpu = lt.fields.iter().find(|f| f.field == "CPUCredits").unwrap();
    assert_eq!(cpu.new, "");

    let r = parse_update_dry_run(&sample(
        "update-cluster-dryrun.copied-state-configbase-rewritten.REAL.kops-1.29.2.stdout.txt",
    ))
    .unwrap();
    let policy = &r.modifies[0];
    assert_eq!(policy.resource(), "IAMRolePolicy/masters.demo1.k8s.local");
    assert!(policy.fields[0].is_diff());
    // 22 lines from the first `...` to the last; kops's trailing empty line is dropped.
    assert_eq!(policy.fields[0].diff.len(), 22);
    assert_eq!(policy.fields[0].diff.last().unwrap(), "...");
    assert_eq!(
        (
            policy.fields[1].old.as_deref(),
            policy.fields[1].new.as_str()
        ),
        (Some("false"), "false")
    );
}

/// The in-repo copy must stay byte-identical to the recordings it was copied from
/// (kopsflow/tests/kops-samples/README.md), when a checkout has them beside the workspace.
#[test]
fn in_repo_samples_match_the_shared_recordings() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/kops-samples");
    let Ok(entries) = std::fs::read_dir(&shared) else {
        return; // a clean clone elsewhere has only the in-repo copy
    };
    for entry in entries {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = std::fs::read(crate::samples::sample_path(&name)).unwrap_or_else(|e| {
            panic!("{name} is in shared/kops-samples but not in tests/kops-samples: {e}")
        });
        assert_eq!(
            ours,
            std::fs::read(entry.path()).unwrap(),
            "{name} differs from the shared recording"
        );
    }
}
