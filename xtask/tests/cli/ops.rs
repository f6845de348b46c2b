//! Integration tests of the operations around the pipeline: the audit log of `deploy` and
//! `rolling-update`, and `export` of a cluster's spec from production (`drift` is in
//! `drift.rs`). The real `xtask` binary runs in a temp git repository with the kops stand-in
//! (`kops-standin.sh`) replaying real recorded kops output; the harness is in `support/`.

use crate::support::{mutating, wait_for, Run, Test, CLUSTER, SECRET};

const AUDIT_LOG: &str = "target/kopsflow/audit.jsonl";

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The records of the audit log at `path` (relative to the repository), one per line.
fn records(test: &Test, path: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(test.repo().join(path)).unwrap_or_default();
    assert!(
        !text.contains(SECRET),
        "the audit log leaks the secret:\n{text}"
    );
    assert!(!text.contains("AKIAIOSFODNN7EXAMPLE"), "leaks the key id");
    text.lines().map(json).collect()
}

/// `(status, exit_code)` of each command of a record, with the commands' argv.
fn commands(record: &serde_json::Value) -> Vec<(String, String, Option<i64>)> {
    record["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["command"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
                c["exit_code"].as_i64(),
            )
        })
        .collect()
}

fn is_rfc3339_utc(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
        && text.starts_with("20")
}

fn assert_path_shown(run: &Run, path: &std::path::Path) {
    let shown = format!("audit: 1 record(s) appended to {}", path.display());
    assert!(
        run.stderr().contains(&shown),
        "{shown:?} in {}",
        run.stderr()
    );
}

// --- The audit log ------------------------------------------------------------------------------

/// A deploy on main from GitHub Actions, of a commit whose author and committer differ.
#[test]
fn a_deploy_appends_a_record_with_commit_people_ci_and_commands() {
    let test = Test::new()
        .env("GIT_COMMITTER_NAME", "Grace")
        .env("GIT_COMMITTER_EMAIL", "grace@example.com")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_SERVER_URL", "https://github.example.com")
        .env("GITHUB_REPOSITORY", "ops/clusters")
        .env("GITHUB_RUN_ID", "4242")
        .env("GITHUB_ACTOR", "octo-ada");
    test.modify(CLUSTER);
    let commit = test.commit("nodes: one more");
    let run = test.run(&["deploy", "--cluster", CLUSTER]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_path_shown(&run, &test.repo().join(AUDIT_LOG));
    let logged = records(&test, AUDIT_LOG);
    assert_eq!(logged.len(), 1);
    let r = &logged[0];
    assert_eq!(r["schema_version"], 1);
    assert!(is_rfc3339_utc(r["time"].as_str().unwrap()), "{}", r["time"]);
    assert!(is_rfc3339_utc(r["started"].as_str().unwrap()));
    assert_eq!(r["cluster"], CLUSTER);
    assert_eq!(r["subcommand"], "deploy");
    assert_eq!(r["branch"], "main");
    assert_eq!(r["commit"], commit.as_str());
    assert_eq!(
        r["author"],
        serde_json::json!({"name": "Ada", "email": "ada@example.com"})
    );
    assert_eq!(
        r["committer"],
        serde_json::json!({"name": "Grace", "email": "grace@example.com"})
    );
    assert_eq!(
        r["actor"],
        serde_json::json!({
            "ci": "github-actions",
            "url": "https://github.example.com/ops/clusters/actions/runs/4242",
            "user": "octo-ada",
        })
    );
    assert_eq!(r["kops_version"], "1.29.2");
    assert_eq!(r["outcome"], "ok");
    assert!(r["error"].is_null() && r["reason"].is_null());
    // Every kops call of the cluster, as it ran, in order (`kops version` is the run's, in
    // kops_version).
    let calls: Vec<String> = run.argv().into_iter().skip(1).collect();
    let ran = commands(r);
    assert_eq!(ran.len(), calls.len(), "{ran:?}");
    for ((command, status, code), argv) in ran.iter().zip(&calls) {
        assert_eq!(
            run.normalize(command),
            format!("kops {argv}"),
            "the command as it ran"
        );
        assert_eq!((status.as_str(), *code), ("exited", Some(0)));
    }
    assert!(ran[3].0.ends_with("--yes"), "{ran:?}");
    assert!(r["commands"][0]["duration_ms"].is_u64());
    // Git has nodes maxSize 2, production 1; `update --yes` prints no dry-run report.
    let change = &r["spec_diff"][0];
    assert_eq!(
        (&change["path"], &change["old"], &change["new"]),
        (
            &serde_json::json!("spec.maxSize"),
            &serde_json::json!("1"),
            &serde_json::json!("2")
        )
    );
    assert!(r["kops_changes"].is_null());
    assert_eq!(r["rolling_update"]["update_required"], true);
    assert_eq!(r["overrides"], serde_json::json!([]));

    // The next run appends; the file is ignored by git, so the tree stays clean for it.
    let again = test.run(&["deploy", "--cluster", CLUSTER]);
    assert_eq!(again.code(), 0, "{}", again.stderr());
    assert_eq!(records(&test, AUDIT_LOG).len(), 2);
}

/// A rolling-update preview from Jenkins, logged where --audit-log says.
#[test]
fn a_rolling_update_preview_is_recorded_with_the_jenkins_build() {
    let test = Test::new()
        .env("JENKINS_URL", "https://jenkins.example.com/")
        .env("BUILD_URL", "https://jenkins.example.com/job/kops/17/")
        .env("BUILD_USER_ID", "grace");
    let run = test.run(&[
        "rolling-update",
        "--cluster",
        CLUSTER,
        "--audit-log",
        "logs/audit.jsonl",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_path_shown(&run, &test.repo().join("logs/audit.jsonl"));
    assert!(!test.repo().join(AUDIT_LOG).exists());
    let logged = records(&test, "logs/audit.jsonl");
    let r = &logged[0];
    assert_eq!(r["subcommand"], "rolling-update");
    assert_eq!(r["commit"], test.rev_parse("HEAD").as_str());
    assert_eq!(
        r["actor"],
        serde_json::json!({
            "ci": "jenkins",
            "url": "https://jenkins.example.com/job/kops/17/",
            "user": "grace",
        })
    );
    assert_eq!(r["outcome"], "ok");
    let ran = commands(r);
    assert!(ran
        .last()
        .unwrap()
        .0
        .starts_with("kops rolling-update cluster"));
    assert!(ran.iter().all(|(_, s, c)| s == "exited" && *c == Some(0)));
    assert_eq!(r["rolling_update"]["update_required"], true);
    assert!(
        r["spec_diff"].is_null(),
        "the stage does not read production"
    );

    // --print runs nothing and records nothing.
    let print = test.run(&["rolling-update", "--cluster", CLUSTER, "--print"]);
    assert_eq!(print.code(), 0, "{}", print.stderr());
    assert_eq!(records(&test, "logs/audit.jsonl").len(), 1);
}

/// A failing kops step: outcome failed with the error, and the commands up to it with their
/// exit status. Secrets in the environment and in what kops prints never reach the file.
#[test]
fn a_failed_deploy_is_recorded_without_secrets() {
    let test = Test::new()
        .env("GITHUB_TOKEN", "ghp_s3cr3tT0kenValue")
        .env("JENKINS_URL", "https://jenkins.example.com/")
        .env(
            "BUILD_URL",
            "https://ci:ghp_s3cr3tT0kenValue@jenkins.example.com/job/kops/18/",
        );
    // kops prints the secret on stderr at every call, and in its error.
    let run = test.run_with(
        &[("KOPS_STANDIN_LEAK", "error")],
        &["deploy", "--cluster", CLUSTER],
    );
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let text = std::fs::read_to_string(test.repo().join(AUDIT_LOG)).unwrap();
    assert!(!text.contains("ghp_s3cr3tT0kenValue"), "{text}");
    let r = &records(&test, AUDIT_LOG)[0];
    assert_eq!(r["outcome"], "failed");
    let error = r["error"].as_str().unwrap();
    assert!(
        error.contains("update cluster") && error.contains("***"),
        "{error}"
    );
    assert_eq!(
        r["actor"]["url"],
        "https://ci:***@jenkins.example.com/job/kops/18/"
    );
    let ran = commands(r);
    let (last, status, code) = ran.last().unwrap();
    assert!(last.starts_with("kops update cluster"), "{ran:?}");
    assert_eq!((status.as_str(), *code), ("exited", Some(1)));
    assert!(ran[..ran.len() - 1].iter().all(|(_, _, c)| *c == Some(0)));

    // A replayed kops error at the replace (call 4; call 1 is `kops version`).
    let run = test.run_with(
        &[("KOPS_STANDIN_FAIL_AT", "4")],
        &["deploy", "--cluster", CLUSTER],
    );
    assert_eq!(run.code(), 1);
    let r = &records(&test, AUDIT_LOG)[1];
    assert_eq!(r["outcome"], "failed");
    assert!(r["error"].as_str().unwrap().contains("kops replace"), "{r}");
    let ran = commands(r);
    assert_eq!(ran.len(), 3, "{ran:?}");
    assert_eq!(ran[2].2, Some(1));
}

/// A deploy refused before any cluster ran, one skipped on a feature branch, one interrupted.
#[test]
fn refused_skipped_and_interrupted_deploys_are_recorded() {
    let test = Test::new();
    std::fs::write(test.repo().join("cluster-spec/notes.txt"), "wip").unwrap();
    let run = test.run(&["deploy", "--cluster", CLUSTER]);
    assert_eq!(run.code(), 1);
    std::fs::remove_file(test.repo().join("cluster-spec/notes.txt")).unwrap();
    let r = &records(&test, AUDIT_LOG)[0];
    assert_eq!(r["outcome"], "failed");
    assert!(
        r["error"].as_str().unwrap().contains("uncommitted changes"),
        "{r}"
    );
    assert_eq!(r["kops_version"], "1.29.2");
    assert_eq!(r["commands"], serde_json::json!([]));

    let test = test.feature_branch();
    let run = test.run(&["deploy", "--cluster", CLUSTER]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let r = &records(&test, AUDIT_LOG)[1];
    assert_eq!(r["outcome"], "skipped");
    assert_eq!(r["branch"], "feature/x");
    let reason = r["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("Deploy: skipped — branch 'feature/x' does not match"),
        "{reason}"
    );

    test.git(&["checkout", "-q", "main"]);
    let hang = test.path("hang");
    let child = test.spawn(
        "deploy",
        &[("KOPS_STANDIN_GATE", &format!("update {}", hang.display()))],
        &["deploy", "--cluster", CLUSTER],
    );
    wait_for("kops update to start", || {
        test.calls().iter().any(|c| c.argv.starts_with("update"))
    });
    child.signal("TERM");
    let finished = child.finish();
    assert_eq!(finished.code, Some(1), "{}", finished.stderr);
    let r = &records(&test, AUDIT_LOG)[2];
    assert_eq!(r["outcome"], "failed");
    assert!(r["error"].as_str().unwrap().contains("interrupted"), "{r}");
    let ran = commands(r);
    let (last, status, code) = ran.last().unwrap();
    assert!(last.starts_with("kops update cluster"), "{ran:?}");
    assert_eq!((status.as_str(), *code), ("interrupted", None));
}

// --- export -------------------------------------------------------------------------------------

/// The spec file's header and its canonical YAML.
fn assert_canonical(spec: &str, version: &str, cluster: &str) {
    let (header, body) = spec.split_once('\n').unwrap();
    assert!(
        header.starts_with("# Exported from production by `cargo xtask export` on 20"),
        "{header}"
    );
    assert!(header.contains(&format!("with kops {version}")), "{header}");
    assert!(
        header.contains(&format!("`kops get cluster {cluster} -o yaml --state "))
            && header.contains(&format!(
                "`kops get instancegroups --name {cluster} -o yaml"
            )),
        "{header}"
    );
    assert!(body.starts_with("apiVersion: kops.k8s.io/v1alpha2\nkind: Cluster\n"));
    assert!(!body.contains("creationTimestamp"), "{body}");
    assert!(!body.contains("\n\n") && !body.ends_with("---\n"), "{body}");
    assert_eq!(body.matches("\n---\n").count(), 2, "{body}");
    let control = body.find("name: control-plane-us-east-1a").unwrap();
    assert!(control < body.find("name: nodes-us-east-1a").unwrap());
}

/// Export, validate with no diagnostics, then plan: no spec diff, and nothing pending at all
/// when kops's dry-run (real recording) has no changes either.
fn export_then_plan(test: &Test, extra: &[(&str, &str)], version: &str, cluster: &str) {
    // This repository is pinned to kops 1.29.2: another kops runs only when told to.
    let pinned = version == "1.29.2";
    let any: &[&str] = if pinned { &[] } else { &["--any-kops-version"] };
    let run = test.run_with(extra, &[&["export", "--cluster", cluster], any].concat());
    assert_eq!(run.code(), 0, "{}", run.stderr());
    // Another kops than the pinned one is warned about.
    insta::assert_snapshot!(format!("export_{version}_stderr"), run.settled_stderr(test));
    let store = store(extra);
    let expected = [
        "version".to_owned(),
        format!("get cluster {cluster} -o yaml --state {store}"),
        format!("get instancegroups --name {cluster} -o yaml --state {store}"),
    ];
    // (The log's normalisation also renames a `kopsflow-prod` bucket.)
    assert_eq!(run.argv(), expected.map(|a| run.normalize(&a)));
    assert!(run.argv().iter().all(|a| !mutating(a)));
    let file = format!("cluster-spec/{cluster}.yml");
    insta::assert_snapshot!(format!("export_{version}_stdout"), run.settled_stdout(test));
    let spec = std::fs::read_to_string(test.repo().join(&file)).unwrap();
    assert_canonical(&spec, version, cluster);
    insta::assert_snapshot!(format!("export_{version}_spec"), run.settle(test, &spec));

    let validate = test.run_with(extra, &["validate", "--cluster", cluster]);
    assert_eq!(validate.code(), 0, "{}", validate.stderr());
    assert_eq!(validate.stderr(), "", "no diagnostics at all");

    let no_changes = format!("update-cluster-dryrun.no-changes.REAL.kops-{version}.stdout.txt");
    let mut env = extra.to_vec();
    env.push(("KOPS_STANDIN_UPDATE", &no_changes));
    let args = [
        "plan",
        "--cluster",
        cluster,
        "--format",
        "json",
        "--detailed-exitcode",
    ];
    let plan = test.run_with(&env, &[&args[..], any].concat());
    assert_eq!(plan.code(), 0, "nothing pending: {}", plan.stdout());
    let summary = json(&plan.stdout());
    assert_eq!(summary["kops"]["version"], version);
    assert_eq!(summary["kops"]["matches_pin"], pinned);
    assert_eq!(summary["kops"]["any_kops_version"], !pinned);
    assert_eq!(summary["clusters"][0]["spec_diff"], serde_json::json!([]));
    assert_eq!(summary["clusters"][0]["status"], "no_changes");
}

fn store(extra: &[(&str, &str)]) -> String {
    extra
        .iter()
        .find(|(k, _)| *k == "KOPS_STATE_STORE")
        .map_or("file:///srv/kstate", |(_, v)| v)
        .to_owned()
}

#[test]
fn export_from_kops_1_29_writes_a_canonical_spec_that_plans_without_diff() {
    let test = Test::new();
    export_then_plan(&test, &[], "1.29.2", CLUSTER);
    let spec = test.read_spec();
    // As kops printed it: configBase kept, instance groups without 1.36's nodeLabels.
    assert!(
        spec.contains("  configBase: /srv/kstate/test.k8s.local\n"),
        "{spec}"
    );
    assert!(!spec.contains("nodeLabels"));
}

#[test]
fn export_from_kops_1_36_writes_a_canonical_spec_that_plans_without_diff() {
    let test = Test::new();
    let env = [
        ("KOPS_STANDIN_VERSION", "1.36.2"),
        ("KOPS_STATE_STORE", "s3://kopsflow-prod"),
    ];
    export_then_plan(&test, &env, "1.36.2", "new.k8s.local");
    let spec = std::fs::read_to_string(test.repo().join("cluster-spec/new.k8s.local.yml")).unwrap();
    assert!(
        spec.contains("  configBase: s3://kopsflow-prod/new.k8s.local\n"),
        "{spec}"
    );
    assert!(spec.contains("    kops.k8s.io/instancegroup: nodes-us-east-1a\n"));
    assert!(spec.contains("    kops.k8s.io/cluster: new.k8s.local\n"));
}

#[test]
fn export_refuses_a_spec_with_uncommitted_changes_unless_forced() {
    let test = Test::new();
    test.modify(CLUSTER);
    let edited = test.read_spec();
    let run = test.run(&["export", "--cluster", CLUSTER]);
    assert_eq!(run.code(), 1);
    insta::assert_snapshot!("export_uncommitted_stderr", run.settled_stderr(&test));
    assert_eq!(test.read_spec(), edited, "left alone");
    assert!(!run.argv().iter().any(|a| a.starts_with("get")));
    // An untracked spec is uncommitted work too.
    std::fs::write(test.repo().join("cluster-spec/b.k8s.local.yml"), "draft").unwrap();
    let run = test.run(&["export", "--cluster", "b.k8s.local"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    insta::assert_snapshot!("export_untracked_stderr", run.settled_stderr(&test));

    let run = test.run(&["export", "--cluster", CLUSTER, "--force"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_canonical(&test.read_spec(), "1.29.2", CLUSTER);
    // A missing cluster is named, and nothing is written.
    let run = test.run_with(
        &[("KOPS_STANDIN_NEW_CLUSTER", "1")],
        &["export", "--cluster", "c.k8s.local"],
    );
    assert_eq!(run.code(), 1);
    insta::assert_snapshot!("export_missing_cluster_stderr", run.settled_stderr(&test));
    assert!(!test.repo().join("cluster-spec/c.k8s.local.yml").exists());
}
