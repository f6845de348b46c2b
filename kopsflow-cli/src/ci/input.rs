//! What a generator is given ([`CiInput`]): the repository's settings, where each stage acts,
//! its clusters and its environments ([`CiEnvironment`]: each with its clusters, wave, approval,
//! region and identities), checked so that every name can be written into a CI file.

use anyhow::{bail, Context as _};
use kopsflow::kops::pin::KopsPin;
use kopsflow::kops::Mode;
use kopsflow::pipeline::BranchCondition;

use super::quote;
use super::settings::CiSettings;
use crate::config::Config;
use crate::environment::{Environment, IdentityRef};
use crate::pipeline::RunFlags;
use crate::{Declared, Repo};

/// A cluster as the CI files name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// The cluster's name.
    pub name: String,
    /// Its spec file, relative to the repository root.
    pub spec_file: String,
}

/// Which of an environment's identities a job uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The read-only identity: plan, drift, rolling-update previews.
    ReadOnly,
    /// The identity that can change production: deploy, rolling updates.
    Deploy,
}

impl Access {
    /// How the generated files name it: `read-only`, `deploy`.
    pub fn name(self) -> &'static str {
        match self {
            Access::ReadOnly => "read-only",
            Access::Deploy => "deploy",
        }
    }
}

/// An environment as the CI files use it: its jobs act on its clusters only
/// (`--environment NAME`), with its identities, in its wave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiEnvironment {
    /// The environment (name, wave, approval, region, identities).
    pub environment: Environment,
    /// Its clusters, by name (never empty: an environment without clusters gets no job).
    pub clusters: Vec<String>,
}

impl CiEnvironment {
    /// Its name, as `--environment` takes it and the job names end.
    pub fn name(&self) -> &'static str {
        self.environment.name
    }

    /// The identity of `access`.
    pub fn identity(&self, access: Access) -> IdentityRef {
        match access {
            Access::ReadOnly => self.environment.identity.read_only,
            Access::Deploy => self.environment.identity.deploy,
        }
    }

    /// A reference of the identity of `access`, or an error naming what is missing.
    fn reference(
        &self,
        access: Access,
        engine: &str,
        field: &str,
        pick: fn(&IdentityRef) -> Option<&'static str>,
    ) -> anyhow::Result<&'static str> {
        pick(&self.identity(access)).with_context(|| {
            format!(
                "environment {}: its {} identity has no {engine} reference (Identity.{}.{field} in the repository's environments): the {engine} jobs of {} could not get credentials",
                self.name(),
                access.name(),
                match access {
                    Access::ReadOnly => "read_only",
                    Access::Deploy => "deploy",
                },
                self.name()
            )
        })
    }

    /// The GitHub secret of the identity of `access`.
    pub fn github_secret(&self, access: Access) -> anyhow::Result<&'static str> {
        self.reference(access, "GitHub", "github_secret", |i| i.github_secret)
    }

    /// The GitLab CI/CD variable of the identity of `access`.
    pub fn gitlab_variable(&self, access: Access) -> anyhow::Result<&'static str> {
        self.reference(access, "GitLab", "gitlab_variable", |i| i.gitlab_variable)
    }

    /// The Jenkins credentials id of the identity of `access`.
    pub fn jenkins_credentials(&self, access: Access) -> anyhow::Result<&'static str> {
        self.reference(access, "Jenkins", "jenkins_credentials", |i| {
            i.jenkins_credentials
        })
    }
}

/// Everything the files are generated from.
#[derive(Debug, Clone)]
pub struct CiInput {
    /// The repository's CI settings.
    pub settings: CiSettings,
    /// Where `plan` runs (the `Test` stage's condition).
    pub test_when: BranchCondition,
    /// Where `deploy` applies (the `Deploy` stage's condition).
    pub deploy_when: BranchCondition,
    /// Where `rolling-update --yes` rolls.
    pub roll_when: BranchCondition,
    /// The repository's clusters, by name.
    pub clusters: Vec<Cluster>,
    /// The environments that hold clusters, in wave order (then by name): each gets its own
    /// plan, deploy, rolling-update and drift jobs.
    pub environments: Vec<CiEnvironment>,
    /// The kops version the pipeline is pinned to; the jobs must install a kops it allows.
    pub kops_pin: Declared<KopsPin>,
    /// The source file that declares the pipeline and the CI settings (the generated files
    /// and messages name it).
    pub settings_file: &'static str,
}

impl CiInput {
    /// The repository's: its pipeline and settings, its main branches (the files belong to the
    /// repository, so environment overrides do not apply), its clusters grouped by environment.
    pub fn for_repo(repo: &Repo, clusters: Vec<Cluster>) -> anyhow::Result<CiInput> {
        let config = Config::from_env(repo, |_| None)?;
        let plain = (repo.pipeline)(&config, RunFlags::default());
        let rolling = (repo.pipeline)(
            &config,
            RunFlags {
                roll: Mode::Apply,
                ..RunFlags::default()
            },
        );
        let envs = repo.environments()?;
        let mut environments: Vec<CiEnvironment> = Vec::new();
        for cluster in &clusters {
            let env = envs.of(&cluster.name)?;
            match environments
                .iter_mut()
                .find(|e| e.environment.name == env.name)
            {
                Some(e) => e.clusters.push(cluster.name.clone()),
                None => environments.push(CiEnvironment {
                    environment: env.clone(),
                    clusters: vec![cluster.name.clone()],
                }),
            }
        }
        environments.sort_by_key(|e| (e.environment.wave, e.environment.name));
        Ok(CiInput {
            settings: (repo.ci_settings.value)(),
            test_when: plain.test.when,
            deploy_when: plain.deploy.when,
            roll_when: rolling.rolling_update.when,
            clusters,
            environments,
            kops_pin: repo.kops_pin.clone(),
            settings_file: repo.ci_settings.file,
        })
    }

    /// The branches a condition names exactly (for engines that trigger on a branch list).
    pub fn exact_branches(what: &str, when: &BranchCondition) -> anyhow::Result<Vec<String>> {
        match when {
            BranchCondition::Exact(name) => Ok(vec![name.clone()]),
            BranchCondition::AnyOf(all) => {
                let mut names = Vec::new();
                for c in all {
                    names.extend(Self::exact_branches(what, c)?);
                }
                Ok(names)
            }
            other => bail!("{what}: the branch condition {other} cannot be written as a list of branches for this CI engine"),
        }
    }

    /// The environments of the wave just before `env`'s (the last wave that has any): the jobs
    /// `env`'s deploy waits for. Empty for the first wave.
    pub fn previous_wave(&self, env: &CiEnvironment) -> Vec<&CiEnvironment> {
        let wave = env.environment.wave;
        let Some(previous) = self
            .environments
            .iter()
            .map(|e| e.environment.wave)
            .filter(|w| *w < wave)
            .max()
        else {
            return Vec::new();
        };
        self.environments
            .iter()
            .filter(|e| e.environment.wave == previous)
            .collect()
    }

    /// When `env`'s deploy runs, as the generated files say it: `wave 1, the first`, `wave 2,
    /// once every deploy of wave 1 (dev) has passed`.
    pub fn wave_note(&self, env: &CiEnvironment) -> String {
        let wave = env.environment.wave;
        let previous = self.previous_wave(env);
        match previous.first() {
            None => format!("wave {wave}, the first"),
            Some(first) => {
                let names: Vec<&str> = previous.iter().map(|e| e.name()).collect();
                format!(
                    "wave {wave}, once every deploy of wave {} ({}) has passed",
                    first.environment.wave,
                    names.join(", ")
                )
            }
        }
    }

    /// The environment that holds `cluster`.
    pub fn environment_of(&self, cluster: &str) -> Option<&CiEnvironment> {
        self.environments
            .iter()
            .find(|e| e.clusters.iter().any(|c| c == cluster))
    }

    /// Refuses settings and names no file can hold safely (see `quote`).
    pub(super) fn check(&self) -> anyhow::Result<()> {
        let s = &self.settings;
        s.kops.pinned_sha256(self.settings_file)?;
        if s.cloud_only && s.validate_after_deploy.is_some() {
            bail!("ci_settings: validate_after_deploy needs the Kubernetes API, which cloud_only says the CI agents cannot reach: turn one of them off ({})", self.settings_file);
        }
        let settings_at = format!("ci_settings in {}", self.settings_file);
        s.kops.check_pin(&self.kops_pin, &settings_at)?;
        let fields: Vec<&str> = s.drift_schedule.split_whitespace().collect();
        if fields.len() != 5
            || !fields
                .iter()
                .all(|f| f.chars().all(|c| c.is_ascii_digit() || "*,-/".contains(c)))
        {
            bail!(
                "drift_schedule {:?} is not five cron fields of digits, `*`, `,`, `-`, `/`",
                s.drift_schedule
            );
        }
        for value in [s.runners.gitlab_image]
            .into_iter()
            .chain(s.runners.github.iter().copied())
            .chain(s.runners.gitlab_tags.iter().copied())
            .chain(s.runners.jenkins_label)
        {
            quote::check_value("setting", value)?;
        }
        if self.clusters.is_empty() {
            bail!("no cluster in cluster-spec/: the rolling-update jobs need at least one");
        }
        for c in &self.clusters {
            quote::check_value("cluster name", &c.name)?;
            quote::check_value("spec file", &c.spec_file)?;
        }
        self.check_environments()?;
        for when in [&self.test_when, &self.deploy_when, &self.roll_when] {
            check_branches(when)?;
        }
        Ok(())
    }

    /// Every cluster in exactly one environment; names, regions and identity references that
    /// the files can hold.
    fn check_environments(&self) -> anyhow::Result<()> {
        if self.environments.is_empty() {
            bail!("the repository declares no environments (Repo::environments): the CI files deploy environment by environment, each with its own identities; declare at least one (docs/CONFIGURATION.md, \"Environments\")");
        }
        for c in &self.clusters {
            let holders = self
                .environments
                .iter()
                .filter(|e| e.clusters.contains(&c.name))
                .count();
            if holders != 1 {
                bail!(
                    "cluster {} belongs to {holders} environments: every cluster belongs to exactly one",
                    c.name
                );
            }
        }
        for env in &self.environments {
            let name = env.name();
            quote::check_environment_name(name)?;
            if env.clusters.is_empty() {
                bail!("environment {name} holds no cluster: it gets no job");
            }
            if let Some(c) = env
                .clusters
                .iter()
                .find(|c| !self.clusters.iter().any(|k| &k.name == *c))
            {
                bail!("environment {name} holds {c}, which is not in cluster-spec/");
            }
            quote::check_value(
                &format!("region of environment {name}"),
                env.environment.region,
            )?;
            for access in [Access::ReadOnly, Access::Deploy] {
                let identity = env.identity(access);
                let what = format!("{} identity of environment {name}", access.name());
                for reference in [identity.github_secret, identity.gitlab_variable]
                    .into_iter()
                    .flatten()
                {
                    for secret in self.settings.aws_auth.secrets(reference) {
                        quote::check_identifier(&what, &secret)?;
                    }
                }
                if let Some(id) = identity.jenkins_credentials {
                    quote::check_value(&what, id)?;
                }
            }
        }
        Ok(())
    }
}

/// Every branch name or pattern in a condition, checked like any other value.
fn check_branches(when: &BranchCondition) -> anyhow::Result<()> {
    match when {
        BranchCondition::Always => Ok(()),
        BranchCondition::Exact(name) | BranchCondition::Glob(name) => {
            quote::check_value("main branch", name)
        }
        BranchCondition::Not(inner) => check_branches(inner),
        BranchCondition::AnyOf(all) => all.iter().try_for_each(check_branches),
    }
}
