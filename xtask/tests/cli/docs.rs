//! The documentation's links: every relative markdown link in the repository's `.md` files
//! (README.md, `docs/`, `kopsflow/src/report/JSON.md` …) names a file that exists and, with an
//! `#anchor`, a heading of that file, slugged as GitHub does.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_owned()
}

/// GitHub's anchor for a heading: its text as rendered (no code marks, emphasis or link
/// targets), lowercased, spaces as `-`, punctuation other than `-` and `_` dropped.
fn slug(heading: &str) -> String {
    let mut text = String::new();
    let mut rest = heading;
    while let Some(open) = rest.find('[') {
        let Some(mid) = rest[open..].find("](") else {
            break;
        };
        let Some(close) = rest[open + mid..].find(')') else {
            break;
        };
        text.push_str(&rest[..open]);
        text.push_str(&rest[open + 1..open + mid]);
        rest = &rest[open + mid + close + 1..];
    }
    text.push_str(rest);
    text.trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `line` opens or closes a fenced code block (also indented inside a list item).
fn is_fence(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("```") || line.starts_with("~~~")
}

/// The anchors of a document's headings (outside code blocks); a repeated one gets `-1`, `-2` …
fn anchors(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut seen = BTreeMap::<String, usize>::new();
    let mut fenced = false;
    for line in text.lines() {
        if is_fence(line) {
            fenced = !fenced;
            continue;
        }
        let hashes = line.len() - line.trim_start_matches('#').len();
        if fenced || !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(line[hashes..].trim().trim_end_matches('#'));
        let n = seen.entry(base.clone()).or_default();
        found.insert(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    found
}

/// `text` with its code spans blanked (line ends kept), so that what they show is not read as a
/// link. A span opens with a run of backticks and closes at the next run of the same length.
fn without_code_spans(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let run = |at: usize| chars[at..].iter().take_while(|&&c| c == '`').count();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let n = run(i);
        let mut j = i + n;
        let close = loop {
            match chars[j..].iter().position(|&c| c == '`') {
                None => break None,
                Some(k) if run(j + k) == n => break Some(j + k),
                Some(k) => j += k + run(j + k),
            }
        };
        match close {
            Some(close) => {
                let span = &chars[i..close + n];
                out.extend(span.iter().map(|&c| if c == '\n' { '\n' } else { ' ' }));
                i = close + n;
            }
            None => {
                out.extend(&chars[i..i + n]);
                i += n;
            }
        }
    }
    out
}

/// Every link target `[…](target)` of a document outside code blocks and code spans, with its
/// line number.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut fenced = false;
    let mut paragraph: Vec<(usize, &str)> = Vec::new();
    let mut flush = |paragraph: &mut Vec<(usize, &str)>| {
        let Some(&(first, _)) = paragraph.first() else {
            return;
        };
        let joined: Vec<&str> = paragraph.iter().map(|&(_, l)| l).collect();
        let plain = without_code_spans(&joined.join("\n"));
        for (at, _) in plain.match_indices("](") {
            let target: String = plain[at + 2..]
                .chars()
                .take_while(|&c| c != ')' && !c.is_whitespace())
                .collect();
            found.push((first + plain[..at].matches('\n').count(), target));
        }
        paragraph.clear();
    };
    for (n, line) in text.lines().enumerate() {
        if is_fence(line) {
            flush(&mut paragraph);
            fenced = !fenced;
        } else if fenced || line.trim().is_empty() {
            flush(&mut paragraph);
        } else {
            paragraph.push((n + 1, line));
        }
    }
    flush(&mut paragraph);
    found
}

/// `path` with `.` and `..` resolved by name (the file need not exist).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The broken links of the document `doc` (relative to the repository root), given how to read
/// a file of the repository (`None`: no such file) and whether a path is a directory.
fn broken_links(
    doc: &Path,
    text: &str,
    read: &dyn Fn(&Path) -> Option<String>,
    is_dir: &dyn Fn(&Path) -> bool,
) -> Vec<String> {
    let mut broken = Vec::new();
    for (line, target) in links(text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
        let file = if path.is_empty() {
            doc.to_owned()
        } else {
            normalise(&doc.parent().unwrap_or(Path::new("")).join(path))
        };
        let where_ = format!("{}:{line}: ({target})", doc.display());
        match read(&file) {
            None if is_dir(&file) && anchor.is_empty() => {}
            None => broken.push(format!("{where_}: {} does not exist", file.display())),
            Some(body) => {
                let is_markdown = file.extension().is_some_and(|e| e == "md");
                if !anchor.is_empty() && is_markdown && !anchors(&body).contains(anchor) {
                    broken.push(format!(
                        "{where_}: {} has no heading with the anchor #{anchor}",
                        file.display()
                    ));
                }
            }
        }
    }
    broken
}

/// The repository's markdown files, relative to its root (build output and tool caches left out).
fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(root().join(dir)).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = dir.join(&name);
        if entry.file_type().unwrap().is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                markdown_files(&path, out);
            }
        } else if name.ends_with(".md") {
            out.push(path);
        }
    }
}

#[test]
fn every_relative_doc_link_names_a_file_and_heading_that_exist() {
    let mut docs = Vec::new();
    markdown_files(Path::new(""), &mut docs);
    for needed in ["README.md", "docs/GUIDE.md", "kopsflow/src/report/JSON.md"] {
        assert!(docs.iter().any(|d| d == Path::new(needed)), "{needed}");
    }
    let read = |p: &Path| std::fs::read_to_string(root().join(p)).ok();
    let is_dir = |p: &Path| root().join(p).is_dir();
    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in &docs {
        let text = read(doc).unwrap();
        checked += links(&text).len();
        broken.extend(broken_links(doc, &text, &read, &is_dir));
    }
    assert!(
        checked > 100,
        "only {checked} links found: is the scan broken?"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn slugs_follow_github() {
    assert_eq!(slug("Output with `--jobs`"), "output-with---jobs");
    assert_eq!(slug("The kops version pin"), "the-kops-version-pin");
    assert_eq!(slug("A team's own rule"), "a-teams-own-rule");
    assert_eq!(slug("Instance-group prune"), "instance-group-prune");
    assert_eq!(slug("See [the guide](GUIDE.md) now"), "see-the-guide-now");
    assert_eq!(
        anchors("# A\n## A\n```\n# B\n```\n#C\n### `x_y`!\n"),
        BTreeSet::from(["a".to_owned(), "a-1".to_owned(), "x_y".to_owned()])
    );
}

/// The checker fails on a broken link: a small repository in memory, with one good link of each
/// kind and one broken link of each kind.
#[test]
fn broken_links_are_found() {
    let files = BTreeMap::from([
        (
            "README.md",
            "# Top\n\nSee [`A`](pages/A.md), [here](pages/A.md#present), [up](#top),\n\
             [gone](pages/A.md#absent) and [missing](pages/missing.md).\n\
             [nowhere](#nowhere), [web](https://example.com/x#y), `[code](code.md)`,\n\
             [dir](pages) and [fenced anchor](pages/A.md#in-fence).\n\n\
             ```\n[in a fence](fence.md)\n```\n",
        ),
        (
            "pages/A.md",
            "# A\n\n## Present\n\n```md\n# In fence\n```\n\n[back](../README.md#top) and \
             [back wrong](../README.md#a).\n",
        ),
    ]);
    let read = |p: &Path| files.get(p.to_str().unwrap()).map(|t| (*t).to_owned());
    let is_dir = |p: &Path| p == Path::new("pages");
    let mut broken = Vec::new();
    for (doc, text) in &files {
        broken.extend(broken_links(Path::new(doc), text, &read, &is_dir));
    }
    assert_eq!(
        broken,
        [
            "README.md:4: (pages/A.md#absent): pages/A.md has no heading with the anchor #absent",
            "README.md:4: (pages/missing.md): pages/missing.md does not exist",
            "README.md:5: (#nowhere): README.md has no heading with the anchor #nowhere",
            "README.md:6: (pages/A.md#in-fence): pages/A.md has no heading with the anchor #in-fence",
            "pages/A.md:9: (../README.md#a): README.md has no heading with the anchor #a",
        ]
    );
}
