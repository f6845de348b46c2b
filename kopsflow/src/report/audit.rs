//! The audit record: one JSON line per cluster for every run that can change production
//! (`deploy`, `rolling-update`), saying who ran what, from which commit, which kops commands ran
//! and how they ended, what changed and how it went. The schema is documented in
//! `docs/AUDIT.md`; the `Json*` view structs below are its only definition.
//!
//! Pure: the caller reads the clock, git and the environment. Every string value passes the
//! redactor before it is serialised, so that a hidden secret never breaks the line's JSON.

use serde::Serialize;

use super::redact::{Redactor, HIDDEN};
use super::summary::ClusterSummary;
use crate::time::rfc3339_utc;

/// Version of the audit record; bumped on incompatible changes (`docs/AUDIT.md`).
pub const AUDIT_SCHEMA_VERSION: u32 = 1;

/// Someone on a commit: its author or committer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
}

/// Who ran kopsflow: a CI job (its web page and the user who started it) or someone at a shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `github-actions`, `gitlab`, `jenkins` or `local`.
    pub ci: &'static str,
    /// The CI job's web page.
    pub url: Option<String>,
    /// The CI user (`GITHUB_ACTOR`, `GITLAB_USER_LOGIN`, `BUILD_USER_ID`), or `$USER@host`.
    pub user: Option<String>,
}

impl Actor {
    /// Who runs this process, from its environment (looked up with `env`) and the host name:
    /// GitHub Actions (`GITHUB_ACTIONS`/`GITHUB_RUN_ID`), GitLab CI (`GITLAB_CI`/`CI_JOB_URL`),
    /// Jenkins (`BUILD_URL`/`JENKINS_URL`), else `$USER@host` (`$LOGNAME` when `USER` is unset).
    pub fn from_env(env: impl Fn(&str) -> Option<String>, host: &str) -> Actor {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        if var("GITHUB_ACTIONS").is_some_and(|v| v == "true") || var("GITHUB_RUN_ID").is_some() {
            let server = var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
            let url = match (var("GITHUB_REPOSITORY"), var("GITHUB_RUN_ID")) {
                (Some(repo), Some(run)) => Some(format!(
                    "{}/{repo}/actions/runs/{run}",
                    server.trim_end_matches('/')
                )),
                _ => None,
            };
            return Actor {
                ci: "github-actions",
                url,
                user: var("GITHUB_ACTOR"),
            };
        }
        if var("GITLAB_CI").is_some() || var("CI_JOB_URL").is_some() {
            return Actor {
                ci: "gitlab",
                url: var("CI_JOB_URL"),
                user: var("GITLAB_USER_LOGIN"),
            };
        }
        if var("BUILD_URL").is_some() || var("JENKINS_URL").is_some() {
            return Actor {
                ci: "jenkins",
                url: var("BUILD_URL"),
                user: var("BUILD_USER_ID"),
            };
        }
        let user = var("USER").or_else(|| var("LOGNAME"));
        Actor {
            ci: "local",
            url: None,
            user: Some(format!("{}@{host}", user.as_deref().unwrap_or("unknown"))),
        }
    }
}

/// What every record of one run shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRun {
    /// `deploy` or `rolling-update`.
    pub subcommand: String,
    pub branch: String,
    /// The commit checked out (full sha), when git could tell.
    pub commit: Option<String>,
    pub author: Option<Person>,
    pub committer: Option<Person>,
    pub actor: Actor,
    /// The kops version the run resolved for, once known.
    pub kops_version: Option<String>,
    /// When the run started, in seconds since the Unix epoch.
    pub started: u64,
    /// Guards the run was told to override (e.g. `allow-drift`), in the order given.
    pub overrides: Vec<String>,
}

/// How one cluster's run went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditOutcome {
    Ok,
    /// It failed, with this error.
    Failed(String),
    /// Nothing was done, for this reason (a stage skipped on this branch, not run after an
    /// earlier failure or an interruption).
    Skipped(String),
}

/// docs/AUDIT.md "record".
#[derive(Serialize)]
struct JsonRecord {
    schema_version: u32,
    time: String,
    started: String,
    cluster: String,
    subcommand: String,
    branch: String,
    commit: Option<String>,
    author: Option<JsonPerson>,
    committer: Option<JsonPerson>,
    actor: JsonActor,
    kops_version: Option<String>,
    outcome: &'static str,
    error: Option<String>,
    reason: Option<String>,
    commands: Vec<JsonCommand>,
    new_cluster: bool,
    spec_diff: Option<Vec<JsonSpecChange>>,
    kops_changes: Option<JsonCounts>,
    instance_groups_to_delete: Vec<String>,
    rolling_update: Option<JsonRolling>,
    overrides: Vec<String>,
}

#[derive(Serialize)]
struct JsonPerson {
    name: String,
    email: String,
}

#[derive(Serialize)]
struct JsonActor {
    ci: &'static str,
    url: Option<String>,
    user: Option<String>,
}

/// docs/AUDIT.md "command".
#[derive(Serialize)]
struct JsonCommand {
    command: String,
    status: &'static str,
    exit_code: Option<i32>,
    duration_ms: u64,
}

/// docs/AUDIT.md "spec change" (the run summary's spec change, `kopsflow/src/report/JSON.md`).
#[derive(Serialize)]
struct JsonSpecChange {
    change: &'static str,
    kind: &'static str,
    object: String,
    path: Option<String>,
    old: Option<String>,
    new: Option<String>,
}

#[derive(Serialize)]
struct JsonCounts {
    create: usize,
    modify: usize,
    delete: usize,
}

#[derive(Serialize)]
struct JsonRolling {
    update_required: bool,
    groups_needing_update: Vec<String>,
}

/// The record of one cluster, as one line of JSON (no newline). `now`: seconds since the Unix
/// epoch. Every string value is redacted before it is serialised.
pub fn audit_line(
    run: &AuditRun,
    cluster: &ClusterSummary,
    outcome: &AuditOutcome,
    now: u64,
    redactor: &Redactor,
) -> String {
    let r = |text: &str| settle(redactor, text);
    let ro = |text: Option<&str>| text.map(|t| settle(redactor, t));
    let person = |p: &Option<Person>| {
        p.as_ref().map(|p| JsonPerson {
            name: r(&p.name),
            email: r(&p.email),
        })
    };
    let (outcome_word, error, reason) = match outcome {
        AuditOutcome::Ok => ("ok", None, None),
        AuditOutcome::Failed(error) => ("failed", Some(r(error)), None),
        AuditOutcome::Skipped(reason) => ("skipped", None, Some(r(reason))),
    };
    let record = JsonRecord {
        schema_version: AUDIT_SCHEMA_VERSION,
        time: rfc3339_utc(now),
        started: rfc3339_utc(run.started),
        cluster: r(&cluster.cluster),
        subcommand: r(&run.subcommand),
        branch: r(&run.branch),
        commit: ro(run.commit.as_deref()),
        author: person(&run.author),
        committer: person(&run.committer),
        actor: JsonActor {
            ci: run.actor.ci,
            url: ro(run.actor.url.as_deref()),
            user: ro(run.actor.user.as_deref()),
        },
        kops_version: ro(run.kops_version.as_deref()),
        outcome: outcome_word,
        error,
        reason,
        commands: cluster
            .commands
            .iter()
            .map(|c| JsonCommand {
                command: r(&c.command),
                status: c.end.as_str(),
                exit_code: c.end.exit_code(),
                duration_ms: u64::try_from(c.duration.as_millis()).unwrap_or(u64::MAX),
            })
            .collect(),
        new_cluster: cluster.new_cluster,
        spec_diff: cluster.spec_diff.as_ref().map(|d| {
            d.changes
                .iter()
                .map(|c| {
                    let d = c.describe();
                    JsonSpecChange {
                        change: d.change.word(),
                        kind: d.kind.as_str(),
                        object: r(d.object),
                        path: ro(d.path),
                        old: ro(d.old),
                        new: ro(d.new),
                    }
                })
                .collect()
        }),
        kops_changes: cluster.update.as_ref().map(|u| JsonCounts {
            create: u.create_count(),
            modify: u.modify_count(),
            delete: u.delete_count(),
        }),
        instance_groups_to_delete: cluster
            .instance_groups_to_delete
            .iter()
            .map(|ig| r(ig))
            .collect(),
        rolling_update: cluster.rolling_update.as_ref().map(|u| JsonRolling {
            update_required: u.update_required,
            groups_needing_update: u.groups_needing_update().map(|g| r(&g.name)).collect(),
        }),
        overrides: run.overrides.iter().map(|o| r(o)).collect(),
    };
    // Plain structs of strings, numbers and bools cannot fail to serialise; keep a valid line
    // naming the cluster rather than panicking if one ever does.
    serde_json::to_string(&record).unwrap_or_else(|e| {
        format!(
            "{{\"schema_version\":{AUDIT_SCHEMA_VERSION},\"cluster\":{:?},\"error\":{:?}}}",
            r(&cluster.cluster),
            e.to_string()
        )
    })
}

/// `text` redacted, in a form whose JSON string passes the redactor unchanged: the finished
/// line goes through the output sink, which redacts it again, and that must not break it. A
/// private-key header whose block does not end within the value would hide the rest of the
/// line there, so it loses its dashes; a value that still changes is hidden whole.
fn settle(redactor: &Redactor, text: &str) -> String {
    let settled = |value: &str| {
        let json = serde_json::to_string(value).unwrap_or_default();
        redactor.redact(&json) == json
    };
    let value = redactor.redact_text(text);
    if settled(&value) {
        return value;
    }
    let defused = value.replace("-----BEGIN ", "BEGIN ");
    if settled(&defused) {
        return defused;
    }
    HIDDEN.to_owned()
}

#[cfg(test)]
mod tests;
