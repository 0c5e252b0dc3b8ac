//! Calibration and held-out scoring of leaf distributions.
//!
//! Shapes: `probs` is (n_contigs, n_leaves) f32 row-major in `tree.leaves`
//! order; `targets[i]` is the label-tree node of contig i's noisy label
//! (`None` = no label, or not to be scored).
//!
//! The hierarchical negative log-likelihood of a contig labelled at node v is
//! −log Σ_{leaves under v} p, the loss of the student (Taxometer). Temperature
//! scaling acts on log-probabilities: p_T ∝ p^{1/T}.
//!
//! ECE is computed per rank, top-label style: for each scored contig whose
//! label reaches rank r, the confidence is the probability of the most
//! probable node at depth r and it is correct when that node is the label's
//! ancestor at r; 15 equal-width bins; the reported ECE is the mean over
//! ranks weighted by the number of contigs scored at each rank.

use serde::Serialize;
use std::collections::BTreeMap;
use taxdistill_core::taxonomy::{LabelTree, Rank};

/// What a teacher returns: soft labels and a report.
#[derive(Debug, Clone)]
pub struct TeacherOutput {
    /// n × tree.n_leaves() probabilities in `tree.leaves` order; rows sum to 1.
    pub probs: Vec<f32>,
    /// How the teacher was tuned and how well it predicts held-out labels.
    pub report: TeacherReport,
    /// The graph teacher's evidence for the open-set rule
    /// ([`taxdistill_core::openset`]); `None` for teachers without a graph.
    pub open_set: Option<OpenSetEvidence>,
}

/// What the open-set rule needs from the teacher.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenSetEvidence {
    /// Every contig's neighbours in the chosen graph (own label never among them).
    pub neighbours: taxdistill_core::openset::NeighbourTable,
    /// Per rank (domain … species): the probability a head's prediction
    /// needs to be named where the neighbourhood looks novel, from
    /// clade-held-out folds ([`crate::novel`]).
    pub gates: [crate::novel::RankGate; 7],
    /// Every contig's vouched node in the label tree (0 = the root: nothing):
    /// the heads' walk down while each rank passes its gate.
    pub vouched: Vec<u32>,
}

impl OpenSetEvidence {
    /// Row `i`'s vouched lineage in `tree`, the label tree the teacher ran on
    /// (unclassified beyond the rows).
    pub fn vouched_lineage(
        &self,
        tree: &taxdistill_core::taxonomy::LabelTree,
        i: usize,
    ) -> taxdistill_core::taxonomy::Lineage {
        self.vouched
            .get(i)
            .map_or_else(taxdistill_core::taxonomy::Lineage::unclassified, |&v| {
                tree.lineage(v as usize)
            })
    }
}

/// Held-out score at one rank.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RankScore {
    pub rank: String,
    /// Scored contigs whose noisy label reaches this rank.
    pub n: usize,
    /// Fraction whose most probable taxon at this rank equals the noisy label's.
    pub accuracy: f32,
    /// Top-label expected calibration error at this rank.
    pub ece: f32,
}

/// Serialisable report of a teacher run.
#[derive(Debug, Clone, Serialize, Default)]
pub struct TeacherReport {
    pub teacher: String,
    pub n_contigs: usize,
    pub n_labelled: usize,
    pub n_leaves: usize,
    /// Temperature applied to the final log-probabilities.
    pub temperature: f32,
    /// Held-out hierarchical NLL (mean) before / after the temperature.
    pub nll_before: f32,
    pub nll_after: f32,
    /// Held-out ECE before / after the temperature (rank-weighted mean).
    pub ece_before: f32,
    pub ece_after: f32,
    /// Held-out accuracy and ECE per rank against the noisy labels (after the temperature).
    pub heldout: Vec<RankScore>,
    /// Chosen hyper-parameters (k, block weights, smoothing, mixing weight, …) and the grid scores.
    pub chosen: serde_json::Value,
    /// Wall time of each stage, seconds.
    pub timings: BTreeMap<String, f64>,
}

/// Mean hierarchical NLL over the rows with a target (0 when none).
pub fn hier_nll(tree: &LabelTree, probs: &[f32], targets: &[Option<usize>]) -> f32 {
    let l = tree.n_leaves();
    let mut s = 0f64;
    let mut n = 0usize;
    for (i, t) in targets.iter().enumerate() {
        if let Some(v) = *t {
            let row = &probs[i * l..(i + 1) * l];
            let p: f32 = tree.leaves_under(v).iter().map(|&c| row[c]).sum();
            s -= (p.max(1e-12) as f64).ln();
            n += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        (s / n as f64) as f32
    }
}

/// p^{1/T} renormalised, row by row.
pub fn apply_temperature(probs: &[f32], n_leaves: usize, t: f32) -> Vec<f32> {
    let mut out = probs.to_vec();
    if (t - 1.0).abs() < 1e-6 {
        return out;
    }
    for row in out.chunks_exact_mut(n_leaves) {
        let logs: Vec<f32> = row.iter().map(|p| p.max(1e-30).ln() / t).collect();
        let m = logs.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let mut z = 0f32;
        for (r, lg) in row.iter_mut().zip(&logs) {
            *r = (lg - m).exp();
            z += *r;
        }
        for r in row.iter_mut() {
            *r /= z;
        }
    }
    out
}

/// Temperature in [0.05, 20] minimising the held-out hierarchical NLL
/// (golden-section search on log T). Returns 1 when nothing is scored.
pub fn fit_temperature(tree: &LabelTree, probs: &[f32], targets: &[Option<usize>]) -> f32 {
    let l = tree.n_leaves();
    // only the scored rows matter
    let mut rows: Vec<usize> = (0..targets.len())
        .filter(|&i| targets[i].is_some())
        .collect();
    if rows.is_empty() {
        return 1.0;
    }
    // one parameter: an evenly spaced sample of 5000 rows is plenty
    if rows.len() > 5000 {
        let step = rows.len() as f64 / 5000.0;
        rows = (0..5000)
            .map(|j| rows[(j as f64 * step) as usize])
            .collect();
    }
    let sub: Vec<f32> = rows
        .iter()
        .flat_map(|&i| probs[i * l..(i + 1) * l].iter().copied())
        .collect();
    let tg: Vec<Option<usize>> = rows.iter().map(|&i| targets[i]).collect();
    let f = |lt: f64| hier_nll(tree, &apply_temperature(&sub, l, lt.exp() as f32), &tg) as f64;
    let (mut a, mut b) = ((0.05f64).ln(), (20f64).ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..30 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    let lt = (a + b) / 2.0;
    // never worse than no temperature
    if f(0.0) <= f(lt) {
        1.0
    } else {
        lt.exp() as f32
    }
}

/// Held-out accuracy and ECE per rank, plus the rank-weighted mean ECE.
pub fn rank_scores(
    tree: &LabelTree,
    probs: &[f32],
    targets: &[Option<usize>],
) -> (Vec<RankScore>, f32) {
    let l = tree.n_leaves();
    const BINS: usize = 15;
    // node ancestors at each depth for targets
    let mut out = Vec::new();
    let mut ece_sum = 0f64;
    let mut n_sum = 0usize;
    // nodes by depth
    let mut by_depth: Vec<Vec<usize>> = vec![Vec::new(); 8];
    for (v, node) in tree.nodes.iter().enumerate() {
        by_depth[node.depth.min(7)].push(v);
    }
    let mut pairs: Vec<Vec<(f64, bool)>> = vec![Vec::new(); 7];
    let mut counts = [0usize; 7];
    let mut correct = [0usize; 7];
    for (i, t) in targets.iter().enumerate() {
        let Some(v) = *t else { continue };
        let node_p = tree.node_probs(&probs[i * l..(i + 1) * l]);
        // ancestors of v by depth
        let mut anc = [usize::MAX; 8];
        let mut x = Some(v);
        while let Some(u) = x {
            anc[tree.nodes[u].depth.min(7)] = u;
            x = tree.nodes[u].parent;
        }
        for d in 1..=tree.nodes[v].depth.min(7) {
            let mut best = usize::MAX;
            let mut bp = -1f32;
            for &u in &by_depth[d] {
                if node_p[u] > bp {
                    bp = node_p[u];
                    best = u;
                }
            }
            let ok = best == anc[d];
            let r = d - 1;
            counts[r] += 1;
            correct[r] += ok as usize;
            pairs[r].push((bp as f64, ok));
        }
    }
    for r in 0..7 {
        if counts[r] == 0 {
            continue;
        }
        let bins = taxdistill_core::metrics::reliability(&pairs[r], BINS);
        let ece = taxdistill_core::metrics::ece(&bins).unwrap_or(0.0);
        ece_sum += ece * counts[r] as f64;
        n_sum += counts[r];
        out.push(RankScore {
            rank: Rank::from_index(r).expect("rank < 7").name().to_string(),
            n: counts[r],
            accuracy: correct[r] as f32 / counts[r] as f32,
            ece: ece as f32,
        });
    }
    let ece = if n_sum == 0 {
        0.0
    } else {
        (ece_sum / n_sum as f64) as f32
    };
    (out, ece)
}

/// Fits a temperature on `fit` targets, applies it, and fills the calibration
/// fields of `report` scored on `score` targets (may be the same rows).
pub fn calibrate(
    tree: &LabelTree,
    probs: &[f32],
    fit: &[Option<usize>],
    score: &[Option<usize>],
    report: &mut TeacherReport,
) -> Vec<f32> {
    let l = tree.n_leaves();
    let t = fit_temperature(tree, probs, fit);
    let (_, ece_before) = rank_scores(tree, probs, score);
    let nll_before = hier_nll(tree, probs, score);
    let out = apply_temperature(probs, l, t);
    let (heldout, ece_after) = rank_scores(tree, &out, score);
    report.temperature = t;
    report.nll_before = nll_before;
    report.nll_after = hier_nll(tree, &out, score);
    report.ece_before = ece_before;
    report.ece_after = ece_after;
    report.heldout = heldout;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use taxdistill_core::taxonomy::Lineage;

    fn tree() -> LabelTree {
        let ls: Vec<Lineage> = ["A;B;C", "A;B;D", "A;E"]
            .iter()
            .map(|s| Lineage::parse(s).unwrap())
            .collect();
        LabelTree::from_lineages(ls.iter())
    }

    #[test]
    fn nll_of_an_inner_label_sums_its_leaves() {
        let t = tree();
        let ab = t.find(&Lineage::parse("A;B").unwrap()).unwrap();
        let nll = hier_nll(&t, &[0.25, 0.25, 0.5], &[Some(ab)]);
        assert!((nll - 0.5f32.ln().abs()).abs() < 1e-6);
    }

    #[test]
    fn overconfident_predictions_get_a_temperature_above_one() {
        let ls: Vec<Lineage> = ["A;B", "A;C", "A;E"]
            .iter()
            .map(|s| Lineage::parse(s).unwrap())
            .collect();
        let t = LabelTree::from_lineages(ls.iter());
        let c = t.find(&ls[0]).unwrap();
        let e = t.find(&ls[2]).unwrap();
        // always 0.98 on the first leaf, but right only 60% of the time
        let mut probs = Vec::new();
        let mut targets = Vec::new();
        for i in 0..100 {
            probs.extend_from_slice(&[0.98, 0.01, 0.01]);
            targets.push(Some(if i % 5 < 3 { c } else { e }));
        }
        let temp = fit_temperature(&t, &probs, &targets);
        assert!(temp > 1.5, "temperature {temp}");
        let mut rep = TeacherReport::default();
        calibrate(&t, &probs, &targets, &targets, &mut rep);
        assert!(rep.nll_after < rep.nll_before);
        assert!(rep.ece_after < rep.ece_before);
    }

    #[test]
    fn temperature_keeps_rows_normalised() {
        let out = apply_temperature(&[0.7, 0.2, 0.1], 3, 3.0);
        assert!((out.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(out[0] < 0.7 && out[2] > 0.1);
    }
}
