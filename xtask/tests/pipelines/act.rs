//! act's side of the GitHub pipeline tests: the event payloads GitHub sends (cut to the fields
//! the workflows read), the actions a workflow uses, and each job's result from act's log.

use std::path::Path;

use crate::harness::{Outcome, CLUSTER};

/// The repository the payloads name (act reads the same from the `origin` remote).
pub const REPOSITORY: &str = "acme/kopsflow";

/// The actions a workflow uses (`owner/name@ref`).
pub fn uses(workflow: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(workflow).unwrap();
    let mut actions: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("uses: "))
        .map(|a| a.trim_matches('"').to_owned())
        .collect();
    actions.sort();
    actions.dedup();
    actions
}

/// Each job that ran and whether it succeeded, from act's log (`[workflow/job] 🏁  Job …`).
pub fn jobs(outcome: &Outcome) -> Vec<(String, bool)> {
    let mut jobs: Vec<(String, bool)> = outcome
        .log
        .lines()
        .filter_map(|line| {
            let (head, tail) = line.strip_prefix('[')?.split_once("] ")?;
            let ok = match tail.trim() {
                "🏁  Job succeeded" => true,
                "🏁  Job failed" => false,
                _ => return None,
            };
            Some((head.rsplit_once('/')?.1.trim().to_owned(), ok))
        })
        .collect();
    jobs.sort();
    jobs
}

pub fn pull_request(head_sha: &str, head_repo: &str) -> String {
    format!(
        r#"{{"action": "synchronize", "number": 7, "pull_request": {{"number": 7,
  "head": {{"ref": "feature/x", "sha": "{head_sha}", "repo": {{"full_name": "{head_repo}"}}}},
  "base": {{"ref": "main", "repo": {{"full_name": "{REPOSITORY}"}}}}}},
  "repository": {{"full_name": "{REPOSITORY}"}}}}"#
    )
}

pub fn push(before: &str, after: &str) -> String {
    format!(
        r#"{{"ref": "refs/heads/main", "before": "{before}", "after": "{after}",
  "repository": {{"full_name": "{REPOSITORY}"}}}}"#
    )
}

/// A `workflow_dispatch` payload: as GitHub sends it, the inputs are strings
/// (`github.event.inputs`); act is also given them with `--input`, for the typed `inputs`.
pub fn dispatch(dry_run: bool, branch: &str) -> String {
    format!(
        r#"{{"ref": "refs/heads/{branch}",
  "inputs": {{"cluster": "{CLUSTER}", "dry_run": "{dry_run}"}},
  "repository": {{"full_name": "{REPOSITORY}"}}}}"#
    )
}

/// Whether act's log has a line ending with `text` (act prints the variables a step set, after
/// it, as `⚙  ::set-env:: NAME=VALUE`; a step's own output can be lost when it ends at once).
pub fn has_line(log: &str, text: &str) -> bool {
    log.lines().any(|l| l.trim_end().ends_with(text))
}
