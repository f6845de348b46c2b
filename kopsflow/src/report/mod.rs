//! Reports: kops output (update dry-run, rolling-update tables) parsed into structured change
//! sets, per-cluster summaries, and their text, markdown and JSON renderings.
//!
//! One concern per module: `update` and `rolling` (the two kops reports: model and parser),
//! `unparsed` (kops text the parsers did not understand, kept verbatim), `stderr` (what kops says
//! when it fails), `summary` (per-cluster outcome), `redact` (secrets, in reports and in
//! streamed kops output), `neutralise` (what terminals and CI logs would act on), `render`
//! (text, markdown, JSON), `audit` (the audit log's record,
//! schema in `docs/AUDIT.md`), `error` (output that contradicts itself).
//!
//! Parsers work on real kops output only (see `docs/KOPS.md` §1, §2 and `kops-samples/`); nothing here
//! runs a process. The JSON schema emitted by [`render_json`] is documented in `JSON.md` beside
//! this file.

pub mod audit;
mod error;
pub mod neutralise;
pub mod not_run;
pub mod redact;
pub mod render;
pub mod rolling;
pub mod status;
pub mod stderr;
pub mod summary;
pub mod unparsed;
pub mod update;

pub use error::ReportError;
pub use redact::{redact_report, REDACTED};
pub use render::{
    render_json, render_markdown, render_status_json, render_status_markdown, render_status_text,
    render_text, use_color, JSON_SCHEMA_VERSION,
};
pub use rolling::{parse_rolling_update, GroupState, GroupStatus, RollingUpdateReport};
pub use stderr::{is_api_unreachable, is_cluster_not_found, parse_kops_error};
pub use summary::{
    ClusterStatus, ClusterSummary, CommandEnd, CommandRun, CostTotal, Drift, KopsUsed, RunSummary,
};
pub use unparsed::UnparsedBlock;
pub use update::{
    normalize_value, parse_update_dry_run, Deletion, DeletionSection, FieldChange, TaskChange,
    UpdateReport,
};

/// True for a klog line such as `I1125 19:24:32.574689    3726 executor.go:113] Tasks: …`
/// (severity letter, MMDD, time, pid, `file:line]`). kops writes these to stderr; they show up
/// in stdout only when a caller merged the two streams.
pub(crate) fn is_klog_line(line: &str) -> bool {
    let b = line.as_bytes();
    if b.len() < 22 || !matches!(b[0], b'I' | b'W' | b'E' | b'F') {
        return false;
    }
    // "I1125 19:24:32.574689"
    let date_ok = b[1..5].iter().all(u8::is_ascii_digit) && b[5] == b' ';
    let time_ok = b[6..8].iter().all(u8::is_ascii_digit)
        && b[8] == b':'
        && b[9..11].iter().all(u8::is_ascii_digit)
        && b[11] == b':'
        && b[12..14].iter().all(u8::is_ascii_digit)
        && b[14] == b'.';
    date_ok && time_ok && (line.contains("] ") || line.ends_with(']'))
}

#[cfg(test)]
mod tests {
    use super::is_klog_line;

    #[test]
    fn klog_lines() {
        // Real lines from kops-samples/update-cluster-dryrun.modify-ig.REAL.kops-1.29.2.stderr.txt
        assert!(is_klog_line(
            "I1125 19:33:21.469011   22408 executor.go:113] Tasks: 0 done / 117 total; 43 can run"
        ));
        assert!(is_klog_line("W1125 19:33:11.003071   22408 factory.go:134] The local filesystem state store is not functional for running clusters"));
        assert!(!is_klog_line("Will modify resources:"));
        assert!(!is_klog_line("Error: cluster \"nope.k8s.local\" not found"));
        assert!(!is_klog_line("Items will be deleted during update:"));
    }
}
