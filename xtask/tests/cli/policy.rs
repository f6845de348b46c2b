//! Integration tests of templates and policies over the real `xtask` binary, in the CLI tests'
//! temp workspace (`support/`) with the kops stand-in replaying real kops 1.29.2 output:
//! production runs Kubernetes 1.28.6 with the API and SSH open to `0.0.0.0/0` and `::/0`
//! (`get-cluster-o-yaml.REAL.kops-1.29.2.yaml`). A blocking violation stops `plan` (exit 1, after
//! the dry-run) and `deploy` (exit 1, before any mutating kops call, as the stand-in's log shows);
//! `--allow RULE` lets it through and the summary says so. `render --check` fails on a stale
//! rendered spec, and a template error points at the template line.

use crate::support::{mutating, Test, CLUSTER};

/// The git spec's Kubernetes version moved two minors past production's (1.28.6), committed.
fn minor_jump(test: &Test) {
    let spec = test.read_spec();
    assert!(spec.contains("kubernetesVersion: 1.28.6"));
    test.write_spec(&spec.replace("kubernetesVersion: 1.28.6", "kubernetesVersion: 1.30.2"));
    test.commit("Kubernetes 1.30.2");
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn plan_reports_a_minor_jump_and_exits_1() {
    let test = Test::new().feature_branch();
    minor_jump(&test);
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    insta::assert_snapshot!("minor_jump_plan", run.settled_stdout(&test));
    insta::assert_snapshot!("minor_jump_plan_stderr", run.settled_stderr(&test));
    // The plan still shows what kops would do, and changes nothing.
    assert!(run.argv().iter().any(|a| a.starts_with("update cluster")));
    assert!(run.argv().iter().all(|a| !mutating(a)), "{:?}", run.argv());
    // Allowed, the plan passes and says what it let through.
    let run = test.run(&["plan", "--allow", "kubernetes-minor-jump"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("minor_jump_plan_allowed", run.settled_stdout(&test));
}

#[test]
fn deploy_with_a_violation_sends_nothing_mutating_to_kops() {
    let test = Test::new();
    minor_jump(&test);
    let run = test.run(&["deploy", "--format", "json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    // Production was read (the diff rules need it), and nothing else ran.
    assert_eq!(
        run.argv(),
        [
            "version",
            "get cluster test.k8s.local -o yaml --state file:///srv/kstate",
            "get instancegroups --name test.k8s.local -o yaml --state file:///srv/kstate",
        ]
    );
    let summary = json(&run.stdout());
    assert_eq!(summary["policy_blocked"], true);
    assert_eq!(summary["overrides"], serde_json::json!([]));
    let cluster = &summary["clusters"][0];
    let error = cluster["error"].as_str().unwrap();
    assert!(
        error.contains("stage Deploy stopped before step 3/9")
            && error.contains("blocked by policy: 1 blocking violation (kubernetes-minor-jump); nothing was changed"),
        "{error}"
    );
    let violation = &cluster["policy"][0];
    assert_eq!(violation["rule"], "kubernetes-minor-jump");
    assert_eq!(violation["blocks"], true);
    assert_eq!(violation["file"], format!("cluster-spec/{CLUSTER}.yml"));
    assert_eq!(violation["override"], "--allow kubernetes-minor-jump");
    assert!(run.tmp_left.is_empty(), "{:?}", run.tmp_left);
    assert!(!test.lock_file(CLUSTER).exists(), "the lock is released");
}

#[test]
fn deploy_with_allow_goes_through_and_records_the_override() {
    let test = Test::new();
    minor_jump(&test);
    let run = test.run(&[
        "deploy",
        "--allow",
        "kubernetes-minor-jump",
        "--format",
        "json",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.argv().iter().any(|a| a.starts_with("replace -f")));
    assert!(run.argv().iter().any(|a| a.ends_with("--yes")));
    let summary = json(&run.stdout());
    assert_eq!(summary["policy_blocked"], false);
    assert_eq!(
        summary["overrides"],
        serde_json::json!([{"cluster": CLUSTER, "rule": "kubernetes-minor-jump"}])
    );
    let violation = &summary["clusters"][0]["policy"][0];
    assert_eq!(
        (violation["allowed"].clone(), violation["blocks"].clone()),
        (true.into(), false.into())
    );
    // The stage log says it too.
    insta::assert_snapshot!(
        "minor_jump_deploy_allowed_stderr",
        run.settled_stderr(&test)
    );
    // And the audit record keeps the override.
    let log = std::fs::read_to_string(test.repo().join("target/kopsflow/audit.jsonl")).unwrap();
    let record: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(
        record["overrides"],
        serde_json::json!(["allow:kubernetes-minor-jump"]),
        "{log}"
    );
}

#[test]
fn an_unknown_rule_is_a_usage_error_before_any_kops_call() {
    let test = Test::new();
    let run = test.run(&["deploy", "--allow", "kubernetes-skip"]);
    assert_eq!(run.code(), 1);
    insta::assert_snapshot!("unknown_rule_stderr", run.settled_stderr(&test));
    assert_eq!(run.argv(), Vec::<String>::new());
}

#[test]
fn validate_checks_the_offline_rules_of_a_production_cluster() {
    let test = Test::new();
    let spec = test.read_spec();
    test.write_spec(&spec.replace(
        "  cloudProvider: aws\n",
        "  cloudLabels:\n    environment: production\n    team: platform\n  cloudProvider: aws\n",
    ));
    let run = test.run(&["validate"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let err = run.stderr();
    let file = format!("cluster-spec/{CLUSTER}.yml");
    for rule in ["api-open-to-world", "ssh-open-to-world"] {
        assert_eq!(
            err.matches(&format!("policy {rule} (blocks): {file}:"))
                .count(),
            2,
            "{err}"
        );
    }
    insta::assert_snapshot!("validate_offline_rules_stderr", run.settled_stderr(&test));
    assert_eq!(run.argv(), Vec::<String>::new(), "validate runs no kops");
    let run = test.run(&[
        "validate",
        "--allow",
        "api-open-to-world",
        "--allow",
        "ssh-open-to-world",
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("validate_allowed_stderr", run.settled_stderr(&test));
}

/// The repository's template and its rendered specs, copied into the test's repository.
fn with_templates(test: &Test) {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::create_dir_all(test.repo().join("cluster-spec/templates")).unwrap();
    for file in [
        "cluster-spec/templates/cluster.yml.tmpl",
        "cluster-spec/dev.k8s.example.com.yml",
        "cluster-spec/stg.k8s.example.com.yml",
        "cluster-spec/prod.k8s.example.com.yml",
    ] {
        std::fs::copy(source.join(file), test.repo().join(file)).unwrap();
    }
}

#[test]
fn render_check_fails_on_a_stale_spec_and_render_fixes_it() {
    let test = Test::new();
    with_templates(&test);
    let run = test.run(&["render", "--check"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let prod = test.repo().join("cluster-spec/prod.k8s.example.com.yml");
    let rendered = std::fs::read_to_string(&prod).unwrap();
    std::fs::write(
        &prod,
        rendered.replace("  maxSize: 20\n", "  maxSize: 25\n"),
    )
    .unwrap();
    let run = test.run(&["render", "--check"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    insta::assert_snapshot!("render_check_stale", run.settled_stdout(&test));
    insta::assert_snapshot!("render_check_stale_stderr", run.settled_stderr(&test));
    assert!(
        std::fs::read_to_string(&prod)
            .unwrap()
            .contains("maxSize: 25"),
        "--check writes nothing"
    );
    let run = test.run(&["render"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(std::fs::read_to_string(&prod).unwrap(), rendered);
    assert_eq!(test.run(&["render", "--check"]).code(), 0);
    // A rendered spec whose environment is no longer declared.
    let old = test.repo().join("cluster-spec/old.k8s.example.com.yml");
    std::fs::write(
        &old,
        rendered.replace("prod.k8s.example.com", "old.k8s.example.com"),
    )
    .unwrap();
    let run = test.run(&["render", "--check"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    insta::assert_snapshot!("render_check_undeclared_stderr", run.settled_stderr(&test));
    std::fs::remove_file(&old).unwrap();
    // Hand-written and rendered clusters validate side by side.
    let run = test.run(&["validate"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!(
        "validate_rendered_and_hand_written",
        run.settled_stdout(&test)
    );
}

#[test]
fn a_template_error_points_at_the_template_line() {
    let test = Test::new();
    with_templates(&test);
    let template = test.repo().join("cluster-spec/templates/cluster.yml.tmpl");
    let text = std::fs::read_to_string(&template).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("${{ network_cidr }}"))
        .unwrap()
        + 1;
    std::fs::write(
        &template,
        text.replace("${{ network_cidr }}", "${{ network_cdir }}"),
    )
    .unwrap();
    let before =
        std::fs::read_to_string(test.repo().join("cluster-spec/dev.k8s.example.com.yml")).unwrap();
    let run = test.run(&["render"]);
    assert_eq!(run.code(), 1);
    let err = run.settled_stderr(&test);
    let at =
        format!("error: cluster-spec/templates/cluster.yml.tmpl:{line}:16: unknown placeholder");
    assert!(err.contains(&at), "{at:?} not in {err}");
    insta::assert_snapshot!("template_error_stderr", err);
    let after =
        std::fs::read_to_string(test.repo().join("cluster-spec/dev.k8s.example.com.yml")).unwrap();
    assert_eq!(before, after);
}
