//! The policy gate: the repository's policy ([`crate::Repo::policy`]: kopsflow's built-in rules
//! with their settings, plus the team's own) checked where it applies. `validate` checks the
//! rules that need no production state; `plan` and `deploy` check all of them once production
//! has been read, and `deploy` stops a cluster with a blocking violation before any change
//! unless `--allow RULE` is given.

use kopsflow::policy::Gate;
use kopsflow::report::RunSummary;

use crate::output::Output;
use crate::render::Sources;
use crate::Repo;

/// The gate of a `plan` or `deploy` run: the policy with the rules it allows (each must exist).
pub fn gate(repo: &Repo, allowed: &[String]) -> anyhow::Result<Gate> {
    let policy = (repo.policy)();
    policy.check_allowed(allowed).map_err(anyhow::Error::msg)?;
    Ok(Gate {
        policy,
        allowed: allowed.to_vec(),
    })
}

/// `validate`: the rules that need no production state, over `specs`; every violation on stderr
/// (at its template or value for a rendered spec); an error when one blocks.
pub fn check_offline(
    repo: &Repo,
    output: &Output,
    sources: &Sources,
    specs: &[&kopsflow::spec::ClusterSpec],
    allowed: &[String],
) -> anyhow::Result<()> {
    let gate = gate(repo, allowed)?;
    let mut blocking = Vec::new();
    for spec in specs {
        for violation in gate.evaluate(spec, None) {
            let violation = sources.violation(violation);
            output.err(&violation.to_string());
            if violation.blocks() {
                blocking.push(format!("{} ({})", violation.rule, violation.cluster));
            }
        }
    }
    if blocking.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "{} blocking policy violation{}: {} (the rules that compare with production run in plan and deploy)",
        blocking.len(),
        if blocking.len() == 1 { "" } else { "s" },
        blocking.join(", ")
    )
}

/// Exit 1 after the summary when a violation blocks (`plan`; `deploy` has already stopped those
/// clusters, and failed).
pub fn blocked(summary: &RunSummary, command: &str) -> anyhow::Result<()> {
    let blocking: Vec<String> = summary
        .violations()
        .filter(|v| v.blocks())
        .map(|v| format!("{} ({})", v.rule, v.cluster))
        .collect();
    if blocking.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "{command}: {} blocking policy violation{}: {}; deploy stops these clusters before any change unless given --allow RULE after review",
        blocking.len(),
        if blocking.len() == 1 { "" } else { "s" },
        blocking.join(", ")
    )
}
