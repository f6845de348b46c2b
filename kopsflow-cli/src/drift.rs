//! `cargo xtask drift`: each cluster's committed spec (HEAD's `cluster-spec/NAME.yml`) against
//! production's store (`kops get`), and the cloud against that store (`kops update cluster`
//! without `--yes` in a dry-run store seeded with production's own spec: `not applied`),
//! read-only — the `Drift` stage of the repo pipeline: no replace, production never written. By
//! default every cluster (it is meant for a scheduled job); `--detailed-exitcode` exits 2 when
//! any cluster drifted or is not applied.

use anyhow::bail;
use kopsflow::pipeline::Context;
use xshell::Shell;

use crate::flags::{self, Selection};
use crate::job::{Job, Kind, Schedule};
use crate::pipeline::RunFlags;

impl From<flags::Drift> for Job {
    fn from(cmd: flags::Drift) -> Job {
        Job {
            kind: Kind::Drift,
            selection: Selection {
                all: cmd.clusters.is_empty(),
                clusters: cmd.clusters,
                base: None,
                environments: cmd.environments,
                branch: cmd.branch,
            },
            run: cmd.run,
            flags: RunFlags::default(),
            schedule: Schedule {
                jobs: cmd.jobs.jobs,
                keep_going: true,
                lock: None,
            },
            audit: None,
            // Drift reports what differs; it changes nothing, so no policy gate.
            allow: None,
            status: None,
            last_deployed: None,
        }
    }
}

/// The executor reads each spec from the work tree: it is HEAD's only when the file has no
/// uncommitted changes (an untracked spec is not in HEAD at all).
pub fn require_committed(sh: &Shell, ctx: &Context) -> anyhow::Result<()> {
    let mut dirty = Vec::new();
    for cluster in &ctx.clusters {
        if !kopsflow::git::is_clean_at(sh, cluster.spec_file.as_str())? {
            dirty.push(cluster.spec_file.as_str());
        }
    }
    if !dirty.is_empty() {
        bail!(
            "drift compares the committed specs (HEAD) with production, but {} has uncommitted changes: commit or stash them",
            dirty.join(", ")
        );
    }
    Ok(())
}
