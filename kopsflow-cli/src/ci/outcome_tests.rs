//! Tests of what the generated jobs make of each outcome, on every engine: stale CI files fail
//! the plan job first, drift found and failed or refused rolls are failures, previews keep their
//! artifacts under the read-only identity, cloud-only reaches the rolling updates, and the
//! deploy jobs set `KOPSFLOW_LAST_DEPLOYED`.

use super::tests::{
    at, boolean, github, gitlab, jenkins, repo_input, steps, strings, text, ENGINES,
};
use super::*;
use kopsflow::spec::Node;

/// The index of the first step whose `run:` (or `uses:`) contains `needle`.
fn step_with(job: &Node, needle: &str) -> usize {
    steps(job)
        .iter()
        .position(|s| {
            ["run", "uses"]
                .iter()
                .any(|k| s.get(k).is_some_and(|v| text(v).contains(needle)))
        })
        .unwrap_or_else(|| panic!("no step with {needle:?}"))
}

fn script(job: &Node) -> String {
    let lines = at(job, &["script"]).as_sequence().expect("script");
    lines.iter().map(text).collect()
}

#[test]
fn every_plan_job_checks_the_ci_files_before_installing_kops() {
    let input = repo_input();
    let fix = |engine: &str| format!("run cargo xtask ci {engine} and commit the result");
    let plan = github(&input, "plan");
    let job = at(&plan, &["jobs", "ci-files"]);
    let check = step_with(job, "cargo xtask ci github --check");
    assert!(text(at(&steps(job)[check], &["run"])).contains(&fix("github")));
    assert!(job.get("id-token").is_none() && !format!("{job:?}").contains("kops-linux-amd64"));
    for env in ["dev", "stg", "prod"] {
        let job = at(&plan, &["jobs", &format!("plan-{env}")]);
        assert_eq!(strings(at(job, &["needs"])), ["ci-files"], "then kops");
    }

    let root = gitlab(&input);
    let check = script(at(&root, &["ci-files"]));
    assert!(check.contains("cargo xtask ci gitlab --check") && check.contains(&fix("gitlab")));
    assert!(at(&root, &["ci-files"]).get("extends").is_none(), "no kops");
    for env in ["dev", "stg", "prod"] {
        let job = at(&root, &[&format!("plan-{env}")]);
        assert_eq!(strings(at(job, &["needs"])), ["ci-files"], "then kops");
    }

    let main = jenkins(&input, "Jenkinsfile");
    let check = main
        .find("cargo xtask ci jenkins --check")
        .expect("the check");
    assert!(check < main.find("stage('Install kops')").expect("kops"));
    assert!(main.contains(&fix("jenkins")));
}

#[test]
fn drift_found_fails_unless_the_repository_opts_into_a_warning() {
    let mut input = repo_input();
    assert_eq!(input.settings.drift_found, DriftFound::Fail, "the default");
    let drift = github(&input, "drift");
    let run = text(at(
        &steps(at(&drift, &["jobs", "drift-dev"]))
            [step_with(at(&drift, &["jobs", "drift-dev"]), "cargo xtask drift")],
        &["run"],
    ))
    .to_owned();
    assert!(
        run.contains("  2) echo '::error title=kopsflow drift::"),
        "{run}"
    );
    assert!(run.contains("; exit 2 ;;"), "{run}");
    let root = gitlab(&input);
    assert!(at(&root, &["drift-prod"]).get("allow_failure").is_none());
    let jenkins_drift = jenkins(&input, "Jenkinsfile.drift");
    assert!(jenkins_drift.contains("error('drift found"));
    assert!(!jenkins_drift.contains("unstable("));

    input.settings.drift_found = DriftFound::Warn;
    let drift = github(&input, "drift");
    let job = at(&drift, &["jobs", "drift-stg"]);
    let run = text(at(
        &steps(job)[step_with(job, "cargo xtask drift")],
        &["run"],
    ))
    .to_owned();
    assert!(
        run.contains("  2) echo '::warning title=kopsflow drift::"),
        "{run}"
    );
    assert!(!run.contains("exit 2 ;;"), "{run}");
    let root = gitlab(&input);
    assert_eq!(
        at(&root, &["drift-stg", "allow_failure", "exit_codes"])
            .as_sequence()
            .map(|s| s[0].as_i64()),
        Some(Some(2))
    );
    assert!(jenkins(&input, "Jenkinsfile.drift").contains("unstable('drift found"));
}

/// No GitLab job that can change production is allowed to fail, and only the jobs of an
/// environment that asks for an approval are manual, with `allow_failure: false` (a manual job's
/// default `allow_failure` would turn a failed roll into a warning and let later waves run): the
/// roll runs in a pipeline started by hand and its failure is the pipeline's.
#[test]
fn a_failed_roll_fails_the_pipeline() {
    let input = repo_input();
    let root = gitlab(&input);
    let mut manual = Vec::new();
    for (name, job) in root.as_mapping().expect("jobs") {
        let Some(rules) = job.get("rules") else {
            continue;
        };
        let name = name.as_str().expect("a job name");
        // The jobs of prod that can change production.
        let approval = ["deploy-prod", "rolling-update-prod"].contains(&name);
        for rule in rules.as_sequence().expect("rules") {
            let when = rule.get("when").and_then(Node::as_str);
            if approval {
                assert_eq!(when, Some("manual"), "{name}");
            } else {
                assert_ne!(when, Some("manual"), "{name} is manual");
            }
        }
        if job
            .get("extends")
            .and_then(Node::as_str)
            .is_some_and(|t| t.ends_with("-deploy"))
        {
            match job.get("allow_failure") {
                Some(allow) => {
                    assert!(approval && !boolean(allow), "{name}");
                    manual.push(name);
                }
                None => assert!(!approval, "{name}"),
            }
        }
    }
    assert_eq!(manual, ["deploy-prod", "rolling-update-prod"]);
    let roll = at(&root, &["rolling-update-prod"]);
    for rule in at(roll, &["rules"]).as_sequence().expect("rules") {
        let condition = text(at(rule, &["if"]));
        assert!(
            condition.contains("$KOPSFLOW_DRY_RUN == \"false\""),
            "{condition}"
        );
        assert!(condition.contains("$CI_COMMIT_BRANCH == $KOPSFLOW_MAIN_BRANCH_"));
    }
    // The roll's script fails on any non-zero exit (no exit 2 turned into success).
    assert!(!script(roll).contains("  2) "));
}

#[test]
fn a_roll_requested_where_it_cannot_run_fails_with_the_reason() {
    let input = repo_input();
    let rolling = github(&input, "rolling-update");
    let refused = at(&rolling, &["jobs", "refused"]);
    assert_eq!(
        text(at(refused, &["if"])),
        "${{ !inputs.dry_run && !(github.ref == 'refs/heads/main' || github.ref == 'refs/heads/master') }}"
    );
    let run = text(at(&steps(refused)[0], &["run"]));
    assert!(run.contains("rolls only from a main branch (main, master)") && run.contains("exit 1"));
    assert!(
        refused.get("environment").is_none(),
        "refused without waiting for approval"
    );

    // A deploy started by hand outside the main branches, likewise.
    let deploy = github(&input, "deploy");
    let refused = at(&deploy, &["jobs", "refused"]);
    assert!(text(at(refused, &["if"])).starts_with("${{ github.event_name != 'push' && !("));
    let run = text(at(&steps(refused)[0], &["run"]));
    assert!(
        run.contains("deploy runs only from a main branch (main, master)")
            && run.contains("exit 1")
    );
    assert_eq!(
        text(at(&deploy, &["jobs", "deploy-stg", "if"])),
        "${{ !cancelled() && !failure() && needs.pending.outputs.deploy-stg == 'true' && (github.event_name == 'push' || (github.ref == 'refs/heads/main' || github.ref == 'refs/heads/master')) }}"
    );
    assert_eq!(
        text(at(&deploy, &["jobs", "pending", "if"])),
        "${{ github.event_name == 'push' || (github.ref == 'refs/heads/main' || github.ref == 'refs/heads/master') }}"
    );

    let root = gitlab(&input);
    let refused = at(&root, &["rolling-update-refused"]);
    let rules = at(refused, &["rules"]).as_sequence().expect("rules");
    assert_eq!(text(at(&rules[0], &["when"])), "never");
    assert_eq!(
        text(at(&rules[0], &["if"])),
        "$CI_COMMIT_BRANCH == $KOPSFLOW_MAIN_BRANCH_1"
    );
    assert!(
        text(at(rules.last().expect("a rule"), &["if"])).contains("$KOPSFLOW_DRY_RUN == \"false\"")
    );
    assert!(script(refused).contains("rolls only on a main branch (main, master)"));
    assert!(script(refused).contains("exit 1"));

    let rolling = jenkins(&input, "Jenkinsfile.rolling-update");
    let stage = &rolling[rolling
        .find("stage('Refuse a roll here')")
        .expect("the stage")..];
    assert!(stage.contains("expression { params.DRY_RUN == false }"));
    assert!(stage.contains("not {"));
    assert!(stage.contains("error('DRY_RUN unticked rolls only on a main branch (main, master)"));
}

#[test]
fn previews_keep_their_artifacts_and_use_the_read_only_identity() {
    let input = repo_input();
    let rolling = github(&input, "rolling-update");
    let preview = at(&rolling, &["jobs", "preview-prod"]);
    step_with(preview, "actions/upload-artifact@");
    let aws = &steps(preview)[step_with(preview, "aws-actions/configure-aws-credentials@")];
    assert_eq!(
        text(at(aws, &["with", "role-to-assume"])),
        "${{ secrets.PROD_PLAN_ROLE_ARN }}"
    );
    assert!(
        preview.get("environment").is_none(),
        "no approval for a preview"
    );
    let root = gitlab(&input);
    let preview = at(&root, &["rolling-update-preview-prod"]);
    assert_eq!(text(at(preview, &["extends"])), ".kopsflow-prod-read-only");
    assert_eq!(text(at(preview, &["artifacts", "when"])), "always");
    assert!(strings(at(preview, &["artifacts", "paths"]))
        .contains(&"target/kopsflow-ci/rolling-update-prod.md"));
    assert!(strings(at(preview, &["artifacts", "paths"])).contains(&"target/kopsflow/audit.jsonl"));
    let rolling = jenkins(&input, "Jenkinsfile.rolling-update");
    let stage = &rolling[rolling.find("stage('Preview prod')").expect("Preview")
        ..rolling.find("stage('Refuse a roll here')").expect("Refuse")];
    assert!(stage.contains("credentialsId: 'prod-plan'"));
    assert!(!stage.contains("input {"));
    assert!(rolling.contains("archiveArtifacts("));
}

/// The markdown summary starts with its own `## kopsflow plan — <branch>` heading: the comment
/// adds only the marker and each environment's name.
#[test]
fn the_pr_comment_has_its_heading_once() {
    let plan = github(&repo_input(), "plan");
    let job = at(&plan, &["jobs", "comment"]);
    let comment = text(at(
        &steps(job)[step_with(job, "<!-- kopsflow plan -->")],
        &["run"],
    ));
    assert!(!comment.contains("echo '##"), "{comment}");
}

#[test]
fn cloud_only_reaches_every_rolling_update_and_a_variable_overrides_it() {
    let mut input = repo_input();
    assert!(!input.settings.cloud_only, "off by default");
    for on in [false, true] {
        input.settings.cloud_only = on;
        let expected = format!("${{{{ vars.KOPSFLOW_CLOUDONLY || '{on}' }}}}");
        let deploy = github(&input, "deploy");
        assert_eq!(
            text(at(
                &deploy,
                &["jobs", "deploy-dev", "env", "KOPSFLOW_CLOUDONLY"]
            )),
            expected
        );
        let rolling = github(&input, "rolling-update");
        for job in ["preview-stg", "roll-prod"] {
            assert_eq!(
                text(at(&rolling, &["jobs", job, "env", "KOPSFLOW_CLOUDONLY"])),
                expected
            );
        }
        let root = gitlab(&input);
        assert_eq!(
            text(at(&root, &["variables", "KOPSFLOW_CLOUDONLY"])),
            on.to_string()
        );
        let line = format!("KOPSFLOW_CLOUDONLY = \"${{env.KOPSFLOW_CLOUDONLY ?: '{on}'}}\"");
        for path in ["Jenkinsfile", "Jenkinsfile.rolling-update"] {
            assert!(jenkins(&input, path).contains(&line), "{path}");
        }
    }
    // Post-deploy validation needs the Kubernetes API: refused with cloud-only.
    input.settings.validate_after_deploy = Some(Duration::from_secs(600));
    for engine in ENGINES {
        let err = generate(engine, &input).expect_err("validate with cloud-only");
        assert!(
            format!("{err:#}").contains("needs the Kubernetes API"),
            "{err:#}"
        );
    }
}

#[test]
fn deploy_jobs_set_the_last_successful_deploy() {
    let input = repo_input();
    let deploy = github(&input, "deploy");
    let job = at(&deploy, &["jobs", "deploy-prod"]);
    assert_eq!(text(at(job, &["permissions", "actions"])), "read");
    let read = step_with(job, "KOPSFLOW_LAST_DEPLOYED=");
    assert!(read < step_with(job, "cargo xtask deploy"));
    let step = &steps(job)[read];
    assert_eq!(text(at(step, &["env", "GH_TOKEN"])), "${{ github.token }}");
    let run = text(at(step, &["run"]));
    assert!(run.contains("gh api --method GET \"repos/$GITHUB_REPOSITORY/actions/workflows/kopsflow-deploy.yml/runs\" -f branch=\"$GITHUB_REF_NAME\" -f event=push -f status=success -f per_page=1 --jq '.workflow_runs[0].head_sha // \"\"'"), "{run}");
    assert!(run.contains(">> \"$GITHUB_ENV\""));

    let root = gitlab(&input);
    let deploy = at(&root, &["deploy-stg"]);
    let script = script(deploy);
    let read = script.find("jobs/artifacts/${CI_COMMIT_REF_NAME:-}/raw/target/kopsflow-ci/deployed-commit?job=$job").expect("the read");
    let run = script.find("cargo xtask deploy").expect("the deploy");
    let write = script
        .find("printf '%s\\n' \"$CI_COMMIT_SHA\" > target/kopsflow-ci/deployed-commit")
        .expect("the record");
    assert!(read < run && run < write, "{script}");
    assert!(script.contains("--header \"JOB-TOKEN: ${CI_JOB_TOKEN:-}\""));
    assert!(script.contains("export KOPSFLOW_LAST_DEPLOYED\n"));
    assert!(strings(at(deploy, &["artifacts", "paths"]))
        .contains(&"target/kopsflow-ci/deployed-commit"));

    // The artifacts API looks in the latest successful pipeline of the branch: the other jobs of
    // a main-branch pipeline carry the record they read forward, after their command succeeded.
    let keepers = "for job in deploy-dev deploy-stg deploy-prod drift-dev drift-stg drift-prod rolling-update-dev rolling-update-stg rolling-update-prod rolling-update-preview-dev rolling-update-preview-stg rolling-update-preview-prod; do";
    assert!(script.contains(keepers), "{script}");
    for name in [
        "drift-dev",
        "rolling-update-stg",
        "rolling-update-preview-prod",
    ] {
        let job = at(&root, &[name]);
        let text = self::script(job);
        let keep = text
            .find("printf '%s\\n' \"$KOPSFLOW_LAST_DEPLOYED\" > target/kopsflow-ci/deployed-commit")
            .unwrap_or_else(|| panic!("{name} keeps no record: {text}"));
        assert!(text.find("esac").is_some_and(|end| end < keep), "{name}");
        assert!(strings(at(job, &["artifacts", "paths"]))
            .contains(&"target/kopsflow-ci/deployed-commit"));
        assert!(text.contains(keepers), "{name}");
    }

    let main = jenkins(&input, "Jenkinsfile");
    let stage = &main[main.find("stage('Deploy dev')").expect("Deploy")..];
    assert!(
        stage.contains("KOPSFLOW_LAST_DEPLOYED = \"${env.GIT_PREVIOUS_SUCCESSFUL_COMMIT ?: ''}\"")
    );
}
