//! A sample composition for the library's own tests: the classic pipeline, settings like this
//! workspace's repository, four clusters in three environments (dev, stg, prod: waves 1, 2, 3,
//! prod behind an approval). Settings are declared in a made-up `ops/src/pipeline.rs`, so that
//! tests can tell a repository's file from the library's.

use std::time::Duration;

use kopsflow::kops::pin::KopsPin;
use kopsflow::kops::KopsVersion;
use kopsflow::policy::{Policy, Production, Settings};

use crate::ci::{AwsAuth, CiSettings, Cluster, DriftFound, KopsInstall, Runners, Timeouts};
use crate::environment::{Environment, Identity, IdentityRef};
use crate::pipeline::Prune;
use crate::{Declared, Repo};

/// A setting declared in the made-up repository file.
fn at<T>(name: &'static str, value: T) -> Declared<T> {
    Declared {
        value,
        name,
        file: "ops/src/pipeline.rs",
        line: 10,
    }
}

/// The sample repository.
pub fn repo() -> Repo {
    Repo {
        pipeline: crate::pipeline::standard,
        production_store: at("PRODUCTION_STORE", "s3://k8s-kops"),
        environments,
        cluster_environments,
        main_branches: at("MAIN_BRANCHES", &["main", "master"]),
        prune: Prune::Off,
        kops_pin: at("KOPS_PIN", KopsPin::exact(1, 29, 2)),
        ci_settings: at("ci_settings", ci_settings),
        policy,
        templates: None,
    }
}

/// dev, stg and prod, each with its own identities (`<ENV>_PLAN_ROLE_ARN` and
/// `<ENV>_DEPLOY_ROLE_ARN` on GitHub and GitLab, `<env>-plan` and `<env>-deploy` on Jenkins).
pub fn environments() -> Vec<Environment> {
    let env = |name, store, wave, approval, upper: &'static str| {
        let reference = |access: &str| {
            let variable: &'static str = format!("{upper}_{access}_ROLE_ARN").leak();
            let credentials: &'static str =
                format!("{name}-{}", access.to_ascii_lowercase()).leak();
            IdentityRef {
                github_secret: Some(variable),
                gitlab_variable: Some(variable),
                jenkins_credentials: Some(credentials),
            }
        };
        Environment {
            name,
            store,
            identity: Identity {
                read_only: reference("PLAN"),
                deploy: reference("DEPLOY"),
            },
            region: "eu-west-1",
            approval,
            wave,
        }
    };
    vec![
        env("dev", "s3://k8s-kops-dev", 1, false, "DEV"),
        env("stg", "s3://k8s-kops-stg", 2, false, "STG"),
        env("prod", "s3://k8s-kops", 3, true, "PROD"),
    ]
}

/// Each sample cluster's environment: its name's first label, `test` in prod.
fn cluster_environments() -> Vec<(String, &'static str)> {
    [
        ("dev", "dev"),
        ("stg", "stg"),
        ("prod", "prod"),
        ("test", "prod"),
    ]
    .into_iter()
    .map(|(cluster, env)| (format!("{cluster}.k8s.example.com"), env))
    .collect()
}

fn policy() -> Policy {
    Policy::new(Settings {
        max_instance_group_size: 50,
        production: Production {
            label: "environment",
            value: "production",
        },
    })
}

/// Its clusters, as the CI files name them.
pub fn clusters() -> Vec<Cluster> {
    ["dev", "prod", "stg", "test"]
        .into_iter()
        .map(|env| Cluster {
            name: format!("{env}.k8s.example.com"),
            spec_file: format!("cluster-spec/{env}.k8s.example.com.yml"),
        })
        .collect()
}

#[rustfmt::skip]
fn ci_settings() -> CiSettings {
    const MINUTE: u64 = 60;
    CiSettings {
        kops: KopsInstall {
            // The kops the jobs install: the pinned one (KOPS_PIN above). With a range pin, name
            // a release in the range here.
            version: KopsVersion::new(1, 29, 2),
            // Not pinned: the jobs check kops-linux-amd64 against the `.sha256` file published
            // with the release. Pinning is stronger (a changed release asset then fails the job):
            // put the sha256 of the release's kops-linux-amd64 here, taken from a download you
            // verified, e.g. `sha256: Some("<64 hex digits>")`.
            sha256: None,
        },
        // GitHub, GitLab: OIDC roles, each environment's ARNs in CI secrets it names (never
        // inlined; the environments and their identities: xtask/src/environments.rs).
        aws_auth: AwsAuth::OidcRole,
        runners: Runners {
            github: &["ubuntu-latest"],
            gitlab_tags: &[],
            gitlab_image: "rust:1-bookworm",
            jenkins_label: None,
        },
        drift_schedule: "23 6 * * 1-5",
        // Post-deploy `kops validate cluster --wait`: off (`Some(Duration::from_secs(10 * MINUTE))`
        // turns it on in the generated deploy jobs; it needs the Kubernetes API from the runner).
        validate_after_deploy: None,
        // Rolling updates (deploy's preview, the rolling-update jobs) with kops `--cloudonly`, for
        // agents that cannot reach the Kubernetes API: off. The CI variable KOPSFLOW_CLOUDONLY
        // (`true`/`false`), set in the CI engine, overrides it without regenerating the files.
        cloud_only: false,
        // Drift found fails the drift job (`DriftFound::Warn`: only a warning, nobody notified).
        drift_found: DriftFound::Fail,
        timeouts: Timeouts {
            plan: Duration::from_secs(60 * MINUTE),
            deploy: Duration::from_secs(120 * MINUTE),
            rolling_update: Duration::from_secs(360 * MINUTE),
        },
        jenkins_lockable_resources: true,
    }
}
