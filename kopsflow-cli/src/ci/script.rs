//! The shell scripts every engine runs, written once: installing kops at the pinned version with
//! its sha256 verified, and running a kopsflow job whose exit 2 means "something to report",
//! not "failed". Values in them are shell-quoted; engine values (the cluster a person picked,
//! the dry-run switch) arrive as environment variables, never spliced into the text.

use std::fmt::Write as _;

use super::quote::shell;
use super::KopsInstall;

/// Where the generated jobs put their files, under the (git-ignored) `target/` so that the
/// work tree stays clean for `deploy`: the kops binary and the summaries.
pub const CI_DIR: &str = "target/kopsflow-ci";
/// The kops binary the jobs install; every engine sets `$KOPS` to it (absolute).
pub const KOPS_BIN: &str = "target/kopsflow-ci/bin/kops";
/// The audit log kopsflow writes (archived by the deploy and rolling-update jobs).
pub const AUDIT_LOG: &str = "target/kopsflow/audit.jsonl";

const SHEBANG: &str = "#!/usr/bin/env bash\nset -euo pipefail\n";

/// Downloads `kops-linux-amd64` of the pinned release and checks its sha256: against the pinned
/// value when there is one, else against the `.sha256` file published with the release (which
/// only proves the download is intact, not who published it: pinning is stronger).
pub fn install_kops(kops: &KopsInstall, settings_file: &str) -> anyhow::Result<String> {
    let url = kops.url();
    let mut s = String::from(SHEBANG);
    let _ = writeln!(
        s,
        "# kops {}, sha256 {}",
        kops.version,
        kops.sha256_source(settings_file)
    );
    let _ = writeln!(s, "url={}", shell(&url));
    s.push_str(concat!(
        "dir=target/kopsflow-ci/bin\n",
        "mkdir -p \"$dir\"\n",
        "curl --fail --silent --show-error --location --retry 3 --output \"$dir/kops.download\" \"$url\"\n",
    ));
    match kops.pinned_sha256(settings_file)? {
        Some(sha256) => {
            let _ = writeln!(s, "expected={sha256}");
        }
        None => s.push_str(concat!(
            "curl --fail --silent --show-error --location --retry 3 --output \"$dir/kops.sha256\" \"$url.sha256\"\n",
            "expected=\"$(awk 'NR == 1 { print $1 }' \"$dir/kops.sha256\")\"\n",
        )),
    }
    s.push_str(concat!(
        "if ! printf '%s\\n' \"$expected\" | grep -Eqx '[0-9a-f]{64}'; then\n",
        "  echo \"no sha256 to check kops against: '$expected'\" >&2\n",
        "  exit 1\n",
        "fi\n",
        "printf '%s  %s\\n' \"$expected\" \"$dir/kops.download\" | sha256sum --check --strict\n",
        "chmod +x \"$dir/kops.download\"\n",
        "mv \"$dir/kops.download\" \"$dir/kops\"\n",
        "\"$dir/kops\" version\n",
    ));
    Ok(s)
}

/// The CI variable that turns cloud-only rolling updates on or off (`true`/`false`).
pub const CLOUDONLY_VAR: &str = "KOPSFLOW_CLOUDONLY";

/// `cargo xtask ci ENGINE --check`, the first step of every plan job (before kops is
/// installed): committed CI files that differ from what the pipeline generates fail the change,
/// with the command that fixes it. `annotate` prefixes the engine's error marker (GitHub
/// `::error …::`).
pub fn check_ci_files(engine: &str, annotate: &str) -> String {
    let mut s = String::from(SHEBANG);
    let _ = writeln!(s, "if ! cargo xtask ci {engine} --check; then");
    let _ = writeln!(
        s,
        "  echo {} >&2",
        shell(&format!(
            "{annotate}the committed CI files are stale: run cargo xtask ci {engine} and commit the result"
        ))
    );
    s.push_str(
        "  exit 1
fi
",
    );
    s
}

/// What a job's exit 2 (`--detailed-exitcode`) means, and what the engine does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnPending {
    /// Report it and succeed (plan: changes pending; deploy: a rolling update is needed).
    Succeed,
    /// Report it and exit 2, for the engine to turn into its own "unstable"/"warning" state or
    /// a failed run (drift).
    Exit2,
}

/// What a job of one environment runs: `cargo xtask VERB --environment ENV FLAGS…`. The
/// engines differ only in how they run it; these are the generated jobs' command lines.
pub fn env_args<'a>(verb: &'a str, env: &'a str, flags: &[&'a str]) -> Vec<&'a str> {
    [verb, "--environment", env]
        .into_iter()
        .chain(flags.iter().copied())
        .collect()
}

/// `plan --environment ENV --detailed-exitcode` (exit 2: changes pending).
pub fn plan_args(env: &str) -> Vec<&str> {
    env_args("plan", env, &["--detailed-exitcode"])
}

/// `drift --all --environment ENV --detailed-exitcode` (exit 2: drift found).
pub fn drift_args(env: &str) -> Vec<&str> {
    let mut args = env_args("drift", env, &["--detailed-exitcode"]);
    args.insert(1, "--all");
    args
}

/// `rolling-update --environment ENV` and `--detailed-exitcode` (a preview; exit 2: a rolling
/// update is needed) or `--yes` (roll).
pub fn rolling_update_args(env: &str, roll: bool) -> Vec<&str> {
    let flag = if roll { "--yes" } else { "--detailed-exitcode" };
    env_args("rolling-update", env, &[flag])
}

/// `deploy --print --detailed-exitcode --environment ENV`: whether `ENV`'s deploy has a cluster
/// to deploy (exit 2) or nothing (exit 0), asked before the deploy job and its approval; it
/// needs no kops and no cloud identity (docs/CI.md, "Environments in CI").
pub fn pending_args(env: &str) -> Vec<String> {
    [
        "deploy",
        "--print",
        "--detailed-exitcode",
        "--environment",
        env,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The script that asks [`pending_args`] for `env` (after `prelude`, with `extra` appended to the
/// command) and runs `yes` on exit 2 (a cluster to deploy), `no` on exit 0 (nothing to deploy);
/// any other exit fails.
pub fn pending_script(env: &str, prelude: &str, extra: &str, yes: &str, no: &str) -> String {
    let mut s = String::from(SHEBANG);
    s.push_str(prelude);
    let words: Vec<String> = pending_args(env).iter().map(|a| shell(a)).collect();
    let _ = writeln!(s, "status=0");
    let _ = writeln!(
        s,
        "cargo xtask {}{}{} || status=$?",
        words.join(" "),
        if extra.is_empty() { "" } else { " " },
        extra
    );
    let _ = writeln!(s, "case \"$status\" in");
    let _ = writeln!(s, "  0) {no} ;;");
    let _ = writeln!(s, "  2) {yes} ;;");
    let _ = writeln!(
        s,
        "  *) echo \"cargo xtask deploy --print failed (exit $status)\" >&2; exit \"$status\" ;;"
    );
    s.push_str("esac\n");
    s
}

/// One kopsflow job: `cargo xtask ARGS… --format markdown`, the summary kept in
/// `target/kopsflow-ci/<name>.md` and printed; exit 2 handled per `pending`; any other non-zero
/// exit fails. `extra` is shell text appended to the command (e.g. `"$@"` or `--cluster "$CLUSTER"`),
/// and `prelude` runs first.
/// `deploy --detailed-exitcode`, with `--validate WAIT` when the settings ask for post-deploy
/// validation: the deploy command of every engine.
pub fn deploy_args(validate_after_deploy: Option<std::time::Duration>) -> Vec<String> {
    let mut args = vec!["deploy".to_owned(), "--detailed-exitcode".to_owned()];
    if let Some(wait) = validate_after_deploy {
        args.extend(["--validate".to_owned(), kopsflow::duration::format_go(wait)]);
    }
    args
}

pub fn run_job(
    name: &str,
    args: &[impl AsRef<str>],
    extra: &str,
    prelude: &str,
    pending: Option<(OnPending, &str)>,
) -> String {
    let mut s = String::from(SHEBANG);
    let _ = writeln!(s, "mkdir -p {CI_DIR}");
    s.push_str(prelude);
    let summary = format!("{CI_DIR}/{name}.md");
    let words: Vec<String> = args.iter().map(|a| shell(a.as_ref())).collect();
    let _ = writeln!(s, "status=0");
    let _ = writeln!(
        s,
        "cargo xtask {} --format markdown{}{} > {summary} || status=$?",
        words.join(" "),
        if extra.is_empty() { "" } else { " " },
        extra
    );
    let _ = writeln!(s, "cat {summary}");
    let _ = writeln!(s, "case \"$status\" in");
    let _ = writeln!(s, "  0) ;;");
    match pending {
        Some((OnPending::Succeed, message)) => {
            let _ = writeln!(s, "  2) echo {} ;;", shell(message));
        }
        Some((OnPending::Exit2, message)) => {
            let _ = writeln!(s, "  2) echo {}; exit 2 ;;", shell(message));
        }
        None => {}
    }
    let _ = writeln!(
        s,
        "  *) echo \"cargo xtask {} failed (exit $status)\" >&2; exit \"$status\" ;;",
        args.first().map_or("", |a| a.as_ref())
    );
    s.push_str("esac\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use kopsflow::kops::KopsVersion;

    #[test]
    fn kops_is_verified_against_the_pin_or_the_published_sha256() -> anyhow::Result<()> {
        let mut kops = KopsInstall {
            version: KopsVersion::new(1, 29, 2),
            sha256: None,
        };
        let published = install_kops(&kops, "ops/src/pipeline.rs")?;
        assert!(published.contains(
            "url=https://github.com/kubernetes/kops/releases/download/v1.29.2/kops-linux-amd64\n"
        ));
        assert!(published.contains("\"$url.sha256\""));
        assert!(published.contains("sha256sum --check --strict"));
        kops.sha256 = Some("AB".repeat(32).leak());
        let pinned = install_kops(&kops, "ops/src/pipeline.rs")?;
        assert!(pinned.contains(&format!("expected={}\n", "ab".repeat(32))));
        assert!(!pinned.contains("$url.sha256"));
        kops.sha256 = Some("abc");
        assert!(install_kops(&kops, "ops/src/pipeline.rs").is_err());
        Ok(())
    }

    #[test]
    fn exit_2_is_reported_not_failed() {
        let s = run_job(
            "plan",
            &["plan", "--detailed-exitcode"],
            "",
            "",
            Some((OnPending::Succeed, "changes pending")),
        );
        assert!(s.contains(
            "cargo xtask plan --detailed-exitcode --format markdown > target/kopsflow-ci/plan.md || status=$?\n"
        ));
        assert!(s.contains("  2) echo 'changes pending' ;;\n"));
        let s = run_job(
            "drift",
            &["drift"],
            "",
            "",
            Some((OnPending::Exit2, "drift found")),
        );
        assert!(s.contains("  2) echo 'drift found'; exit 2 ;;\n"));
        let s = run_job("roll", &["rolling-update", "--yes"], "", "", None);
        assert!(!s.contains("  2)"));
    }
}
