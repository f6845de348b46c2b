//! The deploy guards that read git (the others — main branch, clean work tree, valid specs —
//! are in `job.rs` and `specs.rs`): [`latest_commit`] refuses to deploy a commit that is not
//! its upstream's tip, and [`read_deployed`] reads each cluster's spec at the base of the
//! deployed range (the range the changed-cluster selection uses on a main branch), which the
//! Deploy stage's drift check compares production with. The messages and the choice of file
//! are pure ([`stale_message`], [`deployed_file`]) and unit-tested.

use anyhow::{bail, Context as _};
use camino::Utf8PathBuf;
use kopsflow::git::{Branch, FileChange, Range};
use kopsflow::pipeline::ClusterTarget;
use kopsflow::plan::{DeployedSpec, SpecAt};
use xshell::Shell;

use crate::config::Config;
use crate::flags::Selection;
use crate::select;
use crate::specs::SPEC_DIR;

/// How HEAD stands to its upstream's tip, when it is not that tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// HEAD is an ancestor of the tip: newer commits were pushed since.
    Behind,
    /// The tip is an ancestor of HEAD: HEAD has commits the upstream does not.
    Ahead,
    /// Neither.
    Diverged,
}

/// Refuses when the branch has an upstream and HEAD is not its tip: deploying an older commit
/// (or one not pushed) is how what was reviewed and what is applied diverge. Without an
/// upstream (a detached CI checkout) there is nothing to compare with. The upstream is as the
/// checkout last fetched it: kopsflow does not fetch.
pub fn latest_commit(sh: &Shell) -> anyhow::Result<()> {
    let Some(tip) = kopsflow::git::upstream_tip(sh)? else {
        return Ok(());
    };
    let head = kopsflow::git::head(sh)?.sha;
    if head == tip {
        return Ok(());
    }
    let upstream =
        kopsflow::git::upstream_name(sh)?.unwrap_or_else(|| "the branch's upstream".to_owned());
    let stale = match kopsflow::git::merge_base(sh, &head, &tip)? {
        Some(base) if base == head => Stale::Behind,
        Some(base) if base == tip => Stale::Ahead,
        _ => Stale::Diverged,
    };
    bail!("{}", stale_message(&head, &upstream, &tip, stale))
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// Why a deploy of `head` is refused when `upstream` is at `tip`.
pub fn stale_message(head: &str, upstream: &str, tip: &str, stale: Stale) -> String {
    let (head, tip) = (short(head), short(tip));
    let why = match stale {
        Stale::Behind => format!(
            "HEAD {head} is behind {upstream}, which is at {tip}: deploying an older commit would \
             undo what was reviewed and applied since"
        ),
        Stale::Ahead => format!(
            "HEAD {head} has commits that {upstream} (at {tip}) does not: only pushed, reviewed \
             commits are deployed"
        ),
        Stale::Diverged => format!(
            "HEAD {head} and {upstream} (at {tip}) have diverged: what would be applied is not \
             what was reviewed"
        ),
    };
    format!(
        "refusing to deploy: {why}. Deploy the latest commit of {upstream}: `git pull` (or push \
         yours through review first), or re-run the newest pipeline"
    )
}

/// Sets each cluster's [`ClusterTarget::deployed`]: its spec at the base of the deployed
/// range, the range the changed-cluster selection uses (whatever selected the clusters): the
/// last successful deploy's commit when `record` has a usable one, else the pushed range's base
/// (or HEAD's parent) as before — also when the record is unusable and every cluster deploys.
pub fn read_deployed(
    sh: &Shell,
    selection: &Selection,
    branch: &Branch,
    config: &Config,
    record: Option<&select::record::Record>,
    targets: &mut [ClusterTarget],
) -> anyhow::Result<()> {
    let (since, _) = select::deploy_since(selection, branch, config, record)?;
    let range = kopsflow::git::range(sh, &since)
        .context("cannot read the specs deployed before, which deploy compares production with")?;
    let changes = if range.root {
        Vec::new()
    } else {
        kopsflow::git::changed_files(sh, &range, SPEC_DIR)?
    };
    for target in targets {
        target.deployed = Some(if range.root {
            DeployedSpec {
                commit: None,
                file: target.spec_file.clone(),
                text: None,
                since: Vec::new(),
            }
        } else {
            let file = deployed_file(&changes, &target.spec_file);
            let text = kopsflow::git::show_file(sh, &range.from, file.as_str())?;
            DeployedSpec {
                commit: Some(range.from.clone()),
                file,
                text,
                since: committed_since(sh, &range, target.spec_file.as_str())?,
            }
        });
    }
    Ok(())
}

/// The most specs committed since the spec deployed before that the drift check reads per
/// cluster: a record far behind HEAD could name hundreds of commits. Fewer means a refusal at
/// worst (safe), never a deploy over drift.
const MAX_SPECS_SINCE: usize = 50;

/// The spec file at each commit of `range` that changed it (first-parent line, newest first,
/// HEAD left out): what a deploy since the range's base that failed after `kops replace` may
/// have left in production.
fn committed_since(sh: &Shell, range: &Range, file: &str) -> anyhow::Result<Vec<SpecAt>> {
    let commits = kopsflow::git::commits_changing(sh, range, file)?;
    let mut specs = Vec::new();
    for commit in commits.into_iter().take(MAX_SPECS_SINCE) {
        if let Some(text) = kopsflow::git::show_file(sh, &commit, file)? {
            specs.push(SpecAt { commit, text });
        }
    }
    Ok(specs)
}

/// Where a spec file was at the base of a range: the file it was renamed from, if the range
/// renamed one to it (e.g. `.yaml` to `.yml`), else the same path.
pub fn deployed_file(changes: &[FileChange], spec_file: &Utf8PathBuf) -> Utf8PathBuf {
    changes
        .iter()
        .find_map(|change| match change {
            FileChange::Renamed { from, to } if to == spec_file.as_str() => {
                Some(Utf8PathBuf::from(from))
            }
            _ => None,
        })
        .unwrap_or_else(|| spec_file.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d";
    const TIP: &str = "9f8e7d6c5b4a39281706f9e8d7c6b5a493827160";

    #[test]
    fn stale_messages_name_both_commits_and_the_fix() {
        for (stale, why) in [
            (Stale::Behind, "HEAD 1a2b3c4d5e6f is behind origin/main, which is at 9f8e7d6c5b4a: deploying an older commit would undo"),
            (Stale::Ahead, "HEAD 1a2b3c4d5e6f has commits that origin/main (at 9f8e7d6c5b4a) does not"),
            (Stale::Diverged, "HEAD 1a2b3c4d5e6f and origin/main (at 9f8e7d6c5b4a) have diverged"),
        ] {
            let message = stale_message(HEAD, "origin/main", TIP, stale);
            assert!(message.starts_with("refusing to deploy: "), "{message}");
            assert!(message.contains(why), "{stale:?}: {message}");
            assert!(
                message.contains("Deploy the latest commit of origin/main: `git pull`")
                    && message.contains("re-run the newest pipeline"),
                "{message}"
            );
        }
    }

    #[test]
    fn the_deployed_file_follows_a_rename() {
        let spec = Utf8PathBuf::from("cluster-spec/a.k8s.local.yml");
        let renamed = FileChange::Renamed {
            from: "cluster-spec/a.k8s.local.yaml".to_owned(),
            to: spec.to_string(),
        };
        let other = FileChange::Renamed {
            from: "cluster-spec/x.yml".to_owned(),
            to: "cluster-spec/y.yml".to_owned(),
        };
        let modified = FileChange::Modified(spec.to_string());
        assert_eq!(
            deployed_file(&[other.clone(), renamed], &spec),
            "cluster-spec/a.k8s.local.yaml"
        );
        assert_eq!(deployed_file(&[other, modified], &spec), spec);
        assert_eq!(deployed_file(&[], &spec), spec);
    }
}
