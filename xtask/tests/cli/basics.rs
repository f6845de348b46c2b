//! The basics of every run: validate, plan on a branch in an isolated dry-run store, deploy on
//! main in order, refusals, failures and timeouts, exit codes, redaction of secrets, output
//! formats, usage errors, SIGTERM.

use std::process::Command;

use crate::support::{mutating, nodes_ig_doc, Test, CLUSTER, SECRET};

#[test]
fn validate_accepts_the_spec() {
    let test = Test::new();
    let run = test.run(&["validate"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("validate_ok", run.settled_stdout(&test));
    assert!(run.argv().is_empty());
}

#[test]
fn invalid_spec_exits_1_names_file_and_line_and_runs_no_kops() {
    let test = Test::new().feature_branch();
    // The classic export recipe's bug: Cluster and InstanceGroup concatenated without `---`.
    test.write_spec(&test.read_spec().replacen("---\n", "", 1));
    for (name, args) in [
        ("validate", &["validate"][..]),
        ("plan", &["plan"]),
        ("deploy", &["deploy", "--branch", "main"]),
        ("plan_print", &["plan", "--print"]),
    ] {
        let run = test.run(args);
        assert_eq!(run.code(), 1, "{args:?}: {}", run.stderr());
        insta::assert_snapshot!(
            format!("invalid_spec_{name}_stderr"),
            run.settled_stderr(&test)
        );
        assert!(run.argv().is_empty(), "{args:?} ran kops: {:?}", run.argv());
    }
}

#[test]
fn print_runs_nothing() {
    let test = Test::new().feature_branch();
    let run = test.run(&["plan", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("plan_print", run.settled_stdout(&test));
    assert!(run.argv().is_empty());
    let run = test.run(&["deploy", "--print", "--branch", "master"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("deploy_print", run.settled_stdout(&test));
    assert!(run.argv().is_empty());
}

#[test]
fn feature_branch_plan_uses_an_isolated_dry_run_store() {
    let test = Test::new().feature_branch();
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let store = "file://$TMP/kopsflow-RUN/test.k8s.local/store";
    let spec = "$TMP/kopsflow-RUN/test.k8s.local/test.k8s.local.yaml";
    assert_eq!(
        run.argv(),
        [
            "version".to_owned(),
            "get cluster test.k8s.local -o yaml --state file:///srv/kstate".to_owned(),
            "get instancegroups --name test.k8s.local -o yaml --state file:///srv/kstate"
                .to_owned(),
            format!("replace -f {spec} --state {store} --force"),
            format!("update cluster test.k8s.local --state {store}"),
        ]
    );
    // While kops ran: the store held production's config + instance groups, configBase still
    // pointing at production, and the spec handed to kops had configBase injected, three
    // documents and no trailing `---`.
    let replace = run.call_details(4);
    for expected in [
        "store-file: ./test.k8s.local/config",
        "store-file: ./test.k8s.local/instancegroup/control-plane-us-east-1a",
        "store-file: ./test.k8s.local/instancegroup/nodes-us-east-1a",
        "store-configBase: configBase: /srv/kstate/test.k8s.local",
        "spec-configBase: configBase: /srv/kstate/test.k8s.local",
        "spec-documents: 3",
    ] {
        assert!(
            replace.iter().any(|l| l == expected),
            "{expected:?} not in {replace:#?}"
        );
    }
    assert!(
        !replace.iter().any(|l| l == "spec-trailing-separator"),
        "{replace:#?}"
    );
    assert!(run.argv().iter().all(|a| !mutating(a)));
    assert!(
        run.tmp_left.is_empty(),
        "work dir left behind: {:?}",
        run.tmp_left
    );
    insta::assert_snapshot!("feature_branch_plan", run.settled_stdout(&test));
    run.assert_no_secret();
}

#[test]
fn main_branch_deploy_applies_in_order() {
    let test = Test::new();
    let run = test.run(&["deploy"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let spec = "$TMP/kopsflow-RUN/test.k8s.local/test.k8s.local.yaml";
    assert_eq!(
        run.argv(),
        [
            "version".to_owned(),
            "get cluster test.k8s.local -o yaml --state file:///srv/kstate".to_owned(),
            "get instancegroups --name test.k8s.local -o yaml --state file:///srv/kstate"
                .to_owned(),
            format!("replace -f {spec} --state file:///srv/kstate --force"),
            // The kubeconfig after the update: a new cluster has no CA before it.
            "update cluster test.k8s.local --state file:///srv/kstate --yes".to_owned(),
            "export kubecfg test.k8s.local --state file:///srv/kstate --admin".to_owned(),
            "rolling-update cluster test.k8s.local --state file:///srv/kstate".to_owned(),
        ]
    );
    assert!(run.call_details(4).iter().any(|l| l == "spec-documents: 3"));
    insta::assert_snapshot!("main_branch_deploy", run.settled_stdout(&test));
    assert!(run.tmp_left.is_empty());
    // The rolling update is needed (real NeedsUpdate table): 2 with --detailed-exitcode.
    let run = test.run(&["deploy", "--detailed-exitcode", "--cloudonly"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.argv().last().unwrap().ends_with("--cloudonly"));
    let run = test.run_with(
        &[(
            "KOPS_STANDIN_ROLLING",
            "rolling-update-table.no-update.cloudonly.REAL.kops-1.29.2.stdout.txt",
        )],
        &["deploy", "--detailed-exitcode", "--cloudonly"],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
}

#[test]
fn deploy_on_a_feature_branch_changes_nothing() {
    let test = Test::new().feature_branch();
    let run = test.run(&["deploy"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    insta::assert_snapshot!("deploy_on_feature_branch_stderr", run.settled_stderr(&test));
    assert_eq!(run.argv(), ["version"], "only the version is read");
    let run = test.run(&["rolling-update", "--cluster", CLUSTER, "--yes"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.argv().iter().all(|a| !mutating(a)), "{:?}", run.argv());
}

#[test]
fn deploy_refuses_uncommitted_changes() {
    let test = Test::new();
    std::fs::write(test.repo().join("cluster-spec/notes.txt"), "wip").unwrap();
    let run = test.run(&["deploy"]);
    assert_eq!(run.code(), 1);
    insta::assert_snapshot!("deploy_uncommitted_stderr", run.settled_stderr(&test));
    assert!(run.argv().iter().all(|a| !mutating(a)));
}

#[test]
fn a_failing_step_stops_the_cluster_and_is_named() {
    let test = Test::new().feature_branch();
    // Call 1 is `kops version`; calls 2..=5 are the plan's kops steps.
    let steps = [
        "get cluster",
        "get instancegroups",
        "replace",
        "update cluster",
    ];
    for (i, name) in steps.iter().enumerate() {
        let call = i + 2;
        let run = test.run_with(&[("KOPS_STANDIN_FAIL_AT", &call.to_string())], &["plan"]);
        assert_eq!(run.code(), 1, "fail at {call}: {}", run.stderr());
        assert_eq!(
            run.argv().len(),
            call,
            "later steps ran after call {call}: {:?}",
            run.argv()
        );
        // The step named, and kops's own message (the real recorded stderr) shown.
        insta::assert_snapshot!(
            format!("failing_step_{}_stderr", name.replace(' ', "_")),
            run.settled_stderr(&test)
        );
        assert!(
            run.tmp_left.is_empty(),
            "work dir left after failure at {call}"
        );
    }
}

#[test]
fn a_hanging_kops_times_out() {
    let test = Test::new()
        .feature_branch()
        .env("KOPS_STANDIN_HANG_AT", "5");
    let started = std::time::Instant::now();
    let run = test.run(&["plan", "--timeout", "2s"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    insta::assert_snapshot!("hanging_kops_stderr", run.settled_stderr(&test));
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert!(run.tmp_left.is_empty());
}

#[test]
fn a_new_cluster_is_a_plan_not_an_error() {
    let test = Test::new()
        .feature_branch()
        .env("KOPS_STANDIN_NEW_CLUSTER", "1")
        .env(
            "KOPS_STANDIN_UPDATE",
            "update-cluster-dryrun.create-all.REAL.kops-1.29.2.stdout.txt",
        );
    let run = test.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let argv = run.argv();
    assert!(
        !argv.iter().any(|a| a.starts_with("get instancegroups")),
        "{argv:?}"
    );
    assert!(argv
        .last()
        .unwrap()
        .starts_with("update cluster test.k8s.local --state file://$TMP"));
    // The store started empty: kops replace --force creates everything.
    assert!(!run
        .call_details(3)
        .iter()
        .any(|l| l.starts_with("store-file")));
    insta::assert_snapshot!("new_cluster_plan", run.settled_stdout(&test));
}

#[test]
fn an_instance_group_removed_from_git_is_left_out_and_listed() {
    let test = Test::new();
    test.git(&["checkout", "-q", "-b", "feature/drop-nodes"]);
    let spec = test.read_spec();
    let (start, end) = nodes_ig_doc(&spec);
    let end = (end + 4).min(spec.len()); // with its `---` line
    test.write_spec(&format!("{}{}", &spec[..start], &spec[end..]));
    test.git(&["commit", "-q", "-am", "drop nodes"]);
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let replace = run.call_details(4);
    assert!(
        replace
            .iter()
            .any(|l| l.ends_with("instancegroup/control-plane-us-east-1a")),
        "{replace:#?}"
    );
    assert!(
        !replace
            .iter()
            .any(|l| l.ends_with("instancegroup/nodes-us-east-1a")),
        "{replace:#?}"
    );
    insta::assert_snapshot!("instance_group_removed_plan", run.settled_stdout(&test));
}

#[test]
fn detailed_exitcode_per_outcome() {
    let test = Test::new().feature_branch();
    assert_eq!(
        test.run(&["plan", "--detailed-exitcode"]).code(),
        2,
        "changes pending"
    );
    assert_eq!(test.run(&["plan"]).code(), 0, "without the flag");
    let main = Test::new().env(
        "KOPS_STANDIN_UPDATE",
        "update-cluster-dryrun.no-changes.REAL.kops-1.29.2.stdout.txt",
    );
    let run = main.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(run.code(), 0, "nothing pending: {}", run.stdout());
    let failing = Test::new().env("KOPS_STANDIN_FAIL_AT", "2");
    assert_eq!(
        failing.run(&["plan", "--detailed-exitcode"]).code(),
        1,
        "error"
    );
}

#[test]
fn api_unreachable_is_named() {
    let test = Test::new().env("KOPS_STANDIN_API_UNREACHABLE", "1");
    let run = test.run(&["rolling-update", "--cluster", CLUSTER]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    insta::assert_snapshot!("api_unreachable_stderr", run.settled_stderr(&test));
}

#[test]
fn secrets_never_appear_in_output() {
    let test = Test::new().feature_branch().env("KOPS_STANDIN_LEAK", "1");
    let run = test.run(&["plan", "--format", "markdown"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr().contains("debug: signing with ***"),
        "the leak was redacted, not absent"
    );
    run.assert_no_secret();
    // The stand-in saw the credentials' names: the environment was passed through.
    assert!(run
        .call_details(2)
        .iter()
        .any(|l| l.contains("AWS_SECRET_ACCESS_KEY")));
}

/// The secret where kops could print it — in a field value, in a line the parser does not
/// understand, in an error — never reaches stdout, stderr or the step summary, in any format.
#[test]
fn secrets_in_kops_output_are_redacted_in_every_format_and_file() {
    for leak in ["value", "unparsed", "error"] {
        for format in ["text", "markdown", "json"] {
            let test = Test::new().feature_branch().env("KOPS_STANDIN_LEAK", leak);
            let summary = test.path("step-summary.md");
            let test = test.env("GITHUB_STEP_SUMMARY", &summary.display().to_string());
            let run = test.run(&["plan", "--format", format]);
            if leak == "value" {
                assert_eq!(run.code(), 0, "{leak} {format}: {}", run.stderr());
                assert!(
                    run.stdout().contains("AWS_SECRET_ACCESS_KEY=***"),
                    "{leak} {format}: the value is shown, redacted:\n{}",
                    run.stdout()
                );
            }
            if leak == "error" {
                assert_eq!(run.code(), 1, "{leak} {format}");
                assert!(
                    run.stderr().contains("with key ***"),
                    "{leak} {format}: the error is shown, redacted:\n{}",
                    run.stderr()
                );
            }
            run.assert_no_secret();
            let written = std::fs::read_to_string(&summary).unwrap_or_default();
            assert!(
                !written.contains(SECRET),
                "{leak} {format}: $GITHUB_STEP_SUMMARY leaks the secret:\n{written}"
            );
        }
    }
}

#[test]
fn markdown_and_json_summaries() {
    let test = Test::new().feature_branch();
    let md = test.run(&["plan", "--format", "markdown"]);
    assert_eq!(md.code(), 0, "{}", md.stderr());
    insta::assert_snapshot!("plan_markdown", md.normalize(&md.stdout()));
    let json = test.run(&["plan", "--format", "json"]);
    assert_eq!(json.code(), 0, "{}", json.stderr());
    let value: serde_json::Value =
        serde_json::from_str(&json.stdout()).expect("stdout is pure JSON");
    assert_eq!(value["schema_version"], 1);
    insta::assert_snapshot!("plan_json", json.normalize(&json.stdout()));
}

#[test]
fn github_step_summary_gets_markdown() {
    let test = Test::new().feature_branch();
    let summary = test.path("step-summary.md");
    let test = test.env("GITHUB_STEP_SUMMARY", &summary.display().to_string());
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let text = std::fs::read_to_string(summary).unwrap();
    insta::assert_snapshot!("github_step_summary", run.settle(&test, &text));
}

#[test]
fn missing_kops_names_the_three_ways() {
    let test = Test::new().feature_branch();
    std::fs::remove_file(test.path("bin/kops")).unwrap();
    let test = test.env("PATH", "/usr/bin:/bin");
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 1);
    insta::assert_snapshot!("missing_kops_stderr", run.settled_stderr(&test));
}

#[test]
fn usage_errors_exit_1_not_2() {
    let test = Test::new();
    let run = test.run(&["plan", "--no-such-flag"]);
    assert_eq!(run.code(), 1, "2 would read as 'changes pending'");
    assert_eq!(test.run(&["plan", "--format", "yaml"]).code(), 1);
    let run = test.run(&["plan", "--timeout", "5q"]);
    assert_eq!(run.code(), 1, "a bad --timeout is a usage error");
    insta::assert_snapshot!("bad_timeout_stderr", run.settled_stderr(&test));
    let help = test.run(&["plan", "--help"]);
    assert_eq!(help.code(), 0);
    for flag in [
        "--print",
        "--branch",
        "--cluster",
        "--format",
        "--detailed-exitcode",
        "--all",
        "--kops",
        "--timeout",
    ] {
        assert!(
            help.stdout().contains(flag),
            "{flag} missing from plan --help"
        );
    }
    let help = test.run(&["rolling-update", "--help"]).stdout();
    for flag in ["--yes", "--cloudonly", "--instance-group", "--cluster"] {
        assert!(
            help.contains(flag),
            "{flag} missing from rolling-update --help"
        );
    }
}

#[test]
fn a_failing_deploy_step_stops_before_applying() {
    let test = Test::new();
    // Call 4 is `kops replace` into production (step 5, after the drift check): update --yes
    // and rolling-update must not run.
    let run = test.run_with(&[("KOPS_STANDIN_FAIL_AT", "4")], &["deploy"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(run.argv().len(), 4, "{:?}", run.argv());
    assert!(!run.argv().iter().any(|a| a.contains("--yes")));
    insta::assert_snapshot!("failing_deploy_step_stderr", run.settled_stderr(&test));
    assert!(run.tmp_left.is_empty());
}

#[test]
fn sigterm_stops_kops_and_cleans_up() {
    let test = Test::new()
        .feature_branch()
        .env("KOPS_STANDIN_HANG_AT", "5");
    let child = test
        .command(&["plan"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let count = test.path("standin/count");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read_to_string(&count)
        .map(|c| c.trim() != "5")
        .unwrap_or(true)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "kops call 5 never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(test.path("tmp")).unwrap().collect();
    assert!(left.is_empty(), "work dir left after SIGTERM");
}
