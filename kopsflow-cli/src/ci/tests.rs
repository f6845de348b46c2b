//! Tests of the generated CI files (of the sample repository, `testing.rs`): their structure
//! read back with a YAML parser (GitHub, GitLab) or from the Groovy text (Jenkins). Hostile
//! names and settings: `settings_tests.rs`. (A repository's own test compares its committed
//! files with what it generates.)

use kopsflow::report::redact::Redactor;
use kopsflow::spec::yaml::parse_stream;
use kopsflow::spec::{Node, Scalar, Value};

use super::*;

pub(super) fn repo_input() -> CiInput {
    CiInput::for_repo(&crate::testing::repo(), crate::testing::clusters())
        .expect("the sample pipeline resolves")
}

pub(super) const ENGINES: [Engine; 3] = [Engine::Github, Engine::Jenkins, Engine::Gitlab];

#[test]
fn every_file_says_it_is_generated_and_passes_the_redactor_unchanged() -> anyhow::Result<()> {
    let input = repo_input();
    let redactor = Redactor::default();
    for engine in ENGINES {
        for file in generate(engine, &input)? {
            let first = file.text.lines().next().unwrap_or_default();
            let marker = if engine == Engine::Jenkins {
                "// "
            } else {
                "# "
            };
            assert_eq!(
                first,
                format!("{marker}{}", header(engine, &input)),
                "{}",
                file.path
            );
            assert!(first.contains("do not edit"));
            assert_eq!(redactor.redact_text(&file.text), file.text, "{}", file.path);
            assert!(file.text.ends_with("}\n") || file.text.ends_with('\n'));
        }
    }
    Ok(())
}

// ---- reading YAML back ----

/// The generated GitHub workflow `.github/workflows/kopsflow-NAME.yml`, read back.
pub(super) fn github(input: &CiInput, name: &str) -> Node {
    let files = generate(Engine::Github, input).expect("generates");
    yaml_doc(file(
        &files,
        &format!(".github/workflows/kopsflow-{name}.yml"),
    ))
}

/// The generated `.gitlab-ci.yml`, read back.
pub(super) fn gitlab(input: &CiInput) -> Node {
    let files = generate(Engine::Gitlab, input).expect("generates");
    yaml_doc(file(&files, ".gitlab-ci.yml"))
}

/// The generated Jenkins file at `path`.
pub(super) fn jenkins(input: &CiInput, path: &str) -> String {
    let files = generate(Engine::Jenkins, input).expect("generates");
    file(&files, path).to_owned()
}

/// A GitHub job's steps.
pub(super) fn steps(job: &Node) -> &[Node] {
    at(job, &["steps"]).as_sequence().expect("steps")
}

pub(super) fn yaml_doc(text: &str) -> Node {
    let stream = parse_stream(text).unwrap_or_else(|e| panic!("not YAML: {e:?}\n{text}"));
    assert!(
        stream.duplicate_keys.is_empty(),
        "{:?}",
        stream.duplicate_keys
    );
    assert_eq!(stream.documents.len(), 1);
    stream
        .documents
        .into_iter()
        .next()
        .map(|d| d.root)
        .expect("one document")
}

pub(super) fn at<'a>(node: &'a Node, path: &[&str]) -> &'a Node {
    node.get_path(path)
        .unwrap_or_else(|| panic!("no {path:?} in {node:?}"))
}

pub(super) fn text(node: &Node) -> &str {
    node.as_str()
        .unwrap_or_else(|| panic!("not a string: {node:?}"))
}

pub(super) fn strings(node: &Node) -> Vec<&str> {
    node.as_sequence()
        .unwrap_or_else(|| panic!("not a list: {node:?}"))
        .iter()
        .map(text)
        .collect()
}

pub(super) fn boolean(node: &Node) -> bool {
    match node.value {
        Value::Scalar(Scalar::Bool(b)) => b,
        _ => panic!("not a bool: {node:?}"),
    }
}

/// GitHub's `on:` key, which YAML 1.1 (as the parser resolves plain scalars) reads as `true`.
pub(super) fn on(root: &Node) -> &Node {
    root.as_mapping()
        .and_then(|m| {
            m.iter().find(|(k, _)| {
                k.as_str() == Some("on") || matches!(k.value, Value::Scalar(Scalar::Bool(true)))
            })
        })
        .map(|(_, v)| v)
        .expect("an on: key")
}

/// Every `run:` script of a workflow.
pub(super) fn run_scripts(root: &Node) -> Vec<&str> {
    let mut out = Vec::new();
    for (_, job) in at(root, &["jobs"]).as_mapping().expect("jobs") {
        for step in at(job, &["steps"]).as_sequence().expect("steps") {
            if let Some(run) = step.get("run") {
                out.push(text(run));
            }
        }
    }
    out
}

pub(super) fn file<'a>(files: &'a [GeneratedFile], path: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .text
}

#[test]
fn github_workflows() -> anyhow::Result<()> {
    let files = generate(Engine::Github, &repo_input())?;
    let plan = yaml_doc(file(&files, ".github/workflows/kopsflow-plan.yml"));
    assert!(on(&plan).get("pull_request").is_some());
    assert!(at(&plan, &["permissions"])
        .as_mapping()
        .is_some_and(<[_]>::is_empty));
    let job = at(&plan, &["jobs", "plan-dev"]);
    assert_eq!(text(at(job, &["permissions", "id-token"])), "write");
    assert!(at(job, &["permissions"]).get("pull-requests").is_none());
    assert_eq!(strings(at(job, &["needs"])), ["ci-files"]);
    let steps = at(job, &["steps"]).as_sequence().expect("steps");
    assert_eq!(text(at(&steps[0], &["uses"])), "actions/checkout@v5");
    assert_eq!(at(&steps[0], &["with", "fetch-depth"]).as_i64(), Some(0));
    let aws = steps
        .iter()
        .find(|s| {
            s.get("uses")
                .is_some_and(|u| text(u).starts_with("aws-actions/configure-aws-credentials@"))
        })
        .expect("the credentials step");
    assert_eq!(
        text(at(aws, &["with", "role-to-assume"])),
        "${{ secrets.DEV_PLAN_ROLE_ARN }}"
    );
    assert_eq!(text(at(aws, &["with", "aws-region"])), "eu-west-1");
    let scripts = run_scripts(&plan);
    assert!(scripts.iter().any(
        |s| s.contains("cargo xtask plan --environment prod --detailed-exitcode --format markdown")
    ));
    let comment = at(&plan, &["jobs", "comment"]);
    assert_eq!(
        strings(at(comment, &["needs"])),
        ["plan-dev", "plan-stg", "plan-prod"]
    );
    assert_eq!(
        text(at(comment, &["permissions", "pull-requests"])),
        "write"
    );
    assert!(scripts
        .iter()
        .any(|s| s.contains("--method PATCH") && s.contains("<!-- kopsflow plan -->")));

    let deploy = yaml_doc(file(&files, ".github/workflows/kopsflow-deploy.yml"));
    assert_eq!(
        strings(at(on(&deploy), &["push", "branches"])),
        ["main", "master"]
    );
    assert!(!boolean(at(
        &deploy,
        &["concurrency", "cancel-in-progress"]
    )));
    assert_eq!(
        text(at(&deploy, &["jobs", "deploy-prod", "environment"])),
        "prod"
    );
    assert!(at(&deploy, &["jobs", "deploy-prod", "permissions"])
        .get("pull-requests")
        .is_none());

    let rolling = yaml_doc(file(
        &files,
        ".github/workflows/kopsflow-rolling-update.yml",
    ));
    let inputs = at(on(&rolling), &["workflow_dispatch", "inputs"]);
    assert_eq!(text(at(inputs, &["cluster", "type"])), "choice");
    assert_eq!(
        strings(at(inputs, &["cluster", "options"])),
        [
            "dev.k8s.example.com",
            "prod.k8s.example.com",
            "stg.k8s.example.com",
            "test.k8s.example.com"
        ]
    );
    assert_eq!(text(at(inputs, &["dry_run", "type"])), "boolean");
    assert!(boolean(at(inputs, &["dry_run", "default"])));
    assert_eq!(
        text(at(&rolling, &["jobs", "roll-prod", "concurrency", "group"])),
        "kopsflow-production"
    );
    assert!(run_scripts(&rolling).iter().any(|s| s.contains(
        "rolling-update --environment stg --yes --format markdown --cluster \"$CLUSTER\""
    )));
    assert_eq!(
        text(at(&rolling, &["jobs", "roll-prod", "if"])),
        "${{ !inputs.dry_run && (github.ref == 'refs/heads/main' || github.ref == 'refs/heads/master') && (inputs.cluster == 'prod.k8s.example.com' || inputs.cluster == 'test.k8s.example.com') }}"
    );
    assert_eq!(
        text(at(&rolling, &["jobs", "preview-dev", "if"])),
        "${{ inputs.dry_run && (inputs.cluster == 'dev.k8s.example.com') }}"
    );

    let drift = yaml_doc(file(&files, ".github/workflows/kopsflow-drift.yml"));
    let cron = at(on(&drift), &["schedule"])
        .as_sequence()
        .expect("schedule");
    assert_eq!(text(at(&cron[0], &["cron"])), "23 6 * * 1-5");
    assert!(run_scripts(&drift).iter().any(|s| s.contains(
        "cargo xtask drift --all --environment stg --detailed-exitcode --format markdown"
    )));

    // Untrusted values reach scripts through env:, never as expressions inside run:.
    for f in &files {
        for script in run_scripts(&yaml_doc(&f.text)) {
            assert!(
                !script.contains("${{"),
                "{}: an expression in a run: script",
                f.path
            );
        }
    }
    Ok(())
}

#[test]
fn gitlab_pipeline() -> anyhow::Result<()> {
    let files = generate(Engine::Gitlab, &repo_input())?;
    let root = yaml_doc(file(&files, ".gitlab-ci.yml"));
    assert_eq!(
        strings(at(&root, &["stages"])),
        ["plan", "deploy", "rolling-update", "drift"]
    );
    for name in ["ci-files", "plan-dev", "plan-stg", "plan-prod"] {
        let rule = &at(&root, &[name, "rules"]).as_sequence().expect("rules")[0];
        assert_eq!(
            text(at(rule, &["if"])),
            "$CI_PIPELINE_SOURCE == \"merge_request_event\""
        );
    }
    assert_eq!(
        text(at(&root, &["plan-stg", "extends"])),
        ".kopsflow-stg-read-only"
    );
    assert_eq!(
        text(at(&root, &["plan-stg", "artifacts", "expose_as"])),
        "kopsflow plan stg"
    );
    for env in ["dev", "stg", "prod"] {
        let deploy = at(&root, &[&format!("deploy-{env}")]);
        assert_eq!(text(at(deploy, &["resource_group"])), "kopsflow-production");
        for rule in at(deploy, &["rules"]).as_sequence().expect("rules") {
            assert_eq!(strings(at(rule, &["changes"])), ["cluster-spec/**/*"]);
            assert!(text(at(rule, &["if"])).contains("$CI_PIPELINE_SOURCE == \"push\""));
        }
    }
    assert_eq!(
        text(at(&root, &["deploy-prod", "environment", "name"])),
        "prod"
    );
    assert_eq!(
        text(at(&root, &["variables", "KOPSFLOW_MAIN_BRANCH_1", "value"])),
        "main"
    );
    assert!(!boolean(at(
        &root,
        &["variables", "KOPSFLOW_MAIN_BRANCH_1", "expand"]
    )));
    // Rolling updates: a pipeline run by hand, the cluster a choice of the specs.
    assert_eq!(
        strings(at(
            &root,
            &["variables", "KOPSFLOW_ROLL_CLUSTER", "options"]
        )),
        [
            "",
            "dev.k8s.example.com",
            "prod.k8s.example.com",
            "stg.k8s.example.com",
            "test.k8s.example.com"
        ]
    );
    assert_eq!(
        text(at(&root, &["variables", "KOPSFLOW_DRY_RUN", "value"])),
        "true"
    );
    assert_eq!(
        text(at(&root, &["variables", "KOPSFLOW_CLUSTER_3", "value"])),
        "stg.k8s.example.com"
    );
    let rolling = at(&root, &["rolling-update-stg"]);
    assert_eq!(
        text(at(rolling, &["resource_group"])),
        "kopsflow-production"
    );
    assert_eq!(text(at(rolling, &["extends"])), ".kopsflow-stg-deploy");
    assert!(
        text(&at(rolling, &["script"]).as_sequence().expect("script")[0]).contains(
            "cargo xtask rolling-update --environment stg --yes --format markdown --cluster \"$KOPSFLOW_ROLL_CLUSTER\""
        )
    );
    for rule in at(rolling, &["rules"]).as_sequence().expect("rules") {
        assert!(text(at(rule, &["if"])).ends_with("$KOPSFLOW_ROLL_CLUSTER == $KOPSFLOW_CLUSTER_3"));
    }
    let drift = at(&root, &["drift-prod"]);
    assert_eq!(text(at(drift, &["extends"])), ".kopsflow-prod-read-only");
    assert!(
        text(&at(drift, &["script"]).as_sequence().expect("script")[0])
            .contains("cargo xtask drift --all --environment prod --detailed-exitcode")
    );
    Ok(())
}

#[test]
fn jenkins_pipelines() -> anyhow::Result<()> {
    let files = generate(Engine::Jenkins, &repo_input())?;
    let main = file(&files, "Jenkinsfile");
    for expected in [
        "disableConcurrentBuilds()",
        "timeout(time: 540, unit: 'MINUTES')",
        "stage('Test dev') {",
        "stage('Deploy prod') {",
        "branch pattern: 'main', comparator: 'EQUALS'",
        "branch pattern: 'master', comparator: 'EQUALS'",
        "lock(resource: 'kops-prod.k8s.example.com', extra: [[resource: 'kops-test.k8s.example.com']]) {",
        "lock(resource: 'kops-dev.k8s.example.com') {",
        "credentialsId: 'prod-deploy'",
        "credentialsId: 'stg-plan'",
        "cargo xtask deploy --environment dev --detailed-exitcode --format markdown",
        "AWS_REGION = 'eu-west-1'",
        "archiveArtifacts(artifacts: 'target/kopsflow-ci/*.md, target/kopsflow/audit.jsonl'",
        "input {",
    ] {
        assert!(main.contains(expected), "Jenkinsfile lacks {expected:?}");
    }
    // The Test stages run on every branch: no `when` before their steps.
    let test = &main[main.find("stage('Test dev')").expect("Test")
        ..main.find("stage('Deploy dev')").expect("Deploy")];
    assert!(!test.contains("when"));
    let rolling = file(&files, "Jenkinsfile.rolling-update");
    for expected in [
        "choice(name: 'CLUSTER', choices: ['dev.k8s.example.com', 'prod.k8s.example.com', 'stg.k8s.example.com', 'test.k8s.example.com']",
        "booleanParam(name: 'DRY_RUN', defaultValue: true",
        "expression { params.DRY_RUN == false }",
        "lock(resource: 'kops-' + params.CLUSTER) {",
        "--cluster \"$CLUSTER\"",
        "expression { params.DRY_RUN == false && ['prod.k8s.example.com', 'test.k8s.example.com'].contains(params.CLUSTER) }",
    ] {
        assert!(
            rolling.contains(expected),
            "Jenkinsfile.rolling-update lacks {expected:?}"
        );
    }
    let drift = file(&files, "Jenkinsfile.drift");
    assert!(drift.contains("cron('23 6 * * 1-5')") && drift.contains("error('drift found"));
    assert!(drift.contains("stage('Drift stg') {") && drift.contains("credentialsId: 'stg-plan'"));
    for f in &files {
        assert_eq!(
            f.text.matches('{').count(),
            f.text.matches('}').count(),
            "{}",
            f.path
        );
    }
    Ok(())
}
