//! kops command lines as typed values (`KopsCommand`), rendered to program + argv + env and to a
//! copy-paste-safe display form; `KopsVersion` and what each kops version needs; the version pin
//! (`pin`).

pub mod pin;

use std::fmt;
use std::time::Duration;

use crate::duration::format_go;
use crate::store::{ProductionStore, StateStore, Target};
use anyhow::{bail, Context as _};
use camino::Utf8PathBuf;

/// A kops client version, e.g. 1.29.2 or 1.30.0-beta.1.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KopsVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    /// Pre-release suffix without the `-`, e.g. `beta.1`.
    pub pre: Option<String>,
}

impl KopsVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> KopsVersion {
        KopsVersion {
            major,
            minor,
            patch,
            pre: None,
        }
    }

    /// Parses `kops version` output in every known format: `Version 1.9.0 (git-…)` (≤1.23),
    /// `Client version: 1.29.2 (git-…)` (1.24+) and `--short`'s bare `1.29.2`.
    pub fn parse_version_output(output: &str) -> anyhow::Result<KopsVersion> {
        for line in output.lines() {
            let line = line.trim();
            let rest = line
                .strip_prefix("Client version:")
                .or_else(|| line.strip_prefix("Version"))
                .unwrap_or(line)
                .trim_start();
            let word = rest.split_whitespace().next().unwrap_or("");
            let word = word.strip_prefix('v').unwrap_or(word);
            if let Ok(version) = word.parse::<KopsVersion>() {
                return Ok(version);
            }
        }
        bail!(
            "could not find a version in `kops version` output {:?}: expected `Client version: 1.29.2 (git-…)` or `Version 1.9.0 (git-…)`",
            output.trim()
        )
    }

    /// `--admin` on `export kubecfg` exists from 1.19; before, the admin user was always written.
    pub fn export_kubecfg_needs_admin_flag(&self) -> bool {
        *self >= KopsVersion::new(1, 19, 0)
    }

    /// `file://` state stores are supported from kops 1.17 (docs/KOPS.md §5.1).
    pub fn supports_file_store(&self) -> bool {
        *self >= KopsVersion::new(1, 17, 0)
    }

    /// kops ≤1.30 reads the Kubernetes API through the kubeconfig context named after the
    /// cluster, so `export kubecfg` must run before `rolling-update`/`validate` (docs/KOPS.md §2.2).
    pub fn rolling_update_needs_kubeconfig(&self) -> bool {
        *self < KopsVersion::new(1, 31, 0)
    }
}

impl std::str::FromStr for KopsVersion {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> anyhow::Result<KopsVersion> {
        let (core, pre) = match s.split_once('-') {
            Some((core, pre)) if !pre.is_empty() => (core, Some(pre.to_owned())),
            Some(_) => bail!("{s:?} is not a version: empty pre-release"),
            None => (s, None),
        };
        let mut parts = core.split('.');
        let mut number = |what: &str| -> anyhow::Result<u32> {
            let part = parts
                .next()
                .with_context(|| format!("{s:?} is not a version: no {what} number"))?;
            part.parse()
                .with_context(|| format!("{s:?} is not a version: bad {what} number {part:?}"))
        };
        let version = KopsVersion {
            major: number("major")?,
            minor: number("minor")?,
            patch: number("patch")?,
            pre,
        };
        if parts.next().is_some() {
            bail!("{s:?} is not a version: more than three numbers");
        }
        Ok(version)
    }
}

impl fmt::Display for KopsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        Ok(())
    }
}

/// Preview (kops's default dry-run) or apply (`--yes`). Only reachable with a production store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Preview,
    Apply,
}

/// What a kops command does; private so that `--yes` can only be built from a
/// [`ProductionStore`] through the constructors below.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Operation {
    GetCluster {
        cluster: String,
    },
    GetInstanceGroups {
        cluster: String,
    },
    Replace {
        file: Utf8PathBuf,
        force: bool,
    },
    ExportKubecfg {
        cluster: String,
        admin: bool,
    },
    UpdateCluster {
        cluster: String,
        mode: Mode,
    },
    RollingUpdate {
        cluster: String,
        mode: Mode,
        cloud_only: bool,
        instance_groups: Vec<String>,
    },
    DeleteInstanceGroup {
        cluster: String,
        instance_group: String,
        mode: Mode,
    },
    ValidateCluster {
        cluster: String,
        wait: Option<Duration>,
    },
    Version,
}

/// One kops invocation: program, arguments and extra environment. Never a shell string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KopsCommand {
    operation: Operation,
    target: Option<Target>,
    env: Vec<(String, String)>,
}

impl KopsCommand {
    fn new(operation: Operation, target: Option<Target>) -> KopsCommand {
        KopsCommand {
            operation,
            target,
            env: Vec::new(),
        }
    }

    /// `kops get cluster NAME -o yaml --state S`.
    pub fn get_cluster(cluster: &str, target: impl Into<Target>) -> KopsCommand {
        Self::new(
            Operation::GetCluster {
                cluster: cluster.to_owned(),
            },
            Some(target.into()),
        )
    }

    /// `kops get instancegroups --name NAME -o yaml --state S`.
    pub fn get_instance_groups(cluster: &str, target: impl Into<Target>) -> KopsCommand {
        Self::new(
            Operation::GetInstanceGroups {
                cluster: cluster.to_owned(),
            },
            Some(target.into()),
        )
    }

    /// `kops replace -f FILE --state S [--force]`; `--force` creates what does not exist yet.
    pub fn replace(file: Utf8PathBuf, target: impl Into<Target>, force: bool) -> KopsCommand {
        Self::new(Operation::Replace { file, force }, Some(target.into()))
    }

    /// `kops export kubecfg NAME --state S [--admin]` (`--admin` from kops 1.19 on).
    pub fn export_kubecfg(
        cluster: &str,
        target: impl Into<Target>,
        version: &KopsVersion,
    ) -> KopsCommand {
        Self::new(
            Operation::ExportKubecfg {
                cluster: cluster.to_owned(),
                admin: version.export_kubecfg_needs_admin_flag(),
            },
            Some(target.into()),
        )
    }

    /// `kops update cluster NAME --state S` without `--yes`: a dry-run, against any store.
    pub fn update_cluster_preview(cluster: &str, target: impl Into<Target>) -> KopsCommand {
        Self::new(
            Operation::UpdateCluster {
                cluster: cluster.to_owned(),
                mode: Mode::Preview,
            },
            Some(target.into()),
        )
    }

    /// `kops update cluster NAME --state S [--yes]` against production.
    pub fn update_cluster(cluster: &str, store: &ProductionStore, mode: Mode) -> KopsCommand {
        Self::new(
            Operation::UpdateCluster {
                cluster: cluster.to_owned(),
                mode,
            },
            Some(store.into()),
        )
    }

    /// `kops rolling-update cluster NAME --state S [--cloudonly] [--instance-group IG…] [--yes]`.
    pub fn rolling_update(
        cluster: &str,
        store: &ProductionStore,
        mode: Mode,
        cloud_only: bool,
        instance_groups: &[String],
    ) -> KopsCommand {
        Self::new(
            Operation::RollingUpdate {
                cluster: cluster.to_owned(),
                mode,
                cloud_only,
                instance_groups: instance_groups.to_vec(),
            },
            Some(store.into()),
        )
    }

    /// `kops delete instancegroup IG --name NAME --state S [--yes]`.
    pub fn delete_instance_group(
        cluster: &str,
        instance_group: &str,
        store: &ProductionStore,
        mode: Mode,
    ) -> KopsCommand {
        Self::new(
            Operation::DeleteInstanceGroup {
                cluster: cluster.to_owned(),
                instance_group: instance_group.to_owned(),
                mode,
            },
            Some(store.into()),
        )
    }

    /// `kops validate cluster NAME --state S [--wait 10m]`.
    pub fn validate_cluster(
        cluster: &str,
        store: &ProductionStore,
        wait: Option<Duration>,
    ) -> KopsCommand {
        Self::new(
            Operation::ValidateCluster {
                cluster: cluster.to_owned(),
                wait,
            },
            Some(store.into()),
        )
    }

    /// `kops version`.
    pub fn version() -> KopsCommand {
        Self::new(Operation::Version, None)
    }

    /// Adds an environment variable for this invocation (on top of the inherited environment).
    pub fn with_env(mut self, key: &str, value: &str) -> KopsCommand {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn program(&self) -> &'static str {
        "kops"
    }

    /// The arguments after the program name.
    pub fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = Vec::new();
        let mut push = |items: &[&str]| args.extend(items.iter().map(|s| (*s).to_owned()));
        match &self.operation {
            Operation::GetCluster { cluster } => push(&["get", "cluster", cluster, "-o", "yaml"]),
            Operation::GetInstanceGroups { cluster } => {
                push(&["get", "instancegroups", "--name", cluster, "-o", "yaml"])
            }
            Operation::Replace { file, .. } => push(&["replace", "-f", file.as_str()]),
            Operation::ExportKubecfg { cluster, .. } => push(&["export", "kubecfg", cluster]),
            Operation::UpdateCluster { cluster, .. } => push(&["update", "cluster", cluster]),
            Operation::RollingUpdate { cluster, .. } => {
                push(&["rolling-update", "cluster", cluster])
            }
            Operation::DeleteInstanceGroup {
                cluster,
                instance_group,
                ..
            } => push(&["delete", "instancegroup", instance_group, "--name", cluster]),
            Operation::ValidateCluster { cluster, .. } => push(&["validate", "cluster", cluster]),
            Operation::Version => push(&["version"]),
        }
        if let Some(target) = &self.target {
            args.push("--state".to_owned());
            args.push(target.store().to_string());
        }
        match &self.operation {
            Operation::Replace { force: true, .. } => args.push("--force".to_owned()),
            Operation::ExportKubecfg { admin: true, .. } => args.push("--admin".to_owned()),
            Operation::RollingUpdate {
                cloud_only,
                instance_groups,
                ..
            } => {
                if *cloud_only {
                    args.push("--cloudonly".to_owned());
                }
                for ig in instance_groups {
                    args.push("--instance-group".to_owned());
                    args.push(ig.clone());
                }
            }
            Operation::ValidateCluster {
                wait: Some(wait), ..
            } => {
                args.push("--wait".to_owned());
                args.push(format_go(*wait));
            }
            _ => {}
        }
        if self.mode() == Some(Mode::Apply) {
            args.push("--yes".to_owned());
        }
        args
    }

    /// Extra environment for this invocation.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    pub fn target(&self) -> Option<&Target> {
        self.target.as_ref()
    }

    fn mode(&self) -> Option<Mode> {
        match &self.operation {
            Operation::UpdateCluster { mode, .. }
            | Operation::RollingUpdate { mode, .. }
            | Operation::DeleteInstanceGroup { mode, .. } => Some(*mode),
            _ => None,
        }
    }

    /// Whether the command carries `--yes`.
    pub fn applies(&self) -> bool {
        self.mode() == Some(Mode::Apply)
    }

    /// Whether running it changes the state store or the cloud (replace writes the store;
    /// `--yes` changes the cloud).
    pub fn mutates(&self) -> bool {
        matches!(self.operation, Operation::Replace { .. }) || self.applies()
    }

    /// Whether it changes the production store or production cloud resources.
    pub fn mutates_production(&self) -> bool {
        // A dry-run store shares cluster name and configBase with production: `--yes` there
        // would change production. The constructors make that impossible; check it anyway.
        self.applies() || (self.mutates() && matches!(self.target, Some(Target::Production(_))))
    }

    /// The short name of the kops subcommand, e.g. `update cluster`.
    pub fn subcommand(&self) -> &'static str {
        match self.operation {
            Operation::GetCluster { .. } => "get cluster",
            Operation::GetInstanceGroups { .. } => "get instancegroups",
            Operation::Replace { .. } => "replace",
            Operation::ExportKubecfg { .. } => "export kubecfg",
            Operation::UpdateCluster { .. } => "update cluster",
            Operation::RollingUpdate { .. } => "rolling-update cluster",
            Operation::DeleteInstanceGroup { .. } => "delete instancegroup",
            Operation::ValidateCluster { .. } => "validate cluster",
            Operation::Version => "version",
        }
    }

    /// The state store the command uses, if any.
    pub fn store(&self) -> Option<&StateStore> {
        self.target.as_ref().map(Target::store)
    }
}

/// Copy-paste-safe form: `ENV=… kops arg…` with POSIX shell quoting where needed.
impl fmt::Display for KopsCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (key, value) in &self.env {
            write!(f, "{key}={} ", shell_quote(value))?;
        }
        f.write_str(self.program())?;
        for arg in self.args() {
            write!(f, " {}", shell_quote(&arg))?;
        }
        Ok(())
    }
}

/// Quotes `s` for a POSIX shell; leaves it bare when that is already safe.
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DryRunStore;

    /// A real recording without its line 1 (the sample's `# origin:` comment).
    fn sample(text: &str) -> String {
        text.split_once('\n')
            .map(|(_, rest)| rest.to_owned())
            .unwrap_or_default()
    }

    #[test]
    fn parses_real_version_outputs() -> anyhow::Result<()> {
        let v = KopsVersion::parse_version_output(&sample(include_str!(
            "../tests/kops-samples/version.REAL.kops-1.29.2.txt"
        )))?;
        assert_eq!(v, KopsVersion::new(1, 29, 2));
        let v = KopsVersion::parse_version_output(&sample(include_str!(
            "../tests/kops-samples/version-short.REAL.kops-1.29.2.txt"
        )))?;
        assert_eq!(v, KopsVersion::new(1, 29, 2));
        let v = KopsVersion::parse_version_output(&sample(include_str!(
            "../tests/kops-samples/version.REAL.kops-1.36.2.txt"
        )))?;
        assert_eq!(v, KopsVersion::new(1, 36, 2));
        Ok(())
    }

    #[test]
    fn parses_documented_version_formats() -> anyhow::Result<()> {
        // Formats from docs/KOPS.md §4.4 (kops ≤1.23, with a full SHA, without GitVersion).
        let v = KopsVersion::parse_version_output("Version 1.9.0 (git-cccd49c)\n")?;
        assert_eq!(v, KopsVersion::new(1, 9, 0));
        let v = KopsVersion::parse_version_output(
            "Version 1.21.4 (git-53e6bf3e5b0a77c78df2a7c60baca6e926fd5105)",
        )?;
        assert_eq!(v, KopsVersion::new(1, 21, 4));
        let v = KopsVersion::parse_version_output("Client version: 1.30.0-beta.1")?;
        assert_eq!(v.pre.as_deref(), Some("beta.1"));
        assert_eq!(v.to_string(), "1.30.0-beta.1");
        assert!(KopsVersion::parse_version_output("command not found").is_err());
        assert!("1.2".parse::<KopsVersion>().is_err());
        assert!("1.2.3.4".parse::<KopsVersion>().is_err());
        Ok(())
    }

    #[test]
    fn version_dependent_behaviour() {
        let old = KopsVersion::new(1, 9, 0);
        let new = KopsVersion::new(1, 29, 2);
        assert!(!old.export_kubecfg_needs_admin_flag());
        assert!(KopsVersion::new(1, 19, 0).export_kubecfg_needs_admin_flag());
        assert!(!KopsVersion::new(1, 18, 3).export_kubecfg_needs_admin_flag());
        assert!(!old.supports_file_store() && new.supports_file_store());
        assert!(new.rolling_update_needs_kubeconfig());
        assert!(!KopsVersion::new(1, 31, 0).rolling_update_needs_kubeconfig());
    }

    fn production() -> anyhow::Result<ProductionStore> {
        let store = StateStore::parse("s3://k8s-kops")?;
        ProductionStore::resolve(Some(&store), "c", None, "cluster-spec/c.yml".into())
    }

    #[test]
    fn renders_commands() -> anyhow::Result<()> {
        let prod = production()?;
        let dry = DryRunStore::in_dir("/tmp/dry run".into());
        let v = KopsVersion::new(1, 29, 2);
        let lines: Vec<String> = [
            KopsCommand::get_cluster("c.example.com", &prod),
            KopsCommand::get_instance_groups("c.example.com", &prod),
            KopsCommand::replace("/tmp/dry run/c.yaml".into(), &dry, true),
            KopsCommand::export_kubecfg("c.example.com", &prod, &v),
            KopsCommand::export_kubecfg("c.example.com", &prod, &KopsVersion::new(1, 9, 0)),
            KopsCommand::update_cluster_preview("c.example.com", &dry),
            KopsCommand::update_cluster("c.example.com", &prod, Mode::Apply),
            KopsCommand::rolling_update(
                "c.example.com",
                &prod,
                Mode::Preview,
                true,
                &["nodes".into()],
            ),
            KopsCommand::delete_instance_group("c.example.com", "old", &prod, Mode::Apply),
            KopsCommand::validate_cluster("c.example.com", &prod, Some(Duration::from_secs(600))),
            KopsCommand::version().with_env("KUBECONFIG", "/tmp/it's"),
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        insta::assert_snapshot!(lines.join("\n"));
        Ok(())
    }

    #[test]
    fn argv_is_not_a_shell_string() -> anyhow::Result<()> {
        let dry = DryRunStore::in_dir("/tmp/dry run".into());
        let cmd = KopsCommand::replace("/tmp/a b.yaml".into(), &dry, true);
        assert_eq!(
            cmd.args(),
            [
                "replace",
                "-f",
                "/tmp/a b.yaml",
                "--state",
                "file:///tmp/dry run",
                "--force"
            ]
        );
        assert!(cmd.mutates() && !cmd.mutates_production() && !cmd.applies());
        Ok(())
    }

    #[test]
    fn mutation_classification() -> anyhow::Result<()> {
        let prod = production()?;
        assert!(!KopsCommand::get_cluster("c", &prod).mutates());
        assert!(!KopsCommand::update_cluster("c", &prod, Mode::Preview).mutates());
        assert!(KopsCommand::update_cluster("c", &prod, Mode::Apply).mutates_production());
        assert!(KopsCommand::replace("f".into(), &prod, false).mutates_production());
        assert!(!KopsCommand::rolling_update("c", &prod, Mode::Preview, false, &[]).mutates());
        Ok(())
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("s3://a/b"), "s3://a/b");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
    }
}
