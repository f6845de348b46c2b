//! The deploy jobs of `.gitlab-ci.yml`: `deploy-ENV` per environment, wave after wave (`needs:`
//! the jobs of the wave before: a failure stops the later waves), each with its environment's
//! deploy identity; and the record of the last successful deploy (`deployed-commit`) that every
//! job of a main-branch pipeline reads and keeps.

use std::fmt::Write as _;

use super::super::script::{deploy_args, run_job, OnPending, AUDIT_LOG, CI_DIR};
use super::super::{minutes, Access, CiInput};
use super::{
    approval, artifacts, manual, script, template, token_file, yaml, yaml_block, RuleNames,
    DEPLOYED_COMMIT, PRODUCTION_GROUP,
};

/// The jobs of a main-branch pipeline that keep the record; the artifacts API looks in the
/// latest successful pipeline of the branch, whichever of them it ran.
fn record_keepers(input: &CiInput) -> Vec<String> {
    let mut jobs = Vec::new();
    for kind in [
        "deploy",
        "drift",
        "rolling-update",
        "rolling-update-preview",
    ] {
        for env in &input.environments {
            jobs.push(format!("{kind}-{}", env.name()));
        }
    }
    jobs
}

/// Reads `KOPSFLOW_LAST_DEPLOYED` back (empty when there is no record or the API refuses the
/// job token: then deploy takes every cluster, more, never less).
pub(super) fn read_last_deployed(input: &CiInput) -> String {
    let mut s = String::from(concat!(
        "# KOPSFLOW_LAST_DEPLOYED: the commit of the last successful deploy on this branch, from the\n",
        "# record the latest successful pipeline of the branch kept; empty: no record (deploy takes\n",
        "# every cluster: more, never less).\n",
        "KOPSFLOW_LAST_DEPLOYED=\n",
    ));
    let _ = writeln!(s, "for job in {}; do", record_keepers(input).join(" "));
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
pub(super) fn keep_last_deployed() -> String {
    format!(
        "if [ -n \"$KOPSFLOW_LAST_DEPLOYED\" ]; then printf '%s\\n' \"$KOPSFLOW_LAST_DEPLOYED\" > {DEPLOYED_COMMIT}; fi\n"
    )
}

/// `deploy-ENV` for every environment: every cluster of it whose spec changed since the last
/// successful deploy.
pub(super) fn deploy(input: &CiInput, names: &RuleNames, branches: &[String], s: &mut String) {
    let s_ = &input.settings;
    let deploy_minutes = minutes(s_.timeouts.deploy + s_.validate_after_deploy.unwrap_or_default());
    for env in &input.environments {
        let name = format!("deploy-{}", env.name());
        let mut args = deploy_args(s_.validate_after_deploy);
        args.insert(1, "--environment".to_owned());
        args.insert(2, env.name().to_owned());
        let mut job = run_job(
            &name,
            &args,
            "",
            &format!("{}{}", token_file(input), read_last_deployed(input)),
            Some((
                OnPending::Succeed,
                "a rolling update is needed: run a pipeline on this branch with KOPSFLOW_ROLL_CLUSTER (Build, Pipelines, Run pipeline)",
            )),
        );
        // Every wave's job keeps the record: a pipeline passes only when all of them did.
        let _ = writeln!(job, "printf '%s\\n' \"$CI_COMMIT_SHA\" > {DEPLOYED_COMMIT}");
        let _ = writeln!(
            s,
            "# {}: {}.\n{name}:\n  stage: deploy\n  extends: {}",
            env.name(),
            input.wave_note(env),
            template(env, Access::Deploy)
        );
        let previous = input.previous_wave(env);
        if !previous.is_empty() {
            // Their artifacts (summaries, audit log, record) are theirs: not downloaded here.
            let needs: Vec<String> = previous
                .iter()
                .map(|e| {
                    format!(
                        "{{job: {}, artifacts: false}}",
                        yaml(&format!("deploy-{}", e.name()))
                    )
                })
                .collect();
            let _ = writeln!(s, "  needs: [{}]", needs.join(", "));
        }
        let _ = writeln!(s, "  resource_group: {PRODUCTION_GROUP}");
        s.push_str(&approval(env));
        let _ = writeln!(s, "  timeout: {deploy_minutes}m\n  rules:");
        for b in branches {
            let _ = write!(
                s,
                "    - if: $CI_PIPELINE_SOURCE == \"push\" && $CI_COMMIT_BRANCH == {}\n      changes: [\"cluster-spec/**/*\"]\n{}",
                names.branch(b),
                manual(env)
            );
        }
        let _ = write!(s, "  script:\n    - {}", yaml_block(&script(&job), 6));
        s.push_str(&artifacts(&[
            &format!("{CI_DIR}/{name}.md"),
            AUDIT_LOG,
            DEPLOYED_COMMIT,
        ]));
    }
}
