//! The shapes of the lines of a dry-run report, as pure functions of one line: indentation
//! measured in columns (so kops's tabs and the spaces a copy expanded them to read the same),
//! task keys, field names and the ` <old> -> <new>` split. Every function is linear in the
//! length of its line.

/// Tab stops every 8 columns, as terminals and `expand(1)` render kops's tabs.
pub(super) const TAB_STOP: usize = 8;

/// Width kops pads field names to (`%-20s`, `docs/KOPS.md` §1.2).
pub(super) const FIELD_WIDTH: usize = 20;

/// Columns from a field line's indentation to the text of a diff line under it: kops prints
/// `  \t<20 spaces>\t<diff line>` and its fields at `  \t`, so the diff text starts at the first
/// tab stop after the 20 padding columns (8 → 32 at 8-column stops, 4 → 28 at 4-column stops).
pub(super) const DIFF_OFFSET: usize = FIELD_WIDTH + 4;

/// The column after `c`, printed at column `col`.
fn advance(col: usize, c: char) -> usize {
    if c == '\t' {
        (col / TAB_STOP + 1) * TAB_STOP
    } else {
        col + 1
    }
}

/// A line's indentation (leading spaces and tabs) in columns, and the text after it.
pub(super) fn indentation(line: &str) -> (usize, &str) {
    let mut col = 0;
    for (i, b) in line.bytes().enumerate() {
        match b {
            b' ' | b'\t' => col = advance(col, b as char),
            _ => return (col, &line[i..]),
        }
    }
    (col, "")
}

/// The column after the last character of the line.
pub(super) fn end_column(line: &str) -> usize {
    line.chars().fold(0, advance)
}

/// The line from column `at` on, its indentation before `at` removed (a tab that crosses `at`
/// leaves the columns past it as spaces); `None` when the indentation ends before `at`.
pub(super) fn from_column(line: &str, at: usize) -> Option<String> {
    let mut col = 0;
    for (i, b) in line.bytes().enumerate() {
        if col >= at {
            return Some(format!("{}{}", " ".repeat(col - at), &line[i..]));
        }
        match b {
            b' ' | b'\t' => col = advance(col, b as char),
            _ => return None,
        }
    }
    (col >= at).then(|| " ".repeat(col - at))
}

/// A Go identifier as kops's task kinds and field names are: ASCII letters, digits, `_`.
pub(super) fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The text of a task header after its indentation, `Kind/name`, → (kind, name). The name is
/// everything after the first `/` (it may contain `/` or `:`), trailing spaces removed.
pub(super) fn task_key(content: &str) -> Option<(&str, &str)> {
    let (kind, name) = content.split_once('/')?;
    (is_ident(kind) && !name.trim().is_empty()).then_some((kind, name.trim_end()))
}

/// The value of a modified field as kops prints it after the tab, ` <old> -> <new>`, →
/// (old, new).
pub(super) fn split_old_new(value: &str) -> Option<(&str, &str)> {
    split_arrow(value.strip_prefix(' ')?)
}

/// The value of a modified field whose leading space was merged into the indentation (tabs
/// expanded): `<old> -> <new>`, or `-> <new>` when `<old>` is empty.
pub(super) fn split_old_new_spaced(value: &str) -> Option<(&str, &str)> {
    if value == "->" {
        return Some(("", ""));
    }
    if let Some(new) = value.strip_prefix("-> ") {
        return Some(("", new));
    }
    split_arrow(value)
}

/// `<old> -> <new>` → (old, new), split at the first ` -> ` whose left side has as many closing
/// as opening brackets (`{`/`[`), else at the first ` -> `; `<old> ->` (an empty new value whose
/// trailing space was stripped) → (old, ""). One pass over the value.
fn split_arrow(v: &str) -> Option<(&str, &str)> {
    let bytes = v.as_bytes();
    let mut open: i64 = 0;
    let mut first = None;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b' ' && bytes[i..].starts_with(b" -> ") {
            if open == 0 {
                return Some((&v[..i], &v[i + 4..]));
            }
            first.get_or_insert(i);
        }
        match b {
            b'{' | b'[' => open += 1,
            b'}' | b']' => open -= 1,
            _ => {}
        }
    }
    if let Some(at) = first {
        return Some((&v[..at], &v[at + 4..]));
    }
    v.strip_suffix(" ->").map(|old| (old, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns() {
        assert_eq!(indentation("  \tMaxSize"), (8, "MaxSize"));
        assert_eq!(indentation("        MaxSize"), (8, "MaxSize"));
        assert_eq!(indentation("  \t                    \t..."), (32, "..."));
        assert_eq!(indentation(" \t "), (9, ""));
        assert_eq!(end_column("  \tCPUCredits          \t"), 32);
        assert_eq!(from_column(&" ".repeat(34), 32).as_deref(), Some("  "));
        assert_eq!(from_column("  \t+ x", 4).as_deref(), Some("    + x"));
        assert_eq!(from_column("   x", 4), None);
        assert_eq!(from_column("  ", 4), None);
    }

    #[test]
    fn old_new() {
        // Values of real modify lines (modify-ig, copied-state samples).
        assert_eq!(split_old_new(" 1 -> 3"), Some(("1", "3")));
        assert_eq!(split_old_new(" false -> false"), Some(("false", "false")));
        assert_eq!(split_old_new("  -> x"), Some(("", "x")));
        assert_eq!(split_old_new(" a ->"), Some(("a", "")));
        assert_eq!(split_old_new("1 -> 3"), None);
        assert_eq!(split_old_new(" 1 3"), None);
        // The first arrow outside brackets wins; without one, the first arrow.
        assert_eq!(split_old_new(" {a -> b} -> {c}"), Some(("{a -> b}", "{c}")));
        assert_eq!(split_old_new(" { -> { -> "), Some(("{", "{ -> ")));
        assert_eq!(split_old_new_spaced("-> x"), Some(("", "x")));
        assert_eq!(split_old_new_spaced("->"), Some(("", "")));
        assert_eq!(split_old_new_spaced("1 -> 3"), Some(("1", "3")));
    }

    #[test]
    fn task_keys() {
        assert_eq!(task_key("Route/::/0"), Some(("Route", "::/0")));
        assert_eq!(
            task_key("Secret/system:dns  "),
            Some(("Secret", "system:dns"))
        );
        assert_eq!(task_key("+ a/b"), None);
        assert_eq!(task_key("Kind/ "), None);
        assert_eq!(task_key("actual: &{Name:a/b}"), None);
    }
}
