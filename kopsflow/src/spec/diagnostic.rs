//! Diagnostics for cluster specs: what is wrong, where (file, line, column, field path) and
//! what to do about it.

use std::fmt;

use camino::Utf8PathBuf;
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem found in a spec file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: Utf8PathBuf,
    /// 1-based.
    pub line: Option<usize>,
    /// 1-based, in characters.
    pub column: Option<usize>,
    /// Field path such as `spec.kubernetesVersion` or `InstanceGroup nodes: spec.minSize`.
    pub path: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// `error: cluster-spec/a.yml:12:3: spec.kubernetesVersion: "abc" is not a Kubernetes version`
/// followed by `  hint: …` on its own line when there is a hint. No trailing newline.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.severity, self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(path) = &self.path {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Render diagnostics one block each, every block ending with a newline.
pub fn render_diagnostics(diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().map(|d| format!("{d}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_puts_the_position_first_and_the_hint_below() {
        let diagnostic = Diagnostic {
            severity: Severity::Error,
            file: "cluster-spec/a.yml".into(),
            line: Some(12),
            column: Some(3),
            path: Some("spec.kubernetesVersion".into()),
            message: "\"abc\" is not a Kubernetes version".into(),
            hint: Some("use a version such as 1.29.2".into()),
        };
        assert_eq!(
            diagnostic.to_string(),
            "error: cluster-spec/a.yml:12:3: spec.kubernetesVersion: \"abc\" is not a Kubernetes version\n  hint: use a version such as 1.29.2"
        );
        let bare = Diagnostic {
            severity: Severity::Warning,
            line: None,
            column: None,
            path: None,
            hint: None,
            message: "m".into(),
            ..diagnostic
        };
        assert_eq!(bare.to_string(), "warning: cluster-spec/a.yml: m");
    }
}
