//! Everything xtask shows or writes leaves through [`Output`]: stdout, stderr, the kops log and
//! the files it writes (`$GITHUB_STEP_SUMMARY`, the audit log, exported and rendered specs, the
//! generated CI files), each through the one redactor
//! (`kopsflow::report::redact::Redactor`). What it prints and appends is then neutralised for
//! terminals and CI logs (`kopsflow::report::neutralise`: control characters escaped, no line
//! starts a workflow command). A report is redacted string by string before it is rendered
//! ([`Output::rendered`]), so that no renderer's escaping or clipping hides a secret from the
//! redactor. A tidy rule keeps `println!` and friends out of the other modules, so unredacted
//! output cannot be written by accident.

use std::io::Write as _;
use std::sync::Arc;

use anyhow::Context as _;
use camino::Utf8Path;
use kopsflow::exec::process::Log;
use kopsflow::exec::Redactor;
use kopsflow::report::neutralise::neutralise;
use kopsflow::report::redact::Redactable;

/// The redacting output sink of one run.
#[derive(Debug, Clone)]
pub struct Output {
    redactor: Arc<Redactor>,
}

impl Output {
    /// Secrets are learnt from the environment kops will run with.
    pub fn from_env() -> Output {
        Output::new(Redactor::from_env(std::env::vars()))
    }

    /// A sink that redacts with `redactor`.
    pub fn new(redactor: Redactor) -> Output {
        Output {
            redactor: Arc::new(redactor),
        }
    }

    /// The redactor every line passes.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// `text` as it may be shown: redacted, then neutralised.
    fn shown(&self, text: &str) -> String {
        neutralise(&self.redactor.redact_text(text))
    }

    /// A text on stdout (a newline is added).
    pub fn out(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{}", self.shown(text));
    }

    /// A text on stderr (a newline is added).
    pub fn err(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{}", self.shown(text));
    }

    /// `report` (a run summary, the status report) rendered by `render` from a copy redacted
    /// string by string: each value is redacted as the raw text it is, before the renderer
    /// escapes or clips it. The text still goes through [`Output::out`] or [`Output::append`],
    /// which redact it once more.
    pub fn rendered<T: Redactable>(&self, report: &T, render: impl FnOnce(&T) -> String) -> String {
        render(&report.redacted(&self.redactor))
    }

    /// Whether stdout is a terminal (colours are only used there).
    pub fn stdout_is_terminal(&self) -> bool {
        use std::io::IsTerminal as _;
        std::io::stdout().is_terminal()
    }

    /// The executor's log: progress and kops's streamed lines, on stderr.
    pub fn log(&self) -> Log {
        let output = self.clone();
        Arc::new(move |line: &str| output.err(line))
    }

    /// Writes a whole file, creating its directory (generated CI files, exported and rendered
    /// specs). A file is never written redacted — that would break it silently: text that holds
    /// a secret (anything the redactor would hide) is refused instead. Nor is it neutralised:
    /// its bytes are its meaning (a generated workflow's own `::notice` lines among them).
    pub fn write(&self, path: &Utf8Path, text: &str) -> anyhow::Result<()> {
        if self.redactor.redact_text(text) != text {
            anyhow::bail!(
                "not writing {path}: it would hold a secret (a secret environment variable's value, a credential or a private key)"
            );
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {dir}"))?;
        }
        std::fs::write(path, text).with_context(|| format!("cannot write {path}"))
    }

    /// Appends a text (and a newline) to a file, creating the file and its directory, redacted
    /// and neutralised like stdout (the step summary is shown, the audit log read). The text
    /// is written with a single `write` on a file opened for appending, so that what runs
    /// appending to the same file at once write never mixes (audit lines, step summaries).
    pub fn append(&self, path: &Utf8Path, line: &str) -> anyhow::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {dir}"))?;
        }
        let mut text = self.shown(line);
        text.push('\n');
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {path}"))?;
        file.write_all(text.as_bytes())
            .with_context(|| format!("cannot write {path}"))
    }

    /// Creates `dir` with a `.gitignore` of `*` (kept if there is one), so that what kopsflow
    /// writes there never makes the work tree look dirty to a later run's clean-tree check.
    pub fn ignored_dir(&self, dir: &Utf8Path, what: &str) -> anyhow::Result<()> {
        kopsflow::exec::ignored_dir(dir, what)
    }
}
