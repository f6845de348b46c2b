//! The record of the last successful deploy, which `deploy` on a main branch counts changes
//! from (`docs/ARCHITECTURE.md`, "Nothing pending is forgotten"): `--last-deployed REV`, else
//! `$KOPSFLOW_LAST_DEPLOYED` (set by the generated deploy jobs), else Jenkins'
//! `$GIT_PREVIOUS_SUCCESSFUL_COMMIT`. A record fails safe: set but empty, naming a commit this
//! clone does not have, or one that is not an ancestor of HEAD (a force-push rewrote history),
//! it selects every cluster. Unset, the pushed range is used as before. What the record says is
//! decided purely ([`given`], [`verdict`]); [`resolve`] asks git whether the commit is known and
//! an ancestor of HEAD.

use kopsflow::git::Since;
use xshell::Shell;

/// The variables holding the record, after `--last-deployed`, in order.
pub const LAST_DEPLOYED_ENV_VARS: &[&str] =
    &["KOPSFLOW_LAST_DEPLOYED", "GIT_PREVIOUS_SUCCESSFUL_COMMIT"];

/// What the record says before git is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Given {
    /// No flag, no variable: a local run, or an engine that keeps no record.
    Unset,
    /// Set to an empty value: no successful deploy on record (none yet, or the record expired
    /// or was deleted).
    Empty {
        /// The flag or variable that gave it.
        source: String,
    },
    /// A revision, as given.
    Rev {
        /// The revision.
        rev: String,
        /// The flag or variable that gave it.
        source: String,
    },
}

/// The record as the flag and environment give it: the flag first, then
/// [`LAST_DEPLOYED_ENV_VARS`] in order; the first one set decides, even when empty.
pub fn given(flag: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Given {
    let found = flag
        .map(|rev| (rev.to_owned(), "--last-deployed".to_owned()))
        .or_else(|| {
            LAST_DEPLOYED_ENV_VARS
                .iter()
                .find_map(|var| env(var).map(|value| (value, format!("${var}"))))
        });
    match found {
        None => Given::Unset,
        Some((value, source)) if value.trim().is_empty() => Given::Empty { source },
        Some((value, source)) => Given::Rev {
            rev: value.trim().to_owned(),
            source,
        },
    }
}

/// What git says about a given revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The clone has no such commit (or the value is no revision).
    Unknown,
    /// The commit, and whether it is an ancestor of HEAD (HEAD itself included).
    Commit {
        /// The full commit id.
        sha: String,
        /// Whether it is an ancestor of HEAD.
        ancestor: bool,
    },
}

/// How the deploy uses the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Count changes from the record: `RECORD..HEAD`, which contains the pushed range.
    Since(Since),
    /// No usable record: deploy every cluster; the reason says why (shown in `--print` and the
    /// summary).
    Unusable {
        /// Why, as `--print` and the summary say it.
        reason: String,
    },
}

/// The first words of every reason a record cannot be used.
pub const NO_RECORD: &str = "no record of the last successful deploy: deploying every cluster";

/// The decision for a given record and what git found (`None` for [`Given::Unset`]: the
/// caller keeps the pushed range). `shallow`: the clone is shallow, which can explain an
/// unknown commit.
pub fn verdict(given: &Given, found: Option<&Found>, shallow: bool) -> Option<Record> {
    let unusable = |why: String| {
        Some(Record::Unusable {
            reason: format!("{NO_RECORD} ({why})"),
        })
    };
    match (given, found) {
        (Given::Unset, _) => None,
        (Given::Empty { source }, _) => {
            unusable(format!("{source} is empty: no successful deploy on record"))
        }
        (
            Given::Rev { source, .. },
            Some(Found::Commit {
                sha,
                ancestor: true,
            }),
        ) => Some(Record::Since(Since::Before {
            sha: sha.clone(),
            source: source.clone(),
        })),
        (
            Given::Rev { rev, source },
            Some(Found::Commit {
                ancestor: false, ..
            }),
        ) => unusable(format!(
            "{source} is {rev}, not an ancestor of HEAD: history was rewritten"
        )),
        (Given::Rev { rev, source }, _) => unusable(format!(
            "{source} is {rev}, a commit this clone does not have{}",
            if shallow {
                "; this is a shallow clone: fetch the full history (`git fetch --unshallow`)"
            } else {
                ""
            }
        )),
    }
}

/// The record resolved against git: `None` when unset (the pushed range applies).
pub fn resolve(sh: &Shell, given: &Given) -> anyhow::Result<Option<Record>> {
    let found = match given {
        Given::Unset | Given::Empty { .. } => None,
        Given::Rev { rev, .. } => Some(find(sh, rev)?),
    };
    let shallow = matches!(found, Some(Found::Unknown)) && kopsflow::git::is_shallow(sh)?;
    Ok(verdict(given, found.as_ref(), shallow))
}

fn find(sh: &Shell, rev: &str) -> anyhow::Result<Found> {
    if rev.starts_with('-') {
        return Ok(Found::Unknown);
    }
    let Some(sha) = kopsflow::git::commit_of(sh, rev)? else {
        return Ok(Found::Unknown);
    };
    let head = kopsflow::git::head(sh)?.sha;
    let ancestor = kopsflow::git::merge_base(sh, &sha, &head)?.as_deref() == Some(sha.as_str());
    Ok(Found::Commit { sha, ancestor })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d";

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_flag_then_the_variables_in_order_and_set_but_empty_counts() {
        assert_eq!(given(None, env(&[])), Given::Unset);
        let jenkins = [("GIT_PREVIOUS_SUCCESSFUL_COMMIT", SHA)];
        assert_eq!(
            given(None, env(&jenkins)),
            Given::Rev {
                rev: SHA.to_owned(),
                source: "$GIT_PREVIOUS_SUCCESSFUL_COMMIT".to_owned()
            }
        );
        // Set but empty wins over a later variable: no record is a statement, not an absence.
        let both = [
            ("KOPSFLOW_LAST_DEPLOYED", " "),
            ("GIT_PREVIOUS_SUCCESSFUL_COMMIT", SHA),
        ];
        assert_eq!(
            given(None, env(&both)),
            Given::Empty {
                source: "$KOPSFLOW_LAST_DEPLOYED".to_owned()
            }
        );
        assert_eq!(
            given(Some("main~2"), env(&both)),
            Given::Rev {
                rev: "main~2".to_owned(),
                source: "--last-deployed".to_owned()
            }
        );
    }

    #[test]
    fn a_record_fails_safe() {
        let rev = |source: &str| Given::Rev {
            rev: SHA.to_owned(),
            source: source.to_owned(),
        };
        assert_eq!(verdict(&Given::Unset, None, false), None);
        let ok = Found::Commit {
            sha: SHA.to_owned(),
            ancestor: true,
        };
        assert_eq!(
            verdict(&rev("$KOPSFLOW_LAST_DEPLOYED"), Some(&ok), false),
            Some(Record::Since(Since::Before {
                sha: SHA.to_owned(),
                source: "$KOPSFLOW_LAST_DEPLOYED".to_owned()
            }))
        );
        let reason = |r: Option<Record>| match r {
            Some(Record::Unusable { reason }) => reason,
            other => panic!("usable: {other:?}"),
        };
        let empty = Given::Empty {
            source: "$KOPSFLOW_LAST_DEPLOYED".to_owned(),
        };
        assert_eq!(
            reason(verdict(&empty, None, false)),
            "no record of the last successful deploy: deploying every cluster \
             ($KOPSFLOW_LAST_DEPLOYED is empty: no successful deploy on record)"
        );
        let rewritten = Found::Commit {
            sha: SHA.to_owned(),
            ancestor: false,
        };
        let r = reason(verdict(&rev("--last-deployed"), Some(&rewritten), false));
        assert!(r.starts_with(NO_RECORD), "{r}");
        assert!(
            r.contains(&format!(
                "--last-deployed is {SHA}, not an ancestor of HEAD"
            )),
            "{r}"
        );
        let r = reason(verdict(&rev("$X"), Some(&Found::Unknown), false));
        assert!(r.contains("a commit this clone does not have)"), "{r}");
        let r = reason(verdict(&rev("$X"), Some(&Found::Unknown), true));
        assert!(r.contains("git fetch --unshallow"), "{r}");
    }
}
