//! The executor tests' kops: the kops stand-in (`xtask/tests/kops-standin.sh`, replaying the
//! real recordings) behind a `kops` wrapper in a temp dir with its knobs, the calls it logged,
//! and the pieces of a run shared by `exec_waves.rs` and `exec_stores.rs`: the clusters'
//! targets and placements, and an `Executor` running the wrapper.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use camino::Utf8PathBuf;
use kopsflow::exec::{Executor, ProcessRunner, Redactor};
use kopsflow::pipeline::ClusterTarget;
use kopsflow::plan::Placement;

use crate::samples::SAMPLES_DIR;

const STANDIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../xtask/tests/kops-standin.sh"
);

/// Writes `dir/kops`, running the stand-in with its log in `dir` and the knobs `knobs`
/// (`KOPS_STANDIN_FAIL_CLUSTER`, `KOPS_STANDIN_NEW_CLUSTER` …) exported.
pub fn install(dir: &Path, knobs: &[(&str, &str)]) {
    let exports: String = knobs
        .iter()
        .map(|(name, value)| format!("export {name}='{value}'\n"))
        .collect();
    let script = format!(
        "#!/bin/sh\nexport KOPS_STANDIN_DIR='{}' KOPS_STANDIN_SAMPLES='{SAMPLES_DIR}'\n{exports}exec bash '{STANDIN}' \"$@\"\n",
        dir.display()
    );
    let path = dir.join("kops");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The calls the stand-in logged in `dir`, in the order they started: each one's argv and the
/// lines logged about it (trimmed: `store-file: …`, `start: …`, `end N: …`).
pub fn calls(dir: &Path) -> Vec<(String, Vec<String>)> {
    let log = std::fs::read_to_string(dir.join("calls.log")).unwrap_or_default();
    let mut calls: Vec<(String, Vec<String>)> = Vec::new();
    for line in log.lines() {
        if let Some((_, argv)) = line.strip_prefix("call ").and_then(|l| l.split_once(": ")) {
            calls.push((argv.to_owned(), Vec::new()));
        } else if let Some(call) = calls.last_mut() {
            call.1.push(line.trim().to_owned());
        }
    }
    calls
}

/// The clusters as selected, each with its spec at `cluster-spec/NAME.yml` and no `configBase`.
pub fn targets<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<ClusterTarget> {
    names
        .into_iter()
        .map(|name| ClusterTarget {
            name: name.to_owned(),
            spec_file: format!("cluster-spec/{name}.yml").into(),
            config_base: None,
            deployed: None,
        })
        .collect()
}

/// Each `(cluster, environment, wave)`'s placement, for `Pipeline::with_cluster_waves`.
pub fn placements(clusters: &[(&str, &str, u32)]) -> BTreeMap<String, Placement> {
    clusters
        .iter()
        .map(|(name, environment, wave)| {
            let placement = Placement {
                wave: *wave,
                environment: (*environment).to_owned(),
            };
            ((*name).to_owned(), placement)
        })
        .collect()
}

/// An executor running `root/kops` (the wrapper of [`install`]) from `root`, without locks,
/// policy or pricing, logging to `log`.
pub fn executor(
    root: Utf8PathBuf,
    jobs: usize,
    keep_going: bool,
    log: kopsflow::exec::process::Log,
) -> Executor {
    Executor {
        kops: root.join("kops"),
        runner: ProcessRunner {
            timeout: Duration::from_secs(120),
            heartbeat: Duration::from_secs(60),
            cancel: Arc::new(AtomicBool::new(false)),
            redactor: Redactor::from_env([]),
            log,
        },
        root,
        jobs,
        keep_going,
        locks: None,
        policy: None,
        pricing: None,
    }
}
