//! Value rules, public through `spec`: DNS-1123 labels and subdomains, Kubernetes versions.

/// A DNS-1123 label: 1–63 of `[a-z0-9-]`, starting and ending alphanumeric.
pub fn is_dns1123_label(s: &str) -> bool {
    let bytes = s.as_bytes();
    let alphanumeric = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.first().is_some_and(alphanumeric)
        && bytes.last().is_some_and(alphanumeric)
        && bytes.iter().all(|b| alphanumeric(b) || *b == b'-')
}

/// A DNS-1123 subdomain: at most 253 characters, dot-separated DNS-1123 labels.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

/// `1.29.2`, `v1.29.0`, `1.30.0-beta.1`, `1.29.2+build.1`, or an http(s) URL (kops accepts a
/// release URL as kubernetesVersion).
pub fn is_kubernetes_version(s: &str) -> bool {
    if let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    {
        return !rest.is_empty() && !rest.contains(char::is_whitespace);
    }
    let version = s.strip_prefix('v').unwrap_or(s);
    let (version, build) = match version.split_once('+') {
        Some((version, build)) => (version, Some(build)),
        None => (version, None),
    };
    let (core, pre_release) = match version.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (version, None),
    };
    let identifiers_ok = |text: &str| {
        text.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    };
    let numbers: Vec<&str> = core.split('.').collect();
    numbers.len() == 3
        && numbers
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && pre_release.is_none_or(identifiers_ok)
        && build.is_none_or(identifiers_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns1123_subdomains() {
        for good in ["test.k8s.local", "a", "nodes-us-east-1a", "a-b.c0"] {
            assert!(is_dns1123_subdomain(good), "{good}");
        }
        for bad in [
            "",
            "Nodes",
            "a_b",
            "-a",
            "a-",
            "a..b",
            ".a",
            &"x".repeat(64),
        ] {
            assert!(!is_dns1123_subdomain(bad), "{bad}");
        }
    }

    #[test]
    fn kubernetes_versions() {
        for good in [
            "1.29.2",
            "v1.29.0",
            "1.30.0-beta.1",
            "1.29.2+abc",
            "https://storage.googleapis.com/kubernetes-release-dev/ci/v1.30.0-alpha.0/",
        ] {
            assert!(is_kubernetes_version(good), "{good}");
        }
        for bad in [
            "abc", "1.29", "1.29.x", "v", "1..2", "1.29.2-", "ftp://x", "https://",
        ] {
            assert!(!is_kubernetes_version(bad), "{bad}");
        }
    }
}
