//! The policy section of a cluster's summary in text and markdown: each violation with its rule,
//! verdict (blocks, allowed by `--allow RULE`, warning), where to fix it, why it is dangerous and
//! how to override it. The JSON view is in `json.rs` with the rest of the schema.

use std::fmt::Write as _;

use super::markdown::{md_code, md_text};
use super::text::Painter;
use crate::policy::{Level, Violation};

/// `1 blocking violation, 1 allowed`, or `no violations`.
fn counts(violations: &[Violation]) -> String {
    let blocking = violations.iter().filter(|v| v.blocks()).count();
    let allowed = violations.iter().filter(|v| v.allowed).count();
    let warnings = violations
        .iter()
        .filter(|v| v.level == Level::Warn && !v.allowed)
        .count();
    let mut parts = Vec::new();
    if blocking > 0 {
        parts.push(format!(
            "{blocking} blocking violation{}",
            if blocking == 1 { "" } else { "s" }
        ));
    }
    if allowed > 0 {
        parts.push(format!("{allowed} allowed by --allow"));
    }
    if warnings > 0 {
        parts.push(format!(
            "{warnings} warning{}",
            if warnings == 1 { "" } else { "s" }
        ));
    }
    if parts.is_empty() {
        "no violations".to_owned()
    } else {
        parts.join(", ")
    }
}

pub(super) fn text_policy(out: &mut String, p: &Painter, violations: &[Violation]) {
    let _ = writeln!(out, "  {} {}", p.bold("policy:"), counts(violations));
    for v in violations {
        let verdict = match (v.blocks(), v.allowed) {
            (true, _) => p.red(&v.verdict()),
            (false, true) => p.cyan(&v.verdict()),
            (false, false) => p.yellow(&v.verdict()),
        };
        let _ = writeln!(
            out,
            "    {} {verdict}: {}: {}: {}",
            p.bold(&v.rule),
            v.location(),
            v.path,
            v.message
        );
        let _ = writeln!(out, "      why: {}", v.why);
        if v.blocks() {
            let _ = writeln!(
                out,
                "      override: {} (deploy, after review)",
                v.override_flag()
            );
        }
        if let Some(rendered) = &v.rendered {
            let _ = writeln!(out, "      rendered: {rendered}");
        }
    }
}

pub(super) fn md_policy(out: &mut String, violations: &[Violation]) {
    if violations.is_empty() {
        let _ = writeln!(out, "**Policy**: no violations\n");
        return;
    }
    let _ = writeln!(out, "**Policy**: {}\n", counts(violations));
    for v in violations {
        let mark = if v.blocks() {
            "⛔"
        } else if v.allowed {
            "☑️"
        } else {
            "⚠️"
        };
        let _ = writeln!(
            out,
            "- {mark} {} {} at {}: {}: {}",
            md_code(&v.rule),
            md_text(&v.verdict()),
            md_code(&v.location()),
            md_code(&v.path),
            md_text(&v.message)
        );
        let _ = write!(out, "  *Why:* {}", md_text(&v.why));
        if v.blocks() {
            let _ = write!(
                out,
                "<br>*Override (deploy, after review):* {}",
                md_code(&v.override_flag())
            );
        }
        if let Some(rendered) = &v.rendered {
            let _ = write!(out, "<br>*Rendered:* {}", md_text(rendered));
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out);
}
