//! xtask: this repository's kops pipeline (`pipeline.rs`) and its command line.
//!
//! Exit codes: 0 success, 1 error, 2 (only with `--detailed-exitcode`) changes pending or a
//! rolling update needed.

mod config;
mod flags;
mod pipeline;
mod specs;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use camino::{Utf8Path, Utf8PathBuf};
use kopsflow::kops::KopsVersion;
use kopsflow::kops::Mode;
use kopsflow::pipeline::{Context, Stage};
use xshell::Shell;

use crate::config::Config;
use crate::flags::{Command, Format, Selection};
use crate::pipeline::{RepoPipeline, RunFlags};

/// The kops version `--print` resolves for when `--kops-version` is not given (it runs nothing,
/// not even `kops version`).
const PRINT_KOPS_VERSION: KopsVersion = KopsVersion::new(1, 29, 2);

/// How a successful run ended; with `--detailed-exitcode`, `Pending` exits 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    Pending,
}

fn main() -> ExitCode {
    // Usage errors exit 1 like every other error: 2 means "changes pending" to CI scripts.
    let args = match <flags::Xtask as clap::Parser>::try_parse() {
        Ok(args) => args,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
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
    fn run(self, _sh: &Shell, root: &Utf8Path) -> anyhow::Result<Outcome> {
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
/// tell the branch, find kops and its version, resolve the pipeline for one stage, then print
/// the plan (`--print`) or run it and report.
struct Job<'a> {
    sh: &'a Shell,
    root: &'a Utf8Path,
    selection: &'a Selection,
    run: &'a flags::Run,
    config: Config,
    flags: RunFlags,
    /// The job's stage of the repo pipeline.
    stage: fn(RepoPipeline) -> Stage,
    /// `plan`, `deploy` or `rolling-update`: names the run in reports.
    command: &'static str,
}

impl Job<'_> {
    fn execute(self) -> anyhow::Result<Outcome> {
        let timeout = kopsflow::duration::parse_duration(&self.run.timeout).context("--timeout")?;
        let loaded = specs::load_all(self.root)?;
        for warning in &loaded.warnings {
            eprintln!("{warning}");
        }
        let selected = loaded.select(&self.selection.clusters)?;
        let branch =
            kopsflow::git::current_branch(self.sh, self.selection.branch.as_deref(), env_var)?;
        let mut ctx = Context {
            branch: branch.name.clone(),
            kops_version: PRINT_KOPS_VERSION,
            clusters: selected.into_iter().map(specs::target).collect(),
            work_dir: std::env::temp_dir()
                .join("kopsflow-XXXXXX")
                .try_into()
                .context("the temp directory is not UTF-8")?,
        };
        let pipeline = pipeline::repo_pipeline(&self.config, self.flags.clone()).only(self.stage);
        if self.run.print {
            if let Some(v) = &self.run.kops_version {
                ctx.kops_version = v.parse().with_context(|| format!("--kops-version {v}"))?;
            }
            let plan = pipeline.resolve(&ctx)?;
            println!("{plan}");
            println!("(branch from {}; --print ran nothing)", branch.source);
            return Ok(Outcome::Clean);
        }

        let cancel = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancel);
        // Ctrl-C and SIGTERM: stop the running kops child, clean up, exit 1.
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
            .context("cannot install the Ctrl-C handler")?;
        let kops = kopsflow::exec::find_kops(self.run.kops.as_deref(), env_var)?;
        let log: kopsflow::exec::process::Log = Arc::new(|line: &str| eprintln!("{line}"));
        let work = tempfile::Builder::new()
            .prefix("kopsflow-")
            .tempdir()
            .context("cannot create a temporary directory")?;
        ctx.work_dir = Utf8PathBuf::try_from(work.path().to_path_buf())
            .context("the temp directory is not UTF-8")?;
        let exec = kopsflow::exec::Executor {
            kops,
            runner: kopsflow::exec::ProcessRunner {
                timeout,
                heartbeat: Duration::from_secs(60),
                cancel,
                redactor: kopsflow::exec::Redactor::from_env(std::env::vars()),
                log,
            },
            root: self.root.to_owned(),
        };
        ctx.kops_version = match &self.run.kops_version {
            Some(v) => v.parse().with_context(|| format!("--kops-version {v}"))?,
            None => exec.kops_version()?,
        };
        let plan = pipeline.resolve(&ctx)?;
        eprintln!("{plan}");
        eprintln!("(branch from {})", branch.source);
        if plan.steps().any(|(_, _, step)| step.mutates_production())
            && !kopsflow::git::is_clean(self.sh)?
        {
            bail!("the work tree has uncommitted changes: {} applies only committed specs (commit or stash them)", self.command);
        }
        let summary = exec.run(&plan, self.command);
        drop(work);
        self.report(&summary)?;
        let errors: Vec<&str> = summary
            .clusters
            .iter()
            .filter_map(|c| c.error.as_deref())
            .collect();
        if !errors.is_empty() {
            bail!(
                "{} of {} cluster(s) failed:\n{}",
                errors.len(),
                summary.clusters.len(),
                errors.join("\n")
            );
        }
        let pending = match self.command {
            "plan" => summary.changes_pending(),
            _ => summary.rolling_update_needed(),
        };
        Ok(if pending {
            Outcome::Pending
        } else {
            Outcome::Clean
        })
    }

    fn report(&self, summary: &kopsflow::report::RunSummary) -> anyhow::Result<()> {
        use std::io::IsTerminal as _;
        let text = match self.run.format {
            Format::Text => {
                let color = kopsflow::report::use_color(
                    std::io::stdout().is_terminal(),
                    env_var("NO_COLOR").as_deref(),
                );
                kopsflow::report::render_text(summary, color)
            }
            Format::Markdown => kopsflow::report::render_markdown(summary),
            Format::Json => kopsflow::report::render_json(summary),
        };
        println!("{}", text.trim_end());
        if let Some(path) = env_var("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            use std::io::Write as _;
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .with_context(|| format!("cannot open $GITHUB_STEP_SUMMARY ({path})"))?;
            writeln!(file, "{}", kopsflow::report::render_markdown(summary))
                .with_context(|| format!("cannot write $GITHUB_STEP_SUMMARY ({path})"))?;
        }
        Ok(())
    }
}

impl flags::Plan {
    fn run(self, sh: &Shell, root: &Utf8Path) -> anyhow::Result<Outcome> {
        Job {
            sh,
            root,
            selection: &self.selection,
            run: &self.run,
            config: Config::from_env(env_var)?,
            flags: RunFlags::default(),
            stage: |p| p.test,
            command: "plan",
        }
        .execute()
    }
}

impl flags::Deploy {
    fn run(self, sh: &Shell, root: &Utf8Path) -> anyhow::Result<Outcome> {
        Job {
            sh,
            root,
            selection: &self.selection,
            run: &self.run,
            config: Config::from_env(env_var)?,
            flags: RunFlags {
                cloud_only: self.cloudonly,
                ..RunFlags::default()
            },
            stage: |p| p.deploy,
            command: "deploy",
        }
        .execute()
    }
}

impl flags::RollingUpdate {
    fn run(self, sh: &Shell, root: &Utf8Path) -> anyhow::Result<Outcome> {
        if self.selection.clusters.is_empty() && (self.yes || !self.selection.all) {
            bail!("rolling-update needs --cluster NAME (or --all for a preview): a rolling update is disruptive and deliberate");
        }
        Job {
            sh,
            root,
            selection: &self.selection,
            run: &self.run,
            config: Config::from_env(env_var)?,
            flags: RunFlags {
                cloud_only: self.cloudonly,
                roll: if self.yes { Mode::Apply } else { Mode::Preview },
                instance_groups: self.instance_groups.clone(),
            },
            stage: |p| p.rolling_update,
            command: "rolling-update",
        }
        .execute()
    }
}
