//! Environments in the generated pipelines, executed: a cluster in each of dev, stg and prod
//! (waves 1, 2, 3; prod behind an approval). A push to main deploys dev, then stg, then prod,
//! each job with its environment's deploy identity and store; a failed wave stops the later
//! ones; on GitHub an environment with no cluster to deploy skips its job (and prod's approval)
//! without stopping the later waves; on GitLab prod waits for its manual job to be played; a pull
//! request plans each environment with its read-only identity, in one comment.

use crate::act::{jobs, pull_request, push, REPOSITORY};
use crate::github::github;
use crate::gitlab::{gitlab, GitLab, Job};
use crate::harness::{role, Outcome, CLUSTER, DEV_CLUSTER, STG_CLUSTER};

/// The kops stand-in keeps production's state between the runs of a test (a deployed change is
/// what the next run's `kops get` serves, so the next deploy sees no drift).
fn stateful(root: &std::path::Path) -> (&'static str, String) {
    let dir = root.join("production-state");
    ("KOPS_STANDIN_STATE", dir.display().to_string())
}

/// Each environment's cluster, store and deploy role, in wave order.
fn waves() -> Vec<(String, String, String)> {
    [
        (
            DEV_CLUSTER,
            "s3://k8s-kops-dev",
            "KOPSFLOW_DEV_DEPLOY_ROLE_ARN",
        ),
        (
            STG_CLUSTER,
            "s3://k8s-kops-stg",
            "KOPSFLOW_STG_DEPLOY_ROLE_ARN",
        ),
        (CLUSTER, "s3://k8s-kops", "KOPSFLOW_DEPLOY_ROLE_ARN"),
    ]
    .into_iter()
    .map(|(c, s, r)| (c.to_owned(), s.to_owned(), role(r).to_owned()))
    .collect()
}

fn gitlab_jobs(run: &Outcome, expected: &[(&str, Job)]) {
    let expected: Vec<(String, Job)> = expected
        .iter()
        .map(|(name, job)| ((*name).to_owned(), *job))
        .collect();
    assert_eq!(GitLab::jobs(run), expected, "{}", run.show());
}

#[test]
fn gitlab_a_push_deploys_dev_then_stg_then_prod_each_with_its_identity() {
    let Some(gl) = gitlab("gitlab_waves") else {
        return;
    };
    gl.project.in_three_environments();
    let (key, dir) = stateful(&gl.project.root);
    let state = [(key, dir.as_str())];
    let (before, _) = gl.project.push_to_every_environment(2);
    let pushed = [("CI_COMMIT_BEFORE_SHA", before.as_str())];
    let run = gl.run("push", &pushed, &state);
    assert_eq!(run.code, 0, "{}", run.show());
    gitlab_jobs(
        &run,
        &[
            ("deploy-dev", Job::Pass),
            ("deploy-prod", Job::Pass),
            ("deploy-stg", Job::Pass),
        ],
    );
    assert_eq!(run.applies(), waves(), "{}", run.show());
    for env in ["dev", "stg", "prod"] {
        let summary = gl
            .artifact(&format!("target/kopsflow-ci/deploy-{env}.md"))
            .unwrap_or_else(|| panic!("deploy-{env}.md kept"));
        assert!(!summary.is_empty(), "{env}");
    }

    // The next push fails in stg: dev is deployed, prod is not.
    gl.project.pushed();
    let (before, _) = gl.project.push_to_every_environment(3);
    let pushed = [("CI_COMMIT_BEFORE_SHA", before.as_str())];
    let failed = gl.run(
        "push",
        &pushed,
        &[state[0], ("KOPS_STANDIN_FAIL_CLUSTER", STG_CLUSTER)],
    );
    assert_ne!(failed.code, 0, "{}", failed.show());
    gitlab_jobs(
        &failed,
        &[("deploy-dev", Job::Pass), ("deploy-stg", Job::Fail)],
    );
    assert_eq!(failed.applies(), waves()[..1], "{}", failed.show());

    // Without an approval, prod's manual job waits: dev and stg are deployed, prod is not.
    let waiting = gl.run_approving(&[], "push", &pushed, &state);
    gitlab_jobs(
        &waiting,
        &[("deploy-dev", Job::Pass), ("deploy-stg", Job::Pass)],
    );
    assert_eq!(waiting.applies(), waves()[..2], "{}", waiting.show());
}

#[test]
fn github_a_push_deploys_dev_then_stg_then_prod_each_with_its_identity() {
    let Some(gh) = github("github_waves") else {
        return;
    };
    gh.project.in_three_environments();
    let (key, dir) = stateful(&gh.project.root);
    let state = [(key, dir.as_str())];

    // A pull request plans each environment with its read-only identity, in one comment.
    gh.project.feature_branch(3);
    for cluster in [DEV_CLUSTER, STG_CLUSTER] {
        gh.project.resize_nodes_of(cluster, 3);
    }
    let head = gh.project.commit("nodes: maxSize 3 in dev and stg too");
    let plan = gh.run(
        "kopsflow-plan",
        "pull_request",
        &pull_request(&head, REPOSITORY),
        &[],
        &[],
    );
    assert_eq!(plan.code, 0, "{}", plan.show());
    for env in ["dev", "stg", "prod"] {
        assert!(
            jobs(&plan).contains(&(format!("plan-{env}"), true)),
            "{}",
            plan.show()
        );
    }
    let plans: Vec<(String, Option<String>)> = plan
        .kops_roles()
        .into_iter()
        .filter(|(a, _)| a.starts_with("get cluster "))
        .collect();
    for (cluster, secret) in [
        (DEV_CLUSTER, "KOPSFLOW_DEV_PLAN_ROLE_ARN"),
        (STG_CLUSTER, "KOPSFLOW_STG_PLAN_ROLE_ARN"),
        (CLUSTER, "KOPSFLOW_PLAN_ROLE_ARN"),
    ] {
        let read = plans
            .iter()
            .find(|(a, _)| a.starts_with(&format!("get cluster {cluster} ")))
            .unwrap_or_else(|| panic!("{}", plan.show()));
        assert_eq!(read.1.as_deref(), Some(role(secret)), "{read:?}");
    }
    assert_eq!(plan.production_changes(), Vec::<String>::new());
    let comments = gh.comments();
    assert_eq!(comments.len(), 1, "{}", plan.show());
    let comment = &comments[0];
    let at = |needle: &str| {
        comment
            .find(needle)
            .unwrap_or_else(|| panic!("no {needle}: {comment}"))
    };
    assert!(
        at("**Environment dev** (wave 1)") < at("**Environment stg** (wave 2)")
            && at("**Environment stg** (wave 2)") < at("**Environment prod** (wave 3)"),
        "{comment}"
    );
    gh.project.git(&["checkout", "-q", "main"]);

    let (before, after) = gh.project.push_to_every_environment(2);
    let run = gh.run(
        "kopsflow-deploy",
        "push",
        &push(&before, &after),
        &[],
        &state,
    );
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(
        jobs(&run),
        [
            ("deploy-dev".to_owned(), true),
            ("deploy-prod".to_owned(), true),
            ("deploy-stg".to_owned(), true),
            ("pending".to_owned(), true)
        ],
        "{}",
        run.show()
    );
    assert_eq!(run.applies(), waves(), "{}", run.show());

    // The next push fails in stg: dev is deployed, prod's job does not run.
    let (before, after) = gh.project.push_to_every_environment(3);
    let failed = gh.run(
        "kopsflow-deploy",
        "push",
        &push(&before, &after),
        &[],
        &[state[0], ("KOPS_STANDIN_FAIL_CLUSTER", STG_CLUSTER)],
    );
    assert_ne!(failed.code, 0, "{}", failed.show());
    assert_eq!(
        jobs(&failed),
        [
            ("deploy-dev".to_owned(), true),
            ("deploy-stg".to_owned(), false),
            ("pending".to_owned(), true)
        ],
        "{}",
        failed.show()
    );
    assert_eq!(failed.applies(), waves()[..1], "{}", failed.show());

    // Run again, it passes: the record of the last successful deploy is this push.
    let rerun = gh.run(
        "kopsflow-deploy",
        "push",
        &push(&before, &after),
        &[],
        &state,
    );
    assert_eq!(rerun.code, 0, "{}", rerun.show());

    // A push that changes only dev's cluster: dev is deployed; stg and prod have nothing to
    // deploy, so their jobs — and prod's approval — are skipped, and the run passes.
    let before = after;
    gh.project.resize_nodes_of(DEV_CLUSTER, 4);
    let after = gh.project.commit("nodes: maxSize 4 in dev");
    let dev_only = gh.run(
        "kopsflow-deploy",
        "push",
        &push(&before, &after),
        &[],
        &state,
    );
    assert_eq!(dev_only.code, 0, "{}", dev_only.show());
    assert_eq!(
        jobs(&dev_only),
        [
            ("deploy-dev".to_owned(), true),
            ("pending".to_owned(), true)
        ],
        "{}",
        dev_only.show()
    );
    assert_eq!(dev_only.applies(), waves()[..1], "{}", dev_only.show());

    // dev and prod change, and dev fails: stg has nothing to deploy (skipped), and prod's job
    // does not run either — a failed wave stops every later one, however far.
    let before = after;
    for cluster in [DEV_CLUSTER, CLUSTER] {
        gh.project.resize_nodes_of(cluster, 5);
    }
    let after = gh.project.commit("nodes: maxSize 5 in dev and prod");
    let stopped = gh.run(
        "kopsflow-deploy",
        "push",
        &push(&before, &after),
        &[],
        &[state[0], ("KOPS_STANDIN_FAIL_CLUSTER", DEV_CLUSTER)],
    );
    assert_ne!(stopped.code, 0, "{}", stopped.show());
    assert_eq!(
        jobs(&stopped),
        [
            ("deploy-dev".to_owned(), false),
            ("pending".to_owned(), true)
        ],
        "{}",
        stopped.show()
    );
    assert!(stopped.applies().is_empty(), "{}", stopped.show());
}
