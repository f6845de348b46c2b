//! Why a cluster was never started: the errors the executor gives the clusters it did not run
//! (after a failure, an interruption, a failed wave), and how reports tell them from failures.

/// The error of a cluster that was not started because the run was interrupted.
pub const NOT_RUN_INTERRUPTED: &str = "not run: interrupted";
/// The error of a cluster that was not started because an earlier one failed (`deploy` without
/// `--keep-going`).
pub const NOT_RUN_AFTER_FAILURE: &str = "not run: an earlier cluster failed";

/// The error of a cluster that was not started because a cluster of an earlier wave, `wave`,
/// failed or was not run: `not run: wave 1 failed`.
pub fn not_run_after_wave(wave: u32) -> String {
    format!("not run: wave {wave} failed")
}

/// Whether a cluster's error says it was never started: [`NOT_RUN_INTERRUPTED`],
/// [`NOT_RUN_AFTER_FAILURE`] or [`not_run_after_wave`].
pub fn is_not_run(error: &str) -> bool {
    error == NOT_RUN_INTERRUPTED
        || error == NOT_RUN_AFTER_FAILURE
        || error
            .strip_prefix("not run: wave ")
            .and_then(|rest| rest.strip_suffix(" failed"))
            .is_some_and(|n| n.parse::<u32>().is_ok())
}
