//! xtask: this repository's kops pipeline (`pipeline.rs`) and its command line.
//!
//! Exit codes: 0 success, 1 error, 2 (only with `--detailed-exitcode`) changes pending, a
//! rolling update needed, a cluster drifted or needs attention (`status`).

mod audit;
mod bench;
mod ci;
mod config;
mod cost;
mod drift;
mod export;
mod flags;
mod fuzz;
mod guards;
mod job;
mod output;
mod pin;
mod pipeline;
mod policies;
mod render;
mod select;
mod specs;
mod status;
mod templates;
#[cfg(test)]
mod tidy;

use std::process::ExitCode;

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};
use xshell::Shell;

use crate::config::Config;
use crate::flags::Command;
use crate::job::{Job, Outcome};
use crate::output::Output;

fn main() -> ExitCode {
    let output = Output::from_env();
    match run(&output) {
        Ok(code) => code,
        Err(err) => {
            output.err(&error_line(&err));
            ExitCode::FAILURE
        }
    }
}

fn run(output: &Output) -> anyhow::Result<ExitCode> {
    // Usage errors exit 1 like every other error: 2 means "changes pending" to CI scripts.
    let args = match <flags::Xtask as clap::Parser>::try_parse() {
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
            cmd.run(output, &root)?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Render(cmd) => return cmd.run(output, &root),
        Command::Bench(cmd) => return cmd.run(&root),
        Command::Fuzz(cmd) => return cmd.run(&sh),
        Command::Ci(cmd) => return ci::run(cmd.engine, cmd.check, output, &root),
        Command::Plan(cmd) => cmd.into(),
        Command::Deploy(cmd) => cmd.into(),
        Command::RollingUpdate(cmd) => cmd.try_into()?,
        Command::Drift(cmd) => cmd.into(),
        Command::Status(cmd) => cmd.into(),
        Command::Export(cmd) => {
            cmd.run(&sh, output, &root, &Config::from_env(env_var)?)?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    let detailed_exitcode = job.run.detailed_exitcode;
    let config = Config::from_env(env_var)?;
    Ok(match job.run(&sh, output, &root, &config)? {
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
    fn run(self, output: &Output, root: &Utf8Path) -> anyhow::Result<()> {
        let loaded = specs::load_all(root)?;
        for warning in &loaded.warnings {
            output.err(&warning.to_string());
        }
        let selected = loaded.select(&self.clusters)?;
        for spec in &selected {
            output.out(&format!("ok: {} ({})", spec.file, spec.name()));
        }
        let sources = render::Sources::for_repo(root);
        let pinned = pin::validate(output, &sources, &selected);
        policies::check_offline(output, &sources, &selected, &self.allow.rules)?;
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
