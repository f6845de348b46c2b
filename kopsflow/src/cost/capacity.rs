//! The capacity of a change: each cluster's vCPUs and memory before (production's spec) and after
//! (git's), at the floor (every group at `minSize`) and the ceiling (`maxSize`), from its instance
//! groups' machine types and the machine-type facts of a [`MachineTable`] (the bundled
//! `machines.txt`, copied from kops's own table with its source in the header). It reads the same
//! groups as the cost ([`CostChange`]), so a removed group still running (prune off) counts after
//! the change too. Capacity does not depend on the region, so it is known where a price is not;
//! a machine type without a row is unknown, never guessed. Counts are integers (memory in
//! hundredths of a GiB) and every product and sum saturates.

use std::fmt;
use std::sync::OnceLock;

use super::{CostChange, GroupChange, GroupCost};

/// The bundled table's text (`kopsflow/src/cost/machines.txt`).
pub const BUNDLED_MACHINES: &str = include_str!("machines.txt");

/// Memory in hundredths of a GiB (kops's table has at most 2 decimals, so it is exact).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CentiGib(pub u64);

/// `4`, `3.75`, `1.7`, `0.5` (GiB, without the unit).
impl fmt::Display for CentiGib {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        match (frac, frac % 10) {
            (0, _) => write!(f, "{whole}"),
            (_, 0) => write!(f, "{whole}.{}", frac / 10),
            _ => write!(f, "{whole}.{frac:02}"),
        }
    }
}

/// vCPUs and memory: of one instance, or of many.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Capacity {
    pub vcpus: u64,
    pub memory: CentiGib,
}

impl Capacity {
    /// `count` instances of this one.
    pub fn times(self, count: u64) -> Capacity {
        Capacity {
            vcpus: self.vcpus.saturating_mul(count),
            memory: CentiGib(self.memory.0.saturating_mul(count)),
        }
    }

    pub fn plus(self, other: Capacity) -> Capacity {
        Capacity {
            vcpus: self.vcpus.saturating_add(other.vcpus),
            memory: CentiGib(self.memory.0.saturating_add(other.memory.0)),
        }
    }
}

/// `2 vCPU, 4 GiB`.
impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} vCPU, {} GiB", self.vcpus, self.memory)
    }
}

/// Capacity at the floor (every group at `minSize`) and the ceiling (`maxSize`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CapacitySpan {
    pub min: Capacity,
    pub max: Capacity,
}

impl CapacitySpan {
    pub fn plus(self, other: CapacitySpan) -> CapacitySpan {
        CapacitySpan {
            min: self.min.plus(other.min),
            max: self.max.plus(other.max),
        }
    }

    /// `after - before`, at the floor and at the ceiling.
    pub fn delta(before: CapacitySpan, after: CapacitySpan) -> CapacityDelta {
        let d = |a: u64, b: u64| i128::from(a) - i128::from(b);
        CapacityDelta {
            vcpus: (
                d(after.min.vcpus, before.min.vcpus),
                d(after.max.vcpus, before.max.vcpus),
            ),
            memory: (
                d(after.min.memory.0, before.min.memory.0),
                d(after.max.memory.0, before.max.memory.0),
            ),
        }
    }
}

/// `a–b` of two rendered amounts, or one when they are the same.
fn range(a: String, b: String) -> String {
    if a == b {
        a
    } else {
        format!("{a}–{b}")
    }
}

/// `2 vCPU, 4 GiB`, or `2–6 vCPU, 4–12 GiB` when floor and ceiling differ.
impl fmt::Display for CapacitySpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let vcpus = range(self.min.vcpus.to_string(), self.max.vcpus.to_string());
        let memory = range(self.min.memory.to_string(), self.max.memory.to_string());
        write!(f, "{vcpus} vCPU, {memory} GiB")
    }
}

/// A signed change of capacity: vCPUs and memory (hundredths of a GiB), floor and ceiling.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CapacityDelta {
    pub vcpus: (i128, i128),
    pub memory: (i128, i128),
}

impl CapacityDelta {
    pub fn is_zero(&self) -> bool {
        *self == CapacityDelta::default()
    }
}

/// `+4`, `-0.5`, `0`: a signed amount; `unit` hundredths per whole (1 for vCPUs, 100 for GiB).
fn signed(amount: i128, unit: u64) -> String {
    let magnitude = u64::try_from(amount.unsigned_abs()).unwrap_or(u64::MAX);
    let text = if unit == 1 {
        magnitude.to_string()
    } else {
        CentiGib(magnitude).to_string()
    };
    match amount.signum() {
        1 => format!("+{text}"),
        -1 => format!("-{text}"),
        _ => text,
    }
}

/// `+4 vCPU, +8 GiB`, or `0–+4 vCPU, 0–+8 GiB` when floor and ceiling move differently.
impl fmt::Display for CapacityDelta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (v0, v1) = self.vcpus;
        let (m0, m1) = self.memory;
        let vcpus = range(signed(v0, 1), signed(v1, 1));
        let memory = range(signed(m0, 100), signed(m1, 100));
        write!(f, "{vcpus} vCPU, {memory} GiB")
    }
}

/// Machine-type facts by (provider, machine type): sorted, looked up by binary search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MachineTable {
    rows: Vec<(String, String, Capacity)>,
}

impl MachineTable {
    /// The bundled table, parsed once.
    pub fn bundled() -> &'static MachineTable {
        static BUNDLED: OnceLock<MachineTable> = OnceLock::new();
        BUNDLED.get_or_init(|| {
            match MachineTable::parse("kopsflow/src/cost/machines.txt", BUNDLED_MACHINES) {
                Ok(table) => table,
                // A test parses every row of the bundled table.
                Err(e) => panic!("the bundled machine table does not parse: {e}"),
            }
        })
    }

    /// Reads `text` (named `file` in errors): `PROVIDER MACHINE_TYPE VCPUS MEMORY_GIB` per line,
    /// `#` comments. Errors name the line.
    pub fn parse(file: &str, text: &str) -> Result<MachineTable, String> {
        let mut rows = Vec::new();
        for row in super::prices::table_rows(file, text, "PROVIDER MACHINE_TYPE VCPUS MEMORY_GIB") {
            let (line_no, [provider, machine, vcpus, memory]) = row?;
            let vcpus = parse_decimal(vcpus, 0).ok_or_else(|| {
                format!("{file}:{line_no}: {vcpus:?} is not a vCPU count (e.g. 2)")
            })?;
            let memory = parse_decimal(memory, 2).ok_or_else(|| {
                format!("{file}:{line_no}: {memory:?} is not a memory size in GiB (e.g. 3.75)")
            })?;
            let capacity = Capacity {
                vcpus,
                memory: CentiGib(memory),
            };
            rows.push((line_no, provider.to_owned(), machine.to_owned(), capacity));
        }
        rows.sort_by(|a, b| (&a.1, &a.2, a.0).cmp(&(&b.1, &b.2, b.0)));
        if let Some(pair) = rows
            .windows(2)
            .find(|w| (&w[0].1, &w[0].2) == (&w[1].1, &w[1].2))
        {
            let (line_no, provider, machine, _) = &pair[1];
            return Err(format!(
                "{file}:{line_no}: {provider} {machine} is listed twice"
            ));
        }
        Ok(MachineTable {
            rows: rows.into_iter().map(|(_, p, m, c)| (p, m, c)).collect(),
        })
    }

    /// The vCPUs and memory of one `machine` type of `provider`.
    pub fn get(&self, provider: &str, machine: &str) -> Option<Capacity> {
        self.rows
            .binary_search_by(|(p, m, _)| (p.as_str(), m.as_str()).cmp(&(provider, machine)))
            .ok()
            .map(|i| self.rows[i].2)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// A non-negative decimal with at most `decimals` decimals, in units of 10^-`decimals`
/// (`3.75`, 2 → 375); no sign, no exponent.
fn parse_decimal(text: &str, decimals: usize) -> Option<u64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > decimals {
        return None;
    }
    if text.ends_with('.') {
        return None;
    }
    let scale = 10u64.checked_pow(u32::try_from(decimals).ok()?)?;
    let frac: u64 = if decimals == 0 {
        0
    } else {
        format!("{frac:0<decimals$}").parse().ok()?
    };
    whole
        .parse::<u64>()
        .ok()?
        .checked_mul(scale)?
        .checked_add(frac)
}

/// One instance group as one spec has it, with its machine type's capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCapacity {
    pub machine_type: Option<String>,
    pub min_size: u64,
    pub max_size: u64,
    /// One instance; `Err`: why unknown.
    pub per_instance: Result<Capacity, String>,
}

impl GroupCapacity {
    /// At `minSize` and at `maxSize`; `None` when unknown.
    pub fn span(&self) -> Option<CapacitySpan> {
        let each = *self.per_instance.as_ref().ok()?;
        Some(CapacitySpan {
            min: each.times(self.min_size),
            max: each.times(self.max_size),
        })
    }

    /// Same machine type and sizes: the same capacity, known or not.
    fn same_shape(&self, other: &GroupCapacity) -> bool {
        (&self.machine_type, self.min_size, self.max_size)
            == (&other.machine_type, other.min_size, other.max_size)
    }
}

/// One instance group before and after, as the cost has it ([`GroupChange`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCapacityLine {
    pub name: String,
    pub change: GroupChange,
    pub before: Option<GroupCapacity>,
    pub after: Option<GroupCapacity>,
}

impl GroupCapacityLine {
    /// It changes the capacity (added, removed, another machine type or size), or a side is
    /// unknown: the groups a summary lists.
    pub fn changes_capacity(&self) -> bool {
        let unknown = [&self.before, &self.after]
            .into_iter()
            .flatten()
            .any(|side| side.per_instance.is_err());
        unknown
            || match (&self.change, &self.before, &self.after) {
                (GroupChange::Unchanged, _, _) => false,
                (GroupChange::Changed, Some(b), Some(a)) => !b.same_shape(a),
                _ => true,
            }
    }
}

/// The vCPUs and memory of one cluster before and after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapacityChange {
    /// From the cost's location; `Err`: why unknown.
    pub provider: Result<String, String>,
    pub groups: Vec<GroupCapacityLine>,
    /// Production has no such cluster: before is nothing.
    pub new_cluster: bool,
}

impl CapacityChange {
    fn total(
        &self,
        side: impl Fn(&GroupCapacityLine) -> Option<&GroupCapacity>,
    ) -> Option<CapacitySpan> {
        self.groups
            .iter()
            .filter_map(side)
            .try_fold(CapacitySpan::default(), |sum, g| Some(sum.plus(g.span()?)))
    }

    /// Production's capacity (nothing for a new cluster); `None` when a group's is unknown.
    pub fn before(&self) -> Option<CapacitySpan> {
        self.total(|g| g.before.as_ref())
    }

    /// The capacity after the change; `None` when a group's is unknown.
    pub fn after(&self) -> Option<CapacitySpan> {
        self.total(|g| g.after.as_ref())
    }

    /// `after - before`, when both are known.
    pub fn delta(&self) -> Option<CapacityDelta> {
        Some(CapacitySpan::delta(self.before()?, self.after()?))
    }

    /// Why a capacity is unknown, one line per group and reason (`nodes: no capacity for …`).
    pub fn unknown(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for g in &self.groups {
            let whys = [&g.before, &g.after]
                .into_iter()
                .flatten()
                .filter_map(|side| side.per_instance.as_ref().err());
            let mut previous: Option<&String> = None;
            for why in whys {
                if previous != Some(why) {
                    out.push(format!("{}: {why}", g.name));
                }
                previous = Some(why);
            }
        }
        out
    }
}

/// The capacity of the change a [`CostChange`] prices: the same groups, sides and prune rule,
/// each machine type looked up in `table` (once per group and side).
pub fn capacity(cost: &CostChange, table: &MachineTable) -> CapacityChange {
    let provider = match &cost.location {
        Ok((provider, _)) => Ok(provider.clone()),
        Err(why) => Err(format!("cloud provider unknown: {why}")),
    };
    let side = |g: &GroupCost| GroupCapacity {
        machine_type: g.machine_type.clone(),
        min_size: g.min_size,
        max_size: g.max_size,
        per_instance: (|| {
            let provider = provider.as_ref().map_err(Clone::clone)?;
            let machine = g.machine_type.as_deref().ok_or("no machineType")?;
            table
                .get(provider, machine)
                .ok_or_else(|| format!("no capacity for {machine} ({provider})"))
        })(),
    };
    CapacityChange {
        provider: provider.clone(),
        groups: cost
            .groups
            .iter()
            .map(|g| GroupCapacityLine {
                name: g.name.clone(),
                change: g.change,
                before: g.before.as_ref().map(side),
                after: g.after.as_ref().map(side),
            })
            .collect(),
        new_cluster: cost.new_cluster,
    }
}

impl CostChange {
    /// [`capacity`] from the bundled machine table.
    pub fn capacity(&self) -> CapacityChange {
        capacity(self, MachineTable::bundled())
    }
}

#[cfg(test)]
mod tests;
