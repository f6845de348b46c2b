//! The kops version this repository is pinned to (`KOPS_PIN` in `pipeline.rs`), enforced: the
//! jobs that run kops (`plan`, `deploy`, `rolling-update`, `drift`, `export`) compare it with
//! `kops version` (or `--kops-version`) before any other kops call and stop on a mismatch unless
//! given `--any-kops-version`; `validate` checks the pin offline, on its own and against the
//! cluster specs (`kopsflow::kops::pin`).

use anyhow::bail;
use kopsflow::kops::pin::KopsPin;
use kopsflow::kops::KopsVersion;
use kopsflow::report::KopsUsed;
use kopsflow::spec::{ClusterSpec, Diagnostic, Severity};

use crate::output::Output;
use crate::pipeline::KOPS_PIN;
use crate::render::Sources;

/// Where the pin is declared, as messages name it.
pub const WHERE: &str = "KOPS_PIN in xtask/src/pipeline.rs";

/// `version` (found by `how`: `` `kops version` `` or `--kops-version`) against `pin`. A
/// mismatch is an error naming both versions and how to install the pinned one, unless
/// `any_version` (`--any-kops-version`): then a warning on stderr, and the run goes on.
pub fn check(
    output: &Output,
    pin: &KopsPin,
    version: &KopsVersion,
    how: &str,
    any_version: bool,
) -> anyhow::Result<KopsUsed> {
    let matches_pin = pin.allows(version);
    if !matches_pin && !any_version {
        bail!(
            "kops {version} ({how}) is not the kops this repository is pinned to: {pin} ({WHERE}). To fix it, {} and point --kops PATH or $KOPS at it; or run anyway with --any-kops-version",
            pin.install_hint()
        );
    }
    if !matches_pin {
        output.err(&format!(
            "warning: kops {version} ({how}) is not the pinned {pin} ({WHERE}): running anyway (--any-kops-version)"
        ));
    }
    Ok(KopsUsed {
        version: version.to_string(),
        pin: pin.to_string(),
        matches_pin,
        any_kops_version: any_version,
    })
}

/// The version `--print` resolves for without `--kops-version`: the pin's oldest.
pub fn print_version(pin: &KopsPin) -> anyhow::Result<KopsVersion> {
    match pin.lowest() {
        Some(version) => Ok(version),
        None => bail!("the kops pin {pin} ({WHERE}) allows no version"),
    }
}

/// What `--print` says about the pin, under the plan.
pub fn print_line(used: &KopsUsed) -> String {
    let outside = if used.matches_pin {
        ""
    } else {
        ", outside the pin (--any-kops-version)"
    };
    format!(
        "(kops pinned to {} by {WHERE}; resolved for kops {}{outside})",
        used.pin, used.version
    )
}

/// The line of `pipeline.rs` that declares the pin (diagnostics about the pin point there).
fn declaration_line() -> Option<usize> {
    include_str!("pipeline.rs")
        .lines()
        .position(|l| l.starts_with("pub const KOPS_PIN"))
        .map(|i| i + 1)
}

/// `validate`'s offline checks of `pin`: the pin itself (at its declaration) and every spec
/// that contradicts it (at the spec's line, or the template line or value that produced it).
pub fn offline_diagnostics(
    pin: &KopsPin,
    sources: &Sources,
    specs: &[&ClusterSpec],
) -> Vec<Diagnostic> {
    let mut found: Vec<Diagnostic> = pin
        .problems()
        .into_iter()
        .map(|message| Diagnostic {
            severity: Severity::Error,
            file: "xtask/src/pipeline.rs".into(),
            line: declaration_line(),
            column: None,
            path: Some("KOPS_PIN".to_owned()),
            message,
            hint: None,
        })
        .collect();
    for spec in specs {
        found.extend(sources.diagnostics(pin.spec_conflicts(spec)));
    }
    found
}

/// `validate`: the repository's pin checked offline; each diagnostic on stderr, an error when
/// one is an error.
pub fn validate(output: &Output, sources: &Sources, specs: &[&ClusterSpec]) -> anyhow::Result<()> {
    let found = offline_diagnostics(&KOPS_PIN, sources, specs);
    for d in &found {
        output.err(&d.to_string());
    }
    let errors = found.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        bail!(
            "{errors} error{} in the kops pin {KOPS_PIN} ({WHERE}) or the specs it must run",
            if errors == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use camino::Utf8PathBuf;

    fn output() -> Output {
        Output::new(kopsflow::exec::Redactor::from_env(std::iter::empty()))
    }

    fn v(text: &str) -> KopsVersion {
        text.parse().expect("a version")
    }

    #[test]
    fn a_mismatch_names_both_versions_and_the_download() {
        let pin = KopsPin::exact(1, 29, 2);
        let used = check(&output(), &pin, &v("1.29.2"), "`kops version`", false).unwrap();
        assert!(used.matches_pin && !used.any_kops_version);
        let err = check(&output(), &pin, &v("1.36.2"), "`kops version`", false)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("kops 1.36.2 (`kops version`) is not the kops this repository is pinned to: 1.29.2 (KOPS_PIN in xtask/src/pipeline.rs)"),
            "{err}"
        );
        assert!(
            err.contains(
                "https://github.com/kubernetes/kops/releases/download/v1.29.2/kops-linux-amd64"
            ),
            "{err}"
        );
        assert!(err.contains("--any-kops-version"), "{err}");
        let used = check(&output(), &pin, &v("1.36.2"), "`kops version`", true).unwrap();
        assert!(!used.matches_pin && used.any_kops_version);
        assert_eq!(
            print_line(&used),
            "(kops pinned to 1.29.2 by KOPS_PIN in xtask/src/pipeline.rs; resolved for kops 1.36.2, outside the pin (--any-kops-version))"
        );
    }

    /// A range pin lets every release of its minors through, and nothing else.
    #[test]
    fn a_range_pin() {
        let pin = KopsPin::range((1, 29), (1, 31));
        for ok in ["1.29.2", "1.30.0", "1.30.7"] {
            assert!(check(&output(), &pin, &v(ok), "--kops-version", false).is_ok());
        }
        for no in ["1.28.5", "1.31.0", "1.36.2"] {
            let err = check(&output(), &pin, &v(no), "--kops-version", false).unwrap_err();
            let err = err.to_string();
            assert!(
                err.contains(&format!("kops {no} (--kops-version)")),
                "{err}"
            );
            assert!(err.contains("pinned to: >=1.29, <1.31"), "{err}");
            assert!(err.contains("/download/v<V>/kops-linux-amd64"), "{err}");
        }
        assert_eq!(print_version(&pin).unwrap(), v("1.29.0"));
        assert!(print_version(&KopsPin::range((1, 31), (1, 29))).is_err());
    }

    /// The repository's own pin passes validate with the repository's specs.
    #[test]
    fn the_repository_pin_agrees_with_its_specs() {
        let root = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let loaded = crate::specs::load_all(&root).unwrap();
        let specs: Vec<&ClusterSpec> = loaded.specs.iter().collect();
        let sources = Sources::for_repo(&root);
        assert!(offline_diagnostics(&KOPS_PIN, &sources, &specs).is_empty());
        assert!(declaration_line().is_some(), "KOPS_PIN is declared");

        // kops 1.36 refuses every spec's Kubernetes (1.28, 1.29): an error for each, at the
        // spec's line or, for a rendered spec, at the value's declaration with the rendered
        // line in the hint.
        let found = offline_diagnostics(&KopsPin::exact(1, 36, 2), &sources, &specs);
        let text: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(found.len(), specs.len(), "{text:#?}");
        assert!(found.iter().all(Diagnostic::is_error));
        let prod = text
            .iter()
            .find(|t| t.contains("prod.k8s.example.com"))
            .unwrap();
        assert!(prod.starts_with("error: xtask/src/templates.rs:"), "{prod}");
        assert!(
            prod.contains("spec.kubernetesVersion: Kubernetes 1.28.6 is refused by kops 1.36 and later (`Error: kubernetes upgrade is required`, docs/KOPS.md §8), and the kops pin 1.36.2 allows no older kops")
                && prod.contains("rendered: cluster-spec/prod.k8s.example.com.yml:45:22"),
            "{prod}"
        );
        assert!(text.iter().any(|t| t.starts_with(
            "error: cluster-spec/test.k8s.example.com.yml:42:22: spec.kubernetesVersion: Kubernetes 1.29.2"
        )));
        // A range that only reaches 1.36 warns, and validate passes.
        let found = offline_diagnostics(&KopsPin::range((1, 29), (1, 37)), &sources, &specs);
        assert_eq!(found.len(), specs.len());
        assert!(found.iter().all(|d| !d.is_error()), "{found:#?}");

        // A pin older than 1.17: no dry-run store; at the pin's declaration.
        let found = offline_diagnostics(&KopsPin::exact(1, 16, 0), &sources, &specs);
        assert_eq!(found.len(), 1);
        let line = found[0].to_string();
        assert!(
            line.starts_with("error: xtask/src/pipeline.rs:")
                && line.contains("KOPS_PIN: the kops pin 1.16.0 allows kops 1.16.0, older than 1.17.0: it has no file:// state store"),
            "{line}"
        );
    }
}
