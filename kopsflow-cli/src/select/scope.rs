//! `--environment NAME`: of the selected clusters, keep those that belong to the named
//! environments; the others are shown as left to their environment's job (the generated CI runs
//! one job per environment, each with its own identity: docs/CI.md, "Environments in CI").

use std::fmt::Write as _;

use anyhow::bail;

use super::Decision;
use crate::environment::Environments;

/// The environments asked for, and the selected clusters that belong to other ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The environments named by `--environment`, as given (deduplicated).
    pub environments: Vec<String>,
    /// Selected clusters left out, with the environment each belongs to (`None`: none).
    pub left: Vec<(String, Option<String>)>,
}

impl Decision {
    /// The decision narrowed to the clusters of `names` (`--environment`, non-empty); an error
    /// when a name is not one of the repository's environments.
    pub fn within(mut self, envs: &Environments, names: &[String]) -> anyhow::Result<Decision> {
        let declared: Vec<&str> = envs.iter().map(|e| e.name).collect();
        if declared.is_empty() {
            bail!(
                "--environment {}: this repository declares no environments (Repo::environments)",
                names.join(", ")
            );
        }
        let mut environments: Vec<String> = Vec::new();
        for name in names {
            if !declared.contains(&name.as_str()) {
                bail!(
                    "--environment {name}: no such environment; this repository declares {}",
                    declared.join(", ")
                );
            }
            if !environments.contains(name) {
                environments.push(name.clone());
            }
        }
        let mut left = Vec::new();
        self.clusters.retain(|chosen| {
            let env = envs.of(&chosen.name).ok().map(|e| e.name.to_owned());
            let keep = env.as_ref().is_some_and(|e| environments.contains(e));
            if !keep {
                left.push((chosen.name.clone(), env));
            }
            keep
        });
        self.scope = Some(Scope { environments, left });
        Ok(self)
    }
}

impl Scope {
    /// ` in environment dev` / ` in environments dev, stg`, for the selection's first line.
    pub fn of(&self) -> String {
        let s = if self.environments.len() == 1 {
            ""
        } else {
            "s"
        };
        format!(" in environment{s} {}", self.environments.join(", "))
    }

    /// The clusters left out, one per line (empty when none).
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.left.is_empty() {
            return out;
        }
        let _ = writeln!(
            out,
            "Left to other environments (--environment {}):",
            self.environments.join(", ")
        );
        for (cluster, env) in &self.left {
            let _ = match env {
                Some(env) => writeln!(out, "  {cluster}: environment {env}"),
                None => writeln!(out, "  {cluster}: in no environment"),
            };
        }
        out
    }

    /// The line saying that nothing is left to do here, when the selection only had clusters
    /// of other environments.
    pub fn nothing(&self, verb: &str) -> Option<String> {
        if self.left.is_empty() {
            return None;
        }
        let s = if self.environments.len() == 1 {
            ""
        } else {
            "s"
        };
        Some(format!(
            "No selected cluster belongs to environment{s} {} ({} selected in others): nothing to {verb} here.",
            self.environments.join(", "),
            self.left.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environment::{Environment, Identity};
    use crate::select::{decide, Rule};

    fn envs() -> anyhow::Result<Environments> {
        let env = |name, store, wave| Environment {
            name,
            store,
            identity: Identity::default(),
            region: "eu-west-1",
            approval: false,
            wave,
        };
        Environments::new(
            vec![env("dev", "s3://dev", 1), env("prod", "s3://prod", 2)],
            &[
                ("a".into(), "dev"),
                ("b".into(), "prod"),
                ("c".into(), "dev"),
            ],
        )
    }

    #[test]
    fn keeps_the_clusters_of_the_named_environments() -> anyhow::Result<()> {
        let known = ["a", "b", "c", "z"];
        let decision = decide(Rule::All, &known)?.within(&envs()?, &["dev".into()])?;
        assert_eq!(decision.names(), ["a", "c"]);
        assert_eq!(
            decision.render(),
            "Selected 2 clusters in environment dev: --all (every spec in cluster-spec/)\n  a\n  c\nLeft to other environments (--environment dev):\n  b: environment prod\n  z: in no environment"
        );
        assert_eq!(decision.nothing("deploy"), None);
        let both = decide(Rule::All, &known)?.within(&envs()?, &["prod".into(), "dev".into()])?;
        assert_eq!(both.names(), ["a", "b", "c"]);
        assert!(both
            .render()
            .starts_with("Selected 3 clusters in environments prod, dev:"));
        Ok(())
    }

    #[test]
    fn nothing_left_here_is_said_once() -> anyhow::Result<()> {
        let named = decide(Rule::Named(vec!["b".into()]), &["a", "b"])?;
        let decision = named.within(&envs()?, &["dev".into(), "dev".into()])?;
        assert!(decision.names().is_empty());
        assert_eq!(
            decision.nothing("deploy").as_deref(),
            Some("No selected cluster belongs to environment dev (1 selected in others): nothing to deploy here.")
        );
        Ok(())
    }

    #[test]
    fn unknown_environments_are_refused_by_name() -> anyhow::Result<()> {
        let err = decide(Rule::All, &["a"])?
            .within(&envs()?, &["qa".into()])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "--environment qa: no such environment; this repository declares dev, prod"
        );
        let none = Environments::default();
        let err = decide(Rule::All, &["a"])?
            .within(&none, &["dev".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("declares no environments"), "{err}");
        Ok(())
    }
}
