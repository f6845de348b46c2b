//! The generated `.gitlab-ci.yml`, run with gitlab-ci-local (`--force-shell-executor`): a merge
//! request's pipeline (plan; a stale CI file fails it), pushes to main (deploy, reading the last
//! deploy's record), pipelines run by hand (`KOPSFLOW_ROLL_CLUSTER`: preview, roll, refused off
//! main, cloud-only), a scheduled pipeline (drift), and a kops that fails.
//!
//! What gitlab-ci-local is given, as GitLab would give it: the pipeline source and its
//! predefined variables (`CI_MERGE_REQUEST_TARGET_BRANCH_NAME`, `CI_COMMIT_BEFORE_SHA`,
//! `CI_JOB_TOKEN`), the ID token (`KOPSFLOW_ID_TOKEN`, a fake: there is no OIDC provider), the
//! variables a project or a "Run pipeline" sets, and `CI_PROJECT_DIR`: gitlab-ci-local sets it
//! to `/builds/GROUP/PROJECT` for any job with an image even when `--force-shell-executor` runs
//! the job in the project directory, where a GitLab shell runner would point it.
//! `rules: changes` are evaluated by gitlab-ci-local against `origin/main`, which the harness
//! leaves where the last push left it. After a pipeline that passed, its jobs' artifacts become
//! the branch's latest (as GitLab keeps them), for the curl stand-in's job artifacts API.

use std::sync::{Mutex, MutexGuard};

use crate::harness::{
    cargo_home, gitlab_project_dir, pipelines_dir, role, tools, Outcome, Project, Tools,
    CLOUD_MATCHES, CLUSTER, ROLES,
};

/// The jobs of prod, which asks for an approval: manual jobs, played by the tests as an approver
/// would (`--manual`), except where a test shows that nothing happens without one.
const APPROVED: [&str; 2] = ["deploy-prod", "rolling-update-prod"];

/// GitLab's project directory has a fixed path (see `gitlab_project_dir`): one run at a time.
static PROJECT_DIR: Mutex<()> = Mutex::new(());

pub struct GitLab {
    tools: Tools,
    pub project: Project,
    _lock: MutexGuard<'static, ()>,
}

/// A job's result in gitlab-ci-local's closing summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Pass,
    Fail,
    /// Failed, with failure allowed.
    Warn,
}

pub fn gitlab(test: &str) -> Option<GitLab> {
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
    /// A pipeline of `source` with `variables`, the kops stand-in told `knobs`, prod's manual
    /// jobs approved.
    pub fn run(&self, source: &str, variables: &[(&str, &str)], knobs: &[(&str, &str)]) -> Outcome {
        self.run_approving(&APPROVED, source, variables, knobs)
    }

    /// [`GitLab::run`], playing only the manual jobs `approved`.
    pub fn run_approving(
        &self,
        approved: &[&str],
        source: &str,
        variables: &[(&str, &str)],
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
            "CI_PROJECT_DIR,CI_PIPELINE_SOURCE,CI_COMMIT_BEFORE_SHA,CI_JOB_TOKEN".into(),
        ]
        .into();
        for job in approved {
            args.extend(["--manual".to_owned(), (*job).to_owned()]);
        }
        let variables = [
            ("CI_PROJECT_DIR", repo.as_str()),
            ("CI_PIPELINE_SOURCE", source),
            (
                "KOPSFLOW_ID_TOKEN",
                "eyJhbGciOiJSUzI1NiJ9.fake-id-token.sig",
            ),
            ("CI_JOB_TOKEN", "glcbt-fake-job-token"),
        ]
        .into_iter()
        .chain(ROLES)
        .chain(variables.iter().copied());
        for (key, value) in variables {
            args.extend(["--variable".to_owned(), format!("{key}={value}")]);
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
        let outcome = self.project.run(&node, &args, &knobs);
        // GitLab creates no pipeline when no job's rules match: the branch's latest stays.
        if outcome.code == 0 && !Self::jobs(&outcome).is_empty() {
            self.publish_artifacts();
        }
        outcome
    }

    /// The artifacts of the pipeline that just passed become its branch's latest.
    fn publish_artifacts(&self) {
        let store = self
            .project
            .root
            .join("gitlab-artifacts")
            .join(self.project.branch());
        let _ = std::fs::remove_dir_all(&store);
        std::fs::create_dir_all(&store).unwrap();
        let from = self.project.repo.join(".gitlab-ci-local/artifacts");
        if from.is_dir() {
            let status = std::process::Command::new("cp")
                .arg("-a")
                .arg(format!("{}/.", from.display()))
                .arg(&store)
                .status()
                .unwrap();
            assert!(status.success());
        }
    }

    /// Each job's result, from gitlab-ci-local's closing summary (jobs that did not run are
    /// not in it), by name.
    pub fn jobs(outcome: &Outcome) -> Vec<(String, Job)> {
        let mut jobs: Vec<(String, Job)> = outcome
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
            .collect();
        jobs.sort_by(|a, b| a.0.cmp(&b.0));
        jobs
    }

    /// A file a job of the last run kept as an artifact (gitlab-ci-local keeps each job's
    /// under a directory named after the job, encoded; the tests check which jobs ran).
    pub fn artifact(&self, path: &str) -> Option<String> {
        let dir = self.project.repo.join(".gitlab-ci-local/artifacts");
        std::fs::read_dir(dir)
            .ok()?
            .find_map(|job| std::fs::read_to_string(job.ok()?.path().join(path)).ok())
    }
}

fn roll(cluster: &str, dry_run: &str) -> [(&'static str, String); 2] {
    [
        ("KOPSFLOW_ROLL_CLUSTER", cluster.to_owned()),
        ("KOPSFLOW_DRY_RUN", dry_run.to_owned()),
    ]
}

fn vars<'a>(pairs: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn pass(job: &str) -> Vec<(String, Job)> {
    vec![(job.to_owned(), Job::Pass)]
}

#[test]
fn gitlab_merge_request_plans_against_a_dry_run_store_and_changes_nothing() {
    let Some(gl) = gitlab("gitlab_merge_request_plans") else {
        return;
    };
    gl.project.feature_branch(3);
    let mr = [("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main")];
    let run = gl.run("merge_request_event", &mr, &[]);
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(
        GitLab::jobs(&run),
        [
            ("ci-files".to_owned(), Job::Pass),
            ("plan-prod".to_owned(), Job::Pass)
        ],
        "{}",
        run.show()
    );
    assert!(
        run.standins.contains("kops-linux-amd64.sha256"),
        "the job installed kops with its own script: {}",
        run.show()
    );
    let dry_run = format!("update cluster {CLUSTER} --state file://");
    assert!(
        run.kops().iter().any(|a| a.starts_with(&dry_run)),
        "{}",
        run.show()
    );
    assert_eq!(
        run.production_changes(),
        Vec::<String>::new(),
        "{}",
        run.show()
    );
    // The plan ran with prod's read-only identity.
    assert!(
        run.kops_roles()
            .iter()
            .all(|(_, r)| r.as_deref() == Some(role("KOPSFLOW_PLAN_ROLE_ARN"))),
        "{}",
        run.show()
    );
    let plan = gl
        .artifact("target/kopsflow-ci/plan-prod.md")
        .expect("plan-prod.md kept");
    assert!(plan.contains("changes pending"), "{plan}");
    assert!(plan.contains("`spec.maxSize`: `1` → `3`"), "{plan}");

    // A cluster added without regenerating the CI files: the plan job fails before installing
    // kops, naming the command that fixes it.
    gl.project.add_cluster("new.k8s.local");
    gl.project.commit("a new cluster");
    let stale = gl.run("merge_request_event", &mr, &[]);
    assert_ne!(stale.code, 0, "{}", stale.show());
    assert_eq!(
        GitLab::jobs(&stale),
        [("ci-files".to_owned(), Job::Fail)],
        "{}",
        stale.show()
    );
    assert!(
        stale.log.contains("cargo xtask ci gitlab"),
        "{}",
        stale.show()
    );
    assert!(
        !stale.standins.contains("kops-linux-amd64"),
        "{}",
        stale.show()
    );
    assert_eq!(stale.kops(), Vec::<String>::new(), "{}", stale.show());
}

#[test]
fn gitlab_push_to_main_deploys_and_records_the_deployed_commit() {
    let Some(gl) = gitlab("gitlab_push_to_main_deploys") else {
        return;
    };
    // The first push: a file beside the specs. The deploy job runs (no record yet; production
    // already matches git, whatever kopsflow deploys) and records the commit it deployed.
    let before = gl.project.git(&["rev-parse", "HEAD"]);
    std::fs::write(gl.project.repo.join("cluster-spec/OWNERS"), "platform\n").unwrap();
    let first = gl.project.commit("cluster-spec: owners");
    let run = gl.run("push", &[("CI_COMMIT_BEFORE_SHA", &before)], &[]);
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(GitLab::jobs(&run), pass("deploy-prod"), "{}", run.show());
    assert!(
        run.log.contains("last successful deploy: none"),
        "{}",
        run.show()
    );
    let record = gl.artifact("target/kopsflow-ci/deployed-commit");
    assert_eq!(record.as_deref().map(str::trim), Some(first.as_str()));

    // The next push changes the spec: its deploy reads that record (the job artifacts API of
    // the last pipeline that passed) and applies the change.
    gl.project.pushed();
    let (before, second) = gl.project.push_to_main(2);
    let run = gl.run("push", &[("CI_COMMIT_BEFORE_SHA", &before)], &[]);
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(GitLab::jobs(&run), pass("deploy-prod"), "{}", run.show());
    let read = format!("last successful deploy: {first}");
    assert!(run.log.contains(&read), "{}", run.show());
    let apply = format!("update cluster {CLUSTER} --state s3://k8s-kops --yes");
    assert!(run.production_changes().contains(&apply), "{}", run.show());
    let summary = gl
        .artifact("target/kopsflow-ci/deploy-prod.md")
        .expect("deploy-prod.md kept");
    assert!(summary.contains(CLUSTER), "{summary}");
    let audit = gl
        .artifact("target/kopsflow/audit.jsonl")
        .expect("the audit log kept");
    assert!(audit.contains("\"deploy\""), "{audit}");
    for text in [&summary, &audit] {
        assert!(
            !text.contains("fake-id-token"),
            "the ID token in an artifact: {text}"
        );
    }
    let record = gl.artifact("target/kopsflow-ci/deployed-commit");
    assert_eq!(record.as_deref().map(str::trim), Some(second.as_str()));

    // A push that changes no cluster spec: no deploy job, no kops call.
    gl.project.pushed();
    let before = gl.project.git(&["rev-parse", "HEAD"]);
    std::fs::write(gl.project.repo.join("NOTES.txt"), "not a spec\n").unwrap();
    gl.project.commit("notes");
    let run = gl.run("push", &[("CI_COMMIT_BEFORE_SHA", &before)], &[]);
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(GitLab::jobs(&run), [], "{}", run.show());
    assert_eq!(run.kops(), Vec::<String>::new(), "{}", run.show());
}

#[test]
fn gitlab_deploy_on_an_agent_without_api_access_passes_with_cloudonly() {
    let Some(gl) = gitlab("gitlab_deploy_without_api_access") else {
        return;
    };
    let (before, _) = gl.project.push_to_main(2);
    let no_api = [("KOPS_STANDIN_API_UNREACHABLE", "1")];
    let push = [("CI_COMMIT_BEFORE_SHA", before.as_str())];
    let run = gl.run("push", &push, &no_api);
    assert_ne!(run.code, 0, "{}", run.show());
    assert_eq!(
        GitLab::jobs(&run),
        [("deploy-prod".to_owned(), Job::Fail)],
        "{}",
        run.show()
    );

    let cloud_only = [push[0], ("KOPSFLOW_CLOUDONLY", "true")];
    let run = gl.run("push", &cloud_only, &no_api);
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(GitLab::jobs(&run), pass("deploy-prod"), "{}", run.show());
    let preview = run
        .kops()
        .into_iter()
        .find(|a| a.starts_with("rolling-update cluster"))
        .unwrap_or_else(|| panic!("{}", run.show()));
    assert!(preview.contains(" --cloudonly"), "{preview}");
}

#[test]
fn gitlab_run_pipeline_previews_rolls_and_refuses_off_main() {
    let Some(gl) = gitlab("gitlab_run_pipeline_rolling_update") else {
        return;
    };
    let preview = gl.run("web", &vars(&roll(CLUSTER, "true")), &[]);
    assert_eq!(preview.code, 0, "{}", preview.show());
    assert_eq!(
        GitLab::jobs(&preview),
        pass("rolling-update-preview-prod"),
        "{}",
        preview.show()
    );
    let ask = format!("rolling-update cluster {CLUSTER}");
    assert!(
        preview.kops().iter().any(|a| a.starts_with(&ask)),
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
        .artifact("target/kopsflow-ci/rolling-update-prod.md")
        .is_some());
    assert!(gl.artifact("target/kopsflow/audit.jsonl").is_some());

    let rolled = gl.run("web", &vars(&roll(CLUSTER, "false")), &[]);
    assert_eq!(rolled.code, 0, "{}", rolled.show());
    assert_eq!(
        GitLab::jobs(&rolled),
        pass("rolling-update-prod"),
        "{}",
        rolled.show()
    );
    let changes = rolled.production_changes();
    assert_eq!(changes.len(), 1, "{}", rolled.show());
    assert!(changes[0].starts_with(&format!("{ask} ")), "{changes:?}");

    // kops cannot reach the API: the roll fails the pipeline; with cloud-only it passes.
    let no_api = [("KOPS_STANDIN_API_UNREACHABLE", "1")];
    let failed = gl.run("web", &vars(&roll(CLUSTER, "false")), &no_api);
    assert_ne!(failed.code, 0, "{}", failed.show());
    let fail = [("rolling-update-prod".to_owned(), Job::Fail)];
    assert_eq!(GitLab::jobs(&failed), fail, "{}", failed.show());
    assert!(
        failed.log.contains("cargo xtask rolling-update failed"),
        "{}",
        failed.show()
    );
    let roll_now = roll(CLUSTER, "false");
    let mut cloud_only = vars(&roll_now).into_iter().collect::<Vec<_>>();
    cloud_only.push(("KOPSFLOW_CLOUDONLY", "true"));
    let run = gl.run("web", &cloud_only, &no_api);
    assert_eq!(run.code, 0, "{}", run.show());
    let changes = run.production_changes();
    assert!(
        changes.len() == 1 && changes[0].contains(" --cloudonly"),
        "{}",
        run.show()
    );

    // Off the main branches, KOPSFLOW_DRY_RUN=false is refused: a failed pipeline, no kops.
    gl.project.feature_branch(3);
    let refused = gl.run("web", &vars(&roll(CLUSTER, "false")), &[]);
    assert_ne!(refused.code, 0, "{}", refused.show());
    let fail = [("rolling-update-refused".to_owned(), Job::Fail)];
    assert_eq!(GitLab::jobs(&refused), fail, "{}", refused.show());
    assert!(
        refused.log.contains("nothing was rolled"),
        "{}",
        refused.show()
    );
    assert_eq!(refused.kops(), Vec::<String>::new(), "{}", refused.show());
}

#[test]
fn gitlab_schedule_runs_drift_and_drift_found_fails_the_pipeline() {
    let Some(gl) = gitlab("gitlab_schedule_runs_drift") else {
        return;
    };
    let run = gl.run("schedule", &[], &[CLOUD_MATCHES]);
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(GitLab::jobs(&run), pass("drift-prod"), "{}", run.show());
    let read = format!("get cluster {CLUSTER} -o yaml --state s3://k8s-kops");
    assert!(run.kops().contains(&read), "{}", run.show());
    assert_eq!(
        run.production_changes(),
        Vec::<String>::new(),
        "{}",
        run.show()
    );
    assert!(gl.artifact("target/kopsflow-ci/drift-prod.md").is_some());

    // Main has a change production does not: drift found fails the job and the pipeline.
    gl.project.push_to_main(5);
    let drift = gl.run("schedule", &[], &[CLOUD_MATCHES]);
    assert_ne!(drift.code, 0, "{}", drift.show());
    assert_eq!(
        GitLab::jobs(&drift),
        [("drift-prod".to_owned(), Job::Fail)],
        "{}",
        drift.show()
    );
    assert!(drift.log.contains("drift found"), "{}", drift.show());
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
        [("deploy-prod".to_owned(), Job::Fail)],
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
