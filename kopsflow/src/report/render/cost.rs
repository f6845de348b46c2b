//! The cost of a change in every format: the run's total under the overview, and per cluster its
//! monthly on-demand cost before and after (floor at `minSize`, ceiling at `maxSize`) with the
//! instance groups that change it (text, markdown); the `cost` objects of JSON.md.

use std::fmt::Write as _;

use crate::cost::{signed_span, CostChange, GroupCost, GroupLine, Micros, Span};
use crate::json::Json;
use crate::report::summary::{CostTotal, RunSummary};

/// `$100.45 → $170.53–$231.26 (+$70.08–+$130.82)`, `unknown` for a side with an unknown price.
fn before_after(before: Option<Span>, after: Option<Span>) -> String {
    let side = |s: Option<Span>| s.map_or("unknown".to_owned(), |s| s.to_string());
    let mut line = format!("{} → {}", side(before), side(after));
    if let (Some(b), Some(a)) = (before, after) {
        let _ = write!(line, " ({})", signed_span(Span::delta(b, a)));
    }
    line
}

/// The total line under the overview: `cost per month (on-demand, minSize–maxSize): …`.
pub(super) fn total_line(s: &RunSummary) -> Option<String> {
    let CostTotal { before, after, .. } = s.cost_total()?;
    Some(format!(
        "cost per month (on-demand, floor at minSize–ceiling at maxSize): {}",
        before_after(before, after)
    ))
}

/// `(aws us-east-1): $60.74 → $60.74–$121.47 ($0.00–+$60.74)`: where, and before → after.
fn cluster_line(c: &CostChange) -> String {
    let at = match &c.location {
        Ok((provider, region)) => format!("{provider} {region}"),
        Err(why) => format!("region unknown: {why}"),
    };
    let before = if c.new_cluster {
        Some(Span::default())
    } else {
        c.before()
    };
    let new = if c.new_cluster { "new cluster: " } else { "" };
    format!("({at}): {new}{}", before_after(before, c.after()))
}

fn priced(g: &GroupCost) -> String {
    match (&g.per_instance, g.monthly()) {
        (_, Some(span)) => format!("{} ({span})", g.shape()),
        (Err(why), None) => format!("{} (unknown: {why})", g.shape()),
        (Ok(_), None) => format!("{} (unknown)", g.shape()),
    }
}

/// One line per instance group that changes the cost, or whose price is unknown.
fn group_lines(c: &CostChange) -> Vec<String> {
    let mut lines = Vec::new();
    for g in &c.groups {
        let GroupLine {
            name,
            change,
            before,
            after,
        } = g;
        let unknown = [before, after]
            .into_iter()
            .flatten()
            .any(|side| side.per_instance.is_err());
        let text = match (change, before, after) {
            (crate::cost::GroupChange::Unchanged, _, Some(a)) if !unknown => {
                if let Some(note) = &a.volume_note {
                    lines.push(format!("{name}: {note}"));
                }
                continue;
            }
            (crate::cost::GroupChange::Removed { still_running }, Some(b), _) => {
                if *still_running {
                    format!(
                        "{name}: removed from git, {}: still running, and costing, until deleted (prune is off)",
                        priced(b)
                    )
                } else {
                    format!(
                        "{name}: removed from git, {}: deleted by deploy (prune is on)",
                        priced(b)
                    )
                }
            }
            (crate::cost::GroupChange::Added, _, Some(a)) => {
                format!("{name}: added, {}", priced(a))
            }
            (_, Some(b), Some(a)) => format!("{name}: {} → {}", priced(b), priced(a)),
            (_, None, Some(a)) => format!("{name}: {}", priced(a)),
            _ => continue,
        };
        lines.push(text);
        if let Some(note) = after.as_ref().and_then(|a| a.volume_note.as_ref()) {
            lines.push(format!("{name}: {note}"));
        }
    }
    lines
}

pub(super) fn text_cost(out: &mut String, heading: &str, c: &CostChange) {
    let _ = writeln!(out, "  {heading} {}", cluster_line(c));
    for line in group_lines(c) {
        let _ = writeln!(out, "    {line}");
    }
}

pub(super) fn md_cost(out: &mut String, c: &CostChange) {
    let _ = writeln!(
        out,
        "💰 **Cost per month** {}\n",
        super::markdown::md_text(&cluster_line(c))
    );
    let lines = group_lines(c);
    for line in &lines {
        let _ = writeln!(out, "- {}", super::markdown::md_text(line));
    }
    if !lines.is_empty() {
        let _ = writeln!(out);
    }
}

/// USD as a JSON number, rounded to the cent.
fn usd(m: Micros) -> Json {
    // Cents are integers: the f64 division is exact to the cent for any realistic amount.
    #[allow(clippy::cast_precision_loss)]
    Json::from(m.cents() as f64 / 100.0)
}

/// JSON.md "cost span".
fn json_span(s: Option<Span>) -> Json {
    s.map_or(Json::Null, |s| {
        Json::object()
            .with("min", usd(s.min))
            .with("max", usd(s.max))
    })
}

/// A signed delta in USD, rounded to the cent.
fn json_delta(delta: Option<(i128, i128)>) -> Json {
    #[allow(clippy::cast_precision_loss)]
    let cents = |m: i128| {
        let c = (m.unsigned_abs() + 5_000) / 10_000;
        let c = c as f64 / 100.0;
        Json::from(if m < 0 { -c } else { c })
    };
    delta.map_or(Json::Null, |(min, max)| {
        Json::object()
            .with("min", cents(min))
            .with("max", cents(max))
    })
}

/// JSON.md "priced group".
fn json_group_cost(g: &GroupCost) -> Json {
    Json::object()
        .with("machine_type", g.machine_type.as_deref())
        .with("min_size", g.min_size)
        .with("max_size", g.max_size)
        .with(
            "per_instance",
            g.per_instance.as_ref().ok().map_or(Json::Null, |m| usd(*m)),
        )
        .with("monthly", json_span(g.monthly()))
        .with("unknown", g.per_instance.as_ref().err().map(String::as_str))
        .with("volume_note", g.volume_note.as_deref())
}

/// JSON.md "cost".
pub(super) fn json_cost(c: &CostChange) -> Json {
    let (provider, region) = match &c.location {
        Ok((p, r)) => (Some(p.as_str()), Some(r.as_str())),
        Err(_) => (None, None),
    };
    let before = if c.new_cluster {
        Some(Span::default())
    } else {
        c.before()
    };
    let delta = before.zip(c.after()).map(|(b, a)| Span::delta(b, a));
    let groups = c.groups.iter().map(|g| {
        let still = matches!(
            g.change,
            crate::cost::GroupChange::Removed {
                still_running: true
            }
        );
        Json::object()
            .with("name", g.name.as_str())
            .with("change", g.change.as_str())
            .with("still_running", still)
            .with("before", g.before.as_ref().map(json_group_cost))
            .with("after", g.after.as_ref().map(json_group_cost))
    });
    Json::object()
        .with("provider", provider)
        .with("region", region)
        .with(
            "region_unknown",
            c.location.as_ref().err().map(String::as_str),
        )
        .with("new_cluster", c.new_cluster)
        .with("before", json_span(before))
        .with("after", json_span(c.after()))
        .with("delta", json_delta(delta))
        .with("unknown", c.unknown())
        .with("instance_groups", Json::array(groups))
}

/// JSON.md "cost total".
pub(super) fn json_total(s: &RunSummary) -> Json {
    s.cost_total().map_or(Json::Null, |t| {
        Json::object()
            .with("currency", "USD")
            .with("hours_per_month", crate::cost::HOURS_PER_MONTH)
            .with("clusters", t.clusters)
            .with("before", json_span(t.before))
            .with("after", json_span(t.after))
            .with(
                "delta",
                json_delta(t.before.zip(t.after).map(|(b, a)| Span::delta(b, a))),
            )
    })
}
