//! A plan that kops finished never fails on kopsflow's parser: kops output whose indentation was
//! changed (tabs expanded to spaces) parses like the original, and lines kopsflow does not
//! understand are kept verbatim as "not parsed" while the closing line still decides whether
//! changes are pending. Only output that contradicts itself is an error.
//!
//! Inputs are real samples from `kopsflow/tests/kops-samples/` or DERIVED from them (tabs
//! expanded, lines cut, moved, repeated or renamed); every derived input says how it was made.

use crate::report_samples::{classify, Class};
use crate::samples::{
    dump_rolling, dump_update, expand_tabs, expand_tabs_to, sample, sample_names,
};
use kopsflow::report::{parse_rolling_update, parse_update_dry_run, redact_report, REDACTED};

const MODIFY_IG: &str = "update-cluster-dryrun.modify-ig.REAL.kops-1.29.2.stdout.txt";
const MODIFY_IG_136: &str = "update-cluster-dryrun.modify-ig.REAL.kops-1.36.2.stdout.txt";
const YES_STDOUT: &str = "update-cluster-yes.subsequent-run.REAL.kops-1.29.2.stdout.txt";
const RU_NEEDS: &str = "rolling-update-table.needsupdate.cloudonly.REAL.kops-1.29.2.stdout.txt";
const RU_CLEAN: &str = "rolling-update-table.no-update.cloudonly.REAL.kops-1.29.2.stdout.txt";
const PENDING: &str = "Must specify --yes to apply changes";
const CLEAN: &str = "No changes need to be applied";

/// The real modify-ig report without its closing line (last line).
fn modify_ig_body() -> String {
    let text = sample(MODIFY_IG);
    let body = text.trim_end_matches('\n').strip_suffix(PENDING).unwrap();
    body.to_string()
}

#[test]
fn expanded_tabs_parse_like_the_original() {
    let names: Vec<String> = sample_names()
        .into_iter()
        .filter(|n| classify(n) == Class::UpdateDryRun)
        .collect();
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        let text = sample(&name);
        // DERIVED: the real sample with every tab expanded to spaces (8-column tab stops).
        let expanded = expand_tabs(&text);
        assert!(expanded != text || !text.contains('\t'));
        let original = parse_update_dry_run(&text).unwrap();
        let spaced = parse_update_dry_run(&expanded)
            .unwrap_or_else(|e| panic!("{name} with tabs expanded: {e}"));
        assert_eq!(spaced, original, "{name} with tabs expanded");
        assert!(spaced.unparsed.is_empty() && spaced.warnings.is_empty());
        // DERIVED: the same with 4-column tab stops (`expand -t 4`).
        let four = parse_update_dry_run(&expand_tabs_to(&text, 4)).unwrap();
        assert_eq!(four, original, "{name} with tabs expanded to 4 columns");
    }
    for name in sample_names()
        .into_iter()
        .filter(|n| classify(n) == Class::RollingTable)
    {
        // DERIVED: the real table with every tab expanded to spaces.
        let text = sample(&name);
        assert_eq!(
            parse_rolling_update(&expand_tabs(&text)).unwrap(),
            parse_rolling_update(&text).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn trailing_spaces_stripped_after_expanding_still_parse() {
    // DERIVED: every real dry-run sample with its tabs expanded and then the trailing spaces of
    // every line removed (what many editors and chat tools do). Blank diff context lines lose
    // their two spaces, so diffs may differ in such lines; everything else is the same, and no
    // line is left unparsed.
    for name in sample_names()
        .into_iter()
        .filter(|n| classify(n) == Class::UpdateDryRun)
    {
        let text = sample(&name);
        let stripped: String = expand_tabs(&text)
            .lines()
            .map(|l| format!("{}\n", l.trim_end()))
            .collect();
        let original = parse_update_dry_run(&text).unwrap();
        let r = parse_update_dry_run(&stripped).unwrap();
        assert!(r.unparsed.is_empty(), "{name}: {:?}", r.unparsed);
        assert_eq!(r.resources(), original.resources(), "{name}");
        assert_eq!(r.changes_pending, original.changes_pending, "{name}");
        let fields =
            |r: &kopsflow::report::UpdateReport| -> Vec<(String, Option<String>, String, usize)> {
                r.creates
                    .iter()
                    .chain(&r.modifies)
                    .flat_map(|t| &t.fields)
                    .map(|f| {
                        (
                            f.field.clone(),
                            f.old.clone(),
                            f.new.trim_end().to_string(),
                            f.diff.len(),
                        )
                    })
                    .collect()
            };
        assert_eq!(fields(&r), fields(&original), "{name}");
    }
}

#[test]
fn a_field_line_not_understood_is_kept_verbatim() {
    // DERIVED: real modify-ig stdout with ` -> ` removed from line 3 (`MaxSize  1 -> 3`).
    let input = sample(MODIFY_IG).replacen(" 1 -> 3", " 1 3", 1);
    let r = parse_update_dry_run(&input).unwrap();
    assert!(r.changes_pending && r.closing_line_seen);
    assert_eq!(r.modify_count(), 3);
    // The task keeps the field that was understood (MinSize).
    assert_eq!(r.modifies[0].fields.len(), 1);
    assert_eq!(r.modifies[0].fields[0].field, "MinSize");
    assert_eq!(r.unparsed.len(), 1);
    assert_eq!(r.unparsed[0].line, 3);
    assert_eq!(r.unparsed[0].lines, [input.lines().nth(2).unwrap()]);
    assert_eq!(r.warnings.len(), 1);

    // DERIVED: the same line with its tabs expanded (read by columns, still not understood).
    let r = parse_update_dry_run(&expand_tabs(&input)).unwrap();
    assert_eq!(
        r.unparsed[0].reason,
        "modified field without `<old> -> <new>`"
    );
    assert_eq!(
        r.unparsed[0].lines,
        [expand_tabs(input.lines().nth(2).unwrap())]
    );
}

#[test]
fn an_unindented_line_inside_a_section_is_kept_verbatim() {
    // DERIVED: real modify-ig body + the real first line of `update --yes` stdout (text kops
    // never prints inside a dry-run section) + the real closing line.
    let yes_line = sample(YES_STDOUT).lines().next().unwrap().to_string();
    let input = format!("{}{yes_line}\n{PENDING}\n", modify_ig_body());
    let r = parse_update_dry_run(&input).unwrap();
    assert!(r.changes_pending && r.closing_line_seen);
    assert_eq!(r.modify_count(), 3);
    assert_eq!(r.unparsed[0].line, 12);
    assert_eq!(r.unparsed[0].lines, [yes_line]);
}

/// The real modify-ig report with the indentation of every indented line removed, so that no
/// line of the report body is understood, closed by `closing` (if any).
fn all_unindented(closing: Option<&str>) -> String {
    let mut out: String = modify_ig_body()
        .lines()
        .map(|l| format!("{}\n", l.trim_start()))
        .collect();
    if let Some(c) = closing {
        out.push_str(c);
        out.push('\n');
    }
    out
}

#[test]
fn the_closing_line_decides_even_when_nothing_was_understood() {
    // DERIVED: see all_unindented.
    let pending = parse_update_dry_run(&all_unindented(Some(PENDING))).unwrap();
    assert!(pending.changes_pending && pending.closing_line_seen);
    assert!(!pending.has_listed_changes());
    // One block: lines 2 to 10 (the blank lines between them included), kept verbatim.
    insta::assert_snapshot!(dump_update(&pending));
    let clean = parse_update_dry_run(&all_unindented(Some(CLEAN))).unwrap();
    assert!(!clean.changes_pending && clean.closing_line_seen);
    // Without a closing line, text not understood inside a section counts as pending.
    let cut = parse_update_dry_run(&all_unindented(None)).unwrap();
    assert!(cut.changes_pending && !cut.closing_line_seen);
}

#[test]
fn a_star_line_inside_a_diff_is_not_a_banner() {
    // DERIVED: real 1.36.2 modify-ig stdout with the context line `  kind: Cluster` of its
    // `Contents` diff replaced by two spaces and 81 `*` (a line of stars in a managed file).
    let stars = "*".repeat(81);
    let input = sample(MODIFY_IG_136).replacen("  kind: Cluster", &format!("  {stars}"), 1);
    let r = parse_update_dry_run(&input).unwrap();
    assert!(r.changes_pending && r.closing_line_seen);
    assert!(r.notices.is_empty());
    // Its only change is still creationTimestamp: the completed spec is left out (`ignored`).
    let contents = &r.ignored[0].fields[0];
    assert_eq!(contents.field, "Contents");
    assert_eq!(contents.diff[1], format!("  {stars}"));
}

#[test]
fn an_unclosed_banner_does_not_hide_the_report() {
    // DERIVED: a kops banner (81 `*`, text lines of apply_cluster.go's `A new kubernetes version
    // is available: %s` notice) whose closing star line is cut, then the real modify-ig stdout.
    let star = "*".repeat(81);
    let input = format!(
        "{star}\n\nA new kubernetes version is available: 1.28.15\n\n{}",
        sample(MODIFY_IG)
    );
    let r = parse_update_dry_run(&input).unwrap();
    assert!(r.changes_pending && r.closing_line_seen);
    assert_eq!(r.modify_count(), 3);
    assert!(r
        .notices
        .iter()
        .any(|n| n.contains("A new kubernetes version is available")));
}

#[test]
fn output_that_contradicts_itself_is_still_an_error() {
    // DERIVED: real modify-ig stdout followed by the real `No changes need to be applied`.
    let both = format!("{}{CLEAN}\n", sample(MODIFY_IG));
    let err = parse_update_dry_run(&both).unwrap_err();
    assert_eq!(err.line, 13, "{err}");
    // DERIVED: the real closing line twice.
    let twice = format!("{}{PENDING}\n", sample(MODIFY_IG));
    assert_eq!(parse_update_dry_run(&twice).unwrap_err().line, 13);
    // DERIVED: a report section after the closing line (the real report repeated).
    let again = format!("{}{}", sample(MODIFY_IG), sample(MODIFY_IG));
    assert_eq!(parse_update_dry_run(&again).unwrap_err().line, 13);
    // No report and no closing line: not a dry-run (real `update --yes` stdout, and nothing).
    assert_eq!(
        parse_update_dry_run(&sample(YES_STDOUT)).unwrap_err().line,
        0
    );
    assert!(parse_update_dry_run("").is_err());

    // Rolling-update: two closing lines (DERIVED: the real table + its closing line again).
    let twice = format!("{}No rolling-update required.\n", sample(RU_CLEAN));
    assert!(parse_rolling_update(&twice).is_err());
    // No header and no closing line: not a table (real dry-run stdout, and nothing).
    assert_eq!(
        parse_rolling_update(&sample(MODIFY_IG)).unwrap_err().line,
        0
    );
    assert!(parse_rolling_update("").is_err());
}

#[test]
fn a_rolling_update_table_with_an_unknown_column_is_kept_verbatim() {
    // DERIVED: the real NeedsUpdate table with its TARGET column header renamed DESIRED.
    let input = sample(RU_NEEDS).replacen("TARGET", "DESIRED", 1);
    let r = parse_rolling_update(&input).unwrap();
    assert!(r.update_required && r.closing_line_seen && r.single_control_plane);
    assert!(r.groups.is_empty());
    insta::assert_snapshot!(dump_rolling(&r));
    // DERIVED: the same with the closing line cut: the NeedsUpdate cell still counts.
    let cut = input.replace("Must specify --yes to rolling-update.\n", "");
    assert!(parse_rolling_update(&cut).unwrap().update_required);
    // DERIVED: the real all-Ready table with the header renamed the same way.
    let clean = parse_rolling_update(&sample(RU_CLEAN).replacen("TARGET", "DESIRED", 1)).unwrap();
    assert!(!clean.update_required && clean.closing_line_seen);
}

#[test]
fn a_rolling_update_row_not_understood_is_kept_verbatim() {
    // DERIVED: the real NeedsUpdate table with its NEEDUPDATE count 3 replaced by 2^32 (does
    // not fit the u32 count).
    let input = sample(RU_NEEDS).replacen("NeedsUpdate\t3", "NeedsUpdate\t4294967296", 1);
    let r = parse_rolling_update(&input).unwrap();
    assert!(r.update_required);
    assert_eq!(r.groups.len(), 1);
    assert_eq!(
        (r.unparsed[0].line, r.unparsed[0].reason.as_str()),
        (4, "NeedUpdate is not a count that fits 32 bits")
    );
    // DERIVED: the real table with its last row repeated after the closing line.
    let text = sample(RU_CLEAN);
    let last_row = text.lines().nth(2).unwrap();
    let r = parse_rolling_update(&format!("{text}{last_row}\n")).unwrap();
    assert!(!r.update_required && r.closing_line_seen);
    assert_eq!(r.groups.len(), 2);
    assert_eq!(r.unparsed[0].reason, "text after the closing line");
    assert_eq!(r.unparsed[0].lines, [last_row]);
}

#[test]
fn lines_not_understood_are_redacted_like_values() {
    // DERIVED: create-all's first Keypair task with its `Subject` line unindented.
    let text = sample("update-cluster-dryrun.create-all.REAL.kops-1.29.2.stdout.txt");
    let mut lines = text.lines().skip_while(|l| !l.starts_with("  Keypair/"));
    let keypair = lines.next().unwrap();
    let subject = lines.next().unwrap().trim_start();
    let r = parse_update_dry_run(&format!(
        "Will create resources:\n{keypair}\n{subject}\n\n{PENDING}\n"
    ))
    .unwrap();
    assert_eq!(r.unparsed[0].lines, [subject]);
    assert_eq!(redact_report(&r).unparsed[0].lines, [REDACTED]);
    // A block under an ordinary task with no secret word stays as it is (see
    // a_field_line_not_understood_is_kept_verbatim's input).
    let r = parse_update_dry_run(&sample(MODIFY_IG).replacen(" 1 -> 3", " 1 3", 1)).unwrap();
    assert_eq!(redact_report(&r).unparsed, r.unparsed);
}
