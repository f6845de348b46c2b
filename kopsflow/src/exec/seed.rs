//! Seeding a cluster's dry-run store (`docs/ARCHITECTURE.md`, "The dry-run store"): production's
//! `config` and instance groups, as `kops get` read them, written under the store's directory —
//! without the instance groups git no longer has (`plan`), or all of them, as production has
//! them (`drift`: production's own spec, for a dry-run of the cloud against it).

use anyhow::{bail, Context as _};

use super::{write_file, ClusterRun};
use crate::store::{dry_run_seed, DryRunStore};

impl ClusterRun<'_> {
    /// Writes the dry-run store: what [`dry_run_seed`] chose from production; with `as_is`,
    /// every instance group production has.
    pub(super) fn seed(&mut self, store: &DryRunStore, as_is: bool) -> anyhow::Result<()> {
        let dir = store.dir();
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {dir}"))?;
        if !as_is {
            self.git_spec()?; // loads it
        }
        let Some(live) = &self.live else {
            if self.summary.new_cluster {
                self.exec
                    .log("    new cluster: the dry-run store starts empty");
                return Ok(());
            }
            bail!("production was not read before seeding the dry-run store");
        };
        let keep = match (&self.git, as_is) {
            (Some(git), false) => git.instance_group_names(),
            (_, true) => live.instance_group_names(),
            (None, false) => bail!("the git spec was not loaded before seeding the dry-run store"),
        };
        let seed = dry_run_seed(store, live, &keep);
        for (path, contents) in &seed.files {
            write_file(path, contents)?;
        }
        self.exec.log(&format!(
            "    {}: config + {} instance group(s){}",
            store.store(),
            seed.files.len() - 1,
            if seed.left_out.is_empty() {
                String::new()
            } else {
                format!(
                    "; left out (removed from git): {}",
                    seed.left_out.join(", ")
                )
            }
        ));
        Ok(())
    }
}
