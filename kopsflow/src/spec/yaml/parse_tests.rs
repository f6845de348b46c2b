//! Unit tests of `parse.rs`: scalars, positions, duplicate keys, documents, aliases, errors.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::spec::yaml::parse_stream;

fn parse_one(text: &str) -> Node {
    parse_stream(text).unwrap().documents.remove(0).root
}

#[test]
fn quoted_scalars_are_strings() {
    let root = parse_one("a: \"yes\"\nb: '12'\nc: !!str 13\n");
    assert_eq!(root.get("a").unwrap().as_str(), Some("yes"));
    assert_eq!(root.get("b").unwrap().as_str(), Some("12"));
    assert_eq!(root.get("c").unwrap().as_str(), Some("13"));
}

#[test]
fn positions_are_one_based() {
    let root = parse_one("a:\n  b: 1\n");
    let b = root.get("a").unwrap().get_key("b").unwrap();
    assert_eq!((b.line, b.column), (2, 3));
}

#[test]
fn duplicate_keys_are_reported_and_the_first_kept() {
    let stream = parse_stream("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n").unwrap();
    let root = &stream.documents[0].root;
    assert_eq!(root.get("a").unwrap().as_i64(), Some(1));
    assert_eq!(
        stream.duplicate_keys,
        vec![
            DuplicateKey {
                key: "c".into(),
                document: 0,
                parent_path: "b".into(),
                first: (3, 3),
                second: (4, 3),
            },
            DuplicateKey {
                key: "a".into(),
                document: 0,
                parent_path: String::new(),
                first: (1, 1),
                second: (5, 1),
            },
        ]
    );
}

#[test]
fn empty_documents_are_dropped() {
    let stream = parse_stream("---\na: 1\n---\n---\n# only a comment\n---\nb: 2\n---\n").unwrap();
    let indexes: Vec<usize> = stream.documents.iter().map(|d| d.index).collect();
    assert_eq!(stream.documents.len(), 2);
    assert_eq!(indexes.first(), Some(&0));
}

#[test]
fn anchors_and_aliases_are_resolved() {
    let root = parse_one("a: &x [1, 2]\nb: *x\n");
    assert_eq!(root.get("a"), root.get("b"));
}

#[test]
fn syntax_errors_carry_a_position() {
    let error = parse_stream("a: [1, 2\nb: 3\n").unwrap_err();
    assert!(error.line >= 1, "{error:?}");
}
