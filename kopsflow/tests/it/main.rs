//! kopsflow's library integration tests, built as one test binary: the report parsers, renderers
//! and real kops samples, the cost and capacity of a change (`cost.rs`, `capacity.rs`), the spec corpus, and the round trip of every real spec;
//! the executor's waves (`exec_waves.rs`, with the kops stand-in of `xtask/tests/`) and how
//! reports group clusters by wave (`report_waves.rs`). `samples` is the one loader of the real kops
//! recordings in `tests/kops-samples/` (and the readable dumps of parsed reports); the policy
//! corpus (`policy_corpus.rs`) derives its cases from them; the spec
//! corpus lives in `tests/spec-corpus/`. Snapshots are in `snapshots/` beside this file, except
//! the spec corpus's, which stay with the corpus.
#![allow(clippy::unwrap_used)]

mod capacity;
mod cost;
mod exec_stores;
mod exec_waves;
mod policy_corpus;
mod report_bounds;
mod report_leaks;
mod report_parsers;
mod report_policy;
mod report_render;
mod report_samples;
mod report_tolerance;
mod report_waves;
mod samples;
mod shape_bounds;
mod shape_inputs;
mod spec_corpus;
mod spec_round_trip;
mod standin;
