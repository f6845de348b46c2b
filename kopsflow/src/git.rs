//! Git: the current branch (flag > CI environment > git) and the clean-tree check. Runs `git`
//! through the caller's `xshell::Shell`.

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

#[cfg(test)]
mod tests {
    use super::*;

    fn hermetic_repo() -> anyhow::Result<(tempfile::TempDir, Shell)> {
        let dir = tempfile::tempdir()?;
        let sh = Shell::new()?;
        sh.change_dir(dir.path());
        sh.set_var("HOME", dir.path());
        sh.set_var("GIT_CONFIG_NOSYSTEM", "1");
        for (k, v) in [
            ("GIT_AUTHOR_NAME", "Ada"),
            ("GIT_AUTHOR_EMAIL", "ada@example.com"),
            ("GIT_COMMITTER_NAME", "Ada"),
            ("GIT_COMMITTER_EMAIL", "ada@example.com"),
        ] {
            sh.set_var(k, v);
        }
        cmd!(sh, "git init -q -b main").run()?;
        sh.write_file("a.txt", "a\n")?;
        cmd!(sh, "git add a.txt").run()?;
        cmd!(sh, "git commit -q -m first").run()?;
        Ok((dir, sh))
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
        sh.write_file("b.txt", "b\n")?;
        assert!(!is_clean(&sh)?);
        Ok(())
    }
}
