//! Per-cluster lock records: who holds a cluster's lock (pid, host, commit, command, since), the
//! lock file's text format and its parser, whether a holder is gone, and how messages describe
//! it. Pure: the file operations (atomic create, stale takeover, release) are in `exec::lock`.

use std::time::Duration;

use anyhow::{bail, Context as _};

use crate::duration::format_elapsed;
pub use crate::time::format_utc;

/// First line of every lock file: what it is and the format's version.
pub const FORMAT_LINE: &str = "kopsflow-lock 1";

/// The content of one lock file: one holding of one cluster's lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockRecord {
    /// Unique per holding: tells this holding from any other one by the same process (the stale
    /// takeover and the release compare it).
    pub token: String,
    pub pid: u32,
    /// When the process started (clock ticks since boot, `/proc/<pid>/stat`), when known: a pid
    /// reused by an unrelated process has another start time.
    pub started: Option<u64>,
    pub host: String,
    /// The git commit being applied (`unknown` when git could not tell).
    pub commit: String,
    /// The kopsflow command, e.g. `deploy` or `rolling-update`.
    pub command: String,
    /// When the lock was taken, in seconds since the Unix epoch.
    pub since: u64,
}

/// What is known about the holder's process on this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// No process has that pid.
    NoProcess,
    /// A process has that pid; its start time when known.
    Process { started: Option<u64> },
}

/// Whether a lock's holder still runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It runs (or may run: another host cannot be checked from here).
    Held,
    /// It is gone: the lock is stale and may be taken over. Says why.
    Gone(String),
}

impl LockRecord {
    /// The file's text: the format line, then one `key=value` per line.
    pub fn to_text(&self) -> String {
        let mut out = format!("{FORMAT_LINE}\n");
        let mut field = |key: &str, value: &str| {
            // One line per value: control characters (a newline in a host name) become spaces.
            let value: String = value
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            out.push_str(&format!("{key}={value}\n"));
        };
        field("token", &self.token);
        field("pid", &self.pid.to_string());
        if let Some(started) = self.started {
            field("started", &started.to_string());
        }
        field("host", &self.host);
        field("commit", &self.commit);
        field("command", &self.command);
        field("since", &self.since.to_string());
        out
    }

    /// Reads a lock file's text (unknown keys are ignored: a newer kopsflow may add some).
    pub fn parse(text: &str) -> anyhow::Result<LockRecord> {
        let mut lines = text.lines();
        if lines.next() != Some(FORMAT_LINE) {
            bail!("not a kopsflow lock file (its first line is not {FORMAT_LINE:?})");
        }
        let (mut token, mut pid, mut started, mut host) = (None, None, None, None);
        let (mut commit, mut command, mut since) = (None, None, None);
        for line in lines.filter(|l| !l.is_empty()) {
            let (key, value) = line
                .split_once('=')
                .with_context(|| format!("lock file line {line:?} is not key=value"))?;
            let number = |what: &str| {
                value
                    .parse::<u64>()
                    .with_context(|| format!("lock file: {what} {value:?} is not a number"))
            };
            match key {
                "token" => token = Some(value.to_owned()),
                "pid" => {
                    pid =
                        Some(u32::try_from(number("pid")?).context("lock file: pid out of range")?);
                }
                "started" => started = Some(number("started")?),
                "host" => host = Some(value.to_owned()),
                "commit" => commit = Some(value.to_owned()),
                "command" => command = Some(value.to_owned()),
                "since" => since = Some(number("since")?),
                _ => {}
            }
        }
        let missing = |what: &str| format!("lock file has no {what}");
        Ok(LockRecord {
            token: token.with_context(|| missing("token"))?,
            pid: pid.with_context(|| missing("pid"))?,
            started,
            host: host.with_context(|| missing("host"))?,
            commit: commit.unwrap_or_else(|| "unknown".to_owned()),
            command: command.unwrap_or_else(|| "unknown".to_owned()),
            since: since.with_context(|| missing("since"))?,
        })
    }

    /// `pid 4242 on host ci-7 (deploy of commit 1a2b3c4d), since 2026-05-01 10:00:00 UTC (3m20s
    /// ago)`; `now` in seconds since the Unix epoch.
    pub fn describe(&self, now: u64) -> String {
        let ago = Duration::from_secs(now.saturating_sub(self.since));
        format!(
            "pid {} on host {} ({} of commit {}), since {} ({} ago)",
            self.pid,
            self.host,
            self.command,
            self.commit,
            format_utc(self.since),
            format_elapsed(ago)
        )
    }

    /// Whether the holder still runs, from `this_host` and what was found about its pid there
    /// (`probe`; `None` when the record is from another host, where nothing can be checked).
    pub fn judge(&self, this_host: &str, probe: Option<Probe>) -> Verdict {
        if self.host != this_host {
            return Verdict::Held;
        }
        match probe {
            None => Verdict::Held,
            Some(Probe::NoProcess) => Verdict::Gone(format!("no process has pid {}", self.pid)),
            Some(Probe::Process { started }) => match (self.started, started) {
                (Some(recorded), Some(now)) if recorded != now => Verdict::Gone(format!(
                    "pid {} now belongs to another process (started at tick {now}, not {recorded})",
                    self.pid
                )),
                _ => Verdict::Held,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> LockRecord {
        LockRecord {
            token: "4242-ci-7-1".to_owned(),
            pid: 4242,
            started: Some(991),
            host: "ci-7".to_owned(),
            commit: "1a2b3c4d".to_owned(),
            command: "deploy".to_owned(),
            since: 1_777_629_600,
        }
    }

    #[test]
    fn round_trips_and_describes() -> anyhow::Result<()> {
        let r = record();
        let text = r.to_text();
        assert!(text.starts_with("kopsflow-lock 1\ntoken=4242-ci-7-1\npid=4242\n"));
        assert_eq!(LockRecord::parse(&text)?, r);
        assert_eq!(
            r.describe(r.since + 200),
            "pid 4242 on host ci-7 (deploy of commit 1a2b3c4d), since 2026-05-01 10:00:00 UTC (3m20s ago)"
        );
        let odd = LockRecord {
            host: "two\nlines".to_owned(),
            started: None,
            ..r
        };
        let back = LockRecord::parse(&format!("{}future=1\n", odd.to_text()))?;
        assert_eq!((back.host.as_str(), back.started), ("two lines", None));
        Ok(())
    }

    #[test]
    fn rejects_what_is_not_a_lock_record() {
        let message = |text: &str| format!("{:#}", LockRecord::parse(text).unwrap_err());
        assert!(message("").contains("not a kopsflow lock file"));
        assert!(message("kopsflow-lock 1\npid=x\n").contains("not a number"));
        assert!(message("kopsflow-lock 1\npid=1\nhost=h\nsince=1\n").contains("no token"));
        assert!(message("kopsflow-lock 1\nnonsense\n").contains("not key=value"));
    }

    #[test]
    fn a_holder_is_gone_only_when_this_host_says_so() {
        let r = record();
        assert_eq!(r.judge("other", Some(Probe::NoProcess)), Verdict::Held);
        assert_eq!(r.judge("ci-7", None), Verdict::Held);
        assert!(matches!(
            r.judge("ci-7", Some(Probe::NoProcess)),
            Verdict::Gone(why) if why.contains("no process has pid 4242")
        ));
        let alive = Probe::Process { started: Some(991) };
        assert_eq!(r.judge("ci-7", Some(alive)), Verdict::Held);
        let reused = Probe::Process { started: Some(5) };
        assert!(
            matches!(r.judge("ci-7", Some(reused)), Verdict::Gone(why) if why.contains("another process"))
        );
        let unknown = Probe::Process { started: None };
        assert_eq!(r.judge("ci-7", Some(unknown)), Verdict::Held);
    }
}
