//! Redaction: hiding secrets before kopsflow shows anything.
//!
//! 1. **Dry-run report values** ([`redact_report`]), before a report is printed, posted to a PR
//!    or written to JSON. Conservative: it hides more than strictly needed rather than less.
//!    * tasks of a secret-bearing kind (`Secret`, `Keypair`, `MirrorSecrets`, `MirrorKeystore`):
//!      every multi-line diff, every consistency-error dump and every single-line value except a
//!      few descriptive fields (`Subject`, `Issuer`, `Type`, …) becomes `(redacted)`;
//!    * in any task, a field whose name contains `Secret`, `Password`, `Token` or `PrivateKey`
//!      (case-insensitive) has its values and diff redacted. Known harmless names that merely
//!      contain those words (`HTTPTokens`, the IMDSv2 setting) are shown.
//!
//!    Empty values stay empty (nothing to hide, and kops prints many).
//! 2. **Text** ([`Redactor`], `text.rs`; shapes in `patterns.rs`): what becomes `***` in every
//!    line kopsflow prints or writes (the output sink and `crate::exec` apply it):
//!    * the values of environment variables whose names look secret ([`is_secret_name`]:
//!      `*SECRET*`, `*TOKEN*`, `*PASSWORD*`, `*PRIVATE_KEY*`, `*CREDENTIALS*`,
//!      `AWS_ACCESS_KEY_ID`, `S3_ACCESS_KEY_ID`) of at least 4 characters, and each line of at
//!      least [`MIN_SECRET_LINE_CHARS`] characters of a multi-line one; each as is, JSON-escaped
//!      and URL-encoded; and the first [`MIN_SECRET_LINE_CHARS`] characters or more of one
//!      right before a clip mark `…` (a value kopsflow cut short before redacting it);
//!    * `NAME=value` assignments and `--name value` / `--name=value` arguments to such names,
//!      and the `value:` of a Kubernetes env entry whose `name:` is one (across lines, or on
//!      one line as a flow mapping or JSON object: `{name: GITHUB_TOKEN, value: X}`);
//!    * `key: value` credentials in YAML (block, flow `{token: X}`, quoted keys, `token : X`) and
//!      JSON: kubeconfig's `client-key-data`, `client-certificate-data`, `token`, `password`,
//!      an auth provider's `client-secret`, `refresh-token`, `access-token`, HTTP headers
//!      (`Authorization`, `Private-Token`, …; keys in any case), and
//!      environment-style keys (`GITHUB_TOKEN: X`) that look secret; a value that refers to a
//!      variable (`$TOKEN`, `${{ secrets.X }}`) is shown;
//!    * private key material: the body of every PEM, OpenSSH, PGP (`-----BEGIN … PRIVATE KEY…`)
//!      and SSH2 (`---- BEGIN … PRIVATE KEY ----`) block, on one line or across lines, up to the
//!      END marker, also on the marker's line.
//! 3. **A whole report** ([`redact_summary`], [`redact_status`]: `summary.rs`), string by
//!    string, before a renderer escapes or clips anything.

mod patterns;
mod summary;
mod text;

pub use summary::{redact_status, redact_summary, Redactable};
pub use text::{is_secret_name, RedactingStream, Redactor, HIDDEN, MIN_SECRET_LINE_CHARS};

use super::update::{FieldChange, TaskChange, UpdateReport};

/// What a hidden value is replaced with.
pub const REDACTED: &str = "(redacted)";

const SECRET_KINDS: &[&str] = &["Secret", "Keypair", "MirrorSecrets", "MirrorKeystore"];
const SECRET_WORDS: &[&str] = &["secret", "password", "token", "privatekey"];
/// Field names that contain a secret word but hold no secret.
const HARMLESS_FIELDS: &[&str] = &["HTTPTokens"];
/// Fields of secret-kind tasks that describe, not contain, key material.
const DESCRIPTIVE_FIELDS: &[&str] = &[
    "Subject",
    "Issuer",
    "Type",
    "LegacyFormat",
    "AlternateNames",
    "Signer",
    "Base",
    "Location",
];

/// Whether tasks of this Go type carry secret material.
pub fn is_secret_kind(kind: &str) -> bool {
    SECRET_KINDS.contains(&kind)
}

/// Whether a field name looks like it holds a secret.
pub fn is_secret_field(field: &str) -> bool {
    if HARMLESS_FIELDS.contains(&field) {
        return false;
    }
    let lower = field.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| lower.contains(w))
}

fn hide(value: &str) -> String {
    if value.is_empty() {
        String::new()
    } else {
        REDACTED.to_string()
    }
}

fn redact_field(kind_is_secret: bool, field: &FieldChange) -> FieldChange {
    let secret_field = is_secret_field(&field.field);
    let hide_values =
        secret_field || (kind_is_secret && !DESCRIPTIVE_FIELDS.contains(&field.field.as_str()));
    let hide_diff = secret_field || kind_is_secret;
    FieldChange {
        field: field.field.clone(),
        old: if hide_values {
            field.old.as_deref().map(hide)
        } else {
            field.old.clone()
        },
        new: if hide_values {
            hide(&field.new)
        } else {
            field.new.clone()
        },
        diff: if hide_diff && field.is_diff() {
            vec![REDACTED.to_string()]
        } else {
            field.diff.clone()
        },
    }
}

/// A copy of the task with secret values replaced by `(redacted)`.
pub fn redact_task(task: &TaskChange) -> TaskChange {
    let secret_kind = is_secret_kind(&task.kind);
    TaskChange {
        kind: task.kind.clone(),
        name: task.name.clone(),
        fields: task
            .fields
            .iter()
            .map(|f| redact_field(secret_kind, f))
            .collect(),
        consistency_error: if secret_kind && !task.consistency_error.is_empty() {
            vec![REDACTED.to_string()]
        } else {
            task.consistency_error.clone()
        },
    }
}

/// A copy of the report with secret values replaced by `(redacted)`; used by every renderer.
pub fn redact_report(report: &UpdateReport) -> UpdateReport {
    UpdateReport {
        creates: report.creates.iter().map(redact_task).collect(),
        modifies: report.modifies.iter().map(redact_task).collect(),
        ignored: report.ignored.iter().map(redact_task).collect(),
        deletions: report.deletions.clone(),
        changes_pending: report.changes_pending,
        closing_line_seen: report.closing_line_seen,
        notices: report.notices.clone(),
        unparsed: report
            .unparsed
            .iter()
            .map(super::UnparsedBlock::redacted)
            .collect(),
        warnings: report.warnings.clone(),
    }
}

#[cfg(test)]
mod tests;
