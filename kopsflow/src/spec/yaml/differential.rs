//! TEMPORARY differential check: the new emitter against the old serde_norway one over the spec
//! corpus, the example spec and the kops YAML samples. Prints every difference.

#![allow(clippy::unwrap_used)]

use camino::Utf8PathBuf;

use super::parse_stream;

fn files() -> Vec<Utf8PathBuf> {
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

#[test]
fn new_emitter_against_serde_norway() {
    let mut documents = 0;
    let mut differences = 0;
    for file in files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let Ok(stream) = parse_stream(&text) else {
            println!("{file}: does not parse (skipped)");
            continue;
        };
        for document in stream.documents {
            documents += 1;
            let old = document.root.to_yaml_serde_norway();
            let new = document.root.to_yaml();
            let new_back = parse_stream(&new).unwrap().documents.remove(0).root;
            assert_eq!(
                new_back, document.root,
                "{file}: new output does not round-trip"
            );
            if old != new {
                differences += 1;
                let old_exact = parse_stream(&old)
                    .ok()
                    .and_then(|mut s| (!s.documents.is_empty()).then(|| s.documents.remove(0).root))
                    .is_some_and(|back| back == document.root);
                println!(
                    "== {file} document {}: old output round-trips: {old_exact}",
                    document.index
                );
                let old_lines: Vec<&str> = old.lines().collect();
                let new_lines: Vec<&str> = new.lines().collect();
                for index in 0..old_lines.len().max(new_lines.len()) {
                    let (o, n) = (old_lines.get(index), new_lines.get(index));
                    if o != n {
                        println!("  line {}: old {:?}", index + 1, o);
                        println!("  line {}: new {:?}", index + 1, n);
                    }
                }
            }
        }
    }
    println!("{documents} documents, {differences} with differences");
}

/// Old vs new over generated trees: how often each differs, and whether the old output was exact.
#[test]
fn generated_against_serde_norway() {
    use super::tests::{tree, Rng, NASTY};
    use super::{Node, Value};
    let mut wrong = std::collections::BTreeMap::<String, (String, String)>::new();
    let mut stylistic = std::collections::BTreeMap::<String, (String, String)>::new();
    fn check(
        root: &Node,
        label: String,
        wrong: &mut std::collections::BTreeMap<String, (String, String)>,
        stylistic: &mut std::collections::BTreeMap<String, (String, String)>,
    ) {
        let old = root.to_yaml_serde_norway();
        let new = root.to_yaml();
        if old == new {
            return;
        }
        let old_exact = parse_stream(&old).ok().is_some_and(|s| {
            s.documents
                .iter()
                .map(|d| &d.root)
                .eq(std::iter::once(root))
        });
        let map = if old_exact { stylistic } else { wrong };
        map.entry(label).or_insert((old, new));
    }
    for text in NASTY {
        let mut root = Node::synthetic(Value::Mapping(Vec::new()));
        root.insert("v", Node::string(text));
        check(&root, format!("value {text:?}"), &mut wrong, &mut stylistic);
        let mut root = Node::synthetic(Value::Mapping(Vec::new()));
        root.insert(text, Node::string("v"));
        check(&root, format!("key {text:?}"), &mut wrong, &mut stylistic);
    }
    let mut rng = Rng::new(0x6b6f_7073_666c_6f77);
    let mut generated_wrong = 0;
    let mut generated_stylistic = 0;
    let mut categories = std::collections::BTreeMap::<String, usize>::new();
    for index in 0..4000 {
        let root = tree(&mut rng, 5);
        let before = (wrong.len(), stylistic.len());
        check(
            &root,
            format!("generated {index}"),
            &mut wrong,
            &mut stylistic,
        );
        if wrong.len() > before.0 {
            let mut f = std::collections::BTreeSet::new();
            features(&root, false, &mut f);
            let key = f.into_iter().collect::<Vec<_>>().join("+");
            *categories.entry(key.clone()).or_default() += 1;
            if key.is_empty() {
                println!("UNEXPLAINED {:?}", wrong.get(&format!("generated {index}")));
            }
        }
        generated_wrong += wrong.len() - before.0;
        generated_stylistic += stylistic.len() - before.1;
    }
    println!("old-wrong categories: {categories:?}");
    println!("generated: {generated_wrong} old-wrong, {generated_stylistic} stylistic of 4000");
    let mut shown = 0;
    for (label, (old, new)) in &wrong {
        let known = false;
        if label.starts_with("generated") && !known && shown < 25 {
            shown += 1;
            println!("GEN WRONG {label}: old {old:?} new {new:?}");
        }
        if !label.starts_with("generated") {
            println!("OLD WRONG {label}: old {old:?} new {new:?}");
        }
    }
    let mut kinds = std::collections::BTreeMap::<String, (usize, String, String)>::new();
    for (old, new) in stylistic.values() {
        for (o, n) in old.lines().zip(new.lines()) {
            if o != n {
                let kind = if n.contains("\\x85") || o.contains("\\N") || o.contains("\\_") {
                    "NEL/NBSP escape"
                } else if n.contains("'<<'") {
                    "<< quoted"
                } else if n.contains('|') && o.contains('"') {
                    "literal instead of double quotes"
                } else if o.starts_with('?')
                    || o.trim_start().starts_with("? ")
                    || o.trim_start().starts_with("- ?")
                {
                    "simple key instead of explicit"
                } else if o.contains('"') && n.contains('"') {
                    "other escape"
                } else {
                    "other"
                };
                if kind == "other" && kinds.get("other").is_some_and(|e| e.0 < 8) {
                    println!("OTHER old {old:?}\n      new {new:?}");
                }
                let e = kinds
                    .entry(kind.to_owned())
                    .or_insert((0, o.to_owned(), n.to_owned()));
                e.0 += 1;
                break;
            }
        }
    }
    for (kind, (count, o, n)) in &kinds {
        println!("STYLE KIND {kind}: {count}, e.g. old {o:?} new {n:?}");
    }
    for (label, (old, new)) in &stylistic {
        if !label.starts_with("generated") {
            println!("STYLE {label}: old {old:?} new {new:?}");
        }
    }
}

fn features(node: &super::Node, is_key: bool, f: &mut std::collections::BTreeSet<&'static str>) {
    use super::{Scalar, Value};
    match &node.value {
        Value::Scalar(Scalar::String(s)) => {
            if s.contains(['\u{2028}', '\u{2029}']) {
                f.insert("LS/PS");
            }
            if s.contains("__kopsflow_quoted_7965__") {
                f.insert("sentinel");
            }
            if is_key && s == "<<" {
                f.insert("merge-key");
            }
        }
        Value::Scalar(_) => {}
        Value::Sequence(items) => items.iter().for_each(|i| features(i, false, f)),
        Value::Mapping(entries) => {
            for (k, v) in entries {
                if !matches!(k.value, Value::Scalar(_)) {
                    f.insert("complex-key");
                }
                features(k, true, f);
                features(v, false, f);
            }
        }
    }
}
