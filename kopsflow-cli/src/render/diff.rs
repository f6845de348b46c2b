//! A line diff for `render --check`: what the committed file has (`-`) against what the template
//! renders (`+`), in hunks with two lines of context. Longest common subsequence, bounded: two
//! files too large to compare line by line are reported by their first differing line.

const CONTEXT: usize = 2;
/// Most cells of the LCS table (a few thousand lines each way).
const MAX_CELLS: usize = 4_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same,
    Removed,
    Added,
}

/// The diff of `old` (`old_name`) against `new` (`new_name`); empty when they are equal.
pub fn diff(old_name: &str, old: &str, new_name: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        let first = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        out.push_str(&format!(
            "@@ too large to diff line by line: the first difference is at line {} @@\n",
            first + 1
        ));
        return out;
    }
    let ops = script(&a, &b);
    // Positions (1-based) in old and new before each op.
    let mut shown = vec![false; ops.len()];
    for (i, (op, _)) in ops.iter().enumerate() {
        if *op != Op::Same {
            let from = i.saturating_sub(CONTEXT);
            let to = (i + CONTEXT + 1).min(ops.len());
            shown[from..to].iter_mut().for_each(|s| *s = true);
        }
    }
    let (mut old_line, mut new_line) = (1, 1);
    let mut in_hunk = false;
    for (i, (op, text)) in ops.iter().enumerate() {
        if shown[i] {
            if !in_hunk {
                out.push_str(&format!("@@ -{old_line} +{new_line} @@\n"));
                in_hunk = true;
            }
            let mark = match op {
                Op::Same => ' ',
                Op::Removed => '-',
                Op::Added => '+',
            };
            out.push_str(&format!("{mark}{text}\n"));
        } else {
            in_hunk = false;
        }
        match op {
            Op::Same => {
                old_line += 1;
                new_line += 1;
            }
            Op::Removed => old_line += 1,
            Op::Added => new_line += 1,
        }
    }
    out
}

/// The edit script from `a` to `b` through their longest common subsequence.
fn script<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<(Op, &'a str)> {
    let (n, m) = (a.len(), b.len());
    // lcs[i][j]: the LCS length of a[i..] and b[j..].
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] = if a[i] == b[j] {
                lcs[at(i + 1, j + 1)] + 1
            } else {
                lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push((Op::Same, a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[at(i + 1, j)] >= lcs[at(i, j + 1)]) {
            ops.push((Op::Removed, a[i]));
            i += 1;
        } else {
            ops.push((Op::Added, b[j]));
            j += 1;
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n";
        let new = "a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nk\nl\n";
        assert_eq!(
            diff("old", old, "new", new),
            "--- old\n+++ new\n@@ -2 +2 @@\n b\n c\n-d\n+D\n e\n f\n@@ -10 +10 @@\n j\n k\n+l\n"
        );
        assert_eq!(diff("old", old, "new", old), "");
    }
}
