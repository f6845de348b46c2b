//! Every real spec — the example cluster, the spec corpus and the kops `-o yaml` recordings —
//! survives parse → emit → parse unchanged: the YAML handed to `kops replace` is exact.

use camino::Utf8PathBuf;
use kopsflow::spec::yaml::parse_stream;
use kopsflow::spec::Node;

fn spec_files() -> Vec<Utf8PathBuf> {
    let root = Utf8PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("../cluster-spec/test.k8s.example.com.yml")];
    for kind in ["good", "bad"] {
        for case in root
            .join("tests/spec-corpus")
            .join(kind)
            .read_dir_utf8()
            .unwrap()
        {
            for file in case.unwrap().path().read_dir_utf8().unwrap() {
                files.push(file.unwrap().path().to_owned());
            }
        }
    }
    for file in root.join("tests/kops-samples").read_dir_utf8().unwrap() {
        let path = file.unwrap().path().to_owned();
        if path.extension() == Some("yaml") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn round_trip(root: &Node) {
    let yaml = root.to_yaml();
    let stream = parse_stream(&yaml).unwrap_or_else(|e| panic!("{e:?} in\n{yaml}"));
    let back: Vec<&Node> = stream.documents.iter().map(|d| &d.root).collect();
    if root.is_null() {
        assert!(back.is_empty(), "{yaml}");
    } else {
        assert_eq!(back, vec![root], "emitted as\n{yaml}");
    }
    assert!(stream.duplicate_keys.is_empty(), "{yaml}");
}

#[test]
fn corpus_and_samples_round_trip() {
    let mut documents = 0;
    for file in spec_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let Ok(stream) = parse_stream(&text) else {
            continue; // the corpus's syntax-error case
        };
        for document in &stream.documents {
            round_trip(&document.root);
            documents += 1;
        }
    }
    assert!(documents > 100, "only {documents} documents");
}
