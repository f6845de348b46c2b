//! kops's stderr: recognisers for what kops writes there when a command fails (the `Error: …`
//! message, "Unable to reach the kubernetes API.", "cluster not found"). Pure functions of the
//! text; the process that produced it is run elsewhere (`crate::exec`).

use super::is_klog_line;

/// First line kops prints on stderr when the cluster API cannot be listed.
pub const API_UNREACHABLE: &str = "Unable to reach the kubernetes API.";

/// Whether kops's stderr shows the rolling-update failure "Unable to reach the kubernetes API."
/// (printed before `Error: error listing nodes in cluster: …` when run without `--cloudonly`
/// and the API cannot be reached, `docs/KOPS.md` §2.2).
pub fn is_api_unreachable(stderr: &str) -> bool {
    stderr.lines().any(|l| l.trim() == API_UNREACHABLE)
}

/// `kops get cluster NAME` for a cluster that does not exist: kops ≥1.22 prints
/// `Error: cluster not found "NAME"` (cmd/kops/get_cluster.go filterClustersByName).
pub fn is_cluster_not_found(stderr: &str) -> bool {
    stderr.lines().any(|l| l.contains("cluster not found"))
}

/// The error message in kops's stderr: the message of the last `Error: …` line (kops >= 1.22;
/// the `Error: ` prefix is removed), else the last non-empty line that is neither klog nor the
/// continuation of a multi-line klog message (kops <= 1.21 prints `"\n<message>\n"`). `None` if
/// stderr has neither.
pub fn parse_kops_error(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr
        .lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    if let Some(msg) = lines.iter().rev().find_map(|l| l.strip_prefix("Error: ")) {
        return Some(msg.trim().to_string());
    }
    let mut last = None;
    let mut after_klog = false;
    for line in lines {
        if is_klog_line(line) {
            after_klog = true;
        } else if line.trim().is_empty() {
            after_klog = false;
        } else if !after_klog {
            last = Some(line.trim());
        }
    }
    last.map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_not_found() {
        // The message of cmd/kops/get_cluster.go (filterClustersByName):
        // `fmt.Errorf("cluster not found %q", clusterName)`, printed by kops's main as `Error: …`.
        // Not a recording: built from that format string.
        let stderr = "Error: cluster not found \"demo1.k8s.local\"\n";
        assert!(is_cluster_not_found(stderr));
        assert_eq!(
            parse_kops_error(stderr).as_deref(),
            Some("cluster not found \"demo1.k8s.local\"")
        );
        assert!(!is_cluster_not_found(
            "Error: cluster test.k8s.local does not exist (try adding --force flag)\n"
        ));
        assert!(!is_cluster_not_found(""));
    }
}
