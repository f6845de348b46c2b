//! The minimal repository driven end to end through the library alone: the example
//! (`examples/minimal/`: its cluster spec and committed `.gitlab-ci.yml`) copied into a temp git
//! repository on `trunk`, its `minimal-xtask` binary run there with the workspace's kops
//! stand-in (`xtask/tests/kops-standin.sh`, replaying real recorded kops output) first on PATH,
//! and production in a `file://` store in place of the example's S3 bucket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const STANDIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../xtask/tests/kops-standin.sh"
);
const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../kopsflow/tests/kops-samples"
);
const CLUSTER: &str = "web.acme.example.com";
const SPEC: &str = "cluster-spec/web.acme.example.com.yml";
/// Production in tests: a `file://` store instead of `s3://acme-kops-state`.
const PRODUCTION: &str = "file:///srv/acme-kops-state";

/// A temp dir with `repo/` (the example's files in a git repository on `trunk`), `bin/kops`
/// (the stand-in), `standin/` (its log), `tmp/` and `home/`.
struct Example {
    dir: tempfile::TempDir,
}

impl Example {
    fn new() -> Example {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["repo/cluster-spec", "bin", "standin", "tmp", "home"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        std::fs::copy(STANDIN, dir.path().join("bin/kops")).unwrap();
        let example = Example { dir };
        let spec = std::fs::read_to_string(Path::new(EXAMPLE).join(SPEC)).unwrap();
        assert!(spec.contains("configBase: s3://acme-kops-state/web.acme.example.com"));
        example.write(SPEC, &spec.replace("s3://acme-kops-state", PRODUCTION));
        let ci = std::fs::read_to_string(Path::new(EXAMPLE).join(".gitlab-ci.yml")).unwrap();
        example.write(".gitlab-ci.yml", &ci);
        example.git(&["init", "-q", "-b", "trunk"]);
        example.git(&["add", "-A"]);
        example.git(&["commit", "-q", "-m", "the cluster spec"]);
        example
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    fn write(&self, file: &str, text: &str) {
        std::fs::write(self.path("repo").join(file), text).unwrap();
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.path("repo").join(file)).unwrap()
    }

    /// `program ARGS` in the repository with a hermetic environment (nothing inherited but PATH).
    fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut command = Command::new(program);
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap()
        );
        let d = |sub: &str| self.path(sub).display().to_string();
        command
            .args(args)
            .current_dir(self.path("repo"))
            .env_clear()
            .envs([
                ("HOME", d("home")),
                ("GIT_CONFIG_NOSYSTEM", "1".into()),
                ("GIT_AUTHOR_NAME", "Ada".into()),
                ("GIT_AUTHOR_EMAIL", "ada@example.com".into()),
                ("GIT_COMMITTER_NAME", "Ada".into()),
                ("GIT_COMMITTER_EMAIL", "ada@example.com".into()),
                ("PATH", path),
                ("TMPDIR", d("tmp")),
                ("KOPS_STATE_STORE", PRODUCTION.into()),
                ("KOPS_STANDIN_DIR", d("standin")),
                ("KOPS_STANDIN_SAMPLES", SAMPLES.into()),
                ("NO_COLOR", "1".into()),
            ]);
        command
    }

    fn git(&self, args: &[&str]) {
        let out = self.command("git", args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    }

    /// `minimal-xtask ARGS`: its output, and the argv of every kops call it made (the run's
    /// temp dir as `$TMP`).
    fn xtask(&self, args: &[&str]) -> (Output, Vec<String>) {
        let _ = std::fs::remove_file(self.path("standin/calls.log"));
        let out = self
            .command(env!("CARGO_BIN_EXE_minimal-xtask"), args)
            .output()
            .unwrap();
        let calls = std::fs::read_to_string(self.path("standin/calls.log")).unwrap_or_default();
        let tmp = self.path("tmp").display().to_string();
        let argv = calls
            .lines()
            .filter_map(|l| l.strip_prefix("call ")?.split_once(": ").map(|(_, a)| a))
            .map(|a| a.replace(&tmp, "$TMP"))
            .collect();
        (out, argv)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The dry-run store of the run's work dir (`$TMP/kopsflow-XXXXXX/CLUSTER/store`).
fn is_dry_run_store(arg: &str) -> bool {
    arg.starts_with("file://$TMP/kopsflow-") && arg.ends_with(&format!("/{CLUSTER}/store"))
}

/// `plan` on a branch: changes pending (exit 2 with --detailed-exitcode), production only read,
/// kops's writes all in the dry-run store.
#[test]
fn plan_on_a_branch_previews_in_a_dry_run_store() {
    let example = Example::new();
    example.git(&["checkout", "-q", "-b", "resize-nodes"]);
    let spec = example.read(SPEC);
    example.write(SPEC, &spec.replacen("maxSize: 1", "maxSize: 4", 1));
    example.git(&["commit", "-q", "-am", "more nodes"]);
    let (out, argv) = example.xtask(&["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(argv.len(), 5, "{argv:#?}");
    assert_eq!(argv[0], "version");
    assert_eq!(
        argv[1],
        format!("get cluster {CLUSTER} -o yaml --state {PRODUCTION}")
    );
    assert_eq!(
        argv[2],
        format!("get instancegroups --name {CLUSTER} -o yaml --state {PRODUCTION}")
    );
    for (call, command) in [(&argv[3], "replace -f "), (&argv[4], "update cluster ")] {
        assert!(call.starts_with(command), "{call}");
        let store = call
            .split(" --state ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        assert!(is_dry_run_store(store), "{call}");
        assert!(!call.contains("--yes"), "{call}");
    }
    assert!(argv
        .iter()
        .filter(|a| a.contains(PRODUCTION))
        .all(|a| a.starts_with("get ")));
    assert!(
        text(&out.stdout).contains("spec.maxSize: 1 → 4"),
        "{}",
        text(&out.stdout)
    );
}

/// `deploy` on `trunk` (the example's only main branch) replaces the spec into production and
/// applies it; on any other branch it changes nothing.
#[test]
fn deploy_on_trunk_applies_to_the_example_store() {
    let example = Example::new();
    let (out, argv) = example.xtask(&["deploy"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let replace = argv
        .iter()
        .find(|a| a.starts_with("replace -f "))
        .expect("a replace");
    assert!(
        replace.starts_with("replace -f $TMP/kopsflow-"),
        "{replace}"
    );
    assert!(
        replace.ends_with(&format!("--state {PRODUCTION} --force")),
        "{replace}"
    );
    let update = format!("update cluster {CLUSTER} --state {PRODUCTION} --yes");
    let at = |call: &str| argv.iter().position(|a| a.starts_with(call));
    assert!(at("replace -f ") < at(&update), "{argv:#?}");
    assert!(at(&update).is_some(), "{argv:#?}");

    example.git(&["checkout", "-q", "-b", "main"]);
    let (out, argv) = example.xtask(&["deploy", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        argv.iter()
            .all(|a| !a.contains("--yes") && !a.starts_with("replace")),
        "{argv:#?}"
    );
}

/// `ci gitlab --check`: the committed file is up to date; edited, it is stale (exit 1, a diff).
/// `ci` checks the spec's `configBase` against its environment's store whatever
/// `KOPS_STATE_STORE` says (the files belong to the repository): the test store this copy's spec
/// points at is refused at its line, the committed spec passes.
#[test]
fn the_committed_gitlab_file_is_checked() {
    let example = Example::new();
    let (out, _) = example.xtask(&["ci", "gitlab", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&format!(
            "{SPEC}:16:15: spec.configBase: configBase {PRODUCTION}/web.acme.example.com is not in the store of environment production"
        )),
        "{}",
        text(&out.stderr)
    );
    let committed = std::fs::read_to_string(Path::new(EXAMPLE).join(SPEC)).unwrap();
    example.write(SPEC, &committed);
    let (out, argv) = example.xtask(&["ci", "gitlab", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("ok: 1 file(s) up to date for gitlab"));
    assert!(argv.is_empty(), "ci runs no kops");
    let ci = example.read(".gitlab-ci.yml");
    example.write(".gitlab-ci.yml", &ci.replace("\"trunk\"", "\"main\""));
    let (out, _) = example.xtask(&["ci", "gitlab", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("-    value: \"main\"") || stdout.contains("\"main\""),
        "{stdout}"
    );
    assert!(text(&out.stderr)
        .contains(".gitlab-ci.yml differ from what `cargo xtask ci gitlab` generates"));
}
