//! Secrets in the forms the renderers and the environment give them, and text that CI engines or
//! terminals would act on: through the real binary, in every format and file kopsflow writes.

use crate::support::Test;

/// A secret with the characters markdown escapes (`_`, `*`, `|`).
const MD_SECRET: &str = "IM_Is4Iq5z*Kx|9_wJalrXUtnFEMI";

/// What of `secret` shows in `text`: any 8 characters of it in a row, once the backslashes an
/// escaper may have put in are gone (`IM\_Is4…`, `Kx\|9`). `None` when nothing does.
fn shown_part(text: &str, secret: &str) -> Option<String> {
    let plain = text.replace('\\', "");
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(8)
        .map(|w| w.iter().collect::<String>())
        .find(|w| plain.contains(w.as_str()))
}

fn assert_hidden(what: &str, text: &str, secret: &str) {
    if let Some(part) = shown_part(text, secret) {
        panic!("{what} shows {part:?} of the secret:\n{text}");
    }
}

/// The lines of `text` a CI engine or a terminal would act on: a GitHub workflow command (`::`
/// at the start, after white space), the `##[` form GitHub and Azure read anywhere in a line,
/// Azure's `##vso[`, and control characters (ESC, CR, BEL, …; a tab is kept).
fn commands_in(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| {
            let lower = line.to_ascii_lowercase();
            line.trim_start().starts_with("::")
                || lower.contains("##[")
                || lower.contains("##vso[")
                || line.chars().any(|c| c.is_control() && c != '\t')
        })
        .map(str::to_owned)
        .collect()
}

/// kops prints the secret in a banner, a task's name, a field value and late in a long value:
/// the markdown renderer escapes `_`, `*` and `|` and the summaries clip long values, and neither
/// may let any part of it through, in any format, on stdout, stderr or in the step summary.
#[test]
fn secrets_escaped_or_clipped_by_the_renderers_stay_hidden() {
    for format in ["text", "markdown", "json"] {
        let test = Test::new()
            .feature_branch()
            .env("AWS_SECRET_ACCESS_KEY", MD_SECRET)
            .env("KOPS_STANDIN_LEAK", "markdown");
        let summary = test.path("step-summary.md");
        let test = test.env("GITHUB_STEP_SUMMARY", &summary.display().to_string());
        let run = test.run(&["plan", "--format", format]);
        assert_eq!(run.code(), 0, "{format}: {}", run.stderr());
        assert!(
            run.stdout().contains("***"),
            "{format}: the values are shown, redacted:\n{}",
            run.stdout()
        );
        assert_hidden(&format!("{format} stdout"), &run.stdout(), MD_SECRET);
        assert_hidden(&format!("{format} stderr"), &run.stderr(), MD_SECRET);
        let written = std::fs::read_to_string(&summary).unwrap();
        assert_hidden(&format!("{format} step summary"), &written, MD_SECRET);
    }
}

/// A secret whose value has several lines (a key, a credentials file): kops prints them line by
/// line, and each line long enough to be a secret is hidden.
#[test]
fn each_line_of_a_multi_line_secret_is_hidden() {
    let lines = [
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo",
        "4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onL",
        "RnrQ0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKf",
    ];
    let test = Test::new()
        .feature_branch()
        .env("AWS_SECRET_ACCESS_KEY", &lines.join("\n"))
        .env("KOPS_STANDIN_LEAK", "1");
    let run = test.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr().contains("debug: signing with ***"),
        "{}",
        run.stderr()
    );
    for line in lines {
        assert!(
            !run.stderr().contains(line) && !run.stdout().contains(line),
            "{line} is shown:\n{}",
            run.stderr()
        );
    }
}

/// kops output that CI engines would read as commands, or terminals as escapes, is shown
/// neutralised: in the live log and in every summary format.
#[test]
fn kops_output_cannot_issue_workflow_commands_or_terminal_escapes() {
    for format in ["text", "markdown", "json"] {
        let test = Test::new()
            .feature_branch()
            .env("KOPS_STANDIN_LEAK", "commands");
        let summary = test.path("step-summary.md");
        let test = test.env("GITHUB_STEP_SUMMARY", &summary.display().to_string());
        let run = test.run(&["plan", "--format", format]);
        assert_eq!(run.code(), 0, "{format}: {}", run.stderr());
        for (what, text) in [
            ("stdout", run.stdout()),
            ("stderr", run.stderr()),
            ("step summary", std::fs::read_to_string(&summary).unwrap()),
        ] {
            assert!(
                text.contains("pwned"),
                "{format} {what}: the lines are shown:\n{text}"
            );
            let commands = commands_in(&text);
            assert!(
                commands.is_empty(),
                "{format} {what} would act on {commands:#?}"
            );
        }
        if format == "json" {
            let value: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
            let unparsed = value.to_string();
            assert!(
                unparsed.contains("##vso[task.setvariable") && unparsed.contains("\\u001b]0;"),
                "JSON readers get kops's text back exactly: {unparsed}"
            );
        }
    }
}

/// Spec keys and values and branch names reach diagnostics, plans and summaries: a newline
/// followed by a workflow command, or an escape sequence, in them issues nothing.
#[test]
fn spec_text_and_branch_names_cannot_issue_workflow_commands() {
    let test = Test::new().feature_branch();
    let spec = test.read_spec();
    let spec = spec.replacen(
        "spec:\n",
        "spec:\n  \"x\\n::error file=README.md,line=1::pwned\\e[2J\": 1\n",
        1,
    );
    test.write_spec(&spec);
    let run = test.run(&["validate"]);
    let shown = format!("{}{}", run.stdout(), run.stderr());
    assert!(shown.contains("pwned"), "the key is shown:\n{shown}");
    let commands = commands_in(&shown);
    assert!(commands.is_empty(), "validate would act on {commands:#?}");

    let test = Test::new().feature_branch();
    for format in ["text", "markdown", "json"] {
        let run = test.run(&[
            "plan",
            "--print",
            "--format",
            format,
            "--branch",
            "feat\n::warning::pwned\n##vso[task.complete result=Failed]\u{1b}[2J",
        ]);
        let shown = format!("{}{}", run.stdout(), run.stderr());
        assert!(
            shown.contains("pwned"),
            "{format}: the branch is shown:\n{shown}"
        );
        let commands = commands_in(&shown);
        assert!(commands.is_empty(), "{format}: would act on {commands:#?}");
    }
}

/// A diagnostic quotes a spec value cut after 200 bytes, before the redactor sees it: the part
/// of the secret before the cut is hidden too.
#[test]
fn a_secret_cut_short_in_a_diagnostic_stays_hidden() {
    let test = Test::new();
    let spec = test.read_spec();
    let value = format!("{}{}", "x".repeat(190), crate::support::SECRET);
    let spec = spec.replacen("maxSize: 1", &format!("maxSize: \"{value}\""), 1);
    test.write_spec(&spec);
    let run = test.run(&["validate"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        run.stderr().contains("xxxx"),
        "the value is quoted:\n{}",
        run.stderr()
    );
    assert_hidden("stderr", &run.stderr(), crate::support::SECRET);
    assert_hidden("stdout", &run.stdout(), crate::support::SECRET);
}

/// `deploy` and `drift` (which shows kops's dry-run of production, where the stand-in puts the
/// secret) with kops printing the secret: no part of it in their output, the step summary or
/// the audit log.
#[test]
fn deploy_and_drift_keep_the_secret_out_of_every_file() {
    let test = Test::new()
        .env("AWS_SECRET_ACCESS_KEY", MD_SECRET)
        .env("KOPS_STANDIN_LEAK", "markdown");
    let summary = test.path("step-summary.md");
    let audit = test.path("audit.jsonl");
    let test = test.env("GITHUB_STEP_SUMMARY", &summary.display().to_string());
    for args in [
        &[
            "deploy",
            "--branch",
            "main",
            "--cluster",
            crate::support::CLUSTER,
            "--format",
            "markdown",
            "--audit-log",
            audit.to_str().unwrap(),
        ][..],
        &["drift", "--format", "markdown"],
    ] {
        let run = test.run(args);
        assert_hidden(&format!("{args:?} stdout"), &run.stdout(), MD_SECRET);
        assert_hidden(&format!("{args:?} stderr"), &run.stderr(), MD_SECRET);
        assert_eq!(run.code(), 0, "{args:?}: {}", run.stderr());
    }
    let written = std::fs::read_to_string(&summary).unwrap_or_default();
    assert_hidden("step summary", &written, MD_SECRET);
    let log = std::fs::read_to_string(&audit).unwrap();
    assert!(log.contains("\"cluster\""), "{log}");
    assert_hidden("audit log", &log, MD_SECRET);
}
