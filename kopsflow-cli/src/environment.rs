//! Environments as typed values: a repository's dev, stg, prod… each with its own state store,
//! the cloud identity its jobs use (by reference only: the name of a secret, a CI variable, a
//! credentials id — never a value), its region, whether a deploy needs an approval, and its
//! wave (deploys go wave by wave: [`Environments::placements`]). [`Environments::of`] says
//! which environment a cluster belongs to: every cluster belongs to exactly one
//! (docs/CONFIGURATION.md, "Environments").

use std::collections::BTreeMap;

use anyhow::bail;
use kopsflow::plan::Placement;
use kopsflow::spec::{ClusterSpec, Diagnostic, Severity};
use kopsflow::store::StateStore;

/// One environment of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// Its name (e.g. `dev`), as messages and `--print` show it.
    pub name: &'static str,
    /// The state store its clusters live in (`s3://…`, `gs://…`, `file://…`); each cluster's
    /// `configBase` must be `<store>/<cluster>`.
    pub store: &'static str,
    /// The cloud identities its jobs use, by reference: read-only (plan, drift, previews) and
    /// deploy (deploy, rolling update).
    pub identity: Identity,
    /// Its cloud region (e.g. `eu-west-1`).
    pub region: &'static str,
    /// Whether a deploy to it needs an approval.
    pub approval: bool,
    /// Its wave (1 first): a deploy (any run that changes production) starts a wave only once
    /// every cluster of the earlier waves has deployed; a failure stops the later waves
    /// (docs/CONFIGURATION.md, "Environments"). Read-only runs list clusters in wave order.
    pub wave: u32,
}

/// The cloud identities of an environment's jobs, by reference only: the read-only one of its
/// plans, drift checks and rolling-update previews, and the one of its deploys and rolling
/// updates (`--yes`), which can change production. Separate identities let a repository grant
/// the plans of pull requests no write access, and each environment only its own store and cloud
/// (docs/CI.md, "Environments in CI").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Identity {
    /// plan, drift, rolling-update previews: read access.
    pub read_only: IdentityRef,
    /// deploy, rolling update (`--yes`): read-write.
    pub deploy: IdentityRef,
}

/// One cloud identity, per CI engine, by reference only (the name of what holds it, never its
/// value); `None`: that engine's jobs cannot get it (`cargo xtask ci ENGINE` then refuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IdentityRef {
    /// GitHub Actions: the name of the secret holding the IAM role ARN to assume (OIDC), or the
    /// prefix of the two access-key secrets (`NAME_ACCESS_KEY_ID`, `NAME_SECRET_ACCESS_KEY`).
    pub github_secret: Option<&'static str>,
    /// GitLab CI: the name of the CI/CD variable holding the role ARN (OIDC), or the prefix of
    /// the two access-key variables, as for GitHub.
    pub gitlab_variable: Option<&'static str>,
    /// Jenkins: the id of the "AWS Credentials" to bind (CloudBees AWS Credentials plugin).
    pub jenkins_credentials: Option<&'static str>,
}

/// A repository's environments and which cluster belongs to which.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Environments {
    /// The environments, by name.
    by_name: BTreeMap<&'static str, Environment>,
    /// Each cluster's environment name.
    clusters: BTreeMap<String, &'static str>,
}

impl Environments {
    /// The environments and the membership `(cluster, environment)`; refused when an
    /// environment is declared twice, its store is not a store URL, a cluster names an unknown
    /// environment, or a cluster is listed twice.
    pub fn new(
        environments: Vec<Environment>,
        membership: &[(String, &'static str)],
    ) -> anyhow::Result<Environments> {
        let mut by_name = BTreeMap::new();
        for env in environments {
            StateStore::parse(env.store)
                .map_err(|e| anyhow::anyhow!("environment {}: {e:#}", env.name))?;
            if let Some(first) = by_name.insert(env.name, env) {
                bail!("environment {} is declared twice", first.name);
            }
        }
        let mut clusters = BTreeMap::new();
        for (cluster, env) in membership {
            if !by_name.contains_key(env) {
                bail!(
                    "cluster {cluster} belongs to environment {env}, which is not declared (declared: {})",
                    by_name.keys().copied().collect::<Vec<_>>().join(", ")
                );
            }
            if let Some(first) = clusters.insert(cluster.clone(), *env) {
                bail!(
                    "cluster {cluster} is listed in two environments ({first} and {env}): a cluster belongs to exactly one"
                );
            }
        }
        Ok(Environments { by_name, clusters })
    }

    /// Whether the repository declares environments at all (none: every cluster uses the
    /// production store).
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The environment `cluster` belongs to; an error naming the cluster when it has none.
    pub fn of(&self, cluster: &str) -> anyhow::Result<&Environment> {
        match self.clusters.get(cluster) {
            Some(name) => Ok(&self.by_name[name]),
            None => bail!(
                "cluster {cluster} belongs to no environment: declare it in the repository's composition (its template environment, or the map of hand-written specs), one of: {}",
                self.by_name.keys().copied().collect::<Vec<_>>().join(", ")
            ),
        }
    }

    /// Every environment, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Environment> {
        self.by_name.values()
    }

    /// Each cluster's store, from its environment, for the pipeline
    /// (`Pipeline::with_cluster_stores`); an error naming a cluster that has no environment.
    /// Empty when the repository declares no environments.
    pub fn stores<'a>(
        &self,
        clusters: impl IntoIterator<Item = &'a str>,
    ) -> anyhow::Result<BTreeMap<String, StateStore>> {
        if self.is_empty() {
            return Ok(BTreeMap::new());
        }
        clusters
            .into_iter()
            .map(|name| Ok((name.to_owned(), StateStore::parse(self.of(name)?.store)?)))
            .collect()
    }

    /// Each cluster's environment and wave, for the pipeline (`Pipeline::with_cluster_waves`):
    /// a deploy then goes wave by wave. Empty — no waves — when the repository declares no
    /// environments or when one of `clusters` belongs to none (possible only with
    /// `KOPS_STATE_STORE`, which lets such a cluster run; docs/CONFIGURATION.md,
    /// "Environments").
    pub fn placements<'a>(
        &self,
        clusters: impl IntoIterator<Item = &'a str>,
    ) -> BTreeMap<String, Placement> {
        let mut placements = BTreeMap::new();
        for cluster in clusters {
            let Some(env) = self.clusters.get(cluster).map(|name| &self.by_name[name]) else {
                return BTreeMap::new();
            };
            let placement = Placement {
                wave: env.wave,
                environment: env.name.to_owned(),
            };
            placements.insert(cluster.to_owned(), placement);
        }
        placements
    }
}

impl Environment {
    /// What `--print` says of a cluster in it: `environment of NAME: dev (wave 1, store
    /// s3://…, region eu-west-1, deploy needs approval: no)`.
    pub fn print_line(&self, cluster: &str) -> String {
        format!(
            "environment of {cluster}: {} (wave {}, store {}, region {}, deploy needs approval: {})",
            self.name,
            self.wave,
            self.store,
            self.region,
            if self.approval { "yes" } else { "no" }
        )
    }
}

/// The problems of `specs` with their environments, at the spec's line: a cluster that belongs
/// to no environment (at `metadata.name`), a `configBase` outside its environment's store (at
/// `spec.configBase`). A spec without `configBase` gets its environment's (kopsflow injects it).
pub fn diagnostics(envs: &Environments, specs: &[&ClusterSpec]) -> Vec<Diagnostic> {
    let at = |spec: &ClusterSpec, path: &[&str], message: String, hint: String| {
        let node = spec.cluster.document.get_path(path);
        Diagnostic {
            severity: Severity::Error,
            file: spec.file.clone(),
            line: node.map(|n| n.line),
            column: node.map(|n| n.column),
            path: Some(path.join(".")),
            message,
            hint: Some(hint),
        }
    };
    let mut problems = Vec::new();
    for spec in specs {
        let name = spec.name();
        let env = match envs.of(name) {
            Ok(env) => env,
            Err(err) => {
                let hint = "every cluster belongs to exactly one environment: add it to the repository's composition (Repo::cluster_environments)".to_owned();
                problems.push(at(spec, &["metadata", "name"], format!("{err:#}"), hint));
                continue;
            }
        };
        let Some(base) = spec.config_base() else {
            continue;
        };
        let Ok(store) = StateStore::parse(env.store) else {
            continue;
        };
        if StateStore::from_config_base(base, name).as_ref() != Some(&store) {
            problems.push(at(
                spec,
                &["spec", "configBase"],
                format!("configBase {base} is not in the store of environment {}", env.name),
                format!(
                    "cluster {name} belongs to environment {} (wave {}), whose state store is {}: set configBase to {}",
                    env.name,
                    env.wave,
                    env.store,
                    store.config_base_for(name)
                ),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &'static str, store: &'static str, wave: u32) -> Environment {
        Environment {
            name,
            store,
            identity: Identity {
                read_only: IdentityRef {
                    github_secret: Some("DEV_PLAN_ROLE_ARN"),
                    ..IdentityRef::default()
                },
                ..Identity::default()
            },
            region: "eu-west-1",
            approval: false,
            wave,
        }
    }

    fn two() -> Vec<Environment> {
        vec![env("dev", "s3://dev", 1), env("prod", "s3://prod", 2)]
    }

    #[test]
    fn each_cluster_has_its_environment() -> anyhow::Result<()> {
        let envs = Environments::new(
            two(),
            &[
                ("a.example.com".into(), "dev"),
                ("b.example.com".into(), "prod"),
            ],
        )?;
        assert_eq!(envs.of("a.example.com")?.store, "s3://dev");
        assert_eq!(envs.of("b.example.com")?.wave, 2);
        Ok(())
    }

    #[test]
    fn placements_give_each_cluster_its_wave_or_none_at_all() -> anyhow::Result<()> {
        let envs = Environments::new(
            two(),
            &[
                ("a.example.com".into(), "dev"),
                ("b.example.com".into(), "prod"),
            ],
        )?;
        let placed = envs.placements(["b.example.com", "a.example.com"]);
        let waves: Vec<(&str, &str, u32)> = placed
            .iter()
            .map(|(c, p)| (c.as_str(), p.environment.as_str(), p.wave))
            .collect();
        assert_eq!(
            waves,
            [("a.example.com", "dev", 1), ("b.example.com", "prod", 2)]
        );
        // One cluster in no environment (a KOPS_STATE_STORE run): no waves at all.
        assert!(envs
            .placements(["a.example.com", "c.example.com"])
            .is_empty());
        assert!(Environments::default().placements(["a"]).is_empty());
        Ok(())
    }

    #[test]
    fn a_cluster_without_environment_is_named() -> anyhow::Result<()> {
        let envs = Environments::new(two(), &[("a.example.com".into(), "dev")])?;
        let err = envs.of("c.example.com").unwrap_err().to_string();
        assert!(
            err.contains("cluster c.example.com belongs to no environment"),
            "{err}"
        );
        assert!(err.contains("dev, prod"), "{err}");
        Ok(())
    }

    #[test]
    fn a_cluster_listed_twice_is_named() {
        let err = Environments::new(
            two(),
            &[
                ("a.example.com".into(), "dev"),
                ("a.example.com".into(), "prod"),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("cluster a.example.com is listed in two environments (dev and prod)"),
            "{err}"
        );
    }

    #[test]
    fn unknown_environments_and_bad_stores_are_refused() {
        let err = Environments::new(two(), &[("a".into(), "qa")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("environment qa, which is not declared"),
            "{err}"
        );
        let err = Environments::new(vec![env("dev", "ftp://bucket", 1)], &[])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("environment dev:"), "{err}");
        let err = Environments::new(vec![env("dev", "s3://a", 1), env("dev", "s3://b", 1)], &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("declared twice"), "{err}");
    }
}

/// Two environments in two `file://` stores: each cluster's plan (production's reads) and
/// deploy use its own store, and a configBase in the other store fails resolution.
#[cfg(test)]
mod store_tests {
    use kopsflow::kops::KopsVersion;
    use kopsflow::pipeline::{ClusterTarget, Context};

    use super::*;
    use crate::pipeline::{standard, RunFlags};
    use crate::Config;

    fn target(name: &str, config_base: Option<&str>) -> ClusterTarget {
        ClusterTarget {
            name: name.to_owned(),
            spec_file: format!("cluster-spec/{name}.yml").into(),
            config_base: config_base.map(str::to_owned),
            deployed: Some(kopsflow::plan::DeployedSpec {
                commit: None,
                file: format!("cluster-spec/{name}.yml").into(),
                text: None,
                since: Vec::new(),
            }),
        }
    }

    #[test]
    fn each_cluster_uses_its_environments_store() -> anyhow::Result<()> {
        let envs = Environments::new(
            vec![
                Environment {
                    store: "file:///stores/dev",
                    ..store_env("dev", 1)
                },
                Environment {
                    store: "file:///stores/prod",
                    ..store_env("prod", 2)
                },
            ],
            &[
                ("a.example.com".into(), "dev"),
                ("b.example.com".into(), "prod"),
            ],
        )?;
        let stores = ["a.example.com", "b.example.com"]
            .iter()
            .map(|c| Ok((c.to_string(), StateStore::parse(envs.of(c)?.store)?)))
            .collect::<anyhow::Result<BTreeMap<_, _>>>()?;
        let config = Config::from_env(&crate::testing::repo(), |_| None)?;
        let ctx = |branch: &str, a_base: Option<&str>| Context {
            branch: branch.to_owned(),
            kops_version: KopsVersion::new(1, 29, 2),
            clusters: vec![
                target("a.example.com", a_base),
                target("b.example.com", None),
            ],
            work_dir: "/tmp/kopsflow-XXXXXX".into(),
        };
        let pipeline = || standard(&config, RunFlags::default()).all();
        let plan = pipeline()
            .with_cluster_stores(stores.clone())
            .resolve(&ctx("main", None))?
            .to_string();
        for (cluster, store) in [("a", "dev"), ("b", "prod")] {
            let get = format!(
                "kops get cluster {cluster}.example.com -o yaml --state file:///stores/{store}"
            );
            assert!(plan.contains(&get), "{get}\n{plan}");
            let apply = format!(
                "kops update cluster {cluster}.example.com --state file:///stores/{store} --yes"
            );
            assert!(plan.contains(&apply), "{apply}\n{plan}");
        }
        let wrong = pipeline()
            .with_cluster_stores(stores)
            .resolve(&ctx("main", Some("file:///stores/prod/a.example.com")));
        let err = format!("{:#}", wrong.unwrap_err());
        assert!(err.contains("cluster a.example.com"), "{err}");
        Ok(())
    }

    fn store_env(name: &'static str, wave: u32) -> Environment {
        Environment {
            name,
            store: "",
            identity: Identity::default(),
            region: "eu-west-1",
            approval: false,
            wave,
        }
    }
}
