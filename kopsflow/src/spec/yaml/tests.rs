//! Round-trip properties of the emitter: parse → emit → parse gives the same tree, over the spec
//! corpus, the example spec, the kops samples and thousands of generated trees full of strings
//! that are hard to write in YAML; and the parser's limits on hostile input.

#![allow(clippy::unwrap_used)]

use super::{parse_stream, Node, Scalar, Value};

// ---------------------------------------------------------------------------------------------
// Generated trees

/// xorshift64*: small, deterministic, good enough to pick test cases.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Strings that are easy to get wrong: indicators, YAML 1.1 booleans, numbers and nulls, spaces,
/// line breaks and other special characters, document markers, the old emitter's sentinel.
pub(super) const NASTY: &[&str] = &[
    "",
    " ",
    "  ",
    "a",
    "-",
    "- x",
    "-x",
    "--flag=1",
    "?",
    "? x",
    "?x",
    ":",
    ": x",
    ":x",
    "::/0",
    "a:",
    "a:b",
    "a: b",
    "a :b",
    ",",
    "a,b",
    "[",
    "]",
    "[a]",
    "{",
    "}",
    "{a: b}",
    "#",
    "# x",
    "a#b",
    "a #b",
    "&a",
    "*a",
    "!a",
    "!!str",
    "|",
    "|-",
    ">",
    "'",
    "''",
    "'a'",
    "\"",
    "\"a\"",
    "%",
    "%YAML",
    "@",
    "`",
    "\\",
    "\\n",
    "y",
    "Y",
    "n",
    "N",
    "yes",
    "Yes",
    "NO",
    "on",
    "On",
    "off",
    "OFF",
    "true",
    "False",
    "~",
    "null",
    "Null",
    "NULL",
    "0",
    "12",
    "-1",
    "+1",
    "0755",
    "0o17",
    "0x1F",
    "-0x1f",
    "0b101",
    "1_000",
    "1e3",
    "1E+3",
    "-1.5e-3",
    ".5",
    "1.",
    "1.5",
    ".inf",
    "-.Inf",
    "+.INF",
    ".nan",
    ".NaN",
    "9223372036854775808",
    "12:30",
    "1:20:30",
    "2001-12-14",
    "2001-12-14T21:59:43.10-05:00",
    "<<",
    "=",
    "1.29.2",
    "v1.29.0",
    "200m",
    "0.0.0.0/0",
    "a b",
    " a",
    "a ",
    " a ",
    "\n",
    "\n\n",
    "a\n",
    "a\n\n",
    "a\n\n\n",
    "\na",
    "\n\na",
    " \na",
    "  a\nb",
    "a\n b",
    "a \nb",
    "a\n \n",
    "a\n  ",
    "a\n\nb\n",
    "\r",
    "a\rb",
    "a\r\nb\r\n",
    "\t",
    "\ta",
    "a\t",
    "a\tb",
    "a\n\tb",
    "\u{0}",
    "\u{7}",
    "\u{1b}",
    "\u{7f}",
    "\u{85}",
    "a\u{85}b",
    "\u{a0}",
    "\u{2028}",
    "a\u{2029}b",
    "\u{feff}",
    "\u{fffe}",
    "\u{ffff}",
    "é",
    "日本語",
    "🚀",
    "ünï\ncødé\n",
    "__kopsflow_quoted_7965__",
    "__kopsflow_quoted_zz__",
    "__kopsflow_quoted_",
    "---",
    "...",
    "--- a",
    "... a",
    "---a",
    "a\n---\nb",
    "a\n...\nb\n",
    "---\n",
    "...\n",
    "a\n--- x\n",
    "# comment",
    "a\n# not a comment\n",
    "#!/bin/bash\nset -e\n  indented: yes\n\necho 'done'\n",
    "key: value\n- item\n",
    "trailing spaces \n",
    "line  \n  more\t\n",
];

const ALPHABET: &[char] = &[
    'a', 'b', 'Z', '0', '1', '9', ' ', ' ', '\n', '\n', '\t', '\r', '-', '?', ':', ',', '[', ']',
    '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '\\', '.', '_', '~', '<',
    '=', '+', 'é', '日', '🚀', '\u{85}', '\u{2028}', '\u{feff}', '\u{0}', '\u{7f}',
];

fn nasty_string(rng: &mut Rng) -> String {
    match rng.below(10) {
        0..=4 => (*rng.pick(NASTY)).to_owned(),
        5..=6 => (0..1 + rng.below(4)).map(|_| *rng.pick(NASTY)).collect(),
        7..=8 => (0..rng.below(12)).map(|_| *rng.pick(ALPHABET)).collect(),
        _ => {
            let unit = *rng.pick(&["word ", "x", "a\n", " \n", "日本", "\\\""]);
            unit.repeat(1 + rng.below(400))
        }
    }
}

fn scalar(rng: &mut Rng) -> Node {
    let scalar = match rng.below(12) {
        0 => Scalar::Null,
        1 => Scalar::Bool(rng.below(2) == 0),
        2 => Scalar::Int(*rng.pick(&[0, 1, -1, 8, 493, i64::MIN, i64::MAX])),
        3 => Scalar::Int(rng.next() as i64),
        4 => Scalar::Float(*rng.pick(&[
            0.5,
            -0.0,
            1e300,
            5e-324,
            1.0,
            0.1,
            1e16,
            123_456.789,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ])),
        5 => Scalar::Float(f64::from_bits(rng.next())),
        _ => Scalar::String(nasty_string(rng)),
    };
    Node::synthetic(Value::Scalar(scalar))
}

/// A random tree at most `depth` levels of collections deep.
pub(super) fn tree(rng: &mut Rng, depth: usize) -> Node {
    match (depth, rng.below(5)) {
        (0, _) | (_, 0..=1) => scalar(rng),
        (_, 2..=3) => {
            let mut entries: Vec<(Node, Node)> = Vec::new();
            for _ in 0..rng.below(6) {
                let key = match rng.below(8) {
                    0 => tree(rng, depth - 1),
                    1 => scalar(rng),
                    _ => Node::string(&nasty_string(rng)),
                };
                // Keys kops reads alike (`1` and `"1"`) are duplicates.
                let text = super::key_text(&key);
                if entries
                    .iter()
                    .all(|(k, _)| *k != key && (text.is_none() || super::key_text(k) != text))
                {
                    entries.push((key, tree(rng, depth - 1)));
                }
            }
            Node::synthetic(Value::Mapping(entries))
        }
        _ => Node::synthetic(Value::Sequence(
            (0..rng.below(6)).map(|_| tree(rng, depth - 1)).collect(),
        )),
    }
}

fn round_trip(root: &Node) {
    let yaml = root.to_yaml();
    let stream = parse_stream(&yaml).unwrap_or_else(|e| panic!("{e:?} in\n{yaml}\nfrom {root:?}"));
    let back: Vec<&Node> = stream.documents.iter().map(|d| &d.root).collect();
    if root.is_null() {
        assert!(back.is_empty(), "{yaml}");
    } else {
        assert_eq!(back, vec![root], "emitted as\n{yaml}");
    }
    assert!(stream.duplicate_keys.is_empty(), "{yaml}");
}

#[test]
fn every_nasty_string_round_trips_as_value_key_and_item() {
    for text in NASTY {
        let mut root = Node::synthetic(Value::Mapping(Vec::new()));
        root.insert("value", Node::string(text));
        root.insert(text, Node::string("key"));
        root.insert(
            "items",
            Node::synthetic(Value::Sequence(vec![
                Node::string(text),
                Node::string(text),
            ])),
        );
        round_trip(&root);
        round_trip(&Node::string(text));
    }
}

#[test]
fn generated_trees_round_trip() {
    let mut rng = Rng::new(0x6b6f_7073_666c_6f77);
    for _ in 0..4000 {
        let root = tree(&mut rng, 5);
        round_trip(&root);
    }
}

#[test]
fn generated_streams_round_trip_like_kops_yaml() {
    let mut rng = Rng::new(7);
    for _ in 0..300 {
        let roots: Vec<Node> = (0..1 + rng.below(4))
            .map(|_| Node::synthetic(Value::Mapping(vec![(Node::string("k"), tree(&mut rng, 4))])))
            .collect();
        let text = roots
            .iter()
            .map(Node::to_yaml)
            .collect::<Vec<_>>()
            .join("---\n");
        let back: Vec<Node> = parse_stream(&text)
            .unwrap()
            .documents
            .into_iter()
            .map(|d| d.root)
            .collect();
        assert_eq!(back, roots, "{text}");
    }
}

/// The old emitter replaced `__kopsflow_quoted_<hex>__` in its output: this value reached kops
/// as `"ye"`.
#[test]
fn the_old_sentinel_text_is_written_as_is() {
    let root = parse_stream("value: \"__kopsflow_quoted_7965__\"\n")
        .unwrap()
        .documents
        .remove(0)
        .root;
    assert_eq!(root.to_yaml(), "value: __kopsflow_quoted_7965__\n");
}

#[test]
fn strings_are_written_in_the_expected_style() {
    let cases = [
        ("yes", "\"yes\""),
        ("0755", "\"0755\""),
        ("", "\"\""),
        ("a: b", "'a: b'"),
        ("it's: x", "'it''s: x'"),
        ("::/0", "::/0"),
        ("tab\t", "\"tab\\t\""),
        ("a\nb", "|-\n  a\n  b"),
        ("a\nb\n", "|\n  a\n  b"),
        ("a\n\n", "|+\n  a\n"),
        (" a\nb", "|2-\n   a\n  b"),
        ("a\r\nb", "\"a\\r\\nb\""),
        ("---\n...\n", "|\n  ---\n  ..."),
    ];
    for (text, expected) in cases {
        let mut root = Node::synthetic(Value::Mapping(Vec::new()));
        root.insert("k", Node::string(text));
        assert_eq!(root.to_yaml(), format!("k: {expected}\n"), "{text:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Limits

use super::{ParseErrorKind, MAX_ALIAS_COPIES, MAX_DEPTH};

/// `depth` levels of block sequences: `- - - … x`.
fn nested(depth: usize) -> String {
    format!("{}x\n", "- ".repeat(depth))
}

#[test]
fn nesting_up_to_the_limit_is_read_and_written_and_one_more_is_refused() {
    let stream = parse_stream(&nested(MAX_DEPTH)).unwrap();
    let root = &stream.documents[0].root;
    // Every recursive walk works at the limit (tests run on 2 MB stacks).
    round_trip(root);
    assert_eq!(root.clone(), *root);
    assert!(root.to_flow().starts_with("[[[["));
    assert!(format!("{root:?}").len() > MAX_DEPTH);
    let error = parse_stream(&nested(MAX_DEPTH + 1)).unwrap_err();
    assert_eq!(error.kind, ParseErrorKind::TooDeep);
    assert_eq!((error.line, error.column), (1, 2 * MAX_DEPTH + 1));
    let flow = parse_stream(&format!("a: {}", "[".repeat(100_000))).unwrap_err();
    assert_eq!(flow.kind, ParseErrorKind::TooDeep);
    let mappings: String = (0..=MAX_DEPTH)
        .map(|depth| format!("{}k:\n", " ".repeat(depth)))
        .collect();
    let error = parse_stream(&mappings).unwrap_err();
    assert_eq!(
        (error.kind, error.line),
        (ParseErrorKind::TooDeep, MAX_DEPTH + 1)
    );
}

#[test]
fn aliases_cannot_nest_past_the_limit() {
    // The root mapping is level 1; `a` adds `half` levels, and so does the alias inside `b`.
    let half = MAX_DEPTH / 2;
    let flow = |inner: &str| format!("{}{inner}{}", "[".repeat(half), "]".repeat(half));
    let fits = format!("a: &a {}\nb: {}\n", flow("x"), flow("*a"));
    let error = parse_stream(&fits).unwrap_err();
    assert_eq!(error.kind, ParseErrorKind::TooDeep);
    assert_eq!((error.line, error.column), (2, 4 + half));
    let shallower = format!("a: &a {}\nb: [*a]\n", flow("x"));
    let root = parse_stream(&shallower).unwrap().documents.remove(0).root;
    assert_eq!(
        root.get("b").unwrap().as_sequence().unwrap()[0],
        *root.get("a").unwrap()
    );
}

#[test]
fn alias_bombs_are_refused_at_the_alias_that_crosses_the_limit() {
    let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let items = vec![format!("*a{}", level - 1); 9].join(", ");
        bomb.push_str(&format!("a{level}: &a{level} [{items}]\n"));
    }
    assert!(bomb.len() < 600);
    let error = parse_stream(&bomb).unwrap_err();
    assert_eq!(error.kind, ParseErrorKind::TooManyAliasCopies);
    assert_eq!(error.line, 6);
    assert!(error.message.contains(&MAX_ALIAS_COPIES.to_string()));
}

#[test]
fn anchors_without_aliases_copy_nothing() {
    let big = "x".repeat(MAX_ALIAS_COPIES + 1);
    let text = format!("a: &big {big}\nb: &small v\nc: *small\n");
    let root = parse_stream(&text).unwrap().documents.remove(0).root;
    assert_eq!(root.get("a").unwrap().as_str().unwrap().len(), big.len());
    assert_eq!(root.get("c").unwrap().as_str(), Some("v"));
    let copied = format!("a: &big {big}\nb: *big\n");
    let error = parse_stream(&copied).unwrap_err();
    assert_eq!(error.kind, ParseErrorKind::TooManyAliasCopies);
}

#[test]
fn duplicate_key_paths_are_cut() {
    let key = "k".repeat(100);
    let mut text = String::new();
    for depth in 0..10 {
        text.push_str(&format!("{}{key}{depth}:\n", " ".repeat(depth)));
    }
    text.push_str(&format!("{0}x: 1\n{0}x: 2\n{0}x: 3\n", " ".repeat(10)));
    let stream = parse_stream(&text).unwrap();
    let [first, second] = &stream.duplicate_keys[..] else {
        panic!("{:?}", stream.duplicate_keys);
    };
    // The last keys that fit in 200 characters, each cut to 64, behind `…`.
    let cut = format!("[\"{}…\"]", &key[..64]);
    assert_eq!(first.parent_path, format!("…{cut}{cut}"));
    assert_eq!(first.parent_path, second.parent_path);
    assert_eq!(
        (first.first, first.second, second.second),
        ((11, 11), (12, 11), (13, 11))
    );
}
