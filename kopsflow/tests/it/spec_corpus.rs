//! Spec corpus: every case under `spec-corpus/bad/` must fail validation with diagnostics that
//! match its snapshot; every case under `spec-corpus/good/` must parse without errors.

use camino::{Utf8Path, Utf8PathBuf};
use kopsflow::spec::{render_diagnostics, ClusterSpec, Severity};

fn corpus_dir() -> Utf8PathBuf {
    Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec-corpus")
}

/// `(case name, spec file path relative to the corpus dir, text)` for each case directory.
fn cases(kind: &str) -> Vec<(String, Utf8PathBuf, String)> {
    let dir = corpus_dir().join(kind);
    let mut cases = Vec::new();
    for case in dir.read_dir_utf8().unwrap() {
        let case = case.unwrap();
        let files: Vec<_> = case
            .path()
            .read_dir_utf8()
            .unwrap()
            .map(|f| f.unwrap().path().to_owned())
            .collect();
        assert_eq!(files.len(), 1, "{}: one spec file per case", case.path());
        let file = &files[0];
        let relative = file.strip_prefix(corpus_dir()).unwrap().to_owned();
        let text = std::fs::read_to_string(file).unwrap();
        cases.push((case.file_name().to_owned(), relative, text));
    }
    cases.sort();
    cases
}

#[test]
fn bad_specs_fail_with_their_diagnostics() {
    let cases = cases("bad");
    assert!(cases.len() >= 25, "only {} bad cases", cases.len());
    for (case, file, text) in cases {
        let diagnostics = match ClusterSpec::parse(&file, &text) {
            Ok(loaded) => panic!("{case}: parsed without errors ({:?})", loaded.warnings),
            Err(diagnostics) => diagnostics,
        };
        assert!(
            diagnostics.iter().any(|d| d.severity == Severity::Error),
            "{case}: no error"
        );
        insta::with_settings!({
            snapshot_path => "../spec-corpus/snapshots",
            prepend_module_to_snapshot => false,
            input_file => corpus_dir().join(&file).as_str(),
        }, {
            insta::assert_snapshot!(case.as_str(), render_diagnostics(&diagnostics));
        });
    }
}

#[test]
fn good_specs_parse_without_errors() {
    let cases = cases("good");
    assert!(cases.len() >= 3);
    for (case, file, text) in cases {
        match ClusterSpec::parse(&file, &text) {
            Ok(loaded) => {
                let reparsed = ClusterSpec::parse(&file, &loaded.spec.to_kops_yaml()).unwrap();
                assert_eq!(reparsed.spec, loaded.spec, "{case}: round trip");
                if case != "typo-warnings" {
                    assert_eq!(loaded.warnings, vec![], "{case}: unexpected warnings");
                }
            }
            Err(diagnostics) => panic!("{case}:\n{}", render_diagnostics(&diagnostics)),
        }
    }
}

#[test]
fn field_typos_are_warnings_with_suggestions() {
    let (_, file, text) = cases("good")
        .into_iter()
        .find(|(case, _, _)| case == "typo-warnings")
        .unwrap();
    let loaded = ClusterSpec::parse(&file, &text).unwrap();
    let rendered = render_diagnostics(&loaded.warnings);
    assert_eq!(
        rendered,
        "warning: good/typo-warnings/demo.k8s.local.yml:30:3: spec.kubernetesVerison: unknown field `kubernetesVerison`\n  \
         hint: did you mean `kubernetesVersion`?\n\
         warning: good/typo-warnings/demo.k8s.local.yml:76:3: InstanceGroup nodes-us-east-1a: spec.machinetype: unknown field `machinetype`\n  \
         hint: did you mean `machineType`?\n"
    );
}
