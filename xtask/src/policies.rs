//! This repository's policy: kopsflow's built-in rules (`kopsflow::policy::rules`) with their
//! settings, plus the team's own rules, written as plain functions. `validate` checks the rules
//! that need no production state; `plan` and `deploy` check all of them once production has been
//! read, and `deploy` stops a cluster with a blocking violation before any change unless
//! `--allow RULE` is given.

use kopsflow::policy::{Findings, Gate, Input, Policy, Production, Rule, Settings};
use kopsflow::report::RunSummary;

use crate::output::Output;
use crate::render::Sources;

/// How a cluster is marked production: its `spec.cloudLabels.environment` is `production`
/// (the templates set it from the environment's tier; a hand-written spec sets it itself).
pub const PRODUCTION: Production = Production {
    label: "environment",
    value: "production",
};

/// The policy: definition first.
pub fn repo_policy() -> Policy {
    Policy::new(Settings {
        max_instance_group_size: 50,
        production: PRODUCTION,
    })
    .with(Rule::spec(
        "production-team-label",
        "cost reports and the on-call rota find a cluster's owners through the `team` tag kops puts on its cloud resources: a production cluster without one pages nobody",
        production_team_label,
    ))
}

/// A team rule: a production cluster names its team in `spec.cloudLabels.team`.
fn production_team_label(input: &Input<'_>, out: &mut Findings<'_>) {
    let labels = input
        .git
        .cluster
        .document
        .get_path(&["spec", "cloudLabels"]);
    if input.is_production() && labels.and_then(|l| l.get("team")).is_none() {
        out.at_cluster("spec.cloudLabels", "no `team` cloud label");
    }
}

/// The gate of a `plan` or `deploy` run: the policy with the rules it allows (each must exist).
pub fn gate(allowed: &[String]) -> anyhow::Result<Gate> {
    let policy = repo_policy();
    policy.check_allowed(allowed).map_err(anyhow::Error::msg)?;
    Ok(Gate {
        policy,
        allowed: allowed.to_vec(),
    })
}

/// `validate`: the rules that need no production state, over `specs`; every violation on stderr
/// (at its template or value for a rendered spec); an error when one blocks.
pub fn check_offline(
    output: &Output,
    sources: &Sources,
    specs: &[&kopsflow::spec::ClusterSpec],
    allowed: &[String],
) -> anyhow::Result<()> {
    let gate = gate(allowed)?;
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
