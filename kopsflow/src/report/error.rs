//! `ReportError`: why a piece of kops output could not be read as a report at all (it contradicts
//! itself, or is no report), with the line it happened on. Lines that are merely not understood
//! are no error: they are kept as `UnparsedBlock`s.

use std::fmt;

/// A parse failure: the 1-based line number in the text handed to the parser, what was expected,
/// and the offending line (truncated for display).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportError {
    /// 1-based line number in the input; 0 when the problem is the input as a whole.
    pub line: usize,
    /// What was wrong, e.g. "field line outside a task".
    pub message: String,
    /// The offending line, verbatim (empty when `line` is 0).
    pub content: String,
}

impl ReportError {
    pub(crate) fn at(line: usize, message: impl Into<String>, content: &str) -> Self {
        ReportError {
            line,
            message: message.into(),
            content: content.to_string(),
        }
    }

    pub(crate) fn whole(message: impl Into<String>) -> Self {
        ReportError {
            line: 0,
            message: message.into(),
            content: String::new(),
        }
    }
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return write!(f, "{}", self.message);
        }
        let mut shown: String = self.content.chars().take(120).collect();
        if shown.len() < self.content.len() {
            shown.push('…');
        }
        write!(f, "line {}: {}: {:?}", self.line, self.message, shown)
    }
}

impl std::error::Error for ReportError {}
