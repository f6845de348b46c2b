//! Environment configuration: the production state store, the main branches, the pipeline's
//! prune setting and cloud-only rolling updates, with their defaults (the [`Repo`]'s) and
//! environment overrides. Per-run flags come from the command line instead
//! ([`crate::pipeline::RunFlags`]).

use anyhow::bail;
use kopsflow::store::{parse_store_setting, StateStore};

use crate::pipeline::Prune;
use crate::Repo;

/// What the pipeline is configured with, whatever the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The production state store: the repository's, or `KOPS_STATE_STORE`.
    pub production_store: StateStore,
    /// Whether `KOPS_STATE_STORE` set the store: then every cluster uses it, whatever its
    /// environment's store (one store for a whole run, as before environments).
    pub store_override: bool,
    /// The branches that deploy: the repository's, or `KOPSFLOW_MAIN_BRANCHES`.
    pub main_branches: Vec<String>,
    /// [`Repo::prune`]; `KOPSFLOW_PRUNE` (`on` or `off`) overrides it.
    pub prune: Prune,
    /// `KOPSFLOW_CLOUDONLY`: `Some(true)` runs rolling updates with kops `--cloudonly` as if
    /// `--cloudonly` were given; `Some(false)` or unset leaves the flag as given. The generated
    /// CI jobs set it (`CiSettings::cloud_only`, or the CI engine's variable when set).
    pub cloud_only: Option<bool>,
}

impl Config {
    /// The repository's defaults with the environment's overrides (looked up with `env`).
    pub fn from_env(repo: &Repo, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let overriding = env("KOPS_STATE_STORE").filter(|v| !v.trim().is_empty());
        let store_override = overriding.is_some();
        let production_store = match overriding {
            Some(value) => parse_store_setting(&value, "$KOPS_STATE_STORE")?,
            None => {
                let store = &repo.production_store;
                parse_store_setting(store.value, &format!("{} {}", store.file, store.name))?
            }
        };
        let main_branches = match env("KOPSFLOW_MAIN_BRANCHES").filter(|v| !v.trim().is_empty()) {
            Some(value) => value
                .split(',')
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(str::to_owned)
                .collect(),
            None => repo
                .main_branches
                .value
                .iter()
                .map(|b| (*b).to_owned())
                .collect(),
        };
        let prune = match env("KOPSFLOW_PRUNE").as_deref().map(str::trim) {
            None | Some("") => repo.prune,
            Some("on") => Prune::On,
            Some("off") => Prune::Off,
            Some(other) => bail!(
                "$KOPSFLOW_PRUNE is {other:?}: use on (deploy deletes instance groups removed from git) or off"
            ),
        };
        let cloud_only = match env("KOPSFLOW_CLOUDONLY").as_deref().map(str::trim) {
            None | Some("") => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(other) => bail!(
                "$KOPSFLOW_CLOUDONLY is {other:?}: use true (rolling updates with kops --cloudonly, for agents without Kubernetes API access) or false"
            ),
        };
        Ok(Config {
            production_store,
            store_override,
            main_branches,
            prune,
            cloud_only,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::repo;

    #[test]
    fn defaults() -> anyhow::Result<()> {
        let c = Config::from_env(&repo(), |_| None)?;
        assert_eq!(
            c.production_store.to_string(),
            repo().production_store.value
        );
        assert_eq!(c.main_branches, repo().main_branches.value);
        assert_eq!(c.prune, Prune::Off, "prune is off unless turned on");
        assert_eq!(c.cloud_only, None);
        Ok(())
    }

    #[test]
    fn environment_overrides() -> anyhow::Result<()> {
        let c = Config::from_env(&repo(), |k| match k {
            "KOPS_STATE_STORE" => Some("gs://other".to_owned()),
            "KOPSFLOW_MAIN_BRANCHES" => Some("trunk, prod".to_owned()),
            "KOPSFLOW_PRUNE" => Some("on".to_owned()),
            _ => None,
        })?;
        assert_eq!(c.production_store.to_string(), "gs://other");
        assert_eq!(c.main_branches, ["trunk", "prod"]);
        assert_eq!(c.prune, Prune::On);
        let prune =
            |v: &str| Config::from_env(&repo(), |k| (k == "KOPSFLOW_PRUNE").then(|| v.to_owned()));
        assert_eq!(prune("off")?.prune, Prune::Off);
        let err = prune("yes").unwrap_err().to_string();
        assert!(err.contains("$KOPSFLOW_PRUNE is \"yes\""), "{err}");
        assert!(Config::from_env(&repo(), |k| (k == "KOPS_STATE_STORE")
            .then(|| "ftp://x".to_owned()))
        .is_err());
        let cloud = |v: &str| {
            Config::from_env(&repo(), |k| {
                (k == "KOPSFLOW_CLOUDONLY").then(|| v.to_owned())
            })
        };
        assert_eq!(cloud("true")?.cloud_only, Some(true));
        assert_eq!(cloud(" false ")?.cloud_only, Some(false));
        assert_eq!(cloud("")?.cloud_only, None, "set but empty: as if unset");
        let err = cloud("yes").unwrap_err().to_string();
        assert!(err.contains("$KOPSFLOW_CLOUDONLY is \"yes\""), "{err}");
        // The variable turns the run's --cloudonly on; false leaves the flag as given.
        use crate::pipeline::RunFlags;
        let on = RunFlags::default().with_config(&cloud("true")?)?;
        assert!(on.cloud_only);
        assert!(
            !RunFlags::default()
                .with_config(&cloud("false")?)?
                .cloud_only
        );
        let flag = RunFlags {
            cloud_only: true,
            ..RunFlags::default()
        };
        assert!(flag.clone().with_config(&cloud("false")?)?.cloud_only);
        // --validate needs the Kubernetes API: refused with cloud-only, from either source.
        let validate = |flags: RunFlags| RunFlags {
            validate: Some(std::time::Duration::from_secs(600)),
            ..flags
        };
        let err = validate(RunFlags::default())
            .with_config(&cloud("true")?)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("$KOPSFLOW_CLOUDONLY is true") && err.contains("needs the Kubernetes API"),
            "{err}"
        );
        assert!(validate(flag).with_config(&cloud("")?).is_err());
        assert!(validate(RunFlags::default())
            .with_config(&cloud("false")?)
            .is_ok());
        Ok(())
    }
}
