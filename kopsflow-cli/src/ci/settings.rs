//! The types of a repository's CI settings (their values live in the repository's composition,
//! next to its stages: `ci_settings()`): the kops release the jobs install, how they get AWS
//! credentials from an environment's identity references, where they run, the drift schedule,
//! post-deploy validation, cloud-only rolling updates and the time limits.

use std::time::Duration;

use anyhow::bail;
use kopsflow::kops::pin::KopsPin;
use kopsflow::kops::KopsVersion;

use crate::Declared;

/// What the generated CI files need beyond the stages and the environments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiSettings {
    /// The kops release the jobs install.
    pub kops: KopsInstall,
    /// How the GitHub and GitLab jobs turn an environment's identity reference (a secret or
    /// CI/CD variable name, `environment::IdentityRef`) into AWS credentials. Jenkins binds the
    /// environment's "AWS Credentials" id either way.
    pub aws_auth: AwsAuth,
    /// Where the jobs run.
    pub runners: Runners,
    /// When the drift jobs run: five cron fields (minute hour day month weekday, UTC), digits,
    /// `*`, `,`, `-` and `/` only.
    pub drift_schedule: &'static str,
    /// `Some(wait)`: the deploy jobs validate each deployed cluster (`deploy --validate WAIT`).
    /// It needs the Kubernetes API, so it cannot go with `cloud_only`.
    pub validate_after_deploy: Option<Duration>,
    /// For agents that cannot reach the clusters' Kubernetes API: the rolling updates of the
    /// deploy jobs (their preview) and of the rolling-update jobs (preview and `--yes`) run with
    /// kops's `--cloudonly`. The generated jobs set `KOPSFLOW_CLOUDONLY` to this value unless
    /// the repository sets that variable in its CI engine (which then wins, without
    /// regenerating the files): see `docs/CI.md`.
    pub cloud_only: bool,
    /// What a drift found (`drift --detailed-exitcode` exit 2) makes of the drift jobs.
    pub drift_found: DriftFound,
    /// The jobs' time limits.
    pub timeouts: Timeouts,
    /// Jenkins: take a Lockable Resources `lock('kops-<cluster>')` around changes to production
    /// (needs the plugin; without it, `disableConcurrentBuilds()` still serialises each job).
    pub jenkins_lockable_resources: bool,
}

/// What a drift found makes of the scheduled drift jobs.
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

/// How GitHub Actions and GitLab CI get AWS credentials from an identity reference `NAME` (an
/// environment's `IdentityRef::github_secret` or `gitlab_variable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsAuth {
    /// OIDC federation, no stored keys: the engine's identity token is exchanged for the IAM
    /// role whose ARN the secret `NAME` holds (GitHub `secrets.NAME`; GitLab: a masked CI/CD
    /// variable). An ARN is not a credential, but as a secret it stays out of logs.
    OidcRole,
    /// Long-lived access keys kept as CI secrets (GitHub secrets, GitLab masked variables):
    /// `NAME_ACCESS_KEY_ID` and `NAME_SECRET_ACCESS_KEY`. (This repository uses OIDC; the
    /// variant is there for repositories that cannot.)
    #[allow(dead_code)]
    AccessKeys,
}

impl AwsAuth {
    /// The secrets (variables) an identity reference `name` stands for: the role ARN's, or the
    /// access key id's and the secret key's.
    pub fn secrets(self, name: &str) -> Vec<String> {
        match self {
            AwsAuth::OidcRole => vec![name.to_owned()],
            AwsAuth::AccessKeys => vec![
                format!("{name}_ACCESS_KEY_ID"),
                format!("{name}_SECRET_ACCESS_KEY"),
            ],
        }
    }
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
    /// The plan and drift jobs (each environment's).
    pub plan: Duration,
    /// The deploy job of one environment.
    pub deploy: Duration,
    /// The rolling-update jobs.
    pub rolling_update: Duration,
}
