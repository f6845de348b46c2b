//! `kopsflow-plan.yml` (the stale-file check, one read-only plan job per environment, and one PR
//! comment that gathers their summaries) and `kopsflow-drift.yml` (one read-only drift job per
//! environment).

use std::fmt::Write as _;

use super::super::script::{check_ci_files, drift_args, plan_args, run_job, OnPending};
use super::super::{minutes, Access, CiInput, DriftFound};
use super::{
    archive_step, checkout_steps, job_head, job_id, needs, run_step, run_step_with_id, runs_on,
    setup_steps, top, yaml, DEFAULTS,
};

/// The plan jobs run only for pull requests from this repository: forks get no credentials.
const SAME_REPOSITORY: &str = "github.event.pull_request.head.repo.full_name == github.repository";

pub fn plan(input: &CiInput) -> anyhow::Result<String> {
    let mut s = top(
        input,
        "kopsflow plan",
        "Plan on pull requests, environment by environment: what kops would change, as a PR comment updated on every push.",
    );
    s.push_str("on:\n  pull_request:\n");
    s.push_str("permissions: {}\n");
    s.push_str(DEFAULTS);
    s.push_str(concat!(
        "concurrency:\n",
        "  group: kopsflow-plan-${{ github.event.pull_request.number }}\n",
        "  cancel-in-progress: true\n",
        "jobs:\n",
        "  ci-files:\n",
        "    # Pull requests from forks get no credentials: plan them from a branch of this repository.\n",
    ));
    let _ = writeln!(s, "    if: {SAME_REPOSITORY}");
    s.push_str(&runs_on(input));
    let _ = writeln!(
        s,
        "    timeout-minutes: {}",
        minutes(input.settings.timeouts.plan)
    );
    s.push_str("    permissions:\n      contents: read\n    env:\n      CARGO_TERM_COLOR: never\n");
    s.push_str(&checkout_steps());
    s.push_str(&run_step(
        "The committed CI files are up to date (cargo xtask ci github --check)",
        None,
        &[],
        &check_ci_files("github", "::error title=kopsflow::"),
    ));

    let mut plan_jobs = Vec::new();
    for env in &input.environments {
        let id = job_id("plan", env);
        let summary = format!("plan-{}", env.name());
        let _ = writeln!(s, "  {id}:");
        s.push_str(&needs(&["ci-files".to_owned()]));
        s.push_str(&job_head(input, input.settings.timeouts.plan, &[], &[]));
        s.push_str("    outputs:\n      summary: ${{ steps.summary.outputs.summary }}\n");
        s.push_str(&setup_steps(input, env, Access::ReadOnly)?);
        let job = run_job(
            &summary,
            &plan_args(env.name()),
            "",
            "",
            Some((
                OnPending::Succeed,
                "::notice title=kopsflow plan::changes pending (see the PR comment)",
            )),
        );
        s.push_str(&run_step(
            &format!("cargo xtask plan --environment {}", env.name()),
            None,
            &[],
            &job,
        ));
        s.push_str(&run_step_with_id(
            "The summary, for the PR comment",
            Some("summary"),
            Some("${{ !cancelled() }}"),
            &[],
            &summary_output(&summary),
        ));
        plan_jobs.push(id);
    }
    s.push_str(&comment_job(input, &plan_jobs));
    Ok(s)
}

/// The job's summary as its output `summary` (the PR comment's job reads it), with a random
/// heredoc delimiter no summary can end early.
fn summary_output(name: &str) -> String {
    format!(
        concat!(
            "#!/usr/bin/env bash\n",
            "set -euo pipefail\n",
            "summary=target/kopsflow-ci/{}.md\n",
            "delimiter=\"kopsflow-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \\n')\"\n",
            "{{\n",
            "  echo \"summary<<$delimiter\"\n",
            "  if [ -s \"$summary\" ]; then head -c 60000 \"$summary\"; echo; fi\n",
            "  echo \"$delimiter\"\n",
            "}} >> \"$GITHUB_OUTPUT\"\n",
        ),
        name
    )
}

/// One PR comment with every environment's plan summary, found by its marker and updated on
/// every push; left as it is when no plan left a summary (a stale CI file, say).
fn comment_job(input: &CiInput, plan_jobs: &[String]) -> String {
    let mut s = String::from("  comment:\n");
    s.push_str(&needs(plan_jobs));
    let _ = writeln!(s, "    if: ${{{{ !cancelled() && {SAME_REPOSITORY} }}}}");
    s.push_str(&runs_on(input));
    s.push_str(
        "    timeout-minutes: 5\n    permissions:\n      pull-requests: write\n    steps:\n",
    );
    let mut step_env: Vec<(String, String)> = vec![
        ("GH_TOKEN".into(), "${{ github.token }}".into()),
        (
            "PR_NUMBER".into(),
            "${{ github.event.pull_request.number }}".into(),
        ),
    ];
    // Each environment's summary starts with its own `## kopsflow plan — <branch>` heading.
    let mut script = String::from(concat!(
        "#!/usr/bin/env bash\n",
        "set -euo pipefail\n",
        "plans=\"$(mktemp)\"\n",
        "body=\"$(mktemp)\"\n",
        "{\n",
    ));
    for (n, (id, env)) in plan_jobs.iter().zip(&input.environments).enumerate() {
        let var = format!("PLAN_{}", n + 1);
        step_env.push((
            var.clone(),
            format!("${{{{ needs.{id}.outputs.summary }}}}"),
        ));
        let _ = writeln!(
            script,
            "  if [ -n \"${var}\" ]; then printf '%s\\n\\n%s\\n\\n' {} \"${var}\"; fi",
            super::shell(&format!(
                "**Environment {}** (wave {})",
                env.name(),
                env.environment.wave
            ))
        );
    }
    script.push_str(concat!(
        "} > \"$plans\"\n",
        "if [ ! -s \"$plans\" ]; then\n",
        "  echo \"no plan summary to post\"\n",
        "  exit 0\n",
        "fi\n",
        "{\n",
        "  echo '<!-- kopsflow plan -->'\n",
        "  head -c 60000 \"$plans\"\n",
        "  echo\n",
        "  echo \"[workflow run]($GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID)\"\n",
        "} > \"$body\"\n",
        "comments=\"repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments\"\n",
        "# One comment per pull request, updated on every push: the bot's comment with the marker.\n",
        "id=\"$(gh api --paginate \"$comments\" --jq '.[] | select(.user.login == \"github-actions[bot]\" and (.body | startswith(\"<!-- kopsflow plan -->\"))) | .id' | awk 'NR == 1')\"\n",
        "if [ -n \"$id\" ]; then\n",
        "  gh api --method PATCH \"repos/$GITHUB_REPOSITORY/issues/comments/$id\" -F body=@\"$body\" > /dev/null\n",
        "else\n",
        "  gh api --method POST \"$comments\" -F body=@\"$body\" > /dev/null\n",
        "fi\n",
    ));
    let env: Vec<(&str, &str)> = step_env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    s.push_str(&run_step(
        "Comment the plans on the pull request",
        None,
        &env,
        &script,
    ));
    s
}

pub fn drift(input: &CiInput) -> anyhow::Result<String> {
    let (about, pending) = match input.settings.drift_found {
        DriftFound::Fail => (
            "Scheduled: production compared with git, environment by environment. Drift found fails the run, which is the alert.",
            (
                OnPending::Exit2,
                "::error title=kopsflow drift::production differs from git (the drift summary is in the log)",
            ),
        ),
        DriftFound::Warn => (
            "Scheduled: production compared with git, environment by environment. Drift found is a warning (drift_found: Warn): nobody is notified.",
            (
                OnPending::Succeed,
                "::warning title=kopsflow drift::production differs from git (the drift summary is in the log)",
            ),
        ),
    };
    let mut s = top(input, "kopsflow drift", about);
    let _ = writeln!(
        s,
        "on:\n  schedule:\n    - cron: {}\n  workflow_dispatch:",
        yaml(input.settings.drift_schedule)
    );
    s.push_str("permissions: {}\n");
    s.push_str(DEFAULTS);
    s.push_str("jobs:\n");
    for env in &input.environments {
        let _ = writeln!(s, "  {}:", job_id("drift", env));
        s.push_str(&job_head(input, input.settings.timeouts.plan, &[], &[]));
        s.push_str(&setup_steps(input, env, Access::ReadOnly)?);
        let name = format!("drift-{}", env.name());
        let job = run_job(&name, &drift_args(env.name()), "", "", Some(pending));
        s.push_str(&run_step(
            &format!("cargo xtask drift --environment {}", env.name()),
            None,
            &[],
            &job,
        ));
        s.push_str(&archive_step(&format!("kopsflow-{name}")));
    }
    Ok(s)
}
