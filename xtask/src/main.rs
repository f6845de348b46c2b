//! xtask: this repository's kops pipeline (`pipeline.rs`) and its command line.
//!
//! Exit codes: 0 success, 1 error, 2 (only with `--detailed-exitcode`) changes pending or a
//! rolling update needed.

mod flags;
mod pipeline;
mod specs;

use std::process::ExitCode;

use anyhow::{bail, Context as _};
use camino::Utf8PathBuf;
use kopsflow::kops::KopsVersion;
use kopsflow::pipeline::Context;
use xshell::Shell;

use crate::flags::{Command, Selection};
use crate::pipeline::Settings;

/// The kops version `--print` resolves for when none is given (it runs nothing, not even kops).
const PRINT_KOPS_VERSION: KopsVersion = KopsVersion::new(1, 29, 2);

/// How a successful run ended; with `--detailed-exitcode`, `Pending` exits 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    Pending,
}

fn main() -> ExitCode {
    let args = <flags::Xtask as clap::Parser>::parse();
    match run(args) {
        Ok((Outcome::Pending, true)) => ExitCode::from(2),
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one subcommand; returns the outcome and whether `--detailed-exitcode` was given.
fn run(args: flags::Xtask) -> anyhow::Result<(Outcome, bool)> {
    let sh = Shell::new()?;
    let cwd =
        Utf8PathBuf::try_from(sh.current_dir()).context("the current directory is not UTF-8")?;
    let root = specs::find_root(&cwd)?;
    sh.change_dir(&root);
    match args.command {
        Command::Validate(cmd) => cmd.run(&sh, &root).map(|o| (o, false)),
        Command::Plan(cmd) => {
            let detailed = cmd.run.detailed_exitcode;
            cmd.run(&sh, &root).map(|o| (o, detailed))
        }
        Command::Deploy(cmd) => {
            let detailed = cmd.run.detailed_exitcode;
            cmd.run(&sh, &root).map(|o| (o, detailed))
        }
        Command::RollingUpdate(cmd) => {
            let detailed = cmd.run.detailed_exitcode;
            cmd.run(&sh, &root).map(|o| (o, detailed))
        }
    }
}

fn env_var(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

impl flags::Validate {
    fn run(self, _sh: &Shell, root: &camino::Utf8Path) -> anyhow::Result<Outcome> {
        let loaded = specs::load_all(root)?;
        for warning in &loaded.warnings {
            eprintln!("{warning}");
        }
        let selected = loaded.select(&self.clusters)?;
        for spec in &selected {
            println!("ok: {} ({})", spec.file, spec.name());
        }
        Ok(Outcome::Clean)
    }
}

/// What the three kops-running subcommands share: load and validate specs, select clusters,
/// tell the branch, resolve the pipeline for the given stage.
struct Resolved {
    plan: kopsflow::plan::Plan,
    branch_source: String,
}

fn resolve(
    sh: &Shell,
    root: &camino::Utf8Path,
    selection: &Selection,
    run: &flags::Run,
    settings: &Settings,
    stage: &str,
) -> anyhow::Result<Resolved> {
    let loaded = specs::load_all(root)?;
    for warning in &loaded.warnings {
        eprintln!("{warning}");
    }
    let selected = loaded.select(&selection.clusters)?;
    let branch = kopsflow::git::current_branch(sh, selection.branch.as_deref(), env_var)?;
    let kops_version = match (&run.kops_version, run.print) {
        (Some(v), _) => v.parse().with_context(|| format!("--kops-version {v}"))?,
        (None, true) => PRINT_KOPS_VERSION,
        (None, false) => bail!("execution is not available yet: use --print to see the plan"),
    };
    let ctx = Context {
        branch: branch.name,
        kops_version,
        clusters: selected.into_iter().map(specs::target).collect(),
        work_dir: std::env::temp_dir()
            .join("kopsflow-XXXXXX")
            .try_into()
            .context("the temp directory is not UTF-8")?,
        only_stages: Some(vec![stage.to_owned()]),
    };
    let plan = pipeline::repo_pipeline(settings).resolve(&ctx)?;
    Ok(Resolved {
        plan,
        branch_source: branch.source,
    })
}

fn print_plan(resolved: &Resolved) {
    println!("{}", resolved.plan);
    println!(
        "(branch from {}; --print ran nothing)",
        resolved.branch_source
    );
}

impl flags::Plan {
    fn run(self, sh: &Shell, root: &camino::Utf8Path) -> anyhow::Result<Outcome> {
        let settings = Settings::from_env(env_var)?;
        let resolved = resolve(
            sh,
            root,
            &self.selection,
            &self.run,
            &settings,
            pipeline::TEST,
        )?;
        print_plan(&resolved);
        Ok(Outcome::Clean)
    }
}

impl flags::Deploy {
    fn run(self, sh: &Shell, root: &camino::Utf8Path) -> anyhow::Result<Outcome> {
        let mut settings = Settings::from_env(env_var)?;
        settings.cloud_only = self.cloudonly;
        let resolved = resolve(
            sh,
            root,
            &self.selection,
            &self.run,
            &settings,
            pipeline::DEPLOY,
        )?;
        print_plan(&resolved);
        Ok(Outcome::Clean)
    }
}

impl flags::RollingUpdate {
    fn run(self, sh: &Shell, root: &camino::Utf8Path) -> anyhow::Result<Outcome> {
        if self.selection.clusters.is_empty() && (self.yes || !self.selection.all) {
            bail!("rolling-update needs --cluster NAME (or --all for a preview): a rolling update is disruptive and deliberate");
        }
        let mut settings = Settings::from_env(env_var)?;
        settings.cloud_only = self.cloudonly;
        settings.confirm_rolling_update = self.yes;
        settings.rolling_update_instance_groups = self.instance_groups.clone();
        let resolved = resolve(
            sh,
            root,
            &self.selection,
            &self.run,
            &settings,
            pipeline::ROLLING_UPDATE,
        )?;
        print_plan(&resolved);
        Ok(Outcome::Clean)
    }
}
