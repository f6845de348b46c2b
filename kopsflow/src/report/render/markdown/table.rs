//! The markdown summary's overview table: one row per cluster (status, the dry-run's counts,
//! whether a rolling update is needed), with a `wave` column, in wave order, when the clusters
//! have waves.

use std::fmt::Write as _;

use super::super::waves::Group;
use super::{md_code, md_text};
use crate::report::summary::{ClusterSummary, RunSummary};

/// The table, when the summary has clusters; `groups` orders its rows and adds the `wave`
/// column.
pub(super) fn md_table(out: &mut String, s: &RunSummary, groups: Option<&[Group<'_>]>) {
    if s.clusters.is_empty() {
        return;
    }
    let rows: Vec<&ClusterSummary> = match groups {
        Some(groups) => groups
            .iter()
            .flat_map(|g| g.clusters.iter().copied())
            .collect(),
        None => s.clusters.iter().collect(),
    };
    match groups {
        Some(_) => {
            let _ = writeln!(
                out,
                "| cluster | wave | status | create | modify | delete | rolling update |"
            );
            let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |");
        }
        None => {
            let _ = writeln!(
                out,
                "| cluster | status | create | modify | delete | rolling update |"
            );
            let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- |");
        }
    }
    for c in rows {
        let st = c.status();
        // `drift` has no dry-run of git's spec: its counts are the cloud's.
        let (cr, md, dl) = c.update.as_ref().or(c.cloud.as_ref()).map_or(
            ("–".to_string(), "–".to_string(), "–".to_string()),
            |u| {
                (
                    u.create_count().to_string(),
                    u.modify_count().to_string(),
                    u.delete_count().to_string(),
                )
            },
        );
        let rolling = match &c.rolling_update {
            None => "–".to_string(),
            Some(r) if r.update_required => "🔄 needed".to_string(),
            Some(_) => "not required".to_string(),
        };
        let wave = match (groups, &c.placement) {
            (None, _) => String::new(),
            (Some(_), Some(p)) => format!(" {} ({}) |", p.wave, md_text(&p.environment)),
            (Some(_), None) => " – |".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} |{wave} {} {} | {cr} | {md} | {dl} | {rolling} |",
            md_code(&c.cluster),
            st.emoji(),
            st.label()
        );
    }
    let _ = writeln!(out);
}
