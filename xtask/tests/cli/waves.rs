//! Waves (docs/CONFIGURATION.md, "Environments"): this repository's dev (wave 1), stg (wave 2)
//! and prod (wave 3), without `KOPS_STATE_STORE`. One commit changes a cluster of each (as a
//! template change does); `deploy` on the main branch calls kops for dev, then stg, then prod,
//! each with its own store; a failure in wave 1 leaves stg and prod `not run: wave 1 failed`
//! (no kops call names them, exit 1), and a re-run after the fix deploys all three in order.
//! `plan` groups its summary by wave and environment; `--print` shows the waves.

use crate::support::{clusters_in, Run, Test, CLUSTER};

/// No `KOPS_STATE_STORE`: the stores come from the environments (empty counts as unset).
const NO_OVERRIDE: (&str, &str) = ("KOPS_STATE_STORE", "");

const DEV: &str = "dev.k8s.example.com";
const STG: &str = "stg.k8s.example.com";
const PROD: &str = "prod.k8s.example.com";
const THREE: &[&str] = &[DEV, STG, PROD];

/// A repository with prod, stg and dev (the test cluster, in no environment, removed), then a
/// commit changing all three. The test and the commit before the change (the last deploy).
fn changed_in_three_waves() -> (Test, String) {
    let test = Test::new();
    for name in [PROD, STG, DEV] {
        test.add_cluster(name);
    }
    test.git(&["rm", "-q", &format!("cluster-spec/{CLUSTER}.yml")]);
    let before = test.commit("prod, stg and dev");
    for name in THREE {
        test.modify(name);
    }
    test.commit("nodes maxSize +1 in every environment");
    (test, before)
}

/// `xtask ARGS` without `KOPS_STATE_STORE`, with `env` and the record of the last deploy.
fn run(test: &Test, last_deployed: &str, env: &[(&str, &str)], args: &[&str]) -> Run {
    let record = ("KOPSFLOW_LAST_DEPLOYED", last_deployed);
    let env = [&[NO_OVERRIDE, record][..], env].concat();
    test.run_with(&env, args)
}

/// Each kops call's cluster (of the three) and store, in call order (`kops version` left out).
fn calls(run: &Run) -> Vec<(&'static str, String)> {
    run.argv()
        .iter()
        .filter(|argv| !argv.starts_with("version"))
        .map(|argv| {
            let named = clusters_in(argv, THREE);
            assert_eq!(named.len(), 1, "{argv}");
            let store = argv
                .split(' ')
                .skip_while(|w| *w != "--state")
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            (named[0], store)
        })
        .collect()
}

/// The clusters of `calls` in the order kops was first asked about them.
fn order(calls: &[(&'static str, String)]) -> Vec<&'static str> {
    let mut order: Vec<&str> = Vec::new();
    for (cluster, _) in calls {
        if order.last() != Some(cluster) {
            assert!(!order.contains(cluster), "{cluster} again: {calls:?}");
            order.push(cluster);
        }
    }
    order
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout()))
}

/// The lines of `stderr` that start a wave.
fn wave_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("==> wave "))
        .collect()
}

#[test]
fn a_deploy_goes_dev_then_stg_then_prod_each_with_its_store() {
    let (test, before) = changed_in_three_waves();
    let run = run(&test, &before, &[], &["deploy"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let calls = calls(&run);
    assert_eq!(order(&calls), [DEV, STG, PROD]);
    for (cluster, store) in &calls {
        let expected = match *cluster {
            DEV => "s3://k8s-kops-dev",
            STG => "s3://k8s-kops-stg",
            _ => "s3://k8s-kops",
        };
        assert_eq!(store, expected, "{cluster}: {calls:?}");
    }
    assert!(calls.iter().any(|(c, _)| *c == PROD), "prod deployed");
    assert_eq!(
        wave_lines(&run.stderr()),
        [
            "==> wave 1 (dev): 1 cluster",
            "==> wave 2 (stg): 1 cluster",
            "==> wave 3 (prod): 1 cluster"
        ]
    );
}

#[test]
fn a_failure_in_wave_1_stops_stg_and_prod_and_a_rerun_after_the_fix_deploys_all_three() {
    let (test, before) = changed_in_three_waves();
    let fail = [("KOPS_STANDIN_FAIL_CLUSTER", DEV)];
    let run1 = run(&test, &before, &fail, &["deploy", "--format", "json"]);
    assert_eq!(run1.code(), 1, "{}", run1.stderr());
    assert_eq!(
        order(&calls(&run1)),
        [DEV],
        "no kops call names stg or prod"
    );
    let summary = json(&run1);
    let errors: Vec<(&str, &str, u64)> = summary["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let error = c["error"].as_str().unwrap_or_default();
            (
                c["cluster"].as_str().unwrap(),
                error,
                c["wave"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(errors[0].0, DEV);
    assert!(errors[0].1.contains("failed"), "{errors:?}");
    assert_eq!(
        errors[1..],
        [
            (STG, "not run: wave 1 failed", 2),
            (PROD, "not run: wave 1 failed", 3)
        ]
    );
    let err = run1.stderr();
    assert!(
        err.contains(&format!(
            "1 of 3 cluster(s) failed; 2 not run: {STG}, {PROD}"
        )),
        "{err}"
    );
    assert_eq!(wave_lines(&err), ["==> wave 1 (dev): 1 cluster"]);
    // The audit log: one record per cluster, with its environment and wave.
    let log = std::fs::read_to_string(test.repo().join("target/kopsflow/audit.jsonl")).unwrap();
    let records: Vec<(String, String, String, u64)> = log
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            (
                s("cluster"),
                s("outcome"),
                s("environment"),
                v["wave"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        (DEV, "failed", "dev", 1),
        (STG, "skipped", "stg", 2),
        (PROD, "skipped", "prod", 3),
    ];
    let expected: Vec<(String, String, String, u64)> = expected
        .iter()
        .map(|(c, o, e, w)| (c.to_string(), o.to_string(), e.to_string(), *w))
        .collect();
    assert_eq!(records, expected);

    // The fix, committed; the record still names the commit before the change.
    test.git(&["commit", "-q", "--allow-empty", "-m", "dev: fixed"]);
    let run2 = run(&test, &before, &[], &["deploy"]);
    assert_eq!(run2.code(), 0, "{}", run2.stderr());
    assert_eq!(order(&calls(&run2)), [DEV, STG, PROD]);
}

#[test]
fn a_cluster_that_does_not_validate_stops_the_later_waves() {
    let (test, before) = changed_in_three_waves();
    let fail = [("KOPS_STANDIN_VALIDATE_FAIL", "1")];
    let run = run(&test, &before, &fail, &["deploy", "--validate", "0s"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let calls = calls(&run);
    assert_eq!(order(&calls), [DEV]);
    assert!(
        run.argv().iter().any(|a| a.starts_with("validate cluster")),
        "{calls:?}"
    );
    let out = run.stdout();
    assert!(
        out.contains("== stg.k8s.example.com: error\n  error: not run: wave 1 failed"),
        "{out}"
    );
}

#[test]
fn the_plan_summary_is_grouped_by_environment_and_wave() {
    let (test, _) = changed_in_three_waves();
    let run = test.run_with(&[NO_OVERRIDE], &["plan", "--all"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(order(&calls(&run)), [DEV, STG, PROD]);
    assert!(
        wave_lines(&run.stderr()).is_empty(),
        "a plan waits on no wave"
    );
    insta::assert_snapshot!("plan_in_waves", run.settled_stdout(&test));
    let md = test.run_with(&[NO_OVERRIDE], &["plan", "--all", "--format", "markdown"]);
    let headings: Vec<String> = md
        .stdout()
        .lines()
        .filter(|l| l.starts_with("## wave"))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        headings,
        [
            "## wave 1 (dev): 1 cluster",
            "## wave 2 (stg): 1 cluster",
            "## wave 3 (prod): 1 cluster"
        ]
    );
}

#[test]
fn print_shows_the_waves() {
    let (test, _) = changed_in_three_waves();
    let run = test.run_with(&[NO_OVERRIDE], &["deploy", "--print", "--all"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.stdout();
    let waves = "waves (this run changes production: a wave starts once every cluster of the \
                 earlier waves has finished without error, and a failure stops the later waves):\n  \
                 wave 1 (dev): dev.k8s.example.com\n  \
                 wave 2 (stg): stg.k8s.example.com\n  \
                 wave 3 (prod): prod.k8s.example.com\n";
    assert!(out.contains(waves), "{out}");
    assert!(
        out.contains("cluster dev.k8s.example.com (spec cluster-spec/dev.k8s.example.com.yml, production store s3://k8s-kops-dev; environment dev, wave 1)"),
        "{out}"
    );
    let environments: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("environment of "))
        .collect();
    assert_eq!(environments.len(), 3, "{out}");
    assert!(
        environments[0].starts_with("dev.k8s.example.com: dev (wave 1, store s3://k8s-kops-dev")
            && environments[1]
                .starts_with("stg.k8s.example.com: stg (wave 2, store s3://k8s-kops-stg")
            && environments[2]
                .starts_with("prod.k8s.example.com: prod (wave 3, store s3://k8s-kops,"),
        "in wave order: {out}"
    );
    assert!(run.argv().is_empty());

    // On another branch the deploy changes nothing: no wave waits.
    let feature = test.run_with(
        &[NO_OVERRIDE],
        &["deploy", "--print", "--all", "--branch", "feature/x"],
    );
    let out = feature.stdout();
    assert!(
        out.contains("waves (this run changes nothing in production: no wave waits for another):"),
        "{out}"
    );
}

#[test]
fn kops_state_store_keeps_the_waves_of_clusters_in_an_environment() {
    let (test, _) = changed_in_three_waves();
    // KOPS_STATE_STORE set (the harness's): one store, each cluster still in its wave.
    let run = test.run(&["deploy", "--print", "--all"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.stdout();
    assert!(
        out.contains("  wave 1 (dev): dev.k8s.example.com\n"),
        "{out}"
    );
    assert!(
        out.contains("kops update cluster dev.k8s.example.com --state file:///srv/kstate --yes"),
        "{out}"
    );
    // A selected cluster in no environment: no waves at all.
    test.add_cluster(CLUSTER);
    test.commit("a cluster in no environment");
    let run = test.run(&["deploy", "--print", "--all"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.stdout();
    assert!(!out.contains("waves ("), "{out}");
    assert!(!out.contains("; environment dev, wave 1)"), "{out}");
}

/// `status` names each cluster's environment and wave: a column in text and markdown, two
/// fields in JSON; its rows come in wave order.
#[test]
fn status_names_each_clusters_environment_and_wave() {
    let (test, before) = changed_in_three_waves();
    let text = run(&test, &before, &[], &["status"]);
    assert_eq!(text.code(), 0, "{}", text.stderr());
    let out = text.stdout();
    let header = out.lines().find(|l| l.starts_with("cluster ")).unwrap();
    assert!(
        header.starts_with("cluster               environment    spec in git"),
        "{out}"
    );
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.contains(".k8s.example.com  "))
        .collect();
    assert_eq!(rows.len(), 3, "{out}");
    for (row, (cluster, env)) in rows.iter().zip([
        (DEV, "dev (wave 1)"),
        (STG, "stg (wave 2)"),
        (PROD, "prod (wave 3)"),
    ]) {
        assert!(
            row.starts_with(&format!("{cluster}  ")) && row.contains(env),
            "{row}"
        );
    }
    let markdown = run(&test, &before, &[], &["status", "--format", "markdown"]).stdout();
    assert!(
        markdown.contains("| cluster | environment | spec in git |"),
        "{markdown}"
    );
    assert!(
        markdown.contains(&format!("| `{STG}` | stg (wave 2) |")),
        "{markdown}"
    );
    let v = json(&run(&test, &before, &[], &["status", "--format", "json"]));
    let placed: Vec<(String, String, u64)> = v["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_owned();
            (s("cluster"), s("environment"), c["wave"].as_u64().unwrap())
        })
        .collect();
    let expected: Vec<(String, String, u64)> =
        [(DEV, "dev", 1), (STG, "stg", 2), (PROD, "prod", 3)]
            .iter()
            .map(|(c, e, w)| (c.to_string(), e.to_string(), *w))
            .collect();
    assert_eq!(placed, expected);
}
