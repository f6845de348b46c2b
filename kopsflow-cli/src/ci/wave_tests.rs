//! Tests of environments in the generated CI files (the sample repository's dev, stg and prod in
//! waves 1, 2, 3, prod behind an approval): the deploys of each wave wait for every deploy of
//! the wave before, on every engine; only prod's changing jobs ask for the approval; every job
//! uses its own environment's identity (read-only for plans, drift and previews, deploy for
//! deploys and rolls); and what no environment can hold is refused.

use kopsflow::spec::Node;

use super::tests::{at, github, gitlab, jenkins, repo_input, strings, text, yaml_doc, ENGINES};
use super::*;
use crate::environment::{Environment, IdentityRef};

/// The jobs of GitLab's `needs:` (`{job: NAME, artifacts: false}` or `NAME`).
fn gitlab_needs(job: &Node) -> Vec<&str> {
    job.get("needs")
        .and_then(Node::as_sequence)
        .map(|needs| {
            needs
                .iter()
                .map(|n| n.get("job").map_or_else(|| text(n), text))
                .collect()
        })
        .unwrap_or_default()
}

/// Where each of `needles` is in `text`, which must have them in that order.
fn in_order(text: &str, needles: &[&str]) {
    let at: Vec<usize> = needles
        .iter()
        .map(|n| text.find(n).unwrap_or_else(|| panic!("no {n:?}")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{needles:?} at {at:?}");
}

#[test]
fn three_waves_deploy_one_after_the_other_on_every_engine() {
    let input = repo_input();
    let names: Vec<&str> = input.environments.iter().map(|e| e.name()).collect();
    assert_eq!(names, ["dev", "stg", "prod"], "in wave order");

    let deploy = github(&input, "deploy");
    let jobs = at(&deploy, &["jobs"]);
    assert_eq!(strings(at(jobs, &["deploy-dev", "needs"])), ["pending"]);
    assert_eq!(
        strings(at(jobs, &["deploy-stg", "needs"])),
        ["pending", "deploy-dev"]
    );
    assert_eq!(
        strings(at(jobs, &["deploy-prod", "needs"])),
        ["pending", "deploy-stg"]
    );
    for env in ["dev", "stg", "prod"] {
        // A failed or cancelled wave stops the next (`failure()` of any job before, however
        // far); one skipped for having nothing to deploy does not.
        let condition = text(at(jobs, &[&format!("deploy-{env}"), "if"]));
        assert!(
            condition.starts_with(&format!(
                "${{{{ !cancelled() && !failure() && needs.pending.outputs.deploy-{env} == 'true' && ("
            )),
            "{condition}"
        );
        assert!(!condition.contains("always()"), "{condition}");
    }
    // One run at a time, the waiting for an approval included.
    assert_eq!(
        text(at(&deploy, &["concurrency", "group"])),
        "kopsflow-production"
    );

    let root = gitlab(&input);
    assert!(gitlab_needs(at(&root, &["deploy-dev"])).is_empty());
    assert_eq!(gitlab_needs(at(&root, &["deploy-stg"])), ["deploy-dev"]);
    assert_eq!(gitlab_needs(at(&root, &["deploy-prod"])), ["deploy-stg"]);
    let needs = &at(&root, &["deploy-prod", "needs"])
        .as_sequence()
        .expect("needs")[0];
    assert_eq!(
        needs.get("artifacts").map(super::tests::boolean),
        Some(false),
        "each wave keeps its own summary and audit log"
    );

    let main = jenkins(&input, "Jenkinsfile");
    in_order(
        &main,
        &[
            "stage('Test dev')",
            "stage('Test prod')",
            "stage('Deploy dev')",
            "stage('Deploy stg')",
            "stage('Deploy prod')",
        ],
    );
    assert!(!main.contains("parallel"), "one stage after the other");
}

#[test]
fn a_wave_waits_for_every_environment_of_the_wave_before() {
    let mut input = repo_input();
    // qa joins stg's wave 2; prod moves to wave 5 (no wave 3 or 4).
    let mut qa = input.environments[1].clone();
    qa.environment = Environment {
        name: "qa",
        ..qa.environment
    };
    qa.clusters = vec!["qa.k8s.example.com".to_owned()];
    input.clusters.push(Cluster {
        name: "qa.k8s.example.com".to_owned(),
        spec_file: "cluster-spec/qa.k8s.example.com.yml".to_owned(),
    });
    input.environments.insert(1, qa);
    input.environments[3].environment.wave = 5;

    let deploy = github(&input, "deploy");
    let jobs = at(&deploy, &["jobs"]);
    assert_eq!(
        strings(at(jobs, &["deploy-qa", "needs"])),
        ["pending", "deploy-dev"]
    );
    assert_eq!(
        strings(at(jobs, &["deploy-stg", "needs"])),
        ["pending", "deploy-dev"]
    );
    assert_eq!(
        strings(at(jobs, &["deploy-prod", "needs"])),
        ["pending", "deploy-qa", "deploy-stg"]
    );
    let root = gitlab(&input);
    assert_eq!(
        gitlab_needs(at(&root, &["deploy-prod"])),
        ["deploy-qa", "deploy-stg"]
    );
    let main = jenkins(&input, "Jenkinsfile");
    assert!(main.contains("// prod: wave 5, once every deploy of wave 2 (qa, stg) has passed."));
    in_order(
        &main,
        &[
            "stage('Deploy dev')",
            "stage('Deploy qa')",
            "stage('Deploy stg')",
            "stage('Deploy prod')",
        ],
    );
}

#[test]
fn only_the_approval_environment_asks_for_an_approval() {
    let input = repo_input();
    let workflows = generate(Engine::Github, &input).expect("generates");
    let mut approvals = Vec::new();
    for f in &workflows {
        for (id, job) in at(&yaml_doc(&f.text), &["jobs"])
            .as_mapping()
            .expect("jobs")
        {
            if let Some(env) = job.get("environment") {
                approvals.push(format!("{}: {}", text(id), text(env)));
            }
        }
    }
    assert_eq!(approvals, ["deploy-prod: prod", "roll-prod: prod"]);

    let root = gitlab(&input);
    let mut approvals = Vec::new();
    for (name, job) in root.as_mapping().expect("jobs") {
        let manual = job.get("rules").is_some_and(|rules| {
            rules
                .as_sequence()
                .expect("rules")
                .iter()
                .all(|r| r.get("when").and_then(Node::as_str) == Some("manual"))
        });
        match job.get("environment") {
            Some(env) => {
                assert!(manual, "{name:?}: behind its approval");
                approvals.push(format!("{}: {}", text(name), text(at(env, &["name"]))));
            }
            None => assert!(!manual, "{name:?} is manual"),
        }
    }
    assert_eq!(
        approvals,
        ["deploy-prod: prod", "rolling-update-prod: prod"]
    );

    let main = jenkins(&input, "Jenkinsfile");
    assert_eq!(main.matches("input {").count(), 1);
    let prod = &main[main.find("stage('Deploy prod')").expect("prod")..];
    let input_at = prod.find("input {").expect("prod's approval");
    // Before the stage takes its lock and its credentials.
    assert!(input_at < prod.find("lock(").expect("lock"));
    assert!(input_at < prod.find("withCredentials(").expect("credentials"));
    assert!(
        prod.contains("message 'Deploy the changed cluster specs of prod? (environment: prod)'")
    );
    let rolling = jenkins(&input, "Jenkinsfile.rolling-update");
    assert_eq!(rolling.matches("input {").count(), 1);
    let prod = &rolling[rolling.find("stage('Rolling update prod')").expect("prod")..];
    assert!(prod.find("input {").expect("approval") < prod.find("lock(").expect("lock"));
    assert!(!jenkins(&input, "Jenkinsfile.drift").contains("input {"));

    // Without an environment that asks for one, no approval anywhere.
    let mut input = input;
    for env in &mut input.environments {
        env.environment.approval = false;
    }
    for engine in ENGINES {
        for f in generate(engine, &input).expect("generates") {
            for needle in [
                "\n    environment: ",
                "\n  environment:\n",
                "when: manual",
                "input {",
            ] {
                assert!(!f.text.contains(needle), "{}: {needle}", f.path);
            }
        }
    }
}

/// The identity a GitHub job uses: its credentials step's `role-to-assume`.
fn github_role(job: &Node) -> Option<&str> {
    at(job, &["steps"])
        .as_sequence()
        .expect("steps")
        .iter()
        .find(|s| {
            s.get("uses")
                .is_some_and(|u| text(u).starts_with("aws-actions/configure-aws-credentials@"))
        })
        .map(|s| text(at(s, &["with", "role-to-assume"])))
}

#[test]
fn every_job_uses_its_own_environments_identity() {
    let input = repo_input();
    let secret = |env: &str, access: &str| {
        format!(
            "${{{{ secrets.{}_{access}_ROLE_ARN }}}}",
            env.to_ascii_uppercase()
        )
    };
    let mut seen = 0;
    for f in generate(Engine::Github, &input).expect("generates") {
        for (id, job) in at(&yaml_doc(&f.text), &["jobs"])
            .as_mapping()
            .expect("jobs")
        {
            let id = text(id);
            let Some(role) = github_role(job) else {
                assert!(
                    ["ci-files", "comment", "refused", "pending"].contains(&id),
                    "{id} has no credentials"
                );
                assert!(!format!("{job:?}").contains("id-token"), "{id}");
                continue;
            };
            let (kind, env) = id.rsplit_once('-').expect("kind-ENV");
            let access = match kind {
                "plan" | "drift" | "preview" => "PLAN",
                "deploy" | "roll" => "DEPLOY",
                other => panic!("{other}"),
            };
            assert_eq!(role, secret(env, access), "{}: {id}", f.path);
            seen += 1;
        }
    }
    assert_eq!(
        seen,
        5 * 3,
        "plan, deploy, preview, roll, drift per environment"
    );

    let root = gitlab(&input);
    for env in ["dev", "stg", "prod"] {
        let upper = env.to_ascii_uppercase();
        for (template, access) in [("read-only", "PLAN"), ("deploy", "DEPLOY")] {
            let name = format!(".kopsflow-{env}-{template}");
            assert_eq!(
                text(at(&root, &[&name, "variables", "AWS_ROLE_ARN"])),
                format!("${upper}_{access}_ROLE_ARN")
            );
            assert_eq!(
                text(at(&root, &[&name, "variables", "AWS_REGION"])),
                "eu-west-1"
            );
        }
        for (job, template) in [
            ("plan", "read-only"),
            ("drift", "read-only"),
            ("rolling-update-preview", "read-only"),
            ("deploy", "deploy"),
            ("rolling-update", "deploy"),
        ] {
            assert_eq!(
                text(at(&root, &[&format!("{job}-{env}"), "extends"])),
                format!(".kopsflow-{env}-{template}"),
                "{job}-{env}"
            );
        }
        // Each job acts on its environment only.
        let script: String = at(&root, &[&format!("deploy-{env}"), "script"])
            .as_sequence()
            .expect("script")
            .iter()
            .map(text)
            .collect();
        assert!(script.contains(&format!("cargo xtask deploy --environment {env} ")));
    }
    assert!(
        root.get("ci-files")
            .and_then(|j| j.get("extends"))
            .is_none(),
        "no credentials"
    );

    // Jenkins: each stage binds its environment's credentials.
    for (path, stages) in [
        ("Jenkinsfile", &[("Test", "plan"), ("Deploy", "deploy")][..]),
        (
            "Jenkinsfile.rolling-update",
            &[("Preview", "plan"), ("Rolling update", "deploy")],
        ),
        ("Jenkinsfile.drift", &[("Drift", "plan")]),
    ] {
        let text = jenkins(&input, path);
        for (stage, access) in stages {
            for env in ["dev", "stg", "prod"] {
                let start = text
                    .find(&format!("stage('{stage} {env}')"))
                    .unwrap_or_else(|| panic!("{path}: {stage} {env}"));
                let body = &text[start..];
                let end = body[1..].find("stage(").map_or(body.len(), |e| e + 1);
                let body = &body[..end];
                assert!(
                    body.contains(&format!("credentialsId: '{env}-{access}'")),
                    "{path}: {stage} {env}: {body}"
                );
                assert_eq!(body.matches("credentialsId").count(), 1);
                assert!(body.contains("AWS_REGION = 'eu-west-1'"));
                assert!(body.contains(&format!("--environment {env} ")));
            }
        }
    }
}

#[test]
fn a_rolling_update_runs_only_the_jobs_of_its_clusters_environment() {
    let input = repo_input();
    let rolling = github(&input, "rolling-update");
    let jobs = at(&rolling, &["jobs"]);
    for kind in ["preview", "roll"] {
        let condition = text(at(jobs, &[&format!("{kind}-prod"), "if"]));
        assert!(condition.contains(
            "(inputs.cluster == 'prod.k8s.example.com' || inputs.cluster == 'test.k8s.example.com')"
        ));
        assert!(!condition.contains("dev.k8s.example.com"), "{condition}");
    }
    let root = gitlab(&input);
    for rule in at(&root, &["rolling-update-preview-prod", "rules"])
        .as_sequence()
        .expect("rules")
    {
        let condition = text(at(rule, &["if"]));
        // KOPSFLOW_CLUSTER_2 and _4: prod.k8s.example.com and test.k8s.example.com.
        assert!(
            condition.ends_with("$KOPSFLOW_ROLL_CLUSTER == $KOPSFLOW_CLUSTER_2")
                || condition.ends_with("$KOPSFLOW_ROLL_CLUSTER == $KOPSFLOW_CLUSTER_4"),
            "{condition}"
        );
    }
}

#[test]
fn what_no_environment_can_hold_is_refused() {
    let refused = |input: &CiInput, engine: Engine, needle: &str| {
        let err = generate(engine, input).expect_err(needle);
        assert!(format!("{err:#}").contains(needle), "{err:#}");
    };
    // An identity without a reference for the engine generated.
    let mut input = repo_input();
    input.environments[1].environment.identity.deploy = IdentityRef {
        jenkins_credentials: Some("stg-deploy"),
        ..IdentityRef::default()
    };
    refused(
        &input,
        Engine::Github,
        "environment stg: its deploy identity has no GitHub reference (Identity.deploy.github_secret",
    );
    refused(
        &input,
        Engine::Gitlab,
        "no GitLab reference (Identity.deploy.gitlab_variable",
    );
    generate(Engine::Jenkins, &input).expect("Jenkins has its reference");

    // A name that cannot end a job name.
    let mut input = repo_input();
    input.environments[0].environment.name = "dev west";
    for engine in ENGINES {
        refused(
            &input,
            engine,
            "environment name \"dev west\" must be letters",
        );
    }

    // A cluster in no environment, or in two.
    let mut input = repo_input();
    input.environments[0].clusters.clear();
    refused(
        &input,
        Engine::Gitlab,
        "cluster dev.k8s.example.com belongs to 0 environments",
    );
    let mut input = repo_input();
    input.environments[0]
        .clusters
        .push("prod.k8s.example.com".to_owned());
    refused(&input, Engine::Github, "belongs to 2 environments");

    // No environment at all.
    let mut input = repo_input();
    input.environments.clear();
    refused(
        &input,
        Engine::Jenkins,
        "the repository declares no environments",
    );

    // A region GitHub would evaluate.
    let mut input = repo_input();
    input.environments[2].environment.region = "${{ github.token }}";
    refused(&input, Engine::Github, "would evaluate as an expression");
}
