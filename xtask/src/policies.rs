//! This repository's policy: kopsflow's built-in rules (`kopsflow::policy::rules`) with their
//! settings, plus the team's own rules, written as plain functions. `validate` checks the rules
//! that need no production state; `plan` and `deploy` check all of them once production has been
//! read, and `deploy` stops a cluster with a blocking violation before any change unless
//! `--allow RULE` is given (the gate: `kopsflow-cli/src/policies.rs`).

use kopsflow::policy::{Findings, Input, Policy, Production, Rule, Settings};

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
