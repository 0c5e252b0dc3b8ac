//! Per-rank stopping thresholds calibrated on held-out labelled contigs.
//!
//! The prediction walks down the tree choosing the most probable child while
//! its probability reaches the threshold of its rank. Thresholds are chosen
//! rank by rank, from the domain down (a rank's predictions depend only on the
//! thresholds of its own and the shallower ranks): for rank r, every candidate
//! t on a grid is scored by the held-out F1 at rank r against the held-out
//! contigs' own (noisy) labels, where
//! precision = agreeing predictions at r / predictions reaching r and
//! recall = agreeing predictions at r / held-out labels reaching r.
//! A label that stops above r (e.g. a Kraken2 label at family level for a
//! contig of a novel genus) makes a prediction at r count against precision, so
//! the student learns to stop where the labels stop. The best t wins (ties:
//! the smaller t); with fewer than `min_support` held-out labels at a rank the
//! default is kept. Truth is never used.

use taxdistill_core::taxonomy::LabelTree;

/// Candidate thresholds.
pub const GRID: [f32; 14] = [
    0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95,
];

/// Ancestor of `node` at `depth` (1 = domain), if the node is that deep. An
/// unresolved leaf does not count: its label stops at its parent.
fn ancestor_at(tree: &LabelTree, node: usize, depth: usize) -> Option<usize> {
    let mut v = node;
    if tree.nodes[v].depth < depth {
        return None;
    }
    while tree.nodes[v].depth > depth {
        v = tree.nodes[v].parent?;
    }
    (!tree.is_unresolved(v)).then_some(v)
}

/// Calibrates thresholds from held-out node probabilities (`node_probs[i]`,
/// one Vec per contig over all tree nodes) and label nodes.
pub fn calibrate_thresholds(
    tree: &LabelTree,
    node_probs: &[Vec<f32>],
    labels: &[usize],
    default: f32,
    min_support: usize,
) -> [f32; 7] {
    let mut thresholds = [default; 7];
    let n = labels.len();
    // current node of each contig's walk (None = stopped)
    let mut cur: Vec<Option<usize>> = vec![Some(0); n];
    for (r, threshold) in thresholds.iter_mut().enumerate() {
        let depth = r + 1;
        // best child at this depth and whether it agrees with the label
        let mut cand: Vec<Option<(f32, usize, bool)>> = Vec::with_capacity(n);
        let mut n_labels = 0usize;
        for i in 0..n {
            let lab = ancestor_at(tree, labels[i], depth);
            if lab.is_some() {
                n_labels += 1;
            }
            let c = cur[i]
                .and_then(|v| tree.best_child(&node_probs[i], v))
                .map(|best| (node_probs[i][best], best, lab == Some(best)));
            cand.push(c);
        }
        if n_labels >= min_support {
            let mut best_t = default;
            let mut best_f1 = -1f64;
            for &t in GRID.iter() {
                let (mut tp, mut np) = (0usize, 0usize);
                for (q, _, ok) in cand.iter().flatten() {
                    if *q >= t {
                        np += 1;
                        if *ok {
                            tp += 1;
                        }
                    }
                }
                let f1 = if np + n_labels == 0 {
                    0.0
                } else {
                    2.0 * tp as f64 / (np + n_labels) as f64
                };
                if f1 > best_f1 + 1e-12 {
                    best_f1 = f1;
                    best_t = t;
                }
            }
            *threshold = best_t;
        }
        let t = *threshold;
        for i in 0..n {
            cur[i] = match cand[i] {
                Some((q, node, _)) if q >= t => Some(node),
                _ => None,
            };
        }
    }
    thresholds
}

/// Per rank, the F1 of the walk at `thresholds` against the held-out noisy
/// labels (the score [`calibrate_thresholds`] maximises; `None` where no
/// held-out label or prediction reaches the rank). It compares students
/// trained on the same hold-out split, e.g. with and without a teacher.
pub fn heldout_f1(
    tree: &LabelTree,
    node_probs: &[Vec<f32>],
    labels: &[usize],
    thresholds: &[f32; 7],
) -> [Option<f64>; 7] {
    let mut out = [None; 7];
    let mut cur: Vec<Option<usize>> = vec![Some(0); labels.len()];
    for (r, f1) in out.iter_mut().enumerate() {
        let depth = r + 1;
        let (mut tp, mut np, mut nl) = (0usize, 0usize, 0usize);
        for (i, c) in cur.iter_mut().enumerate() {
            let lab = ancestor_at(tree, labels[i], depth);
            nl += usize::from(lab.is_some());
            *c = c
                .and_then(|v| tree.best_child(&node_probs[i], v))
                .filter(|&best| node_probs[i][best] >= thresholds[r]);
            if let Some(v) = *c {
                np += 1;
                tp += usize::from(lab == Some(v));
            }
        }
        if np + nl > 0 {
            *f1 = Some(2.0 * tp as f64 / (np + nl) as f64);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use taxdistill_core::taxonomy::Lineage;

    #[test]
    fn thresholds_rise_where_labels_stop_above_the_rank() {
        // two genera under one family; held-out contigs whose labels stop at
        // the family get spread genus probabilities (0.6), confidently
        // labelled ones get 0.97 on the right genus.
        let ls: Vec<Lineage> = ["A;B;C;D;F;G1", "A;B;C;D;F;G2"]
            .iter()
            .map(|s| Lineage::parse(s).unwrap())
            .collect();
        let tree = LabelTree::from_lineages(ls.iter());
        let g1 = tree.find(&ls[0]).unwrap();
        let fam = tree.find(&Lineage::parse("A;B;C;D;F").unwrap()).unwrap();
        let mut probs = Vec::new();
        let mut labels = Vec::new();
        for i in 0..40 {
            let p = if i % 2 == 0 { [0.97, 0.03] } else { [0.6, 0.4] };
            probs.push(tree.node_probs(&p));
            labels.push(if i % 2 == 0 { g1 } else { fam });
        }
        let th = calibrate_thresholds(&tree, &probs, &labels, 0.5, 10);
        assert!(th[5] > 0.6 && th[5] <= 0.97, "{th:?}");
        // ranks where everything agrees keep the smallest grid value
        assert_eq!(th[0], GRID[0]);
    }

    #[test]
    fn labels_on_an_unresolved_leaf_stop_above_its_rank() {
        // family F has one known genus G1 and an unresolved leaf; contigs
        // labelled at F (on the unresolved leaf) do not reach the genus rank:
        // they are not counted as genus labels (20 of 40 reach it), and the
        // walk of those the model puts on the unresolved leaf stops at F.
        let raw: Vec<Lineage> = ["A;B;C;D;F;G1", "A;B;C;D;F"]
            .iter()
            .map(|s| Lineage::parse(s).unwrap())
            .collect();
        let ls = taxdistill_core::taxonomy::with_unresolved_leaves(&raw, &[true, true]);
        let tree = LabelTree::from_lineages(ls.iter());
        let g1 = tree.find(&ls[0]).unwrap();
        let unres = tree.find(&ls[1]).unwrap();
        assert!(tree.is_unresolved(unres));
        let col_g1 = tree.leaf_column(g1).unwrap();
        let mut probs = Vec::new();
        let mut labels = Vec::new();
        for i in 0..40 {
            let mut p = [0f32; 2];
            if i % 2 == 0 {
                p[col_g1] = 0.6;
                p[1 - col_g1] = 0.4;
                labels.push(g1);
            } else {
                p[col_g1] = 0.3;
                p[1 - col_g1] = 0.7;
                labels.push(unres);
            }
            probs.push(tree.node_probs(&p));
        }
        let th = calibrate_thresholds(&tree, &probs, &labels, 0.5, 10);
        assert!(th[5] <= 0.6, "{th:?}");
        // with 30 labels needed at a rank, the 20 genus labels are too few
        let th = calibrate_thresholds(&tree, &probs, &labels, 0.5, 30);
        assert_eq!(th[5], 0.5, "{th:?}");
        assert_eq!(th[4], GRID[0], "{th:?}");
    }

    #[test]
    fn heldout_f1_scores_the_walk_against_the_labels() {
        let ls: Vec<Lineage> = ["A;B1", "A;B2"]
            .iter()
            .map(|s| Lineage::parse(s).unwrap())
            .collect();
        let tree = LabelTree::from_lineages(ls.iter());
        let (b1, b2) = (tree.find(&ls[0]).unwrap(), tree.find(&ls[1]).unwrap());
        // three contigs predicted B1 (0.9), labels B1, B2 and B1; one stops (0.55 < 0.6)
        let probs: Vec<Vec<f32>> = [[0.9, 0.1], [0.9, 0.1], [0.9, 0.1], [0.55, 0.45]]
            .iter()
            .map(|p| tree.node_probs(p))
            .collect();
        let f1 = heldout_f1(
            &tree,
            &probs,
            &[b1, b2, b1, b1],
            &[0.5, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5],
        );
        assert_eq!(f1[0], Some(1.0)); // all four reach the domain and agree
                                      // rank 2: 3 predictions, 4 labels, 2 agree → 2·2/(3+4)
        assert!((f1[1].unwrap() - 4.0 / 7.0).abs() < 1e-12, "{f1:?}");
        assert_eq!(f1[2], None);
    }
}
