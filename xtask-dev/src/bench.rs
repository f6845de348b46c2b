//! `cargo dev bench`: the speed and memory figures `docs/TESTING.md` records — a fresh clone's
//! cold `cargo xtask --help`, `plan --print --all` over generated cluster specs (wall time and
//! peak RSS), and what `--jobs` gains over generated clusters with a slow kops stand-in. Targets
//! are printed next to the figures; benchmarks measure, tests never time. The runs measured are
//! of the operators' binary (`xtask`), built first.

use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use camino::Utf8Path;
use kopsflow::duration::format_elapsed;

/// Where the cluster specs are, relative to a repository root.
const SPEC_DIR: &str = "cluster-spec";

/// Targets from the architecture issue; a figure above its target is flagged, not failed.
const COLD_BUILD_TARGET: Duration = Duration::from_secs(12);
const PRINT_WALL_TARGET: Duration = Duration::from_millis(50);
const PRINT_RSS_TARGET_KIB: u64 = 30 * 1024;

/// The `--jobs` ratio: `plan --all --jobs JOBS` over JOBS_CLUSTERS clusters, the kops stand-in
/// sleeping JOBS_SLEEP in every call, against the ideal `ceil(clusters / jobs) × per-cluster`.
const JOBS_CLUSTERS: usize = 20;
const JOBS: usize = 4;
const JOBS_SLEEP: &str = "1";
const JOBS_RATIO_TARGET: f64 = 1.05;

/// The kops stand-in of the CLI tests and the real kops output it replays.
const STANDIN: &str = "xtask/tests/kops-standin.sh";
const SAMPLES: &str = "kopsflow/tests/kops-samples";

/// The cluster every generated spec is derived from.
const TEMPLATE_SPEC: &str = "cluster-spec/test.k8s.example.com.yml";
const TEMPLATE_NAME: &str = "test.k8s.example.com";

impl crate::Bench {
    /// Runs the benchmarks (or, with `--measure-in`, one measuring child).
    pub fn run(self, root: &Utf8Path) -> anyhow::Result<ExitCode> {
        if let Some(workspace) = &self.measure_in {
            let (wall, rss_kib) = plan_print(workspace, self.runs)?;
            println!("{} {rss_kib}", wall.as_nanos());
            return Ok(ExitCode::SUCCESS);
        }
        build_xtask(root)?;
        let scratch = kopsflow::exec::ScratchDir::new("kopsflow-bench-")?;
        println!("kopsflow bench ({})", machine());
        // Peak RSS is read over all children so far: measure the plan before cargo runs.
        let workspace = scratch.path().join("specs");
        generate_specs(root, &workspace, self.clusters)?;
        let (wall, rss_kib) = measure(&workspace, self.runs)?;
        println!(
            "plan --print --all over {} specs: median {} of {} runs (target < {}){}, peak RSS {:.1} MiB (target < {} MiB){}",
            self.clusters,
            format_ms(wall),
            self.runs,
            format_ms(PRINT_WALL_TARGET),
            flag(wall >= PRINT_WALL_TARGET),
            rss_kib as f64 / 1024.0,
            PRINT_RSS_TARGET_KIB / 1024,
            flag(rss_kib >= PRINT_RSS_TARGET_KIB)
        );
        if self.skip_cold_build {
            println!("cold build: skipped (--skip-cold-build)");
        } else {
            let took = cold_build(root, &scratch.path().join("clone"))?;
            println!(
                "cold build: fresh clone, `cargo xtask --help`: {} (target ≤ {}){}",
                format_elapsed(took),
                format_elapsed(COLD_BUILD_TARGET),
                flag(took > COLD_BUILD_TARGET)
            );
        }
        changed_only(root, &scratch.path().join("changed"))?;
        if self.skip_jobs {
            println!("--jobs ratio: skipped (--skip-jobs)");
        } else {
            jobs_ratio(root, &scratch.path().join("jobs"))?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn flag(over: bool) -> &'static str {
    if over {
        "  << over target"
    } else {
        ""
    }
}

fn format_ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!("{cores} cores, {model}")
}

fn run(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {what}"))?;
    if !status.success() {
        bail!("{what} failed: {status}");
    }
    Ok(())
}

/// A fresh clone of HEAD with its own target directory, timed from `cargo xtask --help` to exit
/// (the registry is already downloaded: this is compile time, not download time).
fn cold_build(root: &Utf8Path, clone: &Utf8Path) -> anyhow::Result<Duration> {
    run(
        Command::new("git").args([
            "clone",
            "--quiet",
            "--no-hardlinks",
            root.as_str(),
            clone.as_str(),
        ]),
        "git clone",
    )?;
    let start = Instant::now();
    run(
        Command::new("cargo")
            .args(["xtask", "--help"])
            .current_dir(clone)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("RUSTC_WRAPPER")
            .stdout(Stdio::null()),
        "cargo xtask --help in the fresh clone",
    )?;
    Ok(start.elapsed())
}

/// `count` clusters derived from the example spec, each under its own name.
fn generate_specs(root: &Utf8Path, workspace: &Utf8Path, count: usize) -> anyhow::Result<()> {
    let template = std::fs::read_to_string(root.join(TEMPLATE_SPEC))
        .with_context(|| format!("cannot read {TEMPLATE_SPEC}"))?;
    let dir = workspace.join(SPEC_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {dir}"))?;
    for i in 0..count {
        let name = format!("bench-{i:04}.k8s.example.com");
        let path = dir.join(format!("{name}.yml"));
        std::fs::write(&path, template.replace(TEMPLATE_NAME, &name))
            .with_context(|| format!("cannot write {path}"))?;
    }
    Ok(())
}

/// [`plan_print`] in a fresh child process (see `--measure-in`).
fn measure(workspace: &Utf8Path, runs: usize) -> anyhow::Result<(Duration, u64)> {
    let exe = std::env::current_exe().context("cannot find the xtask binary")?;
    let out = Command::new(exe)
        .args([
            "bench",
            "--runs",
            &runs.to_string(),
            "--measure-in",
            workspace.as_str(),
        ])
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run the measuring child")?;
    if !out.status.success() {
        bail!("the measuring child failed: {}", out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut numbers = text.split_whitespace().map(str::parse::<u64>);
    match (numbers.next(), numbers.next()) {
        (Some(Ok(nanos)), Some(Ok(rss))) => Ok((Duration::from_nanos(nanos), rss)),
        _ => bail!("the measuring child printed {text:?}"),
    }
}

/// Median wall time of `plan --print --all` and the peak RSS of any run, in KiB.
fn plan_print(workspace: &Utf8Path, runs: usize) -> anyhow::Result<(Duration, u64)> {
    let exe = xtask_exe()?;
    let mut walls = Vec::new();
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        run(
            Command::new(&exe)
                .args(["plan", "--print", "--all", "--branch", "feature/bench"])
                .current_dir(workspace)
                .env_remove("KOPS_STATE_STORE")
                .stdout(Stdio::null()),
            "plan --print --all",
        )?;
        walls.push(start.elapsed());
    }
    walls.sort();
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .context("getrusage")?;
    // Linux reports ru_maxrss in KiB: the largest child waited for so far.
    let rss_kib = u64::try_from(usage.max_rss()).unwrap_or(0);
    Ok((walls[walls.len() / 2], rss_kib))
}

/// How many clusters the repository of [`changed_only`] holds.
const CHANGED_REPO_CLUSTERS: usize = 50;

/// A pull request touching one spec of a [`CHANGED_REPO_CLUSTERS`]-cluster repository: `plan`
/// (default selection) runs kops for that cluster only. Counts the clusters the kops stand-in
/// was asked about.
fn changed_only(root: &Utf8Path, dir: &Utf8Path) -> anyhow::Result<()> {
    let workspace = dir.join("repo");
    generate_specs(root, &workspace, CHANGED_REPO_CLUSTERS)?;
    let standin_dir = dir.join("standin");
    let home = dir.join("home");
    for d in [&standin_dir, &home] {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {d}"))?;
    }
    let git = |args: &[&str]| -> anyhow::Result<()> {
        run(
            Command::new("git")
                .args(args)
                .current_dir(&workspace)
                .env("HOME", &home)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_AUTHOR_NAME", "bench")
                .env("GIT_AUTHOR_EMAIL", "bench@example.com")
                .env("GIT_COMMITTER_NAME", "bench")
                .env("GIT_COMMITTER_EMAIL", "bench@example.com")
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
            &format!("git {}", args.join(" ")),
        )
    };
    git(&["init", "-q", "-b", "main"])?;
    git(&["add", "-A"])?;
    git(&["commit", "-q", "-m", "clusters"])?;
    git(&["checkout", "-q", "-b", "feature/one"])?;
    let changed = workspace.join("cluster-spec/bench-0007.k8s.example.com.yml");
    let text =
        std::fs::read_to_string(&changed).with_context(|| format!("cannot read {changed}"))?;
    std::fs::write(&changed, text.replacen("maxSize: 3", "maxSize: 4", 1))
        .with_context(|| format!("cannot write {changed}"))?;
    git(&["commit", "-q", "-am", "resize one cluster"])?;
    let exe = xtask_exe()?;
    // The stand-in replays one recorded production for every cluster, so the plan may end in a
    // policy violation (exit 1) after its kops calls: what counts here is which clusters kops
    // was asked about, read from the stand-in's log below.
    Command::new(exe)
        .args([
            "plan",
            "--kops-version",
            "1.29.2",
            "--kops",
            root.join(STANDIN).as_str(),
        ])
        .current_dir(&workspace)
        .env("HOME", &home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("KOPS_STANDIN_DIR", &standin_dir)
        .env("KOPS_STANDIN_SAMPLES", root.join(SAMPLES))
        .env_remove("KOPS_STATE_STORE")
        .env_remove("GITHUB_BASE_REF")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("cannot run plan with the kops stand-in")?;
    let log = std::fs::read_to_string(standin_dir.join("calls.log")).unwrap_or_default();
    let calls: Vec<&str> = log.lines().filter(|l| l.starts_with("call ")).collect();
    let mut clusters: Vec<&str> = calls
        .iter()
        .filter_map(|l| l.split(" get cluster ").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    clusters.dedup();
    println!(
        "changed-cluster selection: a branch touching 1 of {CHANGED_REPO_CLUSTERS} specs: kops ran for {} cluster(s) ({}), {} kops call(s){}",
        clusters.len(),
        clusters.join(", "),
        calls.len(),
        flag(clusters.len() != 1)
    );
    Ok(())
}

/// `plan --all` over [`JOBS_CLUSTERS`] generated clusters with the kops stand-in sleeping in every
/// call, at `--jobs 1` and `--jobs JOBS`. The ideal at `--jobs JOBS` is
/// `ceil(JOBS_CLUSTERS / JOBS)` clusters one after the other, each taking what one cluster took
/// at `--jobs 1` (`--kops-version` spares the one `kops version` call, which would not divide).
fn jobs_ratio(root: &Utf8Path, dir: &Utf8Path) -> anyhow::Result<()> {
    let workspace = dir.join("specs");
    generate_specs(root, &workspace, JOBS_CLUSTERS)?;
    let standin_dir = dir.join("standin");
    std::fs::create_dir_all(&standin_dir)
        .with_context(|| format!("cannot create {standin_dir}"))?;
    let plan = |jobs: usize| -> anyhow::Result<Duration> {
        let exe = xtask_exe()?;
        let start = Instant::now();
        run(
            Command::new(exe)
                .args([
                    "plan",
                    "--all",
                    "--branch",
                    "feature/bench",
                    "--kops-version",
                    "1.29.2",
                ])
                .args([
                    "--jobs",
                    &jobs.to_string(),
                    "--kops",
                    root.join(STANDIN).as_str(),
                ])
                .current_dir(&workspace)
                .env("KOPS_STANDIN_DIR", &standin_dir)
                .env("KOPS_STANDIN_SAMPLES", root.join(SAMPLES))
                .env("KOPS_STANDIN_SLEEP", format!("* {JOBS_SLEEP}"))
                .env_remove("KOPS_STATE_STORE")
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
            &format!("plan --all --jobs {jobs} with the kops stand-in"),
        )?;
        Ok(start.elapsed())
    };
    let one = plan(1)?;
    let many = plan(JOBS)?;
    let per_cluster = one.as_secs_f64() / JOBS_CLUSTERS as f64;
    let rounds = JOBS_CLUSTERS.div_ceil(JOBS);
    let ideal = per_cluster * rounds as f64;
    let ratio = many.as_secs_f64() / ideal;
    println!(
        "--jobs ratio: plan --all over {JOBS_CLUSTERS} clusters, kops stand-in sleeping {JOBS_SLEEP} s per call: \
         --jobs 1 {:.1} s ({per_cluster:.2} s per cluster), --jobs {JOBS} {:.1} s; \
         ideal {rounds} × {per_cluster:.2} s = {ideal:.1} s; ratio {ratio:.3} (target ≤ {JOBS_RATIO_TARGET}){}",
        one.as_secs_f64(),
        many.as_secs_f64(),
        flag(ratio > JOBS_RATIO_TARGET)
    );
    Ok(())
}

/// The operators' binary, `xtask`, next to this one in the target directory (built by
/// [`build_xtask`] before anything is measured).
fn xtask_exe() -> anyhow::Result<std::path::PathBuf> {
    let exe = std::env::current_exe().context("cannot find the xtask-dev binary")?;
    let dir = exe
        .parent()
        .context("the xtask-dev binary has no directory")?;
    Ok(dir.join(format!("xtask{}", std::env::consts::EXE_SUFFIX)))
}

/// `cargo build --package xtask`, in the profile this binary was built with (debug).
fn build_xtask(root: &Utf8Path) -> anyhow::Result<()> {
    run(
        Command::new("cargo")
            .args(["build", "--quiet", "--package", "xtask"])
            .current_dir(root),
        "cargo build --package xtask",
    )
}
