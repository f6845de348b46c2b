//! Text kopsflow did not understand in kops's output: [`UnparsedBlock`], a run of lines kept
//! verbatim with where it was and why, and the collector both report parsers use to gather them.
//!
//! A line the parsers do not understand never fails a report (only output that contradicts itself
//! does, see `ReportError`): it is kept here, shown under a "not parsed" marker by every renderer,
//! and produces one warning. Whether changes are pending still comes from kops's closing line.

use super::redact::{is_secret_field, is_secret_kind, REDACTED};

/// Consecutive lines of kops output that a parser did not understand, verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnparsedBlock {
    /// 1-based number, in the parser's input, of the block's first line.
    pub line: usize,
    /// The report section the lines were in, as kops prints its header (`Will modify
    /// resources:`, `Items will be deleted during update:`, …); `None` outside any section and
    /// in rolling-update tables.
    pub section: Option<String>,
    /// The resource the lines came after: `Kind/name` of the dry-run task they appeared under,
    /// or the instance group of the last table row understood before them. `None` if none. Cut
    /// to [`MAX_CONTEXT_CHARS`] characters (then ending in `…`).
    pub after_resource: Option<String>,
    /// The last field of that task before the lines (they may belong to its value). `None` if
    /// none, and always in rolling-update tables. Cut like `after_resource`.
    pub after_field: Option<String>,
    /// Why the first line was not understood.
    pub reason: String,
    /// The lines as kops printed them (without line endings). Blank lines between two lines not
    /// understood are included.
    pub lines: Vec<String>,
}

impl UnparsedBlock {
    /// Where the block was, in words: `in `Will modify resources:`, under
    /// `LaunchTemplate/nodes` (after field `UserData`)`; empty when nothing is known.
    pub fn location(&self) -> String {
        let mut parts = Vec::new();
        if let Some(section) = &self.section {
            parts.push(format!("in `{section}`"));
        }
        if let Some(resource) = &self.after_resource {
            parts.push(format!("after `{resource}`"));
        }
        if let Some(field) = &self.after_field {
            parts.push(format!("field `{field}`"));
        }
        parts.join(", ")
    }

    /// The warning every block produces: `line 12: not parsed (reason); 3 lines kept verbatim,
    /// in …`. It names no content of the lines, so it needs no redaction.
    pub fn warning(&self) -> String {
        let n = self.lines.len();
        let location = self.location();
        format!(
            "line {}: not parsed ({}); {n} line{} kept verbatim{}{location}",
            self.line,
            self.reason,
            if n == 1 { "" } else { "s" },
            if location.is_empty() { "" } else { ", " },
        )
    }

    /// A copy safe to show: the lines become one `(redacted)` line when they may carry a secret.
    ///
    /// Nothing is known of the structure of text that was not understood, so the rule is wider
    /// than for parsed fields: the block is hidden when it follows a task of a secret-bearing
    /// kind or a field with a secret-looking name, or when any of its lines contains a secret
    /// word (`secret`, `password`, `token`, `privatekey`, any case), `private key` or a PEM
    /// `-----BEGIN` marker.
    pub fn redacted(&self) -> UnparsedBlock {
        let kind = self
            .after_resource
            .as_deref()
            .and_then(|r| r.split_once('/'))
            .map(|(kind, _)| kind);
        let hide = kind.is_some_and(is_secret_kind)
            || self.after_field.as_deref().is_some_and(is_secret_field)
            || self.lines.iter().any(|l| looks_secret(l));
        UnparsedBlock {
            lines: if hide {
                vec![REDACTED.to_string()]
            } else {
                self.lines.clone()
            },
            ..self.clone()
        }
    }
}

/// A line that might hold a secret (see [`UnparsedBlock::redacted`]).
fn looks_secret(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    is_secret_field(line) || lower.contains("private key") || lower.contains("-----begin")
}

/// Longest `after_resource` / `after_field` kept in a block (longer ones end in `…`). Real names
/// are far shorter; the bound keeps one block's cost independent of how long a name in hostile
/// input is, so that many blocks under one huge task name still cost linear time.
pub const MAX_CONTEXT_CHARS: usize = 200;

/// `parts` joined, cut to [`MAX_CONTEXT_CHARS`] characters (then ending in `…`). Reads at most
/// that many characters of the parts, whatever their length.
pub(crate) fn context_text(parts: &[&str]) -> String {
    let mut out = String::new();
    let mut left = MAX_CONTEXT_CHARS;
    for part in parts {
        for c in part.chars() {
            if left == 0 {
                out.push('…');
                return out;
            }
            out.push(c);
            left -= 1;
        }
    }
    out
}

/// Where a line not understood was, as the parser knows it when it meets the line.
#[derive(Debug, Default)]
pub(crate) struct Context {
    pub section: Option<&'static str>,
    pub after_resource: Option<String>,
    pub after_field: Option<String>,
}

/// Gathers lines not understood into blocks: a line joins the open block when no line was
/// understood since the block's last line (blank lines in between are kept with it). Every
/// operation is O(length of the line), so a parser using it stays linear.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    blocks: Vec<UnparsedBlock>,
    /// The last block may still grow.
    open: bool,
    /// Blank lines seen since the open block's last line.
    held: Vec<String>,
}

impl Collector {
    /// A line was understood: the open block ends.
    pub fn understood(&mut self) {
        self.open = false;
        self.held.clear();
    }

    /// A blank line: kept if the open block grows again.
    pub fn blank(&mut self, line: &str) {
        if self.open {
            self.held.push(line.to_string());
        }
    }

    /// Line `n` was not understood. `reason` and `context` are only asked for when it starts a
    /// new block.
    pub fn add(
        &mut self,
        n: usize,
        line: &str,
        reason: impl FnOnce() -> String,
        context: impl FnOnce() -> Context,
    ) {
        if self.open {
            if let Some(block) = self.blocks.last_mut() {
                block.lines.append(&mut self.held);
                block.lines.push(line.to_string());
                return;
            }
        }
        let ctx = context();
        self.blocks.push(UnparsedBlock {
            line: n,
            section: ctx.section.map(str::to_string),
            after_resource: ctx.after_resource,
            after_field: ctx.after_field,
            reason: reason(),
            lines: vec![line.to_string()],
        });
        self.open = true;
        self.held.clear();
    }

    /// Whether any block lies inside a report section.
    pub fn any_in_section(&self) -> bool {
        self.blocks.iter().any(|b| b.section.is_some())
    }

    /// The blocks, and one warning per block.
    pub fn finish(self) -> (Vec<UnparsedBlock>, Vec<String>) {
        let warnings = self.blocks.iter().map(UnparsedBlock::warning).collect();
        (self.blocks, warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(lines: &[&str]) -> UnparsedBlock {
        UnparsedBlock {
            line: 3,
            section: Some("Will modify resources:".into()),
            after_resource: Some("LaunchTemplate/nodes".into()),
            after_field: None,
            reason: "test".into(),
            lines: lines.iter().map(|l| l.to_string()).collect(),
        }
    }

    #[test]
    fn blocks_join_across_blank_lines_only() {
        let mut c = Collector::default();
        c.add(1, "a", || "r1".into(), Context::default);
        c.blank("");
        c.add(3, "b", || unreachable!(), Context::default);
        c.blank("  ");
        c.understood();
        c.add(6, "c", || "r2".into(), Context::default);
        let (blocks, warnings) = c.finish();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].lines, ["a", "", "b"]);
        assert_eq!(blocks[1].line, 6);
        assert_eq!(warnings[1], "line 6: not parsed (r2); 1 line kept verbatim");
    }

    #[test]
    fn context_is_bounded() {
        assert_eq!(context_text(&["Kind", "/", "name"]), "Kind/name");
        let long = "n".repeat(MAX_CONTEXT_CHARS);
        assert_eq!(context_text(&[&long]), long);
        let cut = context_text(&["Kind", "/", &long]);
        assert_eq!(cut.chars().count(), MAX_CONTEXT_CHARS + 1);
        assert!(cut.starts_with("Kind/nnn") && cut.ends_with("n…"));
    }

    #[test]
    fn redaction_is_conservative() {
        let plain = block(&["  \tMaxSize             \t 1 3"]);
        assert_eq!(plain.redacted(), plain);
        assert_eq!(
            plain.warning(),
            "line 3: not parsed (test); 1 line kept verbatim, in `Will modify resources:`, \
             after `LaunchTemplate/nodes`"
        );
        for hidden in [
            block(&["x", "BootstrapToken abc"]),
            block(&["-----BEGIN RSA PRIVATE KEY-----"]),
            UnparsedBlock {
                after_resource: Some("Secret/admin".into()),
                ..block(&["x"])
            },
            UnparsedBlock {
                after_field: Some("Password".into()),
                ..block(&["x"])
            },
        ] {
            assert_eq!(hidden.redacted().lines, [REDACTED]);
        }
    }
}
