//! `Jenkinsfile`: `CI files`, `Install kops`, `Test ENV` for each environment (read-only
//! credentials), then `Deploy ENV` in wave order (deploy credentials, the environment's clusters
//! locked, its approval first when it asks for one), each skipped — its approval too — when its
//! environment has no cluster to deploy (`deploy --print --detailed-exitcode` in its `when`,
//! before the input). Stages run one after the other: a failed wave stops the later ones; a
//! skipped one does not.

use std::fmt::Write as _;

use super::super::script::{
    check_ci_files, deploy_args, pending_script, plan_args, run_job, OnPending,
};
use super::super::{Access, CiInput};
use super::{
    approval, archive, condition, groovy, groovy_script, install_stage, lock_name, locked,
    stage_environment, top, with_credentials,
};

pub fn main(input: &CiInput) -> anyhow::Result<String> {
    let s_ = &input.settings;
    let envs = u32::try_from(input.environments.len()).unwrap_or(u32::MAX);
    let timeout =
        (s_.timeouts.plan + s_.timeouts.deploy + s_.validate_after_deploy.unwrap_or_default())
            * envs;
    let mut s = top(
        input,
        "Test: `cargo xtask plan`, environment by environment (exit 2, changes pending, is not a failure).\n\
         Deploy: `cargo xtask deploy`, environment by environment in wave order.\n\
         A multibranch pipeline. Plugins: Pipeline, CloudBees AWS Credentials, Lockable Resources.",
        timeout,
        true,
    );
    s.push_str("    stages {\n");
    let test_when = condition(&input.test_when, 16)
        .map(|c| format!("            when {{\n{c}            }}\n"))
        .unwrap_or_default();
    // Stale CI files fail the build first, before kops is installed.
    let _ = write!(
        s,
        "        stage('CI files') {{\n{test_when}            steps {{\n                sh {}\n            }}\n        }}\n",
        groovy_script(&check_ci_files("jenkins", ""), 20)
    );
    s.push_str(&install_stage(input)?);
    for env in &input.environments {
        let _ = writeln!(
            s,
            "        stage({}) {{",
            groovy(&format!("Test {}", env.name()))
        );
        s.push_str(&test_when);
        s.push_str(&stage_environment(env, ""));
        let plan = run_job(
            &format!("plan-{}", env.name()),
            &plan_args(env.name()),
            "",
            "",
            Some((OnPending::Succeed, "changes pending")),
        );
        let body = format!("                    sh {}\n", groovy_script(&plan, 24));
        let _ = write!(
            s,
            "            steps {{\n{}            }}\n        }}\n",
            with_credentials(env, Access::ReadOnly, &body, 16)?
        );
    }

    let gate = condition(&input.deploy_when, 16)
        .unwrap_or_else(|| "                expression { true }\n".to_owned());
    for env in &input.environments {
        let _ = writeln!(
            s,
            "        // {}: {}.\n        stage({}) {{",
            env.name(),
            input.wave_note(env),
            groovy(&format!("Deploy {}", env.name()))
        );
        let _ = write!(
            s,
            "            when {{\n                beforeInput true\n{gate}{}            }}\n",
            pending(env.name())
        );
        s.push_str(&approval(
            env,
            &format!("Deploy the changed cluster specs of {}", env.name()),
            "Deploy",
        ));
        // The commit of this job's last successful build: what was deployed (empty: no record,
        // and deploy takes every cluster).
        s.push_str(&stage_environment(
            env,
            "                KOPSFLOW_LAST_DEPLOYED = \"${env.GIT_PREVIOUS_SUCCESSFUL_COMMIT ?: ''}\"\n",
        ));
        let mut args = deploy_args(s_.validate_after_deploy);
        args.insert(1, "--environment".to_owned());
        args.insert(2, env.name().to_owned());
        let deploy = run_job(
            &format!("deploy-{}", env.name()),
            &args,
            "",
            "",
            Some((
                OnPending::Succeed,
                "a rolling update is needed: run the rolling-update job",
            )),
        );
        let body = format!(
            "                        sh {}\n",
            groovy_script(&deploy, 28)
        );
        let credentials = with_credentials(env, Access::Deploy, &body, 20)?;
        let clusters: Vec<String> = env.clusters.iter().map(|c| lock_name(c)).collect();
        let _ = write!(
            s,
            "            steps {{\n{}            }}\n        }}\n",
            locked(input, &clusters, credentials, 16)
        );
    }
    s.push_str("    }\n");
    s.push_str(&archive());
    s.push_str("}\n");
    Ok(s)
}

/// The last condition of a `Deploy ENV` stage's `when` (at 16 spaces): `deploy --print
/// --detailed-exitcode` of the environment, with the record of the last successful deploy the
/// stage's own run reads (its `environment` is not set yet before the input): exit 2, a cluster
/// to deploy, runs the stage; exit 0 skips it and its approval; any other exit fails the build.
fn pending(env: &str) -> String {
    let script = pending_script(
        env,
        "export KOPSFLOW_LAST_DEPLOYED=\"${GIT_PREVIOUS_SUCCESSFUL_COMMIT:-}\"\n",
        "",
        "exit 2",
        &format!("echo '{env}: nothing to deploy, the stage is skipped'"),
    );
    format!(
        concat!(
            "                // Only when {env} has a cluster to deploy: else the stage, and its approval, is skipped.\n",
            "                expression {{\n",
            "                    int status = sh(returnStatus: true, script: {script})\n",
            "                    if (status != 0 && status != 2) {{\n",
            "                        error({error})\n",
            "                    }}\n",
            "                    return status == 2\n",
            "                }}\n",
        ),
        env = env,
        script = groovy_script(&script, 24),
        error = groovy(&format!("cargo xtask deploy --print --environment {env} failed")),
    )
}
