//! Fuzz targets over kopsflow's untrusted inputs — spec files from git and kops output — each
//! with its oracle (no panic, plus a property where one exists), the seeds they start from, and
//! a byte-level mutator. The driver is `main.rs`; `tests/regressions.rs` replays every saved
//! finding as an ordinary test.

pub mod leaks;
pub mod mutate;
pub mod subset;
pub mod yaml11;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use camino::Utf8Path;
use kopsflow::report::{normalize_value, parse_rolling_update, parse_update_dry_run};
use kopsflow::spec::ClusterSpec;

/// A value that must never appear in redacted output.
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";

/// Separates the two `kops get` outputs (cluster, instance groups) in one fuzz input.
pub const GET_SEPARATOR: &str = "\n%%\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A spec file from git: parse + validate, and when it loads, emit → parse gives it back.
    Spec,
    /// `kops get cluster` / `kops get instancegroups` output read as production's spec.
    KopsGet,
    /// `kops update cluster` dry-run stdout, and every parsed value normalised.
    Update,
    /// `kops rolling-update cluster` table.
    Rolling,
    /// Map-value normalisation: never panics, and is idempotent.
    Normalize,
    /// Redaction: a secret placed anywhere in a line never survives.
    Redact,
    /// A secret in kops output, through every renderer (markdown escaping, clipping).
    RedactMarkdown,
    /// Each long line of a multi-line secret value.
    RedactMultiline,
    /// Output starts no CI workflow command and holds no control character.
    Inject,
    /// A spec file kopsflow accepts reaches kops meaning what it means in git, read by a YAML 1.1
    /// reader of kops's kind (`subset.rs`): tags, anchors, aliases, merge keys.
    SpecYaml11,
}

pub const TARGETS: &[Target] = &[
    Target::Spec,
    Target::KopsGet,
    Target::Update,
    Target::Rolling,
    Target::Normalize,
    Target::Redact,
    Target::RedactMarkdown,
    Target::RedactMultiline,
    Target::Inject,
    Target::SpecYaml11,
];

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Spec => "spec",
            Target::KopsGet => "kops-get",
            Target::Update => "update",
            Target::Rolling => "rolling",
            Target::Normalize => "normalize",
            Target::Redact => "redact",
            Target::RedactMarkdown => "redact-markdown",
            Target::RedactMultiline => "redact-multiline",
            Target::Inject => "inject",
            Target::SpecYaml11 => "spec-yaml11",
        }
    }

    pub fn from_name(name: &str) -> Option<Target> {
        TARGETS.iter().copied().find(|t| t.name() == name)
    }

    /// Runs the target on one input. `Err` describes a broken property or a panic.
    pub fn check(self, input: &[u8]) -> Result<(), String> {
        let text = String::from_utf8_lossy(input);
        guarded(|| self.check_text(&text))
    }

    fn check_text(self, text: &str) -> Result<(), String> {
        match self {
            Target::Spec => check_spec(text),
            Target::KopsGet => {
                let (cluster, igs) = text.split_once(GET_SEPARATOR).unwrap_or((text, ""));
                if let Ok(spec) = ClusterSpec::from_kops_output(cluster, igs) {
                    let _ = spec.to_kops_yaml();
                    let _ = spec.normalized();
                }
                Ok(())
            }
            Target::Update => {
                if let Ok(report) = parse_update_dry_run(text) {
                    for task in report.creates.iter().chain(&report.modifies) {
                        for field in &task.fields {
                            let _ = normalize_value(&field.new);
                        }
                    }
                }
                Ok(())
            }
            Target::Rolling => {
                let _ = parse_rolling_update(text);
                Ok(())
            }
            Target::Normalize => {
                let once = normalize_value(text);
                let twice = normalize_value(&once);
                if once == twice {
                    Ok(())
                } else {
                    Err(format!("not idempotent: {once:?} then {twice:?}"))
                }
            }
            Target::Redact => check_redact(text),
            Target::RedactMarkdown => leaks::check_redact_markdown(text),
            Target::RedactMultiline => leaks::check_redact_multiline(text),
            Target::Inject => leaks::check_inject(text),
            Target::SpecYaml11 => subset::kops_reads_what_git_means(
                Utf8Path::new("cluster-spec/test.k8s.example.com.yml"),
                text,
            ),
        }
    }

    /// The seed inputs: real kops recordings and the spec corpus, by target.
    pub fn seeds(self, repo: &Path) -> Vec<Vec<u8>> {
        let samples = repo.join("kopsflow/tests/kops-samples");
        let pick = |pattern: &dyn Fn(&str) -> bool| -> Vec<Vec<u8>> {
            files(&samples)
                .into_iter()
                .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(pattern))
                .filter_map(|p| std::fs::read(p).ok())
                .map(|bytes| strip_origin(&bytes))
                .collect()
        };
        let mut seeds = match self {
            Target::SpecYaml11 => {
                let mut seeds = Target::Spec.seeds(repo);
                let mut generator = subset::Generator::new(16);
                seeds.extend((0..64).map(|_| generator.spec().into_bytes()));
                seeds
            }
            Target::Spec => {
                let mut specs = files(&repo.join("kopsflow/tests/spec-corpus"));
                specs.extend(files(&repo.join("cluster-spec")));
                specs
                    .into_iter()
                    .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
                    .filter_map(|p| std::fs::read(p).ok())
                    .collect()
            }
            Target::KopsGet => {
                let clusters = pick(&|n| n.starts_with("get-cluster-o-yaml"));
                let igs = pick(&|n| n.starts_with("get-instancegroups-o-yaml"));
                let mut out = Vec::new();
                for (c, i) in clusters.iter().zip(igs.iter().cycle()) {
                    let mut joined = c.clone();
                    joined.extend_from_slice(GET_SEPARATOR.as_bytes());
                    joined.extend_from_slice(i);
                    out.push(joined);
                }
                out.extend(pick(&|n| n.starts_with("create-cluster-dry-run-o-yaml")));
                out
            }
            Target::Update | Target::Normalize => pick(&|n| n.starts_with("update-cluster-dryrun")),
            Target::Rolling => pick(&|n| n.starts_with("rolling-update")),
            Target::Redact | Target::RedactMarkdown | Target::RedactMultiline | Target::Inject => {
                pick(&|n| n.contains("stderr") || n.starts_with("update-cluster"))
            }
        };
        if seeds.is_empty() {
            seeds.push(Vec::new());
        }
        seeds
    }
}

/// Runs a check, turning a panic into a failure that names its message.
fn guarded(check: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    match catch_unwind(AssertUnwindSafe(check)) {
        Ok(result) => result,
        Err(panic) => Err(format!(
            "panicked: {}",
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)")
        )),
    }
}

fn check_spec(text: &str) -> Result<(), String> {
    let file = Utf8Path::new("cluster-spec/test.k8s.example.com.yml");
    let loaded = match ClusterSpec::parse(file, text) {
        Ok(loaded) => loaded,
        Err(diagnostics) => {
            let _ = kopsflow::spec::render_diagnostics(&diagnostics);
            return Ok(());
        }
    };
    let emitted = loaded.spec.to_kops_yaml();
    let file = Utf8Path::new(loaded.spec.file.as_str());
    match ClusterSpec::parse(file, &emitted) {
        Ok(again) if again.spec == loaded.spec => Ok(()),
        Ok(_) => Err(format!(
            "emit → parse changed the spec; emitted:\n{emitted}"
        )),
        Err(d) => Err(format!(
            "the emitted spec does not load:\n{}\nemitted:\n{emitted}",
            kopsflow::spec::render_diagnostics(&d)
        )),
    }
}

fn check_redact(text: &str) -> Result<(), String> {
    let redactor = kopsflow::exec::Redactor::from_env([(
        "AWS_SECRET_ACCESS_KEY".to_owned(),
        SECRET.to_owned(),
    )]);
    // The secret goes where kops would print it: inside the line, at a place chosen by the input.
    let at = text
        .char_indices()
        .map(|(i, _)| i)
        .nth(text.len() % 7)
        .unwrap_or(text.len());
    let line = format!("{}{SECRET}{}", &text[..at], &text[at..]);
    for candidate in line.lines().chain([line.as_str()]) {
        let shown = redactor.redact(candidate);
        if shown.contains(SECRET) {
            return Err(format!("the secret survived redaction: {shown:?}"));
        }
    }
    let shown = redactor.redact_text(&line);
    if shown.contains(SECRET) {
        return Err(format!(
            "the secret survived redaction of the text: {shown:?}"
        ));
    }
    Ok(())
}

fn strip_origin(bytes: &[u8]) -> Vec<u8> {
    match bytes.strip_prefix(b"# origin:") {
        Some(_) => match bytes.iter().position(|&b| b == b'\n') {
            Some(end) => bytes[end + 1..].to_vec(),
            None => Vec::new(),
        },
        None => bytes.to_vec(),
    }
}

/// Regular files under `dir`, recursively, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Where findings are kept, per target: every input that ever failed stays a regression case.
pub fn regressions_dir(repo: &Path, target: Target) -> PathBuf {
    repo.join("fuzz/regressions").join(target.name())
}

/// The repository root (this crate sits in `fuzz/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_a_failure_with_its_message() {
        let result = guarded(|| panic!("boom at {}", 3));
        assert_eq!(result, Err("panicked: boom at 3".to_owned()));
        assert_eq!(
            guarded(|| Err("broken".to_owned())),
            Err("broken".to_owned())
        );
        assert_eq!(guarded(|| Ok(())), Ok(()));
    }

    #[test]
    fn origin_lines_are_stripped() {
        assert_eq!(strip_origin(b"# origin: kops\nbody\n"), b"body\n");
        assert_eq!(strip_origin(b"body"), b"body");
    }
}
