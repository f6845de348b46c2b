//! The files changed up to HEAD: from the merge-base with a base branch (a branch or pull
//! request), or over the pushed range of a main branch (else HEAD's parent; on a root commit,
//! from the empty tree). A commit that a shallow clone lacks is an error naming the fix, never
//! "nothing changed".

use std::fmt;

use anyhow::{anyhow, bail, Context as _};
use xshell::{cmd, Shell};

use super::{commit_of, git, try_git};

/// CI variables naming the target branch of a pull or merge request, in order of precedence:
/// GitHub Actions, Jenkins multibranch, GitLab CI.
pub const BASE_ENV_VARS: &[&str] = &[
    "GITHUB_BASE_REF",
    "CHANGE_TARGET",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
];

/// CI variables holding the commit a push started from, in order of precedence: GitHub Actions
/// (`github.event.before`, which the workflow exports), GitLab CI, the Jenkins git plugin.
pub const BEFORE_ENV_VARS: &[&str] = &[
    "GITHUB_EVENT_BEFORE",
    "CI_COMMIT_BEFORE_SHA",
    "GIT_PREVIOUS_SUCCESSFUL_COMMIT",
];

/// How to get the full history, for every error about a commit a shallow clone lacks.
const FETCH_HISTORY: &str = "fetch the full history: `git fetch --unshallow` \
     (GitHub Actions: `fetch-depth: 0` in actions/checkout)";

/// Where the changes up to HEAD are counted from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since {
    /// From the merge-base of `base` and HEAD (`base...HEAD`): a branch or a pull request.
    /// A branch name that does not exist locally is looked up as `origin/<base>`.
    MergeBase { base: String },
    /// From `sha` (`sha..HEAD`): the commit before a push to a main branch, named by `source`.
    Before { sha: String, source: String },
    /// From HEAD's first parent (`HEAD^..HEAD`); on a root commit, from the empty tree.
    Parent,
}

/// A resolved range: `from` is a commit (or the empty tree, for a root commit), `to` is HEAD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub from: String,
    pub to: String,
    /// How users would write it: `origin/main...HEAD`, `$GITHUB_EVENT_BEFORE..HEAD`, `HEAD^..HEAD`.
    pub label: String,
    /// HEAD is a root commit: every file is new.
    pub root: bool,
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.root {
            write!(f, "the root commit {}", short(&self.to))
        } else {
            let (from, to) = (short(&self.from), short(&self.to));
            write!(f, "{} ({from}..{to})", self.label)
        }
    }
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// One changed file, as `git diff --name-status -M` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    Added(String),
    Modified(String),
    Renamed { from: String, to: String },
    Deleted(String),
}

impl FileChange {
    /// Git's status letter: `A`, `M`, `R` or `D`.
    pub fn letter(&self) -> char {
        match self {
            FileChange::Added(_) => 'A',
            FileChange::Modified(_) => 'M',
            FileChange::Renamed { .. } => 'R',
            FileChange::Deleted(_) => 'D',
        }
    }

    /// The file's path after the change (before it, for a deletion).
    pub fn path(&self) -> &str {
        match self {
            FileChange::Added(p) | FileChange::Modified(p) | FileChange::Deleted(p) => p,
            FileChange::Renamed { to, .. } => to,
        }
    }
}

impl fmt::Display for FileChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileChange::Renamed { from, to } => write!(f, "R {from} -> {to}"),
            other => write!(f, "{} {}", other.letter(), other.path()),
        }
    }
}

/// Resolves `since` to a range ending at HEAD. A commit the range needs but the clone lacks is
/// an error that says how to fetch it; it never reads as "nothing changed".
pub fn range(sh: &Shell, since: &Since) -> anyhow::Result<Range> {
    let head = commit_of(sh, "HEAD")?.context("HEAD has no commit yet")?;
    match since {
        Since::MergeBase { base } => {
            let (name, base_sha) = resolve_base(sh, base)?;
            let from = merge_base(sh, &base_sha, &head)?.ok_or_else(|| {
                missing(
                    sh,
                    format!("{name} and HEAD have no merge-base in this clone"),
                )
            })?;
            Ok(Range {
                from,
                to: head,
                label: format!("{name}...HEAD"),
                root: false,
            })
        }
        Since::Before { sha, source } => {
            let from = commit_of(sh, sha)?.ok_or_else(|| {
                missing(
                    sh,
                    format!("{source} is {sha}, a commit this clone does not have"),
                )
            })?;
            Ok(Range {
                from,
                to: head,
                label: format!("{source}..HEAD"),
                root: false,
            })
        }
        Since::Parent => {
            // The raw commit names its parents even where a shallow clone cut them off.
            let raw = git(sh, &["cat-file", "commit", &head])?;
            let parent = raw
                .lines()
                .take_while(|l| !l.is_empty())
                .find_map(|l| l.strip_prefix("parent "));
            let Some(parent) = parent else {
                let empty = cmd!(sh, "git hash-object -t tree --stdin")
                    .quiet()
                    .stdin("")
                    .read()
                    .context("git hash-object failed")?;
                return Ok(Range {
                    from: empty,
                    to: head,
                    label: "HEAD".to_owned(),
                    root: true,
                });
            };
            let from = commit_of(sh, parent)?.ok_or_else(|| {
                missing(sh, format!("HEAD's parent {parent} is not in this clone"))
            })?;
            Ok(Range {
                from,
                to: head,
                label: "HEAD^..HEAD".to_owned(),
                root: false,
            })
        }
    }
}

/// The error for a commit the clone lacks, with the fix when the clone is shallow.
fn missing(sh: &Shell, what: String) -> anyhow::Error {
    match is_shallow(sh) {
        Ok(true) => anyhow!("{what}: this is a shallow clone; {FETCH_HISTORY}"),
        _ => anyhow!("{what}"),
    }
}

/// `base` as given when it names a commit, else `origin/<base>` (CI checkouts often have only
/// the remote-tracking branch); the name used and the commit.
fn resolve_base(sh: &Shell, base: &str) -> anyhow::Result<(String, String)> {
    if let Some(sha) = commit_of(sh, base)? {
        return Ok((base.to_owned(), sha));
    }
    let remote = format!("origin/{base}");
    if let Some(sha) = commit_of(sh, &format!("refs/remotes/{remote}"))? {
        return Ok((remote, sha));
    }
    Err(missing(
        sh,
        format!("the base {base:?} is neither a commit nor a branch here, and there is no {remote} (fetch it: `git fetch origin {base}`)"),
    ))
}

/// The best common ancestor of two commits, or `None` when they share no history here.
pub fn merge_base(sh: &Shell, a: &str, b: &str) -> anyhow::Result<Option<String>> {
    try_git(sh, &["merge-base", a, b])
}

/// Whether this is a shallow clone (history cut off at some depth).
pub fn is_shallow(sh: &Shell) -> anyhow::Result<bool> {
    Ok(git(sh, &["rev-parse", "--is-shallow-repository"])? == "true")
}

/// The files under `dir` changed in `range`, with renames detected (a rename out of or into
/// `dir` reads as a deletion or an addition). Paths are relative to the shell's directory.
pub fn changed_files(sh: &Shell, range: &Range, dir: &str) -> anyhow::Result<Vec<FileChange>> {
    // Plumbing: porcelain `git diff` follows user settings (diff.relative, colour, externals).
    let (from, to) = (range.from.as_str(), range.to.as_str());
    let out = cmd!(
        sh,
        "git diff-tree -r -M -z --relative --name-status {from} {to} -- {dir}"
    )
    .quiet()
    .output()
    .context("git diff-tree failed")?;
    parse_name_status(&String::from_utf8_lossy(&out.stdout))
}

/// The commits of `range` on its first-parent line (the commits a main branch deployed, merges
/// included) that changed `path`, newest first, without `range.to` itself.
pub fn commits_changing(sh: &Shell, range: &Range, path: &str) -> anyhow::Result<Vec<String>> {
    if range.root {
        return Ok(Vec::new());
    }
    let spec = format!("{}..{}", range.from, range.to);
    let out = git(sh, &["rev-list", "--first-parent", &spec, "--", path])?;
    Ok(out
        .lines()
        .filter(|sha| *sha != range.to)
        .map(str::to_owned)
        .collect())
}

/// `git diff --name-status -z` output: a status, then one path (two for renames and copies).
fn parse_name_status(out: &str) -> anyhow::Result<Vec<FileChange>> {
    let mut fields = out.split('\0').filter(|f| !f.is_empty());
    let mut changes = Vec::new();
    while let Some(status) = fields.next() {
        let mut path = || {
            fields
                .next()
                .map(str::to_owned)
                .with_context(|| format!("git diff: status {status} without a path"))
        };
        changes.push(match status.chars().next() {
            Some('A') => FileChange::Added(path()?),
            // A type change (file <-> symlink) is a modification of the path.
            Some('M' | 'T') => FileChange::Modified(path()?),
            Some('D') => FileChange::Deleted(path()?),
            Some('R') => FileChange::Renamed {
                from: path()?,
                to: path()?,
            },
            Some('C') => {
                path()?;
                FileChange::Added(path()?)
            }
            _ => bail!("git diff: unexpected status {status:?}"),
        });
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::tests::{clone, commit, hermetic_repo};
    use FileChange::{Added, Deleted, Modified, Renamed};

    fn s(text: &str) -> String {
        text.to_owned()
    }

    #[test]
    fn name_status_of_every_kind() -> anyhow::Result<()> {
        let out =
            "M\0a.yml\0R087\0b.yml\0c d.yml\0A\0e.yml\0D\0f.yml\0T\0g.yml\0C100\0h.yml\0i.yml\0";
        assert_eq!(
            parse_name_status(out)?,
            [
                Modified(s("a.yml")),
                Renamed {
                    from: s("b.yml"),
                    to: s("c d.yml")
                },
                Added(s("e.yml")),
                Deleted(s("f.yml")),
                Modified(s("g.yml")),
                Added(s("i.yml")),
            ]
        );
        assert!(parse_name_status("R100\0only-one\0").is_err());
        assert!(parse_name_status("X\0x\0").is_err());
        Ok(())
    }

    /// main: specs a, b, d. The branch modifies a, renames b to c, deletes d, adds e and edits
    /// a file outside cluster-spec/; main then moves on (f), which the branch must not see.
    fn branched_repo() -> anyhow::Result<(tempfile::TempDir, Shell)> {
        let (dir, sh) = hermetic_repo()?;
        for name in ["a", "b", "d"] {
            sh.write_file(
                format!("cluster-spec/{name}.yml"),
                format!("{name}\n1\n2\n3\n"),
            )?;
        }
        commit(&sh, "specs")?;
        cmd!(sh, "git checkout -q -b feature/x").run()?;
        sh.write_file("cluster-spec/a.yml", "a\n1\n2\n3\n4\n")?;
        cmd!(sh, "git mv cluster-spec/b.yml cluster-spec/c.yml").run()?;
        sh.remove_path("cluster-spec/d.yml")?;
        sh.write_file("cluster-spec/e.yml", "e\n")?;
        sh.write_file("README.md", "readme\n")?;
        commit(&sh, "feature")?;
        cmd!(sh, "git checkout -q main").run()?;
        sh.write_file("cluster-spec/f.yml", "f\n")?;
        commit(&sh, "main moves on")?;
        cmd!(sh, "git checkout -q feature/x").run()?;
        Ok((dir, sh))
    }

    fn feature_changes() -> Vec<FileChange> {
        vec![
            Modified(s("cluster-spec/a.yml")),
            Renamed {
                from: s("cluster-spec/b.yml"),
                to: s("cluster-spec/c.yml"),
            },
            Deleted(s("cluster-spec/d.yml")),
            Added(s("cluster-spec/e.yml")),
        ]
    }

    #[test]
    fn changes_since_the_merge_base() -> anyhow::Result<()> {
        let (_dir, sh) = branched_repo()?;
        let range = range(&sh, &Since::MergeBase { base: s("main") })?;
        assert_eq!(range.label, "main...HEAD");
        assert!(!range.root);
        assert_eq!(Some(&range.to), commit_of(&sh, "HEAD")?.as_ref());
        assert_eq!(Some(&range.from), commit_of(&sh, "main^")?.as_ref());
        assert_eq!(
            changed_files(&sh, &range, "cluster-spec")?,
            feature_changes()
        );
        // From a subdirectory, paths are relative to it (the workspace need not be the top).
        sh.change_dir("cluster-spec");
        let here = changed_files(&sh, &range, ".")?;
        assert_eq!(here[0], Modified(s("a.yml")));
        Ok(())
    }

    #[test]
    fn a_base_only_on_origin_is_found_there() -> anyhow::Result<()> {
        let (_dir, sh) = branched_repo()?;
        let (_clone_dir, ci) = clone(&sh, &["--branch", "feature/x"])?;
        // A CI checkout: the PR branch, and the base only as a remote-tracking branch.
        assert_eq!(commit_of(&ci, "main")?, None);
        let range = range(&ci, &Since::MergeBase { base: s("main") })?;
        assert_eq!(range.label, "origin/main...HEAD");
        assert_eq!(
            changed_files(&ci, &range, "cluster-spec")?,
            feature_changes()
        );
        let err = super::range(&ci, &Since::MergeBase { base: s("trunk") }).unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.contains("origin/trunk") && err.contains("git fetch origin trunk"),
            "{err}"
        );
        Ok(())
    }

    #[test]
    fn before_parent_and_root() -> anyhow::Result<()> {
        let (_dir, sh) = hermetic_repo()?;
        sh.write_file("cluster-spec/a.yml", "a\n")?;
        let second = commit(&sh, "a")?;
        let root = commit_of(&sh, "HEAD^")?.expect("root");
        sh.write_file("cluster-spec/b.yml", "b\n")?;
        commit(&sh, "b")?;
        sh.write_file("cluster-spec/a.yml", "a2\n")?;
        commit(&sh, "a2")?;
        let parent = range(&sh, &Since::Parent)?;
        assert_eq!(parent.label, "HEAD^..HEAD");
        let spec_changes = |r: &Range| changed_files(&sh, r, "cluster-spec");
        assert_eq!(spec_changes(&parent)?, [Modified(s("cluster-spec/a.yml"))]);
        let before = Since::Before {
            sha: second.clone(),
            source: s("$GITHUB_EVENT_BEFORE"),
        };
        let pushed = range(&sh, &before)?;
        assert_eq!(pushed.label, "$GITHUB_EVENT_BEFORE..HEAD");
        assert_eq!(pushed.from, second);
        assert_eq!(
            spec_changes(&pushed)?,
            [
                Modified(s("cluster-spec/a.yml")),
                Added(s("cluster-spec/b.yml"))
            ]
        );
        // The commits between that changed a spec, newest first, without HEAD.
        assert_eq!(
            commits_changing(&sh, &pushed, "cluster-spec/a.yml")?,
            Vec::<String>::new()
        );
        assert_eq!(
            commits_changing(&sh, &pushed, "cluster-spec/b.yml")?,
            [commit_of(&sh, "HEAD^")?.expect("b")]
        );
        let unknown = Since::Before {
            sha: s("0123456789abcdef0123456789abcdef01234567"),
            source: s("$CI_COMMIT_BEFORE_SHA"),
        };
        let err = format!("{:#}", range(&sh, &unknown).unwrap_err());
        assert!(err.contains("$CI_COMMIT_BEFORE_SHA is 0123456789"), "{err}");
        // The root commit: every file is new.
        cmd!(sh, "git checkout -q --orphan fresh").run()?;
        commit(&sh, "fresh start")?;
        let first = range(&sh, &Since::Parent)?;
        assert!(first.root);
        assert!(first.to_string().starts_with("the root commit "), "{first}");
        assert_eq!(
            spec_changes(&first)?,
            [
                Added(s("cluster-spec/a.yml")),
                Added(s("cluster-spec/b.yml"))
            ]
        );
        assert_ne!(first.from, root);
        Ok(())
    }

    #[test]
    fn a_shallow_clone_names_the_fix() -> anyhow::Result<()> {
        let (_dir, sh) = branched_repo()?;
        let before = commit_of(&sh, "HEAD^")?.expect("parent");
        assert!(!is_shallow(&sh)?);
        let (_clone_dir, ci) = clone(&sh, &["--depth", "1", "--no-single-branch"])?;
        assert!(is_shallow(&ci)?);
        let cases = [
            Since::MergeBase { base: s("main") },
            Since::Parent,
            Since::Before {
                sha: before,
                source: s("$GITHUB_EVENT_BEFORE"),
            },
        ];
        for since in cases {
            let err = format!("{:#}", range(&ci, &since).unwrap_err());
            assert!(
                err.contains("shallow clone")
                    && err.contains("git fetch --unshallow")
                    && err.contains("fetch-depth: 0"),
                "{since:?}: {err}"
            );
        }
        cmd!(ci, "git fetch -q --unshallow").run()?;
        let range = range(&ci, &Since::MergeBase { base: s("main") })?;
        assert_eq!(
            changed_files(&ci, &range, "cluster-spec")?,
            feature_changes()
        );
        Ok(())
    }
}
