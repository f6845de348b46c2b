//! State stores: the kops `--state` URL (`s3://`, `gs://`, `file://` …), the production and
//! dry-run roles a stage binds to, and the dry-run store's on-disk layout and seed
//! (`docs/ARCHITECTURE.md`, "The dry-run store").

use std::fmt;

use anyhow::{bail, Context as _};
use camino::{Utf8Path, Utf8PathBuf};

use crate::spec::ClusterSpec;

/// A kops state store URL, e.g. `s3://k8s-kops` or `file:///tmp/x`. Bare paths are `file://`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StateStore {
    scheme: String,
    /// Bucket (or host part); empty for `file://`.
    bucket: String,
    /// Path below the bucket, without leading or trailing `/` (absolute path for `file://`).
    prefix: String,
}

/// URL schemes some kops version accepts as a state store (docs/KOPS.md §5.1).
const KNOWN_SCHEMES: &[&str] = &[
    "s3",
    "gs",
    "do",
    "swift",
    "memfs",
    "k8s",
    "file",
    "oss",
    "vault",
    "azureblob",
    "scw",
    "hos",
    "linode",
];

impl StateStore {
    /// Parses a state store URL as kops accepts it for `--state` / `KOPS_STATE_STORE`.
    pub fn parse(url: &str) -> anyhow::Result<StateStore> {
        let url = url.trim();
        if url.is_empty() {
            bail!("empty state store URL: use e.g. s3://my-kops-bucket");
        }
        let Some((scheme, rest)) = url.split_once("://") else {
            // kops treats a bare path as a local file store.
            return Ok(StateStore::file(Utf8Path::new(url)));
        };
        if !KNOWN_SCHEMES.contains(&scheme) {
            bail!(
                "state store {url:?} has an unknown scheme {scheme:?}: kops accepts {}",
                KNOWN_SCHEMES.join("://, ") + "://"
            );
        }
        if scheme == "file" {
            return Ok(StateStore::file(Utf8Path::new(rest)));
        }
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            bail!("state store {url:?} has no bucket: use e.g. {scheme}://my-kops-bucket");
        }
        Ok(StateStore {
            scheme: scheme.to_owned(),
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
        })
    }

    /// A `file://` store rooted at `dir`.
    pub fn file(dir: &Utf8Path) -> StateStore {
        let path = dir.as_str();
        let path = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        StateStore {
            scheme: "file".to_owned(),
            bucket: String::new(),
            prefix: path.to_owned(),
        }
    }

    /// The store that holds a cluster whose `spec.configBase` is `config_base`: kops puts a
    /// cluster at `<state>/<cluster-name>`, so the store is the parent when the last segment is
    /// the cluster's name. `None` when the configBase does not have that shape.
    pub fn from_config_base(config_base: &str, cluster: &str) -> Option<StateStore> {
        let config_base = config_base.trim_end_matches('/');
        let (parent, last) = config_base.rsplit_once('/')?;
        if last != cluster {
            return None;
        }
        let store = StateStore::parse(parent).ok()?;
        (store.scheme != "file" || !store.prefix.is_empty()).then_some(store)
    }

    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    pub fn is_file(&self) -> bool {
        self.scheme == "file"
    }

    /// The store with `segment` appended to its path (a cluster's directory in the store).
    pub fn join(&self, segment: &str) -> StateStore {
        let mut joined = self.clone();
        joined.prefix = match (self.prefix.as_str(), self.is_file()) {
            ("", _) => segment.to_owned(),
            ("/", true) => format!("/{segment}"),
            (p, _) => format!("{p}/{segment}"),
        };
        joined
    }

    /// Where a cluster's `spec.configBase` is in this store.
    pub fn config_base_for(&self, cluster: &str) -> String {
        let url = self.join(cluster).to_string();
        // kops stores configBase of file stores without the scheme (docs/KOPS.md §5.1).
        match url.strip_prefix("file://") {
            Some(path) => path.to_owned(),
            None => url,
        }
    }
}

impl fmt::Display for StateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_file() {
            return write!(f, "file://{}", self.prefix);
        }
        write!(f, "{}://{}", self.scheme, self.bucket)?;
        if !self.prefix.is_empty() {
            write!(f, "/{}", self.prefix)?;
        }
        Ok(())
    }
}

impl std::str::FromStr for StateStore {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<StateStore> {
        StateStore::parse(s)
    }
}

/// Which store a stage binds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreRole {
    /// The store the running cluster is managed from. Only this role accepts `--yes`.
    Production,
    /// A fresh, per-run, per-cluster store holding a copy of production's `config` and
    /// `instancegroup/*` with the git spec replaced into it (`docs/ARCHITECTURE.md`, "The
    /// dry-run store"). Never `--yes`.
    DryRun,
}

impl fmt::Display for StoreRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreRole::Production => "production store",
            StoreRole::DryRun => "dry-run store",
        })
    }
}

/// The production store of a cluster. Holding one is what allows building a mutating command,
/// so the only way to get one is [`ProductionStore::resolve`], from configuration and the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionStore(StateStore);

impl ProductionStore {
    /// The production store of `cluster`: the configured store (e.g. from `KOPS_STATE_STORE`),
    /// which must agree with the store the spec's `configBase` is in, or without one the store
    /// derived from `configBase`. `spec_file` names the spec in errors.
    pub fn resolve(
        configured: Option<&StateStore>,
        cluster: &str,
        config_base: Option<&str>,
        spec_file: &Utf8Path,
    ) -> anyhow::Result<ProductionStore> {
        let from_spec = config_base.map(|base| (base, StateStore::from_config_base(base, cluster)));
        let store = match (configured, from_spec) {
            (Some(setting), Some((base, Some(derived)))) if *setting != derived => bail!(
                "cluster {cluster}: spec.configBase {base} is in store {derived}, but the pipeline's production store is {setting}: \
                 make them agree (fix configBase in {spec_file} or KOPS_STATE_STORE)"
            ),
            (Some(setting), _) => setting.clone(),
            (None, Some((_, Some(derived)))) => derived,
            (None, Some((base, None))) => bail!(
                "cluster {cluster}: cannot tell the state store from spec.configBase {base} (it does not end in /{cluster}): \
                 set the pipeline's production store (KOPS_STATE_STORE)"
            ),
            (None, None) => bail!(
                "cluster {cluster}: no production state store: set spec.configBase in {spec_file} or the pipeline's production store (KOPS_STATE_STORE)"
            ),
        };
        Ok(ProductionStore(store))
    }

    pub fn store(&self) -> &StateStore {
        &self.0
    }
}

/// A per-run dry-run store: a `file://` directory. It has no way to produce a `--yes` command
/// (see `kops`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryRunStore {
    store: StateStore,
    dir: Utf8PathBuf,
}

impl DryRunStore {
    /// A `file://` store rooted at `dir`, a per-run scratch directory.
    pub fn in_dir(dir: &Utf8Path) -> DryRunStore {
        DryRunStore {
            store: StateStore::file(dir),
            dir: dir.to_owned(),
        }
    }

    pub fn store(&self) -> &StateStore {
        &self.store
    }

    /// The store's local directory.
    pub fn dir(&self) -> &Utf8Path {
        &self.dir
    }

    /// Layout of a cluster in a `file://` store: `DIR/NAME/config`.
    pub fn cluster_config_path(&self, cluster: &str) -> Utf8PathBuf {
        self.dir.join(cluster).join("config")
    }

    /// `DIR/NAME/instancegroup/IG`.
    pub fn instance_group_path(&self, cluster: &str, instance_group: &str) -> Utf8PathBuf {
        self.dir
            .join(cluster)
            .join("instancegroup")
            .join(instance_group)
    }
}

/// What a dry-run store is seeded with: production's files, as kops keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryRunSeed {
    /// Each file to write (a path in the store's directory) and its contents.
    pub files: Vec<(Utf8PathBuf, String)>,
    /// Live instance groups left out because git no longer has them, sorted by name.
    pub left_out: Vec<String>,
}

/// What seeds a dry-run store (`docs/ARCHITECTURE.md`, "The dry-run store"): only
/// production's `config` and the `instancegroup/*` of the instance groups git still has; `configBase` is left as it is (it keeps pointing at
/// production, where kops reads pki and secrets). Pure: the caller writes the files.
pub fn dry_run_seed(
    store: &DryRunStore,
    live: &ClusterSpec,
    git_instance_groups: &[&str],
) -> DryRunSeed {
    let cluster = live.name();
    let mut files = vec![(store.cluster_config_path(cluster), live.cluster_yaml())];
    let mut left_out = Vec::new();
    for ig in live.instance_group_names() {
        if !git_instance_groups.contains(&ig) {
            left_out.push(ig.to_owned());
        } else if let Some(yaml) = live.instance_group_yaml(ig) {
            files.push((store.instance_group_path(cluster, ig), yaml));
        }
    }
    left_out.sort();
    DryRunSeed { files, left_out }
}

/// The store a command runs against, with its role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Production(ProductionStore),
    DryRun(DryRunStore),
}

impl Target {
    pub fn store(&self) -> &StateStore {
        match self {
            Target::Production(p) => p.store(),
            Target::DryRun(d) => d.store(),
        }
    }

    pub fn role(&self) -> StoreRole {
        match self {
            Target::Production(_) => StoreRole::Production,
            Target::DryRun(_) => StoreRole::DryRun,
        }
    }
}

impl From<&ProductionStore> for Target {
    fn from(p: &ProductionStore) -> Target {
        Target::Production(p.clone())
    }
}

impl From<&DryRunStore> for Target {
    fn from(d: &DryRunStore) -> Target {
        Target::DryRun(d.clone())
    }
}

/// Reads `KOPS_STATE_STORE`-style text into a store, naming where it came from on error.
pub fn parse_store_setting(value: &str, origin: &str) -> anyhow::Result<StateStore> {
    StateStore::parse(value).with_context(|| format!("invalid state store in {origin}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders_urls() -> anyhow::Result<()> {
        for url in [
            "s3://k8s-kops",
            "s3://k8s-kops/prefix/deeper",
            "gs://bucket",
            "file:///tmp/store",
            "azureblob://container/p",
        ] {
            assert_eq!(StateStore::parse(url)?.to_string(), url);
        }
        assert_eq!(StateStore::parse("s3://b/p/")?.to_string(), "s3://b/p");
        assert_eq!(
            StateStore::parse("/srv/kstate")?.to_string(),
            "file:///srv/kstate"
        );
        assert!(StateStore::parse("ftp://x").is_err());
        assert!(StateStore::parse("s3://").is_err());
        assert!(StateStore::parse("").is_err());
        Ok(())
    }

    #[test]
    fn derives_store_from_config_base() -> anyhow::Result<()> {
        let s = StateStore::from_config_base(
            "s3://k8s-kops/test.k8s.example.com",
            "test.k8s.example.com",
        );
        assert_eq!(s, Some(StateStore::parse("s3://k8s-kops")?));
        let s = StateStore::from_config_base("/srv/kstate/demo", "demo");
        assert_eq!(s, Some(StateStore::parse("file:///srv/kstate")?));
        assert_eq!(StateStore::from_config_base("s3://b/other", "demo"), None);
        assert_eq!(StateStore::from_config_base("demo", "demo"), None);
        Ok(())
    }

    #[test]
    fn joins_and_config_base() -> anyhow::Result<()> {
        let s = StateStore::parse("s3://b")?;
        assert_eq!(s.join("run-1").to_string(), "s3://b/run-1");
        assert_eq!(s.config_base_for("c"), "s3://b/c");
        let f = StateStore::file(Utf8Path::new("/tmp/x/"));
        assert_eq!(f.config_base_for("c"), "/tmp/x/c");
        let d = DryRunStore::in_dir(Utf8Path::new("/tmp/x"));
        assert_eq!(d.store().to_string(), "file:///tmp/x");
        assert_eq!(
            d.instance_group_path("c", "nodes"),
            "/tmp/x/c/instancegroup/nodes"
        );
        Ok(())
    }

    #[test]
    fn production_store_from_configuration_and_config_base() -> anyhow::Result<()> {
        let setting = StateStore::parse("s3://k8s-kops")?;
        let file = Utf8Path::new("cluster-spec/c.yml");
        let resolve = |configured, base| ProductionStore::resolve(configured, "c", base, file);
        assert_eq!(resolve(Some(&setting), None)?.store(), &setting);
        assert_eq!(
            resolve(Some(&setting), Some("s3://k8s-kops/c"))?.store(),
            &setting
        );
        assert_eq!(
            resolve(None, Some("gs://other/c"))?.store().to_string(),
            "gs://other"
        );
        let message = |configured, base| format!("{:#}", resolve(configured, base).unwrap_err());
        assert!(message(Some(&setting), Some("gs://other/c")).contains("make them agree"));
        assert!(message(None, Some("gs://other/x")).contains("does not end in /c"));
        assert!(message(None, None).contains("no production state store"));
        Ok(())
    }

    const LIVE_CLUSTER: &str = "\
apiVersion: kops.k8s.io/v1alpha2
kind: Cluster
metadata:
  name: demo.example.com
spec:
  configBase: s3://k8s-kops/demo.example.com
";

    fn live_instance_groups(names: &[&str]) -> String {
        names
            .iter()
            .map(|name| {
                format!(
                    "apiVersion: kops.k8s.io/v1alpha2\nkind: InstanceGroup\nmetadata:\n  \
                     labels:\n    kops.k8s.io/cluster: demo.example.com\n  name: {name}\n\
                     spec:\n  role: Node\n"
                )
            })
            .collect::<Vec<_>>()
            .join("---\n")
    }

    #[test]
    fn seed_copies_config_and_the_instance_groups_git_still_has() -> anyhow::Result<()> {
        let live = ClusterSpec::from_kops_output(
            LIVE_CLUSTER,
            &live_instance_groups(&["nodes", "old-b", "control-plane", "old-a"]),
        )?;
        let store = DryRunStore::in_dir(Utf8Path::new("/tmp/run/store"));
        // git still has nodes and control-plane, dropped old-a and old-b, and adds new (which
        // production does not have: kops replace --force creates it).
        let seed = dry_run_seed(&store, &live, &["control-plane", "nodes", "new"]);
        let paths: Vec<&str> = seed.files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/tmp/run/store/demo.example.com/config",
                "/tmp/run/store/demo.example.com/instancegroup/nodes",
                "/tmp/run/store/demo.example.com/instancegroup/control-plane",
            ]
        );
        let (_, config) = &seed.files[0];
        assert!(config.contains("kind: Cluster"), "{config}");
        assert!(
            config.contains("configBase: s3://k8s-kops/demo.example.com"),
            "configBase keeps pointing at production: {config}"
        );
        let (_, nodes) = &seed.files[1];
        assert!(nodes.contains("name: nodes"), "{nodes}");
        assert_eq!(seed.left_out, ["old-a", "old-b"]);

        let everything = dry_run_seed(&store, &live, &["nodes", "old-b", "control-plane", "old-a"]);
        assert_eq!(everything.files.len(), 5);
        assert!(everything.left_out.is_empty());
        let nothing = dry_run_seed(&store, &live, &[]);
        assert_eq!(nothing.files.len(), 1, "config only");
        assert_eq!(nothing.left_out.len(), 4);
        Ok(())
    }
}
