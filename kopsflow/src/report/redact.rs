//! Redaction: hiding secrets before kopsflow shows anything, in the two places they can appear.
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
//! 2. **Lines kops streams** ([`Redactor`]): values of secret environment variables and
//!    kubeconfig credentials become `***` before a line of kops's stdout or stderr is logged
//!    (`crate::exec` applies it; the logic is pure and lives here).

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

// ---------------------------------------------------------------------------------------------
// environment values in streamed kops output

/// Values that must never be printed: secret environment values, kubeconfig credentials.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

/// Environment variable names whose values are secrets.
fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper == "AWS_ACCESS_KEY_ID"
        || upper == "S3_ACCESS_KEY_ID"
        || ["SECRET", "TOKEN", "PASSWORD", "PRIVATE_KEY", "CREDENTIALS"]
            .iter()
            .any(|s| upper.contains(s))
}

/// kubeconfig keys whose values are credentials.
const KUBECONFIG_SECRET_KEYS: &[&str] = &[
    "client-key-data:",
    "client-certificate-data:",
    "token:",
    "password:",
];

impl Redactor {
    /// Collects the secret values from an environment (e.g. `std::env::vars()`).
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> Redactor {
        let mut secrets: Vec<String> = vars
            .into_iter()
            .filter(|(k, v)| is_secret_name(k) && v.len() >= 4)
            .map(|(_, v)| v)
            .collect();
        // Longest first, so that a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    pub fn redact(&self, line: &str) -> String {
        let mut out = line.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        let trimmed = out.trim_start();
        for key in KUBECONFIG_SECRET_KEYS {
            if let Some(rest) = trimmed.strip_prefix(key) {
                if !rest.trim().is_empty() {
                    let indent = &out[..out.len() - trimmed.len()];
                    return format!("{indent}{key} ***");
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        let r = Redactor::from_env([
            ("AWS_SESSION_TOKEN".to_owned(), "tok-123456".to_owned()),
            ("S3_SECRET_ACCESS_KEY".to_owned(), "s3secret".to_owned()),
            ("AWS_REGION".to_owned(), "us-east-1".to_owned()),
        ]);
        assert_eq!(
            r.redact("a tok-123456 s3secret us-east-1"),
            "a *** *** us-east-1"
        );
    }

    #[test]
    fn kubeconfig_credentials() {
        let r = Redactor::default();
        assert_eq!(
            r.redact("    client-key-data: LS0tLS1CRUdJTg=="),
            "    client-key-data: ***"
        );
        assert_eq!(r.redact("token:"), "token:");
        assert_eq!(r.redact("  server: https://api"), "  server: https://api");
    }
}
