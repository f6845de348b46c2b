//! kopsflow's own directories: the per-run scratch directory (prepared specs, dry-run stores),
//! created private and unique under the system temp dir and removed when dropped — on success,
//! error and interruption alike — and the git-ignored ones it keeps in the work tree (locks, the
//! audit log).

use std::os::unix::fs::DirBuilderExt as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use camino::{Utf8Path, Utf8PathBuf};

/// A directory that exists for as long as this value does.
#[derive(Debug)]
pub struct ScratchDir {
    path: Utf8PathBuf,
}

impl ScratchDir {
    /// A new, empty, owner-only (0700) directory `$TMPDIR/<prefix><unique>`.
    pub fn new(prefix: &str) -> anyhow::Result<ScratchDir> {
        let base = Utf8PathBuf::try_from(std::env::temp_dir())
            .context("the temp directory is not UTF-8")?;
        ScratchDir::new_in(&base, prefix)
    }

    pub fn new_in(base: &Utf8Path, prefix: &str) -> anyhow::Result<ScratchDir> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut last_error = None;
        for _ in 0..16 {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let unique = format!("{:x}{:05x}{n:x}", std::process::id(), nanos & 0xfffff);
            let path = base.join(format!("{prefix}{unique}"));
            // create (not create_all): an existing path is never reused.
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(ScratchDir { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
                Err(e) => return Err(e).with_context(|| format!("cannot create {path}")),
            }
        }
        Err(last_error.map_or_else(|| anyhow::anyhow!("no attempt made"), anyhow::Error::from))
            .with_context(|| format!("cannot create a unique directory in {base}"))
    }

    pub fn path(&self) -> &Utf8Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Creates `dir` with a `.gitignore` of `*` (kept if there is one), so that what kopsflow writes
/// there (locks, the audit log) never makes the work tree look dirty to a later run's clean-tree
/// check.
pub fn ignored_dir(dir: &Utf8Path, what: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {dir}"))?;
    let path = dir.join(".gitignore");
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(mut file) => file
            .write_all(format!("# {what}: never committed\n*\n").as_bytes())
            .with_context(|| format!("cannot write {path}")),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot create {path}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn unique_private_and_removed_on_drop() -> anyhow::Result<()> {
        let a = ScratchDir::new("kopsflow-test-")?;
        let b = ScratchDir::new("kopsflow-test-")?;
        assert_ne!(a.path(), b.path());
        let mode = std::fs::metadata(a.path())?.permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::write(a.path().join("f"), "x")?;
        std::fs::create_dir(a.path().join("sub"))?;
        let path = a.path().to_owned();
        drop(a);
        assert!(!path.exists());
        assert!(b.path().is_dir());
        Ok(())
    }
}
