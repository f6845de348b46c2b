//! Tests of the text redactor: every form of a secret it hides, that it leaves the rest alone,
//! that redacting twice changes nothing more, and that a 1 MB line of credentials is read once.

use super::*;

#[test]
fn secret_names() {
    let r = Redactor::from_env([
        ("AWS_SESSION_TOKEN".to_owned(), "tok-123456".to_owned()),
        ("S3_SECRET_ACCESS_KEY".to_owned(), "s3secret".to_owned()),
        ("AWS_REGION".to_owned(), "us-east-1".to_owned()),
    ]);
    assert_eq!(
        r.redact("a tok-123456 s3secret us-east-1"),
        "a *** *** us-east-1"
    );
}

#[test]
fn kubeconfig_credentials() {
    let r = Redactor::default();
    assert_eq!(
        r.redact("    client-key-data: LS0tLS1CRUdJTg=="),
        "    client-key-data: ***"
    );
    assert_eq!(r.redact("- token: abc.def"), "- token: ***");
    assert_eq!(r.redact("token:"), "token:");
    assert_eq!(r.redact("  server: https://api"), "  server: https://api");
    assert_eq!(
        r.redact(r#"{"user": {"client-key-data": "LS0t\"x", "token":"t0k"}, "name": "a"}"#),
        r#"{"user": {"client-key-data": "***", "token":"***"}, "name": "a"}"#
    );
}

#[test]
fn json_escaped_secrets() {
    let r = Redactor::from_env([("DB_PASSWORD".to_owned(), "pa\"ss\\wd".to_owned())]);
    assert_eq!(r.redact(r#"{"v": "pa\"ss\\wd"}"#), r#"{"v": "***"}"#);
    assert_eq!(r.redact("raw pa\"ss\\wd"), "raw ***");
}

#[test]
fn secret_assignments_not_in_the_environment() {
    let r = Redactor::default();
    assert_eq!(
        r.redact("+ export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG AWS_REGION=us-east-1"),
        "+ export AWS_SECRET_ACCESS_KEY=*** AWS_REGION=us-east-1"
    );
    assert_eq!(
        r.redact(r#"GITHUB_TOKEN="ghp_abc def"; next"#),
        r#"GITHUB_TOKEN="***"; next"#
    );
    assert_eq!(
        r.redact("url?X-Amz-Security-Token=Zm9v&b=1"),
        "url?X-Amz-Security-Token=***"
    );
    // Inside a JSON string the quotes are escaped: the value goes, the JSON stays valid.
    assert_eq!(
        r.redact(r#"{"error": "export GITHUB_TOKEN=\"ghp abc\" done"}"#),
        r#"{"error": "export GITHUB_TOKEN=\"***\" done"}"#
    );
    assert_eq!(
        r.redact(r#"{"e": "A_TOKEN=\"x"}"#),
        r#"{"e": "A_TOKEN=\"***"#
    );
    assert_eq!(
        r.redact(r#"{"e": "say \"A_TOKEN=abc\" now"}"#),
        r#"{"e": "say \"A_TOKEN=***\" now"}"#
    );
    assert_eq!(r.redact("a == b, count=3"), "a == b, count=3");
    assert_eq!(r.redact("TOKEN="), "TOKEN=");
    // A multi-byte character right before the name (fuzz/regressions/redact/89604865740be0ce).
    assert_eq!(
        r.redact("�TOKEN=abc —PASSWORD=x"),
        "�TOKEN=*** —PASSWORD=***"
    );
}

#[test]
fn private_keys_on_one_line_and_across_lines() {
    let r = Redactor::default();
    assert_eq!(
        r.redact(r"key: -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n"),
        r"key: -----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----\n"
    );
    assert_eq!(
        r.redact("x -----BEGIN PRIVATE KEY-----MIIE"),
        "x -----BEGIN PRIVATE KEY-----***"
    );
    let text = "a\n  -----BEGIN EC PRIVATE KEY-----\n  MHcCAQEE\n  oUQDQgAE\n  -----END EC PRIVATE KEY-----\nb\n";
    assert_eq!(
        r.redact_text(text),
        "a\n  -----BEGIN EC PRIVATE KEY-----\n  ***\n  ***\n  -----END EC PRIVATE KEY-----\nb\n"
    );
    // A certificate is public: it stays.
    let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    assert_eq!(r.redact_text(cert), cert);
}

#[test]
fn each_line_of_a_multi_line_secret_is_a_secret() {
    let value =
        "-----BEGIN X-----\n  MIIEowIBAAKCAQEAu1SU1LfVLP\r\n  short\n  4lgOEePzNm0tRgeLezV6ffAt\n";
    let r = Redactor::from_env([("SSH_PRIVATE_KEY".to_owned(), value.to_owned())]);
    assert_eq!(
        r.redact_text("a MIIEowIBAAKCAQEAu1SU1LfVLP b\n4lgOEePzNm0tRgeLezV6ffAt\nshort"),
        "a *** b\n***\nshort",
        "lines under {MIN_SECRET_LINE_CHARS} characters are not hidden on their own"
    );
}

#[test]
fn url_encoded_secrets() {
    let r = Redactor::from_env([("DB_PASSWORD".to_owned(), "p@ss w/rd+1".to_owned())]);
    assert_eq!(
        r.redact("postgres://u:p%40ss%20w%2Frd%2B1@db p%40ss+w%2Frd%2B1 p%40ss%20w%2frd%2b1"),
        "postgres://u:***@db *** ***"
    );
}

#[test]
fn kubeconfig_credentials_in_every_yaml_form() {
    let r = Redactor::default();
    for (line, shown) in [
        (
            "{token: abc.def, password: hunter22}",
            "{token: ***, password: ***}",
        ),
        (
            "  user: {token: abc, name: a}",
            "  user: {token: ***, name: a}",
        ),
        ("{password: correct horse battery}", "{password: ***}"),
        (r#"{"e": "{token: a b"}"#, r#"{"e": "{token: ***"}"#),
        (r#""token": abc.def"#, r#""token": ***"#),
        ("'token': abc.def", "'token': ***"),
        ("token : abc.def", "token : ***"),
        (
            "- {client-key-data: LS0t, x: 1}",
            "- {client-key-data: ***, x: 1}",
        ),
        ("password: 'it''s secret' # note", "password: '***' # note"),
        (r#"{"password":"p\"w"}"#, r#"{"password":"***"}"#),
        (
            r#"{"e": "kubeconfig: {\"token\": \"abc\"}"}"#,
            r#"{"e": "kubeconfig: {\"token\": \"***\"}"}"#,
        ),
        (r#"{"e": "token: abc"}"#, r#"{"e": "token: ***"}"#),
        ("refresh-token: r1 access-token: a1", "refresh-token: ***"),
        // Not credentials: other keys, a key naming none, a reference, a GitHub permission.
        ("mytoken: x tokenFile: y", "mytoken: x tokenFile: y"),
        (
            "authenticationTokenWebhook: true",
            "authenticationTokenWebhook: true",
        ),
        ("token: ${{ secrets.TOKEN }}", "token: ${{ secrets.TOKEN }}"),
        ("id-token: write", "id-token: write"),
        ("> Authorization: Bearer eyJhbGciOi", "> Authorization: ***"),
        ("PRIVATE-TOKEN: glpat-abc x", "PRIVATE-TOKEN: ***"),
        ("Token: abc", "Token: ***"),
        (
            r#"curl --header "JOB-TOKEN: ${CI_JOB_TOKEN:-}" x"#,
            r#"curl --header "JOB-TOKEN: ${CI_JOB_TOKEN:-}" x"#,
        ),
        ("token:", "token:"),
        ("token: # none", "token: # none"),
    ] {
        assert_eq!(r.redact(line), shown, "{line}");
    }
}

#[test]
fn environment_entries_in_yaml() {
    let r = Redactor::default();
    assert_eq!(
        r.redact("    GITHUB_TOKEN: ghp_abc123 # x"),
        "    GITHUB_TOKEN: *** # x"
    );
    assert_eq!(
        r.redact("- AWS_SECRET_ACCESS_KEY: \"wJalr\""),
        "- AWS_SECRET_ACCESS_KEY: \"***\""
    );
    assert_eq!(
        r.redact("{DB_PASSWORD: x, HOST: h}"),
        "{DB_PASSWORD: ***, HOST: h}"
    );
    // Environment-style only: kops's camelCase fields are shown.
    assert_eq!(r.redact("secretName: my-secret"), "secretName: my-secret");
    assert_eq!(
        r.redact("GH_TOKEN: ${{ github.token }}"),
        "GH_TOKEN: ${{ github.token }}"
    );
    assert_eq!(r.redact("AWS_REGION: us-east-1"), "AWS_REGION: us-east-1");
}

#[test]
fn secret_flags() {
    let r = Redactor::default();
    for (line, shown) in [
        (
            "kubectl --token abc123 get pods",
            "kubectl --token *** get pods",
        ),
        ("x --token=abc123 --v=2", "x --token=*** --v=2"),
        (
            "x --aws-secret-access-key 'wJa lr' y",
            "x --aws-secret-access-key '***' y",
        ),
        ("x --client-secret=\"s3\" y", "x --client-secret=\"***\" y"),
        ("x --password --next", "x --password --next"),
        ("x --token $TOKEN", "x --token $TOKEN"),
        ("x --name demo --yes", "x --name demo --yes"),
    ] {
        assert_eq!(r.redact(line), shown, "{line}");
    }
}

#[test]
fn pgp_and_ssh2_private_key_blocks() {
    let r = Redactor::default();
    let pgp = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----\n";
    assert_eq!(
        r.redact_text(pgp),
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n***\n***\n***\n-----END PGP PRIVATE KEY BLOCK-----\n"
    );
    let ssh2 = "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"k\"\nP2/56wAAAi\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n";
    assert_eq!(
        r.redact_text(ssh2),
        "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\n***\n***\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n"
    );
    assert_eq!(
        r.redact(
            r"k: -----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOY\n-----END PGP PRIVATE KEY BLOCK-----"
        ),
        r"k: -----BEGIN PGP PRIVATE KEY BLOCK-----***-----END PGP PRIVATE KEY BLOCK-----"
    );
    // A public key block stays.
    let public = "---- BEGIN SSH2 PUBLIC KEY ----\nAAAAB3\n---- END SSH2 PUBLIC KEY ----\n";
    assert_eq!(r.redact_text(public), public);
}

#[test]
fn key_material_on_the_end_markers_line() {
    let r = Redactor::default();
    let text = "-----BEGIN RSA PRIVATE KEY-----\n  MIIEow\n  oUQDQgAE==-----END RSA PRIVATE KEY----- after\n";
    assert_eq!(
        r.redact_text(text),
        "-----BEGIN RSA PRIVATE KEY-----\n  ***\n  ***-----END RSA PRIVATE KEY----- after\n"
    );
}

#[test]
fn redacting_twice_changes_nothing_more() {
    let r = Redactor::from_env([("A_TOKEN".to_owned(), "tok-123456".to_owned())]);
    for line in [
        "x tok-123456 {token: a, password: 'b'} --token c D_PASSWORD=e F_SECRET: g",
        r#"{"token": "x", "e": "GITHUB_TOKEN=\"y\" --password=z"}"#,
        "-----BEGIN PRIVATE KEY-----abc-----END PRIVATE KEY----- -----BEGIN PRIVATE KEY-----",
    ] {
        let once = r.redact(line);
        assert!(!once.contains("tok-123456"), "{once}");
        assert_eq!(r.redact(&once), once, "{line}");
    }
}

/// 1 MB on one line, credentials in every form one after another, and 1 MB of one unclosed
/// quote after a key: the redactor reads each line once (it used to rebuild the line for every
/// credential, seconds for 1 MB). No timing is asserted; `cargo dev bench` measures speed.
#[test]
fn a_megabyte_line_of_credentials_is_read_once() {
    let r = Redactor::from_env([("A_TOKEN".to_owned(), "tok-123456".to_owned())]);
    let unit =
        r#"{"token": "abcdefgh", token: x, 'password': y, --token z, B_TOKEN=w, tok-123456} "#;
    let line = unit.repeat(1_000_000 / unit.len() + 1);
    let shown = r.redact(&line);
    assert_eq!(
        shown.matches(HIDDEN).count(),
        6 * line.matches(unit).count()
    );
    // Dense: a credential every 15 bytes, each value longer than `***` (the old redactor
    // shifted the rest of the line for each: quadratic).
    let dense = r#""token":"abcd","#.repeat(70_000);
    assert!(r.redact(&dense) == r#""token":"***","#.repeat(70_000));
    let open = format!("token: \"{}", "a".repeat(1_000_000));
    assert!(r.redact(&open) == "token: \"***");
    let colons = format!("{}{}", "k".repeat(1_000_000), ":".repeat(1_000_000));
    assert!(r.redact(&colons) == colons);
    let equals = "TOKEN=".repeat(200_000);
    assert!(r.redact(&equals) == "TOKEN=***");
    let clipped = "tok-12345… ".repeat(80_000);
    assert!(r.redact(&clipped) == "***… ".repeat(80_000));
}

#[test]
fn secrets_cut_short_by_a_clip() {
    let r = Redactor::from_env([("A_TOKEN".to_owned(), "tok-1234567890".to_owned())]);
    assert_eq!(r.redact("x: tok-123456… (+4 chars)"), "x: ***… (+4 chars)");
    assert_eq!(r.redact("\"xxtok-1234567…\""), "\"xx***…\"");
    // Fewer than MIN_SECRET_LINE_CHARS characters, or no clip mark: shown.
    assert_eq!(r.redact("tok-123… tok-12345 x"), "tok-123… tok-12345 x");
}

#[test]
fn kubernetes_env_entries_whose_name_looks_secret() {
    let r = Redactor::default();
    let text = "env:\n  - name: GITHUB_TOKEN\n    value: ghp_abc123\n  - name: REGION\n    value: us-east-1\n  - name: DB_PASSWORD\n    valueFrom:\n      key: k\n    value: \"p w\"\n";
    assert_eq!(
        r.redact_text(text),
        "env:\n  - name: GITHUB_TOKEN\n    value: ***\n  - name: REGION\n    value: us-east-1\n  - name: DB_PASSWORD\n    valueFrom:\n      key: k\n    value: ***\n"
    );
    let reference = "- name: A_TOKEN\n  value: ${{ secrets.A }}\n";
    assert_eq!(r.redact_text(reference), reference);
}

#[test]
fn kubernetes_env_entries_on_one_line() {
    let r = Redactor::default();
    for (line, shown) in [
        (
            "env: [{name: GITHUB_TOKEN, value: ghp_abc123}]",
            "env: [{name: GITHUB_TOKEN, value: ***}]",
        ),
        (
            "- {name: DB_PASSWORD, value: 'p w'}",
            "- {name: DB_PASSWORD, value: '***'}",
        ),
        (
            r#""env":[{"name":"API_TOKEN","value":"s3cr3t"},{"name":"REGION","value":"us-east-1"}]"#,
            r#""env":[{"name":"API_TOKEN","value":"***"},{"name":"REGION","value":"us-east-1"}]"#,
        ),
        // The value first; a value holding a comma is hidden whole.
        ("{value: abc, name: A_SECRET}", "{value: ***}"),
        (
            "{name: A_SECRET, value: \"a,b\"}",
            "{name: A_SECRET, value: \"***\"}",
        ),
        // Not secret, or a reference: shown.
        (
            "{name: REGION, value: eu-west-1}",
            "{name: REGION, value: eu-west-1}",
        ),
        (
            "{name: A_TOKEN, value: $TOKEN}",
            "{name: A_TOKEN, value: $TOKEN}",
        ),
        ("{name: A_TOKEN}", "{name: A_TOKEN}"),
    ] {
        assert_eq!(r.redact(line), shown, "{line}");
        assert_eq!(r.redact(shown), shown, "twice: {line}");
    }
}
