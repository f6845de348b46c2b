//! Jenkins: declarative pipelines for multibranch projects.
//!
//! - `Jenkinsfile`: `CI files` (`ci jenkins --check`: stale CI files fail the build before kops
//!   is installed) and `Test` (`plan`) where the pipeline's Test stage runs, `Deploy` (`deploy`)
//!   where its Deploy stage runs (`when { branch … }` from the same `BranchCondition`), after an
//!   approval `input` when an approval environment is set, under a Lockable Resources lock of
//!   every cluster, with `KOPSFLOW_LAST_DEPLOYED` from `GIT_PREVIOUS_SUCCESSFUL_COMMIT`; summaries
//!   and the audit log archived.
//! - `Jenkinsfile.rolling-update`: the classic freestyle job, typed: `CLUSTER` (choice),
//!   `DRY_RUN` (default true); rolls only where the pipeline allows `--yes`, after approval,
//!   under that cluster's lock; `DRY_RUN` unticked elsewhere fails the build with the reason.
//! - `Jenkinsfile.drift`: `drift` on a cron trigger; drift found fails the build (UNSTABLE when
//!   the settings make it a warning).
//!
//! `KOPSFLOW_CLOUDONLY` (cloud-only rolling updates) is the Jenkins environment variable when
//! one is set (global or folder properties), else `ci_settings().cloud_only`.
//!
//! Strings are single-quoted Groovy (no interpolation); build parameters reach the shell as
//! environment variables.

use std::fmt::Write as _;

use kopsflow::pipeline::BranchCondition;

use super::quote::{groovy, groovy_script};
use super::script::{
    check_ci_files, deploy_args, install_kops, run_job, OnPending, AUDIT_LOG, CI_DIR,
    CLOUDONLY_VAR, KOPS_BIN,
};
use super::{header, minutes, CiInput, DriftFound, Engine, GeneratedFile, Identity};

pub fn files(input: &CiInput) -> anyhow::Result<Vec<GeneratedFile>> {
    Ok(vec![
        GeneratedFile {
            path: "Jenkinsfile".to_owned(),
            text: main(input)?,
        },
        GeneratedFile {
            path: "Jenkinsfile.rolling-update".to_owned(),
            text: rolling_update(input)?,
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
    let region = groovy(input.settings.aws.region);
    let _ = write!(
        s,
        concat!(
            "    environment {{\n",
            "        KOPS = \"${{env.WORKSPACE}}/{}\"\n",
            "        AWS_REGION = {}\n",
            "        AWS_DEFAULT_REGION = {}\n",
            "        CARGO_TERM_COLOR = 'never'\n",
        ),
        KOPS_BIN, region, region
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

/// `body` (lines at `indent + 4`) inside the AWS credentials of `identity`.
fn with_credentials(input: &CiInput, identity: Identity, body: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    format!(
        "{pad}withCredentials([aws(credentialsId: {}, accessKeyVariable: 'AWS_ACCESS_KEY_ID', secretKeyVariable: 'AWS_SECRET_ACCESS_KEY')]) {{\n{body}{pad}}}\n",
        groovy(input.settings.aws.jenkins.get(identity))
    )
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

/// The approval `input` of a stage, when an approval environment is set.
fn approval(input: &CiInput, message: &str, ok: &str) -> String {
    match input.settings.approval_environment {
        Some(env) => format!(
            "            input {{\n                message {}\n                ok {}\n            }}\n",
            groovy(&format!("{message}? (environment: {env})")),
            groovy(ok)
        ),
        None => String::new(),
    }
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

fn main(input: &CiInput) -> anyhow::Result<String> {
    let s_ = &input.settings;
    let timeout =
        s_.timeouts.plan + s_.timeouts.deploy + s_.validate_after_deploy.unwrap_or_default();
    let mut s = top(
        input,
        "Test: `cargo xtask plan` (exit 2, changes pending, is not a failure). Deploy: `cargo xtask deploy`.\n\
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
    s.push_str("        stage('Test') {\n");
    s.push_str(&test_when);
    let plan = run_job(
        "plan",
        &["plan", "--detailed-exitcode"],
        "",
        "",
        Some((OnPending::Succeed, "changes pending")),
    );
    let body = format!("                    sh {}\n", groovy_script(&plan, 24));
    let _ = write!(
        s,
        "            steps {{\n{}            }}\n        }}\n",
        with_credentials(input, Identity::Plan, &body, 16)
    );

    s.push_str("        stage('Deploy') {\n");
    let gate = condition(&input.deploy_when, 16)
        .unwrap_or_else(|| "                expression { true }\n".to_owned());
    let _ = write!(
        s,
        "            when {{\n                beforeInput true\n{gate}            }}\n"
    );
    s.push_str(&approval(
        input,
        "Deploy the changed cluster specs to production",
        "Deploy",
    ));
    // The commit of this job's last successful build: what was deployed (empty: no record, and
    // deploy takes every cluster).
    s.push_str("            environment {\n                KOPSFLOW_LAST_DEPLOYED = \"${env.GIT_PREVIOUS_SUCCESSFUL_COMMIT ?: ''}\"\n            }\n");
    let args = deploy_args(s_.validate_after_deploy);
    let deploy = run_job(
        "deploy",
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
    let credentials = with_credentials(input, Identity::Deploy, &body, 20);
    let every_cluster: Vec<String> = input.clusters.iter().map(|c| lock_name(&c.name)).collect();
    let _ = write!(
        s,
        "            steps {{\n{}            }}\n        }}\n    }}\n",
        locked(input, &every_cluster, credentials, 16)
    );
    s.push_str(&archive());
    s.push_str("}\n");
    Ok(s)
}

fn dedent(text: &str) -> String {
    text.lines()
        .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
        .collect()
}

fn rolling_update(input: &CiInput) -> anyhow::Result<String> {
    let mut s = top(
        input,
        "The rolling update, started by hand: CLUSTER, and DRY_RUN (default true: a preview).\n\
         Create it as a multibranch pipeline with script path Jenkinsfile.rolling-update; roll from a main branch.",
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
    let preview = run_job(
        "rolling-update",
        &["rolling-update", "--detailed-exitcode"],
        "--cluster \"$CLUSTER\"",
        "",
        Some((OnPending::Succeed, "a rolling update is needed")),
    );
    let body = format!("                    sh {}\n", groovy_script(&preview, 24));
    let _ = write!(
        s,
        concat!(
            "        stage('Preview') {{\n",
            "            when {{\n                expression {{ params.DRY_RUN != false }}\n            }}\n",
            "            steps {{\n{}            }}\n",
            "        }}\n",
        ),
        with_credentials(input, Identity::Plan, &body, 16)
    );
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
    s.push_str("        stage('Rolling update') {\n");
    let gate = condition(&input.roll_when, 20).unwrap_or_default();
    let _ = write!(
        s,
        concat!(
            "            when {{\n",
            "                beforeInput true\n",
            "                allOf {{\n",
            "                    expression {{ params.DRY_RUN == false }}\n",
            "{}",
            "                }}\n",
            "            }}\n",
        ),
        gate
    );
    s.push_str(&approval(
        input,
        "Roll the instances of the chosen cluster",
        "Roll",
    ));
    let roll = run_job(
        "rolling-update",
        &["rolling-update", "--yes"],
        "--cluster \"$CLUSTER\"",
        "",
        None,
    );
    let body = format!("                        sh {}\n", groovy_script(&roll, 28));
    let credentials = with_credentials(input, Identity::Deploy, &body, 20);
    let steps = locked(
        input,
        &["'kops-' + params.CLUSTER".to_owned()],
        credentials,
        16,
    );
    let _ = write!(
        s,
        "            steps {{\n{steps}            }}\n        }}\n    }}\n"
    );
    s.push_str(&archive());
    s.push_str("}\n");
    Ok(s)
}

fn drift(input: &CiInput) -> anyhow::Result<String> {
    let mut s = top(
        input,
        match input.settings.drift_found {
            DriftFound::Fail => {
                "Drift on a schedule (the controller's time zone): production compared with git.\n\
                Drift found fails the build, as does a failed check."
            }
            DriftFound::Warn => {
                "Drift on a schedule (the controller's time zone): production compared with git.\n\
                Drift found marks the build UNSTABLE (drift_found: Warn); a failed check fails it."
            }
        },
        input.settings.timeouts.plan,
        false,
    );
    let _ = writeln!(
        s,
        "    triggers {{\n        cron({})\n    }}\n    stages {{",
        groovy(input.settings.drift_schedule)
    );
    s.push_str(&install_stage(input)?);
    let job = run_job(
        "drift",
        &["drift", "--all", "--detailed-exitcode"],
        "",
        "",
        Some((OnPending::Exit2, "drift found: production differs from git")),
    );
    let body = format!(
        concat!(
            "                    script {{\n",
            "                        int status = sh(returnStatus: true, script: {})\n",
            "                        if (status == 2) {{\n",
            "                            {}('drift found: production differs from git (see drift.md)')\n",
            "                        }} else if (status != 0) {{\n",
            "                            error('cargo xtask drift failed')\n",
            "                        }}\n",
            "                    }}\n",
        ),
        groovy_script(&job, 28),
        match input.settings.drift_found {
            DriftFound::Fail => "error",
            DriftFound::Warn => "unstable",
        },
    );
    let _ = write!(
        s,
        "        stage('Drift') {{\n            steps {{\n{}            }}\n        }}\n    }}\n",
        with_credentials(input, Identity::Plan, &body, 16)
    );
    s.push_str(&archive());
    s.push_str("}\n");
    Ok(s)
}
