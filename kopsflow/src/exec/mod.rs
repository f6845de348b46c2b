//! Execution: runs a resolved `Plan` against kops, step by step per cluster, and writes the
//! isolated dry-run store. The only module (with `git`) that starts processes or writes files.

pub mod process;
