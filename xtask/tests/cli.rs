//! Integration tests: the real `xtask` binary in a temp workspace holding a real git repository
//! (main + a feature branch) and a cluster spec, with the kops stand-in (`kops-standin.sh`)
//! first on PATH. The stand-in records every call and replays real recorded kops output. The
//! harness is in `support/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "cli/ci.rs"]
mod ci;
#[path = "cli/converge.rs"]
mod converge;
#[path = "cli/docs.rs"]
mod docs;
#[path = "cli/drift.rs"]
mod drift;
#[path = "cli/guards.rs"]
mod guards;
#[path = "cli/leaks.rs"]
mod leaks;
#[path = "cli/ops.rs"]
mod ops;
#[path = "cli/pin.rs"]
mod pin;
#[path = "cli/policy.rs"]
mod policy;
#[path = "cli/record.rs"]
mod record;
#[path = "cli/status.rs"]
mod status;
mod support;

use std::process::Command;

use support::{mutating, nodes_ig_doc, Test, CLUSTER, SECRET};

#[test]
fn validate_accepts_the_spec() {
    let run = Test::new().run(&["validate"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stdout().contains("ok: cluster-spec/test.k8s.local.yml"));
    assert!(run.argv().is_empty());
}

#[test]
fn invalid_spec_exits_1_names_file_and_line_and_runs_no_kops() {
    let test = Test::new().feature_branch();
    // The classic export recipe's bug: Cluster and InstanceGroup concatenated without `---`.
    test.write_spec(&test.read_spec().replacen("---\n", "", 1));
    for args in [
        &["validate"][..],
        &["plan"],
        &["deploy", "--branch", "main"],
        &["plan", "--print"],
    ] {
        let run = test.run(args);
        assert_eq!(run.code(), 1, "{args:?}: {}", run.stderr());
        let err = run.stderr();
        assert!(err.contains("cluster-spec/test.k8s.local.yml:"), "{err}");
        assert!(
            err.contains("`---`"),
            "the hint names the missing separator: {err}"
        );
        assert!(err.contains("nothing was sent to kops"), "{err}");
        assert!(!err.contains("error: error:"), "said once: {err}");
        assert!(run.argv().is_empty(), "{args:?} ran kops: {:?}", run.argv());
    }
}

#[test]
fn print_runs_nothing() {
    let test = Test::new().feature_branch();
    let run = test.run(&["plan", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stdout().contains("Plan for branch 'feature/x'"),
        "{}",
        run.stdout()
    );
    assert!(run
        .stdout()
        .contains("kops update cluster test.k8s.local --state file://"));
    assert!(run.argv().is_empty());
    let run = test.run(&["deploy", "--print", "--branch", "master"]);
    assert!(run
        .stdout()
        .contains("kops update cluster test.k8s.local --state file:///srv/kstate --yes"));
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
    let out = run.stdout();
    assert!(out.contains("spec.maxSize: 1 → 3"), "{out}");
    assert!(
        out.contains("AutoscalingGroup/nodes-us-east-1a.demo1.k8s.local"),
        "{out}"
    );
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
    assert!(
        run.stdout().contains("nodes-us-east-1a"),
        "{}",
        run.stdout()
    );
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
    assert!(
        run.stderr()
            .contains("Deploy: skipped — branch 'feature/x' does not match"),
        "{}",
        run.stderr()
    );
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
    assert!(
        run.stderr().contains("uncommitted changes"),
        "{}",
        run.stderr()
    );
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
        let err = run.stderr();
        assert!(err.contains("stage Test, step"), "{err}");
        assert!(err.contains(&format!("kops {name}")), "{name}: {err}");
        assert!(err.contains("exit status 1"), "{err}");
        // kops's own message (the real recorded stderr) is shown.
        assert!(
            err.contains("does not exist (try adding --force flag)"),
            "{err}"
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
    assert!(run.stderr().contains("timed out after"), "{}", run.stderr());
    assert!(
        run.stderr().contains("kops update cluster"),
        "{}",
        run.stderr()
    );
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
    assert!(
        run.stdout().to_lowercase().contains("new cluster"),
        "{}",
        run.stdout()
    );
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
    let out = run.stdout();
    assert!(out.contains("nodes-us-east-1a"), "{out}");
    assert!(out.contains("kops replace does not delete it"), "{out}");
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
    assert!(
        run.stderr().contains("cannot reach the Kubernetes API"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("--cloudonly"));
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
    assert!(
        text.contains("test.k8s.local") && text.contains('|'),
        "{text}"
    );
}

#[test]
fn missing_kops_names_the_three_ways() {
    let test = Test::new().feature_branch();
    std::fs::remove_file(test.path("bin/kops")).unwrap();
    let run = test.env("PATH", "/usr/bin:/bin").run(&["plan"]);
    assert_eq!(run.code(), 1);
    let err = run.stderr();
    assert!(
        err.contains("--kops") && err.contains("$KOPS") && err.contains("PATH"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_1_not_2() {
    let test = Test::new();
    let run = test.run(&["plan", "--no-such-flag"]);
    assert_eq!(run.code(), 1, "2 would read as 'changes pending'");
    assert_eq!(test.run(&["plan", "--format", "yaml"]).code(), 1);
    let run = test.run(&["plan", "--timeout", "5q"]);
    assert_eq!(run.code(), 1, "a bad --timeout is a usage error");
    let err = run.stderr();
    assert!(
        err.contains("--timeout") && err.contains("unknown unit \"q\""),
        "{err}"
    );
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
    assert!(
        run.stderr().contains("stage Deploy, step 5/"),
        "{}",
        run.stderr()
    );
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

// --- Locks and clusters in parallel -------------------------------------------------------------

use support::{blocks_in_order, overlap, wait_for, Call};

/// The calls of `caller` that need the cluster's lock: all but `kops version`.
fn locked_calls(calls: &[Call], caller: u32) -> Vec<Call> {
    calls
        .iter()
        .filter(|c| c.caller == caller && c.argv != "version")
        .cloned()
        .collect()
}

#[test]
fn concurrent_deploys_of_one_cluster_never_overlap() {
    let test = Test::new();
    let gate = test.path("standin/open");
    let gate_knob = format!("update {}", gate.display());
    // A takes the lock and stops inside `kops update cluster --yes` until the gate opens.
    let a = test.spawn("a", &[("KOPS_STANDIN_GATE", &gate_knob)], &["deploy"]);
    wait_for("deploy A inside kops update", || {
        test.calls()
            .iter()
            .any(|c| c.caller == a.pid() && c.argv.starts_with("update cluster"))
    });
    let record = std::fs::read_to_string(test.lock_file(CLUSTER)).unwrap();
    assert!(record.contains(&format!("\npid={}\n", a.pid())), "{record}");

    // B gives up after its --lock-timeout, naming the holder, having run nothing but `version`.
    let b = test.spawn("b", &[], &["deploy", "--lock-timeout", "1s"]);
    let b_pid = b.pid();
    let b = b.finish();
    assert_eq!(b.code, Some(1), "{}", b.stderr);
    for expected in [
        format!(
            "cluster {CLUSTER} is locked by another run: pid {} on host ",
            a.pid()
        ),
        format!("(deploy of commit {}), since ", test.head()),
        " UTC (".to_owned(),
        "--lock-timeout".to_owned(),
    ] {
        assert!(
            b.stderr.contains(&expected),
            "{expected:?} not in:\n{}",
            b.stderr
        );
    }
    assert!(locked_calls(&test.calls(), b_pid).is_empty());

    // C waits (default --lock-timeout 5m), and runs once A is done.
    let c = test.spawn("c", &[], &["deploy"]);
    let waiting = format!(
        "waiting up to 5m00s for the lock on {CLUSTER}, held by pid {}",
        a.pid()
    );
    wait_for("deploy C waiting for the lock", || {
        c.stderr_so_far().contains(&waiting)
    });
    std::fs::write(&gate, "").unwrap();
    let (a_pid, c_pid) = (a.pid(), c.pid());
    let (a, c) = (a.finish(), c.finish());
    assert_eq!(a.code, Some(0), "{}", a.stderr);
    assert_eq!(c.code, Some(0), "{}", c.stderr);

    // The stand-in's clock: every call of A against the cluster ended before C's first began,
    // and no two mutating calls of the two runs overlap.
    let calls = test.calls();
    let (a_calls, c_calls) = (locked_calls(&calls, a_pid), locked_calls(&calls, c_pid));
    assert_eq!((a_calls.len(), c_calls.len()), (6, 6), "{calls:#?}");
    let a_end = a_calls.iter().map(|c| c.span().1).fold(0.0, f64::max);
    let c_start = c_calls
        .iter()
        .map(|c| c.start)
        .fold(f64::INFINITY, f64::min);
    assert!(
        a_end <= c_start,
        "C started at {c_start}, A ended at {a_end}: {calls:#?}"
    );
    for x in a_calls.iter().filter(|c| mutating(&c.argv)) {
        for y in c_calls.iter().filter(|c| mutating(&c.argv)) {
            assert!(!overlap(x.span(), y.span()), "{x:?} overlaps {y:?}");
        }
    }
    assert!(c_calls.iter().filter(|c| mutating(&c.argv)).count() >= 2);
    assert!(
        !test.lock_file(CLUSTER).exists(),
        "the lock was not released"
    );
}

#[test]
fn the_lock_is_released_after_a_failure_and_after_sigterm() {
    let test = Test::new();
    let lock = test.lock_file(CLUSTER);
    let run = test.run_with(&[("KOPS_STANDIN_FAIL_AT", "4")], &["deploy"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(run.stderr().contains("lock taken"), "{}", run.stderr());
    assert!(!lock.exists(), "the lock outlived a failed deploy");
    // The next run gets it at once, with nothing stale to take over.
    let run = test.run(&["deploy", "--lock-timeout", "0s"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(!run.stderr().contains("stale"), "{}", run.stderr());

    let gate = format!("update {}", test.path("standin/never").display());
    test.reset_standin();
    let a = test.spawn("a", &[("KOPS_STANDIN_GATE", &gate)], &["deploy"]);
    wait_for("deploy inside kops update", || {
        test.calls()
            .iter()
            .any(|c| c.argv.starts_with("update cluster"))
    });
    assert!(lock.exists());
    a.signal("TERM");
    let a = a.finish();
    assert_eq!(a.code, Some(1), "{}", a.stderr);
    assert!(a.stderr.contains("interrupted"), "{}", a.stderr);
    assert!(!lock.exists(), "the lock outlived SIGTERM");
    let left: Vec<_> = std::fs::read_dir(test.path("tmp")).unwrap().collect();
    assert!(left.is_empty(), "work dir left after SIGTERM");
    let run = test.run(&["deploy", "--lock-timeout", "0s"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(!run.stderr().contains("stale"), "{}", run.stderr());

    // --lock-dir moves the lock; previews take none.
    let dir = test.path("locks");
    let dir = dir.display().to_string();
    let run = test.run(&["deploy", "--lock-dir", &dir]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr()
            .contains(&format!("lock taken ({dir}/{CLUSTER}.lock)")),
        "{}",
        run.stderr()
    );
    for args in [&["plan"][..], &["rolling-update", "--cluster", CLUSTER]] {
        let run = test.run(args);
        assert!(!run.stderr().contains("lock"), "{args:?}: {}", run.stderr());
    }
}

#[test]
fn a_stale_lock_is_reported_and_taken_over() {
    let test = Test::new();
    let gate = format!("update {}", test.path("standin/never").display());
    let a = test.spawn("a", &[("KOPS_STANDIN_GATE", &gate)], &["deploy"]);
    wait_for("deploy inside kops update", || {
        test.calls()
            .iter()
            .any(|c| c.argv.starts_with("update cluster"))
    });
    // SIGKILL: no cleanup at all, the lock stays behind with a pid that no longer runs.
    a.signal("KILL");
    let a_pid = a.pid();
    assert_eq!(a.finish().code, None);
    assert!(test.lock_file(CLUSTER).exists());
    let run = test.run(&["deploy", "--lock-timeout", "0s"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let expected = format!("stale lock on {CLUSTER}: pid {a_pid} on host ");
    assert!(run.stderr().contains(&expected), "{}", run.stderr());
    assert!(
        run.stderr().contains(&format!(
            "no longer runs (no process has pid {a_pid}); taken over"
        )),
        "{}",
        run.stderr()
    );
    assert!(run.argv().iter().any(|a| a.contains("--yes")));
    assert!(!test.lock_file(CLUSTER).exists());
}

const FOUR: [&str; 4] = ["a.k8s.local", "b.k8s.local", "c.k8s.local", CLUSTER];

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).expect("stdout is JSON")
}

/// `(cluster, status, error)` of every cluster of a JSON summary, in its order.
fn statuses(summary: &serde_json::Value) -> Vec<(String, String, String)> {
    summary["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["cluster"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
                c["error"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// The most clusters whose kops calls overlap at one moment.
fn most_at_once(calls: &[Call], clusters: &[&str]) -> usize {
    let spans: Vec<(f64, f64)> = clusters
        .iter()
        .filter_map(|cluster| {
            let mine: Vec<&Call> = calls.iter().filter(|c| c.is_for(cluster)).collect();
            let start = mine.iter().map(|c| c.start).reduce(f64::min)?;
            let end = mine.iter().map(|c| c.span().1).reduce(f64::max)?;
            Some((start, end))
        })
        .collect();
    // The count is highest at some span's start.
    spans
        .iter()
        .map(|s| spans.iter().filter(|t| t.0 <= s.0 && s.0 < t.1).count())
        .max()
        .unwrap_or(0)
}

#[test]
fn plan_jobs_2_runs_two_at_a_time_with_whole_blocks_and_a_full_summary() {
    let test = Test::new();
    test.add_clusters(&FOUR[..3]);
    // The first two clusters meet inside `kops get cluster`: both run at once. b fails there.
    let run = test.run_with(
        &[
            ("KOPS_STANDIN_BARRIER", "get cluster 2"),
            ("KOPS_STANDIN_FAIL_CLUSTER", "b.k8s.local"),
        ],
        &["plan", "--all", "--jobs", "2", "--format", "json"],
    );
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let summary = statuses(&json(&run.stdout()));
    let names: Vec<&str> = summary.iter().map(|(c, _, _)| c.as_str()).collect();
    assert_eq!(
        names, FOUR,
        "the summary lists every cluster in selection order"
    );
    for (cluster, status, error) in &summary {
        if cluster == "b.k8s.local" {
            assert_eq!(status, "error");
            assert!(error.contains("stage Test, step 1/"), "{error}");
        } else {
            // The replayed dry-run report has changes.
            assert_eq!(status, "changes_pending", "{cluster}: {error}");
        }
    }
    let stderr = run.stderr();
    let mut blocks = blocks_in_order(&stderr, "==> 4 clusters, up to 2 at a time", &FOUR);
    blocks.sort_unstable();
    assert_eq!(blocks, FOUR, "every cluster has one block:\n{stderr}");
    assert!(stderr.contains("==> b.k8s.local: failed after"), "{stderr}");
    assert!(stderr.contains("==> a.k8s.local: ok after"), "{stderr}");
    assert!(stderr.contains("1 of 4 cluster(s) failed:"), "{stderr}");
    let calls = run.argv();
    for cluster in FOUR {
        let update = format!("update cluster {cluster} --state file://");
        assert_eq!(
            cluster != "b.k8s.local",
            calls.iter().any(|c| c.starts_with(&update))
        );
    }
    assert_eq!(
        most_at_once(&test.calls(), &FOUR),
        2,
        "--jobs 2: two at a time, never more"
    );
    assert!(run.tmp_left.is_empty(), "{:?}", run.tmp_left);
    assert!(!test.repo().join("target").exists(), "plan takes no lock");
    assert_eq!(test.run(&["plan", "--jobs", "0"]).code(), 1);
}

#[test]
fn deploy_jobs_2_starts_no_cluster_after_a_failure_unless_keep_going() {
    let test = Test::new();
    test.add_clusters(&FOUR[..3]);
    // a and b start together; a fails at once, so its worker's next clusters are not started.
    let env = [
        ("KOPS_STANDIN_BARRIER", "get cluster 2"),
        ("KOPS_STANDIN_FAIL_CLUSTER", "a.k8s.local"),
    ];
    let args = ["deploy", "--all", "--jobs", "2", "--format", "json"];
    let run = test.run_with(&env, &args);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let summary = statuses(&json(&run.stdout()));
    let not_run = "not run: an earlier cluster failed";
    let expected = [
        ("a.k8s.local", "error"),
        // Deployed: `update --yes` succeeded.
        ("b.k8s.local", "applied"),
        ("c.k8s.local", "error"),
        (CLUSTER, "error"),
    ];
    for ((cluster, status, error), (want_cluster, want_status)) in summary.iter().zip(expected) {
        assert_eq!(
            (cluster.as_str(), status.as_str()),
            (want_cluster, want_status),
            "{error}"
        );
    }
    assert_eq!(summary.len(), 4);
    assert_eq!(
        (summary[2].2.as_str(), summary[3].2.as_str()),
        (not_run, not_run)
    );
    let calls = test.calls();
    assert!(
        !calls
            .iter()
            .any(|c| c.is_for("c.k8s.local") || c.is_for(CLUSTER)),
        "{calls:#?}"
    );
    assert!(calls
        .iter()
        .any(|c| c.is_for("b.k8s.local") && c.argv.contains("--yes")));
    let stderr = run.stderr();
    assert!(
        stderr.contains(&format!(
            "1 of 4 cluster(s) failed; 2 not run: c.k8s.local, {CLUSTER}:"
        )),
        "{stderr}"
    );
    let mut blocks = blocks_in_order(&stderr, "==> 4 clusters, up to 2 at a time", &FOUR);
    blocks.sort_unstable();
    assert_eq!(blocks, ["a.k8s.local", "b.k8s.local"], "{stderr}");
    // Each cluster's kops wrote its own kubeconfig, in its own work dir.
    let kubeconfigs: Vec<String> = calls
        .iter()
        .filter(|c| c.argv.starts_with("export kubecfg"))
        .map(|c| run.normalize(c.kubeconfig.as_deref().unwrap_or("none")))
        .collect();
    assert_eq!(kubeconfigs, ["$TMP/kopsflow-RUN/b.k8s.local/kubeconfig"]);

    let run = test.run_with(&env, &[&args[..], &["--keep-going"]].concat());
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let summary = statuses(&json(&run.stdout()));
    let failed: Vec<&str> = summary
        .iter()
        .filter(|(_, status, _)| status == "error")
        .map(|(c, _, _)| c.as_str())
        .collect();
    assert_eq!(failed, ["a.k8s.local"], "{summary:?}");
    let mut kubeconfigs: Vec<String> = test
        .calls()
        .iter()
        .filter(|c| c.argv.starts_with("export kubecfg"))
        .map(|c| run.normalize(c.kubeconfig.as_deref().unwrap_or("none")))
        .collect();
    kubeconfigs.sort();
    assert_eq!(
        kubeconfigs,
        FOUR[1..]
            .iter()
            .map(|c| format!("$TMP/kopsflow-RUN/{c}/kubeconfig"))
            .collect::<Vec<_>>()
    );
    assert!(run.tmp_left.is_empty());
}

#[test]
fn sigterm_stops_every_parallel_cluster_and_cleans_up() {
    let test = Test::new();
    test.add_clusters(&FOUR[..3]);
    let gate = format!("update {}", test.path("standin/never").display());
    let run = test.spawn(
        "plan",
        &[("KOPS_STANDIN_GATE", &gate)],
        &["plan", "--all", "--jobs", "2", "--format", "json"],
    );
    wait_for("two clusters inside kops update", || {
        test.calls()
            .iter()
            .filter(|c| c.argv.starts_with("update"))
            .count()
            == 2
    });
    run.signal("TERM");
    let run = run.finish();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let summary = statuses(&json(&run.stdout));
    assert_eq!(summary.len(), 4);
    assert!(
        summary.iter().all(|(_, status, _)| status == "error"),
        "{summary:?}"
    );
    let not_run = summary
        .iter()
        .filter(|(_, _, e)| e == "not run: interrupted")
        .count();
    assert_eq!(not_run, 2, "{summary:?}");
    let left: Vec<_> = std::fs::read_dir(test.path("tmp")).unwrap().collect();
    assert!(left.is_empty(), "work dirs left after SIGTERM");
    // Both kops processes were stopped.
    for call in test.calls().iter().filter(|c| c.argv.starts_with("update")) {
        let alive = Command::new("kill")
            .args(["-0", &call.pid.to_string()])
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(!alive, "kops (pid {}) still runs", call.pid);
    }
}

// Cluster selection: by default, the clusters whose spec file changed.

const OTHER: &str = "other.k8s.local";

/// main holds two clusters, CLUSTER and OTHER; HEAD is `feature/x`, with nothing on it yet.
fn two_clusters() -> Test {
    let test = Test::new();
    test.add_cluster(OTHER);
    test.commit("other cluster");
    test.git(&["checkout", "-q", "-b", "feature/x"]);
    test
}

/// The stand-in replays CLUSTER's production state for any name: for other clusters it must
/// say "not found" (a new cluster, planned as one).
fn as_new_clusters(test: Test) -> Test {
    test.env("KOPS_STANDIN_NEW_CLUSTER", "1").env(
        "KOPS_STANDIN_UPDATE",
        "update-cluster-dryrun.create-all.REAL.kops-1.29.2.stdout.txt",
    )
}

#[test]
fn only_the_modified_cluster_is_planned() {
    let test = two_clusters();
    test.modify(CLUSTER).commit("test: nodes maxSize");
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [CLUSTER], "{:?}", run.argv());
    assert!(
        !run.argv().iter().any(|a| a.contains(OTHER)),
        "{:?}",
        run.argv()
    );
    let err = run.stderr();
    assert!(
        err.contains("Selected 1 cluster: spec files changed in main...HEAD ("),
        "{err}"
    );
    assert!(
        err.contains("  test.k8s.local: M cluster-spec/test.k8s.local.yml"),
        "{err}"
    );
    // And the other one alone.
    let test = as_new_clusters(two_clusters());
    test.modify(OTHER).commit("other: nodes maxSize");
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [OTHER], "{:?}", run.argv());
    assert!(
        !run.argv().iter().any(|a| a.contains(CLUSTER)),
        "{:?}",
        run.argv()
    );
}

#[test]
fn an_added_cluster_is_planned() {
    let test = as_new_clusters(Test::new());
    test.git(&["checkout", "-q", "-b", "feature/new"]);
    test.add_cluster(OTHER).commit("a new cluster");
    let run = test.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        run.code(),
        2,
        "a new cluster is a pending change: {}",
        run.stderr()
    );
    assert_eq!(run.clusters(), [OTHER], "{:?}", run.argv());
    let err = run.stderr();
    assert!(
        err.contains("  other.k8s.local: A cluster-spec/other.k8s.local.yml"),
        "{err}"
    );
}

#[test]
fn a_renamed_spec_selects_the_new_name() {
    let test = as_new_clusters(Test::new());
    test.git(&["checkout", "-q", "-b", "feature/rename"]);
    let renamed = "renamed.k8s.local";
    test.git(&["mv", &Test::spec_file(CLUSTER), &Test::spec_file(renamed)]);
    std::fs::write(
        test.repo().join(Test::spec_file(renamed)),
        Test::spec_for(renamed),
    )
    .unwrap();
    test.commit("rename the cluster");
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [renamed], "{:?}", run.argv());
    let err = run.stderr();
    let change = "R cluster-spec/test.k8s.local.yml -> cluster-spec/renamed.k8s.local.yml";
    assert!(err.contains(&format!("  {renamed}: {change}")), "{err}");
    // The old name has no spec left: reported, never deleted.
    assert!(
        err.contains(&format!("  {change}: spec removed; kopsflow never deletes clusters — run `kops delete cluster {CLUSTER}` deliberately")),
        "{err}"
    );
    assert!(run.argv().iter().all(|a| !mutating(a)), "{:?}", run.argv());
}

#[test]
fn a_deleted_spec_is_reported_and_ignored() {
    let test = two_clusters();
    test.git(&["rm", "-q", &Test::spec_file(OTHER)]);
    test.commit("retire other");
    for args in [&["plan"][..], &["plan", "--print"]] {
        let run = test.run(args);
        assert_eq!(run.code(), 0, "{args:?}: {}", run.stderr());
        assert!(run.argv().is_empty(), "{args:?}: {:?}", run.argv());
        let shown = format!("{}{}", run.stdout(), run.stderr());
        assert!(
            shown.contains("Ignored:\n  D cluster-spec/other.k8s.local.yml: spec removed; kopsflow never deletes clusters — run `kops delete cluster other.k8s.local` deliberately"),
            "{args:?}: {shown}"
        );
        assert!(
            run.stdout()
                .contains("No cluster spec was added, modified or renamed in main...HEAD"),
            "{args:?}: {}",
            run.stdout()
        );
    }
    // Beside a change, the removal is still reported, and only the changed cluster is planned.
    test.modify(CLUSTER).commit("test: nodes maxSize");
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [CLUSTER]);
    assert!(run
        .stderr()
        .contains("D cluster-spec/other.k8s.local.yml: spec removed"));
    assert!(run.argv().iter().all(|a| !mutating(a)));
}

#[test]
fn two_changed_clusters_are_both_planned() {
    let test = as_new_clusters(two_clusters());
    test.modify(CLUSTER);
    test.modify(OTHER).commit("both: nodes maxSize");
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(
        run.clusters(),
        [OTHER, CLUSTER],
        "spec-file order: {:?}",
        run.argv()
    );
    assert!(run
        .stderr()
        .contains("Selected 2 clusters: spec files changed in main...HEAD"));
}

#[test]
fn nothing_changed_exits_0_without_calling_kops() {
    let test = two_clusters();
    let run = test.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.argv().is_empty(),
        "not even kops version: {:?}",
        run.argv()
    );
    let line = "No cluster spec changed in main...HEAD (";
    assert!(run.stdout().starts_with(line), "{}", run.stdout());
    assert!(
        run.stdout().contains(", base 'main', the first main branch: nothing to plan. To plan anyway, pass --all or --cluster NAME."),
        "{}",
        run.stdout()
    );
    // A commit outside cluster-spec/ changes no cluster, on the branch or on main.
    std::fs::write(test.repo().join("README.md"), "readme\n").unwrap();
    test.commit("docs");
    let summary = test.path("step-summary.md");
    let run = test.run_with(
        &[("GITHUB_STEP_SUMMARY", &summary.display().to_string())],
        &["plan", "--format", "json"],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.argv().is_empty());
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).expect("stdout is JSON");
    assert_eq!(json["clusters"], serde_json::json!([]));
    assert_eq!(json["command"], "plan");
    assert!(run.stderr().contains(line), "{}", run.stderr());
    let written = std::fs::read_to_string(summary).unwrap();
    assert!(written.contains(line), "{written}");
    let run = test.run(&["deploy", "--branch", "main"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.argv().is_empty());
    assert!(
        run.stdout()
            .starts_with("No cluster spec changed in HEAD^..HEAD (")
            && run.stdout().contains("nothing to deploy"),
        "{}",
        run.stdout()
    );
    // Uncommitted spec edits select nothing: said so.
    test.modify(CLUSTER);
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.argv().is_empty());
    assert!(
        run.stderr()
            .contains("note: cluster-spec/ has uncommitted changes"),
        "{}",
        run.stderr()
    );
}

/// A CI checkout of `feature/x` (CLUSTER changed) made with `git clone ARGS`; main moved on
/// after the branch, so a shallow clone lacks the merge-base.
fn shallow_checkout(args: &[&str]) -> Test {
    let test = two_clusters();
    test.modify(CLUSTER).commit("test: nodes maxSize");
    test.git(&["checkout", "-q", "main"]);
    std::fs::write(test.repo().join("README.md"), "readme\n").unwrap();
    test.commit("main moves on");
    test.git(&["checkout", "-q", "feature/x"]);
    test.reclone(args)
}

#[test]
fn a_shallow_clone_without_the_merge_base_is_an_error_naming_the_fix() {
    let cases: [(&[&str], &[&str]); 3] = [
        (
            &[
                "--depth",
                "1",
                "--no-single-branch",
                "--branch",
                "feature/x",
            ],
            &["plan"],
        ),
        (&["--depth", "1", "--branch", "feature/x"], &["plan"]),
        (&["--depth", "1", "--branch", "main"], &["deploy"]),
    ];
    for (clone, args) in cases {
        let test = shallow_checkout(clone);
        let run = test.run(args);
        assert_eq!(run.code(), 1, "{clone:?} {args:?}: {}", run.stderr());
        let err = run.stderr();
        for fix in [
            "shallow clone",
            "git fetch --unshallow",
            "fetch-depth: 0",
            "--all or --cluster NAME",
        ] {
            assert!(
                err.contains(fix),
                "{clone:?} {args:?}: {fix:?} not in {err}"
            );
        }
        assert!(run.argv().is_empty(), "{clone:?}: {:?}", run.argv());
    }
    // With the history, the same checkout selects the changed cluster.
    let test = shallow_checkout(&["--branch", "feature/x"]);
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [CLUSTER]);
    assert!(
        run.stderr().contains("origin/main...HEAD"),
        "{}",
        run.stderr()
    );
}

/// feature/y branches from `release`, which branched from main and changed OTHER;
/// feature/y changes CLUSTER.
fn stacked_branches() -> Test {
    let test = two_clusters();
    test.git(&["checkout", "-q", "-b", "release"]);
    test.modify(OTHER).commit("release: other");
    test.git(&["checkout", "-q", "-b", "feature/y"]);
    test.modify(CLUSTER).commit("feature: test");
    test
}

#[test]
fn base_flag_picks_the_base() {
    let test = stacked_branches();
    let run = test.run(&["plan", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stdout()
            .starts_with("Selected 2 clusters: spec files changed in main...HEAD"),
        "{}",
        run.stdout()
    );
    let run = test.run(&["plan", "--base", "release"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [CLUSTER], "{:?}", run.argv());
    assert!(
        run.stderr()
            .contains("spec files changed in release...HEAD ("),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("base from --base"),
        "{}",
        run.stderr()
    );
    let run = test.run(&["plan", "--base", "no-such-branch"]);
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("no-such-branch"), "{}", run.stderr());
    assert!(run.argv().is_empty());
    let run = test.run(&["plan", "--base", "release", "--all"]);
    assert_eq!(
        run.code(),
        1,
        "--base selects changed specs; --all every spec"
    );
}

#[test]
fn github_base_ref_picks_the_base() {
    let test = stacked_branches();
    let run = test.run_with(&[("GITHUB_BASE_REF", "release")], &["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [CLUSTER], "{:?}", run.argv());
    assert!(
        run.stderr().contains("base from $GITHUB_BASE_REF"),
        "{}",
        run.stderr()
    );
    // A CI checkout has the base only as origin/release.
    let test = test.reclone(&["--branch", "feature/y"]);
    let run = test.run_with(&[("GITHUB_BASE_REF", "release")], &["plan", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.stdout();
    assert!(
        out.starts_with("Selected 1 cluster: spec files changed in origin/release...HEAD ("),
        "{out}"
    );
    assert!(
        out.contains("  test.k8s.local: M cluster-spec/test.k8s.local.yml"),
        "{out}"
    );
    // --base still wins over the CI's base.
    let run = test.run_with(
        &[("GITHUB_BASE_REF", "release")],
        &["plan", "--print", "--base", "main"],
    );
    assert!(
        run.stdout()
            .starts_with("Selected 2 clusters: spec files changed in origin/main...HEAD"),
        "{}",
        run.stdout()
    );
}

#[test]
fn a_main_branch_acts_on_the_pushed_range() {
    // main: the root commit (CLUSTER), then OTHER added, then CLUSTER changed.
    let test = Test::new();
    let root = test.rev_parse("HEAD");
    test.add_cluster(OTHER).commit("other cluster");
    let before = test.rev_parse("HEAD");
    test.modify(CLUSTER).commit("test: nodes maxSize");
    // Pushed: before..HEAD, deployed for real.
    let run = test.run_with(&[("GITHUB_EVENT_BEFORE", &before)], &["deploy"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.clusters(), [CLUSTER], "{:?}", run.argv());
    assert!(
        run.argv().iter().any(|a| a.ends_with("--yes")),
        "{:?}",
        run.argv()
    );
    assert!(
        run.stderr()
            .contains("spec files changed in $GITHUB_EVENT_BEFORE..HEAD ("),
        "{}",
        run.stderr()
    );
    // A push of two commits.
    let run = test.run_with(&[("GITHUB_EVENT_BEFORE", &root)], &["deploy", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.stdout();
    assert!(
        out.starts_with("Selected 2 clusters: spec files changed in $GITHUB_EVENT_BEFORE..HEAD ("),
        "{out}"
    );
    assert!(
        out.contains("  other.k8s.local: A cluster-spec/other.k8s.local.yml"),
        "{out}"
    );
    assert!(
        out.contains("kops update cluster other.k8s.local --state file:///srv/kstate --yes"),
        "{out}"
    );
    assert!(
        out.contains("kops update cluster test.k8s.local --state file:///srv/kstate --yes"),
        "{out}"
    );
    // A new branch's all-zero `before`, or none: the last commit. GitLab's variable is read too.
    let zero = "0000000000000000000000000000000000000000";
    for env in [
        &[("GITHUB_EVENT_BEFORE", zero)][..],
        &[],
        &[("CI_COMMIT_BEFORE_SHA", &before)],
    ] {
        let run = test.run_with(env, &["plan"]);
        assert_eq!(run.code(), 0, "{env:?}: {}", run.stderr());
        assert_eq!(run.clusters(), [CLUSTER], "{env:?}: {:?}", run.argv());
    }
    let run = test.run(&["plan", "--print"]);
    assert!(
        run.stdout().contains("spec files changed in HEAD^..HEAD ("),
        "{}",
        run.stdout()
    );
}

#[test]
fn print_shows_why_each_cluster_is_selected() {
    let test = two_clusters();
    test.modify(CLUSTER).commit("test: nodes maxSize");
    let run = test.run(&["plan", "--print"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.stdout();
    let (selection, plan) = out
        .split_once("\n\nPlan for branch 'feature/x'")
        .expect("the selection comes first");
    assert!(
        selection.starts_with("Selected 1 cluster: spec files changed in main...HEAD ("),
        "{out}"
    );
    assert!(selection.ends_with(", base 'main', the first main branch\n  test.k8s.local: M cluster-spec/test.k8s.local.yml"), "{out}");
    assert!(!plan.contains(OTHER), "{out}");
    let run = test.run(&["plan", "--print", "--all"]);
    assert!(
        run.stdout().starts_with("Selected 2 clusters: --all (every spec in cluster-spec/)\n  other.k8s.local\n  test.k8s.local\n"),
        "{}",
        run.stdout()
    );
    let run = test.run(&["plan", "--print", "--cluster", OTHER]);
    assert!(
        run.stdout()
            .starts_with("Selected 1 cluster: --cluster\n  other.k8s.local\n"),
        "{}",
        run.stdout()
    );
    // rolling-update keeps its rule: a cluster is named, or --all for a preview.
    let run = test.run(&["rolling-update", "--print"]);
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr().contains("rolling-update needs --cluster NAME"),
        "{}",
        run.stderr()
    );
}
