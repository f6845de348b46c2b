//! xtask: this repository's kops pipeline run as `cargo xtask …` — its composition only: the
//! pipeline and its settings (`pipeline.rs`), its policy (`policies.rs`) and its cluster
//! templates (`templates.rs`), handed to the `kopsflow-cli` library as one [`Repo`] value. The
//! command line itself (flags, jobs, CI generation, …) is the library's.

#[cfg(test)]
mod ci_jobs_tests;
mod environments;
mod pipeline;
mod policies;
mod templates;
#[cfg(test)]
mod tests;

use std::process::ExitCode;

use kopsflow_cli::{Repo, Templates};

fn main() -> ExitCode {
    kopsflow_cli::main(repo())
}

/// This repository, as the library needs to know it.
fn repo() -> Repo {
    Repo {
        pipeline: pipeline::repo_pipeline,
        production_store: pipeline::PRODUCTION_STORE,
        environments: environments::environments,
        cluster_environments: environments::cluster_environments,
        main_branches: pipeline::MAIN_BRANCHES,
        prune: pipeline::PRUNE,
        kops_pin: pipeline::KOPS_PIN,
        ci_settings: pipeline::CI_SETTINGS,
        policy: policies::repo_policy,
        templates: Some(Templates {
            template: templates::TEMPLATE,
            values_file: templates::VALUES_FILE,
            environments: templates::environments,
        }),
    }
}
