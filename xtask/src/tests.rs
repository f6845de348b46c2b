//! This repository's own checks of its composition: the committed CI files are what `cargo xtask
//! ci` generates (so a stale file fails `cargo test`), they install the pinned kops, and the pin
//! agrees with the repository's specs.

#![allow(clippy::unwrap_used)]

use camino::Utf8PathBuf;
use kopsflow::kops::pin::{download_url, KopsPin};
use kopsflow::spec::{ClusterSpec, Diagnostic};
use kopsflow_cli::ci::{generate, repo_clusters, CiInput, Engine};
use kopsflow_cli::pin::offline_diagnostics;
use kopsflow_cli::render::Sources;
use kopsflow_cli::Declared;

use crate::pipeline::KOPS_PIN;
use crate::repo;

const ENGINES: [Engine; 3] = [Engine::Github, Engine::Jenkins, Engine::Gitlab];

fn root() -> Utf8PathBuf {
    Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn repo_input() -> CiInput {
    let clusters = repo_clusters(&root(), &repo()).expect("the repo's specs load");
    CiInput::for_repo(&repo(), clusters).expect("the repo's pipeline resolves")
}

/// `cargo xtask ci ENGINE --check` for every engine: a committed file that differs from what
/// the pipeline generates fails here.
#[test]
fn committed_ci_files_are_up_to_date() -> anyhow::Result<()> {
    let input = repo_input();
    let mut stale = Vec::new();
    for engine in ENGINES {
        for file in generate(engine, &input)? {
            let committed = std::fs::read_to_string(root().join(&file.path)).unwrap_or_default();
            if committed != file.text {
                stale.push(format!(
                    "{} (`cargo xtask ci {} --check` shows the diff; run `cargo xtask ci {}` and commit)",
                    file.path,
                    engine.name(),
                    engine.name()
                ));
            }
        }
    }
    assert!(stale.is_empty(), "stale CI files:\n{}", stale.join("\n"));
    Ok(())
}

/// The CI jobs install the kops the pipeline is pinned to (`KOPS_PIN`): every committed CI
/// file that downloads kops downloads exactly the pinned release.
#[test]
fn committed_ci_files_install_the_pinned_kops() -> anyhow::Result<()> {
    let installed = &(repo().ci_settings.value)().kops.version;
    assert!(KOPS_PIN.value.allows(installed));
    if let KopsPin::Exact(pinned) = &KOPS_PIN.value {
        assert_eq!(installed, pinned);
    }
    let url = download_url(installed);
    let mut downloads = 0;
    for engine in ENGINES {
        for f in generate(engine, &repo_input())? {
            let committed = std::fs::read_to_string(root().join(&f.path))?;
            for line in committed.lines().filter(|l| l.contains("kops-linux-amd64")) {
                if let Some(at) = line.find("https://") {
                    assert!(line[at..].starts_with(&url), "{}: {line}", f.path);
                    downloads += 1;
                }
            }
        }
    }
    assert!(downloads >= 3, "every engine downloads kops: {downloads}");
    Ok(())
}

/// The repository's own pin passes validate with the repository's specs.
#[test]
fn the_repository_pin_agrees_with_its_specs() {
    let root = root();
    let loaded = kopsflow_cli::specs::load_all(&root, &repo()).unwrap();
    let specs: Vec<&ClusterSpec> = loaded.specs.iter().collect();
    let sources = Sources::for_repo(&root, &repo());
    assert!(offline_diagnostics(&KOPS_PIN, &sources, &specs).is_empty());
    let source = std::fs::read_to_string(root.join(KOPS_PIN.file)).unwrap();
    let line = source.lines().nth(KOPS_PIN.line as usize - 1).unwrap();
    assert!(line.starts_with("pub const KOPS_PIN"), "{line}");
    let pin = |value| Declared { value, ..KOPS_PIN };
    // kops 1.36 refuses every spec's Kubernetes (1.28, 1.29): an error for each, at the
    // spec's line or, for a rendered spec, at the value's declaration with the rendered
    // line in the hint.
    let found = offline_diagnostics(&pin(KopsPin::exact(1, 36, 2)), &sources, &specs);
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
    let found = offline_diagnostics(&pin(KopsPin::range((1, 29), (1, 37))), &sources, &specs);
    assert_eq!(found.len(), specs.len());
    assert!(found.iter().all(|d| !d.is_error()), "{found:#?}");

    // A pin older than 1.17: no dry-run store; at the pin's declaration.
    let found = offline_diagnostics(&pin(KopsPin::exact(1, 16, 0)), &sources, &specs);
    assert_eq!(found.len(), 1);
    let line = found[0].to_string();
    assert!(
        line.starts_with("error: xtask/src/pipeline.rs:")
            && line.contains("KOPS_PIN: the kops pin 1.16.0 allows kops 1.16.0, older than 1.17.0: it has no file:// state store"),
        "{line}"
    );
}

/// This repository's pipeline is the library's classic one, spelled out where it can be changed:
/// the same stages for every run flag (a change here should then say why it departs).
#[test]
fn the_pipeline_is_the_classic_one() {
    use kopsflow::kops::Mode;
    use kopsflow_cli::pipeline::{standard, RunFlags};
    use kopsflow_cli::Config;
    let config = Config::from_env(&repo(), |_| None).unwrap();
    let validate = Some(std::time::Duration::from_secs(600));
    for flags in [
        RunFlags::default(),
        RunFlags {
            roll: Mode::Apply,
            cloud_only: true,
            ..RunFlags::default()
        },
        RunFlags {
            allow_drift: true,
            validate,
            ..RunFlags::default()
        },
    ] {
        let ours = crate::pipeline::repo_pipeline(&config, flags.clone());
        assert_eq!(ours, standard(&config, flags));
    }
}
