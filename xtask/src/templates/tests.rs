//! Tests of the templates: the committed rendered specs are up to date (the `render --check` of
//! every `cargo test`), snapshots of the three environments, and that a problem in a rendered
//! spec — a template error, a bad value, a field typo, a policy violation — points at the
//! template line or the value's declaration.

#![allow(clippy::unwrap_used)]

use camino::{Utf8Path, Utf8PathBuf};
use kopsflow::policy::Violation;
use kopsflow::spec::{render_diagnostics, ClusterSpec};
use kopsflow_cli::render::template::{Binding, LineOrigin, Origin, Value};
use kopsflow_cli::render::{diff, RenderedSpec, Sources};
use kopsflow_cli::Templates;

use super::{environments, TEMPLATE};
use crate::policies::repo_policy;

fn templates() -> Templates {
    crate::repo().templates.unwrap()
}

fn render_all(root: &Utf8Path) -> anyhow::Result<Vec<RenderedSpec>> {
    kopsflow_cli::render::render_all(root, &templates())
}

fn render_from(text: &str, envs: Vec<kopsflow_cli::render::Environment>) -> Vec<RenderedSpec> {
    kopsflow_cli::render::render_from(&templates(), text, envs)
}

fn root() -> Utf8PathBuf {
    Utf8Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn template_text() -> String {
    std::fs::read_to_string(root().join(TEMPLATE)).unwrap()
}

/// The repo's environments with `edit` applied to the template text and to prod's bindings.
fn rendered_with(
    edit_template: impl Fn(String) -> String,
    edit_prod: impl Fn(&mut Vec<Binding>),
) -> Vec<RenderedSpec> {
    let mut envs = environments();
    let prod = envs.iter_mut().find(|e| e.name == "prod.k8s.example.com");
    edit_prod(&mut prod.unwrap().bindings);
    render_from(&edit_template(template_text()), envs)
}

fn prod(rendered: &[RenderedSpec]) -> &RenderedSpec {
    rendered
        .iter()
        .find(|s| s.env.name == "prod.k8s.example.com")
        .unwrap()
}

fn set(bindings: &mut [Binding], name: &str, value: Value) -> Binding {
    let binding = bindings.iter_mut().find(|b| b.name == name).unwrap();
    binding.value = value;
    binding.clone()
}

/// 1-based number of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn committed_rendered_specs_are_up_to_date() {
    let rendered = render_all(&root()).unwrap();
    assert_eq!(rendered.len(), 3);
    for spec in &rendered {
        let text = &spec.result.as_ref().unwrap().text;
        let committed = std::fs::read_to_string(root().join(&spec.path)).unwrap_or_default();
        assert!(
            committed == *text,
            "{} is stale: run `cargo xtask render` and commit it\n{}",
            spec.path,
            diff::diff("committed", &committed, "rendered", text)
        );
    }
}

#[test]
fn dev_stg_prod_snapshots() {
    for spec in render_all(&root()).unwrap() {
        let name = spec.env.name.split('.').next().unwrap().to_owned();
        insta::assert_snapshot!(format!("rendered_{name}"), spec.result.unwrap().text);
    }
}

#[test]
fn rendered_specs_validate_and_pass_the_policy_offline() {
    let policy = repo_policy();
    for spec in render_all(&root()).unwrap() {
        let text = spec.result.unwrap().text;
        assert!(text.starts_with("# Rendered from cluster-spec/templates/cluster.yml.tmpl for "));
        assert!(text.lines().next().unwrap().contains("do not edit"));
        let loaded = ClusterSpec::parse(&spec.path, &text).unwrap();
        assert_eq!(loaded.warnings, vec![], "{}", spec.path);
        assert_eq!(
            policy.evaluate(&loaded.spec, None, &[]),
            vec![],
            "{}",
            spec.path
        );
        let production = kopsflow::policy::Input {
            git: &loaded.spec,
            live: None,
            settings: &policy.settings,
        }
        .is_production();
        assert_eq!(
            production,
            spec.env.name.starts_with("prod."),
            "{}",
            spec.path
        );
    }
}

#[test]
fn template_errors_point_at_the_template_line() {
    let rendered = rendered_with(
        |t| {
            t.replace("  channel: stable\n", "  channel: ${{ chanel }}\n")
                .replace(
                    "      type: Public\n---",
                    "      type: ${{ subnets }}-x\n---",
                )
                .replace(
                    "  kubernetesVersion: ${{ kubernetes_version }}",
                    "  kubernetesVersion: ${{ kubernetes_version }",
                )
        },
        |_| {},
    );
    let errors = prod(&rendered).result.as_ref().unwrap_err();
    let text = render_diagnostics(errors);
    let t = template_text();
    let channel = line_of(&t, "  channel: stable");
    let version = line_of(&t, "  kubernetesVersion:");
    let expected = [
        format!("error: {TEMPLATE}:{channel}:12: unknown placeholder `chanel`"),
        format!(
            "error: {TEMPLATE}:{version}:22: `${{{{` without a closing `}}}}` on the same line"
        ),
        "`subnets` is a list or map: it can only be a key's whole value".to_owned(),
        // The version is no longer placed: its declaration is named.
        "xtask/src/templates.rs:".to_owned(),
        "value `kubernetes_version` is not used by cluster-spec/templates/cluster.yml.tmpl"
            .to_owned(),
    ];
    for e in expected {
        assert!(text.contains(&e), "{e:?} not in\n{text}");
    }
}

#[test]
fn a_bad_value_points_at_its_declaration() {
    let rendered = rendered_with(
        |t| t,
        |b| {
            set(b, "nodes_min_size", Value::Int(30));
        },
    );
    let sources = Sources::from_rendered(&templates(), &rendered);
    let spec = prod(&rendered);
    let text = &spec.result.as_ref().unwrap().text;
    let diagnostics = sources.diagnostics(ClusterSpec::parse(&spec.path, text).unwrap_err());
    assert_eq!(diagnostics.len(), 1);
    let d = &diagnostics[0];
    // The line of prod's `.nodes(` in templates.rs, found in its source: track_caller points there.
    let source = std::fs::read_to_string(root().join("xtask/src/templates.rs")).unwrap();
    let declared = line_of(&source, ".nodes(\"m5.xlarge\"");
    assert_eq!(
        (d.file.as_str(), d.line),
        ("xtask/src/templates.rs", Some(declared))
    );
    let rendered_line = line_of(text, "  minSize: 30");
    let template_line = line_of(&template_text(), "${{ nodes_min_size }}");
    assert_eq!(
        d.to_string(),
        format!(
            "error: xtask/src/templates.rs:{declared}:14: InstanceGroup nodes: spec.minSize: minSize 30 is greater than maxSize 20\n  \
             hint: raise maxSize to at least 30, or lower minSize\n  \
             rendered: cluster-spec/prod.k8s.example.com.yml:{rendered_line}:12, from the value `nodes_min_size` of prod.k8s.example.com placed by `${{{{ nodes_min_size }}}}` at {TEMPLATE}:{template_line}:12"
        )
    );
}

#[test]
fn a_template_typo_points_at_the_template_line() {
    let typo = |t: String| {
        t.replacen(
            "  machineType: ${{ nodes_machine_type }}",
            "  machinetype: ${{ nodes_machine_type }}",
            1,
        )
    };
    let rendered = rendered_with(typo, |_| {});
    let sources = Sources::from_rendered(&templates(), &rendered);
    let spec = prod(&rendered);
    let loaded = ClusterSpec::parse(&spec.path, &spec.result.as_ref().unwrap().text).unwrap();
    let warnings = sources.diagnostics(loaded.warnings);
    let line = line_of(&typo(template_text()), "machinetype:");
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        (
            warnings[0].file.as_str(),
            warnings[0].line,
            warnings[0].column
        ),
        (TEMPLATE, Some(line), Some(3))
    );
    assert!(
        warnings[0].to_string().contains(
            "did you mean `machineType`?\n  rendered: cluster-spec/prod.k8s.example.com.yml:"
        ),
        "{}",
        warnings[0]
    );
}

#[test]
fn a_policy_violation_points_at_the_value() {
    let open = Value::Block(kopsflow::spec::Node::synthetic(
        kopsflow::spec::Value::Sequence(vec![
            kopsflow::spec::Node::string("10.0.0.0/8"),
            kopsflow::spec::Node::string("::/0"),
        ]),
    ));
    let rendered = rendered_with(
        |t| t,
        |b| {
            set(b, "ssh_access", open.clone());
        },
    );
    let spec = prod(&rendered);
    let binding = spec
        .env
        .bindings
        .iter()
        .find(|b| b.name == "ssh_access")
        .unwrap();
    let loaded = ClusterSpec::parse(&spec.path, &spec.result.as_ref().unwrap().text).unwrap();
    let violations = repo_policy().evaluate(&loaded.spec, None, &[]);
    let traced: Vec<Violation> = violations
        .into_iter()
        .map(|v| Sources::from_rendered(&templates(), &rendered).violation(v))
        .collect();
    assert_eq!(traced.len(), 1);
    let v = &traced[0];
    assert_eq!(v.rule, "ssh-open-to-world");
    assert_eq!(
        (v.file.as_str(), v.line),
        (binding.at.file(), Some(binding.at.line() as usize))
    );
    assert!(
        v.rendered
            .as_deref()
            .unwrap()
            .starts_with("cluster-spec/prod.k8s.example.com.yml:"),
        "{v}"
    );
}

#[test]
fn columns_inside_and_after_placed_values() {
    let rendered = render_from(&template_text(), environments());
    let r = prod(&rendered).result.as_ref().unwrap();
    let t = template_text();
    // `  name: control-plane-${{ control_plane_zone }}` → `  name: control-plane-eu-west-1a`
    let line = line_of(&r.text, "  name: control-plane-eu-west-1a");
    let template_line = line_of(&t, "  name: control-plane-${{ control_plane_zone }}");
    let zone = environments()[2]
        .bindings
        .iter()
        .position(|b| b.name == "control_plane_zone")
        .unwrap();
    assert!(
        matches!(&r.lines[line - 1], LineOrigin::Template { line, .. } if *line == template_line)
    );
    assert_eq!(
        r.origin(line, Some(3)),
        Some(Origin::Template {
            line: template_line,
            column: Some(3)
        })
    );
    assert_eq!(
        r.origin(line, Some(23)),
        Some(Origin::Value {
            value: zone,
            line: template_line,
            column: 23
        })
    );
    assert_eq!(r.origin(1, Some(1)), None, "the header comes from no line");
}
