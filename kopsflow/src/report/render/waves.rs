//! The clusters of a summary grouped by wave and environment, for the text and markdown
//! renderers: when any cluster has a placement, each group gets a heading (waves in order, the
//! clusters without one last), and within a group the clusters keep the summary's order.

use crate::plan::{wave_key, Placement};
use crate::report::summary::{ClusterSummary, RunSummary};

/// The clusters of one wave and environment.
pub(super) struct Group<'a> {
    /// `None`: the clusters that belong to no environment.
    pub placement: Option<&'a Placement>,
    pub clusters: Vec<&'a ClusterSummary>,
}

impl Group<'_> {
    /// `wave 1 (dev): 2 clusters`, `no environment: 1 cluster`.
    pub fn heading(&self) -> String {
        let n = self.clusters.len();
        let what = match self.placement {
            Some(p) => p.to_string(),
            None => "no environment".to_owned(),
        };
        format!("{what}: {n} cluster{}", if n == 1 { "" } else { "s" })
    }
}

/// The summary's clusters by wave and environment; `None` when no cluster has a placement (the
/// renderers then list them without headings).
pub(super) fn groups(s: &RunSummary) -> Option<Vec<Group<'_>>> {
    if s.clusters.iter().all(|c| c.placement.is_none()) {
        return None;
    }
    let mut sorted: Vec<&ClusterSummary> = s.clusters.iter().collect();
    sorted.sort_by(|a, b| key(a).cmp(&key(b)));
    let mut groups: Vec<Group<'_>> = Vec::new();
    for cluster in sorted {
        let placement = cluster.placement.as_ref();
        if groups.last().map(|g| g.placement) != Some(placement) {
            groups.push(Group {
                placement,
                clusters: Vec::new(),
            });
        }
        if let Some(group) = groups.last_mut() {
            group.clusters.push(cluster);
        }
    }
    Some(groups)
}

/// Waves in order, then environments by name; no placement last.
fn key(c: &ClusterSummary) -> ((bool, u32), Option<&str>) {
    let placement = c.placement.as_ref();
    (
        wave_key(placement),
        placement.map(|p| p.environment.as_str()),
    )
}
