//! A minimal repository's `cargo xtask`: kopsflow's classic pipeline for one cluster, deploying
//! from `trunk` into its own state store, with GitLab CI. Everything else is the library's.

use std::process::ExitCode;
use std::time::Duration;

use kopsflow::kops::pin::KopsPin;
use kopsflow::kops::KopsVersion;
use kopsflow::policy::{Policy, Production, Settings};
use kopsflow_cli::ci::{AwsAuth, CiSettings, DriftFound, KopsInstall, Runners, Timeouts};
use kopsflow_cli::environment::{Environment, Identity, IdentityRef};
use kopsflow_cli::pipeline::{standard, Prune};
use kopsflow_cli::{declared, Repo};

fn main() -> ExitCode {
    kopsflow_cli::main(Repo {
        pipeline: standard,
        production_store: declared!("production_store", "s3://acme-kops-state"),
        environments: || vec![PRODUCTION_ENVIRONMENT],
        cluster_environments: || vec![("web.acme.example.com".to_owned(), "production")],
        main_branches: declared!("main_branches", &["trunk"]),
        prune: Prune::Off,
        kops_pin: declared!("kops_pin", KopsPin::exact(1, 29, 2)),
        ci_settings: declared!("ci_settings", ci_settings),
        policy: || {
            Policy::new(Settings {
                max_instance_group_size: 20,
                production: PRODUCTION,
            })
        },
        templates: None,
    })
}

/// The one environment: its store, its identities (the GitLab CI/CD variables holding the role
/// ARNs of its plans and of its deploys; this repository runs GitLab only), an approval before
/// deploys, the first wave.
const PRODUCTION_ENVIRONMENT: Environment = Environment {
    name: "production",
    store: "s3://acme-kops-state",
    identity: Identity {
        read_only: IdentityRef {
            github_secret: None,
            gitlab_variable: Some("ACME_PLAN_ROLE_ARN"),
            jenkins_credentials: None,
        },
        deploy: IdentityRef {
            github_secret: None,
            gitlab_variable: Some("ACME_DEPLOY_ROLE_ARN"),
            jenkins_credentials: None,
        },
    },
    region: "eu-west-1",
    approval: true,
    wave: 1,
};

/// A production cluster says so in `spec.cloudLabels.environment`.
const PRODUCTION: Production = Production {
    label: "environment",
    value: "production",
};

/// What `cargo xtask ci gitlab` writes into `.gitlab-ci.yml` besides the stages.
fn ci_settings() -> CiSettings {
    let minutes = |n: u64| Duration::from_secs(60 * n);
    CiSettings {
        kops: KopsInstall {
            version: KopsVersion::new(1, 29, 2),
            sha256: None,
        },
        aws_auth: AwsAuth::OidcRole,
        runners: Runners {
            github: &["ubuntu-latest"],
            gitlab_tags: &["kops"],
            gitlab_image: "rust:1-bookworm",
            jenkins_label: None,
        },
        drift_schedule: "0 7 * * 1-5",
        validate_after_deploy: None,
        cloud_only: false,
        drift_found: DriftFound::Fail,
        timeouts: Timeouts {
            plan: minutes(30),
            deploy: minutes(60),
            rolling_update: minutes(240),
        },
        jenkins_lockable_resources: false,
    }
}
