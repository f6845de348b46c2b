//! The audit record: one JSON line per cluster for every run that can change production
//! (`deploy`, `rolling-update`), saying who ran what, from which commit, which kops commands ran
//! and how they ended, what changed and how it went. The schema is documented in
//! `docs/AUDIT.md`; [`audit_line`] is its only definition.
//!
//! Pure: the caller reads the clock, git and the environment. Every string value passes the
//! redactor before it is serialised, so that a hidden secret never breaks the line's JSON.

use super::redact::{Redactor, HIDDEN};
use super::summary::ClusterSummary;
use crate::json::Json;
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

/// The record of one cluster, as one line of JSON (no newline): docs/AUDIT.md "record", the
/// one definition of its keys and their order. `now`: seconds since the Unix epoch. Every
/// string value is redacted before it is serialised.
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
        p.as_ref().map(|p| {
            Json::object()
                .with("name", r(&p.name))
                .with("email", r(&p.email))
        })
    };
    let (outcome_word, error, reason) = match outcome {
        AuditOutcome::Ok => ("ok", None, None),
        AuditOutcome::Failed(error) => ("failed", Some(r(error)), None),
        AuditOutcome::Skipped(reason) => ("skipped", None, Some(r(reason))),
    };
    let actor = Json::object()
        .with("ci", run.actor.ci)
        .with("url", ro(run.actor.url.as_deref()))
        .with("user", ro(run.actor.user.as_deref()));
    // docs/AUDIT.md "command".
    let commands = cluster.commands.iter().map(|c| {
        Json::object()
            .with("command", r(&c.command))
            .with("status", c.end.as_str())
            .with("exit_code", c.end.exit_code().map(i64::from))
            .with(
                "duration_ms",
                u64::try_from(c.duration.as_millis()).unwrap_or(u64::MAX),
            )
    });
    // docs/AUDIT.md "spec change" (the run summary's spec change, `kopsflow/src/report/JSON.md`).
    let spec_diff = cluster.spec_diff.as_ref().map(|d| {
        Json::array(d.changes.iter().map(|c| {
            let d = c.describe();
            Json::object()
                .with("change", d.change.word())
                .with("kind", d.kind.as_str())
                .with("object", r(d.object))
                .with("path", ro(d.path))
                .with("old", ro(d.old))
                .with("new", ro(d.new))
        }))
    });
    let kops_changes = cluster.update.as_ref().map(|u| {
        Json::object()
            .with("create", u.create_count())
            .with("modify", u.modify_count())
            .with("delete", u.delete_count())
    });
    let rolling_update = cluster.rolling_update.as_ref().map(|u| {
        Json::object()
            .with("update_required", u.update_required)
            .with(
                "groups_needing_update",
                Json::array(u.groups_needing_update().map(|g| r(&g.name))),
            )
    });
    Json::object()
        .with("schema_version", AUDIT_SCHEMA_VERSION)
        .with("time", rfc3339_utc(now))
        .with("started", rfc3339_utc(run.started))
        .with("cluster", r(&cluster.cluster))
        .with(
            "environment",
            ro(cluster.placement.as_ref().map(|p| p.environment.as_str())),
        )
        .with("wave", cluster.placement.as_ref().map(|p| p.wave))
        .with("subcommand", r(&run.subcommand))
        .with("branch", r(&run.branch))
        .with("commit", ro(run.commit.as_deref()))
        .with("author", person(&run.author))
        .with("committer", person(&run.committer))
        .with("actor", actor)
        .with("kops_version", ro(run.kops_version.as_deref()))
        .with("outcome", outcome_word)
        .with("error", error)
        .with("reason", reason)
        .with("commands", Json::array(commands))
        .with("new_cluster", cluster.new_cluster)
        .with("spec_diff", spec_diff)
        .with("kops_changes", kops_changes)
        .with(
            "instance_groups_to_delete",
            Json::array(cluster.instance_groups_to_delete.iter().map(|ig| r(ig))),
        )
        .with("rolling_update", rolling_update)
        .with("validated", cluster.validated)
        .with("overrides", Json::array(run.overrides.iter().map(|o| r(o))))
        .compact()
}

/// `text` redacted, in a form whose JSON string passes the redactor unchanged: the finished
/// line goes through the output sink, which redacts it again, and that must not break it. A
/// private-key header whose block does not end within the value would hide the rest of the
/// line there, so it loses its dashes; a value that still changes is hidden whole.
fn settle(redactor: &Redactor, text: &str) -> String {
    let settled = |value: &str| {
        let json = Json::from(value).compact();
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
