//! GitHub Actions: one workflow per kind of job, each with the least `permissions:` it needs,
//! and in each one job per environment with that environment's identity.
//!
//! - `kopsflow-plan.yml` (`plan.rs`): `ci-files` (`ci github --check`: stale CI files fail the
//!   pull request), then `plan-ENV` (`plan --environment ENV`, read-only identity) for each
//!   environment, then `comment`: their summaries in one PR comment updated on every push;
//!   exit 2 (changes pending) is not a failure.
//! - `kopsflow-deploy.yml` (`deploy.rs`): `pending` (which environments have a cluster to deploy:
//!   `deploy --print --detailed-exitcode`, no cloud identity), then `deploy-ENV` on pushes to the
//!   main branches that change a spec, only where there is one, wave after wave (`needs:`), in the
//!   GitHub environment ENV where the environment asks for an approval, one run at a time (`concurrency`, never cancelled in progress), with
//!   `KOPSFLOW_LAST_DEPLOYED` read from the workflow's last successful run on the branch.
//! - `kopsflow-rolling-update.yml` (`rolling_update.rs`): started by hand with a cluster and
//!   `dry_run` (default true); the jobs of the cluster's environment run (`preview-ENV`,
//!   `roll-ENV`); `dry_run` unticked outside a main branch fails with the reason.
//! - `kopsflow-drift.yml` (`plan.rs`): `drift-ENV` on a schedule; drift found fails the run (the
//!   alert), unless the settings make it a warning.
//!
//! Untrusted values (inputs, branch names, PR data) reach scripts only through `env:`, never as
//! `${{ … }}` inside a `run:` (GitHub's script-injection guidance).

mod deploy;
mod plan;
mod rolling_update;

use std::fmt::Write as _;

use super::quote::{check_github, shell, yaml, yaml_block, yaml_list};
use super::script::{install_kops, AUDIT_LOG, CI_DIR, CLOUDONLY_VAR, KOPS_BIN};
use super::{header, minutes, Access, AwsAuth, CiEnvironment, CiInput, Engine, GeneratedFile};

/// Serialises every job that changes production (deploy, rolling update) in the repository.
const PRODUCTION_GROUP: &str = "kopsflow-production";
// Releases that run on node 24 (GitHub removed node 20 from its runners in September 2026).
const CHECKOUT: &str = "actions/checkout@v5";
const CACHE: &str = "actions/cache@v5";
const AWS: &str = "aws-actions/configure-aws-credentials@v6";
const UPLOAD: &str = "actions/upload-artifact@v6";

pub fn files(input: &CiInput) -> anyhow::Result<Vec<GeneratedFile>> {
    for c in &input.clusters {
        check_github("cluster name", &c.name)?;
    }
    for value in input.settings.runners.github {
        check_github("setting", value)?;
    }
    for env in &input.environments {
        check_github("region", env.environment.region)?;
        for access in [Access::ReadOnly, Access::Deploy] {
            env.github_secret(access)?;
        }
    }
    let file = |name: &str, text: String| GeneratedFile {
        path: format!(".github/workflows/kopsflow-{name}.yml"),
        text,
    };
    Ok(vec![
        file("plan", plan::plan(input)?),
        file("deploy", deploy::deploy(input)?),
        file("rolling-update", rolling_update::rolling_update(input)?),
        file("drift", plan::drift(input)?),
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

/// A job's id: `kind-ENV` (environment names are letters, digits, `-`, `_`).
fn job_id(kind: &str, env: &CiEnvironment) -> String {
    format!("{kind}-{}", env.name())
}

/// `runs-on` at 4 spaces.
fn runs_on(input: &CiInput) -> String {
    let labels = input.settings.runners.github;
    if labels.len() == 1 {
        format!("    runs-on: {}\n", yaml(labels[0]))
    } else {
        format!("    runs-on: {}\n", yaml_list(labels))
    }
}

/// `runs-on`, `timeout-minutes`, `permissions` and `env` of a job that gets AWS credentials, at
/// 4 spaces.
fn job_head(
    input: &CiInput,
    timeout: std::time::Duration,
    extra_permissions: &[&str],
    env: &[(&str, &str)],
) -> String {
    let mut s = runs_on(input);
    let _ = writeln!(s, "    timeout-minutes: {}", minutes(timeout));
    s.push_str("    permissions:\n      contents: read\n");
    if input.settings.aws_auth == AwsAuth::OidcRole {
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

/// `needs:` of a job, at 4 spaces (nothing when `ids` is empty).
fn needs(ids: &[String]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        format!("    needs: [{}]\n", ids.join(", "))
    }
}

/// Checkout (with the history the changed-cluster selection needs) and the cargo cache, at 6
/// spaces after `steps:`.
fn checkout_steps() -> String {
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
    s
}

/// Checkout, the cargo cache, kops, and the AWS credentials of `env`'s identity of `access`:
/// the steps every job with credentials starts with, at 6 spaces.
fn setup_steps(input: &CiInput, env: &CiEnvironment, access: Access) -> anyhow::Result<String> {
    let kops = &input.settings.kops;
    let mut s = checkout_steps();
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
    let _ = writeln!(
        s,
        "      - name: {}",
        yaml(&format!(
            "AWS credentials ({} identity of {})",
            access.name(),
            env.name()
        ))
    );
    let _ = writeln!(s, "        uses: {AWS}");
    s.push_str("        with:\n");
    let reference = env.github_secret(access)?;
    match input.settings.aws_auth {
        AwsAuth::OidcRole => {
            let _ = writeln!(
                s,
                "          role-to-assume: ${{{{ secrets.{reference} }}}}"
            );
        }
        AwsAuth::AccessKeys => {
            let names = AwsAuth::AccessKeys.secrets(reference);
            let _ = writeln!(
                s,
                "          aws-access-key-id: ${{{{ secrets.{} }}}}",
                names[0]
            );
            let _ = writeln!(
                s,
                "          aws-secret-access-key: ${{{{ secrets.{} }}}}",
                names[1]
            );
        }
    }
    let _ = writeln!(s, "          aws-region: {}", yaml(env.environment.region));
    Ok(s)
}

/// A step that runs a script (a YAML block at 10 spaces).
fn run_step(name: &str, condition: Option<&str>, env: &[(&str, &str)], script: &str) -> String {
    run_step_with_id(name, None, condition, env, script)
}

/// [`run_step`] with an `id:`.
fn run_step_with_id(
    name: &str,
    id: Option<&str>,
    condition: Option<&str>,
    env: &[(&str, &str)],
    script: &str,
) -> String {
    let mut s = format!("      - name: {}\n", yaml(name));
    if let Some(id) = id {
        let _ = writeln!(s, "        id: {id}");
    }
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

/// `environment:` of a job of `env`, at 4 spaces, when the environment asks for an approval:
/// the GitHub environment of that name, whose protection rules (required reviewers) hold the
/// job until a reviewer approves it.
fn approval(env: &CiEnvironment) -> String {
    if !env.environment.approval {
        return String::new();
    }
    format!(
        "    # {} asks for an approval: the GitHub environment {} (Settings → Environments) must\n    # require reviewers; the job waits for one.\n    environment: {}\n",
        env.name(),
        env.name(),
        yaml(env.name())
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

/// `inputs.cluster` is one of `env`'s clusters, as an expression.
fn holds_input_cluster(env: &CiEnvironment) -> String {
    let names: Vec<String> = env
        .clusters
        .iter()
        .map(|c| format!("inputs.cluster == {}", expression_string(c)))
        .collect();
    format!("({})", names.join(" || "))
}

/// A job `refused` that runs under `condition` and fails with `before` + the branch + `after`:
/// a request the workflow cannot carry out here is a failed run that says why, not a green run
/// that did nothing.
fn refused_job(input: &CiInput, condition: &str, name: &str, before: &str, after: &str) -> String {
    let mut s = format!("  refused:\n    if: ${{{{ {condition} }}}}\n");
    s.push_str(&runs_on(input));
    s.push_str("    timeout-minutes: 5\n    permissions: {}\n    steps:\n");
    let script = format!(
        "#!/usr/bin/env bash\nset -euo pipefail\necho {}\"$GITHUB_REF_NAME\"{}\nexit 1\n",
        shell(before),
        shell(after)
    );
    s.push_str(&run_step(name, None, &[], &script));
    s
}
