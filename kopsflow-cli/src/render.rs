//! `cargo xtask render [--check]`: renders the repository's templates ([`crate::Templates`]) into
//! `cluster-spec/<name>.yml` (each with a "rendered from … — do not edit" header line), checks
//! that every rendered spec validates, and with `--check` writes nothing and fails with a diff
//! when a committed file is stale. [`Sources`] points diagnostics and policy violations in a
//! rendered spec back at the template line or the value that produced them.

pub mod diff;
pub mod template;

use std::process::ExitCode;

use anyhow::{bail, Context as _};
use camino::{Utf8Path, Utf8PathBuf};
use kopsflow::policy::Violation;
use kopsflow::report::RunSummary;
use kopsflow::spec::{render_diagnostics, ClusterSpec, Diagnostic};

use crate::output::Output;
use crate::specs::SPEC_DIR;
use crate::{Repo, Templates};
use template::{Binding, Origin, Rendered};

/// One environment a template is rendered for: the cluster's name and the values placed in the
/// template, each with the line that declared it.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The cluster's name; the rendered file is `cluster-spec/<name>.yml`.
    pub name: String,
    /// What kind of environment, as the rendered file's header names it (e.g. `production`).
    pub kind: String,
    /// The values, by name.
    pub bindings: Vec<Binding>,
}

/// One environment rendered (or the problems that stopped it).
#[derive(Debug)]
pub struct RenderedSpec {
    /// The environment it was rendered for.
    pub env: Environment,
    /// `cluster-spec/<name>.yml`, relative to the repository root.
    pub path: Utf8PathBuf,
    /// The rendered text, or the template's problems.
    pub result: Result<Rendered, Vec<Diagnostic>>,
}

/// The first line of every rendered spec.
fn header(templates: &Templates, env: &Environment) -> String {
    format!(
        "# Rendered from {} for {} ({}) by `cargo xtask render` — do not edit: change the template or {}, then run it.",
        templates.template, env.name, env.kind, templates.values_file
    )
}

/// Every declared environment rendered from the template under `root`.
pub fn render_all(root: &Utf8Path, templates: &Templates) -> anyhow::Result<Vec<RenderedSpec>> {
    let path = root.join(templates.template);
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    Ok(render_from(templates, &text, (templates.environments)()))
}

/// `environments` rendered from the template `text` (of `templates.template`).
pub fn render_from(
    templates: &Templates,
    text: &str,
    environments: Vec<Environment>,
) -> Vec<RenderedSpec> {
    let file = Utf8Path::new(templates.template);
    environments
        .into_iter()
        .map(|env| RenderedSpec {
            path: Utf8Path::new(SPEC_DIR).join(format!("{}.yml", env.name)),
            result: template::render(file, text, &header(templates, &env), &env.bindings),
            env,
        })
        .collect()
}

impl crate::flags::Render {
    /// `render [--check]`.
    pub fn run(self, repo: &Repo, output: &Output, root: &Utf8Path) -> anyhow::Result<ExitCode> {
        let Some(templates) = &repo.templates else {
            output.out("no templates: this repository declares none");
            return Ok(ExitCode::SUCCESS);
        };
        let template = templates.template;
        let rendered = render_all(root, templates)?;
        let sources = Sources::from_rendered(templates, &rendered);
        let mut problems = Vec::new();
        for spec in &rendered {
            match &spec.result {
                Err(diagnostics) => problems.extend(diagnostics.iter().cloned()),
                Ok(r) => match ClusterSpec::parse(&spec.path, &r.text) {
                    Err(diagnostics) => problems.extend(sources.diagnostics(diagnostics)),
                    Ok(loaded) => problems.extend(sources.diagnostics(loaded.warnings)),
                },
            }
        }
        let errors = problems.iter().filter(|d| d.is_error()).count();
        if !problems.is_empty() {
            output.err(render_diagnostics(&problems).trim_end());
        }
        if errors > 0 {
            bail!(
                "{errors} error{} in {template} or its values: nothing was written",
                if errors == 1 { "" } else { "s" }
            );
        }
        let mut stale = Vec::new();
        for spec in &rendered {
            let Ok(r) = &spec.result else { continue };
            let file = root.join(&spec.path);
            let committed = std::fs::read_to_string(&file).unwrap_or_default();
            if committed == r.text {
                output.out(&format!("up to date: {}", spec.path));
            } else if self.check {
                output.out(&diff::diff(
                    &format!("{} (committed)", spec.path),
                    &committed,
                    &format!("{} (rendered from {template})", spec.path),
                    &r.text,
                ));
                stale.push(spec.path.as_str());
            } else {
                output.write(&file, &r.text)?;
                output.out(&format!("wrote {}", spec.path));
            }
        }
        // A spec rendered from the template for an environment no longer declared.
        let mut orphans = Vec::new();
        for file in crate::specs::spec_files(root)? {
            let text = std::fs::read_to_string(root.join(&file)).unwrap_or_default();
            let rendered_here = text.starts_with(&format!("# Rendered from {template} for "));
            if rendered_here && !rendered.iter().any(|s| s.path == file) {
                output.err(&format!("{}: {file} was rendered from {template} for an environment {} no longer declares: delete it, or declare the environment again (kopsflow never deletes the cluster itself)", if self.check { "error" } else { "warning" }, templates.values_file));
                orphans.push(file);
            }
        }
        if stale.is_empty() && (orphans.is_empty() || !self.check) {
            return Ok(ExitCode::SUCCESS);
        }
        if stale.is_empty() {
            return Ok(ExitCode::FAILURE);
        }
        output.err(&format!(
            "error: stale rendered spec{}: {} (edited by hand, or the template or its values changed): run `cargo xtask render` and commit the result",
            if stale.len() == 1 { "" } else { "s" },
            stale.join(", ")
        ));
        Ok(ExitCode::FAILURE)
    }
}

/// The rendered specs of the repository whose committed text is what the template renders now,
/// so that positions in them can be traced to the template line or the value.
#[derive(Debug, Default)]
pub struct Sources {
    template: &'static str,
    specs: Vec<(Utf8PathBuf, Environment, Rendered)>,
}

/// Where a rendered position came from: the place to fix (file, line, column), and a note that
/// names the rendered position and how it was produced.
struct Traced {
    file: Utf8PathBuf,
    line: usize,
    column: Option<usize>,
    note: String,
}

impl Sources {
    /// The specs of `rendered` (those that rendered), whatever the committed files hold.
    pub fn from_rendered(templates: &Templates, rendered: &[RenderedSpec]) -> Sources {
        let specs = rendered
            .iter()
            .filter_map(|s| {
                let r = s.result.as_ref().ok()?;
                Some((s.path.clone(), s.env.clone(), r.clone()))
            })
            .collect();
        Sources {
            template: templates.template,
            specs,
        }
    }

    /// The repository's rendered specs that are up to date (none when the template is missing).
    pub fn for_repo(root: &Utf8Path, repo: &Repo) -> Sources {
        let Some(templates) = &repo.templates else {
            return Sources::default();
        };
        let Ok(rendered) = render_all(root, templates) else {
            return Sources::default();
        };
        let mut sources = Sources::from_rendered(templates, &rendered);
        sources.specs.retain(|(path, _, r)| {
            std::fs::read_to_string(root.join(path)).is_ok_and(|text| text == r.text)
        });
        sources
    }

    fn trace(&self, file: &Utf8Path, line: usize, column: Option<usize>) -> Option<Traced> {
        let (_, env, rendered) = self.specs.iter().find(|(path, _, _)| path == file)?;
        let at = match column {
            Some(column) => format!("{file}:{line}:{column}"),
            None => format!("{file}:{line}"),
        };
        Some(match rendered.origin(line, column)? {
            Origin::Template { line, column } => Traced {
                file: self.template.into(),
                line,
                column,
                note: format!("{at}, from this template line ({})", env.name),
            },
            Origin::Value {
                value,
                line,
                column,
            } => {
                let binding = env.bindings.get(value)?;
                Traced {
                    file: binding.at.file().into(),
                    line: binding.at.line() as usize,
                    column: Some(binding.at.column() as usize),
                    note: format!(
                        "{at}, from the value `{}` of {} placed by `${{{{ {} }}}}` at {}:{line}:{column}",
                        binding.name, env.name, binding.name, self.template
                    ),
                }
            }
        })
    }

    /// `d` at the template line or value that produced it, the rendered position in its hint.
    pub fn diagnostic(&self, mut d: Diagnostic) -> Diagnostic {
        let Some(traced) = d.line.and_then(|line| self.trace(&d.file, line, d.column)) else {
            return d;
        };
        let hint = d.hint.take().unwrap_or_else(|| {
            "this spec is rendered: fix it here, then run `cargo xtask render`".to_owned()
        });
        d.hint = Some(format!("{hint}\n  rendered: {}", traced.note));
        d.file = traced.file;
        d.line = Some(traced.line);
        d.column = traced.column;
        d
    }

    /// Every diagnostic traced (see [`Sources::diagnostic`]).
    pub fn diagnostics(&self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        diagnostics
            .into_iter()
            .map(|d| self.diagnostic(d))
            .collect()
    }

    /// `v` at the template line or value that produced it, the rendered position in `rendered`.
    pub fn violation(&self, mut v: Violation) -> Violation {
        let Some(traced) = v.line.and_then(|line| self.trace(&v.file, line, v.column)) else {
            return v;
        };
        v.rendered = Some(traced.note);
        v.file = traced.file;
        v.line = Some(traced.line);
        v.column = traced.column;
        v
    }

    /// Every violation of the summary traced (see [`Sources::violation`]).
    pub fn summary(&self, mut summary: RunSummary) -> RunSummary {
        for cluster in &mut summary.clusters {
            if let Some(violations) = cluster.policy.take() {
                cluster.policy = Some(violations.into_iter().map(|v| self.violation(v)).collect());
            }
        }
        summary
    }
}

#[cfg(test)]
mod tests;
