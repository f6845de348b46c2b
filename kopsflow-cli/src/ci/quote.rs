//! Quoting for the languages the generated CI files are written in: YAML double-quoted scalars,
//! Groovy single-quoted strings, POSIX shell words, GitHub branch filter patterns and GitLab
//! variable values. Every value that comes from settings, branch or cluster names goes through
//! one of these; [`check_value`] refuses what no quoting can make safe.

use anyhow::bail;

/// Refuses a value no generated file can hold safely: empty, or with control characters (git
/// branch names and kops cluster names have none; a newline would end a YAML key or a Groovy
/// line comment).
pub fn check_value(what: &str, value: &str) -> anyhow::Result<()> {
    if value.is_empty() {
        bail!("{what} is empty");
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        bail!("{what} {value:?} contains the control character {c:?}: it cannot be written into a CI file");
    }
    Ok(())
}

/// A YAML double-quoted scalar: `"`, `\` and non-printable characters escaped. Always quoted,
/// so `true`, `1.10`, `*x`, `- a`, `#c` and `: ` stay strings.
pub fn yaml(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A YAML flow sequence of double-quoted scalars: `["a", "b"]`.
pub fn yaml_list<S: AsRef<str>>(values: &[S]) -> String {
    let items: Vec<String> = values.iter().map(|v| yaml(v.as_ref())).collect();
    format!("[{}]", items.join(", "))
}

/// A YAML literal block scalar (`|`) holding `text`, its lines indented by `indent` spaces. The
/// text is kept byte for byte (it ends with one newline).
pub fn yaml_block(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::from("|\n");
    for line in text.trim_end_matches('\n').lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&pad);
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A Groovy single-quoted string: no `${…}` interpolation; `\` and `'` escaped.
pub fn groovy(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A Groovy triple-single-quoted string holding a shell script (no interpolation: `$` reaches
/// the shell as is). The first line (the `#!` line) follows the quotes directly, as Jenkins
/// reads a shebang only at the very start; the others are indented by `indent` spaces.
pub fn groovy_script(script: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::from("'''");
    for (i, line) in script.trim_end_matches('\n').lines().enumerate() {
        if i > 0 && !line.is_empty() {
            out.push_str(&pad);
        }
        // `\` escapes in Groovy strings, `'''` would end this one.
        out.push_str(&line.replace('\\', "\\\\").replace("'''", "\\'\\'\\'"));
        out.push('\n');
    }
    out.push_str(&" ".repeat(indent.saturating_sub(4)));
    out.push_str("'''");
    out
}

/// A POSIX shell word: single-quoted unless it is plainly safe.
pub fn shell(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c));
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

/// A GitHub Actions branch filter matching exactly `name`: the pattern characters
/// (`* ? + [ ] !` and `\`) escaped with `\`.
pub fn github_branch_filter(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, c) in name.chars().enumerate() {
        if "*?+[]\\".contains(c) || (i == 0 && c == '!') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Refuses a value that GitHub would evaluate as an expression (`${{ … }}`): GitHub reads
/// expressions in almost every string of a workflow, and no YAML quoting stops it.
pub fn check_github(what: &str, value: &str) -> anyhow::Result<()> {
    check_value(what, value)?;
    if value.contains("${{") {
        bail!("{what} {value:?} contains `${{{{`, which GitHub Actions would evaluate as an expression");
    }
    Ok(())
}

/// Refuses a value GitLab would expand where it is used (job names, `resource_group`,
/// `rules:changes` paths): `$` starts a variable there.
pub fn check_gitlab(what: &str, value: &str) -> anyhow::Result<()> {
    check_value(what, value)?;
    if value.contains('$') {
        bail!("{what} {value:?} contains `$`, which GitLab CI would expand as a variable");
    }
    Ok(())
}

/// Refuses anything but an environment-variable-like name (`KOPSFLOW_PLAN_ROLE_ARN`): such names
/// are written into `${{ vars.NAME }}`, `$NAME` and Jenkins credential bindings unquoted.
pub fn check_identifier(what: &str, name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        bail!(
            "{what} {name:?} must be a name of letters, digits and `_` (not starting with a digit)"
        );
    }
    Ok(())
}

/// Refuses an environment name that cannot end a job name on every engine (a GitHub job id is
/// letters, digits, `-` and `_`) or be a GitHub or GitLab environment's name: letters, digits,
/// `-` and `_` only.
pub fn check_environment_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!(
            "environment name {name:?} must be letters, digits, `-` and `_`: it names the CI jobs of the environment"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_quotes_everything_that_would_change_meaning() {
        assert_eq!(yaml("main"), "\"main\"");
        assert_eq!(yaml(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(yaml("a\nb\u{7}"), "\"a\\nb\\u0007\"");
        assert_eq!(yaml("${{ secrets.X }}"), "\"${{ secrets.X }}\"");
        assert_eq!(yaml_list(&["a", "b"]), "[\"a\", \"b\"]");
    }

    #[test]
    fn groovy_strings_never_interpolate() {
        assert_eq!(groovy("main"), "'main'");
        assert_eq!(groovy(r"it's \ ${x}"), r"'it\'s \\ ${x}'");
        assert_eq!(groovy("a\nb"), "'a\\nb'");
        let script = groovy_script("#!/bin/sh\necho \"$X\" '''\\n\n\nls", 8);
        assert_eq!(
            script,
            "'''#!/bin/sh\n        echo \"$X\" \\'\\'\\'\\\\n\n\n        ls\n    '''"
        );
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell("test.k8s.example.com"), "test.k8s.example.com");
        assert_eq!(shell("a b"), "'a b'");
        assert_eq!(shell("it's"), "'it'\\''s'");
        assert_eq!(shell("$(x)"), "'$(x)'");
        assert_eq!(shell(""), "''");
    }

    #[test]
    fn github_filters_match_the_name_exactly() {
        assert_eq!(github_branch_filter("main"), "main");
        assert_eq!(github_branch_filter("release/*"), "release/\\*");
        assert_eq!(github_branch_filter("!x[1]+?"), "\\!x\\[1\\]\\+\\?");
        assert_eq!(github_branch_filter("a!b"), "a!b");
    }

    #[test]
    fn refusals() {
        assert!(check_value("cluster", "a\nb").is_err());
        assert!(check_value("cluster", "").is_err());
        assert!(check_value("cluster", "a'b\"c$d\\e").is_ok());
        assert!(check_github("cluster", "${{ github.token }}").is_err());
        assert!(check_github("cluster", "$x{{").is_ok());
        assert!(check_gitlab("cluster", "a$b").is_err());
        assert!(check_identifier("variable", "KOPSFLOW_ROLE_1").is_ok());
        assert!(check_identifier("variable", "1X").is_err());
        assert!(check_identifier("variable", "A-B").is_err());
        assert!(check_identifier("variable", "").is_err());
        assert!(check_environment_name("prod-eu_1").is_ok());
        assert!(check_environment_name("prod eu").is_err());
        assert!(check_environment_name("").is_err());
    }
}
