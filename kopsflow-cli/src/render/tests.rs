//! Tests of the template engine on its own (a repository tests its own templates): a line of
//! 150k placeholders renders with the origin of every value.

#![allow(clippy::unwrap_used)]

use camino::Utf8Path;

use super::template::{self, Binding, LineOrigin, Origin, Value};

/// One 1 MB line with 150k placeholders, rendered to 4.5 MB (issue 16: tens of seconds in a dev build, counting the
/// characters before each placeholder from the start of the line), and the origin of every
/// value's columns on that line (what a diagnostic there points at). The outcomes are asserted,
/// not the time: speed targets belong in benchmarks, never in timed tests.
#[test]
fn one_long_line_of_150k_placeholders_renders_with_every_origin() {
    const PLACEHOLDERS: usize = 150_000;
    let line = format!("x: {}", "${{a}}-".repeat(PLACEHOLDERS));
    assert!(line.len() >= 1 << 20);
    let bindings = [Binding {
        name: "a",
        value: Value::Str("eu-west-1a-eu-west-1b-eu-west".into()),
        at: std::panic::Location::caller(),
    }];
    let rendered = template::render(Utf8Path::new("big.yml.tmpl"), &line, "# header", &bindings)
        .unwrap_or_else(|e| panic!("{e:?}"));
    // A diagnostic's origin for every value's first column and the column after it.
    let columns = (0..PLACEHOLDERS).map(|i| 4 + 30 * i);
    let origins = columns
        .map(|c| {
            (
                rendered.origin(2, Some(c)),
                rendered.origin(2, Some(c + 29)),
            )
        })
        .filter(|(value, dash)| {
            matches!(value, Some(Origin::Value { .. }))
                && matches!(dash, Some(Origin::Template { .. }))
        })
        .count();
    assert_eq!(origins, PLACEHOLDERS);
    let LineOrigin::Template { values, .. } = &rendered.lines[1] else {
        panic!("{:?}", rendered.lines[1]);
    };
    assert_eq!(values.len(), PLACEHOLDERS);
    // The last value: its rendered and template columns, counted in characters.
    let last = values.last().unwrap();
    assert_eq!(last.template_column, 4 + 7 * (PLACEHOLDERS - 1));
    assert_eq!(last.start, 4 + 30 * (PLACEHOLDERS - 1));
    assert_eq!(
        rendered.origin(2, Some(last.start + 1)),
        Some(Origin::Value {
            value: 0,
            line: 1,
            column: last.template_column
        })
    );
    // The `-` after the last value is the template's, just after its placeholder.
    assert_eq!(
        rendered.origin(2, Some(last.end)),
        Some(Origin::Template {
            line: 1,
            column: Some(last.template_column + 6)
        })
    );
}
