//! How far down the label tree predictions carry over to genomes the labels
//! lack: the open-set rule's *vouched* lineages.
//!
//! A contig that the classifier left unassigned at rank r, in a neighbourhood
//! unassigned the way those of missing genomes are, belongs to a genome whose
//! taxon at r, or below r, is missing from the reference. A model trained on
//! the labels can name rank r of such a genome only in the second case, and
//! only when its prediction is confident. Both cases are simulated on the
//! labelled contigs with cross-fitted heads whose folds hold out whole clades:
//!
//! * clades of rank r held out (label-tree depth r + 1): the head never saw
//!   the contig's taxon at r, so its rank-r prediction is wrong;
//! * clades of rank r + 1 held out: the head saw other clades under the
//!   contig's rank-r taxon (if there are any), so it may be right.
//!
//! Each labelled contig is predicted once in each; the heads are walked down
//! the tree (the student's walk, [`LabelTree::best_child`]) and the rank-r
//! node's probability is recorded. The rank-r threshold is the lowest
//! probability at which the predictions of both simulations together are
//! right more often than not (each genome equally likely to be novel at r or
//! just below: the one prior, ½, that favours neither). No rank passes where
//! that never happens; the species never does (a species missing from the
//! labels cannot be named).
//!
//! Every contig's vouched lineage is then the walk of the heads trained on
//! all clades (random folds, held out as the simulations were), down while
//! each rank's probability passes its threshold.

use rayon::prelude::*;
use serde::Serialize;
use taxdistill_core::taxonomy::{LabelTree, Lineage};

use crate::errors::{Error, Result};
use crate::heads::{crossfit_raw, label_targets, HeadConfig};

/// The gate of one rank, as the teacher report records it.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Default)]
pub struct RankGate {
    /// Lowest head probability at which the rank may be named for a contig
    /// that looks novel there (`None`: never).
    pub threshold: Option<f32>,
    /// Precision of the pooled clade-held-out predictions at the threshold.
    pub precision: Option<f64>,
    /// Pooled clade-held-out predictions at the rank (both simulations).
    pub n: usize,
}

/// The rank-r node (depth r + 1) of the walk down `tree` under `leaf_probs`,
/// with its probability, for r = 0 (domain) … 6 (species); `None` past the
/// walk's end.
pub fn walk(tree: &LabelTree, leaf_probs: &[f32]) -> [Option<(usize, f32)>; 7] {
    let np = tree.node_probs(leaf_probs);
    let mut out = [None; 7];
    let mut v = 0;
    while let Some(c) = tree.best_child(&np, v) {
        let d = tree.nodes[c].depth;
        if d == 0 || d > 7 {
            break;
        }
        out[d - 1] = Some((c, np[c]));
        v = c;
    }
    out
}

/// The label's node at each depth 1..=7 (index depth − 1).
fn ancestors(tree: &LabelTree, node: usize) -> [Option<usize>; 7] {
    let mut out = [None; 7];
    let mut v = Some(node);
    while let Some(u) = v.filter(|&u| u != 0) {
        let d = tree.nodes[u].depth;
        if (1..=7).contains(&d) {
            out[d - 1] = Some(u);
        }
        v = tree.nodes[u].parent;
    }
    out
}

/// The lowest probability at which `preds` ((probability, right) pairs) are
/// right at least half the time, counting every prediction at or above it;
/// with that precision. `None` when no such probability exists.
pub fn threshold(mut preds: Vec<(f32, bool)>) -> Option<(f32, f64)> {
    preds.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut ok, mut best) = (0usize, None);
    for (i, &(p, right)) in preds.iter().enumerate() {
        ok += right as usize;
        // only between distinct probabilities: ties pass or fail together
        let last_of_tie = preds.get(i + 1).is_none_or(|q| q.0 < p);
        if last_of_tie && 2 * ok >= i + 1 {
            best = Some((p, ok as f64 / (i + 1) as f64));
        }
    }
    best
}

/// Per rank, the gate from clade-held-out heads (module doc).
///
/// `held[d - 1]`: the held-out probabilities (n × leaves) of heads whose
/// folds hold out whole clades at label-tree depth d (`None` where the
/// labels have fewer than two such clades); `rows`: the labelled contigs
/// they held out.
pub fn gates(
    tree: &LabelTree,
    labels: &[Lineage],
    rows: &[usize],
    held: &[Option<Vec<f32>>; 7],
) -> [RankGate; 7] {
    let l = tree.n_leaves();
    let targets = label_targets(labels, tree);
    // per simulation depth: each row's walk and label ancestors
    let walks: Vec<Option<Vec<([Option<(usize, f32)>; 7], [Option<usize>; 7])>>> = held
        .iter()
        .map(|probs| {
            probs.as_ref().map(|p| {
                rows.par_iter()
                    .map(|&i| {
                        let anc = ancestors(tree, targets[i].unwrap_or(0));
                        (walk(tree, &p[i * l..(i + 1) * l]), anc)
                    })
                    .collect()
            })
        })
        .collect();
    std::array::from_fn(|r| {
        let mut preds = Vec::new();
        // rank r's own clades held out (depth r + 1), then the next rank's (depth r + 2)
        for sim in [r, r + 1] {
            let Some(Some(w)) = walks.get(sim) else {
                continue;
            };
            let before = preds.len();
            for (walked, anc) in w {
                // the contig counts where its label reaches the held-out depth
                if anc[sim].is_none() {
                    continue;
                }
                let (node, p) = walked[r].unwrap_or((0, 0.0));
                preds.push((p, anc[r] == Some(node)));
            }
            let sim_preds = &preds[before..];
            let right = |p: &&(f32, bool)| p.1;
            tracing::debug!(
                "open-set gate, rank {r}, clades of depth {} held out: {}/{} right, {}/{} above 0.9",
                sim + 1,
                sim_preds.iter().filter(right).count(),
                sim_preds.len(),
                sim_preds.iter().filter(|p| p.0 > 0.9).filter(right).count(),
                sim_preds.iter().filter(|p| p.0 > 0.9).count(),
            );
        }
        let n = preds.len();
        // the species of a genome missing from the labels is never right
        let t = (r < 6).then(|| threshold(preds)).flatten();
        RankGate {
            threshold: t.map(|t| t.0),
            precision: t.map(|t| t.1),
            n,
        }
    })
}

/// Every row's vouched node: the walk under `probs` (n × leaves) down while
/// each rank's probability passes its gate (0 = the root: nothing vouched).
pub fn vouched(tree: &LabelTree, probs: &[f32], gates: &[RankGate; 7]) -> Vec<u32> {
    let l = tree.n_leaves();
    probs
        .par_chunks(l)
        .map(|row| {
            let mut v = 0;
            for (r, step) in walk(tree, row).iter().enumerate() {
                match (step, gates[r].threshold) {
                    (Some((c, p)), Some(t)) if *p >= t => v = *c,
                    _ => break,
                }
            }
            v as u32
        })
        .collect()
}

/// The clade-held-out simulations at depths 1..=7 (module doc): heads with
/// `cfg` (its `group_depth` replaced), raw held-out probabilities.
///
/// # Errors
/// Tensor errors; too few labelled contigs.
pub fn clade_held_out(
    x: &[f32],
    d: usize,
    labels: &[Lineage],
    tree: &LabelTree,
    train_mask: &[bool],
    cfg: &HeadConfig,
) -> Result<[Option<Vec<f32>>; 7]> {
    let mut out: [Option<Vec<f32>>; 7] = Default::default();
    for (i, slot) in out.iter_mut().enumerate() {
        let depth = i + 1;
        let hc = HeadConfig {
            seed: cfg.seed ^ (0x0c1a_de5e + depth as u64),
            group_depth: Some(depth),
            ..cfg.clone()
        };
        *slot = match crossfit_raw(x, d, labels, tree, train_mask, &hc) {
            Ok(cf) => Some(cf.probs),
            // fewer than two clades at this depth: nothing to hold out
            Err(Error::Invalid(_)) => None,
            Err(e) => return Err(e),
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_is_the_lowest_probability_with_precision_one_half() {
        // sorted: .9 ok, .8 ok, .7 no, .6 no, .5 no → prefixes 1, 1, .67, .5, .4
        let t = threshold(vec![
            (0.5, false),
            (0.9, true),
            (0.7, false),
            (0.8, true),
            (0.6, false),
        ]);
        assert_eq!(t, Some((0.6, 0.5)));
        assert_eq!(
            threshold(vec![(0.9, false), (0.8, false), (0.1, true)]),
            None
        );
        assert_eq!(threshold(vec![]), None);
        // a tie passes or fails as one: (.7 ok, .7 no, .7 no) is 1/3
        assert_eq!(
            threshold(vec![(0.7, true), (0.7, false), (0.7, false)]),
            None
        );
    }

    /// Leaf probabilities in `tree`'s column order from (leaf lineage, p) pairs.
    fn leaf_row(tree: &LabelTree, mass: &[(&str, f32)]) -> Vec<f32> {
        let mut row = vec![0f32; tree.n_leaves()];
        for &(name, p) in mass {
            let v = tree.find(&Lineage::parse(name).unwrap()).unwrap();
            row[tree.leaf_column(v).unwrap()] = p;
        }
        row
    }

    #[test]
    fn a_rank_passes_only_where_confident_predictions_survive_its_clades_held_out() {
        let names = ["B;P1;C1", "B;P1;C2", "B;P2;C3"];
        let labels: Vec<Lineage> = names.iter().map(|n| Lineage::parse(n).unwrap()).collect();
        let tree = LabelTree::from_lineages(&labels);
        // phylum held out: each contig goes to the other phylum with probability `conf`
        let phylum_out = |conf: f32| -> Vec<f32> {
            [
                ("B;P2;C3", "B;P1;C1"),
                ("B;P2;C3", "B;P1;C2"),
                ("B;P1;C1", "B;P2;C3"),
            ]
            .iter()
            .flat_map(|&(wrong, right)| leaf_row(&tree, &[(wrong, conf), (right, 1.0 - conf)]))
            .collect()
        };
        // class held out: C1 and C2 keep their phylum (0.8), C3 (alone in P2) cannot
        let class_out: Vec<f32> = [
            leaf_row(&tree, &[("B;P1;C2", 0.8), ("B;P2;C3", 0.2)]),
            leaf_row(&tree, &[("B;P1;C1", 0.8), ("B;P2;C3", 0.2)]),
            leaf_row(&tree, &[("B;P1;C1", 0.6), ("B;P2;C3", 0.4)]),
        ]
        .concat();
        let rows = [0, 1, 2];
        let held = |conf| {
            [
                None,
                Some(phylum_out(conf)),
                Some(class_out.clone()),
                None,
                None,
                None,
                None,
            ]
        };
        // confidently wrong on held-out phyla: 3 wrong at 0.9 above 2 right at 0.8
        let g = gates(&tree, &labels, &rows, &held(0.9));
        assert_eq!(g[0].threshold, Some(1.0)); // one domain: always right
        assert_eq!(g[1].threshold, None);
        assert_eq!(g[1].n, 6);
        // no simulation is right at the class
        assert_eq!(g[2].threshold, None);
        // unsure on held-out phyla (0.55 to the wrong one): 2 right at 0.8, then
        // 1 wrong at 0.6 (2/3), then 3 wrong at 0.55 (2/6): the phylum passes at 0.6
        let g = gates(&tree, &labels, &rows, &held(0.55));
        assert_eq!(g[1].threshold, Some(0.6));
        assert_eq!(g[1].precision, Some(2.0 / 3.0));
        assert!(g[6].threshold.is_none());
    }

    #[test]
    fn the_walk_and_the_vouched_node_follow_the_thresholds() {
        let tree = LabelTree::from_lineages(&[
            Lineage::parse("B;P1;C1").unwrap(),
            Lineage::parse("B;P1;C2").unwrap(),
            Lineage::parse("B;P2;C3").unwrap(),
        ]);
        let leaf = |name: &str| {
            let v = tree.find(&Lineage::parse(name).unwrap()).unwrap();
            tree.leaf_column(v).unwrap()
        };
        let mut probs = vec![0f32; 3];
        probs[leaf("B;P1;C1")] = 0.5;
        probs[leaf("B;P1;C2")] = 0.3;
        probs[leaf("B;P2;C3")] = 0.2;
        let w = walk(&tree, &probs);
        assert_eq!(
            tree.lineage(w[2].unwrap().0),
            Lineage::parse("B;P1;C1").unwrap()
        );
        assert!((w[1].unwrap().1 - 0.8).abs() < 1e-6);
        let gate = |t: Option<f32>| RankGate {
            threshold: t,
            precision: None,
            n: 0,
        };
        let g = [
            gate(Some(0.0)),
            gate(Some(0.7)),
            gate(Some(0.6)),
            gate(None),
            gate(None),
            gate(None),
            gate(None),
        ];
        let v = vouched(&tree, &probs, &g);
        assert_eq!(tree.lineage(v[0] as usize), Lineage::parse("B;P1").unwrap());
    }
}
