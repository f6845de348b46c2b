//! The checks a deploy makes on production before it changes anything (pure): whether
//! production drifted from the spec deployed before ([`drift`]; [`drift_verdict`] also accepts
//! production that already equals the spec being deployed), and whether pruning the
//! instance groups git no longer has would remove the last control-plane group
//! ([`prune_refusal`]).

use super::diff::{diff, ObjectKind, SpecChange, SpecDiff};
use super::{ClusterSpec, InstanceGroup};

/// How production differs from `deployed`, the spec the cluster was last deployed from, in the
/// spec diff's terms with `deployed` in git's place: each change reads `production → deployed`,
/// which is what `kops replace --force` of that spec would do.
///
/// Instance groups that production has and `deployed` does not are left out: `kops replace`
/// never deletes them, so they are not undone by a deploy; they are the instance groups git no
/// longer has, listed (and pruned, when prune is on) on their own. An instance group that
/// `deployed` has and production does not (deleted outside git) is drift: `replace --force`
/// would create it again.
pub fn drift(deployed: &ClusterSpec, production: &ClusterSpec) -> SpecDiff {
    let mut changes = diff(deployed, production).changes;
    changes.retain(|change| {
        !matches!(
            change,
            SpecChange::Removed {
                kind: ObjectKind::InstanceGroup,
                ..
            }
        )
    });
    SpecDiff { changes }
}

/// Where production stands between the spec deployed before and the spec being deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftVerdict {
    /// Production equals the spec deployed before: nothing changed outside git.
    MatchesDeployed,
    /// Production differs from the spec deployed before (`since_deployed`, production →
    /// deployed) but equals the spec being deployed: a deploy of it got past `kops replace`
    /// (a failed, cancelled or repeated deploy). Already there, not drift.
    MatchesTarget { since_deployed: SpecDiff },
    /// Production differs from the spec deployed before but equals `later[index]`, a spec
    /// committed since whose deploy got past `kops replace` and did not finish: from git, not
    /// drift.
    MatchesLater {
        index: usize,
        since_deployed: SpecDiff,
    },
    /// Production matches neither: changed outside git. `changes` read production → deployed.
    Drifted { changes: SpecDiff },
}

/// The deploy's drift decision: production is refused only when it matches neither the spec
/// deployed before, nor one committed since (`later`), nor the spec being deployed (`target`),
/// each compared as [`drift`] does.
pub fn drift_verdict(
    deployed: &ClusterSpec,
    later: &[ClusterSpec],
    target: &ClusterSpec,
    production: &ClusterSpec,
) -> DriftVerdict {
    let changes = drift(deployed, production);
    if changes.is_empty() {
        return DriftVerdict::MatchesDeployed;
    }
    if drift(target, production).is_empty() {
        return DriftVerdict::MatchesTarget {
            since_deployed: changes,
        };
    }
    match later
        .iter()
        .position(|spec| drift(spec, production).is_empty())
    {
        Some(index) => DriftVerdict::MatchesLater {
            index,
            since_deployed: changes,
        },
        None => DriftVerdict::Drifted { changes },
    }
}

/// The kinds of object a diff touches: (the Cluster, some InstanceGroup) — which `kops get`
/// shows what differs.
pub fn kinds_changed(diff: &SpecDiff) -> (bool, bool) {
    let kind = |k: ObjectKind| diff.changes.iter().any(|c| c.describe().kind == k);
    (kind(ObjectKind::Cluster), kind(ObjectKind::InstanceGroup))
}

/// Whether an instance group runs the control plane: role `Master` (v1alpha2) or
/// `ControlPlane` (the name kops uses internally and in newer API versions).
pub fn is_control_plane(group: &InstanceGroup) -> bool {
    matches!(group.role.as_deref(), Some("Master" | "ControlPlane"))
}

/// Why pruning must not run, if it must not: deleting the instance groups production has and
/// `git` does not would leave no control-plane group of production's in place. A control-plane
/// group that only git has is not running yet (`kops update cluster --yes` creates it after
/// the prune), so it does not count.
pub fn prune_refusal(git: &ClusterSpec, production: &ClusterSpec) -> Option<String> {
    let in_git = git.instance_group_names();
    let (kept, deleted): (Vec<&InstanceGroup>, Vec<&InstanceGroup>) = production
        .instance_groups
        .iter()
        .filter(|ig| is_control_plane(ig))
        .partition(|ig| in_git.contains(&ig.name.as_str()));
    if deleted.is_empty() || !kept.is_empty() {
        return None;
    }
    let mut names: Vec<&str> = deleted.iter().map(|ig| ig.name.as_str()).collect();
    names.sort_unstable();
    let cluster = production.name();
    let them = if names.len() == 1 { "it" } else { "them" };
    Some(format!(
        "refusing to prune cluster {cluster}: deleting control-plane instance group{s} {list} would leave no \
         running control-plane group (production has no other control-plane group that git keeps). \
         kopsflow never deletes the last control-plane group: add the new control-plane group in one \
         deploy and remove the old one in the next, or delete {them} deliberately with {commands}",
        s = if names.len() == 1 { "" } else { "s" },
        list = names.join(", "),
        commands = names
            .iter()
            .map(|ig| format!("`kops delete instancegroup {ig} --name {cluster} --yes`"))
            .collect::<Vec<_>>()
            .join(", "),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = "\
apiVersion: kops.k8s.io/v1alpha2
kind: Cluster
metadata:
  creationTimestamp: \"2026-11-25T19:17:00Z\"
  name: demo.example.com
spec:
  configBase: s3://k8s-kops/demo.example.com
  kubernetesVersion: 1.28.6
";

    fn group(name: &str, role: &str, max: u32) -> String {
        format!(
            "apiVersion: kops.k8s.io/v1alpha2\nkind: InstanceGroup\nmetadata:\n  labels:\n    \
             kops.k8s.io/cluster: demo.example.com\n  name: {name}\nspec:\n  maxSize: {max}\n  \
             minSize: 1\n  role: {role}\n"
        )
    }

    /// A spec as `kops get` prints it: `groups` are (name, role, maxSize).
    fn spec(cluster: &str, groups: &[(&str, &str, u32)]) -> ClusterSpec {
        let igs: Vec<String> = groups.iter().map(|(n, r, m)| group(n, r, *m)).collect();
        ClusterSpec::from_kops_output(cluster, &igs.join("---\n")).expect("a valid spec")
    }

    const CP: (&str, &str, u32) = ("control-plane-a", "Master", 1);
    const NODES: (&str, &str, u32) = ("nodes", "Node", 2);

    #[test]
    fn no_drift_when_production_is_the_deployed_spec() {
        let deployed = spec(
            &CLUSTER.replace("  creationTimestamp: \"2026-11-25T19:17:00Z\"\n", ""),
            &[CP, NODES],
        );
        // Server-set fields and key order are not drift.
        assert!(drift(&deployed, &spec(CLUSTER, &[NODES, CP])).is_empty());
    }

    #[test]
    fn a_field_changed_outside_git_is_drift() {
        let deployed = spec(CLUSTER, &[CP, NODES]);
        let production = spec(
            &CLUSTER.replace("1.28.6", "1.28.7"),
            &[CP, ("nodes", "Node", 5)],
        );
        let lines: Vec<String> = drift(&deployed, &production)
            .changes
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            [
                "Cluster spec.kubernetesVersion: 1.28.7 → 1.28.6",
                "InstanceGroup nodes spec.maxSize: 5 → 2",
            ]
        );
    }

    #[test]
    fn a_group_deleted_outside_git_is_drift_a_group_git_dropped_is_not() {
        let deployed = spec(CLUSTER, &[CP, NODES]);
        let lines = |production: &ClusterSpec| -> Vec<String> {
            let d = drift(&deployed, production);
            d.changes.iter().map(ToString::to_string).collect()
        };
        assert_eq!(
            lines(&spec(CLUSTER, &[CP])),
            ["+ InstanceGroup nodes"],
            "replace --force would create it again"
        );
        // Production still has `old` (replace never deletes it): not drift.
        assert!(lines(&spec(CLUSTER, &[CP, NODES, ("old", "Node", 1)])).is_empty());
    }

    #[test]
    fn production_at_the_target_is_not_drift() {
        let deployed = spec(CLUSTER, &[CP, NODES]);
        let target = spec(CLUSTER, &[CP, ("nodes", "Node", 3)]);
        // Nothing happened since: matches the spec deployed before.
        assert_eq!(
            drift_verdict(&deployed, &[], &target, &deployed),
            DriftVerdict::MatchesDeployed
        );
        // A deploy of the target got past `kops replace` (and failed after): already there.
        let DriftVerdict::MatchesTarget { since_deployed } =
            drift_verdict(&deployed, &[], &target, &target)
        else {
            panic!("production at the target is not drift");
        };
        assert_eq!(since_deployed.changes.len(), 1);
        // The same, with server-set fields and a group git dropped still in production.
        let live = spec(CLUSTER, &[("old", "Node", 1), ("nodes", "Node", 3), CP]);
        assert!(matches!(
            drift_verdict(&deployed, &[], &target, &live),
            DriftVerdict::MatchesTarget { .. }
        ));
        // Neither: changed outside git, what differs from the spec deployed before.
        let console = spec(&CLUSTER.replace("1.28.6", "1.28.7"), &[CP, NODES]);
        let DriftVerdict::Drifted { changes } = drift_verdict(&deployed, &[], &target, &console)
        else {
            panic!("an out-of-band change is drift");
        };
        let lines: Vec<String> = changes.changes.iter().map(ToString::to_string).collect();
        assert_eq!(lines, ["Cluster spec.kubernetesVersion: 1.28.7 → 1.28.6"]);
        assert_eq!(kinds_changed(&changes), (true, false));
        // An instance group changed outside git, on top of the target: still drift.
        let both = spec(CLUSTER, &[CP, ("nodes", "Node", 7)]);
        let DriftVerdict::Drifted { changes } = drift_verdict(&deployed, &[], &target, &both)
        else {
            panic!("drift");
        };
        assert_eq!(kinds_changed(&changes), (false, true));
        // A spec committed since, whose deploy got past `kops replace` and failed: from git.
        let failed = spec(CLUSTER, &[CP, ("nodes", "Node", 7)]);
        let later = [target.clone(), failed];
        assert!(matches!(
            drift_verdict(&deployed, &later, &target, &both),
            DriftVerdict::MatchesLater { index: 1, .. }
        ));
    }

    #[test]
    fn control_plane_roles() {
        let cp = |role: &str| spec(CLUSTER, &[("g", role, 1)]).instance_groups[0].clone();
        assert!(is_control_plane(&cp("Master")));
        assert!(is_control_plane(&cp("ControlPlane")));
        assert!(!is_control_plane(&cp("Node")));
        assert!(!is_control_plane(&cp("APIServer")));
    }

    #[test]
    fn prune_keeps_the_last_control_plane_group() {
        let production = spec(CLUSTER, &[CP, NODES, ("old", "Node", 1)]);
        // Only a node group goes: fine.
        assert_eq!(
            prune_refusal(&spec(CLUSTER, &[CP, NODES]), &production),
            None
        );
        // Nothing goes: fine.
        assert_eq!(
            prune_refusal(
                &spec(CLUSTER, &[CP, NODES, ("old", "Node", 1)]),
                &production
            ),
            None
        );
        // The only control-plane group goes, even with a new one in git (not running yet).
        let git = spec(CLUSTER, &[("control-plane-b", "Master", 1), NODES]);
        let refusal = prune_refusal(&git, &production).expect("refused");
        assert!(
            refusal.contains("control-plane instance group control-plane-a would leave no"),
            "{refusal}"
        );
        assert!(
            refusal.contains(
                "`kops delete instancegroup control-plane-a --name demo.example.com --yes`"
            ),
            "{refusal}"
        );
        // Three control-plane groups, one goes: two keep running.
        let ha = spec(
            CLUSTER,
            &[
                ("cp-a", "Master", 1),
                ("cp-b", "Master", 1),
                ("cp-c", "Master", 1),
            ],
        );
        let git = spec(CLUSTER, &[("cp-a", "Master", 1), ("cp-b", "Master", 1)]);
        assert_eq!(prune_refusal(&git, &ha), None);
        // All three go: refused, every one named.
        let git = spec(CLUSTER, &[("cp-new", "ControlPlane", 1)]);
        let refusal = prune_refusal(&git, &ha).expect("refused");
        assert!(
            refusal.contains("groups cp-a, cp-b, cp-c would"),
            "{refusal}"
        );
    }
}
