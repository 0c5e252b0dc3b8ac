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
//! node's probability is recorded. How the genomes silent at r divide
//! between the two cases is estimated from the data: the contigs whose label
//! names nothing at r are predicted too (by the heads of all clades), and
//! the share π of "novel below r" is the weight of the mixture
//! (1 − π)·f_r + π·f_{r+1} of the two simulations' probability histograms
//! that explains their probabilities best (EM, [`mixture_share`]). The
//! rank-r threshold is the lowest probability at which the two simulations'
//! predictions, weighted 1 − π and π, are right more often than not. No rank
//! passes where that never happens; the species never does (a species missing from the
//! labels cannot be named). The domain's own clades are never held out: no
//! classifier's reference lacks a prokaryotic domain, so a genome silent at
//! the domain is novel below it.
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

/// The lowest probability at which `preds` ((probability, right, weight)
/// triples) are right at least half the time by weight, counting every
/// prediction at or above it; with that precision. `None` when no such
/// probability exists.
pub fn threshold(mut preds: Vec<(f32, bool, f64)>) -> Option<(f32, f64)> {
    preds.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut ok, mut all, mut best) = (0.0, 0.0, None);
    for (i, &(p, right, w)) in preds.iter().enumerate() {
        all += w;
        if right {
            ok += w;
        }
        // only between distinct probabilities: ties pass or fail together
        let last_of_tie = preds.get(i + 1).is_none_or(|q| q.0 < p);
        if last_of_tie && all > 0.0 && 2.0 * ok >= all * (1.0 - 1e-9) {
            best = Some((p, ok / all));
        }
    }
    best
}

/// The weight π of `b` in the mixture (1 − π)·f_a + π·f_b of the two
/// samples' probability histograms (20 bins, one pseudo-count each) that
/// best explains `x` (EM); ½ when `x` is empty.
pub fn mixture_share(a: &[f32], b: &[f32], x: &[f32]) -> f64 {
    const BINS: usize = 20;
    let bin = |p: f32| ((p.clamp(0.0, 1.0) * BINS as f32) as usize).min(BINS - 1);
    let density = |s: &[f32]| {
        let mut h = [1.0f64; BINS];
        for &p in s {
            h[bin(p)] += 1.0;
        }
        let t: f64 = h.iter().sum();
        h.map(|c| c / t)
    };
    let (fa, fb) = (density(a), density(b));
    if x.is_empty() {
        return 0.5;
    }
    let mut counts = [0.0f64; BINS];
    for &p in x {
        counts[bin(p)] += 1.0;
    }
    let mut pi = 0.5;
    for _ in 0..500 {
        let mut resp = 0.0;
        for i in 0..BINS {
            let (pa, pb) = ((1.0 - pi) * fa[i], pi * fb[i]);
            resp += counts[i] * pb / (pa + pb);
        }
        let next = resp / x.len() as f64;
        if (next - pi).abs() < 1e-9 {
            pi = next;
            break;
        }
        pi = next;
    }
    pi
}

/// One row's [`walk`]: the rank-r node and its probability, per rank.
pub type Walk = [Option<(usize, f32)>; 7];

/// Every row's [`walk`] under `probs` (n × leaves).
pub fn walks(tree: &LabelTree, probs: &[f32]) -> Vec<Walk> {
    probs
        .par_chunks(tree.n_leaves())
        .map(|row| walk(tree, row))
        .collect()
}

/// A row's walk and its label's node per rank.
type WalkAndLabel = (Walk, [Option<usize>; 7]);

/// Per rank, the gate from clade-held-out heads (module doc).
///
/// `held[d - 1]`: every contig's [`walks`] under the held-out heads whose
/// folds hold out whole clades at label-tree depth d (`None` where the
/// labels have fewer than two such clades); `rows`: the labelled contigs
/// they held out; `full` (one per contig, or empty: π = ½): every contig's
/// [`walks`] under the heads of all clades, for the mixture share.
pub fn gates(
    tree: &LabelTree,
    labels: &[Lineage],
    rows: &[usize],
    held: &[Option<Vec<Walk>>; 7],
    full: &[Walk],
) -> [RankGate; 7] {
    let targets = label_targets(labels, tree);
    // per simulation depth: each row's walk and label ancestors
    let sim_walks: Vec<Option<Vec<WalkAndLabel>>> = held
        .iter()
        .map(|probs| {
            probs.as_ref().map(|w| {
                rows.par_iter()
                    .map(|&i| {
                        let anc = ancestors(tree, targets[i].unwrap_or(0));
                        (w[i], anc)
                    })
                    .collect()
            })
        })
        .collect();
    std::array::from_fn(|r| {
        // rank r's own clades held out (depth r + 1), then the next rank's
        // (depth r + 2); no genome is missing its domain from a classifier's
        // reference (every one holds both prokaryotic domains)
        let sims: Vec<Vec<(f32, bool)>> = [r, r + 1]
            .into_iter()
            .filter(|&sim| sim > 0)
            .filter_map(|sim| {
                let w = sim_walks.get(sim)?.as_ref()?;
                let preds: Vec<(f32, bool)> = w
                    .iter()
                    // the contig counts where its label reaches the held-out depth
                    .filter(|(_, anc)| anc[sim].is_some())
                    .map(|(walked, anc)| {
                        let (node, p) = walked[r].unwrap_or((0, 0.0));
                        (p, anc[r] == Some(node))
                    })
                    .collect();
                (!preds.is_empty()).then_some(preds)
            })
            .collect();
        // how the contigs silent at r divide between the two: the mixture of
        // the simulations' probability distributions that fits theirs best
        let silent: Vec<f32> = labels
            .iter()
            .zip(full)
            .filter(|(lab, _)| lab.depth() <= r)
            .map(|(_, w)| w[r].map_or(0.0, |x| x.1))
            .collect();
        let share = match sims.as_slice() {
            [a, b] => mixture_share(
                &a.iter().map(|x| x.0).collect::<Vec<_>>(),
                &b.iter().map(|x| x.0).collect::<Vec<_>>(),
                &silent,
            ),
            _ => 1.0,
        };
        tracing::debug!(
            "open-set gate, rank {r}: {} silent contigs, share novel below the rank {share:.3}",
            silent.len()
        );
        let mut preds = Vec::new();
        let k = sims.len();
        for (j, sim) in sims.into_iter().enumerate() {
            // with two simulations, the first (novel at r) weighs 1 - share
            let mass = match (k, j) {
                (2, 0) => 1.0 - share,
                (2, _) => share,
                _ => 1.0,
            };
            let w = mass / sim.len() as f64;
            preds.extend(sim.into_iter().map(|(p, ok)| (p, ok, w)));
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

/// Every row's vouched node: its walk ([`walks`]) down while each rank's
/// probability passes its gate (0 = the root: nothing vouched).
pub fn vouched(walks: &[Walk], gates: &[RankGate; 7]) -> Vec<u32> {
    walks
        .par_iter()
        .map(|walk| {
            let mut v = 0;
            for (step, gate) in walk.iter().zip(gates) {
                match (step, gate.threshold) {
                    (Some((c, p)), Some(t)) if *p >= t => v = *c,
                    _ => break,
                }
            }
            v as u32
        })
        .collect()
}

/// The clade-held-out simulations at depths 1..=7 (module doc): heads with
/// `cfg` (its `group_depth` replaced): every contig's [`walks`] under its
/// raw held-out probabilities.
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
) -> Result<[Option<Vec<Walk>>; 7]> {
    let mut out: [Option<Vec<Walk>>; 7] = Default::default();
    // depth 1 (domains held out) is never a simulation (`gates`)
    for (i, slot) in out.iter_mut().enumerate().skip(1) {
        let depth = i + 1;
        let hc = HeadConfig {
            seed: cfg.seed ^ (0x0c1a_de5e + depth as u64),
            group_depth: Some(depth),
            ..cfg.clone()
        };
        *slot = match crossfit_raw(x, d, labels, tree, train_mask, &hc) {
            // only the walks are kept: one n × leaves matrix at a time
            Ok(cf) => Some(walks(tree, &cf.probs)),
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

    /// Held-out probabilities (n × leaves per depth) as [`gates`] takes them.
    fn as_walks(tree: &LabelTree, held: [Option<Vec<f32>>; 7]) -> [Option<Vec<Walk>>; 7] {
        held.map(|p| p.map(|p| walks(tree, &p)))
    }

    /// [`threshold`] with every weight 1.
    fn unweighted(preds: Vec<(f32, bool)>) -> Option<(f32, f64)> {
        threshold(preds.into_iter().map(|(p, ok)| (p, ok, 1.0)).collect())
    }

    #[test]
    fn threshold_is_the_lowest_probability_with_precision_one_half() {
        // sorted: .9 ok, .8 ok, .7 no, .6 no, .5 no → prefixes 1, 1, .67, .5, .4
        let t = unweighted(vec![
            (0.5, false),
            (0.9, true),
            (0.7, false),
            (0.8, true),
            (0.6, false),
        ]);
        assert_eq!(t, Some((0.6, 0.5)));
        assert_eq!(
            unweighted(vec![(0.9, false), (0.8, false), (0.1, true)]),
            None
        );
        assert_eq!(unweighted(vec![]), None);
        // a tie passes or fails as one: (.7 ok, .7 no, .7 no) is 1/3
        assert_eq!(
            unweighted(vec![(0.7, true), (0.7, false), (0.7, false)]),
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
        let g = gates(&tree, &labels, &rows, &as_walks(&tree, held(0.9)), &[]);
        assert_eq!(g[0].threshold, Some(1.0)); // one domain: always right
        assert_eq!(g[1].threshold, None);
        assert_eq!(g[1].n, 6);
        // no simulation is right at the class
        assert_eq!(g[2].threshold, None);
        // unsure on held-out phyla (0.55 to the wrong one): 2 right at 0.8, then
        // 1 wrong at 0.6 (2/3), then 3 wrong at 0.55 (2/6): the phylum passes at 0.6
        let g = gates(&tree, &labels, &rows, &as_walks(&tree, held(0.55)), &[]);
        assert_eq!(g[1].threshold, Some(0.6));
        assert_eq!(g[1].precision, Some(2.0 / 3.0));
        assert!(g[6].threshold.is_none());
    }

    #[test]
    fn the_mixture_share_recovers_the_weight_of_the_second_sample() {
        // a: unsure (0.3 … 0.6), b: confident (0.9 … 1.0); x: 30 % like b
        let a: Vec<f32> = (0..300).map(|i| 0.3 + 0.3 * (i as f32 / 300.0)).collect();
        let b: Vec<f32> = (0..300).map(|i| 0.9 + 0.1 * (i as f32 / 300.0)).collect();
        let x: Vec<f32> = a
            .iter()
            .take(210)
            .chain(b.iter().take(90))
            .copied()
            .collect();
        let pi = mixture_share(&a, &b, &x);
        assert!((pi - 0.3).abs() < 0.02, "{pi}");
        assert_eq!(mixture_share(&a, &b, &[]), 0.5);
    }

    #[test]
    fn silent_contigs_like_the_novel_below_simulation_open_the_gate() {
        let names = ["B;P1;C1", "B;P1;C2", "B;P2;C3"];
        let labels: Vec<Lineage> = names.iter().map(|n| Lineage::parse(n).unwrap()).collect();
        let tree = LabelTree::from_lineages(&labels);
        // phyla held out: wrong at 0.6; classes held out: right at 0.9, but C3,
        // alone in its phylum, wrong at 0.7
        let phylum_out: Vec<f32> = [
            leaf_row(&tree, &[("B;P2;C3", 0.6), ("B;P1;C1", 0.4)]),
            leaf_row(&tree, &[("B;P2;C3", 0.6), ("B;P1;C2", 0.4)]),
            leaf_row(&tree, &[("B;P1;C1", 0.6), ("B;P2;C3", 0.4)]),
        ]
        .concat();
        let class_out: Vec<f32> = [
            leaf_row(&tree, &[("B;P1;C2", 0.9), ("B;P2;C3", 0.1)]),
            leaf_row(&tree, &[("B;P1;C1", 0.9), ("B;P2;C3", 0.1)]),
            leaf_row(&tree, &[("B;P1;C1", 0.7), ("B;P2;C3", 0.3)]),
        ]
        .concat();
        let held = [
            None,
            Some(phylum_out),
            Some(class_out),
            None,
            None,
            None,
            None,
        ];
        // three more contigs, silent at the phylum, whose heads are sure (0.9)
        let mut all = labels.clone();
        all.extend((0..3).map(|_| Lineage::parse("B").unwrap()));
        let mut probs: Vec<f32> = names
            .iter()
            .flat_map(|&n| leaf_row(&tree, &[(n, 1.0)]))
            .collect();
        for _ in 0..3 {
            probs.extend(leaf_row(&tree, &[("B;P1;C1", 0.9), ("B;P2;C3", 0.1)]));
        }
        // π = ½: 0.9, 0.9 right (⅓), 0.7 wrong (⅙), then 3 × 0.6 wrong (½)
        let held = as_walks(&tree, held);
        let half = gates(&tree, &all, &[0, 1, 2], &held, &[]);
        assert_eq!(half[1].threshold, Some(0.7));
        // silent contigs all like the class-held-out simulation: π → 1, and
        // the phylum passes lower, where the novel-at-phylum predictions are
        let fitted = gates(&tree, &all, &[0, 1, 2], &held, &walks(&tree, &probs));
        assert_eq!(fitted[1].threshold, Some(0.6));
    }

    #[test]
    fn a_genome_is_never_simulated_novel_at_the_domain() {
        let names = ["B;P1;C1", "B;P2;C2", "A;P3;C3"];
        let labels: Vec<Lineage> = names.iter().map(|n| Lineage::parse(n).unwrap()).collect();
        let tree = LabelTree::from_lineages(&labels);
        // domains held out: each contig confidently in the other domain
        let domain_out: Vec<f32> = [
            leaf_row(&tree, &[("A;P3;C3", 0.99), ("B;P1;C1", 0.01)]),
            leaf_row(&tree, &[("A;P3;C3", 0.99), ("B;P2;C2", 0.01)]),
            leaf_row(&tree, &[("B;P1;C1", 0.99), ("A;P3;C3", 0.01)]),
        ]
        .concat();
        // phyla held out: the bacteria keep their domain (0.9), the archaeon,
        // alone in its domain, does not (0.8)
        let phylum_out: Vec<f32> = [
            leaf_row(&tree, &[("B;P2;C2", 0.9), ("A;P3;C3", 0.1)]),
            leaf_row(&tree, &[("B;P1;C1", 0.9), ("A;P3;C3", 0.1)]),
            leaf_row(&tree, &[("B;P1;C1", 0.8), ("A;P3;C3", 0.2)]),
        ]
        .concat();
        let held = [
            Some(domain_out),
            Some(phylum_out),
            None,
            None,
            None,
            None,
            None,
        ];
        let g = gates(&tree, &labels, &[0, 1, 2], &as_walks(&tree, held), &[]);
        // 0.9, 0.9 right, 0.8 wrong: 2/3 (with the domains held out: never ½)
        assert_eq!(g[0].threshold, Some(0.8));
        assert_eq!(g[0].n, 3);
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
        let v = vouched(&walks(&tree, &probs), &g);
        assert_eq!(tree.lineage(v[0] as usize), Lineage::parse("B;P1").unwrap());
    }
}
