//! A cluster's spec file written from production (`cargo xtask export`): what `kops get cluster
//! NAME -o yaml` and `kops get instancegroups --name NAME -o yaml` print, in canonical form — a
//! header comment saying how the file was produced, the Cluster first, then the instance groups
//! sorted by name, one `---` between documents and none after the last, and no server-set
//! fields (`creationTimestamp`, `generation`, `status` …; docs/KOPS.md §4.1). Every other field
//! is kept as kops printed it, so a `plan` right after an export shows no spec diff.

use super::ClusterSpec;

/// The spec file's text: `header` as a comment line (line breaks in it become spaces), then the
/// canonical YAML of `live` (a spec read from `kops get` output).
pub fn export_file(live: &ClusterSpec, header: &str) -> String {
    let header: String = header
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    format!("# {}\n{}", header.trim(), live.normalized().to_kops_yaml())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::diff;
    use camino::Utf8PathBuf;

    /// A sample's text without its origin line.
    fn sample(text: &str) -> &str {
        text.split_once('\n').map_or("", |(_, rest)| rest)
    }

    /// The real `kops get` outputs of each recorded kops version, with the cluster's name.
    fn recordings() -> [(&'static str, &'static str, &'static str); 2] {
        [
            (
                "test.k8s.local",
                sample(include_str!(
                    "../../tests/kops-samples/get-cluster-o-yaml.REAL.kops-1.29.2.yaml"
                )),
                sample(include_str!(
                    "../../tests/kops-samples/get-instancegroups-o-yaml.REAL.kops-1.29.2.yaml"
                )),
            ),
            (
                "demo1.k8s.local",
                sample(include_str!(
                    "../../tests/kops-samples/get-cluster-o-yaml.REAL.kops-1.36.2.yaml"
                )),
                sample(include_str!(
                    "../../tests/kops-samples/get-instancegroups-o-yaml.REAL.kops-1.36.2.yaml"
                )),
            ),
        ]
    }

    #[test]
    fn canonical_valid_and_without_diff() -> anyhow::Result<()> {
        for (name, cluster, igs) in recordings() {
            // kops prints the instance groups in its own order: give them in reverse, too.
            let mut docs: Vec<&str> = igs.split("\n---\n").collect();
            docs.reverse();
            let reversed = docs.join("\n---\n");
            for igs in [igs, reversed.as_str()] {
                let live = ClusterSpec::from_kops_output(cluster, igs)?;
                let text = export_file(&live, "exported\nby a test");
                assert!(
                    text.starts_with(
                        "# exported by a test\napiVersion: kops.k8s.io/v1alpha2\nkind: Cluster\n"
                    ),
                    "{text}"
                );
                assert!(!text.contains("creationTimestamp"), "{text}");
                assert!(!text.ends_with("---\n") && text.ends_with('\n'), "{text}");
                assert_eq!(text.matches("---").count(), 2, "{text}");
                assert!(!text.contains("\n\n"), "no blank lines: {text}");
                let control = text.find("name: control-plane-us-east-1a");
                let nodes = text.find("name: nodes-us-east-1a");
                assert!(
                    control < nodes && control.is_some(),
                    "sorted by name: {text}"
                );
                // A spec file that validates with no diagnostic at all, under its own name.
                let file = Utf8PathBuf::from(format!("cluster-spec/{name}.yml"));
                let loaded = ClusterSpec::parse(&file, &text)
                    .map_err(|d| anyhow::anyhow!("{}", crate::spec::render_diagnostics(&d)))?;
                assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
                assert!(diff(&loaded.spec, &live).is_empty(), "{name}");
                // Exporting what was exported gives the same file.
                assert_eq!(export_file(&loaded.spec, "exported by a test"), text);
            }
        }
        Ok(())
    }

    #[test]
    fn exported_files() -> anyhow::Result<()> {
        for (name, cluster, igs) in recordings() {
            let live = ClusterSpec::from_kops_output(cluster, igs)?;
            let header = format!("exported {name} by a test");
            insta::assert_snapshot!(name, export_file(&live, &header));
        }
        Ok(())
    }

    #[test]
    fn server_set_fields_go_and_the_rest_stays() -> anyhow::Result<()> {
        let [(_, cluster, igs), (_, cluster_136, igs_136)] = recordings();
        let cluster = cluster.replace(
            "  name: test.k8s.local\n",
            "  name: test.k8s.local\n  generation: 3\n",
        );
        let cluster = format!("{cluster}status:\n  phase: Ready\n");
        let text = export_file(&ClusterSpec::from_kops_output(&cluster, igs)?, "h");
        assert!(
            !text.contains("generation") && !text.contains("status:"),
            "{text}"
        );
        assert!(
            text.contains("  configBase: /srv/kstate/test.k8s.local\n"),
            "{text}"
        );
        // kops 1.36 adds nodeLabels to every instance group: a spec field, kept.
        let text = export_file(&ClusterSpec::from_kops_output(cluster_136, igs_136)?, "h");
        assert!(
            text.contains("    kops.k8s.io/instancegroup: nodes-us-east-1a\n"),
            "{text}"
        );
        Ok(())
    }
}
