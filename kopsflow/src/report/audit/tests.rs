//! Tests of the audit record: who ran it (per CI), every field of a record built from real kops
//! output, outcomes, and redaction that keeps the line valid JSON.

use std::time::Duration;

use super::*;
use crate::report::summary::{CommandEnd, CommandRun};
use crate::report::{parse_rolling_update, parse_update_dry_run};
use crate::spec::{ObjectKind, SpecChange, SpecDiff};

/// A sample's text without its origin line.
fn sample(text: &str) -> &str {
    text.split_once('\n').map_or("", |(_, rest)| rest)
}

fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[test]
fn actor_per_ci() {
    let github = Actor::from_env(
        env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SERVER_URL", "https://github.example.com/"),
            ("GITHUB_REPOSITORY", "ops/clusters"),
            ("GITHUB_RUN_ID", "4242"),
            ("GITHUB_ACTOR", "ada"),
            ("USER", "runner"),
        ]),
        "ci-7",
    );
    assert_eq!(
        github,
        Actor {
            ci: "github-actions",
            url: Some("https://github.example.com/ops/clusters/actions/runs/4242".into()),
            user: Some("ada".into()),
        }
    );
    let jenkins = Actor::from_env(
        env(&[
            ("BUILD_URL", "https://jenkins.example.com/job/kops/17/"),
            ("BUILD_USER_ID", "grace"),
        ]),
        "ci-7",
    );
    assert_eq!(
        (jenkins.ci, jenkins.url.as_deref(), jenkins.user.as_deref()),
        (
            "jenkins",
            Some("https://jenkins.example.com/job/kops/17/"),
            Some("grace")
        )
    );
    // A timer-started Jenkins build has no BUILD_USER_ID.
    let timer = Actor::from_env(env(&[("JENKINS_URL", "https://j/")]), "ci-7");
    assert_eq!((timer.ci, timer.url, timer.user), ("jenkins", None, None));
    let gitlab = Actor::from_env(
        env(&[
            ("GITLAB_CI", "true"),
            ("CI_JOB_URL", "https://gitlab.example.com/ops/-/jobs/9"),
            ("GITLAB_USER_LOGIN", "linus"),
        ]),
        "ci-7",
    );
    assert_eq!(
        (gitlab.ci, gitlab.url.as_deref(), gitlab.user.as_deref()),
        (
            "gitlab",
            Some("https://gitlab.example.com/ops/-/jobs/9"),
            Some("linus")
        )
    );
    let local = Actor::from_env(env(&[("USER", "ada"), ("GITHUB_ACTIONS", "")]), "laptop");
    assert_eq!(
        (local.ci, local.url, local.user.as_deref()),
        ("local", None, Some("ada@laptop"))
    );
    let nobody = Actor::from_env(env(&[("LOGNAME", "root")]), "box");
    assert_eq!(nobody.user.as_deref(), Some("root@box"));
}

fn run() -> AuditRun {
    AuditRun {
        subcommand: "deploy".into(),
        branch: "main".into(),
        commit: Some("1a2b3c4d5e6f".into()),
        author: Some(Person {
            name: "Ada".into(),
            email: "ada@example.com".into(),
        }),
        committer: Some(Person {
            name: "Grace".into(),
            email: "grace@example.com".into(),
        }),
        actor: Actor {
            ci: "github-actions",
            url: Some("https://github.com/ops/clusters/actions/runs/1".into()),
            user: Some("ada".into()),
        },
        kops_version: Some("1.29.2".into()),
        started: 1_777_629_600,
        overrides: Vec::new(),
    }
}

/// A cluster summary from real kops output: the modify-ig dry-run (nodes minSize/maxSize 1→3,
/// machineType t3.medium→t3.large, hence the spec diff) and the NeedsUpdate table.
fn cluster() -> ClusterSummary {
    ClusterSummary {
        cluster: "demo1.k8s.local".into(),
        spec_diff: Some(SpecDiff {
            changes: vec![
                SpecChange::Modified {
                    kind: ObjectKind::InstanceGroup,
                    object: "nodes-us-east-1a".into(),
                    path: "spec.maxSize".into(),
                    old: Some("1".into()),
                    new: Some("3".into()),
                },
                SpecChange::Removed {
                    kind: ObjectKind::InstanceGroup,
                    object: "old".into(),
                },
            ],
        }),
        update: Some(
            parse_update_dry_run(sample(include_str!(
                "../../../tests/kops-samples/update-cluster-dryrun.modify-ig.REAL.kops-1.29.2.stdout.txt"
            )))
            .expect("real sample parses"),
        ),
        instance_groups_to_delete: vec!["old".into()],
        rolling_update: Some(
            parse_rolling_update(sample(include_str!(
                "../../../tests/kops-samples/rolling-update-table.needsupdate.cloudonly.REAL.kops-1.29.2.stdout.txt"
            )))
            .expect("real sample parses"),
        ),
        commands: vec![
            CommandRun {
                command: "kops get cluster demo1.k8s.local -o yaml --state s3://k8s-kops".into(),
                end: CommandEnd::Exited(0),
                duration: Duration::from_millis(1234),
            },
            CommandRun {
                command: "kops update cluster demo1.k8s.local --state s3://k8s-kops --yes".into(),
                end: CommandEnd::TimedOut,
                duration: Duration::from_secs(1800),
            },
        ],
        ..ClusterSummary::default()
    }
}

fn parse(line: &str) -> serde_json::Value {
    assert!(!line.contains('\n'), "one line: {line}");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

#[test]
fn a_record_has_every_field() {
    let line = audit_line(
        &run(),
        &cluster(),
        &AuditOutcome::Ok,
        1_777_629_725,
        &Redactor::default(),
    );
    let v = parse(&line);
    assert!(line.starts_with(r#"{"schema_version":1,"time":"2026-05-01T10:02:05Z""#));
    assert_eq!(v["started"], "2026-05-01T10:00:00Z");
    assert_eq!(v["cluster"], "demo1.k8s.local");
    assert_eq!(v["subcommand"], "deploy");
    assert_eq!(v["branch"], "main");
    assert_eq!(v["commit"], "1a2b3c4d5e6f");
    assert_eq!(v["author"]["email"], "ada@example.com");
    assert_eq!(v["committer"]["name"], "Grace");
    assert_eq!(v["actor"]["ci"], "github-actions");
    assert_eq!(v["actor"]["user"], "ada");
    assert_eq!(v["kops_version"], "1.29.2");
    assert_eq!(v["outcome"], "ok");
    assert!(v["error"].is_null() && v["reason"].is_null());
    let commands = v["commands"].as_array().expect("commands");
    assert_eq!(commands.len(), 2);
    assert_eq!(commands[0]["status"], "exited");
    assert_eq!(commands[0]["exit_code"], 0);
    assert_eq!(commands[0]["duration_ms"], 1234);
    assert_eq!(commands[1]["status"], "timed_out");
    assert!(commands[1]["exit_code"].is_null());
    assert_eq!(v["new_cluster"], false);
    assert_eq!(v["spec_diff"][0]["path"], "spec.maxSize");
    assert_eq!(v["spec_diff"][0]["old"], "1");
    assert_eq!(v["spec_diff"][1]["change"], "removed");
    // The real modify-ig report: counts as kops printed them.
    let update = cluster().update.expect("update");
    assert_eq!(v["kops_changes"]["modify"], update.modify_count());
    assert_eq!(v["kops_changes"]["create"], update.create_count());
    assert!(update.modify_count() > 0);
    assert_eq!(v["instance_groups_to_delete"][0], "old");
    assert_eq!(v["rolling_update"]["update_required"], true);
    assert!(!v["rolling_update"]["groups_needing_update"]
        .as_array()
        .expect("groups")
        .is_empty());
    assert!(v["validated"].is_null(), "no post-deploy validation ran");
    assert_eq!(v["overrides"], serde_json::json!([]));
    let mut validated = cluster();
    validated.validated = Some(false);
    let line = audit_line(
        &run(),
        &validated,
        &AuditOutcome::Ok,
        0,
        &Redactor::default(),
    );
    assert_eq!(parse(&line)["validated"], false);
    // Without waves: no environment; in a wave: its environment and number.
    assert!(v["environment"].is_null() && v["wave"].is_null());
    let mut placed = cluster();
    placed.placement = Some(crate::plan::Placement {
        wave: 2,
        environment: "stg".into(),
    });
    let placed = parse(&audit_line(
        &run(),
        &placed,
        &AuditOutcome::Ok,
        0,
        &Redactor::default(),
    ));
    assert_eq!(
        (&placed["environment"], &placed["wave"]),
        (&serde_json::json!("stg"), &serde_json::json!(2))
    );
}

#[test]
fn failed_and_skipped_outcomes() {
    let bare = ClusterSummary {
        cluster: "c.k8s.local".into(),
        ..ClusterSummary::default()
    };
    let redactor = Redactor::default();
    let failed = parse(&audit_line(
        &run(),
        &bare,
        &AuditOutcome::Failed("`kops replace` failed with exit status 1".into()),
        0,
        &redactor,
    ));
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(failed["error"], "`kops replace` failed with exit status 1");
    assert!(failed["spec_diff"].is_null() && failed["kops_changes"].is_null());
    assert_eq!(failed["commands"], serde_json::json!([]));
    let skipped = parse(&audit_line(
        &run(),
        &bare,
        &AuditOutcome::Skipped("not run: an earlier cluster failed".into()),
        0,
        &redactor,
    ));
    assert_eq!(skipped["outcome"], "skipped");
    assert_eq!(skipped["reason"], "not run: an earlier cluster failed");
    assert!(skipped["error"].is_null());
    let mut overridden = run();
    overridden.overrides.push("allow-drift".into());
    let line = audit_line(&overridden, &bare, &AuditOutcome::Ok, 0, &redactor);
    assert_eq!(
        parse(&line)["overrides"],
        serde_json::json!(["allow-drift"])
    );
}

#[test]
fn secrets_are_redacted_and_the_line_stays_json() {
    let secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY";
    let redactor = Redactor::from_env([("AWS_SECRET_ACCESS_KEY".to_owned(), secret.to_owned())]);
    let mut cluster = cluster();
    cluster.commands[0].command = format!("kops get cluster x --state s3://{secret}");
    let error = format!(
        "Error: signing with \"{secret}\"\nuser data: export GITHUB_TOKEN=\"ghp_1234\" done\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n"
    );
    let line = audit_line(&run(), &cluster, &AuditOutcome::Failed(error), 0, &redactor);
    assert!(!line.contains(secret) && !line.contains("ghp_1234") && !line.contains("MIIEow"));
    // The record passes the redactor again on its way out: that changes nothing.
    assert_eq!(redactor.redact_text(&line), line);
    let v = parse(&line);
    let error = v["error"].as_str().expect("error");
    assert!(error.contains("signing with \"***\""), "{error}");
    assert!(error.contains("GITHUB_TOKEN=\"***\""), "{error}");
    assert!(
        error.ends_with("BEGIN RSA PRIVATE KEY-----\n***\n"),
        "{error}"
    );
    assert_eq!(
        v["commands"][0]["command"],
        "kops get cluster x --state s3://***"
    );
}
