//! Tests of the question asked before each environment's deploy (docs/CI.md, "Environments in
//! CI"): GitHub's `pending` job and Jenkins' `when` of each `Deploy ENV` stage ask `deploy --print
//! --detailed-exitcode --environment ENV`, with no cloud identity and before the approval, so an
//! environment with no cluster to deploy asks for no approval.

use super::tests::{at, file, repo_input, steps, text, yaml_doc};
use super::*;

#[test]
fn github_asks_each_environment_before_its_deploy_job_without_a_cloud_identity() {
    let input = repo_input();
    let files = generate(Engine::Github, &input).expect("generates");
    let deploy = yaml_doc(file(&files, ".github/workflows/kopsflow-deploy.yml"));
    let pending = at(&deploy, &["jobs", "pending"]);
    assert!(pending.get("needs").is_none());
    assert!(pending.get("environment").is_none(), "no approval");
    let shown = format!("{pending:?}");
    assert!(!shown.contains("id-token"), "no cloud identity");
    assert!(
        !shown.contains("configure-aws-credentials"),
        "no cloud identity"
    );
    assert!(!shown.contains("Install kops"), "no kops");
    // The same selection as the deploy jobs: the record of the last successful deploy, the
    // pushed range, the `cluster` input.
    assert_eq!(
        text(at(pending, &["env", "GITHUB_EVENT_BEFORE"])),
        "${{ github.event.before }}"
    );
    let names: Vec<&str> = steps(pending)
        .iter()
        .filter_map(|s| s.get("name").map(text))
        .collect();
    let last = names
        .iter()
        .position(|n| n.contains("KOPSFLOW_LAST_DEPLOYED"))
        .expect("the last successful deploy");
    for env in ["dev", "stg", "prod"] {
        let id = format!("pending-{env}");
        let (at_step, step) = steps(pending)
            .iter()
            .enumerate()
            .find(|(_, s)| s.get("id").map(text) == Some(id.as_str()))
            .unwrap_or_else(|| panic!("{id}"));
        assert!(last < at_step, "{id} after the record is read");
        let run = text(at(step, &["run"]));
        assert!(
            run.contains(&format!(
                "cargo xtask deploy --print --detailed-exitcode --environment {env} \"$@\" || status=$?"
            )),
            "{run}"
        );
        assert!(run.contains("set -- --cluster \"$CLUSTER\""), "{run}");
        assert!(
            run.contains("2) echo 'deploy=true' >> \"$GITHUB_OUTPUT\""),
            "{run}"
        );
        assert!(
            run.contains("0) echo 'deploy=false' >> \"$GITHUB_OUTPUT\""),
            "{run}"
        );
        assert!(run.contains("*) echo \"cargo xtask deploy --print failed (exit $status)\" >&2; exit \"$status\" ;;"), "{run}");
        assert_eq!(text(at(step, &["env", "CLUSTER"])), "${{ inputs.cluster }}");
        assert_eq!(
            text(at(pending, &["outputs", &format!("deploy-{env}")])),
            format!("${{{{ steps.{id}.outputs.deploy }}}}")
        );
    }
    // The approval environment is reached only through `pending`'s answer.
    let prod = at(&deploy, &["jobs", "deploy-prod"]);
    assert_eq!(text(at(prod, &["environment"])), "prod");
    assert!(text(at(prod, &["if"])).contains("needs.pending.outputs.deploy-prod == 'true'"));
}

#[test]
fn jenkins_skips_a_deploy_stage_and_its_input_when_its_environment_has_nothing_to_deploy() {
    let input = repo_input();
    let files = generate(Engine::Jenkins, &input).expect("generates");
    let main = file(&files, "Jenkinsfile");
    for env in ["dev", "stg", "prod"] {
        let start = main
            .find(&format!("stage('Deploy {env}')"))
            .unwrap_or_else(|| panic!("Deploy {env}"));
        let stage = &main[start..];
        let end = stage[1..].find("stage('").map_or(stage.len(), |e| e + 1);
        let stage = &stage[..end];
        let when = stage.find("when {").expect("when");
        let asked = stage
            .find(&format!(
                "cargo xtask deploy --print --detailed-exitcode --environment {env} || status=$?"
            ))
            .expect("asked");
        assert!(when < asked, "{stage}");
        assert!(stage.contains("beforeInput true"), "{stage}");
        assert!(
            stage.contains("export KOPSFLOW_LAST_DEPLOYED=\"${GIT_PREVIOUS_SUCCESSFUL_COMMIT:-}\""),
            "the record the deploy reads: {stage}"
        );
        assert!(stage.contains("return status == 2"), "{stage}");
        assert!(
            stage.contains("if (status != 0 && status != 2) {"),
            "{stage}"
        );
        // Before the approval, the lock and the credentials.
        let environment = stage.find("environment {").expect("environment");
        assert!(asked < environment, "{stage}");
        if let Some(input) = stage.find("input {") {
            assert!(asked < input, "{stage}");
        }
        assert_eq!(env == "prod", stage.contains("input {"), "{stage}");
    }
}
