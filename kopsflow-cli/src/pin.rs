//! The kops version the repository is pinned to ([`crate::Repo::kops_pin`]), enforced: the
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
use crate::render::Sources;
use crate::Declared;

/// `version` (found by `how`: `` `kops version` `` or `--kops-version`) against `pin`. A
/// mismatch is an error naming both versions and how to install the pinned one, unless
/// `any_version` (`--any-kops-version`): then a warning on stderr, and the run goes on.
pub fn check(
    output: &Output,
    pin: &Declared<KopsPin>,
    version: &KopsVersion,
    how: &str,
    any_version: bool,
) -> anyhow::Result<KopsUsed> {
    let (pin, place) = (&pin.value, pin.place());
    let matches_pin = pin.allows(version);
    if !matches_pin && !any_version {
        bail!(
            "kops {version} ({how}) is not the kops this repository is pinned to: {pin} ({place}). To fix it, {} and point --kops PATH or $KOPS at it; or run anyway with --any-kops-version",
            pin.install_hint()
        );
    }
    if !matches_pin {
        output.err(&format!(
            "warning: kops {version} ({how}) is not the pinned {pin} ({place}): running anyway (--any-kops-version)"
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
pub fn print_version(pin: &Declared<KopsPin>) -> anyhow::Result<KopsVersion> {
    match pin.value.lowest() {
        Some(version) => Ok(version),
        None => bail!(
            "the kops pin {} ({}) allows no version",
            pin.value,
            pin.place()
        ),
    }
}

/// What `--print` says about the pin, under the plan.
pub fn print_line(pin: &Declared<KopsPin>, used: &KopsUsed) -> String {
    let outside = if used.matches_pin {
        ""
    } else {
        ", outside the pin (--any-kops-version)"
    };
    format!(
        "(kops pinned to {} by {}; resolved for kops {}{outside})",
        used.pin,
        pin.place(),
        used.version
    )
}

/// `validate`'s offline checks of `pin`: the pin itself (at its declaration) and every spec
/// that contradicts it (at the spec's line, or the template line or value that produced it).
pub fn offline_diagnostics(
    pin: &Declared<KopsPin>,
    sources: &Sources,
    specs: &[&ClusterSpec],
) -> Vec<Diagnostic> {
    let mut found: Vec<Diagnostic> = pin
        .value
        .problems()
        .into_iter()
        .map(|message| Diagnostic {
            severity: Severity::Error,
            file: pin.file.into(),
            line: Some(pin.line as usize),
            column: None,
            path: Some(pin.name.to_owned()),
            message,
            hint: None,
        })
        .collect();
    for spec in specs {
        found.extend(sources.diagnostics(pin.value.spec_conflicts(spec)));
    }
    found
}

/// `validate`: the repository's pin checked offline; each diagnostic on stderr, an error when
/// one is an error.
pub fn validate(
    output: &Output,
    pin: &Declared<KopsPin>,
    sources: &Sources,
    specs: &[&ClusterSpec],
) -> anyhow::Result<()> {
    let found = offline_diagnostics(pin, sources, specs);
    for d in &found {
        output.err(&d.to_string());
    }
    let errors = found.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        bail!(
            "{errors} error{} in the kops pin {} ({}) or the specs it must run",
            if errors == 1 { "" } else { "s" },
            pin.value,
            pin.place()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output() -> Output {
        Output::new(kopsflow::exec::Redactor::from_env(std::iter::empty()))
    }

    fn v(text: &str) -> KopsVersion {
        text.parse().expect("a version")
    }

    fn pinned(pin: KopsPin) -> Declared<KopsPin> {
        Declared {
            value: pin,
            name: "KOPS_PIN",
            file: "ops/src/pipeline.rs",
            line: 83,
        }
    }

    #[test]
    fn a_mismatch_names_both_versions_and_the_download() {
        let pin = pinned(KopsPin::exact(1, 29, 2));
        let used = check(&output(), &pin, &v("1.29.2"), "`kops version`", false).unwrap();
        assert!(used.matches_pin && !used.any_kops_version);
        let err = check(&output(), &pin, &v("1.36.2"), "`kops version`", false)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("kops 1.36.2 (`kops version`) is not the kops this repository is pinned to: 1.29.2 (KOPS_PIN in ops/src/pipeline.rs)"),
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
            print_line(&pin, &used),
            "(kops pinned to 1.29.2 by KOPS_PIN in ops/src/pipeline.rs; resolved for kops 1.36.2, outside the pin (--any-kops-version))"
        );
    }

    /// A range pin lets every release of its minors through, and nothing else.
    #[test]
    fn a_range_pin() {
        let pin = pinned(KopsPin::range((1, 29), (1, 31)));
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
        assert!(print_version(&pinned(KopsPin::range((1, 31), (1, 29)))).is_err());
    }
}
