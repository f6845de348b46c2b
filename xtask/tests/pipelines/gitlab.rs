//! The generated `.gitlab-ci.yml`, run with gitlab-ci-local (`--force-shell-executor`): a merge
//! request's pipeline (plan), a push to main (deploy), the manual rolling-update job (preview,
//! then `KOPSFLOW_DRY_RUN=false`), a scheduled pipeline (drift), and a kops that fails.
//!
//! What gitlab-ci-local is given, as GitLab would give it: the pipeline source and its
//! predefined variables (`CI_MERGE_REQUEST_TARGET_BRANCH_NAME`, `CI_COMMIT_BEFORE_SHA`), the ID
//! token (`KOPSFLOW_ID_TOKEN`, a fake: there is no OIDC provider), the role ARNs a project sets,
//! and `CI_PROJECT_DIR`: gitlab-ci-local sets it to `/builds/GROUP/PROJECT` for any job with an
//! image even when `--force-shell-executor` runs the job in the project directory, where a
//! GitLab shell runner would point it. `rules: changes` are evaluated by gitlab-ci-local against
//! `origin/main`, which the harness leaves where the last push left it.

use std::sync::{Mutex, MutexGuard};

use crate::harness::{
    cargo_home, gitlab_project_dir, pipelines_dir, tools, Outcome, Project, Tools, CLUSTER,
    DEPLOY_ROLE, PLAN_ROLE,
};

/// GitLab's project directory has a fixed path (see `gitlab_project_dir`): one run at a time.
static PROJECT_DIR: Mutex<()> = Mutex::new(());

struct GitLab {
    tools: Tools,
    project: Project,
    _lock: MutexGuard<'static, ()>,
}

/// A job's result in gitlab-ci-local's closing summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    Pass,
    Fail,
    /// Failed, with failure allowed.
    Warn,
}

fn gitlab(test: &str) -> Option<GitLab> {
    let tools = tools(test)?;
    let lock = PROJECT_DIR.lock().unwrap_or_else(|e| e.into_inner());
    let project = Project::new(
        gitlab_project_dir(),
        pipelines_dir().join("gitlab-run"),
        None,
        "https://gitlab.example.com/acme/kopsflow.git",
    );
    cargo_home();
    Some(GitLab {
        tools,
        project,
        _lock: lock,
    })
}

impl GitLab {
    /// A pipeline of `source` with `variables` (and `--manual JOB` for each of `manual`), the
    /// kops stand-in told `knobs`.
    fn run(
        &self,
        source: &str,
        variables: &[(&str, &str)],
        manual: &[&str],
        knobs: &[(&str, &str)],
    ) -> Outcome {
        self.project.reset_standins();
        let _ = std::fs::remove_dir_all(self.project.repo.join(".gitlab-ci-local"));
        let repo = self.project.repo.display().to_string();
        let mut args: Vec<String> = [
            self.tools.gitlab_ci_local.display().to_string(),
            "--force-shell-executor".into(),
            "--no-color".into(),
            "--ignore-predefined-vars".into(),
            "CI_PROJECT_DIR,CI_PIPELINE_SOURCE,CI_COMMIT_BEFORE_SHA".into(),
        ]
        .into();
        let variables = [
            ("CI_PROJECT_DIR", repo.as_str()),
            ("CI_PIPELINE_SOURCE", source),
            (
                "KOPSFLOW_ID_TOKEN",
                "eyJhbGciOiJSUzI1NiJ9.fake-id-token.sig",
            ),
            ("KOPSFLOW_PLAN_ROLE_ARN", PLAN_ROLE),
            ("KOPSFLOW_DEPLOY_ROLE_ARN", DEPLOY_ROLE),
        ]
        .into_iter()
        .chain(variables.iter().copied());
        for (key, value) in variables {
            args.extend(["--variable".to_owned(), format!("{key}={value}")]);
        }
        for job in manual {
            args.extend(["--manual".to_owned(), (*job).to_owned()]);
        }
        let node = self.tools.node_bin.join("node");
        let path = format!(
            "{}:{}",
            self.tools.node_bin.display(),
            self.project
                .env()
                .into_iter()
                .find(|(k, _)| k == "PATH")
                .unwrap()
                .1
        );
        let knobs: Vec<(&str, &str)> = [("PATH", path.as_str())]
            .into_iter()
            .chain(knobs.iter().copied())
            .collect();
        self.project.run(&node, &args, &knobs)
    }

    /// Each job's result, from gitlab-ci-local's closing summary (jobs that did not run are
    /// not in it).
    fn jobs(outcome: &Outcome) -> Vec<(String, Job)> {
        outcome
            .log
            .lines()
            .filter_map(|line| {
                let line = line.trim();
                let (status, name) = line.split_once(char::is_whitespace)?;
                let status = match status {
                    "PASS" => Job::Pass,
                    "FAIL" => Job::Fail,
                    "WARN" => Job::Warn,
                    _ => return None,
                };
                Some((name.trim().to_owned(), status))
            })
            .collect()
    }

    /// A file a job of the last run kept as an artifact (gitlab-ci-local keeps each job's
    /// under a directory named after the job, encoded; the tests check which jobs ran).
    fn artifact(&self, path: &str) -> Option<String> {
        let dir = self.project.repo.join(".gitlab-ci-local/artifacts");
        std::fs::read_dir(dir)
            .ok()?
            .find_map(|job| std::fs::read_to_string(job.ok()?.path().join(path)).ok())
    }
}

fn deploy_job() -> String {
    format!("deploy {CLUSTER}")
}

fn rolling_update_job() -> String {
    format!("rolling-update {CLUSTER}")
}

#[test]
fn gitlab_merge_request_plans_against_a_dry_run_store_and_changes_nothing() {
    let Some(gl) = gitlab("gitlab_merge_request_plans") else {
        return;
    };
    gl.project.feature_branch(3);
    let run = gl.run(
        "merge_request_event",
        &[("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main")],
        &[],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(
        GitLab::jobs(&run),
        [("plan".to_owned(), Job::Pass)],
        "{}",
        run.show()
    );
    assert!(
        run.standins.contains("kops-linux-amd64.sha256"),
        "the job installed kops with its own script: {}",
        run.show()
    );
    let kops = run.kops();
    assert!(
        kops.iter()
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
    let plan = gl
        .artifact("target/kopsflow-ci/plan.md")
        .expect("plan.md kept");
    assert!(plan.contains("changes pending"), "{plan}");
    assert!(plan.contains("`spec.maxSize`: `1` → `3`"), "{plan}");
}

#[test]
fn gitlab_push_to_main_deploys_the_changed_cluster_only() {
    let Some(gl) = gitlab("gitlab_push_to_main_deploys") else {
        return;
    };
    let (before, _) = gl.project.push_to_main(2);
    let run = gl.run("push", &[("CI_COMMIT_BEFORE_SHA", &before)], &[], &[]);
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(
        GitLab::jobs(&run),
        [(deploy_job(), Job::Pass)],
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
    let summary = gl
        .artifact("target/kopsflow-ci/deploy.md")
        .expect("deploy.md kept");
    assert!(summary.contains(CLUSTER), "{summary}");
    let audit = gl
        .artifact("target/kopsflow/audit.jsonl")
        .expect("the audit log kept");
    assert!(audit.contains("\"deploy\""), "{audit}");

    // A push that changes no cluster spec: no deploy job, no kops call.
    gl.project.pushed();
    let before = gl.project.git(&["rev-parse", "HEAD"]);
    std::fs::write(gl.project.repo.join("NOTES.txt"), "not a spec\n").unwrap();
    gl.project.commit("notes");
    let run = gl.run("push", &[("CI_COMMIT_BEFORE_SHA", &before)], &[], &[]);
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(GitLab::jobs(&run), [], "{}", run.show());
    assert_eq!(run.kops(), Vec::<String>::new(), "{}", run.show());
}

#[test]
fn gitlab_manual_rolling_update_previews_and_rolls_with_dry_run_false() {
    let Some(gl) = gitlab("gitlab_manual_rolling_update") else {
        return;
    };
    let job = rolling_update_job();
    let preview = gl.run("push", &[], &[&job], &[]);
    assert_eq!(preview.code, 0, "{}", preview.show());
    assert_eq!(
        GitLab::jobs(&preview),
        [(job.clone(), Job::Pass)],
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
    assert!(gl
        .artifact("target/kopsflow-ci/rolling-update.md")
        .is_some());

    let roll = gl.run("push", &[("KOPSFLOW_DRY_RUN", "false")], &[&job], &[]);
    assert_eq!(roll.code, 0, "{}", roll.show());
    assert_eq!(
        GitLab::jobs(&roll),
        [(job.clone(), Job::Pass)],
        "{}",
        roll.show()
    );
    let rolled = roll.production_changes();
    assert_eq!(rolled.len(), 1, "{}", roll.show());
    assert!(
        rolled[0].starts_with(&format!("rolling-update cluster {CLUSTER} ")),
        "{rolled:?}"
    );

    // kops cannot reach the API: the roll fails, and says so.
    let failed = gl.run(
        "push",
        &[("KOPSFLOW_DRY_RUN", "false")],
        &[&job],
        &[("KOPS_STANDIN_API_UNREACHABLE", "1")],
    );
    let jobs = GitLab::jobs(&failed);
    assert_eq!(jobs.len(), 1, "{}", failed.show());
    assert_ne!(jobs[0].1, Job::Pass, "{}", failed.show());
    assert!(
        failed.log.contains("cargo xtask rolling-update failed"),
        "{}",
        failed.show()
    );
}

#[test]
fn gitlab_schedule_runs_drift_and_only_drift() {
    let Some(gl) = gitlab("gitlab_schedule_runs_drift") else {
        return;
    };
    let run = gl.run("schedule", &[], &[], &[]);
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(
        GitLab::jobs(&run),
        [("drift".to_owned(), Job::Pass)],
        "{}",
        run.show()
    );
    assert!(
        run.kops().contains(&format!(
            "get cluster {CLUSTER} -o yaml --state s3://k8s-kops"
        )),
        "{}",
        run.show()
    );
    assert_eq!(
        run.production_changes(),
        Vec::<String>::new(),
        "{}",
        run.show()
    );
    assert!(gl.artifact("target/kopsflow-ci/drift.md").is_some());

    // Main has a change production does not: drift found, the job does not pass.
    gl.project.push_to_main(5);
    let drift = gl.run("schedule", &[], &[], &[]);
    let jobs = GitLab::jobs(&drift);
    assert_eq!(jobs.len(), 1, "{}", drift.show());
    assert_ne!(jobs[0].1, Job::Pass, "{}", drift.show());
    assert_eq!(
        drift.production_changes(),
        Vec::<String>::new(),
        "{}",
        drift.show()
    );
}

#[test]
fn gitlab_a_failing_kops_fails_the_deploy_and_the_pipeline() {
    let Some(gl) = gitlab("gitlab_a_failing_kops") else {
        return;
    };
    let (before, _) = gl.project.push_to_main(2);
    let run = gl.run(
        "push",
        &[("CI_COMMIT_BEFORE_SHA", &before)],
        &[],
        &[("KOPS_STANDIN_FAIL_CLUSTER", CLUSTER)],
    );
    assert_ne!(
        run.code,
        0,
        "a failed deploy must fail the pipeline: {}",
        run.show()
    );
    assert_eq!(
        GitLab::jobs(&run),
        [(deploy_job(), Job::Fail)],
        "{}",
        run.show()
    );
    assert!(
        run.log.contains("cargo xtask deploy failed"),
        "{}",
        run.show()
    );
    assert_eq!(
        run.production_changes(),
        Vec::<String>::new(),
        "{}",
        run.show()
    );
}
