//! Secrets recognised by their shape within one line, whatever kopsflow's environment holds:
//! private key blocks, `NAME=value` assignments and `--flag value` arguments to secret-looking
//! names, and `key: value` credentials in YAML and JSON (kubeconfig keys, environment-style
//! names). Each function reads its line once, left to right, so work is linear in its length,
//! and leaves an already hidden value (`***`) as it is.

use super::text::{is_secret_name, HIDDEN};

/// Opening markers of a key block: PEM and OpenSSH (`-----BEGIN `), and SSH2 (RFC 4716,
/// `---- BEGIN `). Each with the text that closes its header line.
const BEGIN_MARKERS: &[(&str, &str)] = &[("-----BEGIN ", "-----"), ("---- BEGIN ", " ----")];
/// Closing markers, as [`BEGIN_MARKERS`].
const END_MARKERS: &[&str] = &["-----END ", "---- END "];
/// What the header of a private key says (`RSA PRIVATE KEY`, `PGP PRIVATE KEY BLOCK`,
/// `SSH2 ENCRYPTED PRIVATE KEY`, `OPENSSH PRIVATE KEY`, …).
const PRIVATE_LABEL: &str = "PRIVATE KEY";

/// Keys whose values are credentials, in any case: kubeconfig's user credentials
/// (`client-key-data`, `client-certificate-data`, `token`, `password`), an auth provider's
/// (`client-secret`, `refresh-token`, `access-token`; not `id-token`: GitHub workflows say
/// `id-token: write`), and HTTP headers that carry one (a `curl -v` in user data).
const CREDENTIAL_KEYS: &[&str] = &[
    "client-key-data",
    "client-certificate-data",
    "token",
    "password",
    "client-secret",
    "refresh-token",
    "access-token",
    "authorization",
    "proxy-authorization",
    "private-token",
    "x-auth-token",
    "x-api-key",
];

/// Longest key looked back for before a `:` (keys are short; this bounds the work per `:`).
const MAX_KEY_BYTES: usize = 128;

/// The first private key header in `s` at or after `from`: where its header line ends.
fn next_private_header(s: &str, mut from: usize) -> Option<usize> {
    loop {
        let (at, marker, close) = BEGIN_MARKERS
            .iter()
            .filter_map(|(m, c)| s[from..].find(m).map(|p| (from + p, *m, *c)))
            .min_by_key(|(p, _, _)| *p)?;
        let label_start = at + marker.len();
        let label_end = label_start + s[label_start..].find(close)?;
        let header_end = label_end + close.len();
        if s[label_start..label_end].contains(PRIVATE_LABEL) {
            return Some(header_end);
        }
        from = header_end;
    }
}

/// The first END marker in `s`: where it starts and its length.
pub(super) fn find_end_marker(s: &str) -> Option<(usize, usize)> {
    END_MARKERS
        .iter()
        .filter_map(|m| s.find(m).map(|p| (p, m.len())))
        .min_by_key(|(p, _)| *p)
}

/// Whether `line` opens a private key block that it does not close.
pub(super) fn opens_private_key(line: &str) -> bool {
    let mut from = 0;
    while let Some(header_end) = next_private_header(line, from) {
        match find_end_marker(&line[header_end..]) {
            None => return true,
            Some((end, len)) => from = header_end + end + len,
        }
    }
    false
}

/// `-----BEGIN X PRIVATE KEY-----<body>-----END X PRIVATE KEY-----` within one line (JSON or
/// `\n`-escaped text), also PGP and SSH2 blocks: the body goes, to the end marker or the end of
/// the line.
pub(super) fn hide_inline_private_keys(line: &str) -> String {
    let mut out = String::new();
    let mut copied = 0;
    let mut from = 0;
    while let Some(body_start) = next_private_header(line, from) {
        out.push_str(&line[copied..body_start]);
        let body = &line[body_start..];
        match find_end_marker(body) {
            Some((end, len)) => {
                if end > 0 {
                    out.push_str(HIDDEN);
                }
                out.push_str(&body[end..end + len]);
                copied = body_start + end + len;
                from = copied;
            }
            None => {
                if !body.trim().is_empty() {
                    out.push_str(HIDDEN);
                }
                copied = line.len();
                break;
            }
        }
    }
    out.push_str(&line[copied..]);
    out
}

/// A value starting at `start`: `(value_start, value_end)` without its quotes. A quote (or a
/// quote escaped as JSON writes it, `\"`) runs to its closing quote; an unquoted value ends at
/// white space or one of `stops`, and before the backslash of a `\"` that ends a JSON string.
fn value_span(line: &str, start: usize, stops: &str) -> (usize, usize) {
    let bytes = line.as_bytes();
    let escaped = bytes.get(start) == Some(&b'\\');
    let quote = bytes
        .get(start + usize::from(escaped))
        .copied()
        .filter(|b| *b == b'"' || *b == b'\'');
    if let Some(q) = quote {
        let value_start = start + 1 + usize::from(escaped);
        let close = if escaped {
            format!("\\{}", char::from(q))
        } else {
            char::from(q).to_string()
        };
        let end = if q == b'"' && !escaped {
            find_json_string_end(&line[value_start..]).map(|p| value_start + p)
        } else if !escaped {
            find_single_quote_end(&line[value_start..]).map(|p| value_start + p)
        } else {
            line[value_start..].find(&close).map(|p| value_start + p)
        };
        return (value_start, end.unwrap_or(line.len()));
    }
    let end = line[start..]
        .find(|c: char| c.is_whitespace() || c == '"' || stops.contains(c))
        .map_or(line.len(), |p| start + p);
    // `\"` ends a JSON string: its backslash is not part of the value.
    if line[end..].starts_with('"') && line[..end].ends_with('\\') {
        (start, end - 1)
    } else {
        (start, end)
    }
}

/// Index of the closing quote of a JSON (or YAML double-quoted) string body, escapes skipped.
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

/// Index of the closing quote of a YAML single-quoted string body (`''` is a quote inside).
fn find_single_quote_end(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    while let Some(p) = body[i..].find('\'') {
        let at = i + p;
        if bytes.get(at + 1) == Some(&b'\'') {
            i = at + 2;
        } else {
            return Some(at);
        }
    }
    None
}

/// Copies `line` with the value spans `hidden` (in order, disjoint) replaced by `***`.
fn replace_spans(line: &str, hidden: &[(usize, usize)]) -> String {
    if hidden.is_empty() {
        return line.to_owned();
    }
    let mut out = String::with_capacity(line.len());
    let mut copied = 0;
    for &(start, end) in hidden {
        out.push_str(&line[copied..start]);
        out.push_str(HIDDEN);
        copied = end;
    }
    out.push_str(&line[copied..]);
    out
}

/// `NAME=value` where NAME looks secret (shell `export`, env files, user data, a URL's query):
/// the value goes, up to the next whitespace, quote, `,`, `;`, `}` or `]`, or its closing quote.
pub(super) fn hide_secret_assignments(line: &str) -> String {
    let bytes = line.as_bytes();
    let mut hidden = Vec::new();
    let mut i = 0;
    while let Some(p) = line[i..].find('=') {
        let eq = i + p;
        i = eq + 1;
        let name_start = match line[..eq]
            .char_indices()
            .rev()
            .take(MAX_KEY_BYTES)
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        {
            // After that character, which may take more than one byte.
            Some((p, c)) => p + c.len_utf8(),
            None if eq <= MAX_KEY_BYTES => 0,
            None => continue,
        };
        let name = &line[name_start..eq];
        if bytes.get(eq + 1) == Some(&b'=') || name.is_empty() || !is_secret_name(name) {
            continue;
        }
        let (start, end) = value_span(line, eq + 1, ",;}]");
        if end > start && &line[start..end] != HIDDEN {
            hidden.push((start, end));
        }
        i = i.max(end);
    }
    replace_spans(line, &hidden)
}

/// `--name value` and `--name=value` where the flag's name looks secret (`--token`,
/// `--client-secret`, `--aws-secret-access-key`; read as `AWS_SECRET_ACCESS_KEY`): the value
/// goes. A next word that is itself a flag (`--token --other`) is not a value.
pub(super) fn hide_secret_flags(line: &str) -> String {
    let bytes = line.as_bytes();
    let mut hidden = Vec::new();
    let mut i = 0;
    while let Some(p) = line[i..].find("--") {
        let at = i + p;
        let starts_word = at == 0 || matches!(bytes[at - 1], b' ' | b'\t' | b'"' | b'\'' | b'=');
        let name_end = line[at + 2..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .map_or(line.len(), |q| at + 2 + q);
        let name = line[at + 2..name_end].replace('-', "_");
        i = name_end.max(at + 2);
        if !starts_word || name.is_empty() || !is_secret_name(&name) {
            continue;
        }
        let value_from = match bytes.get(name_end) {
            Some(b'=') => name_end + 1,
            Some(b' ' | b'\t') => {
                let gap = line[name_end..].len() - line[name_end..].trim_start().len();
                let next = name_end + gap;
                if line[next..].starts_with('-') || next == line.len() {
                    continue;
                }
                next
            }
            _ => continue,
        };
        let (start, end) = value_span(line, value_from, "");
        let value = &line[start..end];
        if !value.is_empty() && value != HIDDEN && !is_reference(value) {
            hidden.push((start, end));
        }
        i = end.max(i);
    }
    replace_spans(line, &hidden)
}

/// The key that ends right before the `:` at `colon` (white space, then an optional closing
/// quote, `"`, `'` or `\"`, allowed between): `(key, start of the key or its opening quote,
/// quoted)`.
fn key_before(line: &str, colon: usize) -> Option<(&str, usize, bool)> {
    let head = line[..colon].trim_end_matches([' ', '\t']);
    let bytes = head.as_bytes();
    let last = *bytes.last()?;
    if last == b'"' || last == b'\'' {
        let escaped = head[..head.len() - 1].ends_with('\\');
        let open = if escaped {
            format!("\\{}", char::from(last))
        } else {
            char::from(last).to_string()
        };
        let body_end = head.len() - open.len();
        let window = body_end.saturating_sub(MAX_KEY_BYTES);
        let window = (window..=body_end).find(|p| head.is_char_boundary(*p))?;
        let open_at = window + head[window..body_end].rfind(&open)?;
        return Some((&head[open_at + open.len()..body_end], open_at, true));
    }
    let start = match head
        .char_indices()
        .rev()
        .take(MAX_KEY_BYTES)
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        Some((p, c)) => p + c.len_utf8(),
        None if head.len() <= MAX_KEY_BYTES => 0,
        None => return None,
    };
    Some((&head[start..], start, false))
}

/// Whether a YAML or JSON key names a credential: a [`CREDENTIAL_KEYS`] key (in any case), or an
/// environment-style name (`GITHUB_TOKEN`, `DB_PASSWORD`: capitals, digits and `_`) that looks
/// secret.
fn is_credential_key(key: &str) -> bool {
    let env_style = key.bytes().any(|b| b.is_ascii_uppercase())
        && key
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    CREDENTIAL_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
        || (env_style && is_secret_name(key))
}

/// A value that refers to a secret rather than holding it: a variable or a CI expression
/// (`$TOKEN`, `${TOKEN}`, `${{ secrets.TOKEN }}`, `"$DIR/token"`), which kopsflow's own
/// generated CI files are full of.
fn is_reference(value: &str) -> bool {
    value.starts_with('$')
}

/// `key: value` where the key names a credential ([`is_credential_key`]): block YAML
/// (`token: X`, `- token: X`, `token : X`), flow mappings (`{token: X, password: Y}`), quoted
/// keys (`"token": X`, `'token': X`) and JSON (`"token": "X"`, also escaped inside a JSON
/// string). In a flow mapping or sequence an unquoted value ends at `,`, `}` or `]`; in block
/// YAML it runs to the end of the line or a ` #` comment.
pub(super) fn hide_credential_keys(line: &str) -> String {
    let bytes = line.as_bytes();
    let mut hidden = Vec::new();
    // Unclosed `{` and `[` before the current position (quotes are not tracked).
    let mut depth = 0usize;
    let mut scanned = 0;
    let mut i = 0;
    while let Some(p) = line[i..].find(':') {
        let colon = i + p;
        for &b in &bytes[scanned..colon] {
            match b {
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        scanned = colon;
        i = colon + 1;
        let Some((key, key_start, quoted)) = key_before(line, colon) else {
            continue;
        };
        // An unquoted key is a whole word: `mytoken:` is not `token:`.
        let whole = quoted
            || key_start == 0
            || !line[..key_start]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric());
        // `${NAME:-default}` is a shell expansion, not a key.
        let expansion = !quoted && line[..key_start].ends_with("${");
        if !whole || expansion || !is_credential_key(key) {
            continue;
        }
        let gap = line[colon + 1..].len() - line[colon + 1..].trim_start_matches([' ', '\t']).len();
        let value_from = colon + 1 + gap;
        if value_from == line.len() || (gap > 0 && line[value_from..].starts_with('#')) {
            continue;
        }
        let (start, mut end) = if matches!(bytes[value_from], b'"' | b'\'' | b'\\') {
            value_span(line, value_from, "")
        } else if depth > 0 {
            // A plain scalar in a flow collection, spaces and all, ends at `,`, `}` or `]` (or
            // at the end of a JSON string that holds the YAML).
            let rest = &line[value_from..];
            let stop = rest.find([',', '}', ']', '"']).unwrap_or(rest.len());
            let mut end = value_from + rest[..stop].trim_end().len();
            if line[end..].starts_with('"') && line[..end].ends_with('\\') {
                end -= 1;
            }
            (value_from, end)
        } else {
            // Block YAML: a plain value runs to a comment or the end of the line, or to the
            // end of a JSON string that holds the YAML.
            let rest = &line[value_from..];
            let stop = rest
                .char_indices()
                .find(|&(p, c)| c == '"' || (c == '#' && rest[..p].ends_with(' ')))
                .map_or(rest.len(), |(p, _)| p);
            let mut end = value_from + rest[..stop].trim_end().len();
            if line[end..].starts_with('"') && line[..end].ends_with('\\') {
                end -= 1;
            }
            (value_from, end)
        };
        end = end.max(start);
        let value = &line[start..end];
        if !value.is_empty() && value != HIDDEN && !is_reference(value) {
            hidden.push((start, end));
        }
        i = i.max(end);
    }
    replace_spans(line, &hidden)
}

/// A Kubernetes env entry on one line, as a flow mapping or JSON object
/// (`{name: GITHUB_TOKEN, value: X}`, `{"name":"GITHUB_TOKEN","value":"X"}`): when its `name`
/// looks secret, its `value` goes (a reference such as `$TOKEN` is shown). Conservatively, from
/// the value's start up to the closing brace (less a closing quote): a value holding `,` is
/// hidden whole, and keys after it go too.
pub(super) fn hide_flow_env_entries(line: &str) -> String {
    let mut hidden = Vec::new();
    let mut from = 0;
    while let Some(open) = line[from..].find('{').map(|i| from + i) {
        let Some(close) = line[open + 1..].find(['{', '}']).map(|i| open + 1 + i) else {
            break;
        };
        from = close;
        if line.as_bytes()[close] == b'{' {
            continue;
        }
        let (mut secret_name, mut value) = (false, None);
        let mut at = open + 1;
        for part in line[open + 1..close].split(',') {
            if let Some((key, raw)) = part.split_once(':') {
                let key = key.trim().trim_matches(['"', '\'']);
                let trimmed = raw.trim();
                let unquoted = trimmed.trim_matches(['"', '\'']);
                let name_like = unquoted
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if key == "name" && name_like && is_secret_name(unquoted) {
                    secret_name = true;
                }
                if key == "value" && !unquoted.is_empty() && !is_reference(unquoted) {
                    let lead = raw.len() - raw.trim_start().len();
                    let quote = usize::from(trimmed.starts_with(['"', '\'']));
                    let start = at + part.len() - raw.len() + lead + quote;
                    let tail = line[start..close].trim_end();
                    let end = start + tail.len()
                        - usize::from(quote == 1 && tail.len() > 1 && tail.ends_with(['"', '\'']));
                    value = Some((start, end.max(start)));
                }
            }
            at += part.len() + 1;
        }
        if let (true, Some(span)) = (secret_name, value) {
            if &line[span.0..span.1] != HIDDEN {
                hidden.push(span);
            }
        }
    }
    replace_spans(line, &hidden)
}
