//! The price table: on-demand prices per provider, region and item (a machine type, or
//! `volume:TYPE` for a root volume), read from a plain text format — one `PROVIDER REGION ITEM USD`
//! per line, `#` comments — parsed here by hand. The bundled table is `prices.txt` (dated, with
//! its sources); a repository's own file extends or overrides it row by row.

use std::collections::BTreeMap;
use std::fmt;

use super::Micros;

/// The bundled table's text (`kopsflow/src/cost/prices.txt`).
pub const BUNDLED_PRICES: &str = include_str!("prices.txt");

/// Where a price came from: the bundled table or a repository's file, at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A price: USD per instance-hour for a machine type, per GB-month for a volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub usd: Micros,
    pub origin: Origin,
}

/// Prices by (provider, region, item).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceTable {
    rows: BTreeMap<(String, String, String), Price>,
}

/// The rows of a bundled or repository table (`prices.txt`, `machines.txt`): four
/// whitespace-separated fields per line after `#` comments are cut, blank lines skipped, each
/// with its 1-based line; a row of another shape is an error naming `file`, the line and `shape`.
pub(super) fn table_rows<'t>(
    file: &'t str,
    text: &'t str,
    shape: &'t str,
) -> impl Iterator<Item = Result<(usize, [&'t str; 4]), String>> + 't {
    text.lines().enumerate().filter_map(move |(i, line)| {
        let content = line.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            return None;
        }
        let fields: Vec<&str> = content.split_whitespace().collect();
        Some(match fields[..] {
            [a, b, c, d] => Ok((i + 1, [a, b, c, d])),
            _ => Err(format!(
                "{file}:{}: expected `{shape}`, got {content:?}",
                i + 1
            )),
        })
    })
}

impl PriceTable {
    /// The bundled table.
    pub fn bundled() -> PriceTable {
        match PriceTable::parse("kopsflow/src/cost/prices.txt", BUNDLED_PRICES) {
            Ok(table) => table,
            // A test parses every row of the bundled table.
            Err(e) => panic!("the bundled price table does not parse: {e}"),
        }
    }

    /// Reads `text` (named `file` in errors and origins). Errors name the line.
    pub fn parse(file: &str, text: &str) -> Result<PriceTable, String> {
        let mut table = PriceTable::default();
        for row in table_rows(file, text, "PROVIDER REGION ITEM USD") {
            let (line_no, [provider, region, item, usd]) = row?;
            let usd = parse_usd(usd).ok_or_else(|| {
                format!("{file}:{line_no}: {usd:?} is not a price in USD (e.g. 0.0416)")
            })?;
            let key = (provider.to_owned(), region.to_owned(), item.to_owned());
            if table.rows.contains_key(&key) {
                return Err(format!(
                    "{file}:{line_no}: {provider} {region} {item} is priced twice"
                ));
            }
            let origin = Origin {
                file: file.to_owned(),
                line: line_no,
            };
            table.rows.insert(key, Price { usd, origin });
        }
        Ok(table)
    }

    /// This table with `other`'s rows added; a row of `other` replaces the same item here.
    pub fn extended(mut self, other: PriceTable) -> PriceTable {
        self.rows.extend(other.rows);
        self
    }

    /// The price of `item` (a machine type, or `volume:TYPE`) in `region` of `provider`.
    pub fn get(&self, provider: &str, region: &str, item: &str) -> Option<&Price> {
        self.rows
            .get(&(provider.to_owned(), region.to_owned(), item.to_owned()))
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every row: provider, region, item, price.
    pub fn rows(&self) -> impl Iterator<Item = (&str, &str, &str, &Price)> {
        self.rows
            .iter()
            .map(|((p, r, i), price)| (p.as_str(), r.as_str(), i.as_str(), price))
    }
}

/// `0.0416` → 41 600 micro-USD; at most 6 decimals, no sign, no exponent.
fn parse_usd(text: &str) -> Option<Micros> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 6 {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(frac) {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: u64 = format!("{frac:0<6}").parse().ok()?;
    Some(Micros(whole.checked_mul(1_000_000)?.checked_add(frac)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_table_loads_and_every_row_parses() {
        let table = PriceTable::parse("prices.txt", BUNDLED_PRICES).unwrap();
        // Every line that is not a comment is a row.
        let rows = BUNDLED_PRICES
            .lines()
            .filter(|l| !l.split('#').next().unwrap_or("").trim().is_empty())
            .count();
        assert_eq!(table.len(), rows);
        assert!(rows >= 50, "{rows}");
        for (provider, region, item, price) in table.rows() {
            assert_eq!((provider, region), ("aws", "us-east-1"), "{item}");
            assert!(price.usd.0 > 0, "{item}");
        }
        let t3 = table.get("aws", "us-east-1", "t3.medium").unwrap();
        assert_eq!(t3.usd, Micros(41_600));
        assert!(t3.origin.to_string().starts_with("prices.txt:"));
        assert_eq!(
            table.get("aws", "us-east-1", "volume:gp3").unwrap().usd,
            Micros(80_000)
        );
        assert!(table.get("aws", "eu-west-1", "t3.medium").is_none());
        assert_eq!(PriceTable::bundled().len(), table.len());
    }

    #[test]
    fn prices_and_errors() {
        assert_eq!(parse_usd("0.0416"), Some(Micros(41_600)));
        assert_eq!(parse_usd("2"), Some(Micros(2_000_000)));
        assert_eq!(parse_usd(".5"), Some(Micros(500_000)));
        for bad in ["", ".", "-1", "1e3", "0.1234567", "$1", "1,5"] {
            assert_eq!(parse_usd(bad), None, "{bad}");
        }
        let err = PriceTable::parse("x.txt", "# c\naws us-east-1 t3.medium\n").unwrap_err();
        assert_eq!(
            err,
            "x.txt:2: expected `PROVIDER REGION ITEM USD`, got \"aws us-east-1 t3.medium\""
        );
        let err = PriceTable::parse("x.txt", "aws r a 1\naws r a 2 # again\n").unwrap_err();
        assert_eq!(err, "x.txt:2: aws r a is priced twice");
        let err = PriceTable::parse("x.txt", "aws r a abc").unwrap_err();
        assert!(err.contains("x.txt:1: \"abc\" is not a price"), "{err}");
    }

    /// A repository's row replaces the bundled one and adds what the bundle lacks.
    #[test]
    fn a_repository_table_wins() {
        let own = PriceTable::parse(
            "cost-prices.txt",
            "aws us-east-1 t3.medium 0.05\naws eu-west-1 t3.medium 0.0456\n",
        )
        .unwrap();
        let table = PriceTable::bundled().extended(own);
        let t3 = table.get("aws", "us-east-1", "t3.medium").unwrap();
        assert_eq!(t3.usd, Micros(50_000));
        assert_eq!(t3.origin.to_string(), "cost-prices.txt:1");
        assert!(table.get("aws", "eu-west-1", "t3.medium").is_some());
        assert!(table.get("aws", "us-east-1", "m5.large").is_some());
    }
}
