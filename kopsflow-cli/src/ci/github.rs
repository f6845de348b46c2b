//! GitHub Actions: one workflow per job, each with the least `permissions:` it needs.
//!
//! - `kopsflow-plan.yml`: `ci github --check` (stale CI files fail the pull request), then `plan`
//!   on pull requests; the summary in the step summary and in one PR comment updated on every
//!   push; exit 2 (changes pending) is not a failure.
//! - `kopsflow-deploy.yml`: `deploy` on pushes to the main branches that change a spec, in the
//!   approval environment, one at a time (`concurrency`, never cancelled in progress), with
//!   `KOPSFLOW_LAST_DEPLOYED` read from the workflow's last successful run on the branch.
//! - `kopsflow-rolling-update.yml`: started by hand with a cluster and `dry_run` (default true);
//!   `dry_run` unticked outside a main branch fails with the reason.
//! - `kopsflow-drift.yml`: `drift` on a schedule; drift found fails the run (the alert), unless
//!   the settings make it a warning.
//!
//! Untrusted values (inputs, branch names, PR data) reach scripts only through `env:`, never as
//! `${{ … }}` inside a `run:` (GitHub's script-injection guidance).

use std::fmt::Write as _;

use super::quote::{check_github, github_branch_filter, shell, yaml, yaml_block, yaml_list};
use super::script::{
    check_ci_files, deploy_args, install_kops, run_job, OnPending, AUDIT_LOG, CI_DIR,
    CLOUDONLY_VAR, KOPS_BIN,
};
use super::{header, minutes, AwsAuth, CiInput, DriftFound, Engine, GeneratedFile, Identity};

/// Serialises every job that changes production (deploy, rolling update) in the repository.
const PRODUCTION_GROUP: &str = "kopsflow-production";
// Releases that run on node 24 (GitHub removed node 20 from its runners in September 2026).
const CHECKOUT: &str = "actions/checkout@v5";
const CACHE: &str = "actions/cache@v5";
const AWS: &str = "aws-actions/configure-aws-credentials@v6";
const UPLOAD: &str = "actions/upload-artifact@v6";
/// The deploy workflow's file name: the last successful run of it is read back by the next.
const DEPLOY_WORKFLOW: &str = "kopsflow-deploy.yml";

pub fn files(input: &CiInput) -> anyhow::Result<Vec<GeneratedFile>> {
    for c in &input.clusters {
        check_github("cluster name", &c.name)?;
    }
    let s = &input.settings;
    for value in s
        .runners
        .github
        .iter()
        .copied()
        .chain(s.approval_environment)
    {
        check_github("setting", value)?;
    }
    let file = |name: &str, text: String| GeneratedFile {
        path: format!(".github/workflows/kopsflow-{name}.yml"),
        text,
    };
    Ok(vec![
        file("plan", plan(input)?),
        file("deploy", deploy(input)?),
        file("rolling-update", rolling_update(input)?),
        file("drift", drift(input)?),
    ])
}

fn top(input: &CiInput, name: &str, about: &str) -> String {
    format!(
        "# {}\n# {about}\nname: {}\n",
        header(Engine::Github, input),
        yaml(name)
    )
}

/// Every `run:` in bash with `-eo pipefail` (the scripts also `set -euo pipefail` themselves).
const DEFAULTS: &str = "defaults:\n  run:\n    shell: bash\n";

/// `runs-on`, `timeout-minutes`, `permissions` and `env` of a job, at 4 spaces.
fn job_head(
    input: &CiInput,
    timeout: std::time::Duration,
    extra_permissions: &[&str],
    env: &[(&str, &str)],
) -> String {
    let labels = input.settings.runners.github;
    let mut s = String::new();
    if labels.len() == 1 {
        let _ = writeln!(s, "    runs-on: {}", yaml(labels[0]));
    } else {
        let _ = writeln!(s, "    runs-on: {}", yaml_list(labels));
    }
    let _ = writeln!(s, "    timeout-minutes: {}", minutes(timeout));
    s.push_str("    permissions:\n      contents: read\n");
    if matches!(input.settings.aws.auth, AwsAuth::OidcRole { .. }) {
        s.push_str("      id-token: write\n");
    }
    for p in extra_permissions {
        let _ = writeln!(s, "      {p}");
    }
    s.push_str("    env:\n");
    let _ = writeln!(s, "      KOPS: ${{{{ github.workspace }}}}/{KOPS_BIN}");
    s.push_str("      CARGO_TERM_COLOR: never\n");
    for (k, v) in env {
        let _ = writeln!(s, "      {k}: {v}");
    }
    s
}

/// Checkout (with the history the changed-cluster selection needs), the cargo cache, kops, the
/// AWS credentials of `identity`: the steps every job starts with, at 6 spaces.
fn setup_steps(input: &CiInput, identity: Identity, before_kops: &str) -> anyhow::Result<String> {
    let kops = &input.settings.kops;
    let mut s = String::from("    steps:\n");
    let _ = writeln!(
        s,
        "      - name: Check out, with the history the changed-cluster selection needs"
    );
    let _ = writeln!(s, "        uses: {CHECKOUT}");
    s.push_str("        with:\n          fetch-depth: 0\n          persist-credentials: false\n");
    let _ = writeln!(s, "      - name: Cache cargo");
    let _ = writeln!(s, "        uses: {CACHE}");
    s.push_str(concat!(
        "        with:\n",
        "          path: |\n",
        "            ~/.cargo/registry/index/\n",
        "            ~/.cargo/registry/cache/\n",
        "            ~/.cargo/git/db/\n",
        "            target/\n",
        "          key: kopsflow-${{ runner.os }}-cargo-${{ hashFiles('Cargo.lock') }}\n",
        "          restore-keys: kopsflow-${{ runner.os }}-cargo-\n",
    ));
    s.push_str(before_kops);
    let _ = writeln!(
        s,
        "      - name: {}",
        yaml(&format!("Install kops {} (sha256 verified)", kops.version))
    );
    let _ = write!(
        s,
        "        run: {}",
        yaml_block(&install_kops(kops, input.settings_file)?, 10)
    );
    let role = match identity {
        Identity::Plan => "AWS credentials (read-only plan identity)",
        Identity::Deploy => "AWS credentials (deploy identity)",
    };
    let _ = writeln!(s, "      - name: {role}");
    let _ = writeln!(s, "        uses: {AWS}");
    s.push_str("        with:\n");
    match &input.settings.aws.auth {
        AwsAuth::OidcRole { role_arn_secret } => {
            let _ = writeln!(
                s,
                "          role-to-assume: ${{{{ secrets.{} }}}}",
                role_arn_secret.get(identity)
            );
        }
        AwsAuth::AccessKeys { secrets } => {
            let k = secrets.get(identity);
            let _ = writeln!(
                s,
                "          aws-access-key-id: ${{{{ secrets.{} }}}}",
                k.access_key_id
            );
            let _ = writeln!(
                s,
                "          aws-secret-access-key: ${{{{ secrets.{} }}}}",
                k.secret_access_key
            );
        }
    }
    let _ = writeln!(
        s,
        "          aws-region: {}",
        yaml(input.settings.aws.region)
    );
    Ok(s)
}

/// A step that runs a script (a YAML block at 10 spaces).
fn run_step(name: &str, condition: Option<&str>, env: &[(&str, &str)], script: &str) -> String {
    let mut s = format!("      - name: {}\n", yaml(name));
    if let Some(condition) = condition {
        let _ = writeln!(s, "        if: {condition}");
    }
    if !env.is_empty() {
        s.push_str("        env:\n");
        for (k, v) in env {
            let _ = writeln!(s, "          {k}: {v}");
        }
    }
    let _ = write!(s, "        run: {}", yaml_block(script, 10));
    s
}

/// Keeps the summaries and the audit log of a job that changed, could change or previewed
/// production.
fn archive_step(name: &str) -> String {
    format!(
        concat!(
            "      - name: Keep the summary and the audit log\n",
            "        if: ${{{{ always() }}}}\n",
            "        uses: {}\n",
            "        with:\n",
            "          name: {}\n",
            "          path: |\n",
            "            {}/*.md\n",
            "            {}\n",
            "          if-no-files-found: ignore\n",
        ),
        UPLOAD,
        yaml(name),
        CI_DIR,
        AUDIT_LOG
    )
}

/// `KOPSFLOW_CLOUDONLY` of a job: the repository variable when it is set, else the setting.
fn cloud_only_env(input: &CiInput) -> String {
    format!(
        "${{{{ vars.{CLOUDONLY_VAR} || '{}' }}}}",
        input.settings.cloud_only
    )
}

/// A GitHub expression string literal (`'` doubled).
fn expression_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `github.ref` is one of the branches, as an expression.
fn on_branches(branches: &[String]) -> String {
    let refs: Vec<String> = branches
        .iter()
        .map(|b| {
            format!(
                "github.ref == {}",
                expression_string(&format!("refs/heads/{b}"))
            )
        })
        .collect();
    format!("({})", refs.join(" || "))
}

/// A job `refused` that runs under `condition` and fails with `before` + the branch + `after`:
/// a request the workflow cannot carry out here is a failed run that says why, not a green run
/// that did nothing.
fn refused_job(input: &CiInput, condition: &str, name: &str, before: &str, after: &str) -> String {
    let mut s = format!("  refused:\n    if: ${{{{ {condition} }}}}\n");
    let labels = input.settings.runners.github;
    if labels.len() == 1 {
        let _ = writeln!(s, "    runs-on: {}", yaml(labels[0]));
    } else {
        let _ = writeln!(s, "    runs-on: {}", yaml_list(labels));
    }
    s.push_str("    timeout-minutes: 5\n    permissions: {}\n    steps:\n");
    let script = format!(
        "#!/usr/bin/env bash\nset -euo pipefail\necho {}\"$GITHUB_REF_NAME\"{}\nexit 1\n",
        shell(before),
        shell(after)
    );
    s.push_str(&run_step(name, None, &[], &script));
    s
}

fn plan(input: &CiInput) -> anyhow::Result<String> {
    let mut s = top(
        input,
        "kopsflow plan",
        "Plan on pull requests: what kops would change, as a PR comment updated on every push.",
    );
    s.push_str("on:\n  pull_request:\n");
    s.push_str("permissions: {}\n");
    s.push_str(DEFAULTS);
    s.push_str(concat!(
        "concurrency:\n",
        "  group: kopsflow-plan-${{ github.event.pull_request.number }}\n",
        "  cancel-in-progress: true\n",
        "jobs:\n",
        "  plan:\n",
        "    # Pull requests from forks get no credentials: plan them from a branch of this repository.\n",
        "    if: github.event.pull_request.head.repo.full_name == github.repository\n",
    ));
    s.push_str(&job_head(
        input,
        input.settings.timeouts.plan,
        &["pull-requests: write"],
        &[],
    ));
    let check = run_step(
        "The committed CI files are up to date (cargo xtask ci github --check)",
        None,
        &[],
        &check_ci_files("github", "::error title=kopsflow::"),
    );
    s.push_str(&setup_steps(input, Identity::Plan, &check)?);
    let job = run_job(
        "plan",
        &["plan", "--detailed-exitcode"],
        "",
        "",
        Some((
            OnPending::Succeed,
            "::notice title=kopsflow plan::changes pending (see the PR comment)",
        )),
    );
    s.push_str(&run_step("cargo xtask plan", None, &[], &job));
    // The summary starts with its own `## kopsflow plan — <branch>` heading.
    let comment = concat!(
        "#!/usr/bin/env bash\n",
        "set -euo pipefail\n",
        "summary=target/kopsflow-ci/plan.md\n",
        "if [ ! -s \"$summary\" ]; then\n",
        "  echo \"no plan summary to post\"\n",
        "  exit 0\n",
        "fi\n",
        "body=target/kopsflow-ci/comment.md\n",
        "{\n",
        "  echo '<!-- kopsflow plan -->'\n",
        "  head -c 60000 \"$summary\"\n",
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
    );
    s.push_str(&run_step(
        "Comment the plan on the pull request",
        Some("${{ !cancelled() }}"),
        &[
            ("GH_TOKEN", "${{ github.token }}"),
            ("PR_NUMBER", "${{ github.event.pull_request.number }}"),
        ],
        comment,
    ));
    Ok(s)
}

/// `KOPSFLOW_LAST_DEPLOYED` from the deploy workflow's last successful run on this branch
/// (empty when there is none or the API fails: then every cluster is deployed, more, never less).
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
    run_step(
        "The last successful deploy on this branch (KOPSFLOW_LAST_DEPLOYED)",
        None,
        &[("GH_TOKEN", "${{ github.token }}")],
        &script,
    )
}

fn deploy(input: &CiInput) -> anyhow::Result<String> {
    let branches = CiInput::exact_branches("Deploy", &input.deploy_when)?;
    for b in &branches {
        check_github("main branch", b)?;
    }
    let filters: Vec<String> = branches.iter().map(|b| github_branch_filter(b)).collect();
    let mut s = top(
        input,
        "kopsflow deploy",
        "Deploy on pushes to the main branches that change a cluster spec; one at a time.",
    );
    s.push_str("on:\n  push:\n");
    let _ = writeln!(s, "    branches: {}", yaml_list(&filters));
    s.push_str("    paths: [\"cluster-spec/**\"]\n");
    s.push_str(concat!(
        "  # By hand: one cluster whatever changed (e.g. after a deploy was cancelled while queued).\n",
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
    let _ = writeln!(
        s,
        "  deploy:\n    if: ${{{{ github.event_name == 'push' || {on_main} }}}}"
    );
    if let Some(env) = input.settings.approval_environment {
        let _ = writeln!(s, "    environment: {}", yaml(env));
    }
    let cloud_only = cloud_only_env(input);
    s.push_str(&job_head(
        input,
        input.settings.timeouts.deploy + input.settings.validate_after_deploy.unwrap_or_default(),
        &["actions: read"],
        &[
            ("GITHUB_EVENT_BEFORE", "${{ github.event.before }}"),
            (CLOUDONLY_VAR, &cloud_only),
        ],
    ));
    s.push_str(&setup_steps(input, Identity::Deploy, "")?);
    s.push_str(&last_deployed_step());
    let args = deploy_args(input.settings.validate_after_deploy);
    let job = run_job(
        "deploy",
        &args,
        "\"$@\"",
        "set --\nif [ -n \"${CLUSTER:-}\" ]; then set -- --cluster \"$CLUSTER\"; fi\n",
        Some((
            OnPending::Succeed,
            "::warning title=kopsflow deploy::a rolling update is needed: run the kopsflow rolling-update workflow",
        )),
    );
    let name = if input.settings.validate_after_deploy.is_some() {
        "cargo xtask deploy (and validate)"
    } else {
        "cargo xtask deploy"
    };
    s.push_str(&run_step(
        name,
        None,
        &[("CLUSTER", "${{ inputs.cluster }}")],
        &job,
    ));
    s.push_str(&archive_step("kopsflow-deploy"));
    Ok(s)
}

fn rolling_update(input: &CiInput) -> anyhow::Result<String> {
    let names: Vec<&str> = input.clusters.iter().map(|c| c.name.as_str()).collect();
    let branches = CiInput::exact_branches("Rolling update --yes", &input.roll_when)?;
    for b in &branches {
        check_github("main branch", b)?;
    }
    let mut s = top(
        input,
        "kopsflow rolling update",
        "Started by hand: a preview unless dry_run is unticked; rolls only from a main branch.",
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
        "  preview:\n",
        "    if: ${{ inputs.dry_run }}\n",
    ));
    let cloud_only = cloud_only_env(input);
    let env = [
        ("CLUSTER", "${{ inputs.cluster }}"),
        (CLOUDONLY_VAR, cloud_only.as_str()),
    ];
    s.push_str(&job_head(input, input.settings.timeouts.plan, &[], &env));
    s.push_str(&setup_steps(input, Identity::Plan, "")?);
    let preview = run_job(
        "rolling-update",
        &["rolling-update", "--detailed-exitcode"],
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
    s.push_str(&archive_step("kopsflow-rolling-update-preview"));

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

    let _ = writeln!(
        s,
        "  roll:\n    if: ${{{{ !inputs.dry_run && {on_main} }}}}"
    );
    if let Some(env) = input.settings.approval_environment {
        let _ = writeln!(s, "    environment: {}", yaml(env));
    }
    let _ = writeln!(
        s,
        "    concurrency:\n      group: {PRODUCTION_GROUP}\n      cancel-in-progress: false"
    );
    s.push_str(&job_head(
        input,
        input.settings.timeouts.rolling_update,
        &[],
        &env,
    ));
    s.push_str(&setup_steps(input, Identity::Deploy, "")?);
    let roll = run_job(
        "rolling-update",
        &["rolling-update", "--yes"],
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
    s.push_str(&archive_step("kopsflow-rolling-update"));
    Ok(s)
}

fn drift(input: &CiInput) -> anyhow::Result<String> {
    let (about, pending) = match input.settings.drift_found {
        DriftFound::Fail => (
            "Scheduled: production compared with git. Drift found fails the run, which is the alert.",
            (
                OnPending::Exit2,
                "::error title=kopsflow drift::production differs from git (the drift summary is in the log)",
            ),
        ),
        DriftFound::Warn => (
            "Scheduled: production compared with git. Drift found is a warning (drift_found: Warn): nobody is notified.",
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
    s.push_str("jobs:\n  drift:\n");
    s.push_str(&job_head(input, input.settings.timeouts.plan, &[], &[]));
    s.push_str(&setup_steps(input, Identity::Plan, "")?);
    let job = run_job(
        "drift",
        &["drift", "--all", "--detailed-exitcode"],
        "",
        "",
        Some(pending),
    );
    s.push_str(&run_step("cargo xtask drift", None, &[], &job));
    s.push_str(&archive_step("kopsflow-drift"));
    Ok(s)
}
