//! `kopsflow-rolling-update.yml`: started by hand with a cluster and `dry_run`; only the jobs of
//! the cluster's environment run: `preview-ENV` (read-only identity) or, from a main branch,
//! `roll-ENV` (deploy identity, behind the environment's approval); `dry_run` unticked elsewhere
//! is refused with the reason.

use std::fmt::Write as _;

use super::super::quote::{check_github, yaml_list};
use super::super::script::{rolling_update_args, run_job, OnPending, CLOUDONLY_VAR};
use super::super::{Access, CiInput};
use super::{
    approval, archive_step, cloud_only_env, holds_input_cluster, job_head, job_id, on_branches,
    refused_job, run_step, setup_steps, top, PRODUCTION_GROUP,
};

pub fn rolling_update(input: &CiInput) -> anyhow::Result<String> {
    let names: Vec<&str> = input.clusters.iter().map(|c| c.name.as_str()).collect();
    let branches = CiInput::exact_branches("Rolling update --yes", &input.roll_when)?;
    for b in &branches {
        check_github("main branch", b)?;
    }
    let mut s = top(
        input,
        "kopsflow rolling update",
        "Started by hand: a preview unless dry_run is unticked; rolls only from a main branch, with the identity of the cluster's environment.",
    );
    s.push_str(concat!(
        "on:\n",
        "  workflow_dispatch:\n",
        "    inputs:\n",
        "      cluster:\n",
        "        description: \"The cluster to roll\"\n",
        "        type: choice\n",
        "        required: true\n",
    ));
    let _ = writeln!(s, "        options: {}", yaml_list(&names));
    s.push_str(concat!(
        "      dry_run:\n",
        "        description: \"Preview only (untick to roll the instances: kops rolling-update cluster --yes)\"\n",
        "        type: boolean\n",
        "        default: true\n",
        "permissions: {}\n",
        "defaults:\n  run:\n    shell: bash\n",
        "jobs:\n",
    ));
    let cloud_only = cloud_only_env(input);
    let env_vars = [
        ("CLUSTER", "${{ inputs.cluster }}"),
        (CLOUDONLY_VAR, cloud_only.as_str()),
    ];
    for env in &input.environments {
        let _ = writeln!(
            s,
            "  {}:\n    if: ${{{{ inputs.dry_run && {} }}}}",
            job_id("preview", env),
            holds_input_cluster(env)
        );
        s.push_str(&job_head(
            input,
            input.settings.timeouts.plan,
            &[],
            &env_vars,
        ));
        s.push_str(&setup_steps(input, env, Access::ReadOnly)?);
        let preview = run_job(
            &format!("rolling-update-{}", env.name()),
            &rolling_update_args(env.name(), false),
            "--cluster \"$CLUSTER\"",
            "",
            Some((
                OnPending::Succeed,
                "::notice title=kopsflow rolling update::a rolling update is needed",
            )),
        );
        s.push_str(&run_step(
            "cargo xtask rolling-update (preview)",
            None,
            &[],
            &preview,
        ));
        s.push_str(&archive_step(&format!(
            "kopsflow-rolling-update-preview-{}",
            env.name()
        )));
    }

    // dry_run unticked outside a main branch: a failed run that says why, not a green one that
    // rolled nothing.
    let on_main = on_branches(&branches);
    s.push_str(&refused_job(
        input,
        &format!("!inputs.dry_run && !{on_main}"),
        "Refuse a roll outside the main branches",
        &format!(
            "::error title=kopsflow rolling update::dry_run=false rolls only from a main branch ({}); this run is on ",
            branches.join(", ")
        ),
        ", and nothing was rolled. Start the workflow from a main branch.",
    ));

    for env in &input.environments {
        let _ = writeln!(
            s,
            "  {}:\n    if: ${{{{ !inputs.dry_run && {on_main} && {} }}}}",
            job_id("roll", env),
            holds_input_cluster(env)
        );
        s.push_str(&approval(env));
        let _ = writeln!(
            s,
            "    concurrency:\n      group: {PRODUCTION_GROUP}\n      cancel-in-progress: false"
        );
        s.push_str(&job_head(
            input,
            input.settings.timeouts.rolling_update,
            &[],
            &env_vars,
        ));
        s.push_str(&setup_steps(input, env, Access::Deploy)?);
        let roll = run_job(
            &format!("rolling-update-{}", env.name()),
            &rolling_update_args(env.name(), true),
            "--cluster \"$CLUSTER\"",
            "",
            None,
        );
        s.push_str(&run_step(
            "cargo xtask rolling-update --yes",
            None,
            &[],
            &roll,
        ));
        s.push_str(&archive_step(&format!(
            "kopsflow-rolling-update-{}",
            env.name()
        )));
    }
    Ok(s)
}
