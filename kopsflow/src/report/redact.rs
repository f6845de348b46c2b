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

// ---------------------------------------------------------------------------------------------
// environment values in streamed kops output

/// What a hidden secret is replaced with in text.
pub const HIDDEN: &str = "***";

/// The one text redactor: every byte kopsflow prints, writes or posts passes through it
/// (streamed kops lines, summaries in every format, error messages, the step summary file).
/// It hides:
/// * values of environment variables whose names look secret (`*SECRET*`, `*TOKEN*`,
///   `*PASSWORD*`, `*PRIVATE_KEY*`, `*CREDENTIALS*`, `AWS_ACCESS_KEY_ID`, `S3_ACCESS_KEY_ID`),
///   also in their JSON-escaped form;
/// * `NAME=value` assignments to such names wherever they appear (user data exporting a key
///   that is not in kopsflow's own environment);
/// * kubeconfig credentials (`client-key-data`, `client-certificate-data`, `token`,
///   `password`), in YAML and JSON form;
/// * private key material: the body of every `-----BEGIN … PRIVATE KEY-----` block, on one
///   line or across lines.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so that a secret containing another is replaced whole.
    secrets: Vec<String>,
}

/// Environment variable names whose values are secrets.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper == "AWS_ACCESS_KEY_ID"
        || upper == "S3_ACCESS_KEY_ID"
        || ["SECRET", "TOKEN", "PASSWORD", "PRIVATE_KEY", "CREDENTIALS"]
            .iter()
            .any(|s| upper.contains(s))
}

/// kubeconfig keys whose values are credentials.
const KUBECONFIG_SECRET_KEYS: &[&str] = &[
    "client-key-data",
    "client-certificate-data",
    "token",
    "password",
];

const PEM_BEGIN: &str = "-----BEGIN ";
const PEM_END: &str = "-----END ";
const PEM_PRIVATE: &str = "PRIVATE KEY-----";

impl Redactor {
    /// Collects the secret values from an environment (e.g. `std::env::vars()`).
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> Redactor {
        let mut secrets = Vec::new();
        for (name, value) in vars {
            if !is_secret_name(&name) || value.len() < 4 {
                continue;
            }
            // As JSON writes it (`"`, `\`, control characters escaped).
            let escaped = crate::json::escape(&value);
            if escaped != value {
                secrets.push(escaped);
            }
            secrets.push(value);
        }
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    /// Redacts one line (no state: a private key block spanning lines needs
    /// [`Redactor::redact_text`] or [`Redactor::stream`]).
    pub fn redact(&self, line: &str) -> String {
        let mut out = line.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), HIDDEN);
            }
        }
        let out = hide_inline_private_keys(&out);
        let out = hide_secret_assignments(&out);
        hide_kubeconfig_credentials(&out)
    }

    /// Redacts a whole text, private key blocks across lines included. Line ends are kept.
    pub fn redact_text(&self, text: &str) -> String {
        let mut stream = self.stream();
        let mut out = String::with_capacity(text.len());
        for piece in text.split_inclusive('\n') {
            let (line, end) = match piece.strip_suffix('\n') {
                Some(line) => (line, "\n"),
                None => (piece, ""),
            };
            out.push_str(&stream.line(line));
            out.push_str(end);
        }
        out
    }

    /// A line-by-line redactor for one stream, which remembers being inside a private key.
    pub fn stream(&self) -> RedactingStream<'_> {
        RedactingStream {
            redactor: self,
            in_private_key: false,
        }
    }
}

/// Redacts the lines of one stream in order (see [`Redactor::stream`]).
#[derive(Debug)]
pub struct RedactingStream<'a> {
    redactor: &'a Redactor,
    in_private_key: bool,
}

impl RedactingStream<'_> {
    pub fn line(&mut self, line: &str) -> String {
        if self.in_private_key {
            if line.contains(PEM_END) {
                self.in_private_key = false;
                return self.redactor.redact(line);
            }
            let indent = &line[..line.len() - line.trim_start().len()];
            return format!("{indent}{HIDDEN}");
        }
        if let Some(at) = line.find(PEM_BEGIN) {
            let rest = &line[at..];
            if rest.contains(PEM_PRIVATE) && !rest.contains(PEM_END) {
                self.in_private_key = true;
            }
        }
        self.redactor.redact(line)
    }
}

/// `-----BEGIN X PRIVATE KEY-----<body>-----END X PRIVATE KEY-----` within one line (JSON or
/// `\n`-escaped text): the body goes, to the end marker or the end of the line.
fn hide_inline_private_keys(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(begin) = rest.find(PEM_BEGIN) {
        let after_begin = &rest[begin..];
        let Some(header_end) = after_begin.find(PEM_PRIVATE) else {
            break;
        };
        let body_start = begin + header_end + PEM_PRIVATE.len();
        out.push_str(&rest[..body_start]);
        let body = &rest[body_start..];
        match body.find(PEM_END) {
            Some(end) => {
                if end > 0 {
                    out.push_str(HIDDEN);
                }
                out.push_str(PEM_END);
                rest = &body[end + PEM_END.len()..];
            }
            None => {
                if !body.trim().is_empty() {
                    out.push_str(HIDDEN);
                }
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `NAME=value` where NAME looks secret (shell `export`, env files, user data): the value goes,
/// up to the next whitespace, quote, `,`, `;`, `}` or `]`.
fn hide_secret_assignments(line: &str) -> String {
    if !line.contains('=') {
        return line.to_owned();
    }
    let bytes = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'=' {
            i += 1;
            continue;
        }
        let name_start = line[..i]
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            // After that character, which may take more than one byte.
            .map_or(0, |(p, c)| p + c.len_utf8());
        let name = &line[name_start..i];
        let mut value_start = i + 1;
        // A quote, or a quote escaped as JSON writes it (`KEY=\"value\"` inside a JSON string).
        let escaped = bytes.get(value_start) == Some(&b'\\');
        let quote = bytes
            .get(value_start + usize::from(escaped))
            .copied()
            .filter(|b| *b == b'"' || *b == b'\'');
        if quote.is_some() {
            value_start += 1 + usize::from(escaped);
        }
        let value_end = match quote {
            Some(q) => {
                let close = if escaped {
                    format!("\\{}", char::from(q))
                } else {
                    char::from(q).to_string()
                };
                line[value_start..]
                    .find(&close)
                    .map_or(line.len(), |p| value_start + p)
            }
            None => {
                let end = line[value_start..]
                    .find(|c: char| c.is_whitespace() || "\"',;}]".contains(c))
                    .map_or(line.len(), |p| value_start + p);
                // `\"` ends a JSON string: its backslash is not part of the value.
                if line[end..].starts_with('"') && line[..end].ends_with('\\') {
                    end - 1
                } else {
                    end
                }
            }
        };
        if !name.is_empty() && is_secret_name(name) && value_end > value_start {
            out.push_str(&line[copied..value_start]);
            out.push_str(HIDDEN);
            copied = value_end;
        }
        i = value_end.max(i + 1);
    }
    out.push_str(&line[copied..]);
    out
}

/// kubeconfig credentials: `client-key-data: X` (YAML, also as a list item) and
/// `"client-key-data": "X"` (JSON).
fn hide_kubeconfig_credentials(line: &str) -> String {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    let item = trimmed.strip_prefix("- ").unwrap_or(trimmed);
    let prefix_len = line.len() - item.len();
    for key in KUBECONFIG_SECRET_KEYS {
        if let Some(rest) = item.strip_prefix(key).and_then(|r| r.strip_prefix(':')) {
            if !rest.trim().is_empty() {
                return format!("{}{key}: {HIDDEN}", &line[..prefix_len.max(indent.len())]);
            }
        }
    }
    let mut out = line.to_owned();
    for key in KUBECONFIG_SECRET_KEYS {
        let quoted = format!("\"{key}\"");
        let mut from = 0;
        while let Some(at) = out[from..].find(&quoted).map(|p| p + from) {
            let after = at + quoted.len();
            let rest = &out[after..];
            let colon = rest.len() - rest.trim_start().len();
            if !rest[colon..].starts_with(':') {
                from = after;
                continue;
            }
            let value = &rest[colon + 1..];
            let space = value.len() - value.trim_start().len();
            let value_start = after + colon + 1 + space;
            if !out[value_start..].starts_with('"') {
                from = after;
                continue;
            }
            let Some(close) = find_json_string_end(&out[value_start + 1..]) else {
                from = after;
                continue;
            };
            let value_end = value_start + 1 + close;
            if value_end > value_start + 1 {
                out.replace_range(value_start + 1..value_end, HIDDEN);
            }
            from = value_start + 1 + HIDDEN.len().min(value_end - value_start - 1);
        }
    }
    out
}

/// Index of the closing quote of a JSON string body (escapes skipped).
fn find_json_string_end(body: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i),
            _ => {}
        }
    }
    None
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
        assert_eq!(r.redact("- token: abc.def"), "- token: ***");
        assert_eq!(r.redact("token:"), "token:");
        assert_eq!(r.redact("  server: https://api"), "  server: https://api");
        assert_eq!(
            r.redact(r#"{"user": {"client-key-data": "LS0t\"x", "token":"t0k"}, "name": "a"}"#),
            r#"{"user": {"client-key-data": "***", "token":"***"}, "name": "a"}"#
        );
    }

    #[test]
    fn json_escaped_secrets() {
        let r = Redactor::from_env([("DB_PASSWORD".to_owned(), "pa\"ss\\wd".to_owned())]);
        assert_eq!(r.redact(r#"{"v": "pa\"ss\\wd"}"#), r#"{"v": "***"}"#);
        assert_eq!(r.redact("raw pa\"ss\\wd"), "raw ***");
    }

    #[test]
    fn secret_assignments_not_in_the_environment() {
        let r = Redactor::default();
        assert_eq!(
            r.redact("+ export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG AWS_REGION=us-east-1"),
            "+ export AWS_SECRET_ACCESS_KEY=*** AWS_REGION=us-east-1"
        );
        assert_eq!(
            r.redact(r#"GITHUB_TOKEN="ghp_abc def"; next"#),
            r#"GITHUB_TOKEN="***"; next"#
        );
        assert_eq!(
            r.redact("url?X-Amz-Security-Token=Zm9v&b=1"),
            "url?X-Amz-Security-Token=***"
        );
        // Inside a JSON string the quotes are escaped: the value goes, the JSON stays valid.
        assert_eq!(
            r.redact(r#"{"error": "export GITHUB_TOKEN=\"ghp abc\" done"}"#),
            r#"{"error": "export GITHUB_TOKEN=\"***\" done"}"#
        );
        assert_eq!(
            r.redact(r#"{"e": "A_TOKEN=\"x"}"#),
            r#"{"e": "A_TOKEN=\"***"#
        );
        assert_eq!(
            r.redact(r#"{"e": "say \"A_TOKEN=abc\" now"}"#),
            r#"{"e": "say \"A_TOKEN=***\" now"}"#
        );
        assert_eq!(r.redact("a == b, count=3"), "a == b, count=3");
        assert_eq!(r.redact("TOKEN="), "TOKEN=");
        // A multi-byte character right before the name (fuzz/regressions/redact/89604865740be0ce).
        assert_eq!(
            r.redact("�TOKEN=abc —PASSWORD=x"),
            "�TOKEN=*** —PASSWORD=***"
        );
    }

    #[test]
    fn private_keys_on_one_line_and_across_lines() {
        let r = Redactor::default();
        assert_eq!(
            r.redact(
                r"key: -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n"
            ),
            r"key: -----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----\n"
        );
        assert_eq!(
            r.redact("x -----BEGIN PRIVATE KEY-----MIIE"),
            "x -----BEGIN PRIVATE KEY-----***"
        );
        let text = "a\n  -----BEGIN EC PRIVATE KEY-----\n  MHcCAQEE\n  oUQDQgAE\n  -----END EC PRIVATE KEY-----\nb\n";
        assert_eq!(
            r.redact_text(text),
            "a\n  -----BEGIN EC PRIVATE KEY-----\n  ***\n  ***\n  -----END EC PRIVATE KEY-----\nb\n"
        );
        // A certificate is public: it stays.
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert_eq!(r.redact_text(cert), cert);
    }
}
