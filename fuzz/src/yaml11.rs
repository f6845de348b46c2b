//! A YAML 1.1 reader of the kind kops uses, independent of kopsflow's parser and emitter: the
//! oracle for "kops reads the document kopsflow hands it as it would read the git file".
//!
//! - Events come from libyaml (the `libyaml-safer` port), the C parser that go-yaml v2 is a Go
//!   port of; kopsflow parses with saphyr-parser.
//! - Nodes, anchors (per document) and aliases are built as go-yaml v2's `parser` builds them.
//! - Scalars resolve as go-yaml v2's `resolve` does (resolve.go), decoded into `interface{}` as its
//!   `decoder` does: timestamps stay strings, `!` and custom tags give strings, `!!float` takes
//!   integers, merge keys (`<<`) set the merged keys in order, a mapping's later entry overwriting
//!   an earlier one.
//! - Mapping keys then become strings as sigs.k8s.io/yaml's `YAMLToJSON` makes them, which is
//!   what kops decodes (`Json`).

use std::collections::{BTreeMap, HashMap, HashSet};

use libyaml_safer::{EventData, Parser};

/// A value as kops gets it (JSON, objects keyed by strings).
#[derive(Debug, Clone)]
pub enum Json {
    Null,
    Bool(bool),
    /// int64 and uint64 alike.
    Int(i128),
    Float(f64),
    String(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

impl PartialEq for Json {
    fn eq(&self, other: &Json) -> bool {
        match (self, other) {
            (Json::Float(a), Json::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Json::Null, Json::Null) => true,
            (Json::Bool(a), Json::Bool(b)) => a == b,
            (Json::Int(a), Json::Int(b)) => a == b,
            (Json::String(a), Json::String(b)) => a == b,
            (Json::Array(a), Json::Array(b)) => a == b,
            (Json::Object(a), Json::Object(b)) => a == b,
            _ => false,
        }
    }
}

/// Why the reader refuses a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// libyaml rejects the text.
    Syntax(String),
    /// go-yaml v2 or sigs.k8s.io/yaml rejects what it means (unknown anchor, a bad tagged
    /// value, a merge of a non-mapping, a key JSON cannot hold, two keys that become one).
    Meaning(String),
}

#[derive(Debug)]
enum Kind {
    Scalar {
        value: String,
        tag: String,
        /// libyaml's `plain_implicit` (go-yaml v2's `implicit`).
        implicit: bool,
    },
    Sequence(Vec<usize>),
    Mapping(Vec<usize>),
    Alias(usize),
}

/// The non-empty documents of a stream, as kops decodes each one.
pub fn read(text: &str) -> Result<Vec<Json>, Refused> {
    let mut parser = Parser::new();
    parser.set_input(text.as_bytes());
    let mut nodes: Vec<Kind> = Vec::new();
    let mut roots = Vec::new();
    let mut anchors: HashMap<String, usize> = HashMap::new();
    // Open collections: their node and children.
    let mut open: Vec<(usize, Vec<usize>)> = Vec::new();
    loop {
        let event = parser.parse().map_err(|e| Refused::Syntax(e.to_string()))?;
        let sequence = matches!(event.data, EventData::SequenceStart { .. });
        let (id, anchor, leaf) = match event.data {
            EventData::StreamEnd => break,
            EventData::StreamStart { .. } | EventData::DocumentEnd { .. } => continue,
            EventData::DocumentStart { .. } => {
                anchors.clear();
                continue;
            }
            EventData::Alias { anchor } => {
                let Some(&target) = anchors.get(&anchor) else {
                    return Err(Refused::Meaning(format!(
                        "unknown anchor '{anchor}' referenced"
                    )));
                };
                nodes.push(Kind::Alias(target));
                (nodes.len() - 1, None, true)
            }
            EventData::Scalar {
                anchor,
                tag,
                value,
                plain_implicit,
                ..
            } => {
                nodes.push(Kind::Scalar {
                    value,
                    tag: tag.unwrap_or_default(),
                    implicit: plain_implicit,
                });
                (nodes.len() - 1, anchor, true)
            }
            EventData::SequenceStart { anchor, .. } | EventData::MappingStart { anchor, .. } => {
                nodes.push(if sequence {
                    Kind::Sequence(Vec::new())
                } else {
                    Kind::Mapping(Vec::new())
                });
                // go-yaml v2 names the node when it starts: an alias inside refers to it.
                (nodes.len() - 1, anchor, false)
            }
            EventData::SequenceEnd | EventData::MappingEnd => {
                let Some((id, children)) = open.pop() else {
                    continue;
                };
                match &mut nodes[id] {
                    Kind::Sequence(items) | Kind::Mapping(items) => *items = children,
                    _ => {}
                }
                attach(&mut open, &mut roots, id);
                continue;
            }
        };
        if let Some(anchor) = anchor {
            anchors.insert(anchor, id);
        }
        if leaf {
            attach(&mut open, &mut roots, id);
        } else {
            open.push((id, Vec::new()));
        }
    }
    let mut decoder = Decoder {
        nodes: &nodes,
        aliases: HashSet::new(),
    };
    let mut documents = Vec::new();
    for root in roots {
        let value = decoder.decode(root)?;
        if value != Json::Null {
            documents.push(value);
        }
    }
    Ok(documents)
}

fn attach(open: &mut [(usize, Vec<usize>)], roots: &mut Vec<usize>, id: usize) {
    match open.last_mut() {
        Some((_, children)) => children.push(id),
        None => roots.push(id),
    }
}

/// A decoded value before keys become strings: go's `interface{}` values.
#[derive(Debug, Clone)]
enum Go {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Go>),
    /// Keys in first-set order; setting an existing key overwrites it (Go map semantics).
    Map(Vec<(Go, Go)>),
}

impl Go {
    /// Go's `==` on interface values used as map keys.
    fn same_key(&self, other: &Go) -> bool {
        match (self, other) {
            (Go::Null, Go::Null) => true,
            (Go::Bool(a), Go::Bool(b)) => a == b,
            (Go::Int(a), Go::Int(b)) => a == b,
            (Go::Float(a), Go::Float(b)) => a == b,
            (Go::Str(a), Go::Str(b)) => a == b,
            _ => false,
        }
    }

    fn into_json(self) -> Result<Json, Refused> {
        Ok(match self {
            Go::Null => Json::Null,
            Go::Bool(b) => Json::Bool(b),
            Go::Int(i) => Json::Int(i),
            Go::Float(f) => Json::Float(f),
            Go::Str(s) => Json::String(s),
            Go::Seq(items) => Json::Array(
                items
                    .into_iter()
                    .map(Go::into_json)
                    .collect::<Result<_, _>>()?,
            ),
            Go::Map(entries) => {
                let mut object = BTreeMap::new();
                for (key, value) in entries {
                    // sigs.k8s.io/yaml: string, int, float (at 32-bit precision), bool; else error.
                    let text = match key {
                        Go::Str(s) => s,
                        Go::Int(i) if i64::try_from(i).is_ok() => i.to_string(),
                        Go::Bool(b) => b.to_string(),
                        Go::Float(f) => format!("{}", f as f32),
                        other => {
                            return Err(Refused::Meaning(format!("unsupported map key {other:?}")))
                        }
                    };
                    if object.insert(text.clone(), value.into_json()?).is_some() {
                        return Err(Refused::Meaning(format!(
                            "two keys become {text:?}: which value kops gets is random"
                        )));
                    }
                }
                Json::Object(object)
            }
        })
    }
}

struct Decoder<'a> {
    nodes: &'a [Kind],
    /// Aliases being decoded (go-yaml v2: "anchor value contains itself").
    aliases: HashSet<usize>,
}

const CORE: &str = "tag:yaml.org,2002:";

impl Decoder<'_> {
    fn decode(&mut self, id: usize) -> Result<Json, Refused> {
        self.unmarshal(id)?.into_json()
    }

    fn unmarshal(&mut self, id: usize) -> Result<Go, Refused> {
        match &self.nodes[id] {
            Kind::Alias(target) => {
                if !self.aliases.insert(id) {
                    return Err(Refused::Meaning("anchor value contains itself".into()));
                }
                let value = self.unmarshal(*target);
                self.aliases.remove(&id);
                value
            }
            Kind::Scalar {
                value,
                tag,
                implicit,
            } => {
                if tag.is_empty() && !implicit {
                    return Ok(Go::Str(value.clone()));
                }
                resolve(tag, value)
            }
            Kind::Sequence(items) => {
                let items = items.clone();
                Ok(Go::Seq(
                    items
                        .into_iter()
                        .map(|i| self.unmarshal(i))
                        .collect::<Result<_, _>>()?,
                ))
            }
            Kind::Mapping(_) => {
                let mut out = Vec::new();
                self.mapping(id, &mut out)?;
                Ok(Go::Map(out))
            }
        }
    }

    /// `decoder.mapping` into an existing map: entries in order, merges where `<<` is.
    fn mapping(&mut self, id: usize, out: &mut Vec<(Go, Go)>) -> Result<(), Refused> {
        let Kind::Mapping(children) = &self.nodes[id] else {
            return Err(Refused::Meaning("not a mapping".into()));
        };
        let children = children.clone();
        for pair in children.chunks(2) {
            let [key, value] = pair else { continue };
            if self.is_merge(*key) {
                self.merge(*value, out)?;
                continue;
            }
            let key = self.unmarshal(*key)?;
            if matches!(key, Go::Seq(_) | Go::Map(_)) {
                return Err(Refused::Meaning("invalid map key".into()));
            }
            let value = self.unmarshal(*value)?;
            match out.iter_mut().find(|(k, _)| k.same_key(&key)) {
                Some(slot) => slot.1 = value,
                None => out.push((key, value)),
            }
        }
        Ok(())
    }

    fn is_merge(&self, id: usize) -> bool {
        matches!(&self.nodes[id], Kind::Scalar { value, tag, implicit }
            if value == "<<" && (*implicit || *tag == format!("{CORE}merge")))
    }

    /// The mapping behind a node, following one alias.
    fn mapping_of(&self, id: usize) -> Option<usize> {
        match &self.nodes[id] {
            Kind::Mapping(_) => Some(id),
            Kind::Alias(target) if matches!(self.nodes[*target], Kind::Mapping(_)) => Some(*target),
            _ => None,
        }
    }

    fn merge(&mut self, id: usize, out: &mut Vec<(Go, Go)>) -> Result<(), Refused> {
        let want_map = || Refused::Meaning("map merge requires map or sequence of maps".into());
        let sources: Vec<usize> = match &self.nodes[id] {
            Kind::Sequence(items) => items.iter().rev().copied().collect(),
            _ => vec![id],
        };
        for source in sources {
            let map = self.mapping_of(source).ok_or_else(want_map)?;
            let alias = matches!(self.nodes[source], Kind::Alias(_));
            if alias && !self.aliases.insert(source) {
                return Err(Refused::Meaning("anchor value contains itself".into()));
            }
            let result = self.mapping(map, out);
            if alias {
                self.aliases.remove(&source);
            }
            result?;
        }
        Ok(())
    }
}

/// go-yaml v2's `resolve(tag, in)`, for a value decoded into `interface{}`.
fn resolve(tag: &str, text: &str) -> Result<Go, Refused> {
    let short = tag.strip_prefix(CORE);
    let resolvable = tag.is_empty()
        || matches!(
            short,
            Some("str" | "bool" | "int" | "float" | "null" | "timestamp")
        );
    if !resolvable {
        // `!`, custom tags, `!!binary`…: go-yaml keeps the text (binary is decoded: refused here).
        if short == Some("binary") {
            return Err(Refused::Meaning("!!binary (not modelled)".into()));
        }
        return Ok(Go::Str(text.to_owned()));
    }
    let (rtag, value) = resolve_untyped(short.unwrap_or(""), text);
    match (short.unwrap_or(""), rtag) {
        ("", _) | ("str", _) => Ok(value),
        (wanted, got) if wanted == got => Ok(value),
        // A timestamp decoded into interface{} is its text.
        ("timestamp", "str") => Err(Refused::Meaning("not a timestamp".into())),
        ("float", "int") => match value {
            Go::Int(i) => Ok(Go::Float(i as f64)),
            _ => Err(Refused::Meaning("float".into())),
        },
        (wanted, got) => Err(Refused::Meaning(format!(
            "cannot decode !!{got} `{text}` as a !!{wanted}"
        ))),
    }
}

/// The tag and value go-yaml v2 resolves `text` to (`tag` only matters for `str`). Timestamps
/// are not told apart: decoded into `interface{}` they are their text, as strings are, and a
/// timestamp never reads as a number (it starts with `YYYY-`).
fn resolve_untyped(tag: &str, text: &str) -> (&'static str, Go) {
    let string = ("str", Go::Str(text.to_owned()));
    if tag == "str" {
        return string;
    }
    let hint = match text.bytes().next() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return string,
    };
    let mapped = match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(("bool", Go::Bool(true)))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(("bool", Go::Bool(false)))
        }
        "" | "~" | "null" | "Null" | "NULL" => Some(("null", Go::Null)),
        ".nan" | ".NaN" | ".NAN" => Some(("float", Go::Float(f64::NAN))),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            Some(("float", Go::Float(f64::INFINITY)))
        }
        "-.inf" | "-.Inf" | "-.INF" => Some(("float", Go::Float(f64::NEG_INFINITY))),
        _ => None,
    };
    if let Some(found) = mapped {
        return found;
    }
    match hint {
        b'.' => match go_parse_float(text) {
            Some(f) => ("float", Go::Float(f)),
            None => string,
        },
        b'D' | b'S' => {
            let plain = text.replace('_', "");
            if let Some(i) = go_parse_int(&plain, true) {
                return ("int", Go::Int(i));
            }
            if let Some(u) = go_parse_int(&plain, false) {
                return ("int", Go::Int(u));
            }
            if yaml_style_float(&plain) {
                if let Some(f) = go_parse_float(&plain) {
                    return ("float", Go::Float(f));
                }
            }
            string
        }
        _ => string,
    }
}

/// `strconv.ParseInt(s, 0, 64)` (`signed`) or `strconv.ParseUint(s, 0, 64)`.
fn go_parse_int(s: &str, signed: bool) -> Option<i128> {
    let (negative, body) = match s.as_bytes().first()? {
        b'-' if signed => (true, &s[1..]),
        b'+' if signed => (false, &s[1..]),
        _ => (false, s),
    };
    let (digits, radix) = match body.get(..2) {
        Some("0x" | "0X") => (&body[2..], 16),
        Some("0o" | "0O") => (&body[2..], 8),
        Some("0b" | "0B") => (&body[2..], 2),
        _ if body.len() > 1 && body.starts_with('0') => (&body[1..], 8),
        _ => (body, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from(u64::from_str_radix(digits, radix).ok()?);
    let value = if negative { -magnitude } else { magnitude };
    let fits = if signed {
        i64::try_from(value).is_ok()
    } else {
        u64::try_from(value).is_ok()
    };
    fits.then_some(value)
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let digits = |t: &str| t.bytes().take_while(u8::is_ascii_digit).count();
    let mut rest = s;
    if let Some(after) = rest.strip_prefix('.') {
        let n = digits(after);
        if n == 0 {
            return false;
        }
        rest = &after[n..];
    } else {
        let n = digits(rest);
        if n == 0 {
            return false;
        }
        rest = &rest[n..];
        if let Some(after) = rest.strip_prefix('.') {
            rest = &after[digits(after)..];
        }
    }
    if let Some(after) = rest.strip_prefix(['e', 'E']) {
        let after = after.strip_prefix(['-', '+']).unwrap_or(after);
        let n = digits(after);
        return n > 0 && n == after.len();
    }
    rest.is_empty()
}

/// `strconv.ParseFloat(s, 64)` for decimal text: no `_` (Go allows it only after a base
/// prefix), and a range error (`1e999`) is a failure.
fn go_parse_float(s: &str) -> Option<f64> {
    if s.contains('_') || !yaml_style_float(s) {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Json {
        read(text).expect("reads").remove(0)
    }

    #[test]
    fn scalars_and_tags_as_go_yaml_v2_reads_them() {
        let doc = one("a: 0755\nb: yes\nc: !!str 0755\nd: ! 0x1F\ne: !!int \"12\"\nf: 1:30\ng: 2001-12-14\nh: 18446744073709551615\ni: !<tag:yaml.org,2002:str> 0755\nj: 1e999\nk: .1_0\nl: !!float 1\n");
        let Json::Object(map) = doc else {
            panic!("{doc:?}")
        };
        let s = |t: &str| Json::String(t.into());
        assert_eq!(map["a"], Json::Int(493));
        assert_eq!(map["b"], Json::Bool(true));
        assert_eq!(map["c"], s("0755"));
        assert_eq!(map["d"], s("0x1F"));
        assert_eq!(map["e"], Json::Int(12));
        assert_eq!(map["f"], s("1:30"));
        assert_eq!(map["g"], s("2001-12-14"));
        assert_eq!(map["h"], Json::Int(18_446_744_073_709_551_615));
        assert_eq!(map["i"], s("0755"));
        assert_eq!(map["j"], s("1e999"));
        assert_eq!(map["k"], s(".1_0"));
        assert_eq!(map["l"], Json::Float(1.0));
    }

    #[test]
    fn merges_aliases_and_keys_as_go_yaml_v2_and_sigs_yaml() {
        let doc =
            one("b: &b {p: 1, q: 2}\nm1:\n  p: 0\n  <<: *b\n  q: 3\nm2:\n  <<: [{p: 5}, *b]\n");
        let Json::Object(map) = doc else {
            panic!("{doc:?}")
        };
        let obj = |pairs: &[(&str, i128)]| {
            Json::Object(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Json::Int(*v)))
                    .collect(),
            )
        };
        // go-yaml v2 overwrites the `p` written before `<<`.
        assert_eq!(map["m1"], obj(&[("p", 1), ("q", 3)]));
        assert_eq!(map["m2"], obj(&[("p", 5), ("q", 2)]));
        assert!(matches!(
            read("a: &a 1\n---\nb: *a\n"),
            Err(Refused::Meaning(_))
        ));
        assert!(matches!(read("a: &a [*a]\n"), Err(Refused::Meaning(_))));
        assert!(matches!(
            read("{1: a, \"1\": b}\n"),
            Err(Refused::Meaning(_))
        ));
        assert!(matches!(read("a: [\n"), Err(Refused::Syntax(_))));
    }
}
