//! The one normaliser of the CLI tests' snapshots: a run's output with what changes from run to
//! run (the temp workspace's paths, the random work dir name, commit shas, dates and times,
//! elapsed times, pids and the host name in lock messages) replaced by stable placeholders, so
//! that whole outputs can be compared with insta.

use super::{Run, Test};

impl Run {
    /// `text` settled for a snapshot: see [`settle`]; the commits are those of every ref of the
    /// test's repository (and of `origin/`, which a shallow clone lacks), in the order of
    /// [`repo_commits`].
    pub fn settle(&self, test: &Test, text: &str) -> String {
        let mut commits = Vec::new();
        for dir in [test.path("origin"), test.repo()] {
            if dir.exists() {
                for commit in repo_commits(test, &dir) {
                    if !commits.contains(&commit) {
                        commits.push(commit);
                    }
                }
            }
        }
        let text = work_dir(&text.replace(&self.tmp, "$TMP"));
        let root = test.path("");
        let root = root.to_string_lossy();
        let mut text = text.replace(root.trim_end_matches('/'), "$WORK");
        if let Ok(real) = test.path("").canonicalize() {
            text = text.replace(real.to_string_lossy().trim_end_matches('/'), "$WORK");
        }
        settle(&text, &commits)
    }

    /// The run's stdout, settled.
    pub fn settled_stdout(&self, test: &Test) -> String {
        self.settle(test, &self.stdout())
    }

    /// The run's stderr, settled.
    pub fn settled_stderr(&self, test: &Test) -> String {
        self.settle(test, &self.stderr())
    }
}

/// `text` with the random name of a run's work dir (`$TMP/kopsflow-a1B2c3`) as `kopsflow-RUN`;
/// other words that start with `kopsflow-` (a bucket named `kopsflow-prod`) stay.
fn work_dir(text: &str) -> String {
    const DIR: &str = "$TMP/kopsflow-";
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(DIR) {
        out.push_str(&rest[..i]);
        out.push_str("$TMP/kopsflow-RUN");
        let tail = &rest[i + DIR.len()..];
        let end = tail
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The commits of every ref in `dir`, ordered by their distance from the root and then by
/// subject: the same order on every run, whatever the commit times (`git log`'s date order
/// is not: commits made within one second tie).
fn repo_commits(test: &Test, dir: &std::path::Path) -> Vec<String> {
    let log = test.git_in(
        dir,
        &[
            "log",
            "--all",
            "--topo-order",
            "--reverse",
            "--format=%H %P%x09%s",
        ],
    );
    let mut depth: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut rows = Vec::new();
    // Topological order, reversed: parents come before their children.
    for line in log.lines() {
        let (ids, subject) = line.split_once('\t').unwrap_or((line, ""));
        let mut ids = ids.split(' ').filter(|id| !id.is_empty());
        let commit = ids.next().unwrap_or_default().to_owned();
        let d = ids.filter_map(|p| depth.get(p)).max().map_or(0, |d| d + 1);
        depth.insert(commit.clone(), d);
        rows.push((d, subject.to_owned(), commit));
    }
    rows.sort();
    rows.into_iter().map(|(_, _, commit)| commit).collect()
}

/// `text` with `commits` named by their order (`<commit 1>` …; a 12-character one padded to its
/// width, so tables keep their columns, but not at a line's end; a 7-character one as is), any
/// other 40- or 12-character sha as `<sha>`, every date and time masked as `YYYY-MM-DD` /
/// `YYYY-MM-DDThh:mm:ssZ` (an offset as `+hh:mm`, a fraction as `.f`), elapsed times (`1.2s`,
/// `1m05s`) as `<elapsed>`, and a lock holder's `pid N` / `host NAME` as `pid <pid>` /
/// `host <host>`.
pub fn settle(text: &str, commits: &[String]) -> String {
    let mut text = text.to_owned();
    for (i, commit) in commits.iter().enumerate() {
        text = text
            .replace(commit.as_str(), &format!("<commit {}>", i + 1))
            .replace(commit.as_str(), &format!("<commit {}>", i + 1));
        text = replace_padded(&text, &commit[..12], &format!("<commit {}>", i + 1));
    }
    // git's abbreviations (`4a07581..178e8a6`) after the longer forms.
    for (i, commit) in commits.iter().enumerate() {
        text = text.replace(&commit[..7], &format!("<commit {}>", i + 1));
    }
    let text = mask_words(&text);
    mask_dates(&text)
}

/// `text` with every `short` replaced by `label` padded to `short`'s width (a table keeps its
/// columns), unpadded at the end of a line (no trailing blanks).
fn replace_padded(text: &str, short: &str, label: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(short) {
        out.push_str(&rest[..i]);
        rest = &rest[i + short.len()..];
        if rest.is_empty() || rest.starts_with('\n') {
            out.push_str(label);
        } else {
            out.push_str(&format!("{label:<width$}", width = short.len()));
        }
    }
    out.push_str(rest);
    out
}

/// Shas, elapsed times, pids and host names: each a whole word.
fn mask_words(text: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let mut previous = String::new();
    let flush = |word: &mut String, previous: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        let hex = word
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        // A letter too: a 12-digit number (an AWS account id) is not a sha.
        let sha = hex
            && matches!(word.len(), 12 | 40)
            && word.bytes().any(|b| b.is_ascii_digit())
            && word.bytes().any(|b| b.is_ascii_alphabetic());
        if sha {
            out.push_str("<sha>");
        } else if is_elapsed(word) {
            out.push_str("<elapsed>");
        } else if previous == "pid" && word.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str("<pid>");
        } else if previous == "host" {
            out.push_str("<host>");
        } else {
            out.push_str(word);
        }
        *previous = std::mem::take(word);
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
            word.push(c);
        } else {
            // A word ending in `.` (end of a sentence) keeps its full stop outside the word.
            let stop = word.ends_with('.');
            if stop {
                word.pop();
            }
            flush(&mut word, &mut previous, &mut out);
            if stop {
                out.push('.');
            }
            if c != ' ' {
                previous.clear();
            }
            out.push(c);
        }
    }
    let stop = word.ends_with('.');
    if stop {
        word.pop();
    }
    flush(&mut word, &mut previous, &mut out);
    if stop {
        out.push('.');
    }
    out
}

/// `format_elapsed`'s forms: `1.2s` and `1m05s`.
fn is_elapsed(word: &str) -> bool {
    let Some(body) = word.strip_suffix('s') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some((whole, tenth)) = body.split_once('.') {
        return digits(whole) && tenth.len() == 1 && digits(tenth);
    }
    body.split_once('m')
        .is_some_and(|(m, s)| digits(m) && s.len() == 2 && digits(s))
}

fn mask_dates(text: &str) -> String {
    let digits = |s: &[u8], at: usize, n: usize| {
        s.len() >= at + n && s[at..at + n].iter().all(u8::is_ascii_digit)
    };
    let b = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let date = digits(b, i, 4)
            && b.get(i + 4) == Some(&b'-')
            && digits(b, i + 5, 2)
            && b.get(i + 7) == Some(&b'-')
            && digits(b, i + 8, 2);
        if !date {
            let c = text[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        let mut end = i + 10;
        out.push_str("YYYY-MM-DD");
        let time = matches!(b.get(end), Some(b'T' | b' '))
            && digits(b, end + 1, 2)
            && b.get(end + 3) == Some(&b':')
            && digits(b, end + 4, 2)
            && b.get(end + 6) == Some(&b':')
            && digits(b, end + 7, 2);
        if time {
            out.push(char::from(b[end]));
            end += 9;
            out.push_str("hh:mm:ss");
            if b.get(end) == Some(&b'.') && digits(b, end + 1, 1) {
                end += 1;
                while digits(b, end, 1) {
                    end += 1;
                }
                out.push_str(".f");
            }
            if b.get(end) == Some(&b'Z') {
                end += 1;
                out.push('Z');
            } else if matches!(b.get(end), Some(b'+' | b'-'))
                && digits(b, end + 1, 2)
                && digits(b, end + 4, 2)
            {
                end += 6;
                out.push_str("+hh:mm");
            }
        }
        i = end;
    }
    out
}
