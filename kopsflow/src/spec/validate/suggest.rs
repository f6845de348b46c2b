//! "Did you mean" matching: the closest known word to a likely typo (edit distance), and
//! InstanceGroup role aliases.

use super::known::KNOWN_ROLES;

/// Edit distance (insertions, deletions, substitutions).
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// Words longer than this (in bytes) are not matched: the edit distance is quadratic in the
/// length, and typos of such long words are not what suggestions are for.
const MAX_WORD: usize = 64;

/// The closest known word, if it is close enough to be a likely typo.
pub(super) fn suggest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    if word.len() > MAX_WORD {
        return None;
    }
    if let Some(same) = known.iter().find(|k| k.eq_ignore_ascii_case(word)) {
        return Some(same);
    }
    let lower = word.to_ascii_lowercase();
    let length = word.chars().count();
    let allowed = match length {
        0..=4 => 1,
        5..=9 => 2,
        _ => 3,
    };
    let (distance, closest) = known
        .iter()
        // The distance is at least the difference in length.
        .filter(|k| k.len() <= MAX_WORD && k.chars().count().abs_diff(length) <= allowed)
        .map(|k| (levenshtein(&lower, &k.to_ascii_lowercase()), *k))
        .min_by_key(|(distance, _)| *distance)?;
    (distance <= allowed).then_some(closest)
}

pub(super) fn suggest_role(role: &str) -> Option<&'static str> {
    let lower = role.to_ascii_lowercase();
    match lower.as_str() {
        "controlplane" | "control-plane" | "control_plane" | "masters" => Some("Master"),
        "nodes" | "worker" | "workers" => Some("Node"),
        _ => suggest(role, KNOWN_ROLES),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::validate::known::{
        KNOWN_CLUSTER_SPEC_FIELDS, KNOWN_INSTANCE_GROUP_SPEC_FIELDS,
    };

    #[test]
    fn suggestions_catch_typos_only() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(
            suggest("kubernetesVerison", KNOWN_CLUSTER_SPEC_FIELDS),
            Some("kubernetesVersion")
        );
        assert_eq!(
            suggest("machinetype", KNOWN_INSTANCE_GROUP_SPEC_FIELDS),
            Some("machineType")
        );
        assert_eq!(suggest("frobnicate", KNOWN_CLUSTER_SPEC_FIELDS), None);
        assert_eq!(suggest_role("master"), Some("Master"));
        assert_eq!(suggest_role("ControlPlane"), Some("Master"));
        assert_eq!(suggest_role("Nodes"), Some("Node"));
        assert_eq!(suggest_role("Bastian"), Some("Bastion"));
        assert_eq!(suggest_role("Database"), None);
        let long = "kubernetesVersion".repeat(10_000);
        assert_eq!(suggest(&long, KNOWN_CLUSTER_SPEC_FIELDS), None);
    }
}
