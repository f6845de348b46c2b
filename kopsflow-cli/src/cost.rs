//! The prices `plan` estimates a change's cost with: kopsflow's bundled, dated table
//! (`kopsflow/src/cost/prices.txt`) extended or overridden by the repository's own
//! `cost-prices.txt` (same format, at the repository root) when it exists.

use anyhow::Context as _;
use camino::Utf8Path;
use kopsflow::cost::{PriceTable, Pricing};

use crate::config::Config;
use crate::pipeline::Prune;

/// The repository's own prices, at its root: `PROVIDER REGION ITEM USD` per line.
pub const REPO_PRICES: &str = "cost-prices.txt";

/// The bundled table with the repository's rows on top; prune as configured (with prune off,
/// removed instance groups keep running and stay in the "after").
pub fn pricing(root: &Utf8Path, config: &Config) -> anyhow::Result<Pricing> {
    let path = root.join(REPO_PRICES);
    let mut table = PriceTable::bundled();
    if path.is_file() {
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        let own = PriceTable::parse(REPO_PRICES, &text).map_err(anyhow::Error::msg)?;
        table = table.extended(own);
    }
    Ok(Pricing {
        table,
        prune: config.prune == Prune::On,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_file_wins() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = Utf8Path::from_path(dir.path()).context("UTF-8 temp dir")?;
        let config = Config::from_env(&crate::testing::repo(), |_| None)?;
        let output =
            crate::output::Output::new(kopsflow::exec::Redactor::from_env(std::iter::empty()));
        let bundled = pricing(root, &config)?;
        assert_eq!(bundled.table.len(), PriceTable::bundled().len());
        assert!(!bundled.prune);
        output.write(
            &root.join(REPO_PRICES),
            "# ours\naws us-east-1 t3.medium 0.05\naws eu-west-1 m5.large 0.107\n",
        )?;
        let ours = pricing(root, &config)?;
        let t3 = ours
            .table
            .get("aws", "us-east-1", "t3.medium")
            .context("t3")?;
        assert_eq!(t3.usd, kopsflow::cost::Micros(50_000));
        assert_eq!(t3.origin.to_string(), "cost-prices.txt:2");
        assert!(ours.table.get("aws", "eu-west-1", "m5.large").is_some());
        output.write(&root.join(REPO_PRICES), "aws us-east-1 t3.medium cheap\n")?;
        let err = pricing(root, &config).unwrap_err().to_string();
        assert!(
            err.contains("cost-prices.txt:1: \"cheap\" is not a price"),
            "{err}"
        );
        Ok(())
    }
}
