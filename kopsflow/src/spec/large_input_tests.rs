//! Hostile and huge spec files (about 1 MB each, of every shape: deep, wide, many keys, many
//! documents, long strings, many aliases) get an answer: a spec, or the diagnostic that names
//! the limit and the line. Regression tests for stack overflows, alias bombs and quadratic
//! work; they assert outcomes, not timings.

#![allow(clippy::unwrap_used)]

use camino::Utf8Path;

use super::yaml::{MAX_ALIAS_COPIES, MAX_DEPTH};
use super::*;

const MB: usize = 1 << 20;
const NAME: &str = "big.example.com";

fn file() -> &'static Utf8Path {
    Utf8Path::new("cluster-spec/big.example.com.yml")
}

/// A valid Cluster document whose `spec` ends with `extra` (indented by 2 already).
fn cluster(extra: &str) -> String {
    format!(
        "apiVersion: kops.k8s.io/v1alpha2\nkind: Cluster\nmetadata:\n  name: {NAME}\nspec:\n  kubernetesVersion: 1.29.2\n  subnets:\n  - name: a\n    zone: z\n    cidr: 10.0.0.0/16\n    type: Public\n{extra}"
    )
}

fn instance_group(name: &str, subnet: &str) -> String {
    format!(
        "---\napiVersion: kops.k8s.io/v1alpha2\nkind: InstanceGroup\nmetadata:\n  labels:\n    kops.k8s.io/cluster: {NAME}\n  name: {name}\nspec:\n  machineType: t3.medium\n  maxSize: 1\n  minSize: 1\n  role: Node\n  subnets:\n  - {subnet}\n"
    )
}

/// Repeat `unit(i)` until the text is at least 1 MB.
fn fill(mut text: String, mut unit: impl FnMut(usize) -> String) -> String {
    let mut index = 0;
    while text.len() < MB {
        text.push_str(&unit(index));
        index += 1;
    }
    text
}

fn errors(text: &str) -> Vec<Diagnostic> {
    assert!(text.len() >= MB);
    match ClusterSpec::parse(file(), text) {
        Ok(loaded) => panic!("parsed, with {} warnings", loaded.warnings.len()),
        Err(diagnostics) => diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect(),
    }
}

fn loads(text: &str) -> LoadedSpec {
    assert!(text.len() >= MB);
    let loaded = match ClusterSpec::parse(file(), text) {
        Ok(loaded) => loaded,
        Err(diagnostics) => panic!(
            "{}",
            render_diagnostics(&diagnostics[..diagnostics.len().min(3)])
        ),
    };
    let reparsed = ClusterSpec::parse(file(), &loaded.spec.to_kops_yaml()).unwrap();
    assert_eq!(reparsed.spec, loaded.spec);
    loaded
}

fn the_one_error(text: &str) -> Diagnostic {
    let errors = errors(text);
    assert_eq!(errors.len(), 1, "{}", render_diagnostics(&errors));
    errors.into_iter().next().unwrap()
}

#[test]
fn deep_block_sequence_is_too_deep() {
    // `x:` is level 3 (root, spec, x's sequence); every `- ` opens one more level.
    let error = the_one_error(&cluster(&format!("  x:\n  {}", "- ".repeat(MB / 2))));
    assert_eq!(error.line, Some(13));
    assert_eq!(error.column, Some(3 + 2 * (MAX_DEPTH - 2)));
    assert!(
        error.message.contains("nested more than 128 levels"),
        "{error}"
    );
}

#[test]
fn deep_flow_and_block_mappings_are_too_deep() {
    let flow = the_one_error(&cluster(&format!("  x: {}", "[".repeat(MB))));
    assert_eq!(flow.line, Some(12));
    let mut block = cluster("");
    for depth in 1.. {
        if block.len() >= MB {
            break;
        }
        block.push_str(&format!("{}k:\n", " ".repeat(depth * 2)));
    }
    let error = the_one_error(&block);
    assert_eq!(error.line, Some(11 + MAX_DEPTH));
    assert!(error.hint.unwrap().contains("flatten"));
}

#[test]
fn alias_bombs_stop_at_the_copy_limit() {
    let mut bomb = cluster("  x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let previous = format!("*a{}", level - 1);
        let items = [previous.as_str(); 9].join(", ");
        bomb.push_str(&format!("  x{level}: &a{level} [{items}]\n"));
    }
    let error = match ClusterSpec::parse(file(), &bomb) {
        Err(diagnostics) => diagnostics.into_iter().next().unwrap(),
        Ok(_) => panic!("an alias bomb parsed"),
    };
    assert!(
        error.message.contains("anchors (&) and aliases (*)"),
        "{error}"
    );
    assert_eq!(error.line, Some(12 + 5), "{error}");
    // 1 MB of aliases of a big anchor: also stopped.
    let big = format!("  big: &big [{}]\n  copies:\n", vec!["x"; 1000].join(", "));
    let text = fill(cluster(&big), |_| "  - *big\n".into());
    let error = the_one_error(&text);
    assert!(
        error.message.contains(&MAX_ALIAS_COPIES.to_string()),
        "{error}"
    );
}

#[test]
fn many_small_aliases_are_fine() {
    let text = fill(cluster("  additionalSans:\n  - &s a\n"), |_| {
        "  - *s\n".into()
    });
    let loaded = loads(&text);
    let sans = loaded
        .spec
        .cluster
        .document
        .get_path(&["spec", "additionalSans"]);
    assert!(sans.unwrap().as_sequence().unwrap().len() > 100_000);
}

#[test]
fn wide_mappings_and_many_unknown_fields() {
    let text = fill(cluster(""), |i| format!("  field{i}: {i}\n"));
    let loaded = loads(&text);
    assert!(loaded.warnings.len() > 50_000);
    assert!(loaded
        .warnings
        .iter()
        .all(|w| w.message.starts_with("unknown field")));
}

#[test]
fn many_duplicate_keys_are_each_reported() {
    let text = fill(cluster("  nested:\n"), |i| format!("    k{}: {i}\n", i % 3));
    let errors = errors(&text);
    assert!(errors.len() > 50_000);
    assert_eq!(errors[0].path.as_deref(), Some("spec.nested.k0"));
    assert!(errors[0].message.starts_with("duplicate key `k0`"));
}

#[test]
fn many_documents_with_unique_and_duplicate_names() {
    let unique = fill(cluster(""), |i| instance_group(&format!("ig-{i}"), "a"));
    let loaded = loads(&unique);
    assert!(loaded.spec.instance_groups.len() > 3000);
    let duplicated = fill(cluster(""), |i| {
        instance_group(&format!("ig-{}", i % 2), "a")
    });
    let errors = errors(&duplicated);
    assert!(errors.len() > 3000);
    assert!(errors
        .iter()
        .all(|e| e.message.starts_with("duplicate InstanceGroup name")));
}

#[test]
fn many_subnets_and_unknown_references() {
    let subnets = fill(cluster(""), |i| {
        format!("  - name: s{i}\n    zone: z\n    cidr: 10.0.0.0/16\n    type: Public\n")
    });
    let mut text = subnets;
    text.push_str(&instance_group("ig", "s1"));
    for i in 0..20_000 {
        text.push_str(&format!("  - t{i}\n"));
    }
    let errors = errors(&text);
    assert_eq!(errors.len(), 20_000);
    // The first few get a "did you mean"; the rest list the first subnets and the count.
    assert_eq!(errors[0].hint.as_deref(), Some("did you mean `s0`?"));
    let listed = errors
        .iter()
        .filter(|e| e.hint.as_deref().unwrap().ends_with(" in all)"))
        .count();
    assert!(listed > 19_000);
}

#[test]
fn many_cluster_documents_with_numeric_versions() {
    let text = fill(cluster(""), |i| {
        format!("---\napiVersion: kops.k8s.io/v1alpha2\nkind: Cluster\nmetadata:\n  name: c{i}\nspec:\n  kubernetesVersion: 1.30\n")
    });
    let errors = errors(&text);
    assert!(errors.len() > 10_000);
    assert!(errors
        .iter()
        .any(|e| e.message == "1.30 (read as the number 1.3) is not a Kubernetes version"));
}

#[test]
fn long_strings_keys_and_blocks() {
    let long = "x".repeat(MB);
    let value = loads(&cluster(&format!("  additionalSans:\n  - {long}\n")));
    let sans = value
        .spec
        .cluster
        .document
        .get_path(&["spec", "additionalSans"]);
    assert_eq!(
        sans.unwrap().as_sequence().unwrap()[0]
            .as_str()
            .unwrap()
            .len(),
        MB
    );
    let lines = "echo hello world  \n".repeat(MB / 19 + 1);
    let block = format!(
        "  hooks:\n  - manifest: |\n{}",
        lines
            .lines()
            .map(|l| format!("      {l}\n"))
            .collect::<String>()
    );
    loads(&cluster(&block));
    let key = loads(&cluster(&format!("  ? {long}\n  : 1\n")));
    let warning = &key.warnings[0];
    assert!(warning.message.len() < 300, "{}", warning.message);
    // YAML allows simple keys up to 1024 characters: a longer one is a syntax error.
    let error = the_one_error(&cluster(&format!("  kubernetesVersion{long}: 1\n")));
    assert!(error.message.starts_with("YAML syntax error"), "{error}");
    assert_eq!(error.line, Some(12));
}

/// A value nested to exactly [`MAX_DEPTH`] goes through every recursive walk in `spec`:
/// validation, emitting, equality, normalisation and the diff (on the 2 MB test stack).
#[test]
fn a_spec_at_the_depth_limit_goes_through_every_walk() {
    // Levels: the root mapping, `spec`, then `x` and its nested mappings.
    let levels = MAX_DEPTH - 2;
    let deep = |leaf: &str| {
        format!(
            "  x: {}{leaf}{}\n",
            "{a: ".repeat(levels),
            "}".repeat(levels)
        )
    };
    let git = ClusterSpec::parse(file(), &cluster(&deep("1")))
        .unwrap()
        .spec;
    let live = ClusterSpec::from_kops_output(&cluster(&deep("2")), "").unwrap();
    let changes = diff(&git, &live).changes;
    assert_eq!(changes.len(), 1);
    let yaml = git.to_kops_yaml();
    assert_eq!(ClusterSpec::parse(file(), &yaml).unwrap().spec, git);
    assert_eq!(git.normalized(), git.clone().normalized());
    assert!(format!("{git:?}").len() > levels);
    let too_deep = the_one_error(&fill(cluster(&deep("{a: 1}")), |_| "#\n".into()));
    assert_eq!(too_deep.line, Some(12));
}

/// A spec of any size that must load (the diff tests need two of them).
fn parsed(text: &str) -> LoadedSpec {
    ClusterSpec::parse(file(), text).unwrap_or_else(|d| panic!("{}", render_diagnostics(&d)))
}

#[test]
fn diffs_of_wide_mappings_and_many_instance_groups() {
    // 20k changed fields in one mapping (keys looked up once each, not scanned per key).
    let fields = |value: usize| -> String {
        let mut extra = String::from("  cloudLabels:\n");
        for i in 0..20_000 {
            extra.push_str(&format!("    label-{i:05}: v{value}\n"));
        }
        extra
    };
    let git = parsed(&cluster(&fields(1))).spec;
    let live = parsed(&cluster(&fields(2))).spec;
    let d = diff(&git, &live);
    assert_eq!(d.changes.len(), 20_000);
    assert!(
        d.changes[0].to_string().contains("label-00000"),
        "{}",
        d.changes[0]
    );

    // 5k instance groups on each side, half of them only on one side.
    let groups = |from: usize| -> String {
        let mut text = cluster("");
        for i in from..from + 5_000 {
            text.push_str(&instance_group(&format!("nodes-{i:05}"), "a"));
        }
        text
    };
    let d = diff(&parsed(&groups(0)).spec, &parsed(&groups(2_500)).spec);
    assert_eq!(d.removed_instance_groups().count(), 2_500);
    assert_eq!(
        d.changes
            .iter()
            .filter(|c| matches!(c, SpecChange::Added { .. }))
            .count(),
        2_500
    );
}

/// 170k duplicate keys in one flow mapping on one 1 MB line, and 1 MB of keys that each read
/// like an earlier one to kops (`1` and `"1"`): every one reported, at its line. The work is
/// linear; its speed target (catching a return of per-key scans) is in the benchmark
/// `cargo bench -p kopsflow --bench shapes`, which parses the same shape.
#[test]
fn duplicate_keys_170k_on_one_line_and_keys_that_read_alike() {
    let mut flow = cluster("  x: {");
    flow.push_str(&"a: 1, ".repeat(MB / 6));
    flow.push_str("}\n");
    let found = errors(&flow);
    assert_eq!(found.len(), MB / 6 - 1);
    assert!(found.iter().all(|e| e.line == Some(12)));
    assert_eq!(found[0].path.as_deref(), Some("spec.x.a"));
    let alike = fill(cluster("  x:\n"), |i| {
        if i % 2 == 0 {
            format!("    {i}: a\n")
        } else {
            format!("    \"{}\": b\n", i - 1)
        }
    });
    let found = errors(&alike);
    assert!(found.len() > 35_000, "{}", found.len());
    assert!(
        found[0].message.starts_with("duplicate key `0` / `\"0\"`"),
        "{}",
        found[0]
    );
}
