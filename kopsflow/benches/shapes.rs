//! `cargo bench -p kopsflow --bench shapes`: the speed targets of issue 16's shapes — the paths
//! that were quadratic over 1 MB specs (the `network-cidr-changed` policy over 60k subnets, the
//! cost estimate over 40k changed, unpriced instance groups, 170k duplicate keys on one line).
//! The inputs are the regression tests' own (`tests/it/shape_inputs.rs`); the tests assert the
//! outcomes, this times them: the median of a few runs per case, printed next to its target, and
//! `OVER TARGET` flagged, not failed (benchmarks measure, tests never time). No harness
//! dependency: a plain `main` (`harness = false`), in the style of `cargo dev bench`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use camino::Utf8Path;
use kopsflow::cost::{estimate, PriceTable};
use kopsflow::policy::{Policy, Settings};
use kopsflow::spec::ClusterSpec;

#[path = "../tests/it/shape_inputs.rs"]
#[allow(clippy::unwrap_used)]
mod shape_inputs;

use shape_inputs::{
    duplicate_keys_on_one_line, half_the_groups, moved_subnets, unpriced_groups, GROUPS, MB,
};

/// Runs of each case; the median is reported.
const RUNS: usize = 5;

/// Targets: about 5× the medians measured on 2026-12-03 (`docs/TESTING.md`, "Benchmarks":
/// bench profile, 2 cores shared with other builds, load average 7): policy 12–18 ms, estimate 73–130 ms,
/// unknown prices 27–89 ms, estimate with half gone 61–80 ms, duplicate keys 170–220 ms. The
/// quadratic versions took, in debug-build tests over the same 1 MB inputs, 47 s (the policy) and
/// 73 s (the cost estimate): a return to them misses its target by orders of magnitude.
const POLICY_TARGET: Duration = Duration::from_millis(75);
const ESTIMATE_TARGET: Duration = Duration::from_millis(400);
const UNKNOWN_TARGET: Duration = Duration::from_millis(150);
const ESTIMATE_HALF_TARGET: Duration = Duration::from_millis(350);
const DUPLICATE_KEYS_TARGET: Duration = Duration::from_millis(1000);

fn main() -> ExitCode {
    // `cargo bench` passes `--bench` (and any filter); every case runs regardless.
    println!(
        "kopsflow shapes bench ({}), median of {RUNS} runs",
        machine()
    );
    let mut wrong = Vec::new();

    let (git, live) = moved_subnets();
    let subnets = live.cluster.subnets.len();
    let policy = Policy::new(Settings::default());
    let moved = case(
        &format!("policy network-cidr-changed over {subnets} subnets"),
        POLICY_TARGET,
        || {
            policy
                .evaluate(&git, Some(&live), &[])
                .iter()
                .filter(|v| v.rule == "network-cidr-changed")
                .count()
        },
    );
    check(&mut wrong, "moved CIDRs", moved, subnets.div_ceil(100));

    let (git, live) = unpriced_groups();
    let table = PriceTable::bundled();
    let change = case(
        &format!("cost estimate, {GROUPS} groups changed and unpriced"),
        ESTIMATE_TARGET,
        || estimate(&git, Some(&live), &table, false),
    );
    check(&mut wrong, "groups", change.groups.len(), GROUPS);
    let unknown = case(
        &format!("cost unknown prices of those {GROUPS} groups"),
        UNKNOWN_TARGET,
        || change.unknown().len(),
    );
    check(&mut wrong, "unknown prices", unknown, 2 * GROUPS);
    let half = half_the_groups(&git);
    let change = case(
        &format!(
            "cost estimate, {} of {GROUPS} groups gone from git",
            GROUPS / 2
        ),
        ESTIMATE_HALF_TARGET,
        || estimate(&half, Some(&live), &table, false),
    );
    check(
        &mut wrong,
        "still running",
        change.still_running().count(),
        GROUPS / 2,
    );

    let text = duplicate_keys_on_one_line();
    let file = Utf8Path::new("cluster-spec/big.example.com.yml");
    let duplicates = case(
        &format!(
            "spec parse, {} duplicate keys on one {:.1} MB line",
            MB / 6 - 1,
            text.len() as f64 / MB as f64
        ),
        DUPLICATE_KEYS_TARGET,
        || match ClusterSpec::parse(file, &text) {
            Ok(_) => 0,
            Err(diagnostics) => diagnostics
                .iter()
                .filter(|d| d.is_error() && d.message.starts_with("duplicate key"))
                .count(),
        },
    );
    check(&mut wrong, "duplicate keys", duplicates, MB / 6 - 1);

    // A figure over a wrong answer measures nothing: that, unlike a missed target, fails.
    if wrong.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "wrong outcomes, the figures above do not count:\n{}",
            wrong.join("\n")
        );
        ExitCode::FAILURE
    }
}

/// Runs `work` RUNS times, prints its median against `target`, and returns the last result.
fn case<T>(what: &str, target: Duration, mut work: impl FnMut() -> T) -> T {
    let mut times = Vec::with_capacity(RUNS);
    let mut result = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let outcome = std::hint::black_box(work());
        times.push(start.elapsed());
        result = Some(outcome);
    }
    times.sort();
    let median = times[RUNS / 2];
    println!(
        "{what}: {} (target < {}){}",
        format_ms(median),
        format_ms(target),
        if median >= target {
            "  << OVER TARGET"
        } else {
            ""
        }
    );
    result.expect("RUNS > 0")
}

fn check(wrong: &mut Vec<String>, what: &str, got: usize, expected: usize) {
    if got != expected {
        wrong.push(format!("  {what}: {got}, expected {expected}"));
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
