//! The template engine: a kops spec file with typed placeholders `${{ name }}`, rendered with one
//! environment's values, keeping for every rendered line where it came from (the template line,
//! or the value placed there) so that a diagnostic in the rendered spec can point at its cause.
//!
//! - A placeholder that is a key's whole value takes any value: a string is quoted as YAML needs
//!   (`"1.30"` stays a string), a list or map becomes a block under the key.
//! - A placeholder inside other text (`control-plane-${{ zone }}`) takes a string or a number
//!   that needs no quoting.
//! - Lines starting with `##` are the template's own comments and are not rendered.
//! - An unknown placeholder, an unused value, or a malformed `${{` is an error at its position.

use std::panic::Location;

use camino::{Utf8Path, Utf8PathBuf};
use kopsflow::spec::{Diagnostic, Node, Severity};

/// A placeholder's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string, quoted as YAML needs.
    Str(String),
    /// An integer.
    Int(i64),
    /// A list or a map, written as a YAML block under its key.
    Block(Node),
}

/// A named value and where it was declared.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The placeholder's name (`${{ name }}`).
    pub name: &'static str,
    /// Its value.
    pub value: Value,
    /// Where the value was declared (`#[track_caller]`).
    pub at: &'static Location<'static>,
}

/// Where a rendered line came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOrigin {
    /// The "rendered from … — do not edit" line.
    Header,
    /// A template line, with the values substituted into it.
    Template {
        /// The template line.
        line: usize,
        /// The values placed in it, left to right.
        values: Vec<Placed>,
    },
    /// A line of a block value placed at the template's `line`, `column`.
    Block {
        /// The template line of the placeholder.
        line: usize,
        /// The placeholder's column.
        column: usize,
        /// The binding's index.
        value: usize,
    },
}

/// A value substituted into a line: its binding, the rendered columns it covers (1-based, end
/// exclusive), and the placeholder's column and width in the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The binding's index.
    pub value: usize,
    /// The first rendered column.
    pub start: usize,
    /// The rendered column after the value.
    pub end: usize,
    /// The placeholder's column in the template.
    pub template_column: usize,
    /// The placeholder's width in the template.
    pub template_width: usize,
}

/// What produced a position of the rendered text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Text of the template itself.
    Template {
        /// The template line.
        line: usize,
        /// The template column, when a column was asked about.
        column: Option<usize>,
    },
    /// A value placed by a placeholder.
    Value {
        /// The binding's index.
        value: usize,
        /// The placeholder's template line.
        line: usize,
        /// The placeholder's template column.
        column: usize,
    },
}

/// A rendered spec and the origin of each of its lines.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The rendered spec, header line first.
    pub text: String,
    /// Where each rendered line came from (index 0: line 1).
    pub lines: Vec<LineOrigin>,
}

impl Rendered {
    /// The origin of rendered `line` (1-based) at `column`, if it came from the template.
    pub fn origin(&self, line: usize, column: Option<usize>) -> Option<Origin> {
        match self.lines.get(line.checked_sub(1)?)? {
            LineOrigin::Header => None,
            LineOrigin::Block {
                line,
                column,
                value,
            } => Some(Origin::Value {
                value: *value,
                line: *line,
                column: *column,
            }),
            LineOrigin::Template { line, values } => {
                let Some(column) = column else {
                    return Some(Origin::Template {
                        line: *line,
                        column: None,
                    });
                };
                // Values are in column order: the first one not ended before `column`.
                let next = values.partition_point(|p| p.end <= column);
                if let Some(p) = values.get(next).filter(|p| p.start <= column) {
                    return Some(Origin::Value {
                        value: p.value,
                        line: *line,
                        column: p.template_column,
                    });
                }
                // The text after the last value before it is the template's, as written.
                let column = match next.checked_sub(1).map(|i| &values[i]) {
                    Some(p) => p.template_column + p.template_width + (column - p.end),
                    None => column,
                };
                Some(Origin::Template {
                    line: *line,
                    column: Some(column.max(1)),
                })
            }
        }
    }
}

fn error(file: &Utf8Path, line: usize, column: usize, message: String, hint: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: file.to_owned(),
        line: Some(line),
        column: Some(column),
        path: None,
        message,
        hint: Some(hint.to_owned()),
    }
}

/// A placeholder found on a line: byte range, name, 1-based column.
struct Found<'a> {
    start: usize,
    end: usize,
    name: &'a str,
    column: usize,
}

fn placeholders<'a>(
    file: &Utf8Path,
    number: usize,
    line: &'a str,
    errors: &mut Vec<Diagnostic>,
) -> Vec<Found<'a>> {
    let mut found = Vec::new();
    let mut from = 0;
    // Characters before `from`, counted once (not from the line's start for each placeholder).
    let mut column = 1;
    while let Some(at) = line[from..].find("${{") {
        let start = from + at;
        column += line[from..start].chars().count();
        let Some(close) = line[start..].find("}}") else {
            errors.push(error(
                file,
                number,
                column,
                "`${{` without a closing `}}` on the same line".into(),
                "write a placeholder as `${{ name }}` on one line",
            ));
            break;
        };
        let end = start + close + 2;
        let placeholder_column = column;
        column += line[start..end].chars().count();
        let name = line[start + 3..end - 2].trim();
        let valid = !name.is_empty()
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if valid {
            found.push(Found {
                start,
                end,
                name,
                column: placeholder_column,
            });
        } else {
            errors.push(error(
                file,
                number,
                placeholder_column,
                format!("`{}` is not a placeholder name", &line[start..end]),
                "names are lower_snake_case, e.g. `${{ kubernetes_version }}`",
            ));
        }
        from = end;
    }
    found
}

/// A string written as a YAML scalar, quoted when plain YAML would read something else.
fn scalar(text: &str) -> String {
    Node::string(text)
        .to_yaml()
        .trim_end_matches('\n')
        .to_owned()
}

/// Renders `template` (the text of `file`) with `bindings`, after a `header` line. `Err` holds
/// every problem, at template positions or, for an unused value, at its declaration.
pub fn render(
    file: &Utf8Path,
    template: &str,
    header: &str,
    bindings: &[Binding],
) -> Result<Rendered, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut used = vec![false; bindings.len()];
    let mut text = format!("{header}\n");
    let mut lines = vec![LineOrigin::Header];
    for (index, line) in template.lines().enumerate() {
        let number = index + 1;
        if line.trim_start().starts_with("##") {
            continue;
        }
        let found = placeholders(file, number, line, &mut errors);
        let mut out = String::new();
        // `out`'s length in characters, kept as it grows (1-based columns come from it).
        let mut out_chars = 0;
        let mut values = Vec::new();
        let mut block = None;
        let mut last = 0;
        for f in &found {
            out.push_str(&line[last..f.start]);
            out_chars += line[last..f.start].chars().count();
            last = f.end;
            let Some(value) = bindings.iter().position(|b| b.name == f.name) else {
                let known: Vec<&str> = bindings.iter().map(|b| b.name).collect();
                errors.push(error(
                    file,
                    number,
                    f.column,
                    format!("unknown placeholder `{}`", f.name),
                    &format!("the values are {}", known.join(", ")),
                ));
                continue;
            };
            used[value] = true;
            let before = &line[..f.start];
            let whole = before.trim_end().ends_with(':') && line[f.end..].trim().is_empty();
            let written = match (&bindings[value].value, whole) {
                (Value::Block(node), true) => {
                    block = Some((
                        value,
                        node,
                        f.column,
                        before.len() - before.trim_start().len(),
                    ));
                    continue;
                }
                (Value::Block(_), false) => {
                    errors.push(error(
                        file,
                        number,
                        f.column,
                        format!(
                            "`{}` is a list or map: it can only be a key's whole value",
                            f.name
                        ),
                        "write it alone after a key, e.g. `subnets: ${{ subnets }}`",
                    ));
                    continue;
                }
                (Value::Int(n), _) => n.to_string(),
                (Value::Str(s), true) => scalar(s),
                (Value::Str(s), false) if scalar(s) == *s => s.clone(),
                (Value::Str(s), false) => {
                    errors.push(error(file, number, f.column, format!("the value of `{}` ({s:?}) needs YAML quoting and cannot be part of other text", f.name), "make the placeholder the key's whole value, or change the value"));
                    continue;
                }
            };
            let start = out_chars + 1;
            out.push_str(&written);
            out_chars += written.chars().count();
            values.push(Placed {
                value,
                start,
                end: out_chars + 1,
                template_column: f.column,
                template_width: line[f.start..f.end].chars().count(),
            });
        }
        out.push_str(&line[last..]);
        match block {
            None => {
                text.push_str(&out);
                text.push('\n');
                lines.push(LineOrigin::Template {
                    line: number,
                    values,
                });
            }
            Some((value, node, column, indent)) => {
                push_block(
                    &mut text,
                    &mut lines,
                    out.trim_end(),
                    node,
                    indent,
                    (number, column, value),
                );
            }
        }
    }
    for (binding, _) in bindings.iter().zip(&used).filter(|(_, used)| !**used) {
        errors.push(Diagnostic {
            severity: Severity::Error,
            file: Utf8PathBuf::from(binding.at.file()),
            line: Some(binding.at.line() as usize),
            column: Some(binding.at.column() as usize),
            path: None,
            message: format!("value `{}` is not used by {file}", binding.name),
            hint: Some(format!(
                "place it with `${{{{ {} }}}}`, or remove it",
                binding.name
            )),
        });
    }
    if errors.is_empty() {
        Ok(Rendered { text, lines })
    } else {
        Err(errors)
    }
}

/// `key:` then the block (a list at the key's indentation, as kops writes it; a map two spaces
/// deeper), or `key: []` / `key: {}` when empty.
fn push_block(
    text: &mut String,
    lines: &mut Vec<LineOrigin>,
    key: &str,
    node: &Node,
    indent: usize,
    (line, column, value): (usize, usize, usize),
) {
    let origin = LineOrigin::Block {
        line,
        column,
        value,
    };
    let block = node.to_yaml();
    let empty = node.as_sequence().is_some_and(<[Node]>::is_empty)
        || node.as_mapping().is_some_and(<[(Node, Node)]>::is_empty);
    if empty {
        let flow = if node.as_sequence().is_some() {
            "[]"
        } else {
            "{}"
        };
        text.push_str(&format!("{key} {flow}\n"));
        lines.push(origin);
        return;
    }
    text.push_str(key);
    text.push('\n');
    lines.push(LineOrigin::Template {
        line,
        values: Vec::new(),
    });
    let deeper = indent + if node.as_sequence().is_some() { 0 } else { 2 };
    for item in block.lines() {
        text.push_str(&" ".repeat(deeper));
        text.push_str(item);
        text.push('\n');
        lines.push(origin.clone());
    }
}
