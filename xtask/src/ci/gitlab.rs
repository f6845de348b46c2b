//! GitLab CI: `.gitlab-ci.yml`, the three-stage flow of kops's own CI guide made safe.
//!
//! - `plan` on merge requests (exit 2, changes pending, is not a failure); the summary is an
//!   artifact exposed in the merge request.
//! - `deploy <cluster>`, one job per cluster, on pushes to the main branches that change its
//!   spec, in the approval environment, under `resource_group: kops-<cluster>`.
//! - `rolling-update <cluster>`: manual, with `KOPSFLOW_DRY_RUN: "true"` (a preview) unless
//!   set to `false` when started; same resource group as the cluster's deploy.
//! - `drift` in scheduled pipelines; exit 2 (drift found) is allowed to fail: a warning.
//!
//! Branch names reach `rules` through variables declared with `expand: false`; names GitLab
//! would expand (`$`) are refused.

use std::fmt::Write as _;

use super::quote::{check_gitlab, check_gitlab_path, yaml, yaml_block, yaml_list};
use super::script::{deploy_args, install_kops, run_job, OnPending, AUDIT_LOG, CI_DIR, KOPS_BIN};
use super::{header, minutes, AwsAuth, CiInput, Engine, GeneratedFile, Identity};
use kopsflow::pipeline::BranchCondition;

pub fn files(input: &CiInput) -> anyhow::Result<Vec<GeneratedFile>> {
    if input.test_when != BranchCondition::Always {
        anyhow::bail!(
            "the Test stage runs only on some branches ({}): GitLab plans every merge request",
            input.test_when
        );
    }
    for c in &input.clusters {
        check_gitlab("cluster name", &c.name)?;
        check_gitlab_path(&c.spec_file)?;
    }
    let deploy_branches = CiInput::exact_branches("Deploy", &input.deploy_when)?;
    let roll_branches = CiInput::exact_branches("Rolling update --yes", &input.roll_when)?;
    let mut branches: Vec<String> = Vec::new();
    for b in deploy_branches.iter().chain(&roll_branches) {
        if !branches.contains(b) {
            branches.push(b.clone());
        }
    }
    let var = |b: &str| {
        let n = branches.iter().position(|x| x == b).unwrap_or(0) + 1;
        format!("$KOPSFLOW_MAIN_BRANCH_{n}")
    };
    let deploy_vars: Vec<String> = deploy_branches.iter().map(|b| var(b)).collect();
    let roll_vars: Vec<String> = roll_branches.iter().map(|b| var(b)).collect();

    let s_ = &input.settings;
    let mut s = format!("# {}\n", header(Engine::Gitlab));
    s.push_str(concat!(
        "# plan on merge requests; deploy (one job per cluster) on pushes to the main branches that change\n",
        "# its spec; rolling-update jobs started by hand (a preview unless KOPSFLOW_DRY_RUN is \"false\");\n",
    ));
    let _ = writeln!(
        s,
        "# drift in scheduled pipelines (create a schedule: {}).",
        s_.drift_schedule
    );
    s.push_str(concat!(
        "workflow:\n",
        "  rules:\n",
        "    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n",
        "    - if: $CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS && $CI_PIPELINE_SOURCE == \"push\"\n",
        "      when: never\n",
        "    - if: $CI_COMMIT_BRANCH\n",
        "stages: [plan, deploy, rolling-update, drift]\n",
        "variables:\n",
    ));
    for (n, b) in branches.iter().enumerate() {
        let _ = writeln!(
            s,
            "  KOPSFLOW_MAIN_BRANCH_{}:\n    value: {}\n    expand: false",
            n + 1,
            yaml(b)
        );
    }
    let _ = writeln!(s, "  KOPS: \"$CI_PROJECT_DIR/{KOPS_BIN}\"");
    s.push_str(concat!(
        "  CARGO_HOME: \"$CI_PROJECT_DIR/target/cargo-home\"\n",
        "  CARGO_TERM_COLOR: \"never\"\n",
        "  # The whole history: the changed-cluster selection needs the merge-base and the pushed range.\n",
        "  GIT_DEPTH: \"0\"\n",
    ));
    let _ = writeln!(s, "  AWS_REGION: {}", yaml(s_.aws.region));
    let _ = writeln!(s, "default:\n  image: {}", yaml(s_.runners.gitlab_image));
    if !s_.runners.gitlab_tags.is_empty() {
        let _ = writeln!(s, "  tags: {}", yaml_list(s_.runners.gitlab_tags));
    }
    s.push_str(concat!(
        "  cache:\n",
        "    key:\n",
        "      files: [Cargo.lock]\n",
        "    paths: [target/cargo-home/registry/, target/cargo-home/git/, target/debug/]\n",
    ));

    // Templates: kops installed before every job, and the credentials of each identity.
    let mut install = String::from("(\n");
    install.push_str(&install_kops(&s_.kops)?);
    install.push_str(")\n");
    let _ = write!(
        s,
        ".kopsflow:\n  before_script:\n    - {}",
        yaml_block(&install, 6)
    );
    for (name, identity) in [("plan", Identity::Plan), ("deploy", Identity::Deploy)] {
        let _ = writeln!(s, ".kopsflow-{name}:\n  extends: .kopsflow");
        match &s_.aws.auth {
            AwsAuth::OidcRole { role_arn_secret } => {
                let _ = write!(
                    s,
                    concat!(
                        "  id_tokens:\n",
                        "    KOPSFLOW_ID_TOKEN:\n",
                        "      aud: \"sts.amazonaws.com\"\n",
                        "  variables:\n",
                        "    AWS_ROLE_ARN: \"${}\"\n",
                        "    AWS_WEB_IDENTITY_TOKEN_FILE: \"$CI_PROJECT_DIR/{}/oidc-token\"\n",
                        "  after_script:\n",
                        "    - rm -f \"$AWS_WEB_IDENTITY_TOKEN_FILE\"\n",
                    ),
                    role_arn_secret.get(identity),
                    CI_DIR
                );
            }
            AwsAuth::AccessKeys { secrets } => {
                let k = secrets.get(identity);
                let _ = write!(
                    s,
                    "  variables:\n    AWS_ACCESS_KEY_ID: \"${}\"\n    AWS_SECRET_ACCESS_KEY: \"${}\"\n",
                    k.access_key_id, k.secret_access_key
                );
            }
        }
    }
    let token_file = match s_.aws.auth {
        AwsAuth::OidcRole { .. } => {
            "printf '%s' \"$KOPSFLOW_ID_TOKEN\" > \"$AWS_WEB_IDENTITY_TOKEN_FILE\"\n"
        }
        AwsAuth::AccessKeys { .. } => "",
    };
    let script = |job: String| format!("(\n{job})\n");

    // plan
    let plan = run_job(
        "plan",
        &["plan", "--detailed-exitcode"],
        "",
        token_file,
        Some((OnPending::Succeed, "changes pending")),
    );
    let _ = write!(
        s,
        concat!(
            "plan:\n",
            "  stage: plan\n",
            "  extends: .kopsflow-plan\n",
            "  timeout: {}m\n",
            "  rules:\n",
            "    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n",
            "  script:\n",
            "    - {}",
            "  artifacts:\n",
            "    when: always\n",
            "    expose_as: \"kopsflow plan\"\n",
            "    paths: [{}/plan.md]\n",
        ),
        minutes(s_.timeouts.plan),
        yaml_block(&script(plan), 6),
        CI_DIR
    );

    // deploy, per cluster
    let args = deploy_args(s_.validate_after_deploy);
    let deploy = run_job(
        "deploy",
        &args,
        "--cluster \"$KOPSFLOW_CLUSTER\"",
        token_file,
        Some((
            OnPending::Succeed,
            "a rolling update is needed: start this cluster's rolling-update job",
        )),
    );
    let deploy_minutes = minutes(s_.timeouts.deploy + s_.validate_after_deploy.unwrap_or_default());
    for c in &input.clusters {
        let _ = writeln!(s, "{}:", yaml(&format!("deploy {}", c.name)));
        s.push_str("  stage: deploy\n  extends: .kopsflow-deploy\n");
        let _ = writeln!(s, "  resource_group: {}", yaml(&format!("kops-{}", c.name)));
        if let Some(env) = s_.approval_environment {
            let _ = writeln!(s, "  environment:\n    name: {}", yaml(env));
        }
        let _ = writeln!(s, "  timeout: {deploy_minutes}m\n  rules:");
        for v in &deploy_vars {
            let _ = writeln!(
                s,
                "    - if: $CI_PIPELINE_SOURCE == \"push\" && $CI_COMMIT_BRANCH == {v}\n      changes: {}",
                yaml_list(&[&c.spec_file])
            );
        }
        let _ = writeln!(s, "  variables:\n    KOPSFLOW_CLUSTER: {}", yaml(&c.name));
        let _ = write!(
            s,
            "  script:\n    - {}",
            yaml_block(&script(deploy.clone()), 6)
        );
        let _ = writeln!(
            s,
            "  artifacts:\n    when: always\n    paths: [{CI_DIR}/deploy.md, {AUDIT_LOG}]"
        );
    }

    // rolling update, per cluster, manual
    let preview = run_job(
        "rolling-update",
        &["rolling-update", "--detailed-exitcode"],
        "--cluster \"$KOPSFLOW_CLUSTER\"",
        "",
        Some((OnPending::Succeed, "a rolling update is needed")),
    );
    let roll = run_job(
        "rolling-update",
        &["rolling-update", "--yes"],
        "--cluster \"$KOPSFLOW_CLUSTER\"",
        "",
        None,
    );
    let choose = format!(
        "mkdir -p {CI_DIR}\n{token_file}if [ \"$KOPSFLOW_DRY_RUN\" = \"false\" ]; then\n  (\n{}  )\nelse\n  (\n{}  )\nfi\n",
        indent(&roll, 4),
        indent(&preview, 4)
    );
    for c in &input.clusters {
        let _ = writeln!(s, "{}:", yaml(&format!("rolling-update {}", c.name)));
        s.push_str("  stage: rolling-update\n  extends: .kopsflow-deploy\n");
        let _ = writeln!(s, "  resource_group: {}", yaml(&format!("kops-{}", c.name)));
        let _ = writeln!(
            s,
            "  timeout: {}m\n  rules:",
            minutes(s_.timeouts.rolling_update)
        );
        for v in &roll_vars {
            let _ = writeln!(
                s,
                "    - if: $CI_PIPELINE_SOURCE != \"schedule\" && $CI_COMMIT_BRANCH == {v}\n      when: manual\n      allow_failure: true"
            );
        }
        let _ = writeln!(
            s,
            "  variables:\n    KOPSFLOW_CLUSTER: {}\n    KOPSFLOW_DRY_RUN: \"true\"",
            yaml(&c.name)
        );
        let _ = write!(
            s,
            "  script:\n    - {}",
            yaml_block(&script(choose.clone()), 6)
        );
        let _ = writeln!(
            s,
            "  artifacts:\n    when: always\n    paths: [{CI_DIR}/rolling-update.md, {AUDIT_LOG}]"
        );
    }

    // drift
    let drift = run_job(
        "drift",
        &["drift", "--all", "--detailed-exitcode"],
        "",
        token_file,
        Some((OnPending::Exit2, "drift found: production differs from git")),
    );
    let _ = write!(
        s,
        concat!(
            "drift:\n",
            "  stage: drift\n",
            "  extends: .kopsflow-plan\n",
            "  timeout: {}m\n",
            "  rules:\n",
            "    - if: $CI_PIPELINE_SOURCE == \"schedule\"\n",
            "  # Exit 2 is drift found: a warning on the pipeline, not a failure of the check.\n",
            "  allow_failure:\n",
            "    exit_codes: [2]\n",
            "  script:\n",
            "    - {}",
            "  artifacts:\n",
            "    when: always\n",
            "    paths: [{}/drift.md]\n",
        ),
        minutes(s_.timeouts.plan),
        yaml_block(&script(drift), 6),
        CI_DIR
    );
    Ok(vec![GeneratedFile {
        path: ".gitlab-ci.yml".to_owned(),
        text: s,
    }])
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_owned()
            } else {
                format!("{pad}{l}\n")
            }
        })
        .collect()
}
