//! The one loader of the real kops samples in `tests/kops-samples/` (locating, listing, reading
//! without their `# origin:` line), and the readable dumps of parsed reports used in snapshots.

use std::fmt::Write as _;
use std::path::PathBuf;

use kopsflow::report::{RollingUpdateReport, UnparsedBlock, UpdateReport};

/// The real kops samples, copied verbatim into the repository (see its README.md).
pub const SAMPLES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/kops-samples");

pub fn sample_path(name: &str) -> PathBuf {
    PathBuf::from(SAMPLES_DIR).join(name)
}

/// The sample's text with its first line (`# origin: …`) removed.
pub fn sample(name: &str) -> String {
    let text = std::fs::read_to_string(sample_path(name))
        .unwrap_or_else(|e| panic!("cannot read sample {name}: {e}"));
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    assert!(
        first.starts_with("# origin:"),
        "{name}: line 1 is not an `# origin:` comment"
    );
    rest.to_string()
}

/// All sample file names, sorted.
pub fn sample_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(SAMPLES_DIR)
        .unwrap_or_else(|e| panic!("cannot list {SAMPLES_DIR}: {e}"))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "README.md")
        .collect();
    names.sort();
    names
}

/// `text` with every tab expanded to spaces at 8-column tab stops, as `expand(1)` does (and as
/// terminals, editors and web pages show kops's output when it is copied from them).
pub fn expand_tabs(text: &str) -> String {
    expand_tabs_to(text, 8)
}

/// `text` with every tab expanded to spaces at tab stops every `stop` columns (`expand -t`).
pub fn expand_tabs_to(text: &str, stop: usize) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut col = 0;
    for c in text.chars() {
        match c {
            '\t' => {
                let next = (col / stop + 1) * stop;
                out.extend(std::iter::repeat_n(' ', next - col));
                col = next;
            }
            '\n' => {
                out.push(c);
                col = 0;
            }
            _ => {
                out.push(c);
                col += 1;
            }
        }
    }
    out
}

/// Readable dump of an update report (values `{:?}`-quoted so empty strings and spaces show).
pub fn dump_update(r: &UpdateReport) -> String {
    let mut out = String::new();
    writeln!(
        out,
        "changes_pending: {}  closing_line_seen: {}",
        r.changes_pending, r.closing_line_seen
    )
    .unwrap();
    writeln!(
        out,
        "creates: {}  modifies: {}  deletions: {}  notices: {}",
        r.create_count(),
        r.modify_count(),
        r.delete_count(),
        r.notices.len()
    )
    .unwrap();
    for n in &r.notices {
        writeln!(out, "notice: {n:?}").unwrap();
    }
    for (sign, tasks) in [
        ("+", &r.creates),
        ("~", &r.modifies),
        ("ignored (server-set only) ~", &r.ignored),
    ] {
        for t in tasks {
            writeln!(out, "{sign} {} / {}", t.kind, t.name).unwrap();
            for f in &t.fields {
                if f.is_diff() {
                    writeln!(out, "    {} (diff, {} lines):", f.field, f.diff.len()).unwrap();
                    for l in &f.diff {
                        writeln!(out, "      |{l}").unwrap();
                    }
                } else {
                    match &f.old {
                        Some(old) => writeln!(out, "    {}: {old:?} -> {:?}", f.field, f.new),
                        None => writeln!(out, "    {} = {:?}", f.field, f.new),
                    }
                    .unwrap();
                }
            }
            for l in &t.consistency_error {
                writeln!(out, "    ! {l}").unwrap();
            }
        }
    }
    for d in &r.deletions {
        writeln!(out, "- [{:?}] {} {:?}", d.section, d.task, d.item).unwrap();
    }
    dump_unparsed(&mut out, &r.unparsed, &r.warnings);
    out
}

/// Lines not parsed and warnings, only when there are any (older snapshots have neither).
fn dump_unparsed(out: &mut String, blocks: &[UnparsedBlock], warnings: &[String]) {
    for b in blocks {
        writeln!(
            out,
            "? not parsed at line {} ({}) section={:?} after_resource={:?} after_field={:?}",
            b.line, b.reason, b.section, b.after_resource, b.after_field
        )
        .unwrap();
        for l in &b.lines {
            writeln!(out, "    |{l}").unwrap();
        }
    }
    for w in warnings {
        writeln!(out, "warning: {w}").unwrap();
    }
}

/// Readable dump of a rolling-update report.
pub fn dump_rolling(r: &RollingUpdateReport) -> String {
    let mut out = String::new();
    writeln!(
        out,
        "update_required: {}  closing_line_seen: {}  single_control_plane: {}",
        r.update_required, r.closing_line_seen, r.single_control_plane
    )
    .unwrap();
    for g in &r.groups {
        writeln!(
            out,
            "{} status={} need_update={} ready={} min={} target={:?} max={} nodes={:?}",
            g.name, g.status, g.need_update, g.ready, g.min, g.target, g.max, g.nodes
        )
        .unwrap();
    }
    let needing: Vec<&str> = r.groups_needing_update().map(|g| g.name.as_str()).collect();
    writeln!(out, "groups_needing_update: {needing:?}").unwrap();
    dump_unparsed(&mut out, &r.unparsed, &r.warnings);
    out
}
