//! Normalisation of the Go map values kops prints in random order (`Tags {k: v, …}`,
//! `docs/KOPS.md` §1.2): [`normalize_value`] sorts map entries so that two prints of the same value
//! compare equal. Bounded: nesting deeper than [`MAX_NORMALIZE_DEPTH`] is left as printed, so a
//! hostile value (100k nested braces) costs linear time and no deep recursion.

/// Bracket levels [`normalize_value`] descends into; deeper values are kept as they are. kops
/// values nest a few levels; this bounds both the recursion and the work (each level rescans its
/// part of the value once).
pub const MAX_NORMALIZE_DEPTH: usize = 32;

/// Sort the entries of Go-formatted maps (`{k: v, k2: v2}`) inside a kops value, recursively
/// (also inside slices `[…]`, whose element order is kept) down to [`MAX_NORMALIZE_DEPTH`]
/// levels; anything nested deeper is left as printed. Values that are not a balanced
/// `{…}`/`[…]` are returned unchanged. Entries are split on `", "` outside brackets and quotes;
/// if a map value itself contains `", "` the fragments are still sorted deterministically, so two
/// prints of the same map always normalise equal. Idempotent.
pub fn normalize_value(value: &str) -> String {
    normalize_at(value, 0)
}

/// [`normalize_value`] of a value nested `depth` brackets deep.
fn normalize_at(value: &str, depth: usize) -> String {
    if depth >= MAX_NORMALIZE_DEPTH {
        return value.to_string();
    }
    if let Some(inner) = value.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        if let Some(parts) = split_top_level(inner) {
            let mut parts: Vec<String> = parts
                .into_iter()
                .map(|p| normalize_entry(p, depth + 1))
                .collect();
            parts.sort();
            return format!("{{{}}}", parts.join(", "));
        }
    }
    if let Some(inner) = value.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        if let Some(parts) = split_top_level(inner) {
            let parts: Vec<String> = parts
                .into_iter()
                .map(|p| normalize_at(p, depth + 1))
                .collect();
            return format!("[{}]", parts.join(", "));
        }
    }
    value.to_string()
}

fn normalize_entry(entry: &str, depth: usize) -> String {
    match entry.split_once(": ") {
        Some((k, v)) => format!("{k}: {}", normalize_at(v, depth)),
        None => normalize_at(entry, depth),
    }
}

/// Split on `", "` at bracket depth 0 (outside `"…"`); `None` if brackets are unbalanced.
fn split_top_level(inner: &str) -> Option<Vec<&str>> {
    if inner.is_empty() {
        return Some(Vec::new());
    }
    let bytes = inner.as_bytes();
    let mut parts = Vec::new();
    let mut depth: i32 = 0;
    let mut in_str = false;
    let mut escaped = false;
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else {
            match c {
                b'"' => in_str = true,
                b'{' | b'[' | b'(' => depth += 1,
                b'}' | b']' | b')' => {
                    depth -= 1;
                    if depth < 0 {
                        return None;
                    }
                }
                b',' if depth == 0 && bytes.get(i + 1) == Some(&b' ') => {
                    parts.push(&inner[start..i]);
                    start = i + 2;
                    i += 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    if depth != 0 || in_str {
        return None;
    }
    parts.push(&inner[start..]);
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_bounded() {
        // Within the bound maps are sorted at every level; below it they are left as printed.
        let nest = |n: usize, core: &str| format!("{}{core}{}", "{x: ".repeat(n), "}".repeat(n));
        let shallow = nest(MAX_NORMALIZE_DEPTH - 1, "{b: 2, a: 1}");
        assert_eq!(
            normalize_value(&shallow),
            nest(MAX_NORMALIZE_DEPTH - 1, "{a: 1, b: 2}")
        );
        let deep = nest(MAX_NORMALIZE_DEPTH, "{b: 2, a: 1}");
        assert_eq!(normalize_value(&deep), deep);
    }
}
