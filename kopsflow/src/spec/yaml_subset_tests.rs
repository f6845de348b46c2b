//! The supported YAML subset (docs/YAML.md), through `ClusterSpec::parse` and `to_kops_yaml`:
//! each feature is carried (kops gets the value git means) or refused with an error at its line
//! that says what to write instead. Regression tests for issue 16's silent changes.

#![allow(clippy::unwrap_used)]

use camino::Utf8Path;

use super::*;

fn file() -> &'static Utf8Path {
    Utf8Path::new("cluster-spec/t.example.com.yml")
}

/// A valid Cluster document; `extra` is appended under `spec` (indented by 2 already).
fn cluster(extra: &str) -> String {
    format!(
        "apiVersion: kops.k8s.io/v1alpha2\nkind: Cluster\nmetadata:\n  name: t.example.com\nspec:\n  kubernetesVersion: 1.29.2\n{extra}"
    )
}

/// The line numbers of `extra`'s lines start here.
const FIRST_EXTRA_LINE: usize = 7;

fn emitted(text: &str) -> String {
    match ClusterSpec::parse(file(), text) {
        Ok(loaded) => loaded.spec.to_kops_yaml(),
        Err(d) => panic!("{}", render_diagnostics(&d)),
    }
}

fn the_errors(text: &str) -> Vec<Diagnostic> {
    match ClusterSpec::parse(file(), text) {
        Ok(loaded) => panic!("accepted; kops would get:\n{}", loaded.spec.to_kops_yaml()),
        Err(d) => d.into_iter().filter(Diagnostic::is_error).collect(),
    }
}

/// Exactly one error, at `line` of the file, whose message contains `says`.
fn refused_at(text: &str, line: usize, says: &str) -> Diagnostic {
    let errors = the_errors(text);
    assert_eq!(errors.len(), 1, "{}", render_diagnostics(&errors));
    let error = errors.into_iter().next().unwrap();
    assert_eq!(error.line, Some(line), "{error}");
    assert!(error.message.contains(says), "{error}");
    assert!(error.hint.is_some(), "{error}");
    error
}

#[test]
fn string_tags_keep_the_text_in_every_spelling() {
    let text = cluster(
        "  cloudLabels:\n    a: !<tag:yaml.org,2002:str> 0755\n    b: ! 0x1F\n    c: !!str yes\n",
    );
    let yaml = emitted(&text);
    assert!(yaml.contains("a: \"0755\"\n"), "{yaml}");
    assert!(yaml.contains("b: \"0x1F\"\n"), "{yaml}");
    assert!(yaml.contains("c: \"yes\"\n"), "{yaml}");
    // A `%TAG` handle that expands to the core schema.
    let directive = format!(
        "%TAG !e! tag:yaml.org,2002:\n---\n{}",
        cluster("  x: !e!str 0755\n")
    );
    assert!(emitted(&directive).contains("x: \"0755\"\n"));
}

#[test]
fn core_scalar_tags_give_the_typed_value() {
    let text = cluster("  x:\n    i: !!int \"12\"\n    f: !!float \"1\"\n    b: !!bool \"yes\"\n    none: !!null \"\"\n    m: !!map {k: v}\n    s: !!seq [1]\n");
    let yaml = emitted(&text);
    for line in [
        "i: 12\n",
        "f: 1.0\n",
        "b: true\n",
        "none: null\n",
        "m:\n",
        "s:\n",
    ] {
        assert!(yaml.contains(line), "{line:?} in {yaml}");
    }
}

#[test]
fn other_tags_are_refused_at_their_line() {
    let cases = [
        ("  x: !!int abc\n", "not a valid `!!int`"),
        ("  x: !!binary aGVsbG8=\n", "`!!binary` is not supported"),
        (
            "  x: !!timestamp 2001-12-14\n",
            "`!!timestamp` is not supported",
        ),
        ("  x: !!set {a: null}\n", "`!!set` is not supported"),
        ("  x: !custom 12\n", "`!custom` is not supported"),
        ("  x: !!map abc\n", "`!!map` on a scalar"),
        ("  x: !!str [a]\n", "`!!str` on a list"),
    ];
    for (extra, says) in cases {
        let error = refused_at(&cluster(extra), FIRST_EXTRA_LINE, says);
        assert_eq!(error.column, Some(6), "{error}");
    }
}

#[test]
fn aliases_to_an_earlier_document_or_to_themselves_are_refused() {
    let earlier = format!(
        "{}---\napiVersion: kops.k8s.io/v1alpha2\nkind: InstanceGroup\nmetadata:\n  name: nodes\n  labels:\n    kops.k8s.io/cluster: t.example.com\nspec:\n  role: Node\n  machineType: *m\n",
        cluster("  x: &m t3.medium\n")
    );
    refused_at(&earlier, 17, "anchor (&) of an earlier document");
    refused_at(
        &cluster("  x: &a [1, *a]\n"),
        FIRST_EXTRA_LINE,
        "inside the node",
    );
}

#[test]
fn merge_keys_are_applied_as_kops_applies_them() {
    let text = cluster(
        "  base: &b {a: 1, b: 2}\n  other: &o {b: 3, c: 4}\n  one:\n    <<: *b\n    b: 5\n  two:\n    <<: [*o, *b]\n    d: 6\n",
    );
    let root = ClusterSpec::parse(file(), &text)
        .unwrap()
        .spec
        .cluster
        .document;
    let spec = root.get("spec").unwrap();
    let one = spec.get("one").unwrap();
    assert_eq!(one.to_flow(), "{a: 1, b: 5}");
    // The earlier merged mapping wins: b from `*o`.
    assert_eq!(
        spec.get("two").unwrap().to_flow(),
        "{b: 3, c: 4, a: 1, d: 6}"
    );
    let yaml = emitted(&text);
    assert!(!yaml.contains("<<"), "{yaml}");
}

#[test]
fn merges_kops_and_yaml_disagree_on_are_refused() {
    // go-yaml v2 overwrites `a` with the merged value, YAML keeps the written one.
    let before = cluster("  base: &b {a: 1}\n  one:\n    a: 2\n    <<: *b\n");
    refused_at(
        &before,
        FIRST_EXTRA_LINE + 2,
        "written before the merge key",
    );
    let scalar = cluster("  base: &b 1\n  one:\n    <<: *b\n");
    refused_at(&scalar, FIRST_EXTRA_LINE + 2, "not a mapping");
    let twice = cluster("  base: &b {a: 1}\n  one:\n    <<: *b\n    <<: *b\n");
    refused_at(&twice, FIRST_EXTRA_LINE + 3, "second merge key");
}

#[test]
fn keys_kops_reads_alike_or_cannot_read_are_refused() {
    let alike = cluster("  cloudLabels:\n    1: a\n    \"1\": b\n");
    refused_at(&alike, FIRST_EXTRA_LINE + 2, "duplicate key `1` / `\"1\"`");
    let boolean = cluster("  cloudLabels:\n    yes: a\n    \"true\": b\n");
    refused_at(&boolean, FIRST_EXTRA_LINE + 2, "duplicate key");
    refused_at(
        &cluster("  x:\n    ~: a\n"),
        FIRST_EXTRA_LINE + 1,
        "null key",
    );
    refused_at(
        &cluster("  x:\n    1.5: a\n"),
        FIRST_EXTRA_LINE + 1,
        "fraction",
    );
    refused_at(
        &cluster("  x:\n    ? [a]\n    : b\n"),
        FIRST_EXTRA_LINE + 1,
        "as a key",
    );
}

#[test]
fn yaml_1_1_plain_scalars_reach_kops_as_git_means_them() {
    let text = cluster("  x:\n    octal: 0755\n    yes: on\n    hex: 0x1F\n    under: 1_000\n    sexagesimal: 1:30\n    big: 1e999\n    dot: .1_0\n    date: 2001-12-14\n");
    let yaml = emitted(&text);
    for line in [
        "octal: 493\n",
        "true: true\n",
        "hex: 31\n",
        "under: 1000\n",
        "sexagesimal: \"1:30\"\n",
        "big: 1e999\n",
        "dot: .1_0\n",
        "date: 2001-12-14\n",
    ] {
        assert!(yaml.contains(line), "{line:?} in {yaml}");
    }
    refused_at(
        &cluster("  x: 18446744073709551615\n"),
        FIRST_EXTRA_LINE,
        "beyond the 64-bit range",
    );
}
