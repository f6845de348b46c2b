//! State stores: the kops `--state` URL (`s3://`, `gs://`, `file://` …), the production and
//! dry-run roles a stage binds to, and the dry-run store's on-disk layout (DESIGN §3).

use std::fmt;

use anyhow::{bail, Context as _};
use camino::{Utf8Path, Utf8PathBuf};

/// A kops state store URL, e.g. `s3://k8s-kops` or `file:///tmp/x`. Bare paths are `file://`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StateStore {
    scheme: String,
    /// Bucket (or host part); empty for `file://`.
    bucket: String,
    /// Path below the bucket, without leading or trailing `/` (absolute path for `file://`).
    prefix: String,
}

/// URL schemes some kops version accepts as a state store (KOPS.md §5.1).
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

    /// The local directory of a `file://` store.
    pub fn local_dir(&self) -> Option<&Utf8Path> {
        self.is_file().then(|| Utf8Path::new(&self.prefix))
    }

    /// The store with `segment` appended to its path (a per-run prefix in a test bucket).
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
        // kops stores configBase of file stores without the scheme (KOPS.md §5.1).
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
    /// `instancegroup/*` with the git spec replaced into it (DESIGN §3). Never `--yes`.
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

/// The production store of a cluster. Holding one is what allows building a mutating command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionStore(pub StateStore);

/// A per-run dry-run store. It has no way to produce a `--yes` command (see `kops`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryRunStore(pub StateStore);

impl DryRunStore {
    /// Layout of a cluster in a `file://` dry-run store: `DIR/NAME/config`.
    pub fn cluster_config_path(&self, cluster: &str) -> Option<Utf8PathBuf> {
        Some(self.0.local_dir()?.join(cluster).join("config"))
    }

    /// `DIR/NAME/instancegroup/IG`.
    pub fn instance_group_path(&self, cluster: &str, instance_group: &str) -> Option<Utf8PathBuf> {
        Some(
            self.0
                .local_dir()?
                .join(cluster)
                .join("instancegroup")
                .join(instance_group),
        )
    }
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
            Target::Production(p) => &p.0,
            Target::DryRun(d) => &d.0,
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
        let d = DryRunStore(f);
        assert_eq!(
            d.instance_group_path("c", "nodes")
                .map(Utf8PathBuf::into_string),
            Some("/tmp/x/c/instancegroup/nodes".to_owned())
        );
        Ok(())
    }
}
