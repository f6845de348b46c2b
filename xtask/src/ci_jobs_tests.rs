//! The jobs of this repository's committed CI files, per engine, as a reviewed snapshot: for
//! each job (Jenkins: stage), what it waits for, the identity it uses and its approval — the
//! environments' part of the files (docs/CI.md, "Environments in CI"), readable at a glance.

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;

use kopsflow::spec::yaml::parse_stream;
use kopsflow::spec::Node;

fn committed(path: &str) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    std::fs::read_to_string(format!("{root}/{path}")).unwrap()
}

fn yaml(path: &str) -> Node {
    let stream = parse_stream(&committed(path)).unwrap();
    stream.documents.into_iter().next().unwrap().root
}

fn text(node: &Node) -> String {
    node.as_str().map(str::to_owned).unwrap_or_else(|| {
        // `needs:` items: a name, or GitLab's `{job: NAME, artifacts: false}`.
        node.get("job")
            .and_then(Node::as_str)
            .unwrap_or("?")
            .to_owned()
    })
}

fn list(node: Option<&Node>) -> String {
    node.and_then(Node::as_sequence)
        .map(|items| items.iter().map(text).collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}

/// One line per job: `id  needs [..]  identity ..  approval ..`.
fn github(workflow: &str) -> String {
    let root = yaml(&format!(".github/workflows/kopsflow-{workflow}.yml"));
    let mut out = format!("{workflow}:\n");
    for (id, job) in root.get("jobs").unwrap().as_mapping().unwrap() {
        let role = job
            .get("steps")
            .and_then(Node::as_sequence)
            .unwrap()
            .iter()
            .find_map(|s| s.get_path(&["with", "role-to-assume"]))
            .map_or("-".to_owned(), text);
        let _ = writeln!(
            out,
            "  {:<14} needs [{}]  identity {}  approval {}",
            text(id),
            list(job.get("needs")),
            role,
            job.get("environment").map_or("-".to_owned(), text)
        );
    }
    out
}

fn gitlab() -> String {
    let root = yaml(".gitlab-ci.yml");
    let mut out = String::new();
    for (name, job) in root.as_mapping().unwrap() {
        let name = text(name);
        let Some(stage) = job.get("stage") else {
            if let Some(role) = job.get_path(&["variables", "AWS_ROLE_ARN"]) {
                let _ = writeln!(out, "{name:<27} identity {}", text(role));
            }
            continue;
        };
        let manual = job
            .get("rules")
            .and_then(Node::as_sequence)
            .unwrap()
            .iter()
            .all(|r| r.get("when").and_then(Node::as_str) == Some("manual"));
        let _ = writeln!(
            out,
            "{name:<27} stage {:<15} extends {:<24} needs [{}]  approval {}",
            text(stage),
            job.get("extends").map_or("-".to_owned(), text),
            list(job.get("needs")),
            match (job.get_path(&["environment", "name"]), manual) {
                (Some(env), true) => format!("{} (manual)", text(env)),
                (Some(env), false) => text(env),
                (None, true) => "manual".to_owned(),
                (None, false) => "-".to_owned(),
            }
        );
    }
    out
}

/// One line per stage: its name, the credentials it binds and whether it asks for an approval.
fn jenkins(path: &str) -> String {
    let text = committed(path);
    let mut out = format!("{path}:\n");
    let starts: Vec<usize> = text.match_indices("stage('").map(|(i, _)| i).collect();
    for (n, start) in starts.iter().enumerate() {
        let body = &text[*start..starts.get(n + 1).copied().unwrap_or(text.len())];
        let name = &body["stage('".len()..body.find("')").unwrap()];
        let credentials = body
            .split("credentialsId: '")
            .nth(1)
            .and_then(|c| c.split('\'').next())
            .unwrap_or("-");
        let _ = writeln!(
            out,
            "  {name:<22} credentials {credentials:<20} approval {}",
            if body.contains("input {") {
                "input"
            } else {
                "-"
            }
        );
    }
    out
}

#[test]
fn the_ci_jobs_of_each_environment() {
    let github: String = ["plan", "deploy", "rolling-update", "drift"]
        .into_iter()
        .map(github)
        .collect();
    insta::assert_snapshot!("ci_jobs_github", github);
    insta::assert_snapshot!("ci_jobs_gitlab", gitlab());
    let jenkins: String = [
        "Jenkinsfile",
        "Jenkinsfile.rolling-update",
        "Jenkinsfile.drift",
    ]
    .into_iter()
    .map(jenkins)
    .collect();
    insta::assert_snapshot!("ci_jobs_jenkins", jenkins);
}
