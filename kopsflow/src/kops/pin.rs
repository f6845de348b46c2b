//! The kops version a repository is operated with ([`KopsPin`]): one exact release, or a
//! `>=x.y, <x.z` range of minor releases. Whether a kops satisfies it, where to download the
//! pinned release, and the offline checks of a pin: against what kopsflow needs from kops (a
//! `file://` dry-run store, docs/KOPS.md §5.1) and against what the cluster specs ask of it
//! (the Kubernetes versions a kops release refuses, [`KUBERNETES_FLOORS`]).

use std::fmt;

use super::KopsVersion;
use crate::policy::KubernetesVersion;
use crate::spec::{ClusterSpec, Diagnostic, Severity};

/// The oldest kops with `file://` state stores, which the dry-run store needs (docs/KOPS.md §5.1).
pub const FILE_STORE_SINCE: KopsVersion = KopsVersion::new(1, 17, 0);

/// From a kops minor on, the Kubernetes versions it refuses: `kubernetesVersion` below
/// `kubernetes_from` makes every kops command on the cluster stop with `message`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KubernetesFloor {
    /// The first kops minor that refuses, e.g. `(1, 36)`.
    pub kops: (u32, u32),
    /// The oldest Kubernetes it accepts, e.g. `(1, 31, 0)`.
    pub kubernetes_from: (u64, u64, u64),
    /// What kops prints.
    pub message: &'static str,
    /// Where the fact is recorded.
    pub source: &'static str,
}

/// The Kubernetes floors kopsflow checks offline. Only facts recorded in docs/KOPS.md: add a
/// row when a new kops release refuses more, with the section that records it.
pub const KUBERNETES_FLOORS: &[KubernetesFloor] = &[KubernetesFloor {
    kops: (1, 36),
    kubernetes_from: (1, 31, 0),
    message: "Error: kubernetes upgrade is required",
    source: "docs/KOPS.md §8",
}];

/// Where a kops release's Linux amd64 binary is published.
pub fn download_url(version: &KopsVersion) -> String {
    format!("https://github.com/kubernetes/kops/releases/download/v{version}/kops-linux-amd64")
}

/// The kops version a repository is operated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KopsPin {
    /// Exactly this release (a pre-release only when named).
    Exact(KopsVersion),
    /// `>=from, <below`, as minor releases: `from: (1, 29), below: (1, 31)` allows every 1.29.x
    /// and 1.30.x release. Pre-releases are never in a range.
    Range { from: (u32, u32), below: (u32, u32) },
}

impl KopsPin {
    pub const fn exact(major: u32, minor: u32, patch: u32) -> KopsPin {
        KopsPin::Exact(KopsVersion::new(major, minor, patch))
    }

    /// `>=from.0.from.1, <below.0.below.1`.
    pub const fn range(from: (u32, u32), below: (u32, u32)) -> KopsPin {
        KopsPin::Range { from, below }
    }

    /// Whether `version` satisfies the pin.
    pub fn allows(&self, version: &KopsVersion) -> bool {
        match self {
            KopsPin::Exact(pinned) => version == pinned,
            KopsPin::Range { from, below } => {
                let minor = (version.major, version.minor);
                version.pre.is_none() && *from <= minor && minor < *below
            }
        }
    }

    /// The oldest version the pin allows (for a range: its first minor's `.0`); `None` for an
    /// empty range.
    pub fn lowest(&self) -> Option<KopsVersion> {
        match self {
            KopsPin::Exact(v) => Some(v.clone()),
            KopsPin::Range { from, below } => {
                (from < below).then(|| KopsVersion::new(from.0, from.1, 0))
            }
        }
    }

    /// The newest minor the pin allows, as `(major, minor)`; `None` for an empty range.
    pub fn highest_minor(&self) -> Option<(u32, u32)> {
        match self {
            KopsPin::Exact(v) => Some((v.major, v.minor)),
            KopsPin::Range { from, below } if from < below => Some(if below.1 > 0 {
                (below.0, below.1 - 1)
            } else {
                // `<2.0`: every 1.x from `from` on; the newest minor is open-ended.
                (below.0 - 1, u32::MAX)
            }),
            KopsPin::Range { .. } => None,
        }
    }

    /// How to install a kops the pin allows, in one sentence.
    pub fn install_hint(&self) -> String {
        match self {
            KopsPin::Exact(v) => format!("install kops {v} from {}", download_url(v)),
            KopsPin::Range { .. } => format!(
                "install a kops release V in {self} from {}",
                "https://github.com/kubernetes/kops/releases/download/v<V>/kops-linux-amd64"
            ),
        }
    }

    /// Problems of the pin itself, each a sentence: a range that allows nothing, a kops with no
    /// `file://` store (the dry-run store needs one).
    pub fn problems(&self) -> Vec<String> {
        let Some(lowest) = self.lowest() else {
            return vec![format!("the kops pin {self} allows no version at all")];
        };
        let mut problems = Vec::new();
        if lowest < FILE_STORE_SINCE {
            problems.push(format!(
                "the kops pin {self} allows kops {lowest}, older than {FILE_STORE_SINCE}: it has no file:// state store, which plan's dry-run store needs (docs/KOPS.md §5.1); pin {FILE_STORE_SINCE} or later"
            ));
        }
        problems
    }

    /// Where `spec` asks for something a kops the pin allows refuses, at the spec's line: an
    /// error when every allowed kops refuses it, a warning when only some do.
    pub fn spec_conflicts(&self, spec: &ClusterSpec) -> Vec<Diagnostic> {
        let (Some(lowest), Some(highest)) = (self.lowest(), self.highest_minor()) else {
            return Vec::new();
        };
        let node = spec
            .cluster
            .document
            .get_path(&["spec", "kubernetesVersion"]);
        let Some((node, version)) =
            node.and_then(|n| Some((n, KubernetesVersion::parse(n.as_str()?)?)))
        else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for floor in KUBERNETES_FLOORS {
            let (major, minor, patch) = floor.kubernetes_from;
            let from = KubernetesVersion {
                major,
                minor,
                patch,
                pre: None,
            };
            if version >= from || highest < floor.kops {
                continue;
            }
            let (kops_major, kops_minor) = floor.kops;
            let every = (lowest.major, lowest.minor) >= floor.kops;
            let (severity, which) = if every {
                (Severity::Error, "allows no older kops".to_owned())
            } else {
                (
                    Severity::Warning,
                    format!("allows kops {kops_major}.{kops_minor}: a runner with it would fail"),
                )
            };
            found.push(Diagnostic {
                severity,
                file: spec.file.clone(),
                line: Some(node.line),
                column: Some(node.column),
                path: Some("spec.kubernetesVersion".to_owned()),
                message: format!(
                    "Kubernetes {version} is refused by kops {kops_major}.{kops_minor} and later (`{}`, {}), and the kops pin {self} {which}",
                    floor.message, floor.source
                ),
                hint: Some(format!(
                    "upgrade kubernetesVersion to {from} or later (one minor at a time, with a kops older than {kops_major}.{kops_minor}) before pinning kops {kops_major}.{kops_minor}"
                )),
            });
        }
        found
    }
}

/// `1.29.2` or `>=1.29, <1.31`.
impl fmt::Display for KopsPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KopsPin::Exact(v) => write!(f, "{v}"),
            KopsPin::Range { from, below } => {
                write!(f, ">={}.{}, <{}.{}", from.0, from.1, below.0, below.1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> KopsVersion {
        text.parse().expect("a version")
    }

    #[test]
    fn exact_and_range() {
        let exact = KopsPin::exact(1, 29, 2);
        assert!(exact.allows(&v("1.29.2")));
        assert!(!exact.allows(&v("1.29.3")) && !exact.allows(&v("1.36.2")));
        assert!(!exact.allows(&v("1.29.2-beta.1")));
        assert_eq!(exact.to_string(), "1.29.2");
        let range = KopsPin::range((1, 29), (1, 31));
        assert_eq!(range.to_string(), ">=1.29, <1.31");
        for ok in ["1.29.0", "1.29.2", "1.30.9"] {
            assert!(range.allows(&v(ok)), "{ok}");
        }
        for no in ["1.28.9", "1.31.0", "1.36.2", "1.30.0-beta.1", "2.29.0"] {
            assert!(!range.allows(&v(no)), "{no}");
        }
        assert_eq!(range.lowest(), Some(v("1.29.0")));
        assert_eq!(range.highest_minor(), Some((1, 30)));
        assert_eq!(
            KopsPin::range((1, 30), (2, 0)).highest_minor(),
            Some((1, u32::MAX))
        );
    }

    #[test]
    fn install_hints_name_the_download() {
        assert_eq!(
            KopsPin::exact(1, 29, 2).install_hint(),
            "install kops 1.29.2 from https://github.com/kubernetes/kops/releases/download/v1.29.2/kops-linux-amd64"
        );
        let hint = KopsPin::range((1, 29), (1, 31)).install_hint();
        assert!(hint.contains("V in >=1.29, <1.31"), "{hint}");
        assert!(hint.contains("/download/v<V>/kops-linux-amd64"), "{hint}");
    }

    #[test]
    fn problems_of_the_pin_itself() {
        assert!(KopsPin::exact(1, 17, 0).problems().is_empty());
        assert!(KopsPin::range((1, 29), (1, 31)).problems().is_empty());
        let old = KopsPin::exact(1, 16, 4).problems();
        assert_eq!(old.len(), 1);
        assert!(old[0].contains("no file:// state store"), "{old:?}");
        assert!(!KopsPin::range((1, 15), (1, 30)).problems().is_empty());
        let empty = KopsPin::range((1, 31), (1, 29)).problems();
        assert!(empty[0].contains("allows no version"), "{empty:?}");
    }

    fn spec(kubernetes: &str) -> ClusterSpec {
        let text = format!(
            "apiVersion: kops.k8s.io/v1alpha2\nkind: Cluster\nmetadata:\n  name: a.example.com\nspec:\n  cloudProvider: aws\n  kubernetesVersion: {kubernetes}\n  networkCIDR: 172.20.0.0/16\n  subnets:\n  - cidr: 172.20.32.0/19\n    name: us-east-1a\n    type: Public\n    zone: us-east-1a\n"
        );
        match ClusterSpec::parse("cluster-spec/a.example.com.yml".into(), &text) {
            Ok(loaded) => loaded.spec,
            Err(d) => panic!("{d:#?}"),
        }
    }

    #[test]
    fn kops_1_36_refuses_kubernetes_below_1_31() {
        let old = spec("1.30.9");
        let found = KopsPin::exact(1, 36, 2).spec_conflicts(&old);
        assert_eq!(found.len(), 1, "{found:#?}");
        let d = &found[0];
        assert!(d.is_error());
        assert_eq!((d.line, d.column), (Some(7), Some(22)));
        assert!(
            d.to_string().starts_with(
                "error: cluster-spec/a.example.com.yml:7:22: spec.kubernetesVersion: Kubernetes 1.30.9 is refused by kops 1.36 and later (`Error: kubernetes upgrade is required`, docs/KOPS.md §8)"
            ),
            "{d}"
        );
        // A range that reaches 1.36 warns; one that starts there is an error.
        let found = KopsPin::range((1, 30), (1, 37)).spec_conflicts(&old);
        assert_eq!(found[0].severity, Severity::Warning, "{found:#?}");
        assert!(KopsPin::range((1, 36), (1, 38)).spec_conflicts(&old)[0].is_error());
        // Near misses: Kubernetes 1.31.0 itself; a kops that predates the floor.
        assert!(KopsPin::exact(1, 36, 2)
            .spec_conflicts(&spec("1.31.0"))
            .is_empty());
        assert!(KopsPin::exact(1, 35, 0).spec_conflicts(&old).is_empty());
        assert!(KopsPin::range((1, 29), (1, 36))
            .spec_conflicts(&old)
            .is_empty());
    }
}
