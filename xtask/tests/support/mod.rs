//! The CLI tests' harness: `Test`, a temp workspace holding a real git repository (main, and a
//! feature branch on request) with a cluster spec built from real kops samples, in which the
//! real `xtask` binary runs with the kops stand-in (`kops-standin.sh`) first on PATH; `Run`, what
//! one run printed, which kops calls it made and what it left behind; and small helpers.

mod settle;

pub use settle::settle;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../kopsflow/tests/kops-samples"
);
const STANDIN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/kops-standin.sh");
pub const CLUSTER: &str = "test.k8s.local";
pub const SECRET: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY";

fn sample(name: &str) -> String {
    let text = std::fs::read_to_string(Path::new(SAMPLES).join(name)).unwrap();
    text.split_once('\n').unwrap().1.to_owned()
}

/// The git spec: production's spec as `kops get` prints it (real samples), without the
/// server-set `creationTimestamp` and without `configBase` (kopsflow injects it), joined with `---`.
fn git_spec() -> String {
    let strip = |text: String| -> String {
        text.lines()
            .filter(|l| !l.contains("creationTimestamp") && !l.contains("configBase"))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let cluster = strip(sample("get-cluster-o-yaml.REAL.kops-1.29.2.yaml"));
    let igs = strip(sample("get-instancegroups-o-yaml.REAL.kops-1.29.2.yaml"));
    // kops joins documents with "\n---\n\n"; keep that, and end with a trailing `---` that a
    // hand-edited file may have (kopsflow must drop it before kops sees it).
    format!("{cluster}---\n{igs}---\n")
}

/// The nodes instance group's document in the git spec.
pub fn nodes_ig_doc(spec: &str) -> (usize, usize) {
    let start = spec.find("name: nodes-us-east-1a").unwrap();
    let doc_start = spec[..start].rfind("apiVersion:").unwrap();
    let doc_end = spec[start..].find("---").map_or(spec.len(), |i| start + i);
    (doc_start, doc_end)
}

/// A temp workspace: `repo/` (a git repository holding the cluster spec), `bin/kops` (the
/// stand-in), `standin/` (its log), `tmp/` (the runs' TMPDIR), `home/`; and the environment
/// every run gets (nothing else is inherited).
pub struct Test {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Test {
    /// A repository on `main` with the cluster spec committed.
    pub fn new() -> Test {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["repo/cluster-spec", "home", "bin", "standin", "tmp"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        std::fs::copy(STANDIN, dir.path().join("bin/kops")).unwrap();
        let path = format!(
            "{}:{}",
            dir.path().join("bin").display(),
            std::env::var("PATH").unwrap()
        );
        let d = |sub: &str| dir.path().join(sub).display().to_string();
        let env = vec![
            ("HOME".into(), d("home")),
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
            ("GIT_AUTHOR_NAME".into(), "Ada".into()),
            ("GIT_AUTHOR_EMAIL".into(), "ada@example.com".into()),
            ("GIT_COMMITTER_NAME".into(), "Ada".into()),
            ("GIT_COMMITTER_EMAIL".into(), "ada@example.com".into()),
            ("PATH".into(), path),
            ("TMPDIR".into(), d("tmp")),
            ("KOPS_STATE_STORE".into(), "file:///srv/kstate".into()),
            ("KOPS_STANDIN_DIR".into(), d("standin")),
            ("KOPS_STANDIN_SAMPLES".into(), SAMPLES.into()),
            ("NO_COLOR".into(), "1".into()),
            ("AWS_ACCESS_KEY_ID".into(), "AKIAIOSFODNN7EXAMPLE".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), SECRET.into()),
        ];
        let test = Test { dir, env };
        test.write_spec(&git_spec());
        test.git(&["init", "-q", "-b", "main"]);
        test.git(&["add", "-A"]);
        test.git(&["commit", "-q", "-m", "cluster spec"]);
        test
    }

    /// `sub` in the workspace, e.g. `bin/kops` or `tmp`.
    pub fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    pub fn repo(&self) -> PathBuf {
        self.path("repo")
    }

    fn spec_path(&self) -> PathBuf {
        self.repo().join(format!("cluster-spec/{CLUSTER}.yml"))
    }

    pub fn write_spec(&self, text: &str) {
        std::fs::write(self.spec_path(), text).unwrap();
    }

    pub fn read_spec(&self) -> String {
        std::fs::read_to_string(self.spec_path()).unwrap()
    }

    pub fn git(&self, args: &[&str]) {
        self.git_in(&self.repo(), args);
    }

    /// `git ARGS` in `dir` with the test's hermetic environment; it must succeed. Its stdout,
    /// trimmed.
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// Switches to `feature/x` with a committed change: nodes maxSize 1 → 3.
    pub fn feature_branch(self) -> Test {
        self.git(&["checkout", "-q", "-b", "feature/x"]);
        let spec = self.read_spec();
        let (start, end) = nodes_ig_doc(&spec);
        let doc = spec[start..end].replace("maxSize: 1", "maxSize: 3");
        self.write_spec(&format!("{}{doc}{}", &spec[..start], &spec[end..]));
        self.git(&["commit", "-q", "-am", "nodes: maxSize 3"]);
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Test {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Runs `xtask ARGS…` in the repository; the stand-in's log starts afresh.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(&[], args)
    }

    /// The `xtask` binary with `args`, in the repository, with the test's environment only.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
        command
            .args(args)
            .current_dir(self.repo())
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        command
    }

    /// `run` with extra environment for this invocation only.
    pub fn run_with(&self, extra_env: &[(&str, &str)], args: &[&str]) -> Run {
        let standin = self.path("standin");
        for file in ["calls.log", "count", "barrier"] {
            let _ = std::fs::remove_file(standin.join(file));
        }
        let output = self
            .command(args)
            .envs(extra_env.iter().copied())
            .output()
            .unwrap();
        let calls =
            std::fs::read_to_string(self.dir.path().join("standin/calls.log")).unwrap_or_default();
        let tmp_left: Vec<String> = std::fs::read_dir(self.dir.path().join("tmp"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        Run {
            output,
            calls,
            tmp_left,
            tmp: self.dir.path().join("tmp").display().to_string(),
        }
    }
}

/// What one run of `xtask` did.
pub struct Run {
    output: Output,
    /// The stand-in's log.
    calls: String,
    /// What is left in TMPDIR after the run (the work dir must be gone).
    pub tmp_left: Vec<String>,
    tmp: String,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// The argv of every kops call, in order, with the run's temp dir replaced by `$TMP` and
    /// the random work dir name by `kopsflow-RUN`.
    pub fn argv(&self) -> Vec<String> {
        self.calls
            .lines()
            .filter_map(|l| {
                l.strip_prefix("call ")
                    .and_then(|l| l.split_once(": "))
                    .map(|(_, a)| a)
            })
            .map(|a| self.normalize(a))
            .collect()
    }

    pub fn normalize(&self, text: &str) -> String {
        let text = text.replace(&self.tmp, "$TMP");
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("kopsflow-") {
            out.push_str(&rest[..i]);
            out.push_str("kopsflow-RUN");
            let tail = &rest[i + "kopsflow-".len()..];
            let end = tail
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(tail.len());
            rest = &tail[end..];
        }
        out.push_str(rest);
        out
    }

    /// Log lines of call `n` (1-based) other than its argv.
    pub fn call_details(&self, n: usize) -> Vec<String> {
        let header = format!("call {n}: ");
        let mut lines = self.calls.lines().skip_while(|l| !l.starts_with(&header));
        lines.next();
        lines
            .take_while(|l| l.starts_with("  "))
            .map(|l| self.normalize(l.trim()))
            .collect()
    }

    pub fn assert_no_secret(&self) {
        for (what, text) in [("stdout", self.stdout()), ("stderr", self.stderr())] {
            assert!(!text.contains(SECRET), "{what} leaks the secret:\n{text}");
            assert!(
                !text.contains("AKIAIOSFODNN7EXAMPLE"),
                "{what} leaks the access key id"
            );
        }
    }
}

/// Whether a kops call (its argv) changes production.
pub fn mutating(argv: &str) -> bool {
    argv.split(' ').any(|a| a == "--yes")
        || (argv.starts_with("replace ") && argv.contains("--state file:///srv/kstate"))
        || argv.starts_with("delete ")
}

/// One kops call, as the stand-in logged it.
#[derive(Debug, Clone)]
pub struct Call {
    pub n: usize,
    pub argv: String,
    /// The stand-in's pid and its caller's (the `xtask` process that ran it).
    pub pid: u32,
    pub caller: u32,
    /// Seconds since the epoch, when the call started and (unless it was killed) ended.
    pub start: f64,
    pub end: Option<f64>,
    pub kubeconfig: Option<String>,
}

impl Call {
    /// Whether the call is about `cluster`: names it, or a file in its work dir.
    pub fn is_for(&self, cluster: &str) -> bool {
        self.argv
            .split(' ')
            .any(|w| w == cluster || w.contains(&format!("/{cluster}/")))
    }

    /// The call's time span; an unfinished call lasts forever.
    pub fn span(&self) -> (f64, f64) {
        (self.start, self.end.unwrap_or(f64::INFINITY))
    }
}

/// Whether two time spans overlap.
pub fn overlap(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Polls `done` until it holds; fails naming `what` after a minute (a hung run, not a slow one).
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// An `xtask` run in the background, its stdout and stderr going to files.
pub struct Background {
    child: std::process::Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

/// How a background run ended.
pub struct Finished {
    /// `None` when a signal killed it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Background {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr_so_far(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Sends `signal` (e.g. `TERM`, `KILL`).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal}");
    }

    pub fn finish(mut self) -> Finished {
        let status = self.child.wait().unwrap();
        Finished {
            code: status.code(),
            stdout: std::fs::read_to_string(&self.stdout).unwrap_or_default(),
            stderr: std::fs::read_to_string(&self.stderr).unwrap_or_default(),
        }
    }
}

impl Test {
    /// Adds clusters named `names`, each the test spec under another name, committed.
    pub fn add_clusters(&self, names: &[&str]) {
        for name in names {
            let path = self.repo().join(format!("cluster-spec/{name}.yml"));
            std::fs::write(path, git_spec().replace(CLUSTER, name)).unwrap();
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", "more clusters"]);
    }

    /// Starts `xtask ARGS…` in the background with `extra_env`; the stand-in's log is kept (call
    /// `reset_standin` first for a fresh one).
    pub fn spawn(&self, tag: &str, extra_env: &[(&str, &str)], args: &[&str]) -> Background {
        let stdout = self.path(&format!("{tag}.stdout"));
        let stderr = self.path(&format!("{tag}.stderr"));
        let child = self
            .command(args)
            .envs(extra_env.iter().copied())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        Background {
            child,
            stdout,
            stderr,
        }
    }

    pub fn reset_standin(&self) {
        for file in ["calls.log", "count", "barrier"] {
            let _ = std::fs::remove_file(self.path("standin").join(file));
        }
    }

    /// Every kops call in the stand-in's log so far.
    pub fn calls(&self) -> Vec<Call> {
        let text = std::fs::read_to_string(self.path("standin/calls.log")).unwrap_or_default();
        let mut calls: Vec<Call> = Vec::new();
        let mut ends = Vec::new();
        for line in text.lines() {
            if let Some((n, argv)) = line.strip_prefix("call ").and_then(|l| l.split_once(':')) {
                calls.push(Call {
                    n: n.parse().unwrap(),
                    argv: argv.trim_start().to_owned(),
                    pid: 0,
                    caller: 0,
                    start: 0.0,
                    end: None,
                    kubeconfig: None,
                });
            } else if let Some((n, time)) =
                line.strip_prefix("end ").and_then(|l| l.split_once(": "))
            {
                ends.push((n.parse::<usize>().unwrap(), time.parse::<f64>().unwrap()));
            } else if let (Some(call), Some((key, value))) =
                (calls.last_mut(), line.trim().split_once(": "))
            {
                match key {
                    "pid" => call.pid = value.parse().unwrap(),
                    "caller" => call.caller = value.parse().unwrap(),
                    "start" => call.start = value.parse().unwrap(),
                    "kubeconfig" => call.kubeconfig = Some(value.to_owned()),
                    _ => {}
                }
            }
        }
        for (n, time) in ends {
            if let Some(call) = calls.iter_mut().find(|c| c.n == n) {
                call.end = Some(time);
            }
        }
        calls
    }

    /// The default lock file of `cluster`.
    pub fn lock_file(&self, cluster: &str) -> PathBuf {
        self.repo()
            .join(format!("target/kopsflow/locks/{cluster}.lock"))
    }

    /// The short commit of HEAD, as lock records name it.
    pub fn head(&self) -> String {
        self.git_in(&self.repo(), &["rev-parse", "--short=12", "HEAD"])
    }
}

/// The clusters whose names `line` mentions, of `clusters`.
pub fn clusters_in<'a>(line: &str, clusters: &[&'a str]) -> Vec<&'a str> {
    clusters
        .iter()
        .copied()
        .filter(|c| {
            line.match_indices(c).any(|(i, _)| {
                // `a.k8s.local` must not match inside `data.k8s.local`.
                let before = line[..i].chars().next_back();
                !before.is_some_and(|b| b.is_alphanumeric() || b == '-' || b == '.')
            })
        })
        .collect()
}

/// Checks that in `stderr`, from the line starting with `from`, the lines naming each of
/// `clusters` form one unbroken block per cluster (no line of another cluster in between), and
/// returns the clusters in the order their blocks appear.
pub fn blocks_in_order<'a>(stderr: &str, from: &str, clusters: &[&'a str]) -> Vec<&'a str> {
    let mut order: Vec<&str> = Vec::new();
    let lines = stderr
        .lines()
        .skip_while(|l| !l.starts_with(from))
        .skip(1)
        .take_while(|l| !l.starts_with("error:"));
    for line in lines {
        let named = clusters_in(line, clusters);
        assert!(
            named.len() <= 1,
            "a line names two clusters: {line}\n{stderr}"
        );
        if let Some(cluster) = named.first() {
            if order.last() != Some(cluster) {
                assert!(
                    !order.contains(cluster),
                    "the lines of {cluster} are interleaved with another cluster's:\n{stderr}"
                );
                order.push(cluster);
            }
        }
    }
    order
}

/// Cluster selection: more clusters, commits, branches, CI checkouts.
impl Test {
    /// The spec of cluster `name`: the sample spec with the cluster's name replaced.
    pub fn spec_for(name: &str) -> String {
        git_spec().replace(CLUSTER, name)
    }

    pub fn spec_file(name: &str) -> String {
        format!("cluster-spec/{name}.yml")
    }

    /// Writes `cluster-spec/NAME.yml` for another cluster (not committed).
    pub fn add_cluster(&self, name: &str) -> &Test {
        std::fs::write(
            self.repo().join(Self::spec_file(name)),
            Self::spec_for(name),
        )
        .unwrap();
        self
    }

    /// Edits cluster `name`'s spec (nodes maxSize +1; not committed).
    pub fn modify(&self, name: &str) -> &Test {
        let path = self.repo().join(Self::spec_file(name));
        let spec = std::fs::read_to_string(&path).unwrap();
        let (start, end) = nodes_ig_doc(&spec);
        let doc = &spec[start..end];
        let at = doc.find("maxSize: ").unwrap() + "maxSize: ".len();
        let len = doc[at..].find('\n').unwrap();
        let size: u32 = doc[at..at + len].parse().unwrap();
        let doc = format!("{}{}{}", &doc[..at], size + 1, &doc[at + len..]);
        std::fs::write(path, format!("{}{doc}{}", &spec[..start], &spec[end..])).unwrap();
        self
    }

    /// `git add -A && git commit -m MESSAGE`; the new commit.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.rev_parse("HEAD")
    }

    pub fn rev_parse(&self, rev: &str) -> String {
        self.git_in(&self.repo(), &["rev-parse", rev])
    }

    /// A CI checkout: `repo/` moves to `origin/` and is cloned back into `repo/` with
    /// `git clone ARGS file://…/origin` (through a URL, so that `--depth` applies).
    pub fn reclone(self, args: &[&str]) -> Test {
        let (repo, origin) = (self.repo(), self.path("origin"));
        std::fs::rename(&repo, &origin).unwrap();
        let url = format!("file://{}", origin.display());
        let repo = repo.to_str().unwrap();
        let clone = [&["clone", "-q"][..], args, &[url.as_str(), repo]].concat();
        self.git_in(self.dir.path(), &clone);
        self
    }
}

impl Run {
    /// The clusters kops was asked about (`kops get cluster NAME`), in order.
    pub fn clusters(&self) -> Vec<String> {
        self.argv()
            .iter()
            .filter_map(|a| a.strip_prefix("get cluster "))
            .map(|a| a.split(' ').next().unwrap_or_default().to_owned())
            .collect()
    }
}
