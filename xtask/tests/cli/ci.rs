//! Integration tests of `cargo xtask ci` (files written, `--check` passing and failing with a
//! diff, a spec outside its environment refused at its line) and of post-deploy validation
//! (`deploy --validate`), with the real `xtask` binary in a temp repository and the kops
//! stand-in, through the same harness as `cli.rs`.

use crate::support::{Test, CLUSTER};

/// A cluster this repository's composition declares in prod (`HAND_WRITTEN` in
/// `xtask/src/environments.rs`): `ci` needs every cluster in an environment.
const PROD_CLUSTER: &str = "test.k8s.example.com";

/// The test's repository with its cluster renamed to [`PROD_CLUSTER`], committed; `config_base`
/// written into its spec when given.
fn in_prod(config_base: Option<&str>) -> Test {
    let test = Test::new();
    let mut spec = Test::spec_for(PROD_CLUSTER);
    if let Some(base) = config_base {
        spec = spec.replacen("\nspec:\n", &format!("\nspec:\n  configBase: {base}\n"), 1);
    }
    std::fs::write(test.repo().join(Test::spec_file(PROD_CLUSTER)), spec).unwrap();
    test.git(&["rm", "-q", &Test::spec_file(CLUSTER)]);
    test.git(&["add", "-A"]);
    test.git(&["commit", "-q", "-m", "the cluster in prod"]);
    test
}

#[test]
fn deploy_validate_runs_kops_validate_after_update_and_reports_it() {
    let test = Test::new();
    let run = test.run(&["deploy", "--validate", "10m", "--format", "json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let argv = run.argv();
    let update = argv
        .iter()
        .position(|a| a.starts_with("update cluster") && a.ends_with("--yes"))
        .unwrap();
    // The kubeconfig once the update made the CA, then validate and the rolling-update preview.
    assert_eq!(
        argv[update + 1],
        format!("export kubecfg {CLUSTER} --state file:///srv/kstate --admin")
    );
    assert_eq!(
        argv[update + 2],
        format!("validate cluster {CLUSTER} --state file:///srv/kstate --wait 10m")
    );
    assert!(
        argv[update + 3].starts_with("rolling-update cluster"),
        "{argv:?}"
    );
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(json["clusters"][0]["validated"], true);
    // kops's own verdict (the real recording) is in the stage log.
    insta::assert_snapshot!("validate_ready_stderr", run.settled_stderr(&test));
    let md = test.run(&["deploy", "--validate", "0s", "--format", "markdown"]);
    assert_eq!(md.code(), 0, "{}", md.stderr());
    insta::assert_snapshot!("validate_ready_markdown", md.settled_stdout(&test));
    assert!(md.argv().contains(&format!(
        "validate cluster {CLUSTER} --state file:///srv/kstate"
    )));
    // Without the flag, no validation and no verdict.
    let plain = test.run(&["deploy", "--format", "json"]);
    assert!(!plain.argv().iter().any(|a| a.starts_with("validate")));
    let json: serde_json::Value = serde_json::from_str(&plain.stdout()).unwrap();
    assert_eq!(json["clusters"][0]["validated"], serde_json::Value::Null);
}

#[test]
fn a_cluster_that_does_not_validate_fails_the_deploy() {
    let test = Test::new();
    let run = test.run_with(
        &[("KOPS_STANDIN_VALIDATE_FAIL", "1")],
        &["deploy", "--validate", "10m", "--format", "json"],
    );
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    let cluster = &json["clusters"][0];
    assert_eq!(cluster["validated"], false);
    assert_eq!(cluster["status"], "error");
    let error = cluster["error"].as_str().unwrap();
    assert!(
        error.contains("validate cluster") && error.contains("validation failed"),
        "{error}"
    );
    // The stage stops at the failed step: no rolling-update check after it.
    assert!(run.argv().last().unwrap().starts_with("validate cluster"));
    let text = test.run_with(
        &[("KOPS_STANDIN_VALIDATE_FAIL", "1")],
        &["deploy", "--validate", "10m"],
    );
    assert_eq!(text.code(), 1, "{}", text.stderr());
    insta::assert_snapshot!("validate_failed_text", text.settled_stdout(&test));
}

#[test]
fn ci_writes_the_files_and_check_fails_with_a_diff_when_one_is_stale() {
    let test = in_prod(None);
    let check = test.run(&["ci", "github", "--check"]);
    assert_eq!(check.code(), 1, "nothing committed yet: {}", check.stderr());
    for engine in ["github", "jenkins", "gitlab"] {
        let run = test.run(&["ci", engine]);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        let check = test.run(&["ci", engine, "--check"]);
        assert_eq!(check.code(), 0, "{}", check.stderr());
        insta::assert_snapshot!(
            format!("ci_{engine}_check_up_to_date_stderr"),
            check.settled_stderr(&test)
        );
        assert!(check.stdout().is_empty());
    }
    let workflow = test
        .repo()
        .join(".github/workflows/kopsflow-rolling-update.yml");
    let text = std::fs::read_to_string(&workflow).unwrap();
    assert!(text.starts_with("# generated by `cargo xtask ci github`"));
    assert!(text.contains(&format!("options: [\"{PROD_CLUSTER}\"]")));
    std::fs::write(&workflow, text.replace("default: true", "default: false")).unwrap();
    let check = test.run(&["ci", "github", "--check"]);
    assert_eq!(check.code(), 1, "{}", check.stderr());
    insta::assert_snapshot!("ci_github_check_stale", check.settled_stdout(&test));
    insta::assert_snapshot!("ci_github_check_stale_stderr", check.settled_stderr(&test));
    // A new cluster makes every engine's files stale (the rolling-update choices name them).
    test.add_cluster("prod.k8s.example.com");
    let check = test.run(&["ci", "jenkins", "--check"]);
    assert_eq!(check.code(), 1);
    insta::assert_snapshot!("ci_jenkins_check_new_cluster", check.settled_stdout(&test));
}

/// `ci` checks the environments first (the CI files belong to the repository: `KOPS_STATE_STORE`,
/// which the harness sets, does not turn the check off): a `configBase` outside the cluster's
/// environment's store is refused at its line, a cluster in no environment at its name, and no
/// file is written.
#[test]
fn ci_refuses_a_spec_outside_its_environment_at_its_line() {
    let test = in_prod(Some("s3://k8s-kops-dev/test.k8s.example.com"));
    let spec = Test::spec_file(PROD_CLUSTER);
    let line = test
        .git_in(&test.repo(), &["grep", "-n", "configBase", &spec])
        .split(':')
        .nth(1)
        .unwrap()
        .to_owned();
    for engine in ["github", "jenkins", "gitlab"] {
        for args in [&["ci", engine][..], &["ci", engine, "--check"]] {
            let run = test.run(args);
            assert_eq!(run.code(), 1, "{args:?}: {}", run.stdout());
            let err = run.stderr();
            assert!(err.contains(&format!("{spec}:{line}:")), "{args:?}: {err}");
            assert!(
                err.contains("configBase s3://k8s-kops-dev/test.k8s.example.com is not in the store of environment prod"),
                "{err}"
            );
            assert!(run.stdout().is_empty(), "{args:?}: no diff");
        }
    }
    insta::assert_snapshot!(
        "ci_config_base_outside_its_environment_stderr",
        test.run(&["ci", "gitlab"]).settled_stderr(&test)
    );
    for file in [".github", "Jenkinsfile", ".gitlab-ci.yml"] {
        assert!(!test.repo().join(file).exists(), "{file} written");
    }
    // The harness's own cluster belongs to no environment: refused at its name.
    let test = Test::new();
    let run = test.run(&["ci", "github"]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    assert!(
        run.stderr().contains(&format!(
            "{}:4:9: metadata.name: cluster {CLUSTER} belongs to no environment",
            Test::spec_file(CLUSTER)
        )),
        "{}",
        run.stderr()
    );
    assert!(!test.repo().join(".github").exists());
}

/// `KOPSFLOW_CLOUDONLY=true` (what the generated jobs set from the CI variable or the setting)
/// runs deploy's rolling-update preview and the rolling-update jobs with kops `--cloudonly`;
/// `false` and unset leave them as they were; another value is refused, naming the variable,
/// before kops runs; `deploy --validate` is refused with it, with the reason.
#[test]
fn kopsflow_cloudonly_reaches_every_rolling_update_and_refuses_validate() {
    let test = Test::new();
    let rolls = |run: &crate::support::Run| -> Vec<String> {
        run.argv()
            .into_iter()
            .filter(|a| a.starts_with("rolling-update cluster"))
            .collect()
    };
    let on = [("KOPSFLOW_CLOUDONLY", "true")];
    let deploy = test.run_with(&on, &["deploy"]);
    assert_eq!(deploy.code(), 0, "{}", deploy.stderr());
    let preview = rolls(&deploy);
    assert_eq!(preview.len(), 1, "{:?}", deploy.argv());
    assert!(preview[0].contains("--cloudonly") && !preview[0].contains("--yes"));
    for args in [
        &["rolling-update", "--cluster", CLUSTER][..],
        &["rolling-update", "--cluster", CLUSTER, "--yes"][..],
    ] {
        let run = test.run_with(&on, args);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        assert!(
            rolls(&run).iter().all(|a| a.contains("--cloudonly")),
            "{:?}",
            run.argv()
        );
        assert!(!rolls(&run).is_empty());
        let off = test.run_with(&[("KOPSFLOW_CLOUDONLY", "false")], args);
        assert!(
            rolls(&off).iter().all(|a| !a.contains("--cloudonly")),
            "{:?}",
            off.argv()
        );
    }
    let bad = test.run_with(&[("KOPSFLOW_CLOUDONLY", "yes")], &["deploy"]);
    assert_eq!(bad.code(), 1);
    insta::assert_snapshot!("cloudonly_bad_value_stderr", bad.settled_stderr(&test));
    assert!(
        bad.argv().is_empty(),
        "nothing sent to kops: {:?}",
        bad.argv()
    );
    let validate = test.run_with(&on, &["deploy", "--validate", "10m"]);
    assert_eq!(validate.code(), 1);
    insta::assert_snapshot!(
        "cloudonly_env_validate_stderr",
        validate.settled_stderr(&test)
    );
    assert!(validate.argv().is_empty(), "{:?}", validate.argv());
    let flag = test.run(&["deploy", "--cloudonly", "--validate", "10m"]);
    assert_eq!(flag.code(), 1);
    insta::assert_snapshot!("cloudonly_flag_validate_stderr", flag.settled_stderr(&test));
}
