//! `cargo xtask export --cluster NAME`: writes `cluster-spec/NAME.yml` from production —
//! `kops get cluster NAME -o yaml` and `kops get instancegroups --name NAME -o yaml` against the
//! production store — in canonical form with a header line saying how it was produced
//! (`kopsflow::spec::export_file`). It refuses to overwrite a spec file with uncommitted changes
//! unless `--force`, and writes only a file that validates.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};
use camino::{Utf8Path, Utf8PathBuf};
use kopsflow::exec::{Executor, ProcessOutput, ProcessRunner};
use kopsflow::kops::{KopsCommand, KopsVersion};
use kopsflow::report::{is_cluster_not_found, parse_kops_error};
use kopsflow::spec::{export_file, is_dns1123_subdomain, render_diagnostics, ClusterSpec};
use kopsflow::store::ProductionStore;
use xshell::Shell;

use crate::config::Config;
use crate::env_var;
use crate::flags;
use crate::output::Output;
use crate::specs::SPEC_DIR;

impl flags::Export {
    /// Exports every `--cluster`, going on after a failure; exit 1 if any failed.
    pub fn run(
        self,
        repo: &crate::Repo,
        sh: &Shell,
        output: &Output,
        root: &Utf8Path,
        config: &Config,
    ) -> anyhow::Result<()> {
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancel);
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
            .context("cannot install the Ctrl-C handler")?;
        let exec = Executor {
            kops: kopsflow::exec::find_kops(self.kops.as_deref(), env_var)?,
            runner: ProcessRunner {
                timeout: self.timeout,
                heartbeat: Duration::from_secs(60),
                cancel,
                redactor: output.redactor().clone(),
                log: output.log(),
            },
            root: root.to_owned(),
            jobs: 1,
            keep_going: true,
            locks: None,
            // Export only reads production: nothing for a policy to stop.
            policy: None,
            pricing: None,
        };
        let version = exec.kops_version()?;
        let how = format!("`{} version`", exec.kops);
        crate::pin::check(
            output,
            &repo.kops_pin,
            &version,
            &how,
            self.any_kops_version,
        )?;
        let stores = match config.store_override {
            true => Default::default(),
            false => repo
                .environments()?
                .stores(self.clusters.iter().map(String::as_str))?,
        };
        let mut failed = Vec::new();
        for name in &self.clusters {
            let export = Export {
                sh,
                output,
                root,
                config,
                stores: &stores,
                exec: &exec,
                version: &version,
                force: self.force,
            };
            match export.one(name) {
                Ok(done) => output.out(&done),
                Err(err) => {
                    output.err(&format!("error: cluster {name}: {err:#}"));
                    failed.push(name.as_str());
                }
            }
        }
        if !failed.is_empty() {
            bail!(
                "{} of {} cluster(s) not exported: {}",
                failed.len(),
                self.clusters.len(),
                failed.join(", ")
            );
        }
        Ok(())
    }
}

/// What exporting one cluster needs.
struct Export<'a> {
    sh: &'a Shell,
    output: &'a Output,
    root: &'a Utf8Path,
    config: &'a Config,
    /// Each cluster's store from its environment (empty: the production store).
    stores: &'a std::collections::BTreeMap<String, kopsflow::store::StateStore>,
    exec: &'a Executor,
    version: &'a KopsVersion,
    force: bool,
}

impl Export<'_> {
    /// Exports `name`; the line saying what was written.
    fn one(&self, name: &str) -> anyhow::Result<String> {
        if !is_dns1123_subdomain(name) {
            bail!("{name:?} is not a cluster name (a DNS name such as k8s.example.com)");
        }
        let file = self.spec_file(name);
        if !self.force
            && self.root.join(&file).exists()
            && !kopsflow::git::is_clean_at(self.sh, file.as_str())?
        {
            bail!("{file} has uncommitted changes: commit or stash them, or pass --force to overwrite it");
        }
        let store = ProductionStore::resolve(Some(self.store(name)), name, None, &file)?;
        let get_cluster = KopsCommand::get_cluster(name, &store);
        let get_igs = KopsCommand::get_instance_groups(name, &store);
        let cluster = self.kops(&get_cluster, name, &store)?;
        let igs = self.kops(&get_igs, name, &store)?;
        let live = ClusterSpec::from_kops_output(&cluster, &igs)?;
        if live.name() != name {
            bail!("`{get_cluster}` returned cluster {}", live.name());
        }
        let header = format!(
            "Exported from production by `cargo xtask export` on {} with kops {}: `{get_cluster}` and `{get_igs}`; server-set fields removed, instance groups sorted by name.",
            kopsflow::time::rfc3339_utc(unix_now()),
            self.version
        );
        let text = export_file(&live, &header);
        if self.output.redactor().redact_text(&text) != text {
            bail!("the spec holds text that kopsflow hides as a secret (a credential?); {file} was not written");
        }
        let loaded = ClusterSpec::parse(&file, &text).map_err(|diagnostics| {
            anyhow::anyhow!(
                "{}\nthe exported spec does not validate; {file} was not written",
                render_diagnostics(&diagnostics).trim_end()
            )
        })?;
        self.output.write(&self.root.join(&file), &text)?;
        for warning in &loaded.warnings {
            self.output.err(&warning.to_string());
        }
        Ok(format!(
            "exported {name} to {file}: Cluster and {} instance group(s), from {} (kops {})",
            live.instance_groups.len(),
            store.store(),
            self.version
        ))
    }

    /// `cluster-spec/NAME.yml`, or the `.yaml` file when only that one exists.
    /// The store `name` is exported from: its environment's, or the production store.
    fn store(&self, name: &str) -> &kopsflow::store::StateStore {
        self.stores
            .get(name)
            .unwrap_or(&self.config.production_store)
    }

    fn spec_file(&self, name: &str) -> Utf8PathBuf {
        let yml = Utf8PathBuf::from(format!("{SPEC_DIR}/{name}.yml"));
        let yaml = Utf8PathBuf::from(format!("{SPEC_DIR}/{name}.yaml"));
        if !self.root.join(&yml).exists() && self.root.join(&yaml).exists() {
            yaml
        } else {
            yml
        }
    }

    /// The stdout of a `kops get` that must succeed.
    fn kops(
        &self,
        command: &KopsCommand,
        name: &str,
        store: &ProductionStore,
    ) -> anyhow::Result<String> {
        let out: ProcessOutput =
            self.exec
                .runner
                .run(&self.exec.kops, &command.args(), command.env())?;
        if out.success() {
            return Ok(out.stdout);
        }
        if is_cluster_not_found(&out.stderr) {
            bail!("there is no cluster {name} in {}", store.store());
        }
        let reason = parse_kops_error(&out.stderr)
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        bail!("`{command}` failed with {}{reason}", out.ended)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
