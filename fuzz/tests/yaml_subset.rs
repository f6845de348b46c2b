//! The YAML-subset property (docs/YAML.md) on the spec corpus, the example specs and thousands of
//! generated specs full of tags, anchors, aliases and merge keys: every spec kopsflow accepts
//! reaches kops (read by the YAML 1.1 oracle, `yaml11.rs`) meaning what the git file means.

use camino::Utf8PathBuf;
use kopsflow::spec::ClusterSpec;
use kopsflow_fuzz::subset::{kops_reads_what_git_means, Generator};
use kopsflow_fuzz::{files, repo_root};

#[test]
fn the_corpus_reaches_kops_as_written() {
    let root = repo_root();
    let mut compared = 0;
    for dir in ["kopsflow/tests/spec-corpus", "cluster-spec"] {
        for path in files(&root.join(dir)) {
            if !path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a readable spec");
            let relative = path.strip_prefix(&root).expect("under the repository");
            let file = Utf8PathBuf::from_path_buf(relative.to_owned()).expect("a UTF-8 path");
            if ClusterSpec::parse(&file, &text).is_ok() {
                compared += 1;
            }
            if let Err(problem) = kops_reads_what_git_means(&file, &text) {
                panic!("{file}: {problem}");
            }
        }
    }
    assert!(compared >= 5, "only {compared} corpus specs load");
}

#[test]
fn generated_specs_with_tags_anchors_and_merges_reach_kops_as_written() {
    let file = Utf8PathBuf::from("cluster-spec/test.k8s.example.com.yml");
    let mut generator = Generator::new(0x7961_6d6c);
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..3000 {
        let text = generator.spec();
        match ClusterSpec::parse(&file, &text) {
            Ok(_) => accepted += 1,
            Err(_) => refused += 1,
        }
        if let Err(problem) = kops_reads_what_git_means(&file, &text) {
            panic!("{problem}\nfrom the spec:\n{text}");
        }
    }
    // Both sides of the property are exercised.
    assert!(
        accepted > 500 && refused > 500,
        "{accepted} accepted, {refused} refused"
    );
}
