//! Pronounceable, GTDB-like taxon names, unique per rank, and NCBI-style taxids.

use crate::tree::Rank;
use rand::Rng;
use std::collections::HashSet;

const ONSETS: &[&str] = &[
    "b", "c", "d", "f", "g", "h", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "cr", "dr",
    "fl", "gr", "pl", "pr", "st", "tr", "ph", "th", "ch", "sp",
];
const VOWELS: &[&str] = &[
    "a", "e", "i", "o", "u", "a", "e", "i", "o", "ae", "io", "ia", "eu",
];
const CODAS: &[&str] = &["", "", "", "n", "r", "s", "l", "m", "x", "t"];
const GENUS_SUFFIXES: &[&str] = &[
    "bacter",
    "coccus",
    "monas",
    "bacillus",
    "ella",
    "spira",
    "vibrio",
    "ibacter",
    "omyces",
    "ococcus",
    "plasma",
    "obacterium",
    "ina",
    "ia",
];
const EPITHET_SUFFIXES: &[&str] = &[
    "is", "us", "um", "ae", "ensis", "ii", "a", "ica", "ans", "ata",
];

/// Draws names that are unique within each rank.
pub(crate) struct NameGen {
    used: [HashSet<String>; 7],
}

fn root<R: Rng>(rng: &mut R, syllables: usize) -> String {
    let mut s = String::new();
    for i in 0..syllables {
        s.push_str(ONSETS[rng.random_range(0..ONSETS.len())]);
        s.push_str(VOWELS[rng.random_range(0..VOWELS.len())]);
        if i + 1 == syllables {
            s.push_str(CODAS[rng.random_range(0..CODAS.len())]);
        }
    }
    s
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

impl NameGen {
    pub(crate) fn new() -> Self {
        NameGen {
            used: Default::default(),
        }
    }

    /// A fresh name at `rank`; `genus` is the parent genus name for species.
    pub(crate) fn name<R: Rng>(&mut self, rng: &mut R, rank: Rank, genus: Option<&str>) -> String {
        loop {
            let n = self.candidate(rng, rank, genus);
            if self.used[rank.index()].insert(n.clone()) {
                return n;
            }
        }
    }

    fn candidate<R: Rng>(&self, rng: &mut R, rank: Rank, genus: Option<&str>) -> String {
        let syl = rng.random_range(2..=3);
        match rank {
            Rank::Domain => {
                let taken = &self.used[0];
                if !taken.contains("Bacteria") {
                    "Bacteria".to_string()
                } else if !taken.contains("Archaea") {
                    "Archaea".to_string()
                } else {
                    capitalize(&root(rng, syl)) + "aea"
                }
            }
            Rank::Phylum => capitalize(&root(rng, syl)) + "ota",
            Rank::Class => capitalize(&root(rng, syl)) + "ia",
            Rank::Order => capitalize(&root(rng, syl)) + "ales",
            Rank::Family => capitalize(&root(rng, syl)) + "aceae",
            Rank::Genus => {
                // GTDB keeps placeholder genera of uncultured lineages (UBA1234, CAG-123).
                if rng.random_bool(0.08) {
                    if rng.random_bool(0.5) {
                        format!("UBA{}", rng.random_range(100..99_999))
                    } else {
                        format!("CAG-{}", rng.random_range(10..9_999))
                    }
                } else {
                    capitalize(&root(rng, syl))
                        + GENUS_SUFFIXES[rng.random_range(0..GENUS_SUFFIXES.len())]
                }
            }
            Rank::Species => {
                let g = genus.unwrap_or("Incertus");
                let placeholder =
                    g.starts_with("UBA") || g.starts_with("CAG-") || rng.random_bool(0.05);
                if placeholder {
                    format!("{g} sp{:06}", rng.random_range(0..1_000_000))
                } else {
                    format!(
                        "{g} {}{}",
                        root(rng, syl),
                        EPITHET_SUFFIXES[rng.random_range(0..EPITHET_SUFFIXES.len())]
                    )
                }
            }
        }
    }
}

/// Draws unique NCBI-style taxids (never 1, the root, or 131567, cellular organisms).
pub(crate) struct TaxidGen {
    used: HashSet<u32>,
}

/// Taxid of the root node.
pub const ROOT_TAXID: u32 = 1;
/// Taxid of "cellular organisms" (no rank), between the root and the domains as in NCBI.
pub const CELLULAR_ORGANISMS_TAXID: u32 = 131_567;

impl TaxidGen {
    pub(crate) fn new() -> Self {
        TaxidGen {
            used: [ROOT_TAXID, CELLULAR_ORGANISMS_TAXID].into_iter().collect(),
        }
    }

    pub(crate) fn taxid<R: Rng>(&mut self, rng: &mut R) -> u32 {
        loop {
            let t = rng.random_range(2..3_000_000);
            if self.used.insert(t) {
                return t;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn names_are_unique_per_rank_and_carry_rank_suffixes() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut g = NameGen::new();
        let fams: Vec<String> = (0..500)
            .map(|_| g.name(&mut rng, Rank::Family, None))
            .collect();
        let set: HashSet<&String> = fams.iter().collect();
        assert_eq!(set.len(), fams.len());
        assert!(fams.iter().all(|f| f.ends_with("aceae")));
        let sp = g.name(&mut rng, Rank::Species, Some("Velobacter"));
        assert!(sp.starts_with("Velobacter "));
    }

    #[test]
    fn first_two_domains_are_bacteria_and_archaea() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut g = NameGen::new();
        assert_eq!(g.name(&mut rng, Rank::Domain, None), "Bacteria");
        assert_eq!(g.name(&mut rng, Rank::Domain, None), "Archaea");
    }
}
