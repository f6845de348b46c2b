//! Every input the fuzzer ever found failing (`fuzz/regressions/<target>/`) must now pass its
//! target's oracle; and every seed must pass too, so a broken oracle cannot hide.

use kopsflow_fuzz::{files, regressions_dir, repo_root, TARGETS};

#[test]
fn saved_findings_pass() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for target in TARGETS {
        for path in files(&regressions_dir(&repo_root(), *target)) {
            let input = std::fs::read(&path).expect("regression file is readable");
            replayed += 1;
            if let Err(problem) = target.check(&input) {
                failures.push(format!("{} {}: {problem}", target.name(), path.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {replayed} regression inputs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn seeds_pass_and_exist() {
    for target in TARGETS {
        let seeds = target.seeds(&repo_root());
        assert!(
            seeds.len() > 1,
            "{}: only {} seed(s)",
            target.name(),
            seeds.len()
        );
        for seed in seeds {
            if let Err(problem) = target.check(&seed) {
                panic!(
                    "{}: a seed fails: {problem}\n{}",
                    target.name(),
                    String::from_utf8_lossy(&seed)
                );
            }
        }
    }
}
