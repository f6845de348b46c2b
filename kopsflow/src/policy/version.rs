//! Kubernetes versions as the version rules compare them: `1.29.2`, `v1.29.2`, `1.30.0-beta.1`.
//! A release URL (`https://…`) is not compared.

use std::cmp::Ordering;
use std::fmt;

/// A parsed `major.minor.patch[-pre]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubernetesVersion {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    /// `beta.1` of `1.30.0-beta.1`; a pre-release sorts before its release.
    pub pre: Option<String>,
}

impl KubernetesVersion {
    /// `None` for anything but `[v]MAJOR.MINOR.PATCH[-PRE]` (e.g. a URL).
    pub fn parse(text: &str) -> Option<KubernetesVersion> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let (core, pre) = match text.split_once('-') {
            Some((core, pre)) if !pre.is_empty() => (core, Some(pre.to_owned())),
            Some(_) => return None,
            None => (text, None),
        };
        let mut parts = core.split('.');
        let mut number = || -> Option<u64> {
            let part = parts.next()?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (major, minor, patch) = (number()?, number()?, number()?);
        if parts.next().is_some() {
            return None;
        }
        Some(KubernetesVersion {
            major,
            minor,
            patch,
            pre,
        })
    }
}

impl Ord for KubernetesVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}

impl PartialOrd for KubernetesVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for KubernetesVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> KubernetesVersion {
        KubernetesVersion::parse(text).unwrap_or_else(|| panic!("{text}"))
    }

    #[test]
    fn parses_the_forms_kops_accepts_and_orders_them() {
        assert_eq!(v("v1.29.2"), v("1.29.2"));
        assert!(v("1.30.0-beta.1") < v("1.30.0"));
        assert!(v("1.29.10") > v("1.29.9"));
        assert!(v("1.30.0") > v("1.29.99"));
        assert_eq!(v("1.30.0-beta.1").to_string(), "1.30.0-beta.1");
        for bad in [
            "1.30",
            "1.30.0.1",
            "https://storage.googleapis.com/kubernetes-release/release/v1.29.2/",
            "1.x.0",
            "1.30.0-",
            "",
        ] {
            assert_eq!(KubernetesVersion::parse(bad), None, "{bad}");
        }
    }
}
