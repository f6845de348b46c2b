//! This repository's environments: dev, stg and prod, each in its own state store, deployed in
//! waves 1, 2, 3 (a deploy reaches stg only once dev deployed, prod once stg did;
//! docs/CONFIGURATION.md, "Environments"), prod behind an approval. Rendered
//! clusters belong to their template's environment ([`crate::templates::Tier`]); hand-written
//! specs are declared in [`HAND_WRITTEN`].

use kopsflow_cli::environment::{Environment, Identity, IdentityRef};

use crate::pipeline::PRODUCTION_STORE;
use crate::templates::{self, Tier};

/// Hand-written specs (`cluster-spec/*.yml` not rendered) and their environments.
pub const HAND_WRITTEN: &[(&str, &str)] = &[("test.k8s.example.com", "prod")];

/// The environment of a template [`Tier`].
pub fn of_tier(tier: Tier) -> Environment {
    match tier {
        Tier::Development => Environment {
            name: "dev",
            store: "s3://k8s-kops-dev",
            identity: identity(
                "KOPSFLOW_DEV_PLAN_ROLE_ARN",
                "kopsflow-dev-plan",
                "KOPSFLOW_DEV_DEPLOY_ROLE_ARN",
                "kopsflow-dev-deploy",
            ),
            region: "eu-west-1",
            approval: false,
            wave: 1,
        },
        Tier::Staging => Environment {
            name: "stg",
            store: "s3://k8s-kops-stg",
            identity: identity(
                "KOPSFLOW_STG_PLAN_ROLE_ARN",
                "kopsflow-stg-plan",
                "KOPSFLOW_STG_DEPLOY_ROLE_ARN",
                "kopsflow-stg-deploy",
            ),
            region: "eu-west-1",
            approval: false,
            wave: 2,
        },
        // Production keeps the store every cluster used before environments, and the secret
        // names and Jenkins credentials ids of the CI files before them (adopters' secrets keep
        // working).
        Tier::Production => Environment {
            name: "prod",
            store: PRODUCTION_STORE.value,
            identity: identity(
                "KOPSFLOW_PLAN_ROLE_ARN",
                "kopsflow-plan",
                "KOPSFLOW_DEPLOY_ROLE_ARN",
                "kopsflow-deploy",
            ),
            region: "eu-west-1",
            approval: true,
            wave: 3,
        },
    }
}

/// The read-only and the deploy identity: for each, the same name for the GitHub secret and the
/// GitLab CI/CD variable (each holding an IAM role ARN), and a Jenkins credentials id.
fn identity(
    read_only: &'static str,
    read_only_jenkins: &'static str,
    deploy: &'static str,
    deploy_jenkins: &'static str,
) -> Identity {
    let by_reference = |variable, credentials| IdentityRef {
        github_secret: Some(variable),
        gitlab_variable: Some(variable),
        jenkins_credentials: Some(credentials),
    };
    Identity {
        read_only: by_reference(read_only, read_only_jenkins),
        deploy: by_reference(deploy, deploy_jenkins),
    }
}

/// dev, stg and prod.
pub fn environments() -> Vec<Environment> {
    [Tier::Development, Tier::Staging, Tier::Production]
        .into_iter()
        .map(of_tier)
        .collect()
}

/// Every cluster's environment: the rendered ones by their tier, then [`HAND_WRITTEN`].
pub fn cluster_environments() -> Vec<(String, &'static str)> {
    let rendered = templates::declared()
        .into_iter()
        .map(|env| (env.name.to_owned(), of_tier(env.tier).name));
    let written = HAND_WRITTEN
        .iter()
        .map(|(cluster, env)| ((*cluster).to_owned(), *env));
    rendered.chain(written).collect()
}

#[cfg(test)]
mod tests {

    /// Every committed spec belongs to exactly one environment, and its configBase is in that
    /// environment's store.
    #[test]
    fn every_committed_spec_has_its_environment() -> anyhow::Result<()> {
        let envs = crate::repo().environments()?;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../cluster-spec");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(cluster) = name.strip_suffix(".yml") else {
                continue;
            };
            let env = envs.of(cluster)?;
            let text = std::fs::read_to_string(&path)?;
            let base = format!("configBase: {}/{cluster}", env.store);
            assert!(text.contains(&base), "{name} lacks {base}");
            seen += 1;
        }
        assert_eq!(seen, 4);
        assert_eq!(envs.of("prod.k8s.example.com")?.wave, 3);
        assert!(envs.of("prod.k8s.example.com")?.approval);
        Ok(())
    }
}
