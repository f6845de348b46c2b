//! Tags (`!!str`, `!<tag:yaml.org,2002:int>`, `!`, `!custom`) and the meaning they give a node,
//! decided exactly as kops's reader (go-yaml v2, docs/YAML.md) decides it: each tag is either
//! carried (the node gets the value go-yaml v2 gives it, so the emitter writes that value) or
//! refused with a [`Refusal`] that says how to write the value instead. Nothing is dropped.
//!
//! | tag | on | meaning |
//! | --- | --- | --- |
//! | none | plain scalar | [`resolve_plain`] (YAML 1.1 as go-yaml v2 reads it) |
//! | none, `!`, `!!str` | quoted/block scalar; `!`/`!!str` on any scalar | the text, a string |
//! | `!!int`, `!!float`, `!!bool`, `!!null` | scalar | the text resolved as plain; it must resolve to that type (`!!float` takes integers too) |
//! | none, `!`, `!!map` / `!!seq` | mapping / sequence | the collection |
//! | anything else | | refused |

use super::resolve::{out_of_range_int, resolve_plain};
use super::Scalar;

/// `tag:yaml.org,2002:` — what `!!` stands for.
pub(super) const CORE: &str = "tag:yaml.org,2002:";

/// Why a node was not accepted: the message and how to write it instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub message: String,
    pub hint: String,
}

fn refuse(message: String, hint: impl Into<String>) -> Refusal {
    Refusal {
        message,
        hint: hint.into(),
    }
}

/// A tag as written (`!!int` for the core ones), for messages.
fn shown(tag: &str) -> String {
    match tag.strip_prefix(CORE) {
        Some(name) => format!("!!{name}"),
        None => tag.to_owned(),
    }
}

fn unknown_tag(tag: &str) -> Refusal {
    let hint = match tag.strip_prefix(CORE) {
        Some("binary") => "kops reads `!!binary` as the decoded bytes: write the value without the tag (as the base64 text the field expects) or as the decoded text".to_owned(),
        Some("timestamp") => "write the date or time as a quoted string, without the tag".to_owned(),
        Some("merge") => "write a merge key as a plain `<<:` without a tag".to_owned(),
        Some(_) => "remove the tag: kops specs hold only maps, lists, strings, numbers, booleans and null".to_owned(),
        None => format!("remove `{}`: kops ignores custom tags, so the tag would not mean what it says (quote the value if it must stay a string)", shown(tag)),
    };
    refuse(
        format!("the YAML tag `{}` is not supported", shown(tag)),
        hint,
    )
}

/// The value of a scalar with its style (`plain`) and full tag (`None`: untagged).
pub(super) fn scalar(text: &str, plain: bool, tag: Option<&str>) -> Result<Scalar, Refusal> {
    let wanted = match tag {
        None if plain => {
            if out_of_range_int(text) {
                return Err(refuse(
                    format!("{text} is an integer beyond the 64-bit range kopsflow keeps"),
                    "kops would read it as a different number than kopsflow: write a smaller number, or quote it if it is text",
                ));
            }
            return Ok(resolve_plain(text));
        }
        None => return Ok(Scalar::String(text.to_owned())),
        Some("!") => return Ok(Scalar::String(text.to_owned())),
        Some(tag) => match tag.strip_prefix(CORE) {
            Some("str") => return Ok(Scalar::String(text.to_owned())),
            Some(name @ ("int" | "float" | "bool" | "null")) => name,
            Some("map" | "seq") => {
                return Err(refuse(
                    format!("`{}` on a scalar", shown(tag)),
                    "remove the tag (`!!map` and `!!seq` only fit mappings and lists)",
                ))
            }
            _ => return Err(unknown_tag(tag)),
        },
    };
    let resolved = if out_of_range_int(text) {
        None
    } else {
        match (wanted, resolve_plain(text)) {
            ("int", value @ Scalar::Int(_))
            | ("float", value @ Scalar::Float(_))
            | ("bool", value @ Scalar::Bool(_))
            | ("null", value @ Scalar::Null) => Some(value),
            ("float", Scalar::Int(int)) => Some(Scalar::Float(int as f64)),
            _ => None,
        }
    };
    resolved.ok_or_else(|| {
        refuse(
            format!("{text:?} is not a valid `!!{wanted}`"),
            format!(
                "kops refuses this value: write a {wanted} (e.g. {}) or remove the tag",
                example(wanted)
            ),
        )
    })
}

fn example(wanted: &str) -> &'static str {
    match wanted {
        "int" => "`3`",
        "float" => "`1.5`",
        "bool" => "`true`",
        _ => "`null`",
    }
}

/// Whether a collection's tag is carried (`sequence`: the node is a sequence, else a mapping).
pub(super) fn collection(sequence: bool, tag: Option<&str>) -> Result<(), Refusal> {
    let Some(tag) = tag else { return Ok(()) };
    match (tag.strip_prefix(CORE), sequence) {
        _ if tag == "!" => Ok(()),
        (Some("seq"), true) | (Some("map"), false) => Ok(()),
        (Some(name @ ("str" | "int" | "float" | "bool" | "null" | "seq" | "map")), _) => {
            Err(refuse(
                format!(
                    "`!!{name}` on a {}",
                    if sequence { "list" } else { "mapping" }
                ),
                "remove the tag",
            ))
        }
        _ => Err(unknown_tag(tag)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn core(name: &str) -> String {
        format!("{CORE}{name}")
    }

    #[test]
    fn scalars_get_the_value_go_yaml_v2_gives_them() {
        let s = |v: &str| Ok(Scalar::String(v.into()));
        assert_eq!(scalar("0755", true, Some(&core("str"))), s("0755"));
        assert_eq!(scalar("0x1F", true, Some("!")), s("0x1F"));
        assert_eq!(scalar("12", false, Some(&core("int"))), Ok(Scalar::Int(12)));
        assert_eq!(scalar("0x1F", true, None), Ok(Scalar::Int(31)));
        assert_eq!(
            scalar("1", false, Some(&core("float"))),
            Ok(Scalar::Float(1.0))
        );
        assert_eq!(
            scalar("yes", false, Some(&core("bool"))),
            Ok(Scalar::Bool(true))
        );
        assert_eq!(scalar("~", false, Some(&core("null"))), Ok(Scalar::Null));
        for (text, tag) in [
            ("abc", core("int")),
            ("1.5", core("int")),
            ("1", core("bool")),
            ("x", core("null")),
            ("aGk=", core("binary")),
            ("2001-12-14", core("timestamp")),
            ("a", core("map")),
            ("a", "!custom".into()),
        ] {
            assert!(scalar(text, true, Some(&tag)).is_err(), "{text} {tag}");
        }
        assert!(scalar("18446744073709551615", true, None).is_err());
    }

    #[test]
    fn collections_keep_their_own_tags_only() {
        assert!(collection(true, None).is_ok());
        assert!(collection(true, Some("!")).is_ok());
        assert!(collection(true, Some(&core("seq"))).is_ok());
        assert!(collection(false, Some(&core("map"))).is_ok());
        assert!(collection(false, Some(&core("seq"))).is_err());
        assert!(collection(false, Some(&core("omap"))).is_err());
        assert!(collection(false, Some("!thing")).is_err());
    }
}
