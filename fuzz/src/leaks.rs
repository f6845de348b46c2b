//! Fuzz targets for what the output sink lets out: a secret in kops output, through every
//! renderer (markdown escapes it, summaries clip it); each line of a multi-line secret; and
//! text a CI engine or a terminal would act on. Each runs kopsflow's pipeline as the sink does:
//! the summary redacted string by string, rendered, redacted again and neutralised.

use kopsflow::exec::Redactor;
use kopsflow::report::neutralise::neutralise;
use kopsflow::report::redact::{redact_summary, MIN_SECRET_LINE_CHARS};
use kopsflow::report::{
    parse_update_dry_run, render_json, render_markdown, render_text, ClusterSummary, RunSummary,
};

/// A secret with what markdown escapes (`_`, `*`, `|`) and HTML (`<`).
pub const MD_SECRET: &str = "IM_Is4Iq5z*Kx|9_wJalrXUtnFEMI<b>";

/// `text` with `insert` placed inside it, at a place chosen by the input.
fn placed(text: &str, insert: &str) -> String {
    let at = text
        .char_indices()
        .map(|(i, _)| i)
        .nth(text.len() % 11)
        .unwrap_or(text.len());
    format!("{}{insert}{}", &text[..at], &text[at..])
}

/// A one-cluster summary of a `plan` over the dry-run `report` (when it parses), with `text`
/// as the cluster's name, the branch, the run's note and the error.
fn summary(report: &str, text: &str) -> RunSummary {
    RunSummary {
        command: "plan".into(),
        branch: text.into(),
        kops: None,
        note: Some(text.into()),
        clusters: vec![ClusterSummary {
            cluster: text.into(),
            update: parse_update_dry_run(report).ok(),
            error: Some(text.into()),
            ..Default::default()
        }],
    }
}

/// Every format as the output sink prints it.
fn shown(r: &Redactor, s: &RunSummary) -> Vec<(&'static str, String)> {
    let red = redact_summary(s, r);
    [
        ("text", render_text(&red, false)),
        ("markdown", render_markdown(&red)),
        ("json", render_json(&red)),
    ]
    .into_iter()
    .map(|(what, out)| (what, neutralise(&r.redact_text(&out))))
    .collect()
}

/// 8 characters of `secret` in a row in `text`, once escapes are read back.
fn shown_part(text: &str, secret: &str) -> Option<String> {
    let plain = text
        .replace("&lt;", "<")
        .replace("\\u003c", "<")
        .replace('\\', "");
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(MIN_SECRET_LINE_CHARS)
        .map(|w| w.iter().collect::<String>())
        .find(|w| plain.contains(w.as_str()))
}

/// A secret placed anywhere in kops's dry-run output never shows, in any format.
pub fn check_redact_markdown(text: &str) -> Result<(), String> {
    let r = Redactor::from_env([("GITHUB_TOKEN".to_owned(), MD_SECRET.to_owned())]);
    let report = placed(text, MD_SECRET);
    let head: String = text.chars().take(300).collect();
    let s = summary(&report, &placed(&head, MD_SECRET));
    for (what, out) in shown(&r, &s) {
        if let Some(part) = shown_part(&out, MD_SECRET) {
            return Err(format!("{what} shows {part:?} of the secret:\n{out}"));
        }
    }
    Ok(())
}

/// The input's lines (3 at most, without `*`, which the redactor's own `***` could complete)
/// as one multi-line secret value: none of its long lines shows once the input is redacted.
pub fn check_redact_multiline(text: &str) -> Result<(), String> {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains('*') && l.trim().chars().count() >= MIN_SECRET_LINE_CHARS)
        .take(3)
        .collect();
    if lines.len() < 2 {
        return Ok(());
    }
    let r = Redactor::from_env([("SSH_PRIVATE_KEY".to_owned(), lines.join("\n"))]);
    let shown = r.redact_text(text);
    for line in lines {
        if shown.contains(line.trim()) {
            return Err(format!("the secret's line {line:?} shows:\n{shown}"));
        }
    }
    Ok(())
}

/// The lines of `text` a CI engine or a terminal would act on.
fn commands_in(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| {
            let lower = line.to_ascii_lowercase();
            line.trim_start().starts_with("::")
                || lower.contains("##[")
                || lower.contains("##vso[")
                || line
                    .chars()
                    .any(|c| (c.is_control() && c != '\t') || is_invisible(c))
        })
        .collect()
}

/// Characters that reorder or hide text (bidi controls, zero-width characters, separators).
fn is_invisible(c: char) -> bool {
    matches!(
        u32::from(c),
        0x061C | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF
    )
}

/// The number of `|` in `line` that end a markdown table cell (not escaped by a backslash).
fn cell_pipes(line: &str) -> usize {
    let bytes = line.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
        .count()
}

/// A line of `md` (outside code blocks) that a value made: a table row with other cells than
/// kopsflow's tables have (the summary's 6 columns, the changes' 4), HTML or a heading of its
/// own, a `<summary>` left.
fn markdown_breakout(md: &str) -> Option<&str> {
    let mut fence: Option<String> = None;
    for line in md.lines() {
        if let Some(open) = &fence {
            if line.trim_end() == open {
                fence = None;
            }
            continue;
        }
        if line.starts_with("```") {
            fence = Some(line.chars().take_while(|c| *c == '`').collect());
            continue;
        }
        let ours = if line.starts_with('|') {
            [5, 7].contains(&cell_pipes(line))
        } else if let Some(summary) = line.strip_prefix("<details><summary>") {
            summary.ends_with("</summary>") && summary.matches('<').count() == 1
        } else if line.starts_with('<') {
            line == "</details>"
        } else if line.starts_with('#') {
            ["## kopsflow ", "### ", "#### "]
                .iter()
                .any(|h| line.starts_with(h))
        } else {
            true
        };
        if !ours {
            return Some(line);
        }
    }
    None
}

/// Text from kops or a user, printed raw or through any renderer, starts no workflow command
/// and holds no control character; in markdown it stays in its cell, code span or summary.
pub fn check_inject(text: &str) -> Result<(), String> {
    let r = Redactor::default();
    let raw = neutralise(text);
    let commands = commands_in(&raw);
    if !commands.is_empty() {
        return Err(format!("printed as is, it would act on {commands:?}"));
    }
    let s = summary(text, text);
    let md = render_markdown(&redact_summary(&s, &r));
    if let Some(line) = markdown_breakout(&md) {
        return Err(format!(
            "a value left its place in markdown: {line:?}\n{md}"
        ));
    }
    for (what, out) in shown(&r, &s) {
        let commands = commands_in(&out);
        if !commands.is_empty() {
            return Err(format!("{what} would act on {commands:?}"));
        }
    }
    Ok(())
}
