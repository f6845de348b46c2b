//! The mutator: a seeded xorshift generator and stacked byte-level mutations biased towards what
//! breaks YAML and kops-output parsers (indicators, separators, anchors, nesting, repetition).

/// xorshift64*: deterministic for a seed, no dependencies.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::try_from(self.next_u64() % n as u64).unwrap_or(0)
        }
    }
}

/// Fragments that matter to the parsers under test.
const TOKENS: &[&str] = &[
    "\n",
    "\t",
    "  ",
    "    ",
    "- ",
    ": ",
    ":",
    "---\n",
    "...\n",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "\"",
    "'",
    "\\",
    "|\n",
    "|-\n",
    ">\n",
    "#",
    " #",
    "~",
    "null",
    "yes",
    "no",
    "on",
    "0755",
    "0x1F",
    "1e3",
    ".inf",
    ".nan",
    "!!str ",
    "!!binary ",
    "? ",
    "%YAML 1.1\n",
    "\r\n",
    "\r",
    "\u{feff}",
    "\u{2028}",
    "é",
    "__kopsflow_quoted_7965__",
    "<<: *a\n",
    "kind: Cluster\n",
    "kind: InstanceGroup\n",
    "apiVersion: kops.k8s.io/v1alpha2\n",
    "metadata:\n  name: x\n",
    "Will create resources:\n",
    "Will modify resources:\n",
    "Will delete items:\n",
    "Items will be deleted during update:\n",
    "Items will be deleted only when the --prune flag is specified:\n",
    "Must specify --yes to apply changes\n",
    "No changes need to be applied\n",
    "  Kind/name\n",
    "  \t",
    "  \tField               \t",
    " -> ",
    "  \t                    \t",
    "<nil>",
    "<resource>",
    "name:x id:y",
    "NAME\tSTATUS\tNEEDUPDATE\tREADY\tMIN\tTARGET\tMAX\tNODES\n",
    "NeedsUpdate",
    "Ready",
    "4294967295",
    "18446744073709551615",
    "-1",
    "\nNo rolling-update required.\n",
    "\nMust specify --yes to rolling-update.\n",
    "Error: ",
    "client-key-data: ",
    "-----BEGIN RSA PRIVATE KEY-----\n",
    "AWS_SECRET_ACCESS_KEY=",
    // Tags, anchors and merges (docs/YAML.md).
    "!<tag:yaml.org,2002:str> ",
    "! ",
    "!!int ",
    "!!float ",
    "!!null ",
    "!!map ",
    "!custom ",
    "&b {k: 1}\n",
    "<<: [*a, *b]\n",
    "---\nx: *a\n",
    "1:30",
    "18446744073709551615",
    "{1: a, \"1\": b}",
];

/// Single bytes that change how YAML and kops output parse.
const INDICATORS: &[u8] = b" \t\n:-#&*[]{}'\"|>%@`!?,0";

/// Largest input the mutator produces.
pub const MAX_LEN: usize = 64 * 1024;

/// One to eight stacked mutations of `input`; `others` are splice partners.
pub fn mutate(rng: &mut Rng, input: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(8) {
        mutate_once(rng, &mut out, others);
        out.truncate(MAX_LEN);
    }
    out
}

fn mutate_once(rng: &mut Rng, out: &mut Vec<u8>, others: &[Vec<u8>]) {
    let len = out.len();
    let at = rng.below(len + 1);
    match rng.below(9) {
        0 if len > 0 => {
            let i = rng.below(len);
            out[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            out[i] = INDICATORS[rng.below(INDICATORS.len())];
        }
        2 | 3 => {
            let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
            out.splice(at..at, token.iter().copied());
        }
        4 if len > 0 => {
            let end = (at + 1 + rng.below(64)).min(len);
            out.drain(at.min(end)..end);
        }
        5 if len > 0 => {
            // Duplicate a chunk: more documents, keys, rows, sections.
            let start = rng.below(len);
            let end = (start + 1 + rng.below(256)).min(len);
            let chunk = out[start..end].to_vec();
            out.splice(at..at, chunk);
        }
        6 if len > 0 => {
            // Repeat a short chunk many times: deep nesting, long lines, many keys.
            let start = rng.below(len);
            let end = (start + 1 + rng.below(8)).min(len);
            let chunk = out[start..end].to_vec();
            let times = 1 + rng.below(2000);
            let repeated: Vec<u8> = chunk
                .iter()
                .copied()
                .cycle()
                .take(chunk.len() * times)
                .collect();
            out.splice(at..at, repeated);
        }
        7 if !others.is_empty() => {
            // Splice: the head of this input with the tail of another.
            let other = &others[rng.below(others.len())];
            let from = rng.below(other.len() + 1);
            out.truncate(at);
            out.extend_from_slice(&other[from..]);
        }
        _ => {
            let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
            let times = 1 + rng.below(64);
            for _ in 0..times {
                out.splice(at..at, token.iter().copied());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_for_a_seed_and_bounded() {
        let seed = b"apiVersion: kops.k8s.io/v1alpha2\nkind: Cluster\n".to_vec();
        let run = |s: u64| {
            let mut rng = Rng::new(s);
            (0..200)
                .map(|_| mutate(&mut rng, &seed, std::slice::from_ref(&seed)))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert!(run(7).iter().all(|m| m.len() <= MAX_LEN));
        assert!(run(7).iter().any(|m| m != &seed));
    }
}
