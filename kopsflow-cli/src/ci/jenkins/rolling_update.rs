//! `Jenkinsfile.rolling-update`: started by hand with `CLUSTER` and `DRY_RUN`; the stages of the
//! cluster's environment run — `Preview ENV` (read-only credentials), or where the pipeline
//! allows `--yes` `Rolling update ENV` (the environment's approval, then the cluster's lock and
//! the deploy credentials); `DRY_RUN` unticked elsewhere fails the build with the reason.

use std::fmt::Write as _;

use super::super::script::{rolling_update_args, run_job, OnPending};
use super::super::CiInput;
use super::{
    approval, archive, condition, groovy, groovy_script, holds_cluster_param, install_stage,
    locked, stage_environment, top, with_credentials, Access,
};

pub fn rolling_update(input: &CiInput) -> anyhow::Result<String> {
    let mut s = top(
        input,
        "The rolling update, started by hand: CLUSTER, and DRY_RUN (default true: a preview), with the\n\
         credentials of the cluster's environment. Create it as a multibranch pipeline with script path\n\
         Jenkinsfile.rolling-update; roll from a main branch.",
        input.settings.timeouts.rolling_update,
        true,
    );
    let names: Vec<String> = input.clusters.iter().map(|c| groovy(&c.name)).collect();
    let _ = write!(
        s,
        concat!(
            "    parameters {{\n",
            "        choice(name: 'CLUSTER', choices: [{}], description: 'The cluster to roll')\n",
            "        booleanParam(name: 'DRY_RUN', defaultValue: true, description: 'Preview only; untick to roll the instances (kops rolling-update cluster --yes)')\n",
            "    }}\n",
            "    stages {{\n",
        ),
        names.join(", ")
    );
    s.push_str(&install_stage(input)?);
    for env in &input.environments {
        let preview = run_job(
            &format!("rolling-update-{}", env.name()),
            &rolling_update_args(env.name(), false),
            "--cluster \"$CLUSTER\"",
            "",
            Some((OnPending::Succeed, "a rolling update is needed")),
        );
        let body = format!("                    sh {}\n", groovy_script(&preview, 24));
        let _ = write!(
            s,
            concat!(
                "        stage({}) {{\n",
                "            when {{\n                expression {{ params.DRY_RUN != false && {} }}\n            }}\n",
                "{}",
                "            steps {{\n{}            }}\n",
                "        }}\n",
            ),
            groovy(&format!("Preview {}", env.name())),
            holds_cluster_param(env),
            stage_environment(env, ""),
            with_credentials(env, Access::ReadOnly, &body, 16)?
        );
    }
    // DRY_RUN unticked where the pipeline does not roll: a failed build that says why, not a
    // green one that rolled nothing.
    if let Some(elsewhere) = condition(&input.roll_when, 24) {
        let branches = CiInput::exact_branches("Rolling update --yes", &input.roll_when)
            .map(|b| b.join(", "))
            .unwrap_or_else(|_| input.roll_when.to_string());
        let _ = write!(
            s,
            concat!(
                "        stage('Refuse a roll here') {{\n",
                "            when {{\n",
                "                allOf {{\n",
                "                    expression {{ params.DRY_RUN == false }}\n",
                "                    not {{\n{}",
                "                    }}\n",
                "                }}\n",
                "            }}\n",
                "            steps {{\n",
                "                error({})\n",
                "            }}\n",
                "        }}\n",
            ),
            elsewhere,
            groovy(&format!(
                "DRY_RUN unticked rolls only on a main branch ({branches}): nothing was rolled. Build the job of a main branch."
            ))
        );
    }
    let gate = condition(&input.roll_when, 20).unwrap_or_default();
    for env in &input.environments {
        let _ = writeln!(
            s,
            "        stage({}) {{",
            groovy(&format!("Rolling update {}", env.name()))
        );
        let _ = write!(
            s,
            concat!(
                "            when {{\n",
                "                beforeInput true\n",
                "                allOf {{\n",
                "                    expression {{ params.DRY_RUN == false && {} }}\n",
                "{}",
                "                }}\n",
                "            }}\n",
            ),
            holds_cluster_param(env),
            gate
        );
        s.push_str(&approval(
            env,
            &format!("Roll the instances of the chosen cluster of {}", env.name()),
            "Roll",
        ));
        s.push_str(&stage_environment(env, ""));
        let roll = run_job(
            &format!("rolling-update-{}", env.name()),
            &rolling_update_args(env.name(), true),
            "--cluster \"$CLUSTER\"",
            "",
            None,
        );
        let body = format!("                        sh {}\n", groovy_script(&roll, 28));
        let credentials = with_credentials(env, Access::Deploy, &body, 20)?;
        let steps = locked(
            input,
            &["'kops-' + params.CLUSTER".to_owned()],
            credentials,
            16,
        );
        let _ = write!(
            s,
            "            steps {{\n{steps}            }}\n        }}\n"
        );
    }
    s.push_str("    }\n");
    s.push_str(&archive());
    s.push_str("}\n");
    Ok(s)
}
