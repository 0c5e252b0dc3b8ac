//! The random 7-rank taxonomy, the reference (which taxa a classifier knows)
//! and the NCBI-style bookkeeping (taxids, merged ids).

use crate::config::SimConfig;
use crate::names::{NameGen, TaxidGen};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_distr::{Distribution, LogNormal};

pub use taxdistill_core::taxonomy::Rank;

/// A lineage: names from the domain downwards (empty = unclassified).
pub type Lineage = Vec<String>;

/// One taxon of the simulated taxonomy.
#[derive(Debug, Clone, PartialEq)]
pub struct Taxon {
    /// NCBI-style taxid (unique; never 1 or 131567).
    pub taxid: u32,
    /// Index of the parent taxon (`None` for domains).
    pub parent: Option<usize>,
    /// Rank of the taxon.
    pub rank: Rank,
    /// Name (species: `"Genus epithet"`), unique within its rank.
    pub name: String,
    /// Indices of the children.
    pub children: Vec<usize>,
    /// Whether the reference database of the simulated classifier knows it.
    pub in_reference: bool,
}

/// The simulated taxonomy: taxa in creation order (all domains first, then
/// all phyla, …, species last).
#[derive(Debug, Clone, PartialEq)]
pub struct Taxonomy {
    /// All taxa.
    pub taxa: Vec<Taxon>,
    /// Taxa of each rank (indices into `taxa`).
    pub by_rank: [Vec<usize>; 7],
    /// `(old taxid, current taxid)` pairs written to `merged.dmp`.
    pub merged: Vec<(u32, u32)>,
    /// Full lineage of every taxon.
    pub lineages: Vec<Lineage>,
}

impl Taxonomy {
    /// Draws the taxonomy: one species per genome; taxa per rank counted
    /// bottom-up from the branching factors; each extra child goes to a parent
    /// drawn by a log-normal "fertility", so clade sizes are uneven.
    pub(crate) fn generate<R: Rng>(cfg: &SimConfig, rng: &mut R) -> Taxonomy {
        let mut counts = [0usize; 7];
        counts[6] = cfg.genomes;
        for r in (0..6).rev() {
            counts[r] = ((counts[r + 1] as f64 / cfg.branching[r]).ceil() as usize).max(1);
        }
        let mut names = NameGen::new();
        let mut ids = TaxidGen::new();
        let mut taxa: Vec<Taxon> = Vec::new();
        let mut by_rank: [Vec<usize>; 7] = Default::default();
        let fertility = LogNormal::new(0.0, 0.7).expect("valid log-normal");
        for (r, &n) in counts.iter().enumerate() {
            let rank = Rank::ALL[r];
            // parent of each new taxon
            let parents: Vec<Option<usize>> = if r == 0 {
                vec![None; n]
            } else {
                let prev = &by_rank[r - 1];
                let mut p: Vec<usize> = prev.clone();
                p.shuffle(rng);
                let w: Vec<f64> = prev.iter().map(|_| fertility.sample(rng)).collect();
                let total: f64 = w.iter().sum();
                while p.len() < n {
                    let mut x = rng.random::<f64>() * total;
                    let mut k = 0;
                    while k + 1 < w.len() && x >= w[k] {
                        x -= w[k];
                        k += 1;
                    }
                    p.push(prev[k]);
                }
                p.truncate(n);
                p.sort_unstable();
                p.into_iter().map(Some).collect()
            };
            for parent in parents {
                let genus = parent
                    .filter(|_| rank == Rank::Species)
                    .map(|p| taxa[p].name.clone());
                let name = names.name(rng, rank, genus.as_deref());
                let idx = taxa.len();
                taxa.push(Taxon {
                    taxid: ids.taxid(rng),
                    parent,
                    rank,
                    name,
                    children: Vec::new(),
                    in_reference: true,
                });
                if let Some(p) = parent {
                    taxa[p].children.push(idx);
                }
                by_rank[r].push(idx);
            }
        }
        let mut merged = Vec::new();
        for t in &taxa {
            if rng.random_bool(0.05) {
                merged.push((ids.taxid(rng), t.taxid));
            }
        }
        let mut lineages: Vec<Lineage> = Vec::with_capacity(taxa.len());
        for t in &taxa {
            let mut names = match t.parent {
                Some(p) => lineages[p].clone(),
                None => Vec::new(),
            };
            names.push(t.name.clone());
            lineages.push(names);
        }
        let mut tax = Taxonomy {
            taxa,
            by_rank,
            merged,
            lineages,
        };
        tax.choose_reference(cfg, rng);
        tax
    }

    /// Marks novel families, then novel genera in known families, then novel
    /// species in known genera (shares of all taxa of that rank).
    fn choose_reference<R: Rng>(&mut self, cfg: &SimConfig, rng: &mut R) {
        for (rank, share) in [
            (Rank::Family, cfg.novel_families),
            (Rank::Genus, cfg.novel_genera),
            (Rank::Species, cfg.novel_species),
        ] {
            let all = &self.by_rank[rank.index()];
            let want = (share * all.len() as f64).round() as usize;
            let mut candidates: Vec<usize> = all
                .iter()
                .copied()
                .filter(|&t| self.taxa[t].in_reference)
                .collect();
            candidates.shuffle(rng);
            for &t in candidates.iter().take(want) {
                self.mark_novel(t);
            }
        }
    }

    fn mark_novel(&mut self, t: usize) {
        self.taxa[t].in_reference = false;
        let children = self.taxa[t].children.clone();
        for c in children {
            self.mark_novel(c);
        }
    }

    /// Path of taxon indices from the domain down to `t`.
    pub fn path(&self, t: usize) -> Vec<usize> {
        let mut p = vec![t];
        let mut cur = t;
        while let Some(parent) = self.taxa[cur].parent {
            p.push(parent);
            cur = parent;
        }
        p.reverse();
        p
    }

    /// Number of leading ranks of `t`'s path that the reference knows.
    pub fn reference_depth(&self, t: usize) -> usize {
        self.path(t)
            .iter()
            .take_while(|&&x| self.taxa[x].in_reference)
            .count()
    }

    /// Known children of `t` (or known domains for `None`).
    pub(crate) fn known_children(&self, t: Option<usize>) -> Vec<usize> {
        let list: &[usize] = match t {
            Some(t) => &self.taxa[t].children,
            None => &self.by_rank[0],
        };
        list.iter()
            .copied()
            .filter(|&c| self.taxa[c].in_reference)
            .collect()
    }

    /// Descends from `t` through random known children to a known species
    /// (or the deepest known taxon on the way).
    pub(crate) fn random_known_leaf<R: Rng>(&self, rng: &mut R, mut t: usize) -> usize {
        loop {
            let kids = self.known_children(Some(t));
            if kids.is_empty() {
                return t;
            }
            t = kids[rng.random_range(0..kids.len())];
        }
    }
}
