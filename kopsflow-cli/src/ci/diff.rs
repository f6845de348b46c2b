//! A line diff for `cargo xtask ci … --check`: what changed between the committed file and the
//! one that would be generated, as `-`/`+` lines with a little context (the files are a few
//! hundred lines: a plain longest-common-subsequence table is enough).

/// Lines of context around each change.
const CONTEXT: usize = 2;

/// `None` when equal; else a unified-style diff, `--- committed` / `+++ generated`.
pub fn diff(path: &str, committed: &str, generated: &str) -> Option<String> {
    if committed == generated {
        return None;
    }
    let old: Vec<&str> = committed.lines().collect();
    let new: Vec<&str> = generated.lines().collect();
    let ops = edit_script(&old, &new);
    let mut out = format!("--- {path} (committed)\n+++ {path} (generated)\n");
    let changed: Vec<bool> = ops.iter().map(|op| !matches!(op, Op::Same(_))).collect();
    let mut last_shown = None;
    for (i, op) in ops.iter().enumerate() {
        let lo = i.saturating_sub(CONTEXT);
        let hi = (i + CONTEXT + 1).min(ops.len());
        if !changed[lo..hi].iter().any(|c| *c) {
            continue;
        }
        if last_shown.is_some_and(|l: usize| l + 1 != i) || (last_shown.is_none() && i > 0) {
            out.push_str("@@\n");
        }
        match op {
            Op::Same(line) => out.push_str(&format!(" {line}\n")),
            Op::Removed(line) => out.push_str(&format!("-{line}\n")),
            Op::Added(line) => out.push_str(&format!("+{line}\n")),
        }
        last_shown = Some(i);
    }
    if committed.ends_with('\n') != generated.ends_with('\n') {
        out.push_str("(the files differ in their final newline)\n");
    }
    Some(out)
}

enum Op<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

fn edit_script<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<Op<'a>> {
    // lcs[i][j]: length of the longest common subsequence of old[i..] and new[j..].
    let mut lcs = vec![vec![0u32; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::new();
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            ops.push(Op::Same(old[i]));
            i += 1;
            j += 1;
        } else if i < old.len() && (j == new.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(Op::Removed(old[i]));
            i += 1;
        } else {
            ops.push(Op::Added(new[j]));
            j += 1;
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_files_have_no_diff() {
        assert_eq!(diff("f", "a\nb\n", "a\nb\n"), None);
    }

    #[test]
    fn changes_with_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\nten\n";
        let d = diff("x.yml", old, new).unwrap_or_default();
        assert_eq!(
            d,
            "--- x.yml (committed)\n+++ x.yml (generated)\n@@\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n 9\n+ten\n"
        );
        let d = diff("x", "a", "a\n").unwrap_or_default();
        assert!(
            d.ends_with("(the files differ in their final newline)\n"),
            "{d}"
        );
        let d = diff("x", "", "a\n").unwrap_or_default();
        assert!(d.contains("\n+a\n"), "{d}");
    }
}
