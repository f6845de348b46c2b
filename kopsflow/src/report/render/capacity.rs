//! The capacity of a change in every format: the run's total under the overview, and per cluster
//! its vCPUs and memory before and after (floor at `minSize`, ceiling at `maxSize`) with the
//! instance groups that change it (text, markdown); the `capacity` objects of JSON.md. Shown
//! wherever the cost is, whether or not the price is known.

use std::fmt::Write as _;

use crate::cost::{
    CapacityChange, CapacityDelta, CapacitySpan, CentiGib, CostChange, GroupCapacity,
    GroupCapacityLine, GroupChange,
};
use crate::json::Json;
use crate::report::summary::RunSummary;

/// `4 vCPU, 8 GiB → 4–8 vCPU, 8–16 GiB (0–+4 vCPU, 0–+8 GiB)`, `4 vCPU, 8 GiB (unchanged)`,
/// `unknown` for a side with an unknown machine type.
fn before_after(before: Option<CapacitySpan>, after: Option<CapacitySpan>) -> String {
    let side = |s: Option<CapacitySpan>| s.map_or("unknown".to_owned(), |s| s.to_string());
    match before.zip(after) {
        Some((b, a)) if b == a => format!("{b} (unchanged)"),
        Some((b, a)) => format!("{b} → {a} ({})", CapacitySpan::delta(b, a)),
        None => format!("{} → {}", side(before), side(after)),
    }
}

/// The run's capacity over the clusters that have a cost: before (a new cluster counts as
/// nothing) and after; `None` on a side when a machine type is unknown in any of them.
fn total(s: &RunSummary) -> Option<(usize, Option<CapacitySpan>, Option<CapacitySpan>)> {
    let changes: Vec<CapacityChange> = s
        .clusters
        .iter()
        .filter_map(|c| c.cost.as_ref().map(CostChange::capacity))
        .collect();
    if changes.is_empty() {
        return None;
    }
    let sum = |side: &dyn Fn(&CapacityChange) -> Option<CapacitySpan>| {
        changes
            .iter()
            .try_fold(CapacitySpan::default(), |sum, c| Some(sum.plus(side(c)?)))
    };
    Some((changes.len(), sum(&|c| c.before()), sum(&|c| c.after())))
}

/// The total line under the overview (and the cost's total line).
pub(super) fn total_line(s: &RunSummary) -> Option<String> {
    let (_, before, after) = total(s)?;
    Some(format!(
        "capacity (vCPU and memory, floor at minSize–ceiling at maxSize): {}",
        before_after(before, after)
    ))
}

/// `(aws): 4 vCPU, 8 GiB → …`: which provider's machine types, and before → after.
fn cluster_line(c: &CapacityChange) -> String {
    let at = match &c.provider {
        Ok(provider) => provider.clone(),
        Err(why) => why.clone(),
    };
    if c.new_cluster {
        let after = c.after().map_or("unknown".to_owned(), |a| a.to_string());
        return format!("({at}): new cluster: {after}");
    }
    format!("({at}): {}", before_after(c.before(), c.after()))
}

/// `t3.medium × 1–3 (2–6 vCPU, 4–12 GiB)`, or `(unknown: why)`.
fn sized(g: &GroupCapacity) -> String {
    let sizes = if g.min_size == g.max_size {
        g.min_size.to_string()
    } else {
        format!("{}–{}", g.min_size, g.max_size)
    };
    let machine = g.machine_type.as_deref().unwrap_or("(no machineType)");
    match (&g.per_instance, g.span()) {
        (_, Some(span)) => format!("{machine} × {sizes} ({span})"),
        (Err(why), None) => format!("{machine} × {sizes} (unknown: {why})"),
        (Ok(_), None) => format!("{machine} × {sizes} (unknown)"),
    }
}

/// One line per instance group that changes the capacity, or whose capacity is unknown.
fn group_lines(c: &CapacityChange) -> Vec<String> {
    let mut lines = Vec::new();
    for g in c.groups.iter().filter(|g| g.changes_capacity()) {
        let GroupCapacityLine {
            name,
            change,
            before,
            after,
        } = g;
        let text = match (change, before, after) {
            (GroupChange::Removed { still_running }, Some(b), _) => {
                let fate = if *still_running {
                    "still running until deleted (prune is off)"
                } else {
                    "deleted by deploy (prune is on)"
                };
                format!("{name}: removed from git, {}: {fate}", sized(b))
            }
            (GroupChange::Added, _, Some(a)) => format!("{name}: added, {}", sized(a)),
            (GroupChange::Unchanged, _, Some(a)) => format!("{name}: {}", sized(a)),
            (_, Some(b), Some(a)) => format!("{name}: {} → {}", sized(b), sized(a)),
            (_, None, Some(a)) => format!("{name}: {}", sized(a)),
            _ => continue,
        };
        lines.push(text);
    }
    lines
}

pub(super) fn text_capacity(out: &mut String, heading: &str, cost: &CostChange) {
    let c = cost.capacity();
    let _ = writeln!(out, "  {heading} {}", cluster_line(&c));
    for line in group_lines(&c) {
        let _ = writeln!(out, "    {line}");
    }
}

pub(super) fn md_capacity(out: &mut String, cost: &CostChange) {
    let c = cost.capacity();
    let _ = writeln!(
        out,
        "🧮 **Capacity** {}\n",
        super::markdown::md_text(&cluster_line(&c))
    );
    let lines = group_lines(&c);
    for line in &lines {
        let _ = writeln!(out, "- {}", super::markdown::md_text(line));
    }
    if !lines.is_empty() {
        let _ = writeln!(out);
    }
}

/// GiB as a JSON number (hundredths are exact enough in an f64 for any real size).
fn gib(m: CentiGib) -> Json {
    #[allow(clippy::cast_precision_loss)]
    Json::from(m.0 as f64 / 100.0)
}

/// JSON.md "capacity span".
fn json_span(s: Option<CapacitySpan>) -> Json {
    s.map_or(Json::Null, |s| {
        Json::object()
            .with(
                "vcpus",
                Json::object()
                    .with("min", s.min.vcpus)
                    .with("max", s.max.vcpus),
            )
            .with(
                "memory_gib",
                Json::object()
                    .with("min", gib(s.min.memory))
                    .with("max", gib(s.max.memory)),
            )
    })
}

/// JSON.md "capacity delta": signed, memory in GiB.
fn json_delta(d: Option<CapacityDelta>) -> Json {
    // Beyond i64 only when sizes saturated: then the nearest f64.
    #[allow(clippy::cast_precision_loss)]
    let count = |n: i128| i64::try_from(n).map_or(Json::from(n as f64), Json::from);
    #[allow(clippy::cast_precision_loss)]
    let memory = |n: i128| Json::from(n as f64 / 100.0);
    d.map_or(Json::Null, |d| {
        Json::object()
            .with(
                "vcpus",
                Json::object()
                    .with("min", count(d.vcpus.0))
                    .with("max", count(d.vcpus.1)),
            )
            .with(
                "memory_gib",
                Json::object()
                    .with("min", memory(d.memory.0))
                    .with("max", memory(d.memory.1)),
            )
    })
}

/// JSON.md "group capacity".
fn json_group(g: &GroupCapacity) -> Json {
    let each = g.per_instance.as_ref().ok();
    Json::object()
        .with("machine_type", g.machine_type.as_deref())
        .with("min_size", g.min_size)
        .with("max_size", g.max_size)
        .with("vcpus", each.map(|c| c.vcpus))
        .with("memory_gib", each.map_or(Json::Null, |c| gib(c.memory)))
        .with("total", json_span(g.span()))
        .with("unknown", g.per_instance.as_ref().err().map(String::as_str))
}

/// JSON.md "capacity".
pub(super) fn json_capacity(cost: &CostChange) -> Json {
    let c = cost.capacity();
    let groups = c.groups.iter().map(|g| {
        let still = g.change
            == GroupChange::Removed {
                still_running: true,
            };
        Json::object()
            .with("name", g.name.as_str())
            .with("change", g.change.as_str())
            .with("changes_capacity", g.changes_capacity())
            .with("still_running", still)
            .with("before", g.before.as_ref().map(json_group))
            .with("after", g.after.as_ref().map(json_group))
    });
    Json::object()
        .with("provider", c.provider.as_ref().ok().map(String::as_str))
        .with(
            "provider_unknown",
            c.provider.as_ref().err().map(String::as_str),
        )
        .with("new_cluster", c.new_cluster)
        .with("before", json_span(c.before()))
        .with("after", json_span(c.after()))
        .with("delta", json_delta(c.delta()))
        .with("unknown", c.unknown())
        .with("instance_groups", Json::array(groups))
}

/// JSON.md "capacity total".
pub(super) fn json_total(s: &RunSummary) -> Json {
    total(s).map_or(Json::Null, |(clusters, before, after)| {
        Json::object()
            .with("clusters", clusters)
            .with("before", json_span(before))
            .with("after", json_span(after))
            .with(
                "delta",
                json_delta(before.zip(after).map(|(b, a)| CapacitySpan::delta(b, a))),
            )
    })
}
