//! `kopsflow-fuzz`: runs each fuzz target for a time budget in a worker process, so that an abort
//! (stack overflow, allocation failure) is caught too; saves every failing input under
//! `fuzz/regressions/<target>/` and exits 1 when anything failed.
//!
//! ```text
//! cargo run -p kopsflow-fuzz --release -- [--seconds N] [--runs N] [--target NAME]... [--seed N]
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kopsflow_fuzz::mutate::{mutate, Rng};
use kopsflow_fuzz::{regressions_dir, repo_root, Target, TARGETS};

/// One input taking longer than this is a finding: inputs are at most 64 KiB, and every parser
/// must be linear in its input.
const SLOW: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Options {
    seconds: u64,
    targets: Vec<Target>,
    seed: u64,
    /// At most this many inputs per target (with a fixed `--seed`, a reproducible pass: a slower
    /// machine runs a prefix of the same inputs, never others).
    runs: Option<u64>,
    worker: Option<(Target, PathBuf)>,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        seconds: 30,
        targets: Vec::new(),
        seed: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_secs()),
        runs: None,
        worker: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--seconds" => {
                options.seconds = value("--seconds")?
                    .parse()
                    .map_err(|e| format!("--seconds: {e}"))?;
            }
            "--seed" => {
                options.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?;
            }
            "--runs" => {
                options.runs = Some(
                    value("--runs")?
                        .parse()
                        .map_err(|e| format!("--runs: {e}"))?,
                );
            }
            "--target" => {
                let name = value("--target")?;
                options.targets.push(Target::from_name(&name).ok_or(format!(
                    "unknown target {name:?}: one of {}",
                    TARGETS.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
                ))?);
            }
            "--worker" => {
                let name = value("--worker")?;
                let target = Target::from_name(&name).ok_or(format!("unknown target {name}"))?;
                options.worker = Some((target, PathBuf::from(value("--worker")?)));
            }
            "--help" | "-h" => {
                return Err(
                    "usage: kopsflow-fuzz [--seconds N] [--runs N] [--target NAME]... [--seed N]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if options.targets.is_empty() {
        options.targets = TARGETS.to_vec();
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    match &options.worker {
        Some((target, current)) => worker(*target, current, &options),
        None => supervise(&options),
    }
}

/// Runs one worker per target, sharing the time budget, and collects what they found.
fn supervise(options: &Options) -> ExitCode {
    let repo = repo_root();
    let scratch = std::env::temp_dir().join(format!("kopsflow-fuzz-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&scratch) {
        eprintln!("cannot create {}: {e}", scratch.display());
        return ExitCode::FAILURE;
    }
    let per_target = (options.seconds / options.targets.len() as u64).max(1);
    println!(
        "fuzzing {} target(s), {per_target} s each, seed {} (pass --seed {} to repeat)",
        options.targets.len(),
        options.seed,
        options.seed
    );
    let mut failed = false;
    for target in &options.targets {
        let current = scratch.join(target.name());
        let exe = match std::env::current_exe() {
            Ok(exe) => exe,
            Err(e) => {
                eprintln!("cannot find this executable: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut worker = Command::new(exe);
        worker
            .args(["--worker", target.name()])
            .arg(&current)
            .args(["--seconds", &per_target.to_string()])
            .args(["--seed", &options.seed.to_string()]);
        if let Some(runs) = options.runs {
            worker.args(["--runs", &runs.to_string()]);
        }
        let status = worker.status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) if s.code() == Some(1) => failed = true,
            Ok(s) => {
                // Killed: an abort or a stack overflow. The input is in `current`.
                failed = true;
                let input = std::fs::read(&current).unwrap_or_default();
                let saved = save(&repo, *target, &input);
                println!(
                    "{}: the worker died ({s}) on a {}-byte input, saved as {}",
                    target.name(),
                    input.len(),
                    saved.display()
                );
            }
            Err(e) => {
                eprintln!("cannot start the {} worker: {e}", target.name());
                failed = true;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    if failed {
        println!("fuzzing found failures: each input is saved under fuzz/regressions/ and replayed by `cargo test -p kopsflow-fuzz`");
        ExitCode::FAILURE
    } else {
        println!("no failures");
        ExitCode::SUCCESS
    }
}

fn worker(target: Target, current: &Path, options: &Options) -> ExitCode {
    let repo = repo_root();
    let seeds = target.seeds(&repo);
    let mut rng = Rng::new(options.seed ^ (target as u64).wrapping_mul(0x1000_0001));
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let mut runs: u64 = 0;
    // Panics are findings reported by `check`; keep the default hook from printing each one.
    std::panic::set_hook(Box::new(|_| {}));
    while Instant::now() < deadline && options.runs.is_none_or(|cap| runs < cap) {
        let seed = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, seed, &seeds);
        if std::fs::write(current, &input).is_err() {
            eprintln!("cannot write {}", current.display());
            return ExitCode::from(3);
        }
        let start = Instant::now();
        let result = target.check(&input);
        let took = start.elapsed();
        runs += 1;
        let problem = match result {
            Err(problem) => Some(problem),
            Ok(()) if took > SLOW => Some(format!("slow: {took:?} for {} bytes", input.len())),
            Ok(()) => None,
        };
        if let Some(problem) = problem {
            let saved = save(&repo, target, &input);
            println!(
                "{}: {} after {runs} runs; input ({} bytes) saved as {}",
                target.name(),
                first_line(&problem),
                input.len(),
                saved.display()
            );
            return ExitCode::FAILURE;
        }
    }
    println!("{}: {runs} runs, no failure", target.name());
    ExitCode::SUCCESS
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    line.chars().take(300).collect()
}

/// Saves a failing input by content hash (FNV-1a), so the same finding is kept once.
fn save(repo: &Path, target: Target, input: &[u8]) -> PathBuf {
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let dir = regressions_dir(repo, target);
    let path = dir.join(format!("{hash:016x}"));
    if std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, input))
        .is_err()
    {
        eprintln!("cannot save {}", path.display());
    }
    path
}
