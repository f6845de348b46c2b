//! The cost of a change: each cluster's estimated monthly on-demand cost before (production's
//! spec) and after (git's) a change, from its instance groups' machine types and sizes (`minSize`
//! the floor, `maxSize` the ceiling), the root volumes the spec sizes and types, and the groups
//! added or removed. A removed group keeps running, and costing, until it is deleted: with prune
//! off it stays in the "after". Prices come from a [`PriceTable`] (the bundled, dated `prices.txt`
//! and a repository's own rows); a machine type, volume type or region without a price is
//! unknown, never guessed. Amounts are integers (micro-USD), so every sum is exact (and
//! saturates at `u64::MAX` rather than overflow, for sizes no cloud has).

mod capacity;
mod prices;

use std::collections::{HashMap, HashSet};
use std::fmt;

pub use capacity::{
    capacity, Capacity, CapacityChange, CapacityDelta, CapacitySpan, CentiGib, GroupCapacity,
    GroupCapacityLine, MachineTable, BUNDLED_MACHINES,
};
pub use prices::{Origin, Price, PriceTable, BUNDLED_PRICES};

use crate::spec::{ClusterSpec, InstanceGroup, Node};

/// Hours in a month, as AWS's own monthly estimates count them (8 760 / 12).
pub const HOURS_PER_MONTH: u64 = 730;

/// An amount in millionths of a US dollar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Micros(pub u64);

impl Micros {
    /// Rounded to the cent (an amount that saturated at `u64::MAX` stays the largest).
    pub fn cents(self) -> u64 {
        self.0.saturating_add(5_000) / 10_000
    }
}

/// `$1,234.56`.
impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cents = self.cents();
        let whole = (cents / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "${grouped}.{:02}", cents % 100)
    }
}

/// A monthly cost from the floor (every group at `minSize`) to the ceiling (`maxSize`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    pub min: Micros,
    pub max: Micros,
}

impl Span {
    pub fn plus(self, other: Span) -> Span {
        Span {
            min: Micros(self.min.0.saturating_add(other.min.0)),
            max: Micros(self.max.0.saturating_add(other.max.0)),
        }
    }

    /// `after - before`, at the floor and at the ceiling, in micro-USD.
    pub fn delta(before: Span, after: Span) -> (i128, i128) {
        let d = |a: Micros, b: Micros| i128::from(a.0) - i128::from(b.0);
        (d(after.min, before.min), d(after.max, before.max))
    }
}

/// `$30.37`, or `$30.37–$91.10` when floor and ceiling differ.
impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min.cents() == self.max.cents() {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}–{}", self.min, self.max)
        }
    }
}

/// `+$60.74`, `-$30.37`, `$0.00`.
pub fn signed(micros: i128) -> String {
    let amount = Micros(u64::try_from(micros.unsigned_abs()).unwrap_or(u64::MAX));
    match (micros.signum(), amount.cents()) {
        (_, 0) => amount.to_string(),
        (-1, _) => format!("-{amount}"),
        _ => format!("+{amount}"),
    }
}

/// `+$60.74`, or `+$0.00–+$182.21` when floor and ceiling move differently.
pub fn signed_span((min, max): (i128, i128)) -> String {
    let (a, b) = (signed(min), signed(max));
    if a == b {
        a
    } else {
        format!("{a}–{b}")
    }
}

/// One instance group as one spec has it, priced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCost {
    pub machine_type: Option<String>,
    pub min_size: u64,
    pub max_size: u64,
    /// Per instance per month (the machine, and its root volume where priced); `Err`: why the
    /// price is unknown.
    pub per_instance: Result<Micros, String>,
    /// A root volume the spec sizes without a type: not counted, and why.
    pub volume_note: Option<String>,
}

impl GroupCost {
    /// Per month at `minSize` and at `maxSize`; `None` when unknown.
    pub fn monthly(&self) -> Option<Span> {
        let each = self.per_instance.as_ref().ok()?.0;
        Some(Span {
            min: Micros(each.saturating_mul(self.min_size)),
            max: Micros(each.saturating_mul(self.max_size)),
        })
    }

    /// `t3.medium × 1–3`.
    pub fn shape(&self) -> String {
        let sizes = if self.min_size == self.max_size {
            self.min_size.to_string()
        } else {
            format!("{}–{}", self.min_size, self.max_size)
        };
        let machine = self.machine_type.as_deref().unwrap_or("(no machineType)");
        format!("{machine} × {sizes}")
    }
}

/// What the change does to one instance group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupChange {
    Unchanged,
    /// Its machine type, sizes or root volume differ.
    Changed,
    /// Only git has it.
    Added,
    /// Only production has it. `still_running`: prune is off, so it is not deleted and keeps
    /// costing what it costs now.
    Removed {
        still_running: bool,
    },
}

impl GroupChange {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupChange::Unchanged => "unchanged",
            GroupChange::Changed => "changed",
            GroupChange::Added => "added",
            GroupChange::Removed { .. } => "removed",
        }
    }
}

/// One instance group before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupLine {
    pub name: String,
    pub change: GroupChange,
    /// In production; `None` for an added group or a new cluster.
    pub before: Option<GroupCost>,
    /// What runs after the change: git's group, or a removed group still running.
    pub after: Option<GroupCost>,
}

/// The estimated monthly cost of one cluster before and after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostChange {
    /// From `spec.cloudProvider`, and the region from the subnets' zones; `Err`: why unknown.
    pub location: Result<(String, String), String>,
    pub groups: Vec<GroupLine>,
    /// Production has no such cluster: before is nothing.
    pub new_cluster: bool,
}

impl CostChange {
    fn total(&self, side: impl Fn(&GroupLine) -> Option<&GroupCost>) -> Option<Span> {
        self.groups
            .iter()
            .filter_map(side)
            .try_fold(Span::default(), |sum, g| Some(sum.plus(g.monthly()?)))
    }

    /// Production's monthly cost; `None` when a group's price is unknown.
    pub fn before(&self) -> Option<Span> {
        self.total(|g| g.before.as_ref())
    }

    /// The monthly cost after the change; `None` when a group's price is unknown.
    pub fn after(&self) -> Option<Span> {
        self.total(|g| g.after.as_ref())
    }

    /// `after - before`, when both are known.
    pub fn delta(&self) -> Option<(i128, i128)> {
        Some(Span::delta(self.before()?, self.after()?))
    }

    /// Why a price is unknown, one line per group and side (`nodes: no price for …`).
    pub fn unknown(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for g in &self.groups {
            for side in [&g.before, &g.after].into_iter().flatten() {
                if let Err(why) = &side.per_instance {
                    let line = format!("{}: {why}", g.name);
                    if seen.insert(line.clone()) {
                        out.push(line);
                    }
                }
            }
        }
        out
    }

    /// The removed groups that keep running because prune is off.
    pub fn still_running(&self) -> impl Iterator<Item = &GroupLine> {
        self.groups.iter().filter(|g| {
            g.change
                == GroupChange::Removed {
                    still_running: true,
                }
        })
    }
}

/// What a run prices clusters with: the table, and whether a deploy would delete removed
/// groups (prune) or leave them running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pricing {
    pub table: PriceTable,
    pub prune: bool,
}

impl Pricing {
    /// [`estimate`] with this table and prune setting.
    pub fn estimate(&self, git: &ClusterSpec, live: Option<&ClusterSpec>) -> CostChange {
        estimate(git, live, &self.table, self.prune)
    }
}

/// The cost of the change from `live` (production; `None`: a new cluster) to `git`. `prune`:
/// whether removed groups are deleted (otherwise they keep running).
pub fn estimate(
    git: &ClusterSpec,
    live: Option<&ClusterSpec>,
    table: &PriceTable,
    prune: bool,
) -> CostChange {
    let location = location(git);
    let price = |ig: &InstanceGroup| price_group(ig, &location, table);
    let (git_groups, live_groups) = (groups_by_name(Some(git)), groups_by_name(live));
    let mut groups: Vec<GroupLine> = git
        .instance_groups
        .iter()
        .map(|ig| {
            let before = live_groups.get(ig.name.as_str()).map(|ig| price(ig));
            let after = price(ig);
            let change = match &before {
                None => GroupChange::Added,
                Some(b) if *b == after => GroupChange::Unchanged,
                Some(_) => GroupChange::Changed,
            };
            GroupLine {
                name: ig.name.clone(),
                change,
                before,
                after: Some(after),
            }
        })
        .collect();
    for ig in live
        .map(|l| l.instance_groups.as_slice())
        .unwrap_or_default()
    {
        if !git_groups.contains_key(ig.name.as_str()) {
            let before = price(ig);
            groups.push(GroupLine {
                name: ig.name.clone(),
                change: GroupChange::Removed {
                    still_running: !prune,
                },
                after: (!prune).then(|| before.clone()),
                before: Some(before),
            });
        }
    }
    CostChange {
        location,
        groups,
        new_cluster: live.is_none(),
    }
}

/// A spec's groups by name, to look up once each (the first of a name, as
/// `ClusterSpec::instance_group` finds it).
fn groups_by_name(spec: Option<&ClusterSpec>) -> HashMap<&str, &InstanceGroup> {
    let mut groups = HashMap::new();
    for ig in spec
        .map(|s| s.instance_groups.as_slice())
        .unwrap_or_default()
    {
        groups.entry(ig.name.as_str()).or_insert(ig);
    }
    groups
}

/// The cluster's provider (`spec.cloudProvider`: `aws`, or `{aws: {}}`) and region, from the
/// zones of its subnets (`us-east-1a` → `us-east-1`; GCE `us-central1-a` → `us-central1`).
pub fn location(spec: &ClusterSpec) -> Result<(String, String), String> {
    let node = spec.cluster.document.get_path(&["spec", "cloudProvider"]);
    let provider = node
        .and_then(|n| match n.as_str() {
            Some(s) => Some(s.to_owned()),
            None => n.as_mapping()?.first()?.0.as_str().map(str::to_owned),
        })
        .ok_or("no spec.cloudProvider")?;
    let mut regions: Vec<String> = Vec::new();
    for zone in spec
        .cluster
        .subnets
        .iter()
        .filter_map(|s| s.zone.as_deref())
    {
        let region = match provider.as_str() {
            "aws" => zone.trim_end_matches(|c: char| c.is_ascii_lowercase()),
            "gce" => zone.rsplit_once('-').map_or("", |(r, _)| r),
            other => return Err(format!("no region rule for cloud provider {other}")),
        };
        if region.is_empty() || region == zone {
            return Err(format!("no region in zone {zone:?}"));
        }
        if !regions.iter().any(|r| r == region) {
            regions.push(region.to_owned());
        }
    }
    match regions.as_slice() {
        [region] => Ok((provider, region.clone())),
        [] => Err("no subnet zone to tell the region".to_owned()),
        many => Err(format!("subnets in several regions: {}", many.join(", "))),
    }
}

/// `spec.KEY` or `spec.rootVolume.ALT` of an instance group (the newer nested form).
fn volume_field<'a>(ig: &'a InstanceGroup, key: &str, alt: &str) -> Option<&'a Node> {
    let doc = &ig.document;
    doc.get_path(&["spec", key])
        .or_else(|| doc.get_path(&["spec", "rootVolume", alt]))
}

fn price_group(
    ig: &InstanceGroup,
    location: &Result<(String, String), String>,
    table: &PriceTable,
) -> GroupCost {
    let size = |v: Option<i64>| u64::try_from(v.unwrap_or(1)).unwrap_or(0);
    let mut cost = GroupCost {
        machine_type: ig.machine_type.clone(),
        min_size: size(ig.min_size),
        max_size: size(ig.max_size),
        per_instance: Err(String::new()),
        volume_note: None,
    };
    let volume_gb = volume_field(ig, "rootVolumeSize", "size").and_then(Node::as_i64);
    let volume_type = volume_field(ig, "rootVolumeType", "type").and_then(Node::as_str);
    cost.per_instance = (|| {
        let (provider, region) = location.as_ref().map_err(Clone::clone)?;
        let machine = ig.machine_type.as_deref().ok_or("no machineType")?;
        let hourly = table
            .get(provider, region, machine)
            .ok_or_else(|| format!("no price for {machine} in {provider} {region}"))?;
        let mut monthly = hourly.usd.0.saturating_mul(HOURS_PER_MONTH);
        match (
            volume_gb.map(|gb| u64::try_from(gb).unwrap_or(0)),
            volume_type,
        ) {
            (Some(gb), Some(kind)) => {
                let item = format!("volume:{kind}");
                let per_gb = table.get(provider, region, &item).ok_or_else(|| {
                    format!("no price for root volume type {kind} in {provider} {region}")
                })?;
                monthly = monthly.saturating_add(per_gb.usd.0.saturating_mul(gb));
            }
            (Some(gb), None) => {
                cost.volume_note = Some(format!(
                    "root volume of {gb} GB not counted: no rootVolumeType (kops picks its default)"
                ));
            }
            (None, _) => {}
        }
        Ok(Micros(monthly))
    })();
    cost
}

#[cfg(test)]
mod tests;
