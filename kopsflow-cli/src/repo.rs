//! [`Repo`]: everything the command line needs to know about one repository, built by that
//! repository's own small `xtask` and handed to [`crate::main`]. The library itself never reads
//! or names a repository's source files: where a setting is declared travels with it
//! ([`Declared`]), so that messages and diagnostics point at the repository's own line.

use kopsflow::kops::pin::KopsPin;
use kopsflow::policy::Policy;

use crate::ci::CiSettings;
use crate::config::Config;
use crate::pipeline::{Prune, RepoPipeline, RunFlags};
use crate::render::Environment;

/// One repository's composition: its pipeline, settings, policy and templates.
#[derive(Debug, Clone)]
pub struct Repo {
    /// The pipeline: its stages by name, built from the environment's [`Config`] and the run's
    /// flags ([`crate::pipeline::standard`] is the classic one).
    pub pipeline: fn(&Config, RunFlags) -> RepoPipeline,
    /// The production state store (`s3://…`, `gs://…`, `file://…`); `KOPS_STATE_STORE`
    /// overrides it.
    pub production_store: Declared<&'static str>,
    /// The repository's environments, each with its own store (none: every cluster uses
    /// `production_store`).
    pub environments: fn() -> Vec<crate::environment::Environment>,
    /// Which environment each cluster belongs to, `(cluster, environment)`: from its template
    /// environment, or declared for hand-written specs. Every cluster belongs to exactly one
    /// when the repository has environments.
    pub cluster_environments: fn() -> Vec<(String, &'static str)>,
    /// The branches that deploy; `KOPSFLOW_MAIN_BRANCHES` (comma-separated) overrides them, except
    /// in the generated CI files.
    pub main_branches: Declared<&'static [&'static str]>,
    /// Whether `deploy` deletes the instance groups git no longer has; `KOPSFLOW_PRUNE`
    /// overrides it.
    pub prune: Prune,
    /// The kops version the repository is operated with.
    pub kops_pin: Declared<KopsPin>,
    /// The settings of the generated CI files.
    pub ci_settings: Declared<fn() -> CiSettings>,
    /// The policy `validate`, `plan` and `deploy` check.
    pub policy: fn() -> Policy,
    /// The cluster templates `render` writes, if the repository has any.
    pub templates: Option<Templates>,
}

impl Repo {
    /// The environments and their clusters, checked ([`crate::environment::Environments::new`]).
    pub fn environments(&self) -> anyhow::Result<crate::environment::Environments> {
        crate::environment::Environments::new((self.environments)(), &(self.cluster_environments)())
    }
}

/// A repository's cluster templates: one template file rendered for each environment.
#[derive(Debug, Clone)]
pub struct Templates {
    /// The template, relative to the repository root (e.g.
    /// `cluster-spec/templates/cluster.yml.tmpl`).
    pub template: &'static str,
    /// The source file that declares the environments and their values (named in messages).
    pub values_file: &'static str,
    /// The environments, each rendered to `cluster-spec/<name>.yml`.
    pub environments: fn() -> Vec<Environment>,
}

/// A setting with where the repository declares it: messages say "`NAME` in `FILE`" and
/// diagnostics point at `FILE:LINE`. Build one with [`declared!`](crate::declared).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declared<T> {
    /// The setting.
    pub value: T,
    /// Its name, as the repository's source spells it (e.g. `KOPS_PIN`).
    pub name: &'static str,
    /// The file that declares it, relative to the repository root.
    pub file: &'static str,
    /// The line of the declaration (1-based).
    pub line: u32,
}

impl<T> Declared<T> {
    /// "`NAME` in `FILE`", as messages name the setting.
    pub fn place(&self) -> String {
        format!("{} in {}", self.name, self.file)
    }
}

/// `declared!(NAME, value)`: a [`Declared`] value at the line of the macro call, in the file
/// that calls it (`file!()`, which cargo gives relative to the workspace root).
#[macro_export]
macro_rules! declared {
    ($name:literal, $value:expr) => {
        $crate::Declared {
            value: $value,
            name: $name,
            file: file!(),
            line: line!(),
        }
    };
}
