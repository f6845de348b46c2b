//! Cluster specs: one `Cluster` and its `InstanceGroup`s per multi-document kops YAML file;
//! parsing with positions, validation into diagnostics, canonical serialisation and spec diff.

pub mod diff;
mod interim;

pub use diff::{ObjectKind, SpecChange, SpecDiff};
pub use interim::{ClusterSpec, Diagnostic, LoadedSpec, Severity};
