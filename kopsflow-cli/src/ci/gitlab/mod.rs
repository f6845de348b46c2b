//! GitLab CI: `.gitlab-ci.yml`, the three-stage flow of kops's own CI guide made safe, with one
//! job of each kind per environment, each with that environment's identity.
//!
//! - On merge requests: `ci-files` (`ci gitlab --check`: stale CI files fail the merge request),
//!   then `plan-ENV` (`plan --environment ENV`, read-only identity; exit 2, changes pending, is
//!   not a failure); each summary is an artifact exposed in the merge request.
//! - `deploy-ENV` on pushes to the main branches that change a spec (`deploy.rs`), wave after wave
//!   (`needs:`), under `resource_group: kopsflow-production`, with `KOPSFLOW_LAST_DEPLOYED` read
//!   back from the record the last successful pipeline of the branch kept as an artifact; where
//!   the environment asks for an approval, a manual job (`when: manual`, `allow_failure: false`:
//!   later waves wait for it) in the GitLab environment ENV, which a protected environment limits
//!   to its approvers.
//! - Rolling updates run in a pipeline started by hand (Run pipeline) with
//!   `KOPSFLOW_ROLL_CLUSTER` and `KOPSFLOW_DRY_RUN` (default `"true"`), `rolling_update.rs`: the
//!   jobs of the cluster's environment, `rolling-update-preview-ENV`, or with `"false"` on a main
//!   branch `rolling-update-ENV` (`--yes`), or elsewhere `rolling-update-refused`, which fails
//!   with the reason. Not manual jobs (except behind an approval): GitLab has no manual job that
//!   both leaves the pipeline unblocked and fails it when it fails (`allow_failure` is what makes
//!   a manual job non-blocking, and it turns a failure into a warning).
//! - `drift-ENV` in scheduled pipelines; drift found fails it unless the settings make it a
//!   warning.
//!
//! Branch and cluster names reach `rules` through variables declared with `expand: false`; names
//! GitLab would expand (`$`) are refused.

mod deploy;
mod rolling_update;

use std::fmt::Write as _;

use super::quote::{check_gitlab, yaml, yaml_block, yaml_list};
use super::script::{
    check_ci_files, drift_args, install_kops, plan_args, run_job, OnPending, CI_DIR, KOPS_BIN,
};
use super::{
    header, minutes, Access, AwsAuth, CiEnvironment, CiInput, DriftFound, Engine, GeneratedFile,
};
use kopsflow::pipeline::BranchCondition;

/// Serialises the deploys and the rolling updates (one job at a time across pipelines).
const PRODUCTION_GROUP: &str = "kopsflow-production";
/// The record of the last successful deploy (a commit), kept as an artifact.
const DEPLOYED_COMMIT: &str = "target/kopsflow-ci/deployed-commit";
/// A pipeline started by hand from Build → Pipelines → Run pipeline that asks for a roll.
const ROLL_REQUESTED: &str = "$CI_PIPELINE_SOURCE == \"web\" && $KOPSFLOW_ROLL_CLUSTER";

/// The names `rules` compare with, as variables (`expand: false`): the main branches
/// (`$KOPSFLOW_MAIN_BRANCH_N`) and the clusters (`$KOPSFLOW_CLUSTER_N`).
struct RuleNames {
    branches: Vec<String>,
    clusters: Vec<String>,
}

impl RuleNames {
    fn branch(&self, name: &str) -> String {
        let n = self.branches.iter().position(|x| x == name).unwrap_or(0) + 1;
        format!("$KOPSFLOW_MAIN_BRANCH_{n}")
    }

    fn cluster(&self, name: &str) -> String {
        let n = self.clusters.iter().position(|x| x == name).unwrap_or(0) + 1;
        format!("$KOPSFLOW_CLUSTER_{n}")
    }
}

/// The template of `env`'s jobs with the identity of `access`: `.kopsflow-ENV-read-only`,
/// `.kopsflow-ENV-deploy`.
fn template(env: &CiEnvironment, access: Access) -> String {
    format!(".kopsflow-{}-{}", env.name(), access.name())
}

/// A job's script: the shell script in a subshell (its `exit` ends the subshell, and GitLab sees
/// its status).
fn script(job: &str) -> String {
    format!("(\n{job})\n")
}

/// `artifacts:` kept whatever the job's outcome.
fn artifacts(files: &[&str]) -> String {
    format!(
        "  artifacts:\n    when: always\n    paths: [{}]\n",
        files.join(", ")
    )
}

/// `environment:` of a job of `env` (with `allow_failure: false` and the manual rules of
/// [`manual`]) when the environment asks for an approval.
fn approval(env: &CiEnvironment) -> String {
    if !env.environment.approval {
        return String::new();
    }
    format!(
        "  # {} asks for an approval: a manual job (someone allowed to deploy to the protected\n  # environment {} plays it); allow_failure: false holds the later jobs until it has passed.\n  environment:\n    name: {}\n  allow_failure: false\n",
        env.name(),
        env.name(),
        yaml(env.name())
    )
}

/// `when: manual` after each rule of a job of an environment that asks for an approval.
fn manual(env: &CiEnvironment) -> &'static str {
    if env.environment.approval {
        "      when: manual\n"
    } else {
        ""
    }
}

/// Writes the ID token where the AWS SDK reads it (OIDC); nothing with access keys.
fn token_file(input: &CiInput) -> &'static str {
    match input.settings.aws_auth {
        AwsAuth::OidcRole => {
            "printf '%s' \"$KOPSFLOW_ID_TOKEN\" > \"$AWS_WEB_IDENTITY_TOKEN_FILE\"\n"
        }
        AwsAuth::AccessKeys => "",
    }
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
    for env in &input.environments {
        check_gitlab("region", env.environment.region)?;
        for access in [Access::ReadOnly, Access::Deploy] {
            env.gitlab_variable(access)?;
        }
    }
    let deploy_branches = CiInput::exact_branches("Deploy", &input.deploy_when)?;
    let roll_branches = CiInput::exact_branches("Rolling update --yes", &input.roll_when)?;
    let mut branches: Vec<String> = Vec::new();
    for b in deploy_branches.iter().chain(&roll_branches) {
        if !branches.contains(b) {
            branches.push(b.clone());
        }
    }
    let names = RuleNames {
        branches,
        clusters: input.clusters.iter().map(|c| c.name.clone()).collect(),
    };

    let mut s = head(input, &names);
    let install = format!(
        "(\n{})\n",
        install_kops(&input.settings.kops, input.settings_file)?
    );
    templates(input, &install, &mut s)?;
    plan(input, &mut s);
    deploy::deploy(input, &names, &deploy_branches, &mut s);
    rolling_update::rolling_update(input, &names, &roll_branches, &mut s);
    drift(input, &mut s);
    Ok(vec![GeneratedFile {
        path: ".gitlab-ci.yml".to_owned(),
        text: s,
    }])
}

/// The header, `workflow`, `stages`, `variables` and `default`.
fn head(input: &CiInput, names: &RuleNames) -> String {
    let s_ = &input.settings;
    let mut s = format!("# {}\n", header(Engine::Gitlab, input));
    s.push_str(concat!(
        "# plan on merge requests; deploy on pushes to the main branches that change a spec, environment\n",
        "# by environment in wave order; rolling updates in a pipeline run by hand with KOPSFLOW_ROLL_CLUSTER\n",
        "# (a preview unless KOPSFLOW_DRY_RUN is \"false\");\n",
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
    for (n, b) in names.branches.iter().enumerate() {
        let _ = writeln!(
            s,
            "  KOPSFLOW_MAIN_BRANCH_{}:\n    value: {}\n    expand: false",
            n + 1,
            yaml(b)
        );
    }
    for (n, c) in names.clusters.iter().enumerate() {
        let _ = writeln!(
            s,
            "  KOPSFLOW_CLUSTER_{}:\n    value: {}\n    expand: false",
            n + 1,
            yaml(c)
        );
    }
    let _ = writeln!(s, "  KOPS: \"$CI_PROJECT_DIR/{KOPS_BIN}\"");
    s.push_str(concat!(
        "  CARGO_HOME: \"$CI_PROJECT_DIR/target/cargo-home\"\n",
        "  CARGO_TERM_COLOR: \"never\"\n",
        "  # The whole history: the changed-cluster selection needs the merge-base and the pushed range.\n",
        "  GIT_DEPTH: \"0\"\n",
    ));
    let _ = writeln!(
        s,
        "  # Rolling updates with kops --cloudonly (cloud_only in ci_settings); a CI/CD variable of\n  # the same name (Settings → CI/CD → Variables, true or false) overrides it.\n  {}: {}",
        super::script::CLOUDONLY_VAR,
        yaml(&s_.cloud_only.to_string())
    );
    let mut options = vec![String::new()];
    options.extend(names.clusters.iter().cloned());
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
    s
}

/// `.kopsflow` (kops installed before every job) and, per environment and identity,
/// `.kopsflow-ENV-read-only` and `.kopsflow-ENV-deploy`: its region and credentials.
fn templates(input: &CiInput, install: &str, s: &mut String) -> anyhow::Result<()> {
    let _ = write!(
        s,
        ".kopsflow:\n  before_script:\n    - {}",
        yaml_block(install, 6)
    );
    for env in &input.environments {
        for access in [Access::ReadOnly, Access::Deploy] {
            let _ = writeln!(
                s,
                "# The {} identity of {}.\n{}:\n  extends: .kopsflow",
                access.name(),
                env.name(),
                template(env, access)
            );
            let reference = env.gitlab_variable(access)?;
            let region = yaml(env.environment.region);
            match input.settings.aws_auth {
                AwsAuth::OidcRole => {
                    let _ = write!(
                        s,
                        concat!(
                            "  id_tokens:\n",
                            "    KOPSFLOW_ID_TOKEN:\n",
                            "      aud: \"sts.amazonaws.com\"\n",
                            "  variables:\n",
                            "    AWS_REGION: {}\n",
                            "    AWS_ROLE_ARN: \"${}\"\n",
                            "    AWS_WEB_IDENTITY_TOKEN_FILE: \"$CI_PROJECT_DIR/{}/oidc-token\"\n",
                            "  after_script:\n",
                            "    - rm -f \"$AWS_WEB_IDENTITY_TOKEN_FILE\"\n",
                        ),
                        region, reference, CI_DIR
                    );
                }
                AwsAuth::AccessKeys => {
                    let keys = AwsAuth::AccessKeys.secrets(reference);
                    let _ = write!(
                        s,
                        "  variables:\n    AWS_REGION: {region}\n    AWS_ACCESS_KEY_ID: \"${}\"\n    AWS_SECRET_ACCESS_KEY: \"${}\"\n",
                        keys[0], keys[1]
                    );
                }
            }
        }
    }
    Ok(())
}

/// `ci-files`, then `plan-ENV`, on merge requests.
fn plan(input: &CiInput, s: &mut String) {
    let mr = "  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n";
    // The stale-file check first, before kops is installed.
    let _ = write!(
        s,
        "ci-files:\n  stage: plan\n  timeout: {}m\n{mr}  script:\n    - {}",
        minutes(input.settings.timeouts.plan),
        yaml_block(&script(&check_ci_files("gitlab", "")), 6),
    );
    for env in &input.environments {
        let name = format!("plan-{}", env.name());
        let job = run_job(
            &name,
            &plan_args(env.name()),
            "",
            token_file(input),
            Some((OnPending::Succeed, "changes pending")),
        );
        let _ = write!(
            s,
            concat!(
                "{}:\n",
                "  stage: plan\n",
                "  extends: {}\n",
                "  needs: [ci-files]\n",
                "  timeout: {}m\n",
                "{}",
                "  script:\n",
                "    - {}",
                "  artifacts:\n",
                "    when: always\n",
                "    expose_as: {}\n",
                "    paths: [{}/{}.md]\n",
            ),
            name,
            template(env, Access::ReadOnly),
            minutes(input.settings.timeouts.plan),
            mr,
            yaml_block(&script(&job), 6),
            yaml(&format!("kopsflow plan {}", env.name())),
            CI_DIR,
            name,
        );
    }
}

/// `drift-ENV` in scheduled pipelines, each carrying the deploy record forward.
fn drift(input: &CiInput, s: &mut String) {
    let s_ = &input.settings;
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
    for env in &input.environments {
        let name = format!("drift-{}", env.name());
        let mut job = run_job(
            &name,
            &drift_args(env.name()),
            "",
            &format!("{}{}", token_file(input), deploy::read_last_deployed(input)),
            Some(pending),
        );
        job.push_str(&deploy::keep_last_deployed());
        let _ = write!(
            s,
            concat!(
                "{}:\n",
                "  stage: drift\n",
                "  extends: {}\n",
                "  timeout: {}m\n",
                "  rules:\n",
                "    - if: $CI_PIPELINE_SOURCE == \"schedule\"\n",
                "{}",
                "  script:\n",
                "    - {}",
            ),
            name,
            template(env, Access::ReadOnly),
            minutes(s_.timeouts.plan),
            allow,
            yaml_block(&script(&job), 6),
        );
        s.push_str(&artifacts(&[
            &format!("{CI_DIR}/{name}.md"),
            DEPLOYED_COMMIT,
        ]));
    }
}
