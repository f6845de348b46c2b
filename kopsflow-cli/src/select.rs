//! Which clusters `plan` and `deploy` act on, and why: `--cluster NAME`, `--all`, or by default
//! the clusters whose spec file changed: since the merge-base with the base branch (`--base`,
//! the CI's target branch, else the first main branch), or on a main branch over the pushed
//! range (else the last commit). A removed spec is reported and ignored: kopsflow never deletes
//! clusters. `deploy` on a main branch counts from the last successful deploy when the CI
//! records it, and selects every cluster when the record is unusable ([`record`]). The decision
//! is pure ([`since`], [`decide`], [`Decision`]'s texts); [`choose`] asks git for the changes,
//! and [`show`] shows the selection or says that nothing was selected.

pub mod record;
mod scope;

use std::fmt::Write as _;

use anyhow::{bail, Context as _};
use camino::Utf8Path;
use kopsflow::git::{Branch, FileChange, Since, BASE_ENV_VARS, BEFORE_ENV_VARS};
use kopsflow::report::RunSummary;
use kopsflow::spec::ClusterSpec;
use xshell::Shell;

use crate::config::Config;
use crate::env_var;
use crate::flags::{Format, Run, Selection};
use crate::output::Output;
use crate::specs::{Specs, SPEC_DIR};

/// How clusters were asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `--all`.
    All,
    /// `--cluster NAME…`.
    Named(Vec<String>),
    /// Every cluster, because `deploy` has no usable record of the last successful deploy
    /// (the reason, starting with [`record::NO_RECORD`]).
    Unrecorded(String),
    /// The default: the spec files changed in a range.
    Changed(Changes),
}

/// The changed files under `cluster-spec/`, and the range they were read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// The range as shown: `main...HEAD (1a2b3c4..9f8e7d6)`.
    pub range: String,
    /// Why this range: `base from $GITHUB_BASE_REF`, `'main' is a main branch: …`.
    pub why: String,
    /// The changed spec files.
    pub files: Vec<FileChange>,
}

/// Why a cluster was selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// `--all`.
    All,
    /// `--cluster NAME`.
    Named,
    /// Its spec file was added, modified, or renamed to it.
    Changed(FileChange),
}

/// A selected cluster and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    /// The cluster's name.
    pub name: String,
    /// Why it was selected.
    pub reason: Reason,
}

/// A spec file deleted or renamed away, whose cluster has no spec left: reported, never acted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// The cluster whose spec went away.
    pub cluster: String,
    /// The deletion or rename.
    pub change: FileChange,
}

/// The clusters selected, in spec-file order, with their reasons; and the removed specs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// How the clusters were chosen.
    pub rule: Rule,
    /// The selected clusters.
    pub clusters: Vec<Chosen>,
    /// Specs removed in the range: reported, never acted on.
    pub removed: Vec<Removed>,
    /// `cluster-spec/` has uncommitted changes, which a changed-selection does not see.
    pub uncommitted: bool,
    /// `--environment`: the environments asked for and the selected clusters left to others
    /// (`Decision::within`); `None` without the flag.
    pub scope: Option<scope::Scope>,
}

/// Where changes are counted from, and why (shown with the range): `--base REF`; else the CI's
/// pull-request target branch; else on a main branch the pushed range (`before..HEAD`; an
/// all-zero `before`, a new branch, is ignored) or HEAD's parent; else the first main branch.
pub fn since(
    base: Option<&str>,
    branch: &str,
    main_branches: &[String],
    env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<(Since, String)> {
    // The first of `vars` set to a non-blank value that `ok` accepts.
    let first_set = |vars: &[&'static str], ok: fn(&str) -> bool| {
        vars.iter().find_map(|var| {
            let value = env(var)?.trim().to_owned();
            (!value.is_empty() && ok(&value)).then_some((*var, value))
        })
    };
    if let Some(base) = base {
        if base.trim().is_empty() {
            bail!("--base is empty: pass a branch or commit such as --base main");
        }
        let since = Since::MergeBase {
            base: base.to_owned(),
        };
        return Ok((since, "base from --base".to_owned()));
    }
    if let Some((var, base)) = first_set(BASE_ENV_VARS, |_| true) {
        return Ok((Since::MergeBase { base }, format!("base from ${var}")));
    }
    if main_branches.iter().any(|b| b == branch) {
        // A new branch's push has an all-zero `before`: no range.
        let pushed = first_set(BEFORE_ENV_VARS, |sha| sha.chars().any(|c| c != '0'));
        return Ok(match pushed {
            Some((var, sha)) => (
                Since::Before {
                    sha,
                    source: format!("${var}"),
                },
                format!("'{branch}' is a main branch: the pushed range"),
            ),
            None => (
                Since::Parent,
                format!(
                    "'{branch}' is a main branch: its last commit (no pushed range in {})",
                    BEFORE_ENV_VARS
                        .iter()
                        .map(|v| format!("${v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        });
    }
    let Some(main) = main_branches.first() else {
        bail!("no main branch is configured to compare with: pass --base REF");
    };
    let since = Since::MergeBase { base: main.clone() };
    Ok((since, format!("base '{main}', the first main branch")))
}

/// The cluster a spec file holds: its file stem, for `cluster-spec/NAME.yml` or `.yaml`.
pub fn cluster_of(path: &str) -> Option<&str> {
    let file = path.strip_prefix(SPEC_DIR)?.strip_prefix('/')?;
    let stem = file
        .strip_suffix(".yml")
        .or_else(|| file.strip_suffix(".yaml"))?;
    (!stem.is_empty() && !stem.contains('/')).then_some(stem)
}

/// The selection `rule` makes among the `known` clusters (the specs in the work tree, in file
/// order). Named clusters must exist; a changed spec must still be in the work tree.
pub fn decide(rule: Rule, known: &[&str]) -> anyhow::Result<Decision> {
    let mut chosen: Vec<Chosen> = Vec::new();
    let mut removed = Vec::new();
    let mut choose = |name: &str, reason: Reason| {
        if !chosen.iter().any(|c| c.name == name) {
            chosen.push(Chosen {
                name: name.to_owned(),
                reason,
            });
        }
    };
    match &rule {
        Rule::All | Rule::Unrecorded(_) => {
            if known.is_empty() {
                bail!("no cluster specs in {SPEC_DIR}/: add {SPEC_DIR}/<cluster-name>.yml (kops get <cluster-name> -o yaml)");
            }
            known.iter().for_each(|name| choose(name, Reason::All));
        }
        Rule::Named(names) => {
            for name in names {
                if !known.contains(&name.as_str()) {
                    bail!(
                        "no cluster named {name:?} in {SPEC_DIR}/: known clusters are {}",
                        known.join(", ")
                    );
                }
                choose(name, Reason::Named);
            }
        }
        Rule::Changed(changes) => {
            for change in &changes.files {
                let gone = match change {
                    FileChange::Deleted(from) | FileChange::Renamed { from, .. } => {
                        cluster_of(from)
                    }
                    FileChange::Added(_) | FileChange::Modified(_) => None,
                };
                // A deleted or renamed-away spec whose cluster has no spec left (a `.yaml`
                // renamed to `.yml` keeps its cluster).
                if let Some(cluster) = gone.filter(|c| !known.contains(c)) {
                    removed.push(Removed {
                        cluster: cluster.to_owned(),
                        change: change.clone(),
                    });
                }
                if matches!(change, FileChange::Deleted(_)) {
                    continue;
                }
                let Some(cluster) = cluster_of(change.path()) else {
                    continue;
                };
                if !known.contains(&cluster) {
                    bail!(
                        "{} changed in {}, but it is not in the work tree: restore it, or commit its removal",
                        change.path(),
                        changes.range
                    );
                }
                choose(cluster, Reason::Changed(change.clone()));
            }
            chosen.sort_by_key(|c| known.iter().position(|k| *k == c.name));
        }
    }
    Ok(Decision {
        rule,
        clusters: chosen,
        removed,
        uncommitted: false,
        scope: None,
    })
}

impl Decision {
    /// The selected clusters' names, in order.
    pub fn names(&self) -> Vec<String> {
        self.clusters.iter().map(|c| c.name.clone()).collect()
    }

    /// Which clusters were selected and why, and the removed specs (what `--print` shows first).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let n = self.clusters.len();
        if n > 0 {
            let rule = match &self.rule {
                Rule::All => format!("--all (every spec in {SPEC_DIR}/)"),
                Rule::Unrecorded(reason) => reason.clone(),
                Rule::Named(_) => "--cluster".to_owned(),
                Rule::Changed(c) => format!("spec files changed in {}, {}", c.range, c.why),
            };
            let s = if n == 1 { "" } else { "s" };
            let of = self
                .scope
                .as_ref()
                .map(scope::Scope::of)
                .unwrap_or_default();
            let _ = writeln!(out, "Selected {n} cluster{s}{of}: {rule}");
        }
        for chosen in &self.clusters {
            let _ = match &chosen.reason {
                Reason::Changed(change) => writeln!(out, "  {}: {change}", chosen.name),
                Reason::All | Reason::Named => writeln!(out, "  {}", chosen.name),
            };
        }
        if let Some(scope) = &self.scope {
            out.push_str(&scope.render());
        }
        if !self.removed.is_empty() {
            let _ = writeln!(out, "Ignored:");
        }
        for r in &self.removed {
            let _ = writeln!(
                out,
                "  {}: spec removed; kopsflow never deletes clusters — run `kops delete cluster {}` deliberately",
                r.change, r.cluster
            );
        }
        if self.uncommitted {
            let _ = writeln!(
                out,
                "note: {SPEC_DIR}/ has uncommitted changes; they select no cluster (the selection compares commits): commit them, or pass --cluster NAME"
            );
        }
        out.trim_end().to_owned()
    }

    /// What the run's summary says about the selection (`RunSummary::note`): why every cluster
    /// was selected, when the record of the last successful deploy was unusable.
    pub fn note(&self) -> Option<String> {
        match &self.rule {
            Rule::Unrecorded(reason) => Some(reason.clone()),
            Rule::All | Rule::Named(_) | Rule::Changed(_) => None,
        }
    }

    /// The line saying that nothing was selected (`verb`: `plan`, `deploy`), or `None`.
    pub fn nothing(&self, verb: &str) -> Option<String> {
        if !self.clusters.is_empty() {
            return None;
        }
        if let Some(line) = self.scope.as_ref().and_then(|s| s.nothing(verb)) {
            return Some(line);
        }
        let Rule::Changed(changes) = &self.rule else {
            return None;
        };
        let what = if self.removed.is_empty() {
            "No cluster spec changed"
        } else {
            "No cluster spec was added, modified or renamed"
        };
        Some(format!(
            "{what} in {}, {}: nothing to {verb}. To {verb} anyway, pass --all or --cluster NAME.",
            changes.range, changes.why
        ))
    }
}

/// The selection for a job's flags on `branch` among the loaded specs: `--all`, `--cluster`,
/// else the clusters whose spec file changed (git is asked only then). `record`: a `deploy`'s
/// record of the last successful deploy ([`deploy_record`]; `None` for other jobs): usable, the
/// changes count from it; unusable, every cluster is selected.
pub fn choose(
    sh: &Shell,
    flags: &Selection,
    branch: &Branch,
    config: &Config,
    specs: &Specs,
    record: Option<&record::Record>,
) -> anyhow::Result<Decision> {
    let known: Vec<&str> = specs.specs.iter().map(ClusterSpec::name).collect();
    if flags.all {
        return decide(Rule::All, &known);
    }
    if !flags.clusters.is_empty() {
        return decide(Rule::Named(flags.clusters.clone()), &known);
    }
    if let Some(record::Record::Unusable { reason }) = record {
        return decide(Rule::Unrecorded(reason.clone()), &known);
    }
    let (since, why) = deploy_since(flags, branch, config, record)?;
    let range = kopsflow::git::range(sh, &since).context(
        "cannot tell which cluster specs changed (--all or --cluster NAME select clusters without git)",
    )?;
    let files = kopsflow::git::changed_files(sh, &range, SPEC_DIR)?;
    let range = range.to_string();
    let mut decision = decide(Rule::Changed(Changes { range, why, files }), &known)?;
    decision.uncommitted = !kopsflow::git::is_clean_at(sh, SPEC_DIR)?;
    Ok(decision)
}

/// Where a changed-selection counts from: the record of the last successful deploy when it is
/// usable (`RECORD..HEAD`), else [`since`]. The drift check reads the spec deployed before at
/// the start of the same range (`guards.rs`).
pub fn deploy_since(
    flags: &Selection,
    branch: &Branch,
    config: &Config,
    record: Option<&record::Record>,
) -> anyhow::Result<(Since, String)> {
    if let Some(record::Record::Since(since)) = record {
        let why = format!(
            "'{}' is a main branch: changes since the last successful deploy",
            branch.name
        );
        return Ok((since.clone(), why));
    }
    // An unusable record is no pushed range either (Jenkins' is in both lists).
    let env = |name: &str| {
        let hidden = record.is_some() && record::LAST_DEPLOYED_ENV_VARS.contains(&name);
        env_var(name).filter(|_| !hidden)
    };
    since(
        flags.base.as_deref(),
        &branch.name,
        &config.main_branches,
        env,
    )
}

/// The record of the last successful deploy that applies to this run: only `deploy`, only on a
/// main branch, only without `--base`; `None` otherwise or when there is none (unset).
pub fn deploy_record(
    sh: &Shell,
    flags: &Selection,
    branch: &Branch,
    config: &Config,
    last_deployed: Option<&str>,
) -> anyhow::Result<Option<record::Record>> {
    let main = config.main_branches.contains(&branch.name);
    if !main || flags.base.is_some() {
        return Ok(None);
    }
    record::resolve(sh, &record::given(last_deployed, env_var))
}

/// Shows the selection — on stdout with `--print`, else on stderr beside the plan — and whether
/// there is anything to do. When nothing was selected, says so and runs nothing: with `--print`
/// on stdout; in a run on stdout (with `--format json`, an empty summary there and the line on
/// stderr) and in `$GITHUB_STEP_SUMMARY` when it is set.
pub fn show(
    output: &Output,
    decision: &Decision,
    verb: &str,
    branch: &Branch,
    run: &Run,
) -> anyhow::Result<bool> {
    let shown = decision.render();
    let nothing = decision.nothing(verb);
    if !shown.is_empty() {
        // A blank line parts the selection from the plan that follows.
        let shown = if nothing.is_none() {
            format!("{shown}\n")
        } else {
            shown
        };
        if run.print {
            output.out(&shown);
        } else {
            output.err(&shown);
        }
    }
    let Some(line) = nothing else {
        return Ok(true);
    };
    if run.print {
        output.out(&line);
        output.out(&format!(
            "(branch from {}; --print ran nothing)",
            branch.source
        ));
        return Ok(false);
    }
    match run.format {
        Format::Text | Format::Markdown => output.out(&line),
        Format::Json => {
            output.err(&line);
            let summary = RunSummary {
                command: verb.to_owned(),
                branch: branch.name.clone(),
                // No kops was asked: nothing ran.
                kops: None,
                note: decision.note(),
                clusters: Vec::new(),
            };
            output.out(
                output
                    .rendered(&summary, kopsflow::report::render_json)
                    .trim_end(),
            );
        }
    }
    if let Some(path) = env_var("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        output
            .append(Utf8Path::new(&path), &line)
            .context("$GITHUB_STEP_SUMMARY")?;
    }
    Ok(false)
}

#[cfg(test)]
mod tests;
