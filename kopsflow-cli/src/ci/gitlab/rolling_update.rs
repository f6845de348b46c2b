//! The rolling-update jobs of `.gitlab-ci.yml`, in a pipeline run by hand with
//! `KOPSFLOW_ROLL_CLUSTER`: only the jobs of that cluster's environment match their rules —
//! `rolling-update-preview-ENV` (read-only identity) or, with `KOPSFLOW_DRY_RUN` `"false"` on a
//! main branch, `rolling-update-ENV` (deploy identity, behind the environment's approval); off
//! the main branches `rolling-update-refused` fails with the reason.

use std::fmt::Write as _;

use super::super::quote::shell;
use super::super::script::{rolling_update_args, run_job, OnPending, AUDIT_LOG, CI_DIR};
use super::super::{minutes, Access, CiInput};
use super::deploy::{keep_last_deployed, read_last_deployed};
use super::{
    approval, artifacts, manual, script, template, token_file, yaml_block, RuleNames,
    DEPLOYED_COMMIT, PRODUCTION_GROUP, ROLL_REQUESTED,
};

pub(super) fn rolling_update(
    input: &CiInput,
    names: &RuleNames,
    branches: &[String],
    s: &mut String,
) {
    let s_ = &input.settings;
    for env in &input.environments {
        let name = format!("rolling-update-{}", env.name());
        let roll_artifacts =
            artifacts(&[&format!("{CI_DIR}/{name}.md"), AUDIT_LOG, DEPLOYED_COMMIT]);
        let prelude = format!("{}{}", token_file(input), read_last_deployed(input));
        let mut preview = run_job(
            &name,
            &rolling_update_args(env.name(), false),
            "--cluster \"$KOPSFLOW_ROLL_CLUSTER\"",
            &prelude,
            Some((OnPending::Succeed, "a rolling update is needed")),
        );
        preview.push_str(&keep_last_deployed());
        let _ = write!(
            s,
            "rolling-update-preview-{}:\n  stage: rolling-update\n  extends: {}\n  timeout: {}m\n  rules:\n",
            env.name(),
            template(env, Access::ReadOnly),
            minutes(s_.timeouts.plan),
        );
        for cluster in &env.clusters {
            let _ = writeln!(
                s,
                "    - if: {ROLL_REQUESTED} && $KOPSFLOW_DRY_RUN != \"false\" && $KOPSFLOW_ROLL_CLUSTER == {}",
                names.cluster(cluster)
            );
        }
        let _ = write!(s, "  script:\n    - {}", yaml_block(&script(&preview), 6));
        s.push_str(&roll_artifacts);

        let mut roll = run_job(
            &name,
            &rolling_update_args(env.name(), true),
            "--cluster \"$KOPSFLOW_ROLL_CLUSTER\"",
            &prelude,
            None,
        );
        roll.push_str(&keep_last_deployed());
        let _ = writeln!(
            s,
            "{name}:\n  stage: rolling-update\n  extends: {}\n  resource_group: {PRODUCTION_GROUP}",
            template(env, Access::Deploy)
        );
        s.push_str(&approval(env));
        let _ = writeln!(
            s,
            "  timeout: {}m\n  rules:",
            minutes(s_.timeouts.rolling_update)
        );
        for b in branches {
            for cluster in &env.clusters {
                let _ = write!(
                    s,
                    "    - if: {ROLL_REQUESTED} && $KOPSFLOW_DRY_RUN == \"false\" && $CI_COMMIT_BRANCH == {} && $KOPSFLOW_ROLL_CLUSTER == {}\n{}",
                    names.branch(b),
                    names.cluster(cluster),
                    manual(env)
                );
            }
        }
        let _ = write!(s, "  script:\n    - {}", yaml_block(&script(&roll), 6));
        s.push_str(&roll_artifacts);
    }

    let refuse = format!(
        "echo {}\"$CI_COMMIT_REF_NAME\"{} >&2\nexit 1\n",
        shell(&format!(
            "KOPSFLOW_DRY_RUN=false rolls only on a main branch ({}); this pipeline is on ",
            branches.join(", ")
        )),
        shell(", and nothing was rolled. Run the pipeline on a main branch.")
    );
    s.push_str("rolling-update-refused:\n  stage: rolling-update\n  rules:\n");
    for b in branches {
        let _ = writeln!(
            s,
            "    - if: $CI_COMMIT_BRANCH == {}\n      when: never",
            names.branch(b)
        );
    }
    let _ = write!(
        s,
        "    - if: {ROLL_REQUESTED} && $KOPSFLOW_DRY_RUN == \"false\"\n  script:\n    - {}",
        yaml_block(&refuse, 6)
    );
}
