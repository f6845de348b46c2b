//! Tidy rules over the repository's own sources, checked by an ordinary `cargo test`: the effect
//! boundary (`docs/ARCHITECTURE.md`, "The effect boundary"), file sizes, module docs, and that
//! every `docs/…` reference in the code names a file that exists.

use std::fs;
use std::path::{Path, PathBuf};

/// The pure core: no processes, no files, no environment (`exec`, `git` and xtask do those).
const CORE_MODULES: &[&str] = &[
    "kopsflow/src/spec",
    "kopsflow/src/kops.rs",
    "kopsflow/src/kops",
    "kopsflow/src/store.rs",
    "kopsflow/src/pipeline.rs",
    "kopsflow/src/plan.rs",
    "kopsflow/src/report",
    "kopsflow/src/duration.rs",
    "kopsflow/src/time.rs",
    "kopsflow/src/lock.rs",
    "kopsflow/src/json.rs",
    "kopsflow/src/json",
    "kopsflow/src/policy",
    "kopsflow/src/cost",
];

/// What the core must not use.
const EFFECTS: &[&str] = &["process", "fs", "env"];

const MAX_LINES: usize = 600;

/// Files allowed to name documents outside the repository: this file names what it looks for,
/// and the sample test compares the in-repo recordings with their upstream copy when one is
/// present beside the checkout (a clone elsewhere skips that comparison).
const FOREIGN_ALLOWED: &[&str] = &[
    "xtask-dev/src/tidy.rs",
    "kopsflow/tests/it/report_samples.rs",
];

/// Ways to show or write text that bypass the redacting sink (`kopsflow-cli/src/output.rs`).
const DIRECT_OUTPUT: &[&str] = &[
    "println!",
    "eprintln!",
    "print!(",
    "eprint!(",
    "dbg!(",
    "io::stdout",
    "io::stderr",
    "OpenOptions",
    "fs::write",
];

/// Files that may write directly: the sink itself, and developer commands that print only their
/// own measurements and findings (never kops output or the environment).
const DIRECT_OUTPUT_ALLOWED: &[&str] = &[
    "kopsflow-cli/src/output.rs",
    "xtask-dev/src/main.rs",
    "xtask-dev/src/bench.rs",
    "xtask-dev/src/fuzz.rs",
    "xtask-dev/src/tidy.rs",
];

/// Documents outside the repository that code must not cite, spelled in parts so that this file,
/// which names them, does not cite them itself.
const FOREIGN_DOCUMENTS: [&str; 3] = [
    concat!("..", "/shared"),
    concat!("DESIGN", " §"),
    concat!("DESIGN", ".md"),
];

/// The code that must print through the sink: the library crates and the repositories'
/// compositions (dev tools are allowed above, file by file).
const SOURCE_DIRS: &[&str] = &[
    "kopsflow/src",
    "kopsflow-cli/src",
    "xtask/src",
    "xtask-dev/src",
    "examples/minimal/xtask/src",
];

/// Every crate, tests included: the size and module-doc rules cover all their `.rs` files.
const CRATE_DIRS: &[&str] = &[
    "kopsflow",
    "kopsflow-cli",
    "xtask",
    "xtask-dev",
    "fuzz",
    "examples",
];

/// The code the `docs/…` reference rule reads (plus README.md).
const REFERENCE_DIRS: &[&str] = &[
    "kopsflow",
    "kopsflow-cli",
    "xtask",
    "xtask-dev",
    "examples",
    ".ci",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask-dev is inside the workspace")
        .to_owned()
}

fn files_under(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_owned());
        return;
    }
    let Ok(entries) = fs::read_dir(path) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for entry in entries {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Recorded kops output, snapshots and build output are data, not code.
        if matches!(
            name,
            "target" | "kops-samples" | "snapshots" | "spec-corpus"
        ) {
            continue;
        }
        files_under(&entry, out);
    }
}

fn rust_files(dirs: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in dirs {
        files_under(&root().join(dir), &mut out);
    }
    out.retain(|p| p.extension().is_some_and(|e| e == "rs"));
    out
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `(line, what)` for each use of an effectful std module or xshell: `std::fs`, `std::env::var`,
/// and grouped imports such as `use std::{fs, io}`.
fn effectful_uses(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        if code.contains("xshell") {
            found.push((n + 1, "xshell".to_owned()));
        }
        for effect in EFFECTS {
            if contains_path(code, &format!("std::{effect}")) {
                found.push((n + 1, format!("std::{effect}")));
            }
        }
        if let Some(group) = code.split("std::{").nth(1) {
            let group = group.split('}').next().unwrap_or("");
            for item in group.split(',') {
                let head = item.trim().split("::").next().unwrap_or("").trim();
                if EFFECTS.contains(&head) {
                    found.push((n + 1, format!("std::{head}")));
                }
            }
        }
    }
    found
}

/// `path` as a whole path segment: `std::fs` matches `std::fs::read` and `std::fs;`, not
/// `std::fsx`.
fn contains_path(code: &str, path: &str) -> bool {
    code.match_indices(path).any(|(i, _)| {
        let after = code[i + path.len()..].chars().next();
        !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// Every `docs/…` file named in `text`.
fn docs_references(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, _) in text.match_indices("docs/") {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '/')) {
            continue; // e.g. `kops/docs/…` in a URL is not ours
        }
        let name: String = text[i..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
            .collect();
        let name = name.trim_end_matches('.').to_owned();
        if name.len() > "docs/".len() {
            found.push(name);
        }
    }
    found
}

/// Documents a clone of this repository does not have.
fn foreign_references(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for bad in FOREIGN_DOCUMENTS {
            if line.contains(bad) {
                found.push((n + 1, bad.to_owned()));
            }
        }
        for (i, _) in line.match_indices("KOPS.md") {
            if !line[..i].ends_with("docs/") {
                found.push((n + 1, "KOPS.md without docs/".to_owned()));
            }
        }
    }
    found
}

#[test]
fn the_core_runs_nothing_and_reads_nothing() {
    let mut offences = Vec::new();
    let files = rust_files(CORE_MODULES);
    assert!(
        files.len() > 10,
        "core modules not found under {:?}",
        root()
    );
    for file in files {
        for (line, what) in effectful_uses(&read(&file)) {
            offences.push(format!("{}:{line}: uses {what}", relative(&file)));
        }
    }
    assert!(
        offences.is_empty(),
        "the pure core must not run processes, touch files or read the environment \
         (move the effect to exec, git or xtask; docs/ARCHITECTURE.md):\n{}",
        offences.join("\n")
    );
}

/// `(line, what)` for each way of writing output that is not the sink.
fn direct_outputs(text: &str, library: bool) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for what in DIRECT_OUTPUT {
            // The library writes files (the dry-run store) but never shows anything itself.
            let shows = !matches!(*what, "OpenOptions" | "fs::write");
            if code.contains(what) && (!library || shows) {
                found.push((n + 1, (*what).to_owned()));
            }
        }
    }
    found
}

#[test]
fn everything_shown_passes_the_redactor() {
    let mut offences = Vec::new();
    for file in rust_files(SOURCE_DIRS) {
        let name = relative(&file);
        if DIRECT_OUTPUT_ALLOWED.contains(&name.as_str()) {
            continue;
        }
        for (line, what) in direct_outputs(&read(&file), name.starts_with("kopsflow/")) {
            offences.push(format!("{name}:{line}: {what}"));
        }
    }
    assert!(
        offences.is_empty(),
        "output must leave through kopsflow-cli/src/output.rs (the redacting sink); the library logs          through the executor's Log:\n{}",
        offences.join("\n")
    );
}

/// A call of a report renderer that is not given a redacted copy of its report: renderers
/// escape and clip values, which hides a secret from the sink's own pass (`Output::rendered`).
fn unredacted_render(code: &str) -> bool {
    code.contains("report::render_") && !code.contains(".rendered(")
}

#[test]
fn reports_are_rendered_from_a_redacted_copy() {
    let mut offences = Vec::new();
    for file in rust_files(&[
        "kopsflow-cli/src",
        "xtask/src",
        "examples/minimal/xtask/src",
    ]) {
        let name = relative(&file);
        for (n, line) in read(&file).lines().enumerate() {
            if unredacted_render(line.split("//").next().unwrap_or("")) {
                offences.push(format!("{name}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "render reports through Output::rendered (kopsflow-cli/src/output.rs), which redacts each value \
         before the renderer escapes or clips it:\n{}",
        offences.join("\n")
    );
}

#[test]
fn source_files_stay_small_and_say_what_they_own() {
    let mut offences = Vec::new();
    for file in rust_files(CRATE_DIRS) {
        let text = read(&file);
        let lines = text.lines().count();
        if lines > MAX_LINES {
            offences.push(format!(
                "{}: {lines} lines (at most {MAX_LINES}: split it along a seam that names a concern)",
                relative(&file)
            ));
        }
        if !text.starts_with("//!") {
            offences.push(format!(
                "{}: does not open with a `//!` line saying what it owns",
                relative(&file)
            ));
        }
    }
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}

#[test]
fn docs_references_name_files_that_exist() {
    let mut offences = Vec::new();
    let mut checked = 0;
    let mut files = Vec::new();
    for dir in REFERENCE_DIRS {
        files_under(&root().join(dir), &mut files);
    }
    files.push(root().join("README.md"));
    files.retain(|p| {
        p.extension()
            .is_some_and(|e| e == "rs" || e == "md" || e == "sh" || e == "toml")
            || p.ends_with(".ci/run")
    });
    for file in files {
        let text = read(&file);
        for name in docs_references(&text) {
            checked += 1;
            if !root().join(&name).is_file() {
                offences.push(format!("{}: {name} does not exist", relative(&file)));
            }
        }
        if file.extension().is_some_and(|e| e == "rs")
            && !FOREIGN_ALLOWED.iter().any(|a| file.ends_with(a))
        {
            for (line, what) in foreign_references(&text) {
                offences.push(format!(
                    "{}:{line}: cites {what}: cite docs/KOPS.md or docs/ARCHITECTURE.md instead",
                    relative(&file)
                ));
            }
        }
    }
    assert!(checked > 5, "only {checked} docs/ references found");
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}

#[test]
fn the_rules_catch_what_they_are_for() {
    let uses = |text: &str| {
        effectful_uses(text)
            .into_iter()
            .map(|(_, w)| w)
            .collect::<Vec<_>>()
    };
    assert_eq!(uses("use std::fs;"), ["std::fs"]);
    assert_eq!(uses("let v = std::env::var(\"X\");"), ["std::env"]);
    assert_eq!(uses("use std::process::Command;"), ["std::process"]);
    assert_eq!(uses("use std::{fmt, fs::File, io};"), ["std::fs"]);
    assert_eq!(uses("use xshell::Shell;"), ["xshell"]);
    assert!(uses("use std::fmt; // not std::fs").is_empty());
    assert!(uses("use std::fsx;").is_empty());
    assert!(uses("let p = env!(\"CARGO_MANIFEST_DIR\");").is_empty());

    assert_eq!(
        docs_references("see `docs/KOPS.md` §2 and docs/ARCHITECTURE.md."),
        ["docs/KOPS.md", "docs/ARCHITECTURE.md"]
    );
    assert!(docs_references("https://github.com/kubernetes/kops/docs/state.md").is_empty());
    assert_eq!(direct_outputs("    println!(\"{x}\");", false).len(), 1);
    assert_eq!(direct_outputs("std::fs::write(p, s)?;", false).len(), 1);
    assert!(direct_outputs("std::fs::write(p, s)?;", true).is_empty());
    assert_eq!(direct_outputs("let _ = std::io::stderr();", true).len(), 1);
    assert!(direct_outputs("// println!(\"old\")", false).is_empty());
    assert!(unredacted_render(
        "output.out(&kopsflow::report::render_json(&s));"
    ));
    assert!(!unredacted_render(
        "output.rendered(&s, kopsflow::report::render_json)"
    ));
    assert_eq!(foreign_references(concat!("// DESIGN", " §3")).len(), 1);
    assert_eq!(foreign_references(concat!("// KOPS", ".md §2")).len(), 1);
    assert!(foreign_references("// docs/KOPS.md §2").is_empty());
}
