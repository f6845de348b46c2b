//! `cargo xtask ci github|jenkins|gitlab [--check]`: the CI files that run the repository's
//! pipeline, generated from it — the stages' branch conditions ([`crate::Repo::pipeline`]), the
//! CI settings ([`crate::Repo::ci_settings`]), the main branches ([`crate::Repo::main_branches`])
//! and the clusters in `cluster-spec/` — so the CI files can never disagree with the pipeline. `--check` compares
//! the committed files instead of writing them, and an ordinary `cargo test` runs that check.
//!
//! Each engine is one module (`github`, `jenkins`, `gitlab`); the shell they all run is
//! `script`, and `quote` is how every name reaches YAML, Groovy and shell.

mod diff;
mod github;
mod gitlab;
mod jenkins;
#[cfg(test)]
mod outcome_tests;
mod quote;
mod script;
#[cfg(test)]
mod settings_tests;
#[cfg(test)]
mod tests;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _};
use camino::Utf8Path;
use kopsflow::kops::pin::KopsPin;
use kopsflow::kops::{KopsVersion, Mode};
use kopsflow::pipeline::BranchCondition;

use crate::config::Config;
use crate::output::Output;
use crate::pipeline::RunFlags;
use crate::{specs, Declared, Repo};

/// The CI engine to generate for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// GitHub Actions: `.github/workflows/kopsflow-{plan,deploy,rolling-update,drift}.yml`.
    Github,
    /// Jenkins: `Jenkinsfile` (Test, Deploy), `Jenkinsfile.rolling-update`, `Jenkinsfile.drift`.
    Jenkins,
    /// GitLab CI: `.gitlab-ci.yml`.
    Gitlab,
}

impl Engine {
    /// Its name on the command line (`cargo xtask ci NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Engine::Github => "github",
            Engine::Jenkins => "jenkins",
            Engine::Gitlab => "gitlab",
        }
    }
}

// ---- The settings' types (their values are in `pipeline.rs`, next to the stages) ----

/// What the generated CI files need beyond the stages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiSettings {
    /// The kops release the jobs install.
    pub kops: KopsInstall,
    /// The AWS credentials of the jobs, by reference.
    pub aws: AwsCredentials,
    /// Where the jobs run.
    pub runners: Runners,
    /// The environment the deploy and rolling-update jobs run in, where a team can require an
    /// approval (GitHub environment protection rules, GitLab protected environments; Jenkins:
    /// an `input` step). `None`: no environment, no approval.
    pub approval_environment: Option<&'static str>,
    /// When the drift job runs: five cron fields (minute hour day month weekday, UTC), digits,
    /// `*`, `,`, `-` and `/` only.
    pub drift_schedule: &'static str,
    /// `Some(wait)`: the deploy job validates each deployed cluster (`deploy --validate WAIT`).
    /// It needs the Kubernetes API, so it cannot go with `cloud_only`.
    pub validate_after_deploy: Option<Duration>,
    /// For agents that cannot reach the clusters' Kubernetes API: the rolling updates of the
    /// deploy job (its preview) and of the rolling-update jobs (preview and `--yes`) run with
    /// kops's `--cloudonly`. The generated jobs set `KOPSFLOW_CLOUDONLY` to this value unless
    /// the repository sets that variable in its CI engine (which then wins, without
    /// regenerating the files): see `docs/CI.md`.
    pub cloud_only: bool,
    /// What a drift found (`drift --detailed-exitcode` exit 2) makes of the drift job.
    pub drift_found: DriftFound,
    /// The jobs' time limits.
    pub timeouts: Timeouts,
    /// Jenkins: take a Lockable Resources `lock('kops-<cluster>')` around changes to production
    /// (needs the plugin; without it, `disableConcurrentBuilds()` still serialises each job).
    pub jenkins_lockable_resources: bool,
}

/// What a drift found makes of the scheduled drift job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftFound {
    /// A failed job and pipeline, which every engine notifies about (the default).
    Fail,
    /// A warning only: GitLab `allow_failure` on exit 2, a Jenkins UNSTABLE build, a GitHub
    /// warning annotation on a green run. Nobody is notified: opt in knowingly.
    #[allow(dead_code)]
    Warn,
}

/// The kops release the jobs install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KopsInstall {
    /// The release (it must satisfy the repository's kops pin).
    pub version: KopsVersion,
    /// The sha256 of the release's `kops-linux-amd64`. `None`: the job checks the download
    /// against the `.sha256` file published with the same release (an intact download from
    /// the release page, but not pinned in git; pinning is stronger).
    pub sha256: Option<&'static str>,
}

impl KopsInstall {
    /// The release's `kops-linux-amd64` download URL.
    pub fn url(&self) -> String {
        kopsflow::kops::pin::download_url(&self.version)
    }

    /// The version the jobs install must satisfy the repository's kops pin, or the pipeline
    /// they run would refuse it (`settings_at`: where the CI settings are declared).
    pub fn check_pin(&self, pin: &Declared<KopsPin>, settings_at: &str) -> anyhow::Result<()> {
        if !pin.value.allows(&self.version) {
            bail!(
                "the CI jobs would install kops {} ({settings_at}), which the kops pin {} ({}) refuses: install the pinned kops",
                self.version,
                pin.value,
                pin.place()
            );
        }
        Ok(())
    }

    /// The pinned sha256, lower-case, when it is 64 hex digits; an error when it is not.
    pub fn pinned_sha256(&self, settings_file: &str) -> anyhow::Result<Option<String>> {
        let Some(sha) = self.sha256 else {
            return Ok(None);
        };
        if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
            bail!("the pinned kops sha256 {sha:?} is not 64 hex digits ({settings_file}, ci_settings)");
        }
        Ok(Some(sha.to_ascii_lowercase()))
    }

    /// How the download is checked, as the generated files say it.
    pub fn sha256_source(&self, settings_file: &str) -> String {
        match self.sha256 {
            Some(_) => format!("pinned in {settings_file}"),
            None => "from the .sha256 file published with the release (not pinned)".to_owned(),
        }
    }
}

/// AWS credentials of the jobs, by reference only: the names of CI secrets, Jenkins
/// credential IDs. Plan and drift use a read-only identity; deploy and rolling updates one that
/// can change production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    /// The AWS region of the jobs (`AWS_REGION`).
    pub region: &'static str,
    /// GitHub Actions and GitLab CI.
    pub auth: AwsAuth,
    /// Jenkins: IDs of "AWS Credentials" (CloudBees AWS Credentials plugin); such a credential
    /// can itself assume an IAM role.
    pub jenkins: Pair<&'static str>,
}

/// How GitHub Actions and GitLab CI get AWS credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsAuth {
    /// OIDC federation, no stored keys: the engine's identity token is exchanged for an IAM
    /// role whose ARN is kept in the named secret (GitHub `secrets.NAME`; GitLab: a masked CI/CD
    /// variable). An ARN is not a credential, but as a secret it stays out of logs.
    OidcRole {
        /// The secrets holding the plan and deploy roles' ARNs.
        role_arn_secret: Pair<&'static str>,
    },
    /// Long-lived access keys kept as CI secrets (GitHub secrets, GitLab masked variables).
    /// (This repository uses OIDC; the variant is there for repositories that cannot.)
    #[allow(dead_code)]
    AccessKeys {
        /// The secrets of the plan and deploy keys.
        secrets: Pair<AccessKeySecrets>,
    },
}

/// The names of the two secrets that hold an access key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessKeySecrets {
    /// The secret holding `AWS_ACCESS_KEY_ID`.
    pub access_key_id: &'static str,
    /// The secret holding `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: &'static str,
}

/// One value per identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair<T> {
    /// plan, drift, rolling-update previews: read access.
    pub plan: T,
    /// deploy, rolling update: read-write.
    pub deploy: T,
}

impl<T: Copy> Pair<T> {
    /// The value for `identity`.
    pub fn get(&self, identity: Identity) -> T {
        match identity {
            Identity::Plan => self.plan,
            Identity::Deploy => self.deploy,
        }
    }
}

/// Which credentials a job uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// The read-only identity: plan, drift, rolling-update previews.
    Plan,
    /// The identity that can change production: deploy, rolling updates.
    Deploy,
}

/// Where the jobs run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runners {
    /// GitHub `runs-on` labels.
    pub github: &'static [&'static str],
    /// GitLab runner `tags` (empty: any runner) and the job image (Rust, curl, git).
    pub gitlab_tags: &'static [&'static str],
    /// The GitLab job image (Rust, curl, git).
    pub gitlab_image: &'static str,
    /// Jenkins agent label (`None`: `agent any`). The agent needs Rust, curl, git, sha256sum.
    pub jenkins_label: Option<&'static str>,
}

/// Job time limits (kops steps have their own `--timeout`, 30m by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// The plan and drift jobs.
    pub plan: Duration,
    /// The deploy job.
    pub deploy: Duration,
    /// The rolling-update jobs.
    pub rolling_update: Duration,
}

// ---- What a generator is given ----

/// A cluster as the CI files name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// The cluster's name.
    pub name: String,
    /// Its spec file, relative to the repository root.
    pub spec_file: String,
}

/// Everything the files are generated from.
#[derive(Debug, Clone)]
pub struct CiInput {
    /// The repository's CI settings.
    pub settings: CiSettings,
    /// Where `plan` runs (the `Test` stage), `deploy` applies (`Deploy`) and `rolling-update
    /// --yes` rolls (`Rolling update` with `--yes`).
    pub test_when: BranchCondition,
    /// Where `deploy` applies (the `Deploy` stage's condition).
    pub deploy_when: BranchCondition,
    /// Where `rolling-update --yes` rolls.
    pub roll_when: BranchCondition,
    /// The repository's clusters, by name.
    pub clusters: Vec<Cluster>,
    /// The kops version the pipeline is pinned to; the jobs must install a kops it allows.
    pub kops_pin: Declared<KopsPin>,
    /// The source file that declares the pipeline and the CI settings (the generated files
    /// and messages name it).
    pub settings_file: &'static str,
}

impl CiInput {
    /// The repository's: its pipeline and settings, its main branches (the files belong to the
    /// repository, so environment overrides do not apply), its clusters.
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
        Ok(CiInput {
            settings: (repo.ci_settings.value)(),
            test_when: plain.test.when,
            deploy_when: plain.deploy.when,
            roll_when: rolling.rolling_update.when,
            clusters,
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

    /// Refuses settings and names no file can hold safely (see `quote`).
    fn check(&self) -> anyhow::Result<()> {
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
        quote::check_value("AWS region", s.aws.region)?;
        match &s.aws.auth {
            AwsAuth::OidcRole { role_arn_secret } => {
                for name in [role_arn_secret.plan, role_arn_secret.deploy] {
                    quote::check_identifier("role ARN variable", name)?;
                }
            }
            AwsAuth::AccessKeys { secrets } => {
                for k in [secrets.plan, secrets.deploy] {
                    quote::check_identifier("secret", k.access_key_id)?;
                    quote::check_identifier("secret", k.secret_access_key)?;
                }
            }
        }
        for value in [
            s.aws.jenkins.plan,
            s.aws.jenkins.deploy,
            s.runners.gitlab_image,
        ]
        .into_iter()
        .chain(s.runners.github.iter().copied())
        .chain(s.runners.gitlab_tags.iter().copied())
        .chain(s.runners.jenkins_label)
        .chain(s.approval_environment)
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
        for when in [&self.test_when, &self.deploy_when, &self.roll_when] {
            check_branches(when)?;
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

/// One generated file: its path under the repository root and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Relative to the repository root.
    pub path: String,
    /// The whole file.
    pub text: String,
}

/// The first line of every generated file, after the engine's comment marker.
pub fn header(engine: Engine, input: &CiInput) -> String {
    format!(
        "generated by `cargo xtask ci {}` from {} and cluster-spec/ — do not edit",
        engine.name(),
        input.settings_file
    )
}

/// Every file of one engine.
pub fn generate(engine: Engine, input: &CiInput) -> anyhow::Result<Vec<GeneratedFile>> {
    input.check()?;
    match engine {
        Engine::Github => github::files(input),
        Engine::Jenkins => jenkins::files(input),
        Engine::Gitlab => gitlab::files(input),
    }
    .with_context(|| format!("cargo xtask ci {}", engine.name()))
}

/// The repository's clusters, by name.
pub fn repo_clusters(root: &Utf8Path, repo: &Repo) -> anyhow::Result<Vec<Cluster>> {
    let loaded = specs::load_all(root, repo)?;
    let mut clusters: Vec<Cluster> = loaded
        .specs
        .iter()
        .map(|spec| {
            let target = specs::target(spec);
            Cluster {
                name: target.name,
                spec_file: target.spec_file.to_string(),
            }
        })
        .collect();
    clusters.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(clusters)
}

/// Minutes, rounded up, at least 1 (what the engines' time limits take).
pub fn minutes(d: Duration) -> u64 {
    d.as_secs().div_ceil(60).max(1)
}

/// `cargo xtask ci ENGINE [--check]`: writes the engine's files, or with `check` prints a diff
/// for each committed file that differs and fails.
pub fn run(
    repo: &Repo,
    engine: Engine,
    check: bool,
    output: &Output,
    root: &Utf8Path,
) -> anyhow::Result<ExitCode> {
    if std::env::var_os("KOPSFLOW_MAIN_BRANCHES").is_some() {
        output.err(&format!(
            "note: $KOPSFLOW_MAIN_BRANCHES is ignored here: the CI files follow {}",
            repo.main_branches.place()
        ));
    }
    let input = CiInput::for_repo(repo, repo_clusters(root, repo)?)?;
    let files = generate(engine, &input)?;
    let mut stale = Vec::new();
    for file in &files {
        // Whatever is written passes the redactor; a generated file it would change is a bug
        // here (a `TOKEN=…`-like line), never silently altered.
        if output.redactor().redact_text(&file.text) != file.text {
            bail!(
                "{}: the redactor would alter this generated file",
                file.path
            );
        }
        let path = root.join(&file.path);
        if check {
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            if let Some(d) = diff::diff(&file.path, &committed, &file.text) {
                output.out(d.trim_end());
                stale.push(file.path.as_str());
            }
        } else {
            output.write(&path, &file.text)?;
            output.err(&format!("wrote {}", file.path));
        }
    }
    if !stale.is_empty() {
        bail!(
            "{} differ from what `cargo xtask ci {}` generates (diff above): run `cargo xtask ci {}` and commit the result",
            stale.join(", "),
            engine.name(),
            engine.name()
        );
    }
    if check {
        output.err(&format!(
            "ok: {} file(s) up to date for {}",
            files.len(),
            engine.name()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
