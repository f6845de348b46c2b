//! GitLab CI: `.gitlab-ci.yml`, the three-stage flow of kops's own CI guide made safe.
//!
//! - `plan` on merge requests: first `ci gitlab --check` (stale CI files fail the merge
//!   request), then `plan` (exit 2, changes pending, is not a failure); the summary is an
//!   artifact exposed in the merge request.
//! - `deploy` on pushes to the main branches that change a spec, in the approval environment,
//!   under `resource_group: kopsflow-production`, with `KOPSFLOW_LAST_DEPLOYED` read back from the
//!   record the last successful pipeline of the branch kept as an artifact.
//! - Rolling updates run in a pipeline started by hand (Run pipeline) with
//!   `KOPSFLOW_ROLL_CLUSTER` and `KOPSFLOW_DRY_RUN` (default `"true"`): `rolling-update-preview`,
//!   or with `"false"` on a main branch `rolling-update` (`--yes`), or elsewhere
//!   `rolling-update-refused`, which fails with the reason. Not manual jobs: GitLab has no manual
//!   job that both leaves the pipeline unblocked and fails it when it fails (`allow_failure`
//!   is what makes a manual job non-blocking, and it turns a failure into a warning).
//! - `drift` in scheduled pipelines; drift found fails it unless the settings make it a warning.
//!
//! Branch names reach `rules` through variables declared with `expand: false`; names GitLab
//! would expand (`$`) are refused.

use std::fmt::Write as _;

use super::quote::{check_gitlab, shell, yaml, yaml_block, yaml_list};
use super::script::{
    check_ci_files, deploy_args, install_kops, run_job, OnPending, AUDIT_LOG, CI_DIR,
    CLOUDONLY_VAR, KOPS_BIN,
};
use super::{header, minutes, AwsAuth, CiInput, DriftFound, Engine, GeneratedFile, Identity};
use kopsflow::pipeline::BranchCondition;

/// Serialises the deploy and the rolling updates (one job at a time across pipelines).
const PRODUCTION_GROUP: &str = "kopsflow-production";
/// The record of the last successful deploy (a commit), kept as an artifact.
const DEPLOYED_COMMIT: &str = "target/kopsflow-ci/deployed-commit";
/// The jobs of a main-branch pipeline that keep the record; the artifacts API looks in the
/// latest successful pipeline of the branch, whichever of them it ran.
const RECORD_KEEPERS: [&str; 4] = [
    "deploy",
    "drift",
    "rolling-update",
    "rolling-update-preview",
];
/// A pipeline started by hand from Build → Pipelines → Run pipeline that asks for a roll.
const ROLL_REQUESTED: &str = "$CI_PIPELINE_SOURCE == \"web\" && $KOPSFLOW_ROLL_CLUSTER";

/// Reads `KOPSFLOW_LAST_DEPLOYED` back (empty when there is no record or the API refuses the
/// job token: then deploy takes every cluster, more, never less).
fn read_last_deployed() -> String {
    let mut s = String::from(concat!(
        "# KOPSFLOW_LAST_DEPLOYED: the commit of the last successful deploy on this branch, from the\n",
        "# record the latest successful pipeline of the branch kept; empty: no record (deploy takes\n",
        "# every cluster: more, never less).\n",
        "KOPSFLOW_LAST_DEPLOYED=\n",
    ));
    let _ = writeln!(s, "for job in {}; do", RECORD_KEEPERS.join(" "));
    let _ = writeln!(
        s,
        "  if sha=\"$(curl --fail --silent --show-error --location --header \"JOB-TOKEN: ${{CI_JOB_TOKEN:-}}\" \"${{CI_API_V4_URL:-}}/projects/${{CI_PROJECT_ID:-}}/jobs/artifacts/${{CI_COMMIT_REF_NAME:-}}/raw/{DEPLOYED_COMMIT}?job=$job\")\"; then"
    );
    s.push_str(concat!(
        "    if printf '%s\\n' \"$sha\" | grep -Eqx '[0-9a-f]{40}'; then KOPSFLOW_LAST_DEPLOYED=$sha; fi\n",
        "    break\n",
        "  fi\n",
        "done\n",
        "export KOPSFLOW_LAST_DEPLOYED\n",
        "echo \"last successful deploy: ${KOPSFLOW_LAST_DEPLOYED:-none}\"\n",
    ));
    s
}

/// After the job's command succeeded: keeps the record read before (drift, rolling updates) so
/// that their pipelines do not hide the last deploy's.
fn keep_last_deployed() -> String {
    format!(
        "if [ -n \"$KOPSFLOW_LAST_DEPLOYED\" ]; then printf '%s\\n' \"$KOPSFLOW_LAST_DEPLOYED\" > {DEPLOYED_COMMIT}; fi\n"
    )
}

pub fn files(input: &CiInput) -> anyhow::Result<Vec<GeneratedFile>> {
    if input.test_when != BranchCondition::Always {
        anyhow::bail!(
            "the Test stage runs only on some branches ({}): GitLab plans every merge request",
            input.test_when
        );
    }
    for c in &input.clusters {
        check_gitlab("cluster name", &c.name)?;
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
    let mut s = format!("# {}\n", header(Engine::Gitlab, input));
    s.push_str(concat!(
        "# plan on merge requests; deploy on pushes to the main branches that change a spec; rolling\n",
        "# updates in a pipeline run by hand with KOPSFLOW_ROLL_CLUSTER (a preview unless KOPSFLOW_DRY_RUN\n",
        "# is \"false\");\n",
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
    let _ = writeln!(
        s,
        "  # Rolling updates with kops --cloudonly (cloud_only in ci_settings); a CI/CD variable of\n  # the same name (Settings → CI/CD → Variables, true or false) overrides it.\n  {CLOUDONLY_VAR}: {}",
        yaml(&s_.cloud_only.to_string())
    );
    let mut options = vec![String::new()];
    options.extend(input.clusters.iter().map(|c| c.name.clone()));
    let _ = writeln!(
        s,
        concat!(
            "  KOPSFLOW_ROLL_CLUSTER:\n",
            "    value: \"\"\n",
            "    options: {}\n",
            "    description: \"Run pipeline: the cluster to roll (empty: no rolling update)\"\n",
            "  KOPSFLOW_DRY_RUN:\n",
            "    value: \"true\"\n",
            "    options: [\"true\", \"false\"]\n",
            "    description: \"Run pipeline: true previews the rolling update; false rolls the instances (kops rolling-update cluster --yes, main branches only)\"",
        ),
        yaml_list(&options)
    );
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
    let install = format!("(\n{})\n", install_kops(&s_.kops, input.settings_file)?);
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
    let artifacts = |files: &[&str]| {
        format!(
            "  artifacts:\n    when: always\n    paths: [{}]\n",
            files.join(", ")
        )
    };

    // plan: the stale-file check first, before kops is installed.
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
            "  before_script:\n",
            "    - {}",
            "    - {}",
            "  script:\n",
            "    - {}",
            "  artifacts:\n",
            "    when: always\n",
            "    expose_as: \"kopsflow plan\"\n",
            "    paths: [{}/plan.md]\n",
        ),
        minutes(s_.timeouts.plan),
        yaml_block(&script(check_ci_files("gitlab", "")), 6),
        yaml_block(&install, 6),
        yaml_block(&script(plan), 6),
        CI_DIR
    );

    // deploy: every cluster whose spec changed since the last successful deploy.
    let args = deploy_args(s_.validate_after_deploy);
    let mut deploy = run_job(
        "deploy",
        &args,
        "",
        &format!("{token_file}{}", read_last_deployed()),
        Some((
            OnPending::Succeed,
            "a rolling update is needed: run a pipeline on this branch with KOPSFLOW_ROLL_CLUSTER (Build, Pipelines, Run pipeline)",
        )),
    );
    let _ = writeln!(
        deploy,
        "printf '%s\\n' \"$CI_COMMIT_SHA\" > {DEPLOYED_COMMIT}"
    );
    let deploy_minutes = minutes(s_.timeouts.deploy + s_.validate_after_deploy.unwrap_or_default());
    s.push_str("deploy:\n  stage: deploy\n  extends: .kopsflow-deploy\n");
    let _ = writeln!(s, "  resource_group: {PRODUCTION_GROUP}");
    if let Some(env) = s_.approval_environment {
        let _ = writeln!(s, "  environment:\n    name: {}", yaml(env));
    }
    let _ = writeln!(s, "  timeout: {deploy_minutes}m\n  rules:");
    for v in &deploy_vars {
        let _ = writeln!(
            s,
            "    - if: $CI_PIPELINE_SOURCE == \"push\" && $CI_COMMIT_BRANCH == {v}\n      changes: [\"cluster-spec/**/*\"]"
        );
    }
    let _ = write!(s, "  script:\n    - {}", yaml_block(&script(deploy), 6));
    s.push_str(&artifacts(&[
        &format!("{CI_DIR}/deploy.md"),
        AUDIT_LOG,
        DEPLOYED_COMMIT,
    ]));

    // rolling updates, in a pipeline run by hand
    let roll_artifacts = artifacts(&[
        &format!("{CI_DIR}/rolling-update.md"),
        AUDIT_LOG,
        DEPLOYED_COMMIT,
    ]);
    let mut preview = run_job(
        "rolling-update",
        &["rolling-update", "--detailed-exitcode"],
        "--cluster \"$KOPSFLOW_ROLL_CLUSTER\"",
        &format!("{token_file}{}", read_last_deployed()),
        Some((OnPending::Succeed, "a rolling update is needed")),
    );
    preview.push_str(&keep_last_deployed());
    let _ = write!(
        s,
        concat!(
            "rolling-update-preview:\n",
            "  stage: rolling-update\n",
            "  extends: .kopsflow-plan\n",
            "  timeout: {}m\n",
            "  rules:\n",
            "    - if: {} && $KOPSFLOW_DRY_RUN != \"false\"\n",
            "  script:\n",
            "    - {}",
        ),
        minutes(s_.timeouts.plan),
        ROLL_REQUESTED,
        yaml_block(&script(preview), 6)
    );
    s.push_str(&roll_artifacts);

    let mut roll = run_job(
        "rolling-update",
        &["rolling-update", "--yes"],
        "--cluster \"$KOPSFLOW_ROLL_CLUSTER\"",
        &format!("{token_file}{}", read_last_deployed()),
        None,
    );
    roll.push_str(&keep_last_deployed());
    s.push_str("rolling-update:\n  stage: rolling-update\n  extends: .kopsflow-deploy\n");
    let _ = writeln!(s, "  resource_group: {PRODUCTION_GROUP}");
    if let Some(env) = s_.approval_environment {
        let _ = writeln!(s, "  environment:\n    name: {}", yaml(env));
    }
    let _ = writeln!(
        s,
        "  timeout: {}m\n  rules:",
        minutes(s_.timeouts.rolling_update)
    );
    for v in &roll_vars {
        let _ = writeln!(
            s,
            "    - if: {ROLL_REQUESTED} && $KOPSFLOW_DRY_RUN == \"false\" && $CI_COMMIT_BRANCH == {v}"
        );
    }
    let _ = write!(s, "  script:\n    - {}", yaml_block(&script(roll), 6));
    s.push_str(&roll_artifacts);

    let refuse = format!(
        "echo {}\"$CI_COMMIT_REF_NAME\"{} >&2\nexit 1\n",
        shell(&format!(
            "KOPSFLOW_DRY_RUN=false rolls only on a main branch ({}); this pipeline is on ",
            roll_branches.join(", ")
        )),
        shell(", and nothing was rolled. Run the pipeline on a main branch.")
    );
    s.push_str("rolling-update-refused:\n  stage: rolling-update\n  rules:\n");
    for v in &roll_vars {
        let _ = writeln!(s, "    - if: $CI_COMMIT_BRANCH == {v}\n      when: never");
    }
    let _ = write!(
        s,
        "    - if: {ROLL_REQUESTED} && $KOPSFLOW_DRY_RUN == \"false\"\n  script:\n    - {}",
        yaml_block(&refuse, 6)
    );

    // drift
    let (pending, allow) = match s_.drift_found {
        DriftFound::Fail => (
            (OnPending::Exit2, "drift found: production differs from git"),
            "  # Exit 2 is drift found: a failed job and pipeline, which GitLab notifies about.\n",
        ),
        DriftFound::Warn => (
            (OnPending::Exit2, "drift found: production differs from git"),
            "  # Exit 2 is drift found: only a warning (drift_found: Warn), nobody is notified.\n  allow_failure:\n    exit_codes: [2]\n",
        ),
    };
    let mut drift = run_job(
        "drift",
        &["drift", "--all", "--detailed-exitcode"],
        "",
        &format!("{token_file}{}", read_last_deployed()),
        Some(pending),
    );
    drift.push_str(&keep_last_deployed());
    let _ = write!(
        s,
        concat!(
            "drift:\n",
            "  stage: drift\n",
            "  extends: .kopsflow-plan\n",
            "  timeout: {}m\n",
            "  rules:\n",
            "    - if: $CI_PIPELINE_SOURCE == \"schedule\"\n",
            "{}",
            "  script:\n",
            "    - {}",
        ),
        minutes(s_.timeouts.plan),
        allow,
        yaml_block(&script(drift), 6),
    );
    s.push_str(&artifacts(&[
        &format!("{CI_DIR}/drift.md"),
        DEPLOYED_COMMIT,
    ]));
    Ok(vec![GeneratedFile {
        path: ".gitlab-ci.yml".to_owned(),
        text: s,
    }])
}
