//! The text redactor ([`Redactor`]): the secret values it learns from the environment, in every
//! form they can be printed in, and the line patterns of [`super::patterns`]; a stream of lines
//! ([`RedactingStream`]) remembers being inside a private key block or a Kubernetes env entry
//! whose name looks secret.

use super::patterns::{
    find_end_marker, hide_credential_keys, hide_flow_env_entries, hide_inline_private_keys,
    hide_secret_assignments, hide_secret_flags, opens_private_key,
};

/// What a hidden secret is replaced with in text.
pub const HIDDEN: &str = "***";

/// Shortest environment value that is hidden (shorter ones are ordinary words).
const MIN_SECRET_CHARS: usize = 4;

/// Shortest line of a multi-line secret value that is hidden on its own, wherever it appears,
/// counted without its leading and trailing white space. Shorter lines (`{`, `}`, `-----`, a
/// base64 tail like `==`) are too common to hide everywhere and give too little away.
pub const MIN_SECRET_LINE_CHARS: usize = 8;

/// The one text redactor: every byte kopsflow prints, writes or posts passes through it
/// (streamed kops lines, summaries in every format, error messages, the step summary file).
/// The list of what it hides is the module's (`super`), and `docs/OUTPUTS.md`'s "Redaction".
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

/// `value` percent-encoded as a URL carries it (every byte but `A-Z a-z 0-9 - . _ ~`), with
/// upper- or lower-case hex digits, or with spaces as `+` (form encoding).
fn url_encoded(value: &str, lower: bool, plus: bool) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else if plus && b == b' ' {
            out.push('+');
        } else if lower {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The forms a secret value is printed in: as is, as JSON writes it (`"`, `\`, control
/// characters escaped) and URL-encoded (a URL's query, a form body).
fn printed_forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_owned(), crate::json::escape(value)];
    for (lower, plus) in [(false, false), (true, false), (false, true)] {
        forms.push(url_encoded(value, lower, plus));
    }
    forms
}

/// The clip mark that ends a shortened value (`… (+N chars)` in summaries, `…` in diagnostics
/// and in kops output's context).
const CLIP_MARK: char = '…';

/// The first [`MIN_SECRET_LINE_CHARS`] characters or more of `secret` right before a
/// [`CLIP_MARK`]: a secret cut short where kopsflow clipped a value before the redactor saw it
/// (a diagnostic quoting a spec value, a task name kops printed). Linear: each occurrence of the
/// secret's first characters is compared once, at most the secret's length.
fn hide_clipped(line: &str, secret: &str) -> String {
    let Some((head_end, _)) = secret.char_indices().nth(MIN_SECRET_LINE_CHARS) else {
        return line.to_owned();
    };
    if !line.contains(CLIP_MARK) {
        return line.to_owned();
    }
    let head = &secret[..head_end];
    let mut out = String::with_capacity(line.len());
    let mut copied = 0;
    for (at, _) in line.match_indices(head) {
        if at < copied {
            continue;
        }
        let same = line[at..]
            .bytes()
            .zip(secret.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        let mut end = at + same;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        if line[end..].starts_with(CLIP_MARK) {
            out.push_str(&line[copied..at]);
            out.push_str(HIDDEN);
            copied = end;
        }
    }
    out.push_str(&line[copied..]);
    out
}

impl Redactor {
    /// Collects the secret values from an environment (e.g. `std::env::vars()`): the value of
    /// each variable whose name looks secret, and each line of a multi-line one of at least
    /// [`MIN_SECRET_LINE_CHARS`] characters (kopsflow redacts line by line).
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> Redactor {
        let mut secrets = Vec::new();
        for (name, value) in vars {
            if !is_secret_name(&name) {
                continue;
            }
            let mut values = Vec::new();
            if value.chars().count() >= MIN_SECRET_CHARS {
                values.push(value.as_str());
            }
            if value.contains(['\n', '\r']) {
                // Lines as kopsflow reads them (split at `\n`), and as split at a lone CR too.
                values.extend(
                    value
                        .split('\n')
                        .chain(value.split(['\n', '\r']))
                        .map(str::trim)
                        .filter(|l| l.chars().count() >= MIN_SECRET_LINE_CHARS),
                );
            }
            for value in values {
                secrets.extend(printed_forms(value));
            }
        }
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    /// Redacts one line (no state: a private key block spanning lines needs
    /// [`Redactor::redact_text`] or [`Redactor::stream`]). Redacting twice changes nothing more.
    pub fn redact(&self, line: &str) -> String {
        let mut out = line.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), HIDDEN);
            }
        }
        for secret in &self.secrets {
            out = hide_clipped(&out, secret);
        }
        let out = hide_inline_private_keys(&out);
        let out = hide_secret_assignments(&out);
        let out = hide_secret_flags(&out);
        let out = hide_flow_env_entries(&out);
        hide_credential_keys(&out)
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

    /// A line-by-line redactor for one stream, which remembers being inside a private key or a
    /// Kubernetes env entry.
    pub fn stream(&self) -> RedactingStream<'_> {
        RedactingStream {
            redactor: self,
            in_private_key: false,
            secret_env_entry: None,
        }
    }
}

/// Redacts the lines of one stream in order (see [`Redactor::stream`]).
#[derive(Debug)]
pub struct RedactingStream<'a> {
    redactor: &'a Redactor,
    in_private_key: bool,
    /// The column of the keys of a YAML mapping whose `name:` is a secret environment
    /// variable's (`- name: GITHUB_TOKEN`): its `value:` is a secret.
    secret_env_entry: Option<usize>,
}

/// `key: value` at the start of a YAML line (after an optional `- `): the key's column, the
/// key and the value (unquoted, trimmed).
fn yaml_entry(line: &str) -> Option<(usize, &str, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let item = line[indent..].strip_prefix("- ").unwrap_or(&line[indent..]);
    let column = line.len() - item.len();
    let (key, value) = item.split_once(':')?;
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    let value = value.trim().trim_matches(['"', '\'']);
    Some((column, key, value))
}

impl RedactingStream<'_> {
    pub fn line(&mut self, line: &str) -> String {
        let indent = &line[..line.len() - line.trim_start().len()];
        if self.in_private_key {
            let Some((end, _)) = find_end_marker(line) else {
                return format!("{indent}{HIDDEN}");
            };
            self.in_private_key = false;
            // Key material may run up to the END marker on its line.
            let before = &line[indent.len()..end];
            let shown = if before.trim().is_empty() {
                line.to_owned()
            } else {
                format!("{indent}{HIDDEN}{}", &line[end..])
            };
            return self.redactor.redact(&shown);
        }
        if opens_private_key(line) {
            self.in_private_key = true;
        }
        let entry = yaml_entry(line);
        if let (Some(column), Some((at, key, value))) = (self.secret_env_entry, entry) {
            if at == column && key == "value" && !value.is_empty() && !value.starts_with('$') {
                self.secret_env_entry = None;
                let start = line.find(':').map_or(line.len(), |p| p + 1);
                return self
                    .redactor
                    .redact(&format!("{}: {HIDDEN}", &line[..start - 1]));
            }
        }
        self.secret_env_entry = match entry {
            Some((at, "name", value))
                if is_secret_name(value)
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                Some(at)
            }
            // Another key of the same mapping, or a key nested in one (`valueFrom:` …).
            Some((at, _, _)) if self.secret_env_entry.is_some_and(|c| at >= c) => {
                self.secret_env_entry
            }
            _ if line.trim().is_empty() => self.secret_env_entry,
            _ => None,
        };
        self.redactor.redact(line)
    }
}
