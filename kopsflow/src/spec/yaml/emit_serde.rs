//! TEMPORARY: the old serde_norway emitter (Serialize for Node + quote sentinels), kept only for
//! the differential check against the new emitter; removed with the serde_norway dependency.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::emit::json_quote;
use super::{resolve_plain, Node, Scalar, Value};

impl Node {
    /// Block YAML the old way (serde_norway plus the quote sentinels).
    pub fn to_yaml_serde_norway(&self) -> String {
        match serde_norway::to_string(self) {
            Ok(text) => unwrap_quote_sentinels(&text),
            Err(error) => format!("# kopsflow could not serialise this document: {error}\n"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Serialisation

/// Strings that Kubernetes would read as something else when written plain (`yes`, `0755`,
/// `""` …) but that serde_norway (YAML 1.2) may leave unquoted are emitted as a sentinel and then
/// replaced by a double-quoted (JSON) string.
const QUOTE_SENTINEL: &str = "__kopsflow_quoted_";

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.value {
            Value::Scalar(Scalar::Null) => serializer.serialize_unit(),
            Value::Scalar(Scalar::Bool(b)) => serializer.serialize_bool(*b),
            Value::Scalar(Scalar::Int(i)) => serializer.serialize_i64(*i),
            Value::Scalar(Scalar::Float(f)) => serializer.serialize_f64(*f),
            Value::Scalar(Scalar::String(s)) => {
                if !s.contains('\n') && resolve_plain(s) != Scalar::String(s.clone()) {
                    let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
                    serializer.serialize_str(&format!("{QUOTE_SENTINEL}{hex}__"))
                } else {
                    serializer.serialize_str(s)
                }
            }
            Value::Sequence(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Mapping(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    match key.value {
                        Value::Scalar(_) => map.serialize_entry(key, value)?,
                        // Kubernetes objects only have scalar keys; keep others readable.
                        _ => map.serialize_entry(&key.to_flow(), value)?,
                    }
                }
                map.end()
            }
        }
    }
}

fn unwrap_quote_sentinels(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(QUOTE_SENTINEL) {
        out.push_str(&rest[..at]);
        let after = &rest[at + QUOTE_SENTINEL.len()..];
        let decoded = after.find("__").and_then(|end| {
            let hex = &after[..end];
            let bytes: Option<Vec<u8>> = (0..hex.len())
                .step_by(2)
                .map(|i| {
                    hex.get(i..i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                })
                .collect();
            let string = String::from_utf8(bytes?).ok()?;
            Some((string, end + 2))
        });
        match decoded {
            Some((string, consumed)) => {
                out.push_str(&json_quote(&string));
                rest = &after[consumed..];
            }
            None => {
                out.push_str(QUOTE_SENTINEL);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
