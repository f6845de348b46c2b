//! The generated CI files, executed: `.gitlab-ci.yml` with gitlab-ci-local (shell executor) and
//! the GitHub workflows with act (on this machine, `-P ubuntu-latest=-self-hosted`), in a copy of
//! this workspace whose `cluster-spec/` holds one cluster built from the real kops recordings,
//! with the kops stand-in (`kops-standin.sh`) as the kops the jobs install. The jobs' own scripts,
//! rules, `if:` conditions, variables and artifacts run as generated; only what needs the
//! internet is replaced by the stand-ins in `pipelines/standins/` and `pipelines/actions/`
//! (`docs/TESTING.md`, "Testing", says which and why). The tools are installed by `.ci/run`
//! under `target/ci-tools` (`KOPSFLOW_CI_TOOLS`); without them these tests print why and pass, unless
//! `CI` is set, where they fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "pipelines/act.rs"]
mod act;
#[path = "pipelines/github.rs"]
mod github;
#[path = "pipelines/gitlab.rs"]
mod gitlab;
#[path = "pipelines/harness.rs"]
mod harness;
#[path = "pipelines/waves.rs"]
mod waves;
