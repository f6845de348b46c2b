//! Two environments in two `file://` state stores on disk — dev (wave 1) and prod (wave 2),
//! as `Pipeline::with_cluster_stores` and `with_cluster_waves` give them — run by an `Executor`
//! whose kops is the kops stand-in (`xtask/tests/kops-standin.sh`, replaying real recordings and
//! logging what a `file://` store holds at each call). A plan: each cluster's reads of
//! production name its own store, and its dry-run copy's `configBase` points there. A deploy:
//! dev's calls, all against dev's store, before prod's. Neither run writes into a production
//! store: kops does all store I/O (docs/ARCHITECTURE.md), kopsflow only its own dry-run store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use camino::Utf8PathBuf;
use kopsflow::kops::{KopsVersion, Mode};
use kopsflow::pipeline::{BranchCondition, Context, DryRunStep, Pipeline, ProductionStep, Stage};
use kopsflow::report::RunSummary;
use kopsflow::store::StateStore;

use crate::samples::sample;
use crate::standin;

const DEV: &str = "dev.example.com";
const PROD: &str = "prod.example.com";

/// A repository root with both specs, the stand-in as `kops`, and the two stores.
struct Fleet {
    dir: tempfile::TempDir,
}

impl Fleet {
    /// `new_clusters`: production has neither cluster yet (`KOPS_STANDIN_NEW_CLUSTER=1`).
    fn new(new_clusters: bool) -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("cluster-spec")).unwrap();
        for (cluster, env) in [(DEV, "dev"), (PROD, "prod")] {
            std::fs::write(
                root.join(format!("cluster-spec/{cluster}.yml")),
                spec(cluster),
            )
            .unwrap();
            // Production as kops keeps it in a file:// store: `<cluster>/config` and its
            // instance groups (the layout of state-store-layout.REAL.kops-1.29.2.txt).
            let base = root.join(format!("stores/{env}/{cluster}"));
            std::fs::create_dir_all(base.join("instancegroup")).unwrap();
            std::fs::write(base.join("config"), format!("# {cluster} in {env}\n")).unwrap();
            std::fs::write(base.join("instancegroup/nodes-us-east-1a"), "# ig\n").unwrap();
        }
        let knobs: &[(&str, &str)] = if new_clusters {
            &[("KOPS_STANDIN_NEW_CLUSTER", "1")]
        } else {
            &[]
        };
        standin::install(root, knobs);
        Fleet { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `file://…/stores/ENV`.
    fn store(&self, env: &str) -> String {
        format!("file://{}/stores/{env}", self.root().display())
    }

    /// Every file under `stores/`, with its contents.
    fn stores(&self) -> BTreeMap<PathBuf, String> {
        let mut files = BTreeMap::new();
        let mut dirs = vec![self.root().join("stores")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    let text = std::fs::read_to_string(&path).unwrap();
                    files.insert(path, text);
                }
            }
        }
        files
    }

    /// The kops calls: each one's argv and the lines the stand-in logged about it.
    fn calls(&self) -> Vec<(String, Vec<String>)> {
        standin::calls(self.root())
    }

    /// Runs `stages` for both clusters, each from its environment's store and wave.
    fn run(&self, stages: Vec<Stage>, command: &str) -> RunSummary {
        let root: Utf8PathBuf = self.root().to_str().unwrap().into();
        let ctx = Context {
            branch: "main".to_owned(),
            kops_version: KopsVersion::new(1, 29, 2),
            // Selected prod first: the waves put dev first.
            clusters: standin::targets([PROD, DEV]),
            work_dir: root.join("work"),
        };
        let placed = [(DEV, "dev", 1), (PROD, "prod", 2)];
        let stores = placed
            .iter()
            .map(|(c, env, _)| (c.to_string(), StateStore::parse(&self.store(env)).unwrap()))
            .collect();
        let waves = standin::placements(&placed);
        let plan = Pipeline::new(None, stages)
            .with_cluster_stores(stores)
            .with_cluster_waves(waves)
            .resolve(&ctx)
            .unwrap();
        let exec = standin::executor(root, 1, false, Arc::new(|_: &str| {}));
        exec.run(&plan, command)
    }
}

/// The real `kops get` recordings of cluster `test.k8s.local`, renamed, without the server-set
/// `creationTimestamp` and without `configBase` (kopsflow injects it), joined with `---`.
fn spec(cluster: &str) -> String {
    let strip = |text: String| -> String {
        text.lines()
            .filter(|l| !l.contains("creationTimestamp") && !l.contains("configBase"))
            .map(|l| format!("{}\n", l.replace("test.k8s.local", cluster)))
            .collect()
    };
    let cluster_doc = strip(sample("get-cluster-o-yaml.REAL.kops-1.29.2.yaml"));
    let igs = strip(sample("get-instancegroups-o-yaml.REAL.kops-1.29.2.yaml"));
    format!("{cluster_doc}---\n{igs}")
}

/// The value after `--state` in an argv.
fn state_of(argv: &str) -> &str {
    argv.split(' ')
        .skip_while(|w| *w != "--state")
        .nth(1)
        .unwrap_or_default()
}

fn no_errors(summary: &RunSummary) {
    for c in &summary.clusters {
        assert_eq!(c.error, None, "{}", c.cluster);
    }
}

/// Two new clusters (production has none yet), so the dry-run copies get the configBase the
/// plan gives them — the environment's store — rather than the one production reports (which
/// kopsflow prefers when there is one, and which the stand-in replays from its recording).
#[test]
fn a_plan_reads_each_cluster_from_its_own_file_store() {
    let fleet = Fleet::new(true);
    let before = fleet.stores();
    let test = Stage::dry_run(
        "Test",
        BranchCondition::Always,
        vec![
            DryRunStep::CopyProduction,
            DryRunStep::ReplaceSpec,
            DryRunStep::PreviewUpdate,
        ],
    );
    let summary = fleet.run(vec![test], "plan");
    no_errors(&summary);
    let calls = fleet.calls();
    assert!(!calls.is_empty());
    for (cluster, env) in [(DEV, "dev"), (PROD, "prod")] {
        let store = fleet.store(env);
        let mine: Vec<&(String, Vec<String>)> = calls
            .iter()
            .filter(|(argv, _)| {
                argv.split(' ').any(|w| w == cluster) || argv.contains(&format!("/{cluster}.yaml"))
            })
            .collect();
        // Production is read from the environment's store, and the stand-in saw it on disk.
        let reads: Vec<_> = mine
            .iter()
            .filter(|(argv, _)| argv.starts_with("get "))
            .collect();
        assert!(!reads.is_empty(), "{mine:?}");
        for (argv, seen) in &reads {
            assert_eq!(state_of(argv), store, "{argv}");
            let config = format!("store-file: ./{cluster}/config");
            assert!(seen.contains(&config), "{argv}: {seen:?}");
        }
        // The dry-run copy is its own file:// store, its configBase in the environment's store.
        let (replace, seen) = mine
            .iter()
            .find(|(argv, _)| argv.starts_with("replace "))
            .map(|(a, s)| (a, s))
            .unwrap_or_else(|| panic!("no replace for {cluster}: {mine:?}"));
        let dry_run = state_of(replace);
        assert!(
            dry_run.starts_with("file://") && !dry_run.contains("/stores/"),
            "{replace}"
        );
        // A file:// store's configBase is its path, as kops writes it (`/srv/kstate/NAME`).
        let planned = StateStore::parse(&store).unwrap().config_base_for(cluster);
        assert_eq!(planned, format!("{}/{cluster}", &store["file://".len()..]));
        let base = format!("spec-configBase: configBase: {planned}");
        assert!(seen.contains(&base), "{replace}: {seen:?}");
    }
    assert_eq!(
        fleet.stores(),
        before,
        "a plan writes into no production store"
    );
}

#[test]
fn a_deploy_goes_to_each_store_in_wave_order() {
    let fleet = Fleet::new(false);
    let before = fleet.stores();
    let deploy = Stage::production(
        "Deploy",
        BranchCondition::Always,
        vec![
            ProductionStep::ReadProduction,
            ProductionStep::ReplaceSpec,
            ProductionStep::UpdateCluster(Mode::Apply),
        ],
    );
    let summary = fleet.run(vec![deploy], "deploy");
    no_errors(&summary);
    let order: Vec<(&str, String)> = fleet
        .calls()
        .iter()
        .filter(|(argv, _)| !argv.starts_with("version"))
        .map(|(argv, _)| {
            let cluster = if argv.contains(DEV) { DEV } else { PROD };
            (cluster, state_of(argv).to_owned())
        })
        .collect();
    let (dev, prod) = (fleet.store("dev"), fleet.store("prod"));
    let expected: Vec<(&str, String)> = [(DEV, &dev); 4]
        .into_iter()
        .chain([(PROD, &prod); 4])
        .map(|(c, s)| (c, s.clone()))
        .collect();
    assert_eq!(
        order, expected,
        "dev's four calls in its store, then prod's in its own"
    );
    // kops (here the stand-in, which only replays) does the store I/O; kopsflow writes none.
    assert_eq!(fleet.stores(), before);
}
