//! The checks a deploy runs on production once it has been read, before any step changes it:
//! drift from the spec deployed before (production equal to the spec being deployed, or to a
//! spec committed since whose deploy did not finish, came from git: not drift), and the prune's
//! control-plane rule. The comparisons are pure (`spec::guard`); this runs them on what the
//! `kops get` steps read.

use anyhow::{anyhow, bail};

use super::ClusterRun;
use crate::kops::KopsCommand;
use crate::plan::{DeployedSpec, OnDrift};
use crate::report::Drift;
use crate::spec::guard::{drift_verdict, kinds_changed, prune_refusal, DriftVerdict};
use crate::spec::{render_diagnostics, ClusterSpec, SpecDiff};

/// The specs committed since the spec deployed before (newest first), each with its commit;
/// one that does not parse or names another cluster is left out (it cannot match production).
fn later_specs(
    deployed: &DeployedSpec,
    file: &camino::Utf8Path,
    cluster: &str,
) -> Vec<(String, ClusterSpec)> {
    deployed
        .since
        .iter()
        .filter_map(|at| {
            let spec = ClusterSpec::parse(file, &at.text).ok()?.spec;
            (spec.name() == cluster).then(|| (at.commit.clone(), spec))
        })
        .collect()
}

/// How a commit is shown in messages.
fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

impl ClusterRun<'_> {
    /// Compares production with the spec deployed before: records the result in the summary,
    /// and on a difference fails (`OnDrift::Refuse`) or logs it and goes on.
    pub(super) fn check_drift(
        &mut self,
        deployed: &DeployedSpec,
        on_drift: OnDrift,
    ) -> anyhow::Result<()> {
        let plan = self.plan;
        let cluster = &plan.cluster;
        if self.summary.new_cluster {
            self.exec
                .log("    not in production yet: nothing can have drifted");
            return Ok(());
        }
        let file = &deployed.file;
        let (Some(commit), Some(text)) = (&deployed.commit, &deployed.text) else {
            self.exec.log(&format!(
                "    {file} was not deployed before this range: nothing to compare with"
            ));
            return Ok(());
        };
        if self.live.is_none() {
            bail!("production was not read before the drift check");
        }
        let previous = ClusterSpec::parse(file, text)
            .map_err(|d| {
                anyhow!(
                    "cannot read {file} at {}, the spec deployed before, to compare production with: {}",
                    short(commit),
                    render_diagnostics(&d).trim_end()
                )
            })?
            .spec;
        if previous.name() != cluster {
            self.exec.log(&format!(
                "    {file} at {} is cluster {}, not {cluster}: nothing to compare with",
                short(commit),
                previous.name()
            ));
            return Ok(());
        }
        self.git_spec()?; // loads it
        let (Some(target), Some(live)) = (&self.git, &self.live) else {
            bail!("production was not read before the drift check");
        };
        let at = format!("{file} at {}", short(commit));
        let later = later_specs(deployed, &plan.spec_file, cluster);
        let specs: Vec<ClusterSpec> = later.iter().map(|(_, spec)| spec.clone()).collect();
        let verdict = drift_verdict(&previous, &specs, target, live);
        let (changes, at_target, at_commit) = match verdict {
            DriftVerdict::MatchesDeployed => (SpecDiff::default(), false, None),
            DriftVerdict::MatchesTarget { since_deployed } => (since_deployed, true, None),
            DriftVerdict::MatchesLater {
                index,
                since_deployed,
            } => (since_deployed, false, Some(later[index].0.clone())),
            DriftVerdict::Drifted { changes } => (changes, false, None),
        };
        let drift = Drift {
            commit: commit.clone(),
            file: file.to_string(),
            changes,
            allowed: on_drift == OnDrift::Proceed,
            at_target,
            at_commit: at_commit.clone(),
        };
        self.summary.drift = Some(drift.clone());
        if let Some(later) = at_commit {
            self.exec.log(&format!(
                "    production matches {} at {}, committed since {at}: a deploy of it got past `kops replace` \
                 and did not finish; going on, kops converges the rest",
                plan.spec_file,
                short(&later)
            ));
            return Ok(());
        }
        if at_target {
            self.exec.log(&format!(
                "    production already matches {}, the spec being deployed (not {at}, the spec deployed before): \
                 a deploy of it got past `kops replace` already; going on, kops converges the rest",
                plan.spec_file
            ));
            return Ok(());
        }
        if !drift.drifted() {
            self.exec.log(&format!(
                "    production matches {at}, the spec deployed before"
            ));
            return Ok(());
        }
        let changes: String = drift
            .changes
            .changes
            .iter()
            .map(|c| format!("\n  {c}"))
            .collect();
        match on_drift {
            OnDrift::Proceed => {
                self.exec.log(&format!(
                    "    production was changed outside git since {at} (production → {at}):{}",
                    changes.replace("\n  ", "\n      ")
                ));
                self.exec.log(
                    "    drift allowed (--allow-drift): going on, `kops replace --force` overwrites it",
                );
                Ok(())
            }
            OnDrift::Refuse => bail!(
                "refusing to deploy {cluster}: production has drifted from {at}, the spec deployed before, \
                 and it is not {spec} (the spec being deployed){since} either. \
                 It was changed outside git, and `kops replace --force` would silently undo that. \
                 What differs (production → {at}):{changes}\n\
                 Bring the change into git ({show} shows production) and deploy again, \
                 or deploy over it deliberately with --allow-drift",
                spec = plan.spec_file,
                since = match later.len() {
                    0 => String::new(),
                    1 => " nor the spec at the one commit since that changed it".to_owned(),
                    n => format!(" nor the spec at any of the {n} commits since that changed it"),
                },
                show = self.show_production(&drift.changes),
            ),
        }
    }

    /// The `kops get` that shows what differs: the Cluster, the instance groups, or both.
    fn show_production(&self, changes: &SpecDiff) -> String {
        let (cluster, groups) = kinds_changed(changes);
        let name = &self.plan.cluster;
        let store = &self.plan.production_store;
        let mut commands = Vec::new();
        if cluster || !groups {
            commands.push(format!("`{}`", KopsCommand::get_cluster(name, store)));
        }
        if groups {
            commands.push(format!(
                "`{}`",
                KopsCommand::get_instance_groups(name, store)
            ));
        }
        commands.join(" and ")
    }

    /// Refuses, before anything changes production, to prune the last control-plane group;
    /// says what the prune will delete.
    pub(super) fn check_prune(&mut self) -> anyhow::Result<()> {
        if self.summary.new_cluster {
            return Ok(());
        }
        self.refuse_to_prune_the_last_control_plane()?;
        let removed = &self.summary.instance_groups_to_delete;
        self.exec.log(&if removed.is_empty() {
            "    no instance group to prune".to_owned()
        } else {
            format!(
                "    to delete after the replace (prune): {}",
                removed.join(", ")
            )
        });
        Ok(())
    }

    /// Fails when deleting the instance groups live but not in git would delete the last
    /// control-plane group (`spec::guard::prune_refusal`).
    pub(super) fn refuse_to_prune_the_last_control_plane(&mut self) -> anyhow::Result<()> {
        self.git_spec()?; // loads it
        let (Some(git), Some(live)) = (&self.git, &self.live) else {
            bail!("production was not read before the prune check");
        };
        match prune_refusal(git, live) {
            Some(refusal) => bail!("{refusal}"),
            None => Ok(()),
        }
    }
}
