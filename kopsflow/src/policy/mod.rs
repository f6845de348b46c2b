//! Policies: typed rules over cluster specs that stop unsafe changes before kops is called.
//!
//! A [`Rule`] is a name, a reason (why the change is dangerous), a [`Scope`] and a plain Rust
//! function that reports [`Violation`]s through [`Findings`]. `Scope::Spec` rules read the git
//! spec alone, so `validate` evaluates them offline; `Scope::Change` rules compare the git spec
//! with production's (read by the `kops get` steps of `plan` and `deploy`). A [`Policy`] is the
//! built-in rules ([`rules::builtin`]) plus a team's own, with their [`Settings`]; a [`Gate`] is a
//! policy with the rules a run was told to allow (`--allow RULE`). Nothing here runs kops or
//! reads files: the executor calls [`Gate::evaluate`] after production has been read and before
//! any step that changes it.

pub mod rules;
mod version;

use std::fmt;

use camino::Utf8PathBuf;

use crate::spec::{ClusterSpec, Node};

pub use version::KubernetesVersion;

/// Whether a violation stops `plan` and `deploy` (exit 1; `deploy` changes nothing) or is only
/// reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Block,
    Warn,
}

impl Level {
    /// `block` or `warn`, as reports name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Block => "block",
            Level::Warn => "warn",
        }
    }
}

/// What a rule needs to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The git spec alone: evaluated offline by `validate`, and by `plan` and `deploy`.
    Spec,
    /// The git spec against production's: evaluated by `plan` and `deploy` once production has
    /// been read (never for a cluster that does not exist yet).
    Change,
}

/// A rule's check: reads the input, reports through the findings.
pub type Check = fn(&Input<'_>, &mut Findings<'_>);

/// One typed rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Kebab-case; what `--allow` takes.
    pub name: &'static str,
    /// Why a violation is dangerous, in a sentence or two.
    pub why: &'static str,
    pub scope: Scope,
    pub level: Level,
    pub check: Check,
}

impl Rule {
    /// A blocking rule over the git spec alone.
    pub const fn spec(name: &'static str, why: &'static str, check: Check) -> Rule {
        Rule {
            name,
            why,
            scope: Scope::Spec,
            level: Level::Block,
            check,
        }
    }

    /// A blocking rule over the change from production's spec to git's.
    pub const fn change(name: &'static str, why: &'static str, check: Check) -> Rule {
        Rule {
            name,
            why,
            scope: Scope::Change,
            level: Level::Block,
            check,
        }
    }

    /// The same rule, reported without blocking.
    pub const fn warn(self) -> Rule {
        Rule {
            level: Level::Warn,
            ..self
        }
    }
}

/// How the built-in rules are tuned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `instance-group-max-size`: the largest `maxSize` an instance group may have.
    pub max_instance_group_size: i64,
    /// How a cluster is marked production.
    pub production: Production,
}

/// A cluster is production when its Cluster's `spec.cloudLabels[label]` is `value`, in git or in
/// production (so removing the mark in the same change does not escape the rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Production {
    pub label: &'static str,
    pub value: &'static str,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_instance_group_size: 50,
            production: Production {
                label: "environment",
                value: "production",
            },
        }
    }
}

/// What a rule's check reads: the git spec, production's spec when it has been read, and the
/// settings.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub git: &'a ClusterSpec,
    /// `None` offline (`validate`) and for a cluster not in production yet. `Scope::Change`
    /// rules are only called when it is `Some`.
    pub live: Option<&'a ClusterSpec>,
    pub settings: &'a Settings,
}

impl Input<'_> {
    /// Whether git's or production's spec carries the production mark (see [`Production`]).
    pub fn is_production(&self) -> bool {
        let mark = &self.settings.production;
        let marked = |spec: &ClusterSpec| {
            spec.cluster
                .document
                .get_path(&["spec", "cloudLabels", mark.label])
                .and_then(Node::as_str)
                == Some(mark.value)
        };
        marked(self.git) || self.live.is_some_and(marked)
    }
}

/// Where a rule reports its violations; positions come from the git spec's nodes.
#[derive(Debug)]
pub struct Findings<'a> {
    rule: &'a Rule,
    git: &'a ClusterSpec,
    found: Vec<Violation>,
}

impl Findings<'_> {
    /// A violation at `node` of the git spec; `path` names the field (`spec.kubernetesVersion`,
    /// `InstanceGroup nodes: spec.maxSize`).
    pub fn at(&mut self, node: &Node, path: impl Into<String>, message: impl Into<String>) {
        let position = (node.line > 0).then_some((node.line, node.column));
        self.push(position, path.into(), message.into());
    }

    /// A violation about the cluster as a whole (something git no longer has): at the Cluster's
    /// `metadata.name`.
    pub fn at_cluster(&mut self, path: impl Into<String>, message: impl Into<String>) {
        let document = &self.git.cluster.document;
        let node = document.get_path(&["metadata", "name"]).unwrap_or(document);
        let position = (node.line > 0).then_some((node.line, node.column));
        self.push(position, path.into(), message.into());
    }

    fn push(&mut self, position: Option<(usize, usize)>, path: String, message: String) {
        self.found.push(Violation {
            rule: self.rule.name.to_owned(),
            level: self.rule.level,
            cluster: self.git.name().to_owned(),
            file: self.git.file.clone(),
            line: position.map(|(line, _)| line),
            column: position.map(|(_, column)| column),
            path,
            message,
            why: self.rule.why.to_owned(),
            allowed: false,
            rendered: None,
        });
    }
}

/// One rule broken by one cluster's spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: String,
    pub level: Level,
    pub cluster: String,
    /// Where to fix it: the spec file, or for a rendered spec the template or the value.
    pub file: Utf8PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The field, e.g. `spec.kubernetesVersion` or `InstanceGroup nodes: spec.maxSize`.
    pub path: String,
    pub message: String,
    /// Why it is dangerous.
    pub why: String,
    /// The run was given `--allow RULE`: reported, not blocking.
    pub allowed: bool,
    /// For a rendered spec: the position in the rendered file (`file` then names the template
    /// line or the value that produced it).
    pub rendered: Option<String>,
}

impl Violation {
    /// Whether it stops the run: a blocking rule that was not allowed.
    pub fn blocks(&self) -> bool {
        self.level == Level::Block && !self.allowed
    }

    /// The flag that lets it through.
    pub fn override_flag(&self) -> String {
        format!("--allow {}", self.rule)
    }

    /// `cluster-spec/a.yml:12:3`.
    pub fn location(&self) -> String {
        let mut at = self.file.to_string();
        if let Some(line) = self.line {
            at.push_str(&format!(":{line}"));
            if let Some(column) = self.column {
                at.push_str(&format!(":{column}"));
            }
        }
        at
    }

    /// `blocks`, `allowed by --allow RULE` or `warning`.
    pub fn verdict(&self) -> String {
        match (self.level, self.allowed) {
            (Level::Block, false) => "blocks".to_owned(),
            (_, true) => format!("allowed by {}", self.override_flag()),
            (Level::Warn, false) => "warning".to_owned(),
        }
    }
}

/// `policy kubernetes-minor-jump (blocks): cluster-spec/a.yml:40:22: spec.kubernetesVersion: …`
/// then `why:`, `override:` (when it blocks) and, for a rendered spec, `rendered:` lines
/// indented below. No trailing newline.
impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "policy {} ({}): {}: {}: {}",
            self.rule,
            self.verdict(),
            self.location(),
            self.path,
            self.message
        )?;
        write!(f, "\n  why: {}", self.why)?;
        if self.blocks() {
            write!(
                f,
                "\n  override: {} (on deploy; recorded in the run's summary)",
                self.override_flag()
            )?;
        }
        if let Some(rendered) = &self.rendered {
            write!(f, "\n  rendered: {rendered}")?;
        }
        Ok(())
    }
}

/// The rules of a pipeline, with their settings.
#[derive(Debug, Clone)]
pub struct Policy {
    pub settings: Settings,
    rules: Vec<Rule>,
}

impl Policy {
    /// The built-in rules ([`rules::builtin`]) with `settings`.
    pub fn new(settings: Settings) -> Policy {
        Policy {
            settings,
            rules: rules::builtin().to_vec(),
        }
    }

    /// No rules at all.
    pub fn empty(settings: Settings) -> Policy {
        Policy {
            settings,
            rules: Vec::new(),
        }
    }

    /// Adds a rule, or replaces the rule of the same name (e.g. `rule.warn()`).
    pub fn with(mut self, rule: Rule) -> Policy {
        match self.rules.iter_mut().find(|r| r.name == rule.name) {
            Some(existing) => *existing = rule,
            None => self.rules.push(rule),
        }
        self
    }

    /// Drops the rule named `name`.
    pub fn without(mut self, name: &str) -> Policy {
        self.rules.retain(|r| r.name != name);
        self
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// Every name in `allowed` is a rule of this policy; else an error naming the known rules.
    pub fn check_allowed(&self, allowed: &[String]) -> Result<(), String> {
        let unknown: Vec<&str> = allowed
            .iter()
            .filter(|name| self.rule(name).is_none())
            .map(String::as_str)
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let known: Vec<&str> = self.rules.iter().map(|r| r.name).collect();
        Err(format!(
            "--allow {}: no such policy rule; the rules are {}",
            unknown.join(", --allow "),
            known.join(", ")
        ))
    }

    /// Every violation of `git` (against `live` when given), in rule order; those of a rule in
    /// `allowed` are marked allowed. Without `live`, `Scope::Change` rules are not evaluated.
    pub fn evaluate(
        &self,
        git: &ClusterSpec,
        live: Option<&ClusterSpec>,
        allowed: &[String],
    ) -> Vec<Violation> {
        let input = Input {
            git,
            live,
            settings: &self.settings,
        };
        let mut violations = Vec::new();
        for rule in &self.rules {
            if rule.scope == Scope::Change && live.is_none() {
                continue;
            }
            let mut findings = Findings {
                rule,
                git,
                found: Vec::new(),
            };
            (rule.check)(&input, &mut findings);
            let allow = allowed.iter().any(|a| a == rule.name);
            violations.extend(findings.found.into_iter().map(|mut v| {
                v.allowed = allow;
                v
            }));
        }
        violations
    }
}

/// A policy as one run applies it: with the rules the run allows (`--allow RULE`).
#[derive(Debug, Clone)]
pub struct Gate {
    pub policy: Policy,
    pub allowed: Vec<String>,
}

impl Gate {
    pub fn evaluate(&self, git: &ClusterSpec, live: Option<&ClusterSpec>) -> Vec<Violation> {
        self.policy.evaluate(git, live, &self.allowed)
    }
}

/// Why a cluster is stopped, when some of `violations` block: the rules and how to override them.
pub fn refusal(violations: &[Violation]) -> Option<String> {
    let mut rules: Vec<&str> = violations
        .iter()
        .filter(|v| v.blocks())
        .map(|v| v.rule.as_str())
        .collect();
    if rules.is_empty() {
        return None;
    }
    let count = rules.len();
    rules.dedup();
    Some(format!(
        "blocked by policy: {count} blocking violation{} ({}); nothing was changed. After review, override with {}",
        if count == 1 { "" } else { "s" },
        rules.join(", "),
        rules
            .iter()
            .map(|r| format!("--allow {r}"))
            .collect::<Vec<_>>()
            .join(" ")
    ))
}

#[cfg(test)]
mod tests;
