//! Per-cluster locks on this machine: a run that changes production (`deploy`,
//! `rolling-update --yes`) holds `<dir>/<cluster>.lock` while it works on that cluster, so two
//! runs never change one cluster at once. The record inside says who holds it
//! ([`crate::lock::LockRecord`]).
//!
//! The protocol, every step atomic on a local filesystem:
//! - **take:** write the record to a private temp file, then `link(2)` it to `<cluster>.lock`.
//!   The link fails if the lock exists, and a reader never sees a half-written record.
//! - **wait:** while another live run holds it, poll until `timeout`, then fail naming the holder.
//! - **stale takeover:** a holder on this host whose pid is gone (or now belongs to another
//!   process, or is a zombie) is stale. Only the run that creates the marker
//!   `.<cluster>.reaped.<holder token>` (`O_CREAT|O_EXCL`) may remove that record, so there are
//!   never two takers of one stale lock; it removes the record with `remove_if_token` (rename
//!   away, check the token, put back anything else) and then takes the lock as usual. A taker
//!   that died holding a marker is itself judged by the record in the marker.
//! - **release:** on drop of the [`LockGuard`] (success, error, Ctrl-C/SIGTERM alike), the lock
//!   is removed only if it still holds this run's token.
//!
//! Holders on another host cannot be checked: the lock is then waited for and reported, never
//! taken over. Serialising runs across machines is the CI engine's job (`docs/GUARDS.md`, "Locks").

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};
use camino::{Utf8Path, Utf8PathBuf};

use crate::duration::format_elapsed;
use crate::lock::{LockRecord, Probe, Verdict};

/// How often a waiting run looks at the lock again.
const POLL: Duration = Duration::from_millis(100);

/// Markers and temp files older than this are leftovers of runs that died.
const LEFTOVER_AGE: Duration = Duration::from_secs(3600);

/// The per-cluster locks of one lock directory, and what their records say about this run.
#[derive(Debug, Clone)]
pub struct Locks {
    pub dir: Utf8PathBuf,
    /// How long to wait for a lock another live run holds.
    pub timeout: Duration,
    /// The git commit this run applies (shown to runs that wait).
    pub commit: String,
    /// The kopsflow command, e.g. `deploy`.
    pub command: String,
}

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct LockGuard {
    path: Utf8PathBuf,
    token: String,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = remove_if_token(&self.path, &self.token, &format!("released.{}", self.token));
    }
}

impl LockGuard {
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }
}

/// What a run knows about itself: written into its lock record.
struct Me {
    pid: u32,
    started: Option<u64>,
    host: String,
    token: String,
}

impl Me {
    fn new() -> Me {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let pid = std::process::id();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Me {
            pid,
            started: process_state(pid).map(|(_, started)| started),
            host: this_host(),
            token: format!(
                "{pid}-{nanos:x}-{}",
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ),
        }
    }
}

impl Locks {
    /// `<dir>/<cluster>.lock`.
    pub fn path(&self, cluster: &str) -> Utf8PathBuf {
        self.dir.join(format!("{cluster}.lock"))
    }

    /// Takes `cluster`'s lock: at once, after a stale holder is taken over, or after waiting up
    /// to [`Locks::timeout`] for a live one. Stops waiting when `cancel` is set.
    pub fn acquire(
        &self,
        cluster: &str,
        cancel: &AtomicBool,
        log: &dyn Fn(&str),
    ) -> anyhow::Result<LockGuard> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create the lock directory {}", self.dir))?;
        super::ignored_dir(&self.dir, "kopsflow lock files")?;
        remove_leftovers(&self.dir, cluster);
        let me = Me::new();
        let path = self.path(cluster);
        let tmp = self.dir.join(format!(".{cluster}.{}.tmp", me.token));
        let result = self.take(cluster, &path, &tmp, &me, cancel, log);
        let _ = std::fs::remove_file(&tmp);
        result
    }

    fn take(
        &self,
        cluster: &str,
        path: &Utf8Path,
        tmp: &Utf8Path,
        me: &Me,
        cancel: &AtomicBool,
        log: &dyn Fn(&str),
    ) -> anyhow::Result<LockGuard> {
        let start = Instant::now();
        let mut announced: Option<String> = None;
        loop {
            let record = LockRecord {
                token: me.token.clone(),
                pid: me.pid,
                started: me.started,
                host: me.host.clone(),
                commit: self.commit.clone(),
                command: self.command.clone(),
                since: unix_now(),
            };
            std::fs::write(tmp, record.to_text()).with_context(|| format!("cannot write {tmp}"))?;
            match std::fs::hard_link(tmp, path) {
                Ok(()) => {
                    return Ok(LockGuard {
                        path: path.to_owned(),
                        token: me.token.clone(),
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e).with_context(|| format!("cannot create {path}")),
            }
            let holder = match read_record(path) {
                Ok(Some(holder)) => Some(holder),
                Ok(None) => continue, // released meanwhile: try again at once
                Err(_) => None,
            };
            let described = match &holder {
                Some(h) => h.describe(unix_now()),
                None => format!("an unreadable lock file {path}"),
            };
            if let Some(holder) = &holder {
                if let Verdict::Gone(why) = holder.judge(&me.host, probe(holder)) {
                    if self.take_over(cluster, path, holder, me)? {
                        log(&format!(
                            "    stale lock on {cluster}: {described} no longer runs ({why}); taken over"
                        ));
                        continue;
                    }
                }
            }
            let key = holder
                .as_ref()
                .map_or_else(String::new, |h| h.token.clone());
            if announced.as_ref() != Some(&key) {
                log(&format!(
                    "    waiting up to {} for the lock on {cluster}, held by {described}",
                    format_elapsed(self.timeout)
                ));
                announced = Some(key);
            }
            if cancel.load(Ordering::SeqCst) {
                bail!("interrupted while waiting for the lock on {cluster}, held by {described}");
            }
            let waited = start.elapsed();
            if waited >= self.timeout {
                bail!(
                    "cluster {cluster} is locked by another run: {described}; gave up after {} (--lock-timeout). \
                     The lock file is {path}: remove it only if that run is gone",
                    format_elapsed(waited)
                );
            }
            std::thread::sleep(POLL.min(self.timeout - waited));
        }
    }

    /// Removes the stale record `stale` if this run wins its marker; true when it did.
    fn take_over(
        &self,
        cluster: &str,
        path: &Utf8Path,
        stale: &LockRecord,
        me: &Me,
    ) -> anyhow::Result<bool> {
        let marker = self.dir.join(format!(".{cluster}.reaped.{}", stale.token));
        let mine = LockRecord {
            token: me.token.clone(),
            pid: me.pid,
            started: me.started,
            host: me.host.clone(),
            commit: self.commit.clone(),
            command: format!("{} (taking over a stale lock)", self.command),
            since: unix_now(),
        };
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&marker);
        match created {
            Ok(mut file) => {
                file.write_all(mine.to_text().as_bytes())
                    .with_context(|| format!("cannot write {marker}"))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // Another run is taking it over. If that taker died on the way, free its marker
                // (checked by token like any record) so that the next round can try.
                if let Ok(Some(taker)) = read_record(&marker) {
                    if let Verdict::Gone(_) = taker.judge(&me.host, probe(&taker)) {
                        let _ = remove_if_token(&marker, &taker.token, &me.token);
                    }
                }
                return Ok(false);
            }
            Err(e) => return Err(e).with_context(|| format!("cannot create {marker}")),
        }
        // Only the marker's creator removes this record: it is still there unless a person
        // removed it, and remove_if_token puts back anything else.
        Ok(remove_if_token(path, &stale.token, &me.token)? == Removal::Removed)
    }
}

/// What [`remove_if_token`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Removal {
    Removed,
    /// The file held another record; it was put back.
    NotOurs,
    Missing,
}

/// Removes the record at `path` if it holds `token`: renames it to a private name first (atomic),
/// reads what it moved, and links anything else back.
fn remove_if_token(path: &Utf8Path, token: &str, private: &str) -> anyhow::Result<Removal> {
    let dir = path.parent().unwrap_or(Utf8Path::new("."));
    let name = path.file_name().unwrap_or("lock");
    let moved = dir.join(format!(".{name}.{private}.moved"));
    match std::fs::rename(path, &moved) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Removal::Missing),
        Err(e) => return Err(e).with_context(|| format!("cannot move {path}")),
    }
    let ours = matches!(read_record(&moved), Ok(Some(r)) if r.token == token);
    let put_back = if ours {
        Ok(())
    } else {
        std::fs::hard_link(&moved, path)
    };
    let _ = std::fs::remove_file(&moved);
    match put_back {
        Ok(()) if ours => Ok(Removal::Removed),
        Ok(()) => Ok(Removal::NotOurs),
        Err(e) => Err(e).with_context(|| {
            format!("{path} changed while it was checked, and cannot be put back")
        }),
    }
}

/// The record at `path`; `None` when there is no file.
fn read_record(path: &Utf8Path) -> anyhow::Result<Option<LockRecord>> {
    match std::fs::read_to_string(path) {
        Ok(text) => LockRecord::parse(&text)
            .map(Some)
            .with_context(|| format!("cannot read {path}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {path}")),
    }
}

/// What this host can tell about `holder`'s pid (`None` for another host's holder).
fn probe(holder: &LockRecord) -> Option<Probe> {
    if holder.host != this_host() {
        return None;
    }
    let Ok(pid) = i32::try_from(holder.pid) else {
        return Some(Probe::NoProcess);
    };
    if pid <= 0 {
        return Some(Probe::NoProcess);
    }
    let exists = !matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
        Err(nix::errno::Errno::ESRCH)
    );
    match process_state(holder.pid) {
        // A zombie has exited: only its parent has not reaped it yet.
        Some(('Z' | 'X', _)) => Some(Probe::NoProcess),
        Some((_, started)) if exists => Some(Probe::Process {
            started: Some(started),
        }),
        _ if exists => Some(Probe::Process { started: None }),
        _ => Some(Probe::NoProcess),
    }
}

/// State letter and start time (clock ticks since boot) of `pid`, from `/proc/<pid>/stat`.
fn process_state(pid: u32) -> Option<(char, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ppid …": comm may hold spaces and parentheses; fields resume after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // Field 22 of the whole line is starttime; `rest` starts at field 3.
    let started = fields.nth(22 - 4)?.parse().ok()?;
    Some((state, started))
}

/// This host's name, as lock records (and audit records of local runs) name it.
pub fn this_host() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Removes `cluster`'s markers and temp files left by runs that died long ago.
fn remove_leftovers(dir: &Utf8Path, cluster: &str) {
    let Ok(entries) = dir.read_dir_utf8() else {
        return;
    };
    let prefix = format!(".{cluster}.");
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > LEFTOVER_AGE);
        if old && entry.file_name().starts_with(&prefix) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier, Mutex};

    fn locks(dir: &Utf8Path, timeout: Duration) -> Locks {
        Locks {
            dir: dir.to_owned(),
            timeout,
            commit: "abc123".to_owned(),
            command: "deploy".to_owned(),
        }
    }

    fn tempdir() -> anyhow::Result<(tempfile::TempDir, Utf8PathBuf)> {
        let dir = tempfile::tempdir()?;
        let path = Utf8PathBuf::try_from(dir.path().join("locks"))?;
        Ok((dir, path))
    }

    fn no_log(_: &str) {}

    /// A pid that no process has: a child that has exited and been reaped.
    fn dead_pid() -> anyhow::Result<u32> {
        let mut child = std::process::Command::new("true").spawn()?;
        child.wait()?;
        Ok(child.id())
    }

    #[test]
    fn waits_then_names_the_holder_and_releases_on_drop() -> anyhow::Result<()> {
        let (_tmp, dir) = tempdir()?;
        let cancel = AtomicBool::new(false);
        let held = locks(&dir, Duration::ZERO).acquire("c1", &cancel, &no_log)?;
        let record = LockRecord::parse(&std::fs::read_to_string(held.path())?)?;
        assert_eq!(record.pid, std::process::id());
        assert_eq!(
            (record.commit.as_str(), record.command.as_str()),
            ("abc123", "deploy")
        );
        // Another cluster is free; the same cluster is not.
        drop(locks(&dir, Duration::ZERO).acquire("c2", &cancel, &no_log)?);
        let err = locks(&dir, Duration::from_millis(300))
            .acquire("c1", &cancel, &no_log)
            .unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        assert!(
            err.contains("since ") && err.contains("--lock-timeout"),
            "{err}"
        );
        let path = held.path().to_owned();
        drop(held);
        assert!(!path.exists());
        drop(locks(&dir, Duration::ZERO).acquire("c1", &cancel, &no_log)?);
        // Only the lock directory's own .gitignore is left.
        let left: Vec<String> = dir
            .read_dir_utf8()?
            .map(|e| Ok(e?.file_name().to_owned()))
            .collect::<anyhow::Result<_>>()?;
        assert_eq!(left, [".gitignore"]);
        Ok(())
    }

    #[test]
    fn a_waiting_run_stops_when_cancelled() -> anyhow::Result<()> {
        let (_tmp, dir) = tempdir()?;
        let _held = locks(&dir, Duration::ZERO).acquire("c", &AtomicBool::new(false), &no_log)?;
        let err = locks(&dir, Duration::from_secs(600))
            .acquire("c", &AtomicBool::new(true), &no_log)
            .unwrap_err();
        assert!(format!("{err:#}").contains("interrupted while waiting"));
        Ok(())
    }

    /// Many runs find the same stale lock at once: exactly one takes it.
    #[test]
    fn a_stale_lock_has_exactly_one_taker() -> anyhow::Result<()> {
        let (_tmp, dir) = tempdir()?;
        let stale = LockRecord {
            token: "dead".to_owned(),
            pid: dead_pid()?,
            started: None,
            host: this_host(),
            commit: "old".to_owned(),
            command: "deploy".to_owned(),
            since: 1,
        };
        for round in 0..20 {
            let cluster = format!("c{round}");
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join(format!("{cluster}.lock")), stale.to_text())?;
            let takers = 8;
            let barrier = Arc::new(Barrier::new(takers));
            let logs = Arc::new(Mutex::new(Vec::new()));
            let winners: Vec<_> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..takers)
                    .map(|_| {
                        let (barrier, logs, dir, cluster) = (&barrier, &logs, &dir, &cluster);
                        s.spawn(move || {
                            barrier.wait();
                            let log = |l: &str| logs.lock().expect("log").push(l.to_owned());
                            locks(dir, Duration::ZERO).acquire(
                                cluster,
                                &AtomicBool::new(false),
                                &log,
                            )
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .filter_map(|h| h.join().expect("taker").ok())
                    .collect()
            });
            assert_eq!(winners.len(), 1, "round {round}: {} takers", winners.len());
            let logs = logs.lock().expect("log");
            let takeovers = logs.iter().filter(|l| l.contains("stale lock")).count();
            assert_eq!(takeovers, 1, "round {round}: {logs:#?}");
            assert!(logs
                .iter()
                .any(|l| l.contains(&format!("pid {}", stale.pid))));
        }
        Ok(())
    }

    #[test]
    fn another_hosts_lock_is_never_taken_over() -> anyhow::Result<()> {
        let (_tmp, dir) = tempdir()?;
        std::fs::create_dir_all(&dir)?;
        let foreign = LockRecord {
            token: "far".to_owned(),
            pid: dead_pid()?,
            started: None,
            host: format!("not-{}", this_host()),
            commit: "c0ffee".to_owned(),
            command: "deploy".to_owned(),
            since: unix_now(),
        };
        std::fs::write(dir.join("c.lock"), foreign.to_text())?;
        let err = locks(&dir, Duration::from_millis(200))
            .acquire("c", &AtomicBool::new(false), &no_log)
            .unwrap_err();
        assert!(format!("{err:#}").contains(&format!("on host not-{}", this_host())));
        assert_eq!(read_record(&dir.join("c.lock"))?, Some(foreign));
        Ok(())
    }

    #[test]
    fn release_leaves_another_runs_lock_alone() -> anyhow::Result<()> {
        let (_tmp, dir) = tempdir()?;
        let held = locks(&dir, Duration::ZERO).acquire("c", &AtomicBool::new(false), &no_log)?;
        let other = LockRecord {
            token: "someone-else".to_owned(),
            ..LockRecord::parse(&std::fs::read_to_string(held.path())?)?
        };
        std::fs::write(held.path(), other.to_text())?;
        let path = held.path().to_owned();
        drop(held);
        assert_eq!(read_record(&path)?, Some(other));
        Ok(())
    }

    #[test]
    fn reads_this_process_from_proc() {
        let (state, started) = process_state(std::process::id()).expect("/proc/self/stat");
        assert!(matches!(state, 'R' | 'S'), "{state}");
        assert!(started > 0);
    }
}
