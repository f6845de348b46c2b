//! Jenkins: declarative pipelines for multibranch projects, with one stage per environment and
//! kind of job, each binding that environment's credentials.
//!
//! - `Jenkinsfile` (`jenkinsfile.rs`): `CI files` (`ci jenkins --check`: stale CI files fail the
//!   build before kops is installed), `Test ENV` (`plan --environment ENV`, read-only
//!   credentials) where the pipeline's Test stage runs, then `Deploy ENV` (`deploy --environment
//!   ENV`, deploy credentials) in wave order where its Deploy stage runs (`when { branch … }`
//!   from the same `BranchCondition`) and its environment has a cluster to deploy (`deploy --print
//!   --detailed-exitcode` in the same `when`, before the input), sequential, so a failed wave stops the later ones; an
//!   approval `input` in the stage of an environment that asks for one, before its lock and
//!   credentials; under a Lockable Resources lock of the environment's clusters, with
//!   `KOPSFLOW_LAST_DEPLOYED` from `GIT_PREVIOUS_SUCCESSFUL_COMMIT`; summaries and the audit log
//!   archived.
//! - `Jenkinsfile.rolling-update` (`rolling_update.rs`): the classic freestyle job, typed:
//!   `CLUSTER` (choice), `DRY_RUN` (default true); the stages of the cluster's environment run:
//!   a preview, or where the pipeline allows `--yes` the roll (after its approval), under that
//!   cluster's lock; `DRY_RUN` unticked elsewhere fails the build with the reason.
//! - `Jenkinsfile.drift`: `Drift ENV` on a cron trigger; drift found fails the build (UNSTABLE
//!   when the settings make it a warning), after every environment was checked.
//!
//! `KOPSFLOW_CLOUDONLY` (cloud-only rolling updates) is the Jenkins environment variable when
//! one is set (global or folder properties), else `ci_settings().cloud_only`.
//!
//! Strings are single-quoted Groovy (no interpolation); build parameters reach the shell as
//! environment variables.

mod jenkinsfile;
mod rolling_update;

use std::fmt::Write as _;

use kopsflow::pipeline::BranchCondition;

use super::quote::{groovy, groovy_script};
use super::script::{
    drift_args, install_kops, run_job, OnPending, AUDIT_LOG, CI_DIR, CLOUDONLY_VAR, KOPS_BIN,
};
use super::{header, minutes, Access, CiEnvironment, CiInput, DriftFound, Engine, GeneratedFile};

pub fn files(input: &CiInput) -> anyhow::Result<Vec<GeneratedFile>> {
    for env in &input.environments {
        for access in [Access::ReadOnly, Access::Deploy] {
            env.jenkins_credentials(access)?;
        }
    }
    Ok(vec![
        GeneratedFile {
            path: "Jenkinsfile".to_owned(),
            text: jenkinsfile::main(input)?,
        },
        GeneratedFile {
            path: "Jenkinsfile.rolling-update".to_owned(),
            text: rolling_update::rolling_update(input)?,
        },
        GeneratedFile {
            path: "Jenkinsfile.drift".to_owned(),
            text: drift(input)?,
        },
    ])
}

/// A `when` condition for a `BranchCondition`, at `indent`; `None` for `Always`. Exact names
/// compare with `EQUALS` (the default comparator is an Ant pattern), globs with `GLOB`.
fn condition(when: &BranchCondition, indent: usize) -> Option<String> {
    let pad = " ".repeat(indent);
    Some(match when {
        BranchCondition::Always => return None,
        BranchCondition::Exact(name) => {
            format!(
                "{pad}branch pattern: {}, comparator: 'EQUALS'\n",
                groovy(name)
            )
        }
        BranchCondition::Glob(pattern) => {
            format!(
                "{pad}branch pattern: {}, comparator: 'GLOB'\n",
                groovy(pattern)
            )
        }
        BranchCondition::Not(inner) => {
            let inner = condition(inner, indent + 4)
                .unwrap_or_else(|| format!("{pad}    expression {{ true }}\n"));
            format!("{pad}not {{\n{inner}{pad}}}\n")
        }
        BranchCondition::AnyOf(all) => {
            if all.iter().any(|c| matches!(c, BranchCondition::Always)) {
                return None;
            }
            if all.is_empty() {
                return Some(format!("{pad}expression {{ false }}\n"));
            }
            let inner: String = all
                .iter()
                .filter_map(|c| condition(c, indent + 4))
                .collect();
            format!("{pad}anyOf {{\n{inner}{pad}}}\n")
        }
    })
}

/// The head of a pipeline; `cloud_only`: its environment carries `KOPSFLOW_CLOUDONLY`.
fn top(input: &CiInput, about: &str, timeout: std::time::Duration, cloud_only: bool) -> String {
    let mut s = format!("// {}\n", header(Engine::Jenkins, input));
    for line in about.lines() {
        let _ = writeln!(s, "// {line}");
    }
    s.push_str("pipeline {\n");
    match input.settings.runners.jenkins_label {
        Some(label) => {
            let _ = writeln!(s, "    agent {{ label {} }}", groovy(label));
        }
        None => s.push_str("    agent any\n"),
    }
    let _ = write!(
        s,
        "    options {{\n        disableConcurrentBuilds()\n        timeout(time: {}, unit: 'MINUTES')\n    }}\n",
        minutes(timeout)
    );
    let _ = write!(
        s,
        concat!(
            "    environment {{\n",
            "        KOPS = \"${{env.WORKSPACE}}/{}\"\n",
            "        CARGO_TERM_COLOR = 'never'\n",
        ),
        KOPS_BIN
    );
    if cloud_only {
        let _ = writeln!(
            s,
            "        // Cloud-only rolling updates: the Jenkins environment's {CLOUDONLY_VAR} (true or false) when set, else ci_settings.\n        {CLOUDONLY_VAR} = \"${{env.{CLOUDONLY_VAR} ?: '{}'}}\"",
            input.settings.cloud_only
        );
    }
    s.push_str("    }\n");
    s
}

fn install_stage(input: &CiInput) -> anyhow::Result<String> {
    Ok(format!(
        "        stage('Install kops') {{\n            steps {{\n                sh {}\n            }}\n        }}\n",
        groovy_script(&install_kops(&input.settings.kops, input.settings_file)?, 20)
    ))
}

/// The `environment` block of a stage of `env`: its region, and `extra` lines (at 16 spaces).
fn stage_environment(env: &CiEnvironment, extra: &str) -> String {
    let region = groovy(env.environment.region);
    format!(
        "            environment {{\n                AWS_REGION = {region}\n                AWS_DEFAULT_REGION = {region}\n{extra}            }}\n"
    )
}

/// `body` (lines at `indent + 4`) inside the AWS credentials of `env`'s identity of `access`.
fn with_credentials(
    env: &CiEnvironment,
    access: Access,
    body: &str,
    indent: usize,
) -> anyhow::Result<String> {
    let pad = " ".repeat(indent);
    Ok(format!(
        "{pad}// The {} identity of {}.\n{pad}withCredentials([aws(credentialsId: {}, accessKeyVariable: 'AWS_ACCESS_KEY_ID', secretKeyVariable: 'AWS_SECRET_ACCESS_KEY')]) {{\n{body}{pad}}}\n",
        access.name(),
        env.name(),
        groovy(env.jenkins_credentials(access)?)
    ))
}

/// `body` (written at `indent + 4`) under the Lockable Resources lock of `resources` (Groovy
/// expressions); without the plugin, `body` moved to `indent`.
fn locked(input: &CiInput, resources: &[String], body: String, indent: usize) -> String {
    if !input.settings.jenkins_lockable_resources || resources.is_empty() {
        return dedent(&body);
    }
    let pad = " ".repeat(indent);
    let extra: Vec<String> = resources[1..]
        .iter()
        .map(|r| format!("[resource: {r}]"))
        .collect();
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(", extra: [{}]", extra.join(", "))
    };
    format!(
        "{pad}lock(resource: {}{extra}) {{\n{body}{pad}}}\n",
        resources[0]
    )
}

/// The approval `input` of a stage of `env`, when the environment asks for one: evaluated
/// before the stage's lock and credentials.
fn approval(env: &CiEnvironment, message: &str, ok: &str) -> String {
    if !env.environment.approval {
        return String::new();
    }
    format!(
        "            input {{\n                message {}\n                ok {}\n            }}\n",
        groovy(&format!("{message}? (environment: {})", env.name())),
        groovy(ok)
    )
}

/// `params.CLUSTER` is one of `env`'s clusters, as a Groovy expression.
fn holds_cluster_param(env: &CiEnvironment) -> String {
    let names: Vec<String> = env.clusters.iter().map(|c| groovy(c)).collect();
    format!("[{}].contains(params.CLUSTER)", names.join(", "))
}

fn archive() -> String {
    format!(
        "    post {{\n        always {{\n            archiveArtifacts(artifacts: {}, allowEmptyArchive: true)\n        }}\n    }}\n",
        groovy(&format!("{CI_DIR}/*.md, {AUDIT_LOG}"))
    )
}

fn lock_name(cluster: &str) -> String {
    groovy(&format!("kops-{cluster}"))
}

fn dedent(text: &str) -> String {
    text.lines()
        .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
        .collect()
}

fn drift(input: &CiInput) -> anyhow::Result<String> {
    let envs = u32::try_from(input.environments.len()).unwrap_or(u32::MAX);
    let mut s = top(
        input,
        match input.settings.drift_found {
            DriftFound::Fail => {
                "Drift on a schedule (the controller's time zone): production compared with git, environment by\n\
                environment. Drift found fails the build, as does a failed check, once every environment was checked."
            }
            DriftFound::Warn => {
                "Drift on a schedule (the controller's time zone): production compared with git, environment by\n\
                environment. Drift found marks the build UNSTABLE (drift_found: Warn); a failed check fails it."
            }
        },
        input.settings.timeouts.plan * envs,
        false,
    );
    let _ = writeln!(
        s,
        "    triggers {{\n        cron({})\n    }}\n    stages {{",
        groovy(input.settings.drift_schedule)
    );
    s.push_str(&install_stage(input)?);
    for env in &input.environments {
        let name = format!("drift-{}", env.name());
        let job = run_job(
            &name,
            &drift_args(env.name()),
            "",
            "",
            Some((OnPending::Exit2, "drift found: production differs from git")),
        );
        // catchError: a failed environment fails the stage and the build, and the next
        // environments are still checked.
        let body = format!(
            concat!(
                "                        catchError(buildResult: 'FAILURE', stageResult: 'FAILURE') {{\n",
                "                            int status = sh(returnStatus: true, script: {})\n",
                "                            if (status == 2) {{\n",
                "                                {}({})\n",
                "                            }} else if (status != 0) {{\n",
                "                                error('cargo xtask drift failed')\n",
                "                            }}\n",
                "                        }}\n",
            ),
            groovy_script(&job, 32),
            match input.settings.drift_found {
                DriftFound::Fail => "error",
                DriftFound::Warn => "unstable",
            },
            groovy(&format!(
                "drift found: production differs from git (see {name}.md)"
            )),
        );
        let _ = write!(
            s,
            "        stage({}) {{\n{}            steps {{\n                script {{\n{}                }}\n            }}\n        }}\n",
            groovy(&format!("Drift {}", env.name())),
            stage_environment(env, ""),
            with_credentials(env, Access::ReadOnly, &body, 20)?
        );
    }
    s.push_str("    }\n");
    s.push_str(&archive());
    s.push_str("}\n");
    Ok(s)
}
