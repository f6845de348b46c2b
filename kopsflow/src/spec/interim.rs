//! Interim spec loader (replaced by the full parser/validator on the `spec` branch).

use camino::{Utf8Path, Utf8PathBuf};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: Utf8PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub path: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}: {}", self.file, self.message)
    }
}

#[derive(Debug, Clone)]
pub struct ClusterSpec {
    pub file: Utf8PathBuf,
    name: String,
    config_base: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LoadedSpec {
    pub spec: ClusterSpec,
    pub warnings: Vec<Diagnostic>,
}

impl ClusterSpec {
    pub fn parse(file: &Utf8Path, text: &str) -> Result<LoadedSpec, Vec<Diagnostic>> {
        let err = |message: String| {
            vec![Diagnostic {
                severity: Severity::Error,
                file: file.to_owned(),
                line: None,
                column: None,
                path: None,
                message,
                hint: None,
            }]
        };
        for doc in serde_norway::Deserializer::from_str(text) {
            let value: serde_norway::Value =
                serde::Deserialize::deserialize(doc).map_err(|e| err(e.to_string()))?;
            if value.get("kind").and_then(|k| k.as_str()) == Some("Cluster") {
                let name = value["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let config_base = value["spec"]["configBase"].as_str().map(str::to_owned);
                return Ok(LoadedSpec {
                    spec: ClusterSpec {
                        file: file.to_owned(),
                        name,
                        config_base,
                    },
                    warnings: vec![],
                });
            }
        }
        Err(err("no Cluster".into()))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn config_base(&self) -> Option<&str> {
        self.config_base.as_deref()
    }
}
