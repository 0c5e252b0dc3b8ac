//! Noisy labels imitating a similarity search against an incomplete reference.
//!
//! Two label models ([`crate::LabelModel`]): the realistic one (default,
//! [`crate::realistic`]) draws per genome and per contig length; the
//! independent one (this module's [`draw_label`]) is described here.
//!
//! Independent model: one uniform draw per contig puts it in exactly one class, so each rate is
//! the expected share of all contigs:
//! `u < unclassified` → no label; `< + wrong` → a wrong known taxon, differing
//! first at a rank drawn with weight on genus/species; `< + shallow` → the
//! reference-depth label truncated 1+ ranks higher; otherwise the truth cut
//! at the deepest rank the reference knows — except that a contig of a novel
//! taxon lands on its nearest known relative with probability `nearest`.

use crate::tree::Taxonomy;
use rand::Rng;

/// How a contig's label relates to its truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelKind {
    /// The full truth (species known to the reference).
    Correct,
    /// A novel taxon: the truth cut at the deepest rank the reference knows.
    Novel,
    /// A novel taxon labelled as its nearest known relative (wrong below the shared rank).
    Nearest,
    /// A random wrong label.
    Wrong,
    /// A correct label truncated to a higher rank.
    Shallow,
    /// No label.
    Unclassified,
}

impl LabelKind {
    /// All kinds, for tallies.
    pub const ALL: [LabelKind; 6] = [
        LabelKind::Correct,
        LabelKind::Novel,
        LabelKind::Nearest,
        LabelKind::Wrong,
        LabelKind::Shallow,
        LabelKind::Unclassified,
    ];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            LabelKind::Correct => "correct",
            LabelKind::Novel => "novel",
            LabelKind::Nearest => "nearest",
            LabelKind::Wrong => "wrong",
            LabelKind::Shallow => "shallow",
            LabelKind::Unclassified => "unclassified",
        }
    }
}

/// Weights of the first wrong rank (domain … species).
const WRONG_RANK_WEIGHTS: [f64; 7] = [0.02, 0.03, 0.05, 0.07, 0.13, 0.30, 0.40];

fn draw_rank<R: Rng>(rng: &mut R) -> usize {
    let total: f64 = WRONG_RANK_WEIGHTS.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in WRONG_RANK_WEIGHTS.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    6
}

/// Draws the label taxon (`None` = unclassified) of one contig of `species`.
pub(crate) fn draw_label<R: Rng>(
    tax: &Taxonomy,
    cfg: &crate::SimConfig,
    species: usize,
    rng: &mut R,
) -> (Option<usize>, LabelKind) {
    let noise = &cfg.noise;
    let path = tax.path(species);
    let depth = tax.reference_depth(species);
    let u: f64 = rng.random();
    if u < noise.unclassified || depth == 0 {
        return (None, LabelKind::Unclassified);
    }
    if u < noise.unclassified + noise.wrong {
        if let Some(t) = wrong_taxon(tax, &path, rng) {
            return (Some(t), LabelKind::Wrong);
        }
        return (None, LabelKind::Unclassified);
    }
    if u < noise.unclassified + noise.wrong + noise.shallow && depth > 1 {
        let mut d = depth - 1;
        while d > 1 && rng.random_bool(0.5) {
            d -= 1;
        }
        return (Some(path[d - 1]), LabelKind::Shallow);
    }
    if depth == path.len() {
        return (Some(species), LabelKind::Correct);
    }
    if rng.random_bool(noise.nearest) {
        let known = tax.known_children(Some(path[depth - 1]));
        if !known.is_empty() {
            let sib = known[rng.random_range(0..known.len())];
            return (Some(tax.random_known_leaf(rng, sib)), LabelKind::Nearest);
        }
    }
    (Some(path[depth - 1]), LabelKind::Novel)
}

/// A known taxon that differs from `path` first at a drawn rank (moving up
/// when that rank has no known alternative), descended to a known leaf.
pub(crate) fn wrong_taxon<R: Rng>(tax: &Taxonomy, path: &[usize], rng: &mut R) -> Option<usize> {
    let mut r = draw_rank(rng);
    loop {
        let parent = if r == 0 { None } else { Some(path[r - 1]) };
        let alts: Vec<usize> = tax
            .known_children(parent)
            .into_iter()
            .filter(|&c| c != path[r])
            .collect();
        if !alts.is_empty() {
            let t = alts[rng.random_range(0..alts.len())];
            return Some(tax.random_known_leaf(rng, t));
        }
        if r == 0 {
            // a single known domain and no alternative anywhere above: pick
            // any other known species, if there is one
            let others: Vec<usize> = tax.by_rank[6]
                .iter()
                .copied()
                .filter(|&s| tax.taxa[s].in_reference && s != path[6])
                .collect();
            return (!others.is_empty()).then(|| others[rng.random_range(0..others.len())]);
        }
        r -= 1;
    }
}
