//! Run summary: what one kopsflow command (plan, deploy, rolling-update) found for each cluster —
//! spec diff, drift from the spec deployed before, parsed kops dry-run, instance groups to
//! delete (and deleted or kept by a deploy), rolling-update table, policy violations, error —
//! and the overall outcome the exit code is derived from.

use std::time::Duration;

use super::rolling::RollingUpdateReport;
use super::update::UpdateReport;
use crate::cost::{CostChange, Span};
use crate::plan::Placement;
use crate::policy::Violation;
use crate::spec::SpecDiff;

/// The result of one kopsflow command over all clusters it touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// `"plan"`, `"deploy"` or `"rolling-update"`.
    pub command: String,
    /// The git branch the run was for.
    pub branch: String,
    /// The kops the run used and the repository's pin, once known.
    pub kops: Option<KopsUsed>,
    /// Why the run selected what it did, when that needs saying in the report, e.g. `no record
    /// of the last successful deploy: deploying every cluster`.
    pub note: Option<String>,
    pub clusters: Vec<ClusterSummary>,
}

/// The kops a run used, compared with the kops version the repository is pinned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KopsUsed {
    /// What `kops version` said (or `--kops-version`).
    pub version: String,
    /// The pin, e.g. `1.29.2` or `>=1.29, <1.31`.
    pub pin: String,
    /// The version satisfies the pin.
    pub matches_pin: bool,
    /// The run was given `--any-kops-version`: a version outside the pin ran anyway.
    pub any_kops_version: bool,
}

/// What was found for one cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterSummary {
    /// Cluster name, e.g. `demo1.k8s.local`.
    pub cluster: String,
    /// Its environment and wave, when the repository has environments (the plan's).
    pub placement: Option<Placement>,
    /// The cluster is in git but not in production yet.
    pub new_cluster: bool,
    /// `kops update cluster --yes` succeeded for it (`deploy`): production's store and cloud
    /// were made to match the git spec. A new cluster was created.
    pub applied: bool,
    /// Git spec vs live spec, when it was computed.
    pub spec_diff: Option<SpecDiff>,
    /// Parsed `kops update cluster` dry-run, when it ran.
    pub update: Option<UpdateReport>,
    /// `drift`: kops's dry-run of production's own spec (`kops update cluster` without `--yes`
    /// against a dry-run store holding production's `config` and instance groups as they are),
    /// when it ran: what `kops update cluster --yes` would change in the cloud with the state
    /// store as it is. Pending changes there mean the cloud does not match the store
    /// ([`ClusterStatus::NotApplied`]).
    pub cloud: Option<UpdateReport>,
    /// Instance groups that are live but no longer in git (as production was read).
    pub instance_groups_to_delete: Vec<String>,
    /// Of those, the ones this run deleted (`deploy` with prune on).
    pub instance_groups_deleted: Vec<String>,
    /// Of those, the ones a `deploy` left in production because prune is off: a warning.
    pub instance_groups_kept: Vec<String>,
    /// Production compared with the spec deployed before (`deploy`), when it was.
    pub drift: Option<Drift>,
    /// Parsed `kops rolling-update cluster` table, when it ran.
    pub rolling_update: Option<RollingUpdateReport>,
    /// Post-deploy `kops validate cluster`, when it ran: `Some(true)` the cluster is ready,
    /// `Some(false)` it did not validate (then `error` says why).
    pub validated: Option<bool>,
    /// Why this cluster failed, if it did (e.g. from [`super::parse_kops_error`]).
    pub error: Option<String>,
    /// The policy's violations, once evaluated (`None`: the policy was not evaluated).
    pub policy: Option<Vec<Violation>>,
    /// The estimated monthly cost before and after the change (`plan`), once production was read.
    pub cost: Option<CostChange>,
    /// The kops commands run for this cluster, in order, each with how it ended.
    pub commands: Vec<CommandRun>,
}

/// One kops command run for a cluster: what ran, how it ended, how long it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRun {
    /// The command as shown to users (copy-paste safe), e.g.
    /// `kops get cluster NAME -o yaml --state s3://…`.
    pub command: String,
    pub end: CommandEnd,
    pub duration: Duration,
}

/// How a kops command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandEnd {
    /// It exited by itself with this status.
    Exited(i32),
    /// A signal kopsflow did not send killed it.
    Signalled,
    /// kopsflow stopped it at `--timeout`.
    TimedOut,
    /// kopsflow stopped it on Ctrl-C / SIGTERM.
    Interrupted,
}

impl CommandEnd {
    /// The exit status, when the command exited by itself.
    pub fn exit_code(self) -> Option<i32> {
        match self {
            CommandEnd::Exited(code) => Some(code),
            CommandEnd::Signalled | CommandEnd::TimedOut | CommandEnd::Interrupted => None,
        }
    }

    /// `exited`, `signalled`, `timed_out` or `interrupted`.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandEnd::Exited(_) => "exited",
            CommandEnd::Signalled => "signalled",
            CommandEnd::TimedOut => "timed_out",
            CommandEnd::Interrupted => "interrupted",
        }
    }
}

/// Production compared with the spec a cluster was last deployed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    /// The commit of that spec (the base of the deployed range).
    pub commit: String,
    /// The spec file at that commit.
    pub file: String,
    /// What was changed outside git, in spec-diff terms with that spec in git's place (each
    /// change reads production → deployed spec); empty when production matches it.
    pub changes: SpecDiff,
    /// Production had drifted and the run went on anyway (`--allow-drift`).
    pub allowed: bool,
    /// Production differs from that spec but already equals the spec being deployed: a re-run
    /// of a deploy that got past `kops replace` (or a second deploy of one commit), not drift.
    pub at_target: bool,
    /// Production differs from that spec but equals the spec at this later commit of the
    /// deployed range, whose deploy got past `kops replace` and did not finish: not drift.
    pub at_commit: Option<String>,
}

impl Drift {
    /// Production differs from the spec deployed before, and is not already the spec being
    /// deployed: changed outside git.
    pub fn drifted(&self) -> bool {
        !self.changes.is_empty() && !self.at_target && self.at_commit.is_none()
    }
}

/// One-word outcome of a cluster, in precedence order: error, created, applied, new cluster,
/// changes pending, not applied, no changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterStatus {
    Error,
    /// A deploy created it: it was not in production, `replace` and `update --yes` succeeded.
    Created,
    /// A deploy applied its spec to a cluster production had (`update --yes` succeeded).
    Applied,
    NewCluster,
    ChangesPending,
    /// The git spec equals production's state store (or differs, shown first as
    /// `ChangesPending`), and kops's dry-run of production's own spec lists cloud changes: the
    /// cloud does not match the store. kops shows an apply that did not finish and a change made
    /// in the cloud outside kops the same way, so this one status covers both
    /// ([`ClusterSummary::cloud`], `docs/KOPS.md` §1.8).
    NotApplied,
    NoChanges,
}

impl ClusterStatus {
    /// Human label, e.g. `changes pending`.
    pub fn label(self) -> &'static str {
        match self {
            ClusterStatus::Error => "error",
            ClusterStatus::Created => "created",
            ClusterStatus::Applied => "applied",
            ClusterStatus::NewCluster => "new cluster",
            ClusterStatus::ChangesPending => "changes pending",
            ClusterStatus::NotApplied => "not applied",
            ClusterStatus::NoChanges => "no changes",
        }
    }

    /// Emoji used in markdown.
    pub fn emoji(self) -> &'static str {
        match self {
            ClusterStatus::Error => "❌",
            ClusterStatus::Created => "🚀",
            ClusterStatus::Applied => "✅",
            ClusterStatus::NewCluster => "🆕",
            ClusterStatus::ChangesPending => "⚠️",
            ClusterStatus::NotApplied => "☁️",
            ClusterStatus::NoChanges => "✅",
        }
    }
}

impl ClusterSummary {
    /// Something would change: a new cluster, a spec diff, a pending kops change, instance
    /// groups to delete, or a cloud that does not match production's store ([`Self::not_applied`]).
    /// Not after a deploy applied them (`applied`), except instance groups still to delete.
    pub fn changes_pending(&self) -> bool {
        if self.applied {
            return self.instance_groups_still_to_delete().next().is_some();
        }
        self.spec_changes_pending() || self.not_applied()
    }

    /// [`Self::changes_pending`] without the cloud: what git changes in production.
    fn spec_changes_pending(&self) -> bool {
        self.new_cluster
            || self.spec_diff.as_ref().is_some_and(|d| !d.is_empty())
            || self.update.as_ref().is_some_and(|u| u.changes_pending)
            || !self.instance_groups_to_delete.is_empty()
    }

    /// kops's dry-run of production's own spec lists changes ([`Self::cloud`]): the cloud does
    /// not match production's state store.
    pub fn not_applied(&self) -> bool {
        self.cloud.as_ref().is_some_and(|u| u.changes_pending)
    }

    /// The run deployed over production's drift (`--allow-drift`), which an audit record notes.
    pub fn deployed_over_drift(&self) -> bool {
        self.drift
            .as_ref()
            .is_some_and(|d| d.drifted() && d.allowed)
    }

    /// Instance groups live but not in git that this run neither deleted nor kept: still to
    /// delete (what `plan` lists).
    pub fn instance_groups_still_to_delete(&self) -> impl Iterator<Item = &str> {
        self.instance_groups_to_delete
            .iter()
            .filter(|ig| {
                !self.instance_groups_deleted.contains(ig)
                    && !self.instance_groups_kept.contains(ig)
            })
            .map(String::as_str)
    }

    /// The rolling-update table says an update is required.
    pub fn rolling_update_needed(&self) -> bool {
        self.rolling_update
            .as_ref()
            .is_some_and(|r| r.update_required)
    }

    /// For a deploy that failed after `kops update cluster --yes` succeeded (the export, the
    /// validation or the rolling-update preview failed): what was done before the error, so that
    /// a red run does not read as if production was untouched.
    pub fn applied_before_error(&self) -> Option<&'static str> {
        match (self.error.is_some(), self.applied, self.new_cluster) {
            (true, true, true) => Some(
                "`kops update cluster --yes` succeeded: the cluster was created before this error",
            ),
            (true, true, false) => Some(
                "`kops update cluster --yes` succeeded: the change is in production before this error",
            ),
            _ => None,
        }
    }

    pub fn status(&self) -> ClusterStatus {
        if self.error.is_some() {
            ClusterStatus::Error
        } else if self.applied && self.new_cluster {
            ClusterStatus::Created
        } else if self.applied {
            ClusterStatus::Applied
        } else if self.new_cluster {
            ClusterStatus::NewCluster
        } else if self.spec_changes_pending() {
            ClusterStatus::ChangesPending
        } else if self.not_applied() {
            ClusterStatus::NotApplied
        } else {
            ClusterStatus::NoChanges
        }
    }
}

/// The run's monthly cost over the clusters that have one: `None` on a side when a price is
/// unknown in any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostTotal {
    pub before: Option<Span>,
    pub after: Option<Span>,
    pub clusters: usize,
}

impl RunSummary {
    /// The total cost of the clusters that have one; `None` when none has.
    pub fn cost_total(&self) -> Option<CostTotal> {
        let costs: Vec<&CostChange> = self
            .clusters
            .iter()
            .filter_map(|c| c.cost.as_ref())
            .collect();
        if costs.is_empty() {
            return None;
        }
        let sum = |side: &dyn Fn(&CostChange) -> Option<Span>| {
            costs
                .iter()
                .try_fold(Span::default(), |total, c| Some(total.plus(side(c)?)))
        };
        Some(CostTotal {
            before: sum(&|c| {
                if c.new_cluster {
                    Some(Span::default())
                } else {
                    c.before()
                }
            }),
            after: sum(&|c| c.after()),
            clusters: costs.len(),
        })
    }

    /// Any cluster has changes pending (see [`ClusterSummary::changes_pending`]).
    pub fn changes_pending(&self) -> bool {
        self.clusters.iter().any(ClusterSummary::changes_pending)
    }

    /// Any cluster's rolling-update table says an update is required.
    pub fn rolling_update_needed(&self) -> bool {
        self.clusters
            .iter()
            .any(ClusterSummary::rolling_update_needed)
    }

    /// Any cluster failed.
    pub fn has_errors(&self) -> bool {
        self.clusters.iter().any(|c| c.error.is_some())
    }

    /// Every policy violation of every cluster, in order.
    pub fn violations(&self) -> impl Iterator<Item = &Violation> {
        self.clusters.iter().flat_map(|c| c.policy.iter().flatten())
    }

    /// Some violation blocks (a blocking rule, not allowed): `plan` and `deploy` exit 1.
    pub fn policy_blocked(&self) -> bool {
        self.violations().any(Violation::blocks)
    }

    /// The violations let through by `--allow RULE`: the overrides an audit record keeps.
    pub fn overrides(&self) -> impl Iterator<Item = &Violation> {
        self.violations().filter(|v| v.allowed)
    }
}
