//! Environment configuration: the production state store and the main branches, with their
//! defaults and environment overrides. Per-run flags come from the command line instead
//! ([`crate::pipeline::RunFlags`]).

use kopsflow::store::{parse_store_setting, StateStore};

/// The production state store (the classic Jenkinsfile's `SPEC_S3_BUCKET`).
/// `KOPS_STATE_STORE` overrides it, as it does for kops itself.
pub const PRODUCTION_STORE: &str = "s3://k8s-kops";

/// Branches that deploy. `KOPSFLOW_MAIN_BRANCHES` (comma-separated) overrides them.
pub const MAIN_BRANCHES: &[&str] = &["main", "master"];

/// What the pipeline is configured with, whatever the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub production_store: StateStore,
    pub main_branches: Vec<String>,
}

impl Config {
    /// The defaults above with the environment's overrides (looked up with `env`).
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let production_store = match env("KOPS_STATE_STORE").filter(|v| !v.trim().is_empty()) {
            Some(value) => parse_store_setting(&value, "$KOPS_STATE_STORE")?,
            None => parse_store_setting(PRODUCTION_STORE, "xtask/src/config.rs PRODUCTION_STORE")?,
        };
        let main_branches = match env("KOPSFLOW_MAIN_BRANCHES").filter(|v| !v.trim().is_empty()) {
            Some(value) => value
                .split(',')
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(str::to_owned)
                .collect(),
            None => MAIN_BRANCHES.iter().map(|b| (*b).to_owned()).collect(),
        };
        Ok(Config {
            production_store,
            main_branches,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() -> anyhow::Result<()> {
        let c = Config::from_env(|_| None)?;
        assert_eq!(c.production_store.to_string(), PRODUCTION_STORE);
        assert_eq!(c.main_branches, MAIN_BRANCHES);
        Ok(())
    }

    #[test]
    fn environment_overrides() -> anyhow::Result<()> {
        let c = Config::from_env(|k| match k {
            "KOPS_STATE_STORE" => Some("gs://other".to_owned()),
            "KOPSFLOW_MAIN_BRANCHES" => Some("trunk, prod".to_owned()),
            _ => None,
        })?;
        assert_eq!(c.production_store.to_string(), "gs://other");
        assert_eq!(c.main_branches, ["trunk", "prod"]);
        assert!(
            Config::from_env(|k| (k == "KOPS_STATE_STORE").then(|| "ftp://x".to_owned())).is_err()
        );
        Ok(())
    }
}
