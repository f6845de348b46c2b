//! `kopsflow-deploy.yml`: `pending` first (which environments have a cluster to deploy: `deploy
//! --print --detailed-exitcode`, no cloud identity), then one deploy job per environment that
//! has one, wave after wave (`needs:` the jobs of the wave before, so a failure stops the later
//! waves, while a wave skipped for having nothing to deploy does not), each with its
//! environment's deploy identity, behind the GitHub environment's required reviewers where the
//! environment asks for an approval — asked only when there is something to deploy; the whole
//! run one at a time, never cancelled in progress.

use std::fmt::Write as _;

use super::super::quote::{check_github, github_branch_filter, yaml_list};
use super::super::script::{deploy_args, pending_script, run_job, OnPending, CLOUDONLY_VAR};
use super::super::{minutes, Access, CiInput};
use super::{
    approval, archive_step, checkout_steps, cloud_only_env, job_head, job_id, needs, on_branches,
    refused_job, run_step, run_step_with_id, runs_on, setup_steps, top, PRODUCTION_GROUP,
};

/// The job that tells which environments have a cluster to deploy.
const PENDING_JOB: &str = "pending";

/// Chooses the clusters of the `workflow_dispatch` input, when given (as the deploy jobs do).
const CLUSTER_INPUT: &str =
    "set --\nif [ -n \"${CLUSTER:-}\" ]; then set -- --cluster \"$CLUSTER\"; fi\n";

/// The deploy workflow's file name: the last successful run of it is read back by the next.
const DEPLOY_WORKFLOW: &str = "kopsflow-deploy.yml";

/// `KOPSFLOW_LAST_DEPLOYED` from the deploy workflow's last successful run on this branch
/// (empty when there is none or the API fails: then every cluster is deployed, more, never less).
/// A run succeeds only when every wave did, so each wave's job reads the same record.
fn last_deployed_step() -> String {
    let script = format!(
        concat!(
            "#!/usr/bin/env bash\n",
            "set -euo pipefail\n",
            "# The commit of this workflow's last successful run on the branch; empty: no record, and\n",
            "# deploy then takes every cluster (more, never less).\n",
            "if ! sha=\"$(gh api --method GET \"repos/$GITHUB_REPOSITORY/actions/workflows/{}/runs\" -f branch=\"$GITHUB_REF_NAME\" -f event=push -f status=success -f per_page=1 --jq '.workflow_runs[0].head_sha // \"\"')\"; then\n",
            "  echo \"::warning title=kopsflow deploy::cannot read the last successful deploy: deploying every cluster\"\n",
            "  sha=\n",
            "fi\n",
            "if ! printf '%s\\n' \"$sha\" | grep -Eqx '[0-9a-f]{{40}}'; then\n",
            "  sha=\n",
            "fi\n",
            "echo \"last successful deploy: ${{sha:-none}}\"\n",
            "echo \"KOPSFLOW_LAST_DEPLOYED=$sha\" >> \"$GITHUB_ENV\"\n",
        ),
        DEPLOY_WORKFLOW
    );
    super::run_step(
        "The last successful deploy on this branch (KOPSFLOW_LAST_DEPLOYED)",
        None,
        &[("GH_TOKEN", "${{ github.token }}")],
        &script,
    )
}

pub fn deploy(input: &CiInput) -> anyhow::Result<String> {
    let branches = CiInput::exact_branches("Deploy", &input.deploy_when)?;
    for b in &branches {
        check_github("main branch", b)?;
    }
    let filters: Vec<String> = branches.iter().map(|b| github_branch_filter(b)).collect();
    let mut s = top(
        input,
        "kopsflow deploy",
        "Deploy on pushes to the main branches that change a cluster spec, environment by environment in wave order; one run at a time.",
    );
    s.push_str("on:\n  push:\n");
    let _ = writeln!(s, "    branches: {}", yaml_list(&filters));
    s.push_str("    paths: [\"cluster-spec/**\"]\n");
    s.push_str(concat!(
        "  # By hand: one cluster whatever changed (e.g. after a deploy was cancelled while queued);\n",
        "  # the jobs of the other environments select nothing.\n",
        "  workflow_dispatch:\n",
        "    inputs:\n",
        "      cluster:\n",
        "        description: \"Deploy this cluster (its spec file stem); empty: the clusters whose spec changed\"\n",
        "        type: string\n",
        "        required: false\n",
        "permissions: {}\n",
        "defaults:\n  run:\n    shell: bash\n",
        "concurrency:\n",
    ));
    let _ = writeln!(s, "  group: {PRODUCTION_GROUP}");
    s.push_str("  cancel-in-progress: false\njobs:\n");
    // Started by hand outside the main branches: refused with the reason (the deploy would
    // skip its stage: a green run that deployed nothing).
    let on_main = on_branches(&branches);
    s.push_str(&refused_job(
        input,
        &format!("github.event_name != 'push' && !{on_main}"),
        "Refuse a deploy outside the main branches",
        &format!(
            "::error title=kopsflow deploy::deploy runs only from a main branch ({}); this run is on ",
            branches.join(", ")
        ),
        ", and nothing was deployed. Start the workflow from a main branch.",
    ));
    s.push_str(&pending_job(input, &on_main));
    let cloud_only = cloud_only_env(input);
    let timeout =
        input.settings.timeouts.deploy + input.settings.validate_after_deploy.unwrap_or_default();
    for env in &input.environments {
        let _ = writeln!(
            s,
            "  {}:\n    # {}: {}.",
            job_id("deploy", env),
            env.name(),
            input.wave_note(env)
        );
        let previous: Vec<String> = input
            .previous_wave(env)
            .into_iter()
            .map(|e| job_id("deploy", e))
            .collect();
        let mut after = vec![PENDING_JOB.to_owned()];
        after.extend(previous);
        s.push_str(&needs(&after));
        // A wave skipped for having nothing to deploy lets the later waves run; a failed or
        // cancelled one stops them (`failure()` counts every job this one needs, transitively).
        let _ = writeln!(
            s,
            "    if: ${{{{ !cancelled() && !failure() && needs.{PENDING_JOB}.outputs.{} == 'true' && (github.event_name == 'push' || {on_main}) }}}}",
            job_id("deploy", env)
        );
        s.push_str(&approval(env));
        s.push_str(&job_head(
            input,
            timeout,
            &["actions: read"],
            &[
                ("GITHUB_EVENT_BEFORE", "${{ github.event.before }}"),
                (CLOUDONLY_VAR, &cloud_only),
            ],
        ));
        s.push_str(&setup_steps(input, env, Access::Deploy)?);
        s.push_str(&last_deployed_step());
        let mut args = deploy_args(input.settings.validate_after_deploy);
        args.insert(1, "--environment".to_owned());
        args.insert(2, env.name().to_owned());
        let name = format!("deploy-{}", env.name());
        let job = run_job(
            &name,
            &args,
            "\"$@\"",
            CLUSTER_INPUT,
            Some((
                OnPending::Succeed,
                "::warning title=kopsflow deploy::a rolling update is needed: run the kopsflow rolling-update workflow",
            )),
        );
        let step = if input.settings.validate_after_deploy.is_some() {
            format!(
                "cargo xtask deploy --environment {} (and validate)",
                env.name()
            )
        } else {
            format!("cargo xtask deploy --environment {}", env.name())
        };
        s.push_str(&run_step(
            &step,
            None,
            &[("CLUSTER", "${{ inputs.cluster }}")],
            &job,
        ));
        s.push_str(&archive_step(&format!("kopsflow-{name}")));
    }
    Ok(s)
}

/// `pending`: for each environment, whether its deploy job has a cluster to deploy (`deploy
/// --print --detailed-exitcode`, with the same record of the last successful deploy, pushed
/// range and `cluster` input as the deploy jobs), as the job output `deploy-ENV` (`true` or
/// `false`). No kops and no cloud identity: the GitHub environment (and its approval) of a deploy
/// job is only reached when there is something to deploy.
fn pending_job(input: &CiInput, on_main: &str) -> String {
    let mut s = format!(
        concat!(
            "  {}:\n",
            "    # Which environments have a cluster to deploy (no cloud identity): each deploy job,\n",
            "    # and its approval, runs only when its environment has one.\n",
            "    if: ${{{{ github.event_name == 'push' || {} }}}}\n",
        ),
        PENDING_JOB, on_main
    );
    s.push_str(&runs_on(input));
    let _ = writeln!(
        s,
        "    timeout-minutes: {}",
        minutes(input.settings.timeouts.plan)
    );
    s.push_str(concat!(
        "    permissions:\n      contents: read\n      actions: read\n",
        "    env:\n      CARGO_TERM_COLOR: never\n",
        "      GITHUB_EVENT_BEFORE: ${{ github.event.before }}\n",
        "    outputs:\n",
    ));
    for env in &input.environments {
        let id = job_id("deploy", env);
        let _ = writeln!(
            s,
            "      {id}: ${{{{ steps.pending-{}.outputs.deploy }}}}",
            env.name()
        );
    }
    s.push_str(&checkout_steps());
    s.push_str(&last_deployed_step());
    for env in &input.environments {
        let name = env.name();
        let script = pending_script(
            name,
            CLUSTER_INPUT,
            "\"$@\"",
            &format!("echo 'deploy=true' >> \"$GITHUB_OUTPUT\"; echo '{name}: a cluster to deploy'"),
            &format!("echo 'deploy=false' >> \"$GITHUB_OUTPUT\"; echo '{name}: nothing to deploy, its job is skipped'"),
        );
        s.push_str(&run_step_with_id(
            &format!("cargo xtask deploy --print --detailed-exitcode --environment {name}"),
            Some(&format!("pending-{name}")),
            None,
            &[("CLUSTER", "${{ inputs.cluster }}")],
            &script,
        ));
    }
    s
}
