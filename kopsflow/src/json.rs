//! JSON as kopsflow writes it (the report, the audit log): a small value tree, [`Json`], and its
//! pretty and one-line text — the same bytes serde_json's `to_string_pretty` / `to_string`
//! produce, without compiling serde for the few documents kopsflow writes.

use std::fmt::Write as _;

pub mod read;

/// A JSON value. Objects keep their keys in the order they were added.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    /// A finite float (non-finite values are written as `null`, as serde_json does).
    Float(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// An empty object, to be filled with [`Json::with`].
    pub fn object() -> Json {
        Json::Object(Vec::new())
    }

    /// This object with one more key (a no-op on anything but an object).
    pub fn with(mut self, key: &str, value: impl Into<Json>) -> Json {
        if let Json::Object(entries) = &mut self {
            entries.push((key.to_owned(), value.into()));
        }
        self
    }

    /// This object with `key` only when `value` is not an empty array (`skip_serializing_if`).
    pub fn with_nonempty(self, key: &str, value: impl Into<Json>) -> Json {
        match value.into() {
            Json::Array(items) if items.is_empty() => self,
            value => self.with(key, value),
        }
    }

    /// An array of the items' JSON.
    pub fn array<T: Into<Json>>(items: impl IntoIterator<Item = T>) -> Json {
        Json::Array(items.into_iter().map(Into::into).collect())
    }

    /// Indented by two spaces per level, as `serde_json::to_string_pretty`.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, Some(0));
        out
    }

    /// On one line, as `serde_json::to_string` (one JSON Lines record).
    pub fn compact(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, None);
        out
    }

    fn write(&self, out: &mut String, indent: Option<usize>) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Json::UInt(u) => {
                let _ = write!(out, "{u}");
            }
            Json::Float(f) if f.is_finite() => {
                let _ = write!(out, "{f:?}");
            }
            Json::Float(_) => out.push_str("null"),
            Json::String(s) => write_string(out, s),
            Json::Array(items) => {
                write_container(out, indent, '[', ']', items, |out, item, indent| {
                    item.write(out, indent);
                });
            }
            Json::Object(entries) => {
                write_container(
                    out,
                    indent,
                    '{',
                    '}',
                    entries,
                    |out, (key, value), indent| {
                        write_string(out, key);
                        out.push_str(if indent.is_some() { ": " } else { ":" });
                        value.write(out, indent);
                    },
                );
            }
        }
    }
}

/// Writes `[…]` / `{…}`: empty as `[]`, else one element per line when pretty.
fn write_container<T>(
    out: &mut String,
    indent: Option<usize>,
    open: char,
    close: char,
    items: &[T],
    mut write_item: impl FnMut(&mut String, &T, Option<usize>),
) {
    out.push(open);
    if items.is_empty() {
        out.push(close);
        return;
    }
    let inner = indent.map(|level| level + 1);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Some(level) = inner {
            out.push('\n');
            push_indent(out, level);
        }
        write_item(out, item, inner);
    }
    if let Some(level) = indent {
        out.push('\n');
        push_indent(out, level);
    }
    out.push(close);
}

fn push_indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// A JSON string with serde_json's escapes: `"` `\` and control characters.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    push_escaped(out, s);
    out.push('"');
}

/// The body of `s` as a JSON string (without the quotes), escaped as serde_json does.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::String(s.to_owned())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Json {
        Json::String(s)
    }
}

impl From<&String> for Json {
    fn from(s: &String) -> Json {
        Json::String(s.clone())
    }
}

impl From<u32> for Json {
    fn from(n: u32) -> Json {
        Json::UInt(u64::from(n))
    }
}

impl From<u64> for Json {
    fn from(n: u64) -> Json {
        Json::UInt(n)
    }
}

impl From<usize> for Json {
    fn from(n: usize) -> Json {
        Json::UInt(u64::try_from(n).unwrap_or(u64::MAX))
    }
}

impl From<i64> for Json {
    fn from(n: i64) -> Json {
        Json::Int(n)
    }
}

impl From<f64> for Json {
    fn from(f: f64) -> Json {
        Json::Float(f)
    }
}

impl<T: Into<Json>> From<Option<T>> for Json {
    fn from(value: Option<T>) -> Json {
        value.map_or(Json::Null, Into::into)
    }
}

impl<T: Into<Json>> From<Vec<T>> for Json {
    fn from(items: Vec<T>) -> Json {
        Json::array(items)
    }
}

impl<T: Clone + Into<Json>> From<&[T]> for Json {
    fn from(items: &[T]) -> Json {
        Json::array(items.iter().cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_and_compact_like_serde_json() {
        let doc = Json::object()
            .with("schema_version", 1u32)
            .with("name", "a \"quoted\" \\ name\n\t\u{1}é")
            .with("empty_list", Json::array(Vec::<Json>::new()))
            .with("empty_object", Json::object())
            .with("none", None::<&str>)
            .with(
                "numbers",
                vec![Json::Int(-3), Json::UInt(7), Json::Float(1.5)],
            )
            .with(
                "nested",
                Json::object().with("ok", true).with("list", vec!["x", "y"]),
            );
        assert_eq!(
            doc.pretty(),
            r#"{
  "schema_version": 1,
  "name": "a \"quoted\" \\ name\n\t\u0001é",
  "empty_list": [],
  "empty_object": {},
  "none": null,
  "numbers": [
    -3,
    7,
    1.5
  ],
  "nested": {
    "ok": true,
    "list": [
      "x",
      "y"
    ]
  }
}"#
        );
        assert_eq!(
            Json::object()
                .with("a", vec![1u32, 2])
                .with("b", Json::object())
                .compact(),
            r#"{"a":[1,2],"b":{}}"#
        );
    }

    #[test]
    fn skips_empty_arrays_only_when_asked() {
        let doc = Json::object()
            .with_nonempty("gone", Vec::<String>::new())
            .with_nonempty("kept", vec!["w"])
            .with("always", Vec::<String>::new());
        assert_eq!(doc.compact(), r#"{"kept":["w"],"always":[]}"#);
    }

    #[test]
    fn control_characters_and_floats() {
        assert_eq!(Json::from("\u{8}\u{c}\u{1f}").compact(), r#""\b\f\u001f""#);
        assert_eq!(Json::Float(f64::NAN).compact(), "null");
        assert_eq!(Json::Float(2.0).compact(), "2.0");
    }
}

#[cfg(test)]
mod differential {
    use super::*;

    fn to_serde(v: &Json) -> serde_json::Value {
        match v {
            Json::Null => serde_json::Value::Null,
            Json::Bool(b) => (*b).into(),
            Json::Int(i) => (*i).into(),
            Json::UInt(u) => (*u).into(),
            Json::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
            }
            Json::String(s) => s.clone().into(),
            Json::Array(a) => serde_json::Value::Array(a.iter().map(to_serde).collect()),
            Json::Object(o) => {
                let mut m = serde_json::Map::new();
                for (k, v) in o {
                    m.insert(k.clone(), to_serde(v));
                }
                serde_json::Value::Object(m)
            }
        }
    }

    #[test]
    fn same_bytes_as_serde_json() {
        let mut x: u64 = 0x9E3779B97F4A7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        fn gen(next: &mut dyn FnMut() -> u64, depth: usize, key: &mut usize) -> Json {
            match next() % if depth > 3 { 6 } else { 8 } {
                0 => Json::Null,
                1 => Json::Bool(next().is_multiple_of(2)),
                2 => Json::Int(next() as i64),
                3 => Json::UInt(next() % 1000),
                4 => Json::Float((next() % 100000) as f64 / 7.0),
                5 => Json::String(
                    (0..next() % 6)
                        .map(|_| char::from_u32((next() % 200) as u32).unwrap_or('x'))
                        .collect(),
                ),
                6 => Json::Array((0..next() % 4).map(|_| gen(next, depth + 1, key)).collect()),
                _ => Json::Object(
                    (0..next() % 4)
                        .map(|_| {
                            *key += 1;
                            (format!("k{key:06}\u{1}\""), gen(next, depth + 1, key))
                        })
                        .collect(),
                ),
            }
        }
        let mut key = 0;
        for _ in 0..3000 {
            let v = gen(&mut next, 0, &mut key);
            let s = to_serde(&v);
            assert_eq!(
                v.pretty(),
                serde_json::to_string_pretty(&s).unwrap(),
                "{v:?}"
            );
            assert_eq!(v.compact(), serde_json::to_string(&s).unwrap(), "{v:?}");
        }
    }
}
