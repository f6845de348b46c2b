//! Command-line flags: one struct per subcommand. Flag names are a contract with users' CI
//! scripts: add aliases, never rename.
//!
//! Documentation here is `--help` text: clap's derive turns doc comments into it. The
//! subcommands are documented on their `Command` variants and the flags on their fields; the
//! structs, the flattened groups and the `--format` values carry none, because a doc comment
//! on them would change what operators see (hence `missing_docs` is allowed in this module).
#![allow(missing_docs)]

use std::time::Duration;

use camino::Utf8PathBuf;
use clap::{Args, Parser, Subcommand, ValueEnum};
use kopsflow::duration::parse_duration;

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Drive kops-managed clusters from git: validate specs, plan on branches, deploy on main.",
    after_help = "Exit codes: 0 success; 1 error (invalid spec, blocking policy violation, kops not the pinned version, kops failed, bad usage, stale rendered spec); \
                  2 with --detailed-exitcode only: changes pending (plan), a rolling update is needed (deploy, rolling-update), \
                  a cluster drifted (drift) or needs attention (status); with --print, the run would act on at least one cluster."
)]
pub struct Xtask {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Dry-run on any branch: diff git against production, preview what kops would change in an
    /// isolated per-run dry-run store, and check the policy. Production is never written.
    Plan(Plan),
    /// Apply on the main branch: check the policy against production, replace the spec into
    /// production, update --yes, and check which instance groups need a rolling update. On other
    /// branches it does nothing and says why.
    Deploy(Deploy),
    /// Rolling update of one cluster: a preview unless --yes (--yes only on the main branch).
    RollingUpdate(RollingUpdate),
    /// Compare each cluster's committed spec (HEAD) with production, read-only: exit 2 with
    /// --detailed-exitcode when any cluster drifted. Meant for a scheduled job.
    Drift(Drift),
    /// One row per cluster, read-only: the spec's last commit, what is deployed (the audit log),
    /// spec drift (git vs production's store), the cloud vs the store (kops's dry-run of
    /// production's own spec), whether a rolling update is needed, the last deploy's outcome.
    Status(Status),
    /// Write cluster-spec/NAME.yml from production (kops get) in canonical form.
    Export(Export),
    /// Parse and validate every cluster spec offline (no kops, no network), and check the
    /// policy rules that need no production state.
    Validate(Validate),
    /// Write the cluster specs rendered from templates (cluster-spec/templates/), or with
    /// --check fail when a committed one is stale.
    Render(Render),
    /// Generate this repository's CI files (GitHub Actions, Jenkins, GitLab CI) from its
    /// pipeline; --check compares the committed files instead.
    Ci(Ci),
}

/// The command line with the help of `--any-kops-version` naming where the repository declares
/// its kops pin (`place`: [`crate::Declared::place`], e.g. `KOPS_PIN in <file>`).
pub fn with_pin_place(command: clap::Command, place: &str) -> clap::Command {
    let run = format!("Run even when kops (or --kops-version) is not the version the repository is pinned to ({place}); the summary and the audit record say so");
    let export = format!(
        "Export even when kops is not the version the repository is pinned to ({place}); a warning says so"
    );
    let mut command = command;
    for name in [
        "plan",
        "deploy",
        "rolling-update",
        "drift",
        "status",
        "export",
    ] {
        let help = if name == "export" { &export } else { &run };
        let help = help.clone();
        command = command.mut_subcommand(name, |sub| {
            sub.mut_arg("any_kops_version", |arg| arg.help(help))
        });
    }
    command
}

/// Which clusters and which branch. Without --cluster or --all, `plan` and `deploy` act on the
/// clusters whose spec file changed (see --base).
#[derive(Debug, Args)]
pub struct Selection {
    /// Cluster to act on (repeatable); the name is the spec's file stem in cluster-spec/.
    /// Default (plan, deploy): the clusters whose spec file changed (see --base).
    #[arg(long = "cluster", value_name = "NAME")]
    pub clusters: Vec<String>,
    /// Act on every cluster in cluster-spec/.
    #[arg(long, conflicts_with = "clusters")]
    pub all: bool,
    /// plan, deploy: select the specs changed since the merge-base of REF and HEAD. Default:
    /// $GITHUB_BASE_REF, $CHANGE_TARGET, $CI_MERGE_REQUEST_TARGET_BRANCH_NAME; on a main branch
    /// (deploy: since the last successful deploy when recorded, see --last-deployed) the pushed
    /// range ($GITHUB_EVENT_BEFORE, $CI_COMMIT_BEFORE_SHA, $GIT_PREVIOUS_SUCCESSFUL_COMMIT),
    /// else its last commit; else the first main branch.
    #[arg(long, value_name = "REF", conflicts_with_all = ["clusters", "all"])]
    pub base: Option<String>,
    /// Only the selected clusters that belong to environment NAME (repeatable): the generated
    /// CI runs one job per environment, each with its own identity. The others are listed as
    /// left to their environment's job; none left: nothing to do (exit 0).
    #[arg(long = "environment", value_name = "NAME")]
    pub environments: Vec<String>,
    /// Branch being built. Default: $BRANCH_NAME, $GITHUB_HEAD_REF, $GITHUB_REF_NAME,
    /// $CI_COMMIT_REF_NAME, else the checked-out git branch.
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
}

/// How to run kops and report.
#[derive(Debug, Args)]
pub struct Run {
    /// Resolve the plan and print the exact commands; run nothing (exit 0; with
    /// --detailed-exitcode, 2 when the run would act on at least one cluster).
    #[arg(long)]
    pub print: bool,
    /// The kops binary. Default: $KOPS, else `kops` on PATH.
    #[arg(long, value_name = "PATH")]
    pub kops: Option<Utf8PathBuf>,
    /// Resolve for this kops version instead of asking `kops version` (trusted: kops is not
    /// asked). It must satisfy the kops pin like `kops version` would. Default with --print,
    /// which runs nothing: the pinned version.
    #[arg(long, value_name = "VERSION")]
    pub kops_version: Option<String>,
    /// Run even when kops (or --kops-version) is not the version the repository is pinned to
    /// (its kops pin); the summary and the audit record say so. (`main` names where the pin is
    /// declared: [`with_pin_place`].)
    #[arg(long)]
    pub any_kops_version: bool,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 2 when changes are pending (plan), a rolling update is needed (deploy,
    /// rolling-update), a cluster drifted (drift) or needs attention (status). With --print:
    /// exit 2 when the run would act on at least one cluster, 0 when nothing would run.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Time limit per kops step, e.g. 30m, 90s, 1h (kops retries cloud errors for a long time).
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// How many clusters run at once (`plan`, `deploy`, `drift`, `status`).
#[derive(Debug, Args)]
pub struct Jobs {
    /// Run up to N clusters at once. Above 1, each cluster's output is shown whole when the
    /// cluster finishes (the lines of two clusters never interleave); at 1 it is streamed live.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = parse_jobs)]
    pub jobs: usize,
}

fn parse_jobs(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("--jobs must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{text:?} is not a number of clusters")),
    }
}

/// The per-cluster lock held by runs that change production (`deploy`, `rolling-update --yes`).
// `<cluster>.lock` is --help text, not HTML.
#[allow(rustdoc::invalid_html_tags)]
#[derive(Debug, Args)]
pub struct Lock {
    /// How long to wait for a cluster's lock held by another run on this machine before failing,
    /// e.g. 5m, 90s, 0s.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub lock_timeout: Duration,
    /// Directory of the per-cluster lock files (<cluster>.lock). Default: target/kopsflow/locks
    /// under the repository root; give every checkout on a machine the same one.
    #[arg(long, value_name = "DIR")]
    pub lock_dir: Option<Utf8PathBuf>,
}

/// The audit log of runs that can change production (`deploy`, `rolling-update`).
#[derive(Debug, Args)]
pub struct AuditLog {
    /// Append one JSON line per cluster to this file, creating it and its directory (a relative
    /// PATH is relative to the current directory). Default: target/kopsflow/audit.jsonl under
    /// the repository root. Schema: docs/AUDIT.md.
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<Utf8PathBuf>,
}

/// Policy rules to let through (`plan`, `deploy`, `validate`).
#[derive(Debug, Args)]
pub struct Allow {
    /// Let violations of policy rule RULE through (repeatable); they are still reported, and
    /// recorded in the summary. Use only after review.
    #[arg(long = "allow", value_name = "RULE")]
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct Plan {
    #[command(flatten)]
    pub selection: Selection,
    #[command(flatten)]
    pub run: Run,
    #[command(flatten)]
    pub jobs: Jobs,
    #[command(flatten)]
    pub allow: Allow,
}

#[derive(Debug, Args)]
pub struct Deploy {
    #[command(flatten)]
    pub selection: Selection,
    #[command(flatten)]
    pub run: Run,
    /// Rolling-update check without the Kubernetes API (for agents that cannot reach it).
    #[arg(long)]
    pub cloudonly: bool,
    #[command(flatten)]
    pub jobs: Jobs,
    /// After a cluster fails, still start the clusters not started yet (default: they are
    /// reported as not run).
    #[arg(long)]
    pub keep_going: bool,
    /// Deploy even when production was changed outside git since the spec deployed before
    /// (default: refused; kops replace --force would silently undo the change). The drift is
    /// shown in the summary either way.
    #[arg(long)]
    pub allow_drift: bool,
    /// The commit of the last successful deploy, on a main branch: the changed clusters are
    /// counted from it (REV..HEAD, which contains the pushed range), and the drift check
    /// compares production with the specs at REV. Default: $KOPSFLOW_LAST_DEPLOYED (the
    /// generated deploy jobs set it), else $GIT_PREVIOUS_SUCCESSFUL_COMMIT (Jenkins). Set but
    /// empty, unknown, or not an ancestor of HEAD: every cluster is deployed. Unset: the pushed
    /// range.
    #[arg(long, value_name = "REV", conflicts_with = "base")]
    pub last_deployed: Option<String>,
    #[command(flatten)]
    pub lock: Lock,
    #[command(flatten)]
    pub audit: AuditLog,
    /// After `kops update cluster --yes`, wait up to WAIT for `kops validate cluster --wait WAIT`
    /// (e.g. 10m; 0s validates once). A cluster that does not validate fails the deploy.
    #[arg(long, value_name = "WAIT", value_parser = parse_duration)]
    pub validate: Option<Duration>,
    #[command(flatten)]
    pub allow: Allow,
}

#[derive(Debug, Args)]
pub struct RollingUpdate {
    #[command(flatten)]
    pub selection: Selection,
    #[command(flatten)]
    pub run: Run,
    /// Roll the instances (kops rolling-update --yes). Without it: a preview.
    #[arg(long)]
    pub yes: bool,
    /// Do not confirm progress through the Kubernetes API (kops --cloudonly).
    #[arg(long)]
    pub cloudonly: bool,
    /// Only these instance groups (repeatable).
    #[arg(long = "instance-group", value_name = "IG")]
    pub instance_groups: Vec<String>,
    #[command(flatten)]
    pub lock: Lock,
    #[command(flatten)]
    pub audit: AuditLog,
}

#[derive(Debug, Args)]
pub struct Drift {
    /// Cluster to check (repeatable). Default: every cluster in cluster-spec/.
    #[arg(long = "cluster", value_name = "NAME")]
    pub clusters: Vec<String>,
    /// Check every cluster in cluster-spec/ (the default).
    #[arg(long, conflicts_with = "clusters")]
    pub all: bool,
    /// Only the selected clusters that belong to environment NAME (repeatable): the generated
    /// CI runs one job per environment, each with its own identity. The others are listed as
    /// left to their environment's job; none left: nothing to do (exit 0).
    #[arg(long = "environment", value_name = "NAME")]
    pub environments: Vec<String>,
    /// Branch being built (it only names the run in reports). Default: $BRANCH_NAME,
    /// $GITHUB_HEAD_REF, $GITHUB_REF_NAME, $CI_COMMIT_REF_NAME, else the checked-out git branch.
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    #[command(flatten)]
    pub run: Run,
    #[command(flatten)]
    pub jobs: Jobs,
}

#[derive(Debug, Args)]
pub struct Status {
    /// Cluster to show (repeatable). Default: every cluster in cluster-spec/.
    #[arg(long = "cluster", value_name = "NAME")]
    pub clusters: Vec<String>,
    /// Show every cluster in cluster-spec/ (the default).
    #[arg(long, conflicts_with = "clusters")]
    pub all: bool,
    /// Only the selected clusters that belong to environment NAME (repeatable): the generated
    /// CI runs one job per environment, each with its own identity. The others are listed as
    /// left to their environment's job; none left: nothing to do (exit 0).
    #[arg(long = "environment", value_name = "NAME")]
    pub environments: Vec<String>,
    /// Branch being built (it only names the run in reports). Default: $BRANCH_NAME,
    /// $GITHUB_HEAD_REF, $GITHUB_REF_NAME, $CI_COMMIT_REF_NAME, else the checked-out git branch.
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    #[command(flatten)]
    pub run: Run,
    #[command(flatten)]
    pub jobs: Jobs,
    /// Rolling-update check without the Kubernetes API (kops --cloudonly), for agents that
    /// cannot reach it.
    #[arg(long)]
    pub cloudonly: bool,
    /// The audit log to read the deploys from (read only). Default: target/kopsflow/audit.jsonl
    /// under the repository root; a relative PATH is relative to the current directory.
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<Utf8PathBuf>,
}

#[derive(Debug, Args)]
pub struct Export {
    /// Cluster to export from production into cluster-spec/NAME.yml (repeatable).
    #[arg(long = "cluster", value_name = "NAME", required = true)]
    pub clusters: Vec<String>,
    /// Overwrite a spec file that has uncommitted changes (by default export refuses).
    #[arg(long)]
    pub force: bool,
    /// The kops binary. Default: $KOPS, else `kops` on PATH.
    #[arg(long, value_name = "PATH")]
    pub kops: Option<Utf8PathBuf>,
    /// Export even when kops is not the version the repository is pinned to (its kops pin); a
    /// warning says so. (`main` names where the pin is declared: [`with_pin_place`].)
    #[arg(long)]
    pub any_kops_version: bool,
    /// Time limit per kops step, e.g. 30m, 90s, 1h.
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    pub timeout: Duration,
}

#[derive(Debug, Args)]
pub struct Validate {
    /// Only these clusters (repeatable); default: all.
    #[arg(long = "cluster", value_name = "NAME")]
    pub clusters: Vec<String>,
    #[command(flatten)]
    pub allow: Allow,
}

#[derive(Debug, Args)]
pub struct Render {
    /// Write nothing; exit 1 with a diff when a rendered spec differs from its template and
    /// values (stale, or edited by hand).
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct Ci {
    /// The CI engine: github, jenkins or gitlab.
    #[arg(value_enum)]
    pub engine: crate::ci::Engine,
    /// Write nothing: exit 1 with a diff when a committed file differs from what would be
    /// generated.
    #[arg(long)]
    pub check: bool,
}
