//! One kops process: spawned in its own process group, stdout and stderr streamed live (redacted)
//! and captured, a heartbeat while it runs, killed on timeout or interruption.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use camino::{Utf8Path, Utf8PathBuf};

use crate::duration::format_elapsed;
use crate::report::redact::Redactor;

/// How many trailing stderr lines an error message shows.
pub const STDERR_TAIL: usize = 12;

/// Where progress and streamed output go (the binary's stderr; a buffer in tests).
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// How the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Exited(i32),
    /// Killed by a signal it did not expect (not by us).
    Signalled,
    TimedOut(Duration),
    Interrupted,
}

impl std::fmt::Display for Ended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ended::Exited(0) => f.write_str("exit status 0"),
            Ended::Exited(2) => f.write_str("exit status 2 (kops crashed: a Go panic exits 2)"),
            Ended::Exited(code) => write!(f, "exit status {code}"),
            Ended::Signalled => f.write_str("killed by a signal"),
            Ended::TimedOut(limit) => write!(
                f,
                "timed out after {} (kops retries cloud errors for a long time; raise --timeout if it was just slow)",
                format_elapsed(*limit)
            ),
            Ended::Interrupted => f.write_str("interrupted (Ctrl-C / SIGTERM); kops was stopped"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProcessOutput {
    pub ended: Ended,
    pub stdout: String,
    /// The last lines of stderr, redacted.
    pub stderr_tail: Vec<String>,
    /// All of stderr, redacted (kops's klog lines and errors).
    pub stderr: String,
    pub elapsed: Duration,
}

impl ProcessOutput {
    pub fn success(&self) -> bool {
        self.ended == Ended::Exited(0)
    }
}

/// Runs processes with a timeout, interruption and live, redacted output.
#[derive(Clone)]
pub struct ProcessRunner {
    pub timeout: Duration,
    pub heartbeat: Duration,
    pub cancel: Arc<AtomicBool>,
    pub redactor: Redactor,
    pub log: Log,
}

impl std::fmt::Debug for ProcessRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessRunner")
            .field("timeout", &self.timeout)
            .field("heartbeat", &self.heartbeat)
            .finish_non_exhaustive()
    }
}

impl ProcessRunner {
    /// Runs `program args…` with `env` added to the inherited environment (never cleared).
    pub fn run(
        &self,
        program: &Utf8Path,
        args: &[String],
        env: &[(String, String)],
    ) -> anyhow::Result<ProcessOutput> {
        use std::os::unix::process::CommandExt as _;

        let start = Instant::now();
        let mut command = Command::new(program.as_std_path());
        command
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Own process group: Ctrl-C reaches us, and we stop kops and anything it started.
            .process_group(0);
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {program}"))?;
        let stdout = child.stdout.take().context("no stdout pipe")?;
        let stderr = child.stderr.take().context("no stderr pipe")?;

        let captured_stdout = Arc::new(Mutex::new(String::new()));
        let captured_stderr = Arc::new(Mutex::new(String::new()));
        let tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL)));
        let out_thread = self.pump(stdout, Arc::clone(&captured_stdout), None);
        let err_thread = self.pump(
            stderr,
            Arc::clone(&captured_stderr),
            Some(Arc::clone(&tail)),
        );

        let pgid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
        let mut next_heartbeat = self.heartbeat;
        let ended = loop {
            if let Some(status) = child.try_wait().context("waiting for kops")? {
                break match status.code() {
                    Some(code) => Ended::Exited(code),
                    None => Ended::Signalled,
                };
            }
            let elapsed = start.elapsed();
            let stop = if self.cancel.load(Ordering::SeqCst) {
                Some(Ended::Interrupted)
            } else if elapsed >= self.timeout {
                Some(Ended::TimedOut(self.timeout))
            } else {
                None
            };
            if let Some(ended) = stop {
                let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
                let _ = child.wait();
                break ended;
            }
            if elapsed >= next_heartbeat {
                (self.log)(&format!("  … still running ({})", format_elapsed(elapsed)));
                next_heartbeat += self.heartbeat;
            }
            thread::sleep(Duration::from_millis(50));
        };
        // Anything left in the group (a child kops started) must not keep the pipes open.
        let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
        let _ = out_thread.join();
        let _ = err_thread.join();
        let take = |m: &Arc<Mutex<String>>| m.lock().map(|s| s.clone()).unwrap_or_default();
        let stderr_tail = tail
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default();
        Ok(ProcessOutput {
            ended,
            stdout: take(&captured_stdout),
            stderr: take(&captured_stderr),
            stderr_tail,
            elapsed: start.elapsed(),
        })
    }

    /// Streams one pipe line by line to the log (redacted) and into `sink`.
    fn pump(
        &self,
        pipe: impl Read + Send + 'static,
        sink: Arc<Mutex<String>>,
        tail: Option<Arc<Mutex<VecDeque<String>>>>,
    ) -> thread::JoinHandle<()> {
        let log = Arc::clone(&self.log);
        let redactor = self.redactor.clone();
        let is_stderr = tail.is_some();
        thread::spawn(move || {
            let mut redacting = redactor.stream();
            let mut reader = BufReader::new(pipe);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let raw = String::from_utf8_lossy(&buf);
                let line = raw.trim_end_matches(['\n', '\r']);
                let shown = redacting.line(line);
                log(&format!("  {} {shown}", if is_stderr { "!" } else { "|" }));
                if let Ok(mut s) = sink.lock() {
                    // stdout is kept verbatim for parsing; stderr only as shown.
                    s.push_str(if is_stderr { &shown } else { &raw });
                    if is_stderr {
                        s.push('\n');
                    }
                }
                if let Some(tail) = &tail {
                    if let Ok(mut t) = tail.lock() {
                        if t.len() == STDERR_TAIL {
                            t.pop_front();
                        }
                        t.push_back(shown);
                    }
                }
            }
        })
    }
}

/// Finds the kops binary: `--kops PATH`, else `$KOPS`, else `kops` on `PATH`.
pub fn find_kops(
    flag: Option<&Utf8Path>,
    env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Utf8PathBuf> {
    if let Some(path) = flag {
        if !path.is_file() {
            bail!("--kops {path}: no such file");
        }
        return Ok(path.to_owned());
    }
    if let Some(path) = env("KOPS").filter(|p| !p.trim().is_empty()) {
        let path = Utf8PathBuf::from(path);
        if !path.is_file() {
            bail!("$KOPS is {path}, but there is no such file");
        }
        return Ok(path);
    }
    if let Some(dirs) = env("PATH") {
        for dir in dirs.split(':').filter(|d| !d.is_empty()) {
            let candidate = Utf8Path::new(dir).join("kops");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!("kops not found: pass --kops PATH, set $KOPS to the kops binary, or put kops on PATH")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runner(timeout: Duration) -> (ProcessRunner, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        let runner = ProcessRunner {
            timeout,
            heartbeat: Duration::from_millis(200),
            cancel: Arc::new(AtomicBool::new(false)),
            redactor: Redactor::from_env([(
                "AWS_SECRET_ACCESS_KEY".to_owned(),
                "wJalrXUtnFEMI".to_owned(),
            )]),
            log: Arc::new(move |line: &str| sink.lock().expect("log lock").push(line.to_owned())),
        };
        (runner, lines)
    }

    fn sh(script: &str) -> Vec<String> {
        vec!["-c".to_owned(), script.to_owned()]
    }

    #[test]
    fn captures_streams_and_redacts() -> anyhow::Result<()> {
        let (runner, log) = runner(Duration::from_secs(10));
        let out = runner.run(
            Utf8Path::new("/bin/sh"),
            &sh("echo out1; echo \"err $X wJalrXUtnFEMI\" >&2; echo '    token: abc' >&2; exit 3"),
            &[("X".to_owned(), "added".to_owned())],
        )?;
        assert_eq!(out.ended, Ended::Exited(3));
        assert_eq!(out.stdout, "out1\n");
        assert_eq!(out.stderr_tail, ["err added ***", "    token: ***"]);
        let log = log.lock().expect("lock").join("\n");
        assert!(
            log.contains("  | out1") && log.contains("  ! err added ***"),
            "{log}"
        );
        assert!(!log.contains("wJalrXUtnFEMI") && !log.contains("abc"));
        Ok(())
    }

    #[test]
    fn times_out_and_kills_the_whole_group() -> anyhow::Result<()> {
        let (runner, log) = runner(Duration::from_millis(700));
        let start = Instant::now();
        // The grandchild `sleep` keeps the pipes open unless the group is killed.
        let out = runner.run(
            Utf8Path::new("/bin/sh"),
            &sh("echo started; sleep 30; echo never"),
            &[],
        )?;
        assert_eq!(out.ended, Ended::TimedOut(Duration::from_millis(700)));
        assert!(start.elapsed() < Duration::from_secs(10));
        assert_eq!(out.stdout, "started\n");
        assert!(log
            .lock()
            .expect("lock")
            .iter()
            .any(|l| l.contains("still running")));
        Ok(())
    }

    #[test]
    fn interruption_stops_the_child() -> anyhow::Result<()> {
        let (runner, _log) = runner(Duration::from_secs(60));
        let cancel = Arc::clone(&runner.cancel);
        let t = thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            cancel.store(true, Ordering::SeqCst);
        });
        let out = runner.run(Utf8Path::new("/bin/sh"), &sh("sleep 30"), &[])?;
        t.join().expect("thread");
        assert_eq!(out.ended, Ended::Interrupted);
        Ok(())
    }

    #[test]
    fn missing_program_is_an_error() {
        let (runner, _log) = runner(Duration::from_secs(1));
        let err = runner
            .run(Utf8Path::new("/nonexistent/kops"), &[], &[])
            .unwrap_err();
        assert!(format!("{err:#}").contains("cannot start /nonexistent/kops"));
    }
}
