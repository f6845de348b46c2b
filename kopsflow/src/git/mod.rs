//! Git: the current branch (flag > CI environment > git), the clean-tree check, the commits and
//! files at a revision that deploy guards read, and (in `changes`) the files changed in a
//! range. Runs `git` through the caller's `xshell::Shell`; paths are relative to the shell's
//! current directory.

mod changes;

pub use changes::{
    changed_files, commits_changing, is_shallow, merge_base, range, FileChange, Range, Since,
    BASE_ENV_VARS, BEFORE_ENV_VARS,
};

use anyhow::{bail, Context as _};
use xshell::{cmd, Shell};

/// Where the branch name came from (shown in the plan header so users can tell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    pub name: String,
    pub source: String,
}

/// CI variables holding the branch, in order of precedence:
/// Jenkins multibranch, GitHub Actions (PR head, then ref name), GitLab CI.
pub const BRANCH_ENV_VARS: &[&str] = &[
    "BRANCH_NAME",
    "GITHUB_HEAD_REF",
    "GITHUB_REF_NAME",
    "CI_COMMIT_REF_NAME",
];

/// The branch being built: `flag` if given, else the first non-empty CI variable (looked up
/// with `env`), else `git rev-parse --abbrev-ref HEAD` in the shell's current directory.
pub fn current_branch(
    sh: &Shell,
    flag: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Branch> {
    if let Some(name) = flag {
        if name.trim().is_empty() {
            bail!("--branch is empty: pass a branch name such as --branch main");
        }
        return Ok(Branch {
            name: name.to_owned(),
            source: "--branch".to_owned(),
        });
    }
    for var in BRANCH_ENV_VARS {
        if let Some(value) = env(var).filter(|v| !v.trim().is_empty()) {
            return Ok(Branch {
                name: value,
                source: format!("${var}"),
            });
        }
    }
    let name = cmd!(sh, "git rev-parse --abbrev-ref HEAD")
        .quiet()
        .ignore_stderr()
        .read()
        .context("cannot tell the branch: not in a git repository? pass --branch NAME")?;
    if name == "HEAD" {
        bail!(
            "cannot tell the branch: HEAD is detached and none of {} is set; pass --branch NAME",
            BRANCH_ENV_VARS.join(", ")
        );
    }
    Ok(Branch {
        name,
        source: "git".to_owned(),
    })
}

/// Whether the work tree has no uncommitted changes to tracked or untracked, non-ignored files.
pub fn is_clean(sh: &Shell) -> anyhow::Result<bool> {
    let status = cmd!(sh, "git status --porcelain")
        .quiet()
        .read()
        .context("git status failed")?;
    Ok(status.trim().is_empty())
}

/// Whether `path` (a file or directory) has no uncommitted changes, untracked files included.
pub fn is_clean_at(sh: &Shell, path: &str) -> anyhow::Result<bool> {
    Ok(git(sh, &["status", "--porcelain", "--", path])?.is_empty())
}

/// The commit `rev` names, or `None` when it names none (or the clone lacks it).
pub fn commit_of(sh: &Shell, rev: &str) -> anyhow::Result<Option<String>> {
    if rev.starts_with('-') || rev.trim().is_empty() {
        bail!("{rev:?} is not a git revision");
    }
    let rev = format!("{rev}^{{commit}}");
    try_git(sh, &["rev-parse", "--verify", "--quiet", &rev])
}

/// The commit `@{upstream}` points at, when the current branch has an upstream configured.
pub fn upstream_tip(sh: &Shell) -> anyhow::Result<Option<String>> {
    try_git(
        sh,
        &["rev-parse", "--verify", "--quiet", "@{upstream}^{commit}"],
    )
}

/// The name of the current branch's upstream (`origin/main`), when it has one.
pub fn upstream_name(sh: &Shell) -> anyhow::Result<Option<String>> {
    try_git(
        sh,
        &[
            "rev-parse",
            "--abbrev-ref",
            "--symbolic-full-name",
            "@{upstream}",
        ],
    )
}

/// Who wrote or committed a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub email: String,
}

/// A commit and the people on it (as recorded; no mailmap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub sha: String,
    pub author: Identity,
    pub committer: Identity,
}

/// The commit checked out.
pub fn head(sh: &Shell) -> anyhow::Result<Commit> {
    let out = git(
        sh,
        &[
            "show",
            "-s",
            "--no-show-signature",
            "--format=%H%x00%an%x00%ae%x00%cn%x00%ce",
            "HEAD",
        ],
    )?;
    let fields: Vec<&str> = out.split('\0').collect();
    let [sha, an, ae, cn, ce] = fields[..] else {
        bail!("git show: unexpected output {out:?}");
    };
    let who = |name: &str, email: &str| Identity {
        name: name.to_owned(),
        email: email.to_owned(),
    };
    Ok(Commit {
        sha: sha.to_owned(),
        author: who(an, ae),
        committer: who(cn, ce),
    })
}

/// The text of `path` (relative to the shell's directory) at revision `rev`, or `None` when
/// the file is not there. An unknown revision is an error.
pub fn show_file(sh: &Shell, rev: &str, path: &str) -> anyhow::Result<Option<String>> {
    let commit = commit_of(sh, rev)?.with_context(|| format!("no commit {rev:?} here"))?;
    let object = format!("{commit}:./{path}");
    if try_git(sh, &["cat-file", "-t", &object])?.as_deref() != Some("blob") {
        return Ok(None);
    }
    let out = cmd!(sh, "git cat-file blob {object}")
        .quiet()
        .output()
        .with_context(|| format!("git cat-file {rev}:{path} failed"))?;
    String::from_utf8(out.stdout)
        .map(Some)
        .with_context(|| format!("{path} at {rev} is not UTF-8"))
}

/// `git ARGS` that must succeed: its stdout without the final newline; the error has stderr.
fn git(sh: &Shell, args: &[&str]) -> anyhow::Result<String> {
    let out = cmd!(sh, "git {args...}")
        .quiet()
        .ignore_status()
        .output()
        .with_context(|| format!("cannot run git {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}

/// `git ARGS` whose failure means "no": `None`, or its stdout (trimmed; `None` if empty).
fn try_git(sh: &Shell, args: &[&str]) -> anyhow::Result<Option<String>> {
    let out = cmd!(sh, "git {args...}")
        .quiet()
        .ignore_status()
        .output()
        .with_context(|| format!("cannot run git {}", args.join(" ")))?;
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Ok((out.status.success() && !stdout.is_empty()).then_some(stdout))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shell in `dir` with a hermetic git: HOME = `dir`, no system config, fixed identities.
    pub(super) fn hermetic_shell(dir: &std::path::Path) -> anyhow::Result<Shell> {
        let sh = Shell::new()?;
        sh.change_dir(dir);
        sh.set_var("HOME", dir);
        sh.set_var("GIT_CONFIG_NOSYSTEM", "1");
        for (k, v) in [
            ("GIT_AUTHOR_NAME", "Ada"),
            ("GIT_AUTHOR_EMAIL", "ada@example.com"),
            ("GIT_COMMITTER_NAME", "Ada"),
            ("GIT_COMMITTER_EMAIL", "ada@example.com"),
        ] {
            sh.set_var(k, v);
        }
        Ok(sh)
    }

    /// A repository on `main` with one commit (`a.txt`).
    pub(super) fn hermetic_repo() -> anyhow::Result<(tempfile::TempDir, Shell)> {
        let dir = tempfile::tempdir()?;
        let sh = hermetic_shell(dir.path())?;
        cmd!(sh, "git init -q -b main").run()?;
        sh.write_file("a.txt", "a\n")?;
        commit(&sh, "first")?;
        Ok((dir, sh))
    }

    /// Commits everything; the new HEAD.
    pub(super) fn commit(sh: &Shell, message: &str) -> anyhow::Result<String> {
        cmd!(sh, "git add -A").run()?;
        cmd!(sh, "git commit -q -m {message}").run()?;
        Ok(cmd!(sh, "git rev-parse HEAD").read()?)
    }

    /// `git clone ARGS file://<repo> <new dir>`: through a URL, so that `--depth` applies.
    pub(super) fn clone(sh: &Shell, args: &[&str]) -> anyhow::Result<(tempfile::TempDir, Shell)> {
        let dir = tempfile::tempdir()?;
        let url = format!("file://{}", sh.current_dir().display());
        let to = dir.path().join("clone");
        cmd!(sh, "git clone -q {args...} {url} {to}").run()?;
        let clone = hermetic_shell(&to)?;
        Ok((dir, clone))
    }

    #[test]
    fn branch_precedence() -> anyhow::Result<()> {
        let (_dir, sh) = hermetic_repo()?;
        let none = |_: &str| None;
        assert_eq!(current_branch(&sh, None, none)?.name, "main");
        cmd!(sh, "git checkout -q -b feature/x").run()?;
        assert_eq!(current_branch(&sh, None, none)?.name, "feature/x");
        let env = |k: &str| match k {
            "GITHUB_HEAD_REF" => Some(String::new()),
            "GITHUB_REF_NAME" => Some("pr-branch".to_owned()),
            "CI_COMMIT_REF_NAME" => Some("gitlab".to_owned()),
            _ => None,
        };
        let b = current_branch(&sh, None, env)?;
        assert_eq!(
            (b.name.as_str(), b.source.as_str()),
            ("pr-branch", "$GITHUB_REF_NAME")
        );
        assert_eq!(
            current_branch(&sh, Some("release/1"), env)?.name,
            "release/1"
        );
        assert!(current_branch(&sh, Some(" "), env).is_err());
        Ok(())
    }

    #[test]
    fn detached_head_is_an_error() -> anyhow::Result<()> {
        let (_dir, sh) = hermetic_repo()?;
        cmd!(sh, "git checkout -q --detach").run()?;
        let err = current_branch(&sh, None, |_| None).unwrap_err();
        assert!(format!("{err:#}").contains("--branch"), "{err:#}");
        Ok(())
    }

    #[test]
    fn clean_tree() -> anyhow::Result<()> {
        let (_dir, sh) = hermetic_repo()?;
        assert!(is_clean(&sh)?);
        sh.write_file("sub/b.txt", "b\n")?;
        assert!(!is_clean(&sh)?);
        assert!(!is_clean_at(&sh, "sub")?);
        assert!(is_clean_at(&sh, "a.txt")?);
        Ok(())
    }

    #[test]
    fn head_names_author_and_committer() -> anyhow::Result<()> {
        let (_dir, sh) = hermetic_repo()?;
        sh.write_file("b.txt", "b\n")?;
        sh.set_var("GIT_COMMITTER_NAME", "CI Bot");
        sh.set_var("GIT_COMMITTER_EMAIL", "ci@example.com");
        let sha = commit(&sh, "second")?;
        let head = head(&sh)?;
        assert_eq!(head.sha, sha);
        assert_eq!(
            (head.author.name.as_str(), head.author.email.as_str()),
            ("Ada", "ada@example.com")
        );
        assert_eq!(
            (head.committer.name.as_str(), head.committer.email.as_str()),
            ("CI Bot", "ci@example.com")
        );
        Ok(())
    }

    #[test]
    fn upstream_tip_only_with_an_upstream() -> anyhow::Result<()> {
        let (_dir, sh) = hermetic_repo()?;
        assert_eq!(upstream_tip(&sh)?, None, "no upstream configured");
        let first = commit_of(&sh, "HEAD")?;
        let (_clone_dir, clone) = clone(&sh, &[])?;
        assert_eq!(upstream_tip(&clone)?, first);
        assert_eq!(upstream_name(&clone)?.as_deref(), Some("origin/main"));
        assert_eq!(upstream_name(&sh)?, None);
        clone.write_file("b.txt", "b\n")?;
        commit(&clone, "local")?;
        assert_eq!(upstream_tip(&clone)?, first, "the upstream, not HEAD");
        cmd!(clone, "git checkout -q -b topic").run()?;
        assert_eq!(upstream_tip(&clone)?, None, "a new branch has none");
        Ok(())
    }

    #[test]
    fn show_file_at_a_revision() -> anyhow::Result<()> {
        let (_dir, sh) = hermetic_repo()?;
        let first = commit_of(&sh, "HEAD")?.expect("HEAD");
        sh.write_file("a.txt", "a2\n")?;
        sh.write_file("sub/cluster-spec/c.yml", "kind: Cluster\n")?;
        commit(&sh, "second")?;
        assert_eq!(show_file(&sh, &first, "a.txt")?.as_deref(), Some("a\n"));
        assert_eq!(show_file(&sh, "HEAD", "a.txt")?.as_deref(), Some("a2\n"));
        assert_eq!(show_file(&sh, &first, "sub/cluster-spec/c.yml")?, None);
        assert_eq!(show_file(&sh, "HEAD", "sub")?, None, "a directory");
        // Relative to the shell's directory, like the spec paths.
        sh.change_dir("sub");
        let spec = show_file(&sh, "HEAD", "cluster-spec/c.yml")?;
        assert_eq!(spec.as_deref(), Some("kind: Cluster\n"));
        assert!(show_file(&sh, "no-such-rev", "a.txt").is_err());
        assert!(commit_of(&sh, "--output=x").is_err(), "never an option");
        Ok(())
    }
}
