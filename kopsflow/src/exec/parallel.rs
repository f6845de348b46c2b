//! Clusters side by side (`Executor::jobs` > 1). Worker threads take the plan's clusters in
//! order. Each cluster's log is buffered and shown whole, under a header naming the cluster and
//! its outcome, when the cluster finishes, so the lines of two clusters never interleave. Only
//! the run's own thread writes to the log meanwhile, and it also shows a heartbeat listing the
//! clusters still running. A cluster selected twice runs twice, one after the other, never
//! beside itself (both runs would use the same work dir).

use std::collections::BTreeMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::{not_run, Executor, NOT_RUN_INTERRUPTED};
use crate::duration::format_elapsed;
use crate::plan::ClusterPlan;
use crate::report::ClusterSummary;

/// A cluster that finished (or was not started), as a worker hands it to the run's thread.
struct Finished {
    index: usize,
    summary: ClusterSummary,
    /// Its log; `None` when it was not started.
    lines: Option<Vec<String>>,
    elapsed: Duration,
}

/// What the workers share.
#[derive(Default)]
struct Board {
    /// The next unit of work to take.
    next: usize,
    /// A cluster has failed: with `keep_going` off, no new cluster starts.
    failed: bool,
    /// Clusters running now, with when they started.
    running: BTreeMap<usize, Instant>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Executor {
    /// Runs `clusters` `jobs` at a time; the summaries come back in their order.
    pub(super) fn run_parallel(&self, clusters: &[&ClusterPlan]) -> Vec<ClusterSummary> {
        let units = units(clusters);
        let total = clusters.len();
        let workers = self.jobs.min(units.len()).max(1);
        self.log(&format!(
            "==> {total} clusters, up to {workers} at a time: each cluster's output is shown whole when it finishes"
        ));
        let board = Mutex::new(Board::default());
        let mut results: Vec<Option<ClusterSummary>> = vec![None; total];
        let (tx, rx) = mpsc::channel::<Finished>();
        let beat = self.runner.heartbeat.max(Duration::from_millis(100));
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let tx = tx.clone();
                let (board, units) = (&board, &units);
                scope.spawn(move || self.work(clusters, units, board, &tx));
            }
            drop(tx);
            let mut done = 0;
            let mut next_beat = Instant::now() + beat;
            loop {
                match rx.recv_timeout(next_beat.saturating_duration_since(Instant::now())) {
                    Ok(finished) => {
                        done += 1;
                        self.show(clusters, &finished, done);
                        results[finished.index] = Some(finished.summary);
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        self.heartbeat(clusters, &board);
                        next_beat += beat;
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
        });
        results
            .into_iter()
            .zip(clusters)
            .map(|(summary, cluster)| {
                summary.unwrap_or_else(|| not_run(cluster, NOT_RUN_INTERRUPTED))
            })
            .collect()
    }

    /// One worker: takes units until none is left.
    fn work(
        &self,
        clusters: &[&ClusterPlan],
        units: &[Vec<usize>],
        board: &Mutex<Board>,
        tx: &mpsc::Sender<Finished>,
    ) {
        loop {
            let unit = {
                let mut board = lock(board);
                if board.next >= units.len() {
                    return;
                }
                board.next += 1;
                board.next - 1
            };
            for &index in &units[unit] {
                let cluster = clusters[index];
                let refused = {
                    let mut board = lock(board);
                    let refused = self.not_run(board.failed);
                    if refused.is_none() {
                        board.running.insert(index, Instant::now());
                    }
                    refused
                };
                if let Some(reason) = refused {
                    let _ = tx.send(Finished {
                        index,
                        summary: not_run(cluster, reason),
                        lines: None,
                        elapsed: Duration::ZERO,
                    });
                    continue;
                }
                let start = Instant::now();
                let lines = Arc::new(Mutex::new(Vec::new()));
                let mut exec = self.clone();
                let sink = Arc::clone(&lines);
                exec.runner.log = Arc::new(move |line: &str| lock(&sink).push(line.to_owned()));
                let summary = exec.run_cluster(cluster, true);
                drop(exec);
                {
                    let mut board = lock(board);
                    board.running.remove(&index);
                    // Before the next cluster is taken: no new cluster starts after a failure.
                    board.failed |= summary.error.is_some();
                }
                let lines = std::mem::take(&mut *lock(&lines));
                let _ = tx.send(Finished {
                    index,
                    summary,
                    lines: Some(lines),
                    elapsed: start.elapsed(),
                });
            }
        }
    }

    /// A finished cluster's block: a header, then its buffered log.
    fn show(&self, clusters: &[&ClusterPlan], finished: &Finished, done: usize) {
        let Some(lines) = &finished.lines else {
            return;
        };
        let outcome = if finished.summary.error.is_some() {
            "failed"
        } else {
            "ok"
        };
        self.log(&format!(
            "==> {}: {outcome} after {} [{done}/{}]; its output:",
            clusters[finished.index].cluster,
            format_elapsed(finished.elapsed),
            clusters.len()
        ));
        for line in lines {
            self.log(line);
        }
    }

    fn heartbeat(&self, clusters: &[&ClusterPlan], board: &Mutex<Board>) {
        let running: Vec<String> = lock(board)
            .running
            .iter()
            .map(|(index, start)| {
                format!(
                    "{} ({})",
                    clusters[*index].cluster,
                    format_elapsed(start.elapsed())
                )
            })
            .collect();
        if !running.is_empty() {
            self.log(&format!("  … still running: {}", running.join(", ")));
        }
    }
}

/// The plan's cluster indices grouped by work dir, in plan order: each group is run by one
/// worker, one cluster after the other.
fn units(clusters: &[&ClusterPlan]) -> Vec<Vec<usize>> {
    let mut units: Vec<Vec<usize>> = Vec::new();
    for (index, cluster) in clusters.iter().enumerate() {
        match units
            .iter_mut()
            .find(|unit| clusters[unit[0]].work_dir == cluster.work_dir)
        {
            Some(unit) => unit.push(index),
            None => units.push(vec![index]),
        }
    }
    units
}
