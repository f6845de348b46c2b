//! The generated GitHub workflows, run with act on this machine (`-P
//! ubuntu-latest=-self-hosted`): a pull request (plan, its comment created then updated; a
//! fork's pull request skipped; a stale workflow fails it), pushes to main (deploy, reading the
//! last successful run; cloud-only), `workflow_dispatch` of the rolling update (preview,
//! `dry_run=false`, refused off main), the schedule (drift), and a kops that fails.
//!
//! Every `uses:` of the workflows is replaced (`--local-repository`) by the stand-in action of
//! the same name in `pipelines/actions/`, and `gh` by `pipelines/standins/gh`: they need GitHub.
//! act is told `--no-skip-checkout` (else it skips actions/checkout of the repository itself
//! and, on the host, leaves the workspace empty), `--no-cache-server` and `--action-offline-mode`.
//! The event payloads and act's log are read in `act.rs`.

use std::path::Path;

use crate::act::{dispatch, has_line, jobs, pull_request, push, uses, REPOSITORY};
use crate::harness::{
    cargo_home, tools, Outcome, Project, Tools, ACTIONS, CLOUD_MATCHES, CLUSTER, DEPLOY_ROLE,
    PLAN_ROLE, ROLES,
};

pub struct GitHub {
    tools: Tools,
    pub project: Project,
}

pub fn github(test: &str) -> Option<GitHub> {
    let tools = tools(test)?;
    let temp = tempfile::tempdir().unwrap();
    let (repo, root) = (temp.path().join("repo"), temp.path().join("run"));
    let project = Project::new(
        repo,
        root,
        Some(temp),
        &format!("https://github.com/{REPOSITORY}.git"),
    );
    Some(GitHub { tools, project })
}

impl GitHub {
    /// act runs `workflow` (its file stem) for `event` with `payload`, `inputs` (for
    /// `workflow_dispatch`) and the kops stand-in told `knobs`.
    pub fn run(
        &self,
        workflow: &str,
        event: &str,
        payload: &str,
        inputs: &[(&str, &str)],
        knobs: &[(&str, &str)],
    ) -> Outcome {
        self.run_with_vars(workflow, event, payload, inputs, &[], knobs)
    }

    /// `run`, with repository variables (`vars`).
    fn run_with_vars(
        &self,
        workflow: &str,
        event: &str,
        payload: &str,
        inputs: &[(&str, &str)],
        vars: &[(&str, &str)],
        knobs: &[(&str, &str)],
    ) -> Outcome {
        self.project.reset_standins();
        let root = &self.project.root;
        let event_path = root.join("event.json");
        std::fs::write(&event_path, payload).unwrap();
        let file = format!(".github/workflows/{workflow}.yml");
        let mut args: Vec<String> = vec![
            event.into(),
            "-e".into(),
            event_path.display().to_string(),
            "-W".into(),
            file.clone(),
            "-P".into(),
            "ubuntu-latest=-self-hosted".into(),
            "--action-offline-mode".into(),
            "--no-skip-checkout".into(),
            "--no-cache-server".into(),
            "--action-cache-path".into(),
            root.join("act-cache").display().to_string(),
        ];
        for action in uses(&self.project.repo.join(&file)) {
            let name = action
                .split_once('@')
                .unwrap()
                .0
                .rsplit('/')
                .next()
                .unwrap();
            let standin = Path::new(ACTIONS).join(name);
            assert!(
                standin.join("action.yml").exists(),
                "no stand-in for {action}"
            );
            args.extend([
                "--local-repository".into(),
                format!("{action}={}", standin.display()),
            ]);
        }
        for secret in ROLES
            .iter()
            .map(|(name, arn)| format!("{name}={arn}"))
            .chain(["GITHUB_TOKEN=ghs_fake000000000000000000000000000000".to_owned()])
        {
            args.extend(["-s".into(), secret]);
        }
        for (key, value) in inputs {
            args.extend(["--input".into(), format!("{key}={value}")]);
        }
        for (key, value) in vars {
            args.extend(["--var".into(), format!("{key}={value}")]);
        }
        let home = cargo_home().display().to_string();
        let env: Vec<(&str, &str)> = [("CARGO_HOME", home.as_str())]
            .into_iter()
            .chain(knobs.iter().copied())
            .collect();
        let outcome = self.project.run(&self.tools.act, &args, &env);
        if outcome.code == 0 && event != "pull_request" {
            // GitHub lists this run among the workflow's successful runs on the branch.
            let runs = self
                .project
                .root
                .join("gh/runs")
                .join(format!("{workflow}.yml"));
            std::fs::create_dir_all(&runs).unwrap();
            let head = self.project.git(&["rev-parse", "HEAD"]);
            std::fs::write(runs.join(self.project.branch()), format!("{head}\n")).unwrap();
        }
        outcome
    }

    /// A file the run kept with actions/upload-artifact, by artifact name and path.
    pub fn artifact(&self, name: &str, path: &str) -> Option<String> {
        std::fs::read_to_string(self.project.root.join("artifacts").join(name).join(path)).ok()
    }

    /// The pull request's comments (the gh stand-in's), in the order they were made.
    pub fn comments(&self) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(self.project.root.join("gh/comments")) else {
            return Vec::new();
        };
        let mut files: Vec<_> = dir.map(|e| e.unwrap().path()).collect();
        files.sort();
        files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect()
    }
}

#[test]
fn github_pull_request_plans_comments_once_and_changes_nothing() {
    let Some(gh) = github("github_pull_request_plans") else {
        return;
    };
    let head = gh.project.feature_branch(3);
    let run = gh.run(
        "kopsflow-plan",
        "pull_request",
        &pull_request(&head, REPOSITORY),
        &[],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(
        jobs(&run),
        [
            ("ci-files".to_owned(), true),
            ("comment".to_owned(), true),
            ("plan-prod".to_owned(), true)
        ],
        "{}",
        run.show()
    );
    assert!(
        run.standins.contains(&format!("aws role {PLAN_ROLE} ")),
        "{}",
        run.show()
    );
    assert!(
        run.kops()
            .iter()
            .any(|a| a.starts_with(&format!("update cluster {CLUSTER} --state file://"))),
        "{}",
        run.show()
    );
    assert_eq!(
        run.production_changes(),
        Vec::<String>::new(),
        "{}",
        run.show()
    );
    let comments = gh.comments();
    assert_eq!(comments.len(), 1, "{}", run.show());
    assert!(
        comments[0].starts_with("<!-- kopsflow plan -->\n"),
        "{}",
        comments[0]
    );
    assert!(
        comments[0].contains("`spec.maxSize`: `1` → `3`"),
        "{}",
        comments[0]
    );

    // Another push to the pull request: the same comment, updated in place.
    gh.project.resize_nodes(4);
    let head = gh.project.commit("nodes: maxSize 4");
    let run = gh.run(
        "kopsflow-plan",
        "pull_request",
        &pull_request(&head, REPOSITORY),
        &[],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.show());
    assert!(
        run.standins.contains("gh api --method PATCH"),
        "{}",
        run.show()
    );
    let comments = gh.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].contains("`spec.maxSize`: `1` → `4`"),
        "{}",
        comments[0]
    );

    // A cluster added without regenerating the CI files: the plan fails before kops is
    // installed, naming the command that fixes it; the comment is left as it was.
    gh.project.add_cluster("new.k8s.local");
    let stale_head = gh.project.commit("a new cluster");
    let stale = gh.run(
        "kopsflow-plan",
        "pull_request",
        &pull_request(&stale_head, REPOSITORY),
        &[],
        &[],
    );
    assert_ne!(stale.code, 0, "{}", stale.show());
    // The plans do not run; the comment job finds no summary and leaves the comment as it is.
    assert_eq!(
        jobs(&stale),
        [("ci-files".to_owned(), false), ("comment".to_owned(), true)],
        "{}",
        stale.show()
    );
    // (act may drop the last lines of a step that fails at once: the stand-ins' logs show where
    // it stopped, after the checkout and before the kops download.)
    assert!(stale.standins.contains("checkout "), "{}", stale.show());
    assert!(
        !stale.standins.contains("kops-linux-amd64"),
        "{}",
        stale.show()
    );
    assert_eq!(stale.kops(), Vec::<String>::new(), "{}", stale.show());
    assert_eq!(gh.comments().len(), 1);

    // A fork's pull request gets no credentials: the job does not run.
    let run = gh.run(
        "kopsflow-plan",
        "pull_request",
        &pull_request(&head, "mallory/kopsflow"),
        &[],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(jobs(&run), [], "{}", run.show());
    assert_eq!(run.kops(), Vec::<String>::new(), "{}", run.show());
}

/// The jobs of a deploy run whose only environment is prod: `pending` found a cluster to
/// deploy, and `deploy-prod` passed (`true`) or failed.
fn deploy_prod(ok: bool) -> [(String, bool); 2] {
    [("deploy-prod".to_owned(), ok), ("pending".to_owned(), true)]
}

#[test]
fn github_push_to_main_deploys_with_the_deploy_identity() {
    let Some(gh) = github("github_push_to_main_deploys") else {
        return;
    };
    let (before, after) = gh.project.push_to_main(2);
    let run = gh.run("kopsflow-deploy", "push", &push(&before, &after), &[], &[]);
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(jobs(&run), deploy_prod(true), "{}", run.show());
    assert!(
        run.standins.contains(&format!("aws role {DEPLOY_ROLE} ")),
        "{}",
        run.show()
    );
    assert!(
        run.kops().contains(&format!(
            "update cluster {CLUSTER} --state s3://k8s-kops --yes"
        )),
        "{}",
        run.show()
    );
    let summary = gh
        .artifact("kopsflow-deploy-prod", "target/kopsflow-ci/deploy-prod.md")
        .expect("deploy.md kept");
    assert!(summary.contains(CLUSTER), "{summary}");
    let audit = gh
        .artifact("kopsflow-deploy-prod", "target/kopsflow/audit.jsonl")
        .expect("the audit log kept");
    assert!(audit.contains("\"deploy\""), "{audit}");
    for text in [&summary, &audit] {
        assert!(
            !text.contains("bPxRfiCYEXAMPLEKEY"),
            "a secret in an artifact: {text}"
        );
    }
}

#[test]
fn github_deploy_reads_the_last_successful_run_and_passes_without_api_access_with_cloudonly() {
    let Some(gh) = github("github_deploy_record_and_cloudonly") else {
        return;
    };
    // The first push: a file beside the specs (production already matches git).
    let before = gh.project.git(&["rev-parse", "HEAD"]);
    std::fs::write(gh.project.repo.join("cluster-spec/OWNERS"), "platform\n").unwrap();
    let first = gh.project.commit("cluster-spec: owners");
    let run = gh.run("kopsflow-deploy", "push", &push(&before, &first), &[], &[]);
    assert_eq!(run.code, 0, "{}", run.show());
    // No record of a successful deploy yet: every cluster is deployed.
    assert_eq!(jobs(&run), deploy_prod(true), "{}", run.show());
    assert!(
        has_line(&run.log, "::set-env:: KOPSFLOW_LAST_DEPLOYED="),
        "{}",
        run.show()
    );

    // The next push's deploy reads the last successful run (gh api), and an agent that cannot
    // reach the Kubernetes API fails the deploy's rolling-update preview …
    let no_api = [("KOPS_STANDIN_API_UNREACHABLE", "1")];
    let (before, after) = gh.project.push_to_main(3);
    let run = gh.run(
        "kopsflow-deploy",
        "push",
        &push(&before, &after),
        &[],
        &no_api,
    );
    assert!(
        has_line(
            &run.log,
            &format!("::set-env:: KOPSFLOW_LAST_DEPLOYED={first}")
        ),
        "{}",
        run.show()
    );
    assert_ne!(run.code, 0, "{}", run.show());
    assert_eq!(jobs(&run), deploy_prod(false), "{}", run.show());

    // … unless the repository variable KOPSFLOW_CLOUDONLY is true.
    let cloud_only = [("KOPSFLOW_CLOUDONLY", "true")];
    let run = gh.run_with_vars(
        "kopsflow-deploy",
        "push",
        &push(&before, &after),
        &[],
        &cloud_only,
        &no_api,
    );
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(jobs(&run), deploy_prod(true), "{}", run.show());
    let preview = run
        .kops()
        .into_iter()
        .find(|a| a.starts_with("rolling-update cluster"))
        .unwrap_or_else(|| panic!("{}", run.show()));
    assert!(preview.contains(" --cloudonly"), "{preview}");
}

#[test]
fn github_rolling_update_dispatch_previews_and_rolls_with_dry_run_false() {
    let Some(gh) = github("github_rolling_update_dispatch") else {
        return;
    };
    let cluster = ("cluster", CLUSTER);
    let workflow = "kopsflow-rolling-update";
    let preview = gh.run(
        workflow,
        "workflow_dispatch",
        &dispatch(true, "main"),
        &[cluster, ("dry_run", "true")],
        &[],
    );
    assert_eq!(preview.code, 0, "{}", preview.show());
    assert_eq!(
        jobs(&preview),
        [("preview-prod".to_owned(), true)],
        "{}",
        preview.show()
    );
    assert!(
        preview
            .kops()
            .iter()
            .any(|a| a.starts_with(&format!("rolling-update cluster {CLUSTER}"))),
        "{}",
        preview.show()
    );
    assert_eq!(
        preview.production_changes(),
        Vec::<String>::new(),
        "{}",
        preview.show()
    );

    let roll = gh.run(
        workflow,
        "workflow_dispatch",
        &dispatch(false, "main"),
        &[cluster, ("dry_run", "false")],
        &[],
    );
    assert_eq!(roll.code, 0, "{}", roll.show());
    assert_eq!(
        jobs(&roll),
        [("roll-prod".to_owned(), true)],
        "{}",
        roll.show()
    );
    assert!(
        roll.standins.contains(&format!("aws role {DEPLOY_ROLE} ")),
        "{}",
        roll.show()
    );
    let rolled = roll.production_changes();
    assert_eq!(rolled.len(), 1, "{}", roll.show());
    assert!(
        rolled[0].starts_with(&format!("rolling-update cluster {CLUSTER} ")),
        "{rolled:?}"
    );
    assert!(gh
        .artifact(
            "kopsflow-rolling-update-prod",
            "target/kopsflow-ci/rolling-update-prod.md"
        )
        .is_some());

    // kops cannot reach the API: the roll fails the run.
    let failed = gh.run(
        workflow,
        "workflow_dispatch",
        &dispatch(false, "main"),
        &[cluster, ("dry_run", "false")],
        &[("KOPS_STANDIN_API_UNREACHABLE", "1")],
    );
    assert_ne!(failed.code, 0, "{}", failed.show());
    assert_eq!(
        jobs(&failed),
        [("roll-prod".to_owned(), false)],
        "{}",
        failed.show()
    );

    // dry_run=false from another branch: refused, a failed run, no kops.
    gh.project.feature_branch(3);
    let refused = gh.run(
        workflow,
        "workflow_dispatch",
        &dispatch(false, "feature/x"),
        &[cluster, ("dry_run", "false")],
        &[],
    );
    assert_ne!(refused.code, 0, "{}", refused.show());
    assert_eq!(
        jobs(&refused),
        [("refused".to_owned(), false)],
        "{}",
        refused.show()
    );
    assert_eq!(refused.kops(), Vec::<String>::new(), "{}", refused.show());
}

#[test]
fn github_schedule_runs_drift_and_drift_found_fails_the_run() {
    let Some(gh) = github("github_schedule_runs_drift") else {
        return;
    };
    let schedule = r#"{"schedule": "23 6 * * 1-5"}"#;
    let run = gh.run(
        "kopsflow-drift",
        "schedule",
        schedule,
        &[],
        &[CLOUD_MATCHES],
    );
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(
        jobs(&run),
        [("drift-prod".to_owned(), true)],
        "{}",
        run.show()
    );
    assert!(
        run.standins.contains(&format!("aws role {PLAN_ROLE} ")),
        "{}",
        run.show()
    );
    assert_eq!(
        run.production_changes(),
        Vec::<String>::new(),
        "{}",
        run.show()
    );

    gh.project.push_to_main(5);
    let drift = gh.run(
        "kopsflow-drift",
        "schedule",
        schedule,
        &[],
        &[CLOUD_MATCHES],
    );
    assert_ne!(drift.code, 0, "{}", drift.show());
    assert_eq!(
        jobs(&drift),
        [("drift-prod".to_owned(), false)],
        "{}",
        drift.show()
    );
    let summary = gh
        .artifact("kopsflow-drift-prod", "target/kopsflow-ci/drift-prod.md")
        .expect("drift.md kept");
    assert!(summary.contains("maxSize"), "the drift found: {summary}");
    assert_eq!(
        drift.production_changes(),
        Vec::<String>::new(),
        "{}",
        drift.show()
    );
}

#[test]
fn github_a_failing_kops_fails_the_deploy_run() {
    let Some(gh) = github("github_a_failing_kops") else {
        return;
    };
    let (before, after) = gh.project.push_to_main(2);
    let run = gh.run(
        "kopsflow-deploy",
        "push",
        &push(&before, &after),
        &[],
        &[("KOPS_STANDIN_FAIL_CLUSTER", CLUSTER)],
    );
    assert_ne!(
        run.code,
        0,
        "a failed deploy must fail the run: {}",
        run.show()
    );
    assert_eq!(jobs(&run), deploy_prod(false), "{}", run.show());
    let summary = gh
        .artifact("kopsflow-deploy-prod", "target/kopsflow-ci/deploy-prod.md")
        .expect("deploy.md kept");
    assert!(summary.contains("error"), "{summary}");
    assert_eq!(
        run.production_changes(),
        Vec::<String>::new(),
        "{}",
        run.show()
    );
}
