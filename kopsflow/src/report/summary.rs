//! Run summary: what one kopsflow command (plan, deploy, rolling-update) found for each cluster —
//! spec diff, parsed kops dry-run, instance groups to delete, rolling-update table, policy
//! violations, error — and the overall outcome the exit code is derived from.

use super::rolling::RollingUpdateReport;
use super::update::UpdateReport;
use crate::policy::Violation;
use crate::spec::SpecDiff;

/// The result of one kopsflow command over all clusters it touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// `"plan"`, `"deploy"` or `"rolling-update"`.
    pub command: String,
    /// The git branch the run was for.
    pub branch: String,
    pub clusters: Vec<ClusterSummary>,
}

/// What was found for one cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterSummary {
    /// Cluster name, e.g. `demo1.k8s.local`.
    pub cluster: String,
    /// The cluster is in git but not in production yet.
    pub new_cluster: bool,
    /// Git spec vs live spec, when it was computed.
    pub spec_diff: Option<SpecDiff>,
    /// Parsed `kops update cluster` dry-run, when it ran.
    pub update: Option<UpdateReport>,
    /// Instance groups that are live but no longer in git.
    pub instance_groups_to_delete: Vec<String>,
    /// Parsed `kops rolling-update cluster` table, when it ran.
    pub rolling_update: Option<RollingUpdateReport>,
    /// Why this cluster failed, if it did (e.g. from [`super::parse_kops_error`]).
    pub error: Option<String>,
    /// The policy's violations, once evaluated (`None`: the policy was not evaluated).
    pub policy: Option<Vec<Violation>>,
}

/// One-word outcome of a cluster, in precedence order: error, new cluster, changes pending,
/// no changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterStatus {
    Error,
    NewCluster,
    ChangesPending,
    NoChanges,
}

impl ClusterStatus {
    /// Human label, e.g. `changes pending`.
    pub fn label(self) -> &'static str {
        match self {
            ClusterStatus::Error => "error",
            ClusterStatus::NewCluster => "new cluster",
            ClusterStatus::ChangesPending => "changes pending",
            ClusterStatus::NoChanges => "no changes",
        }
    }

    /// Emoji used in markdown.
    pub fn emoji(self) -> &'static str {
        match self {
            ClusterStatus::Error => "❌",
            ClusterStatus::NewCluster => "🆕",
            ClusterStatus::ChangesPending => "⚠️",
            ClusterStatus::NoChanges => "✅",
        }
    }
}

impl ClusterSummary {
    /// Something would change: a new cluster, a spec diff, a pending kops change, or instance
    /// groups to delete.
    pub fn changes_pending(&self) -> bool {
        self.new_cluster
            || self.spec_diff.as_ref().is_some_and(|d| !d.is_empty())
            || self.update.as_ref().is_some_and(|u| u.changes_pending)
            || !self.instance_groups_to_delete.is_empty()
    }

    /// The rolling-update table says an update is required.
    pub fn rolling_update_needed(&self) -> bool {
        self.rolling_update
            .as_ref()
            .is_some_and(|r| r.update_required)
    }

    pub fn status(&self) -> ClusterStatus {
        if self.error.is_some() {
            ClusterStatus::Error
        } else if self.new_cluster {
            ClusterStatus::NewCluster
        } else if self.changes_pending() {
            ClusterStatus::ChangesPending
        } else {
            ClusterStatus::NoChanges
        }
    }
}

impl RunSummary {
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
