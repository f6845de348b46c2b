//! Integration tests: the real `xtask` binary in a temp workspace holding a real git repository
//! (main + a feature branch) and a cluster spec, with the kops stand-in (`kops-standin.sh`)
//! first on PATH. The stand-in records every call and replays real recorded kops output. The
//! harness is in `support/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "cli/basics.rs"]
mod basics;
#[path = "cli/ci.rs"]
mod ci;
#[path = "cli/converge.rs"]
mod converge;
#[path = "cli/docs.rs"]
mod docs;
#[path = "cli/drift.rs"]
mod drift;
#[path = "cli/environments.rs"]
mod environments;
#[path = "cli/guards.rs"]
mod guards;
#[path = "cli/jobs.rs"]
mod jobs;
#[path = "cli/leaks.rs"]
mod leaks;
#[path = "cli/locks.rs"]
mod locks;
#[path = "cli/ops.rs"]
mod ops;
#[path = "cli/pin.rs"]
mod pin;
#[path = "cli/policy.rs"]
mod policy;
#[path = "cli/record.rs"]
mod record;
#[path = "cli/selection.rs"]
mod selection;
#[path = "cli/status.rs"]
mod status;
mod support;
#[path = "cli/waves.rs"]
mod waves;
