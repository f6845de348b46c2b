//! Runs that change production, wave by wave (docs/CONFIGURATION.md, "Environments"): a wave
//! starts only once every cluster of the earlier waves has finished without error (its deploy,
//! and its validation when the plan validates). A cluster of a wave that failed or was not run
//! stops every later wave: their clusters are never started and are reported as
//! [`not_run_after_wave`]. Within a wave, `jobs` and `keep_going` keep their meaning;
//! `keep_going` never lets a later wave start.

use std::sync::atomic::Ordering;

use super::{not_run, not_run_after_wave, Executor, NOT_RUN_INTERRUPTED};
use crate::plan::{ClusterPlan, Plan};
use crate::report::ClusterSummary;

impl Executor {
    /// The plan's clusters wave by wave ([`Plan::waves`]); the summaries in the plan's order.
    pub(super) fn run_waves(&self, plan: &Plan) -> Vec<ClusterSummary> {
        let mut summaries: Vec<Option<ClusterSummary>> = vec![None; plan.clusters.len()];
        // The first wave that failed (a cluster of it failed or was not run).
        let mut failed: Option<u32> = None;
        for wave in plan.waves() {
            let clusters: Vec<&ClusterPlan> =
                wave.clusters.iter().map(|&i| &plan.clusters[i]).collect();
            let held_back = if self.runner.cancel.load(Ordering::SeqCst) {
                Some(NOT_RUN_INTERRUPTED.to_owned())
            } else {
                failed.map(not_run_after_wave)
            };
            let results = match held_back {
                Some(reason) => clusters.iter().map(|c| not_run(c, &reason)).collect(),
                None => {
                    self.log(&format!("==> {wave}"));
                    self.run_clusters(&clusters)
                }
            };
            if failed.is_none() && results.iter().any(|s| s.error.is_some()) {
                failed = wave.number;
            }
            for (&index, summary) in wave.clusters.iter().zip(results) {
                summaries[index] = Some(summary);
            }
        }
        summaries
            .into_iter()
            .zip(&plan.clusters)
            .map(|(summary, cluster)| {
                summary.unwrap_or_else(|| not_run(cluster, NOT_RUN_INTERRUPTED))
            })
            .collect()
    }
}
