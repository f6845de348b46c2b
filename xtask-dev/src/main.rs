//! `cargo dev`: kopsflow's own development tools, apart from the operators' `cargo xtask` —
//! `bench` (speed and memory against their targets) and `fuzz` (a longer fuzzing campaign). The
//! tidy rules are this crate's `cargo test` (`tidy.rs`).

mod bench;
mod fuzz;
#[cfg(test)]
mod tidy;

use std::process::ExitCode;

use anyhow::Context as _;
use camino::Utf8PathBuf;
use clap::{Args, Parser, Subcommand};
use xshell::Shell;

#[derive(Debug, Parser)]
#[command(
    name = "cargo dev",
    bin_name = "cargo dev",
    about = "kopsflow's development tools: benchmarks and fuzzing (operators use `cargo xtask`)."
)]
struct Dev {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measure kopsflow itself: a fresh clone's cold build, `plan --print --all` over generated
    /// specs (wall time, peak RSS) and the --jobs speed-up, against their targets.
    Bench(Bench),
    /// Fuzz kopsflow's parsers, normalisation and redaction; findings are saved under
    /// fuzz/regressions/ and replayed by `cargo test`.
    Fuzz(Fuzz),
}

#[derive(Debug, Args)]
struct Bench {
    /// How many cluster specs `plan --print --all` reads.
    #[arg(long, value_name = "N", default_value_t = 200)]
    clusters: usize,
    /// How many times it runs (the median is reported).
    #[arg(long, value_name = "N", default_value_t = 11)]
    runs: usize,
    /// Skip the cold build of a fresh clone (it takes a while).
    #[arg(long)]
    skip_cold_build: bool,
    /// Skip the --jobs ratio: `plan --all` over 20 clusters at --jobs 1 and --jobs 4, the kops
    /// stand-in sleeping 1 s per call (it takes about 100 s).
    #[arg(long)]
    skip_jobs: bool,
    /// Internal: measure the plan runs in this prepared workspace and print "wall_ns rss_kib".
    /// A fresh process is needed because peak RSS is read over all the children a process ever
    /// waited for (and `cargo run` execs xtask in the process that ran rustc).
    #[arg(long, hide = true, value_name = "DIR")]
    measure_in: Option<camino::Utf8PathBuf>,
}

#[derive(Debug, Args)]
struct Fuzz {
    /// How long the campaign runs, shared by the targets.
    #[arg(long, value_name = "N", default_value_t = 10)]
    minutes: u64,
    /// Only these targets (repeatable): spec, kops-get, update, rolling, normalize, redact,
    /// spec-yaml11.
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// Repeat a campaign: the seed it printed.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let args = Dev::parse();
    let sh = Shell::new()?;
    // The workspace root: this crate's parent directory.
    let root = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask-dev is inside the workspace")?
        .to_owned();
    sh.change_dir(&root);
    match args.command {
        Command::Bench(cmd) => cmd.run(&root),
        Command::Fuzz(cmd) => cmd.run(&sh),
    }
}
