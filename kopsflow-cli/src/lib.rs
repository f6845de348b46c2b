//! kopsflow's command line as a library: everything `cargo xtask` does — flags, jobs, cluster
//! selection, guards, the audit log, export, drift, status, the kops pin check, the output sink,
//! CI generation and the template engine — for any repository. A repository writes a small
//! `xtask` that builds one [`Repo`] value (its pipeline, settings, policy and templates) and
//! hands it to [`main`]:
//!
//! ```no_run
//! # fn repo() -> kopsflow_cli::Repo { unimplemented!() }
//! fn main() -> std::process::ExitCode {
//!     kopsflow_cli::main(repo())
//! }
//! ```
//!
//! Exit codes: 0 success, 1 error, 2 (only with `--detailed-exitcode`) changes pending, a
//! rolling update needed, a cluster drifted or needs attention (`status`).
//!
//! The pure model (specs, kops commands, stores, stages, plans, reports) is the `kopsflow`
//! crate; this crate is its effects edge (processes, files, the terminal).

#![warn(missing_docs)]

pub mod audit;
pub mod ci;
pub mod config;
pub mod cost;
pub mod drift;
pub mod environment;
pub mod export;
pub mod flags;
pub mod guards;
pub mod job;
pub mod output;
pub mod pin;
pub mod pipeline;
pub mod policies;
pub mod render;
mod repo;
pub mod select;
pub mod specs;
pub mod status;
#[cfg(test)]
mod testing;

use std::process::ExitCode;

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use xshell::Shell;

pub use crate::config::Config;
use crate::flags::Command;
use crate::job::{Job, Outcome};
use crate::output::Output;
pub use crate::repo::{Declared, Repo, Templates};

/// The command line of `repo`: parses the arguments, runs the subcommand, prints every line
/// through the output sink, and returns the exit code (errors are printed once, `error: …`).
pub fn main(repo: Repo) -> ExitCode {
    let output = Output::from_env();
    match run(&repo, &output) {
        Ok(code) => code,
        Err(err) => {
            output.err(&error_line(&err));
            ExitCode::FAILURE
        }
    }
}

fn run(repo: &Repo, output: &Output) -> anyhow::Result<ExitCode> {
    // Usage errors exit 1 like every other error: 2 means "changes pending" to CI scripts.
    let command = flags::with_pin_place(
        <flags::Xtask as clap::CommandFactory>::command(),
        &repo.kops_pin.place(),
    );
    let parsed = command
        .try_get_matches()
        .and_then(|matches| <flags::Xtask as clap::FromArgMatches>::from_arg_matches(&matches));
    let args = match parsed {
        Ok(args) => args,
        Err(err) => {
            let text = err.render().to_string();
            return Ok(if err.use_stderr() {
                output.err(text.trim_end());
                ExitCode::FAILURE
            } else {
                output.out(text.trim_end());
                ExitCode::SUCCESS
            });
        }
    };
    let sh = Shell::new()?;
    let cwd =
        Utf8PathBuf::try_from(sh.current_dir()).context("the current directory is not UTF-8")?;
    let root = specs::find_root(&cwd)?;
    sh.change_dir(&root);
    let job: Job = match args.command {
        Command::Validate(cmd) => {
            cmd.run(repo, output, &root)?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Render(cmd) => return cmd.run(repo, output, &root),
        Command::Ci(cmd) => return ci::run(repo, cmd.engine, cmd.check, output, &root),
        Command::Plan(cmd) => cmd.into(),
        Command::Deploy(cmd) => cmd.into(),
        Command::RollingUpdate(cmd) => cmd.try_into()?,
        Command::Drift(cmd) => cmd.into(),
        Command::Status(cmd) => cmd.into(),
        Command::Export(cmd) => {
            cmd.run(repo, &sh, output, &root, &Config::from_env(repo, env_var)?)?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    let detailed_exitcode = job.run.detailed_exitcode;
    let config = Config::from_env(repo, env_var)?;
    Ok(match job.run(repo, &sh, output, &root, &config)? {
        Outcome::Pending if detailed_exitcode => ExitCode::from(2),
        Outcome::Pending | Outcome::Clean => ExitCode::SUCCESS,
    })
}

/// How an error that ends a run is printed: `error: …`, once — an error whose text already
/// starts with `error:` (spec diagnostics) is not prefixed again.
fn error_line(err: &anyhow::Error) -> String {
    let text = format!("{err:#}");
    if text.starts_with("error:") {
        text
    } else {
        format!("error: {text}")
    }
}

fn env_var(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

impl flags::Validate {
    fn run(self, repo: &Repo, output: &Output, root: &Utf8Path) -> anyhow::Result<()> {
        let loaded = specs::load_all(root, repo)?;
        for warning in &loaded.warnings {
            output.err(&warning.to_string());
        }
        let selected = loaded.select(&self.clusters)?;
        let config = Config::from_env(repo, env_var)?;
        specs::check_environments(root, repo, &config, &selected)?;
        for spec in &selected {
            output.out(&format!("ok: {} ({})", spec.file, spec.name()));
        }
        let sources = render::Sources::for_repo(root, repo);
        let pinned = pin::validate(output, &repo.kops_pin, &sources, &selected);
        policies::check_offline(repo, output, &sources, &selected, &self.allow.rules)?;
        pinned
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_error_is_said_once() {
        let plain = anyhow::anyhow!("kops failed");
        assert_eq!(super::error_line(&plain), "error: kops failed");
        let diagnostic =
            anyhow::anyhow!("error: cluster-spec/a.yml:3:1: bad\n1 error in cluster specs");
        assert_eq!(
            super::error_line(&diagnostic),
            "error: cluster-spec/a.yml:3:1: bad\n1 error in cluster specs"
        );
    }
}
