//! The YAML-subset property (docs/YAML.md): for every spec kopsflow accepts, the document it hands
//! to `kops replace`, read by a YAML 1.1 reader of the kind kops uses ([`yaml11`]), means what
//! the same reader makes of the git file. And a generator of spec files full of the features the
//! property is about: tags, anchors, aliases (also to earlier documents and to themselves),
//! merge keys, keys kops reads alike, YAML 1.1 numbers and booleans.

use camino::Utf8Path;
use kopsflow::spec::ClusterSpec;

use crate::mutate::Rng;
use crate::yaml11::{self, Json, Refused};

/// The property for one spec file. `Err` says how kops's reading differs.
pub fn kops_reads_what_git_means(file: &Utf8Path, text: &str) -> Result<(), String> {
    let Ok(loaded) = ClusterSpec::parse(file, text) else {
        return Ok(());
    };
    let sent = loaded.spec.to_kops_yaml();
    let git = match yaml11::read(text) {
        Ok(documents) => documents,
        // libyaml and saphyr-parser differ on this text's syntax: nothing to compare.
        Err(Refused::Syntax(_)) => return Ok(()),
        Err(Refused::Meaning(why)) => {
            return Err(format!(
            "kopsflow accepts a spec that kops's reader refuses ({why}); kopsflow sends:\n{sent}"
        ))
        }
    };
    let received = yaml11::read(&sent)
        .map_err(|e| format!("kops's reader refuses what kopsflow sends ({e:?}):\n{sent}"))?;
    let (git, received) = (sorted(git), sorted(received));
    if git == received {
        Ok(())
    } else {
        Err(format!(
            "kops reads something else than git means:\ngit:  {git:?}\nsent: {received:?}\nkopsflow sends:\n{sent}"
        ))
    }
}

/// Documents in a stable order (kopsflow sends the Cluster first).
fn sorted(mut documents: Vec<Json>) -> Vec<Json> {
    documents.sort_by_cached_key(|d| format!("{d:?}"));
    documents
}

/// Plain scalars whose YAML 1.1 meaning is easy to get wrong.
const SCALARS: &[&str] = &[
    "0755",
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "0x1F",
    "-0x1F",
    "0o17",
    "0b101",
    "1_000",
    "1:30",
    "2001-12-14",
    "1e3",
    "1e999",
    ".1_0",
    ".5",
    "1.",
    "~",
    "null",
    "",
    "12",
    "-1",
    "1.5",
    ".inf",
    "-.Inf",
    ".nan",
    "abc",
    "t3.medium",
    "10.0.0.0/16",
    "9223372036854775807",
    "18446744073709551615",
    "08",
    "+12",
    "<<",
    "=",
    "1.29.2",
];

const TAGS: &[&str] = &[
    "!!str ",
    "!<tag:yaml.org,2002:str> ",
    "! ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!null ",
    "!!binary ",
    "!!timestamp ",
    "!!map ",
    "!!seq ",
    "!custom ",
];

const KEYS: &[&str] = &[
    "alpha", "beta", "gamma", "delta", "1", "'1'", "\"1\"", "yes", "'true'", "0x1", "~", "1.5",
    "'<<'", "on", "key",
];

/// Writes random flow YAML values, remembering the anchors it defined.
#[derive(Debug)]
pub struct Generator {
    rng: Rng,
    /// Anchors defined so far in this document, and whether each names a mapping.
    anchors: Vec<(String, bool)>,
    /// Anchors of earlier documents.
    earlier: Vec<String>,
    count: usize,
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: Rng::new(seed),
            anchors: Vec::new(),
            earlier: Vec::new(),
            count: 0,
        }
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.rng.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.rng.below(items.len())]
    }

    fn scalar(&mut self) -> String {
        let text = self.pick(SCALARS);
        let written = match self.rng.below(10) {
            0 => format!("'{text}'"),
            1 => format!("\"{text}\""),
            _ if text.is_empty() || text == "<<" || text == "=" => format!("'{text}'"),
            _ => text.to_owned(),
        };
        if self.chance(12) {
            format!("{}{written}", self.pick(TAGS))
        } else {
            written
        }
    }

    fn alias(&mut self, mapping_only: bool) -> Option<String> {
        let names: Vec<String> = self
            .anchors
            .iter()
            .filter(|(_, is_mapping)| *is_mapping || !mapping_only)
            .map(|(name, _)| name.clone())
            .collect();
        if !self.earlier.is_empty() && self.chance(3) {
            let index = self.rng.below(self.earlier.len());
            return Some(format!("*{}", self.earlier[index]));
        }
        (!names.is_empty()).then(|| format!("*{}", names[self.rng.below(names.len())]))
    }

    /// A flow value at most `depth` collections deep.
    pub fn value(&mut self, depth: usize) -> String {
        let choice = if depth == 0 {
            self.rng.below(3)
        } else {
            self.rng.below(8)
        };
        match choice {
            0 | 1 => self.scalar(),
            2 => self.alias(false).unwrap_or_else(|| self.scalar()),
            3 | 4 => self.anchored(depth, true),
            5 => self.anchored(depth, false),
            6 => self.mapping(depth),
            _ => self.sequence(depth),
        }
    }

    /// Sometimes anchored: a mapping (`mapping`) or a list.
    fn anchored(&mut self, depth: usize, mapping: bool) -> String {
        if !self.chance(50) {
            return if mapping {
                self.mapping(depth)
            } else {
                self.sequence(depth)
            };
        }
        self.count += 1;
        let name = format!("a{}", self.count);
        // Rarely, an alias inside its own anchor.
        if self.chance(3) {
            self.anchors.push((name.clone(), mapping));
        }
        let body = if mapping {
            self.mapping(depth)
        } else {
            self.sequence(depth)
        };
        if !self.anchors.iter().any(|(n, _)| *n == name) {
            self.anchors.push((name.clone(), mapping));
        }
        format!("&{name} {body}")
    }

    fn mapping(&mut self, depth: usize) -> String {
        let mut entries: Vec<String> = Vec::new();
        let mut keys: Vec<&str> = Vec::new();
        for _ in 0..self.rng.below(5) {
            let key = self.pick(KEYS);
            if keys.contains(&key) && !self.chance(5) {
                continue;
            }
            keys.push(key);
            let value = self.value(depth.saturating_sub(1));
            entries.push(format!("{key}: {value}"));
        }
        if self.chance(35) {
            let merged = if self.chance(30) {
                let (a, b) = (self.alias(true), self.alias(true));
                match (a, b) {
                    (Some(a), Some(b)) => Some(format!("[{a}, {b}]")),
                    (a, _) => a,
                }
            } else if self.chance(15) {
                Some(self.mapping(depth.saturating_sub(1)))
            } else {
                let mapping_only = !self.chance(5);
                self.alias(mapping_only)
            };
            if let Some(merged) = merged {
                let at = self.rng.below(entries.len() + 1);
                entries.insert(at, format!("<<: {merged}"));
            }
        }
        format!("{{{}}}", entries.join(", "))
    }

    fn sequence(&mut self, depth: usize) -> String {
        let items: Vec<String> = (0..self.rng.below(4))
            .map(|_| self.value(depth.saturating_sub(1)))
            .collect();
        format!("[{}]", items.join(", "))
    }

    /// A whole spec file for `test.k8s.example.com`: a Cluster with generated fields, and
    /// sometimes an InstanceGroup whose fields may alias the Cluster's anchors.
    pub fn spec(&mut self) -> String {
        self.anchors.clear();
        self.earlier.clear();
        let mut text = String::from("apiVersion: kops.k8s.io/v1alpha2\nkind: Cluster\nmetadata:\n  name: test.k8s.example.com\nspec:\n  kubernetesVersion: 1.29.2\n");
        for field in ["x", "y", "z"] {
            let value = self.value(3);
            text.push_str(&format!("  {field}: {value}\n"));
        }
        if self.chance(40) {
            self.earlier = self.anchors.drain(..).map(|(name, _)| name).collect();
            let value = self.value(2);
            text.push_str(&format!("---\napiVersion: kops.k8s.io/v1alpha2\nkind: InstanceGroup\nmetadata:\n  labels:\n    kops.k8s.io/cluster: test.k8s.example.com\n  name: nodes\nspec:\n  role: Node\n  x: {value}\n"));
        }
        text
    }
}
