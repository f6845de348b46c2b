//! Environments (docs/CONFIGURATION.md, "Environments"): without `KOPS_STATE_STORE`, each
//! cluster is managed from its environment's store (this repository's dev, stg and prod); a
//! `configBase` in another store is refused at its line, and a cluster that belongs to no
//! environment is refused by name — nothing sent to kops in either case.

use crate::support::{Test, CLUSTER};

/// No `KOPS_STATE_STORE`: the stores come from the environments (empty counts as unset).
const NO_OVERRIDE: &[(&str, &str)] = &[("KOPS_STATE_STORE", "")];

/// The test's spec renamed to `name` (dev.k8s.example.com, …), written as `cluster-spec/<name>.yml`.
fn add_cluster(test: &Test, name: &str, config_base: Option<&str>) -> String {
    let mut spec = test.read_spec().replace(CLUSTER, name);
    if let Some(base) = config_base {
        spec = spec.replacen("\nspec:\n", &format!("\nspec:\n  configBase: {base}\n"), 1);
    }
    let path = format!("cluster-spec/{name}.yml");
    std::fs::write(test.repo().join(&path), &spec).unwrap();
    path
}

/// dev and prod, without the test cluster (which belongs to no environment here).
fn dev_and_prod(dev_base: Option<&str>) -> Test {
    let test = Test::new();
    add_cluster(&test, "dev.k8s.example.com", dev_base);
    add_cluster(&test, "prod.k8s.example.com", None);
    test.git(&["rm", "-q", &format!("cluster-spec/{CLUSTER}.yml")]);
    test.git(&["add", "-A"]);
    test.git(&["commit", "-q", "-m", "dev and prod"]);
    test
}

#[test]
fn each_cluster_is_deployed_against_its_environments_store() {
    let test = dev_and_prod(None);
    let run = test.run_with(
        NO_OVERRIDE,
        &["deploy", "--print", "--all", "--branch", "master"],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let out = run.stdout();
    assert!(
        out.contains("kops update cluster dev.k8s.example.com --state s3://k8s-kops-dev --yes"),
        "{out}"
    );
    assert!(
        out.contains("kops update cluster prod.k8s.example.com --state s3://k8s-kops --yes"),
        "{out}"
    );
    assert!(
        out.contains("environment of prod.k8s.example.com: prod (wave 3, store s3://k8s-kops, region eu-west-1, deploy needs approval: yes)"),
        "{out}"
    );
    assert!(
        out.contains("environment of dev.k8s.example.com: dev (wave 1, store s3://k8s-kops-dev"),
        "{out}"
    );
    assert!(run.argv().is_empty());
}

#[test]
fn a_config_base_outside_its_environments_store_is_refused_at_its_line() {
    let test = dev_and_prod(Some("s3://k8s-kops/dev.k8s.example.com"));
    let line = test
        .git_in(
            &test.repo(),
            &[
                "grep",
                "-n",
                "configBase",
                "cluster-spec/dev.k8s.example.com.yml",
            ],
        )
        .split(':')
        .nth(1)
        .unwrap()
        .to_owned();
    for args in [
        &["validate"][..],
        &["plan", "--all"],
        &["deploy", "--all", "--branch", "master"],
    ] {
        let run = test.run_with(NO_OVERRIDE, args);
        assert_eq!(run.code(), 1, "{args:?}: {}", run.stdout());
        let err = run.stderr();
        assert!(
            err.contains(&format!("cluster-spec/dev.k8s.example.com.yml:{line}:")),
            "{args:?}: {err}"
        );
        assert!(err.contains("configBase s3://k8s-kops/dev.k8s.example.com is not in the store of environment dev"), "{err}");
        assert!(err.contains("hint: cluster dev.k8s.example.com belongs to environment dev (wave 1), whose state store is s3://k8s-kops-dev: set configBase to s3://k8s-kops-dev/dev.k8s.example.com"), "{err}");
        assert!(run.argv().is_empty(), "{args:?} sent to kops");
    }
}

#[test]
fn a_cluster_without_environment_is_refused_by_name() {
    let test = Test::new();
    for args in [&["validate"][..], &["plan", "--all"]] {
        let run = test.run_with(NO_OVERRIDE, args);
        assert_eq!(run.code(), 1, "{args:?}: {}", run.stdout());
        let err = run.stderr();
        assert!(
            err.contains(&format!("cluster {CLUSTER} belongs to no environment")),
            "{args:?}: {err}"
        );
        assert!(
            err.contains(&format!("cluster-spec/{CLUSTER}.yml:")),
            "{err}"
        );
        assert!(run.argv().is_empty(), "{args:?} sent to kops");
    }
}

/// `--environment NAME`: the selected clusters of that environment run, the others are listed
/// as left to their environment's job; none left is "nothing to do" (exit 0, no kops call); an
/// unknown name is refused before kops is asked.
#[test]
fn environment_flag_keeps_the_clusters_of_that_environment() {
    let test = dev_and_prod(None);
    let print = test.run_with(
        NO_OVERRIDE,
        &[
            "deploy",
            "--print",
            "--all",
            "--branch",
            "master",
            "--environment",
            "dev",
        ],
    );
    assert_eq!(print.code(), 0, "{}", print.stderr());
    let out = print.stdout();
    assert!(
        out.contains("Selected 1 cluster in environment dev: --all (every spec in cluster-spec/)\n  dev.k8s.example.com\nLeft to other environments (--environment dev):\n  prod.k8s.example.com: environment prod\n"),
        "{out}"
    );
    assert!(
        out.contains("kops update cluster dev.k8s.example.com --state s3://k8s-kops-dev --yes"),
        "{out}"
    );
    assert!(!out.contains("kops update cluster prod"), "{out}");

    // A real run: kops is asked about dev only.
    let plan = test.run_with(NO_OVERRIDE, &["plan", "--all", "--environment", "dev"]);
    assert_eq!(plan.code(), 0, "{}", plan.stderr());
    let argv = plan.argv();
    assert!(
        argv.iter().any(|a| a.contains("dev.k8s.example.com")),
        "{argv:?}"
    );
    assert!(
        !argv.iter().any(|a| a.contains("prod.k8s.example.com")),
        "{argv:?}"
    );

    let elsewhere = test.run_with(
        NO_OVERRIDE,
        &[
            "plan",
            "--cluster",
            "prod.k8s.example.com",
            "--environment",
            "dev",
        ],
    );
    assert_eq!(elsewhere.code(), 0, "{}", elsewhere.stderr());
    assert!(
        elsewhere.stdout().contains("No selected cluster belongs to environment dev (1 selected in others): nothing to plan here."),
        "{}",
        elsewhere.stdout()
    );
    assert!(elsewhere.argv().is_empty(), "{:?}", elsewhere.argv());

    let unknown = test.run_with(NO_OVERRIDE, &["drift", "--environment", "qa"]);
    assert_eq!(unknown.code(), 1);
    assert!(
        unknown.stderr().contains(
            "--environment qa: no such environment; this repository declares dev, prod, stg"
        ),
        "{}",
        unknown.stderr()
    );
    assert!(unknown.argv().is_empty());
}

/// `deploy --print --detailed-exitcode --environment NAME`, what the generated CI asks before an
/// environment's approval (docs/CI.md): exit 2 when the run would act on a cluster of that
/// environment, 0 when it has none ("nothing to deploy here"); `--print` alone exits 0; kops is
/// never asked.
#[test]
fn print_with_detailed_exitcode_says_whether_an_environment_has_anything_to_deploy() {
    let test = dev_and_prod(None);
    let dev = test.repo().join("cluster-spec/dev.k8s.example.com.yml");
    let mut spec = std::fs::read_to_string(&dev).unwrap();
    spec.push_str("# resized\n");
    std::fs::write(&dev, spec).unwrap();
    test.git(&["commit", "-q", "-am", "dev only"]);
    let pending = |env: &str, detailed: bool| {
        let mut args = vec!["deploy", "--print", "--environment", env];
        if detailed {
            args.push("--detailed-exitcode");
        }
        test.run_with(NO_OVERRIDE, &args)
    };

    let dev = pending("dev", true);
    assert_eq!(dev.code(), 2, "{}{}", dev.stdout(), dev.stderr());
    assert!(
        dev.stdout()
            .contains("kops update cluster dev.k8s.example.com --state s3://k8s-kops-dev --yes"),
        "{}",
        dev.stdout()
    );
    assert!(dev.argv().is_empty(), "{:?}", dev.argv());

    let prod = pending("prod", true);
    assert_eq!(prod.code(), 0, "{}{}", prod.stdout(), prod.stderr());
    assert!(
        prod.stdout().contains("No selected cluster belongs to environment prod (1 selected in others): nothing to deploy here."),
        "{}",
        prod.stdout()
    );
    assert!(
        !prod.stdout().contains("kops update cluster"),
        "{}",
        prod.stdout()
    );
    assert!(prod.argv().is_empty(), "{:?}", prod.argv());

    let plain = pending("dev", false);
    assert_eq!(plain.code(), 0, "{}", plain.stderr());
    assert!(plain.argv().is_empty(), "{:?}", plain.argv());

    // Off a main branch the deploy stage is skipped: nothing would run.
    let branch = test.run_with(
        NO_OVERRIDE,
        &[
            "deploy",
            "--print",
            "--detailed-exitcode",
            "--all",
            "--branch",
            "feature",
        ],
    );
    assert_eq!(branch.code(), 0, "{}{}", branch.stdout(), branch.stderr());
    // `plan` on any branch: its dry-run would run.
    let plan = test.run_with(
        NO_OVERRIDE,
        &[
            "plan",
            "--print",
            "--detailed-exitcode",
            "--all",
            "--environment",
            "prod",
        ],
    );
    assert_eq!(plan.code(), 2, "{}{}", plan.stdout(), plan.stderr());
    assert!(plan.argv().is_empty(), "{:?}", plan.argv());
}
