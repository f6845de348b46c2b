//! The repository's cluster specs: finding the workspace, loading and validating every
//! `cluster-spec/*.yml|*.yaml`, and selecting clusters by name.

use std::fmt::Write as _;

use anyhow::{bail, Context as _};
use camino::{Utf8Path, Utf8PathBuf};
use kopsflow::pipeline::ClusterTarget;
use kopsflow::spec::{ClusterSpec, Diagnostic, LoadedSpec, Severity};

/// Where a repository keeps its cluster specs, relative to its root.
pub const SPEC_DIR: &str = "cluster-spec";

/// The nearest ancestor of `start` that has a `cluster-spec/` directory.
pub fn find_root(start: &Utf8Path) -> anyhow::Result<Utf8PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(SPEC_DIR).is_dir())
        .map(Utf8Path::to_owned)
        .with_context(|| {
            format!("no {SPEC_DIR}/ directory in {start} or above: run from the repository holding your cluster specs")
        })
}

/// Spec files under `root/cluster-spec`, sorted, as paths relative to `root`.
pub fn spec_files(root: &Utf8Path) -> anyhow::Result<Vec<Utf8PathBuf>> {
    let dir = root.join(SPEC_DIR);
    let mut files = Vec::new();
    for entry in dir
        .read_dir_utf8()
        .with_context(|| format!("cannot read {dir}"))?
    {
        let entry = entry.with_context(|| format!("cannot read {dir}"))?;
        let name = entry.file_name();
        if entry.file_type()?.is_file() && (name.ends_with(".yml") || name.ends_with(".yaml")) {
            files.push(Utf8Path::new(SPEC_DIR).join(name));
        }
    }
    files.sort();
    Ok(files)
}

/// Every spec loaded and validated, or every diagnostic of every file.
#[derive(Debug)]
pub struct Specs {
    /// Every spec, in file order.
    pub specs: Vec<ClusterSpec>,
    /// Warnings of valid specs (at their template line when rendered).
    pub warnings: Vec<Diagnostic>,
}

/// The validation failure: all diagnostics of all files (errors and warnings).
#[derive(Debug)]
pub struct InvalidSpecs {
    /// Every error and warning, file by file.
    pub diagnostics: Vec<Diagnostic>,
}

impl InvalidSpecs {
    /// How many of them are errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
}

impl std::fmt::Display for InvalidSpecs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        for d in &self.diagnostics {
            let _ = writeln!(out, "{d}");
        }
        let n = self.error_count();
        write!(
            f,
            "{out}{n} error{} in cluster specs: fix them; nothing was sent to kops",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for InvalidSpecs {}

/// Loads and validates every spec under `root` (paths in diagnostics relative to `root`).
pub fn load_all(root: &Utf8Path, repo: &crate::Repo) -> anyhow::Result<Specs> {
    let mut texts = Vec::new();
    for file in spec_files(root)? {
        let text = std::fs::read_to_string(root.join(&file))
            .with_context(|| format!("cannot read {file}"))?;
        texts.push((file, text));
    }
    let mut specs = Vec::new();
    let mut warnings = Vec::new();
    let mut problems = Vec::new();
    for result in parse_in_parallel(&texts) {
        match result {
            Ok(LoadedSpec { spec, warnings: w }) => {
                specs.push(spec);
                warnings.extend(w);
            }
            Err(diagnostics) => problems.extend(diagnostics),
        }
    }
    if !problems.is_empty() || !warnings.is_empty() {
        // In a rendered spec, point at the template line or value that caused it.
        let sources = crate::render::Sources::for_repo(root, repo);
        (problems, warnings) = (sources.diagnostics(problems), sources.diagnostics(warnings));
    }
    if !problems.is_empty() {
        problems.extend(warnings);
        return Err(InvalidSpecs {
            diagnostics: problems,
        }
        .into());
    }
    Ok(Specs { specs, warnings })
}

/// Checks that every spec belongs to an environment and that its `configBase` is in that
/// environment's store ([`crate::environment::diagnostics`]), at the spec's (or its template's)
/// line; nothing to check when the repository has no environments or `KOPS_STATE_STORE` names
/// the store of the whole run.
pub fn check_environments(
    root: &Utf8Path,
    repo: &crate::Repo,
    config: &crate::Config,
    specs: &[&ClusterSpec],
) -> anyhow::Result<()> {
    let envs = repo.environments()?;
    if envs.is_empty() || config.store_override {
        return Ok(());
    }
    let problems = crate::environment::diagnostics(&envs, specs);
    if problems.is_empty() {
        return Ok(());
    }
    let sources = crate::render::Sources::for_repo(root, repo);
    Err(InvalidSpecs {
        diagnostics: sources.diagnostics(problems),
    }
    .into())
}

/// Parses and validates every file, on as many threads as there are cores (a repo holds
/// hundreds of clusters; each file is independent), keeping the files' order.
fn parse_in_parallel(texts: &[(Utf8PathBuf, String)]) -> Vec<Result<LoadedSpec, Vec<Diagnostic>>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 8);
    let chunk = texts.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = texts
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(file, text)| ClusterSpec::parse(file, text))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| match worker.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

impl Specs {
    /// The selected specs: `names` (each must exist) or all when empty.
    pub fn select(&self, names: &[String]) -> anyhow::Result<Vec<&ClusterSpec>> {
        if self.specs.is_empty() {
            bail!("no cluster specs in {SPEC_DIR}/: add {SPEC_DIR}/<cluster-name>.yml (kops get <cluster-name> -o yaml)");
        }
        if names.is_empty() {
            return Ok(self.specs.iter().collect());
        }
        names
            .iter()
            .map(|name| {
                self.specs
                    .iter()
                    .find(|s| s.name() == name)
                    .with_context(|| {
                        let known: Vec<&str> = self.specs.iter().map(ClusterSpec::name).collect();
                        format!(
                            "no cluster named {name:?} in {SPEC_DIR}/: known clusters are {}",
                            known.join(", ")
                        )
                    })
            })
            .collect()
    }
}

/// The pipeline's view of a spec: name, file and `configBase`.
pub fn target(spec: &ClusterSpec) -> ClusterTarget {
    ClusterTarget {
        name: spec.name().to_owned(),
        spec_file: spec.file.clone(),
        config_base: spec.config_base().map(str::to_owned),
        deployed: None,
    }
}
