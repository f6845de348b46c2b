//! `cargo dev fuzz`: a longer fuzzing campaign than the bounded pass in `.ci/run`, in a
//! release build of the `kopsflow-fuzz` crate (kept out of this binary's dependency tree).

use std::process::ExitCode;

use xshell::{cmd, Shell};

impl crate::Fuzz {
    /// Runs the campaign; exit 1 when it found anything.
    pub fn run(self, sh: &Shell) -> anyhow::Result<ExitCode> {
        let seconds = (self.minutes * 60).max(1).to_string();
        let mut args = vec!["--seconds".to_owned(), seconds];
        for target in &self.targets {
            args.extend(["--target".to_owned(), target.clone()]);
        }
        if let Some(seed) = self.seed {
            args.extend(["--seed".to_owned(), seed.to_string()]);
        }
        // The fuzzer prints its findings and exits 1 when it has any.
        let ok = cmd!(
            sh,
            "cargo run --quiet --release --package kopsflow-fuzz -- {args...}"
        )
        .quiet()
        .run()
        .is_ok();
        Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}
