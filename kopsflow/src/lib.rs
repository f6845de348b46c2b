//! kopsflow: kops-managed Kubernetes clusters driven from git through CI.
//!
//! The chain spec → pipeline → plan → report is pure: [`spec`] parses and validates cluster specs,
//! [`kops`] renders kops command lines, [`store`] names state stores, [`pipeline`] composes stages
//! and resolves them into a [`plan::Plan`], and [`report`] turns kops output into summaries;
//! [`cost`] estimates what a change costs per month and the capacity it buys; [`duration`] reads and prints durations; [`time`] prints UTC timestamps; [`lock`] says who
//! holds a cluster's lock; [`policy`] holds the typed rules that stop unsafe spec changes before
//! kops is called.
//! Effects live at the edge: [`git`] runs git, [`exec`] runs kops and writes the dry-run store.

pub mod cost;
pub mod duration;
pub mod exec;
pub mod git;
pub mod json;
pub mod kops;
pub mod lock;
pub mod pipeline;
pub mod plan;
pub mod policy;
pub mod report;
pub mod spec;
pub mod store;
pub mod time;
