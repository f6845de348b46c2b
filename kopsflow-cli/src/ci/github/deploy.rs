//! `kopsflow-deploy.yml`: one deploy job per environment, wave after wave (`needs:` the jobs of
//! the wave before, so a failure stops the later waves), each with its environment's deploy
//! identity, behind the GitHub environment's required reviewers where the environment asks for
//! an approval; the whole run one at a time, never cancelled in progress.

use std::fmt::Write as _;

use super::super::quote::{check_github, github_branch_filter, yaml_list};
use super::super::script::{deploy_args, run_job, OnPending, CLOUDONLY_VAR};
use super::super::{Access, CiInput};
use super::{
    approval, archive_step, cloud_only_env, job_head, job_id, needs, on_branches, refused_job,
    run_step, setup_steps, top, PRODUCTION_GROUP,
};

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
        s.push_str(&needs(&previous));
        let _ = writeln!(
            s,
            "    if: ${{{{ github.event_name == 'push' || {on_main} }}}}"
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
            "set --\nif [ -n \"${CLUSTER:-}\" ]; then set -- --cluster \"$CLUSTER\"; fi\n",
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
