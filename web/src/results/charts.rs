//! What the charts draw, computed from a [`Table`] in the worker: the
//! confidence histogram, the sunburst's tree and the Sankey's flows.
//!
//! Runtime-free: tested natively.

use super::{Table, NO_NAME, OTHER, UNCLASSIFIED};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use taxdistill_core::openset::Source;

/// Histogram of the student's score at rank `r` over the contigs it
/// annotated down to that rank (kept input labels have no score): `bins`
/// equal bins over [0, 1].
pub fn score_histogram(t: &Table, r: usize, bins: usize) -> Vec<u64> {
    let bins = bins.max(1);
    let mut h = vec![0u64; bins];
    for i in (0..t.len()).filter(|&i| t.by_student(i)) {
        if let Some(&s) = t.scores(i).get(r) {
            let b = ((s.clamp(0.0, 1.0) * bins as f32) as usize).min(bins - 1);
            h[b] += 1;
        }
    }
    h
}

/// One node of the prediction tree (for the sunburst).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeNode {
    pub name: String,
    pub depth: usize,
    pub contigs: u64,
    pub bp: u64,
    pub children: Vec<usize>,
    pub parent: Option<usize>,
    /// Contigs the student annotated down to this node (kept input labels
    /// have no score), and the sum of its scores at the node's rank over them.
    #[serde(default)]
    pub scored: u64,
    #[serde(default)]
    pub score_sum: f64,
}

impl TreeNode {
    /// The student's mean score at the node's rank (`None`: no contig here
    /// was annotated by it).
    pub fn mean_score(&self) -> Option<f64> {
        (self.scored > 0).then(|| self.score_sum / self.scored as f64)
    }
}

/// Builds the tree of output lineages (the student's and the kept input
/// labels); node 0 is the root (every contig with an output); children
/// sorted by name so the drawing is stable.
pub fn prediction_tree(t: &Table) -> Vec<TreeNode> {
    lineage_tree(t, |i| {
        let pred = t.pred(i)?;
        let scores = if t.by_student(i) { t.scores(i) } else { &[] };
        Some((pred, scores))
    })
}

/// Builds the tree of the input labels (the classifier's, as given): every
/// contig, the unlabelled ones at the root; no scores.
pub fn input_tree(t: &Table) -> Vec<TreeNode> {
    lineage_tree(t, |i| Some((t.noisy(i), &[])))
}

/// The tree of the lineages `of(i)` gives (name indices, scores per rank);
/// rows it gives `None` for are left out.
fn lineage_tree<'a>(
    t: &'a Table,
    of: impl Fn(usize) -> Option<(&'a [u32], &'a [f32])>,
) -> Vec<TreeNode> {
    let mut nodes = vec![TreeNode {
        name: "all".into(),
        depth: 0,
        contigs: 0,
        bp: 0,
        children: vec![],
        parent: None,
        scored: 0,
        score_sum: 0.0,
    }];
    let mut index: HashMap<(usize, u32), usize> = HashMap::new();
    for i in 0..t.len() {
        let Some((pred, scores)) = of(i) else {
            continue;
        };
        let len = t.lens[i] as u64;
        let mut v = 0;
        nodes[0].contigs += 1;
        nodes[0].bp += len;
        for (d, &name) in pred.iter().enumerate() {
            let next = match index.get(&(v, name)) {
                Some(&c) => c,
                None => {
                    let c = nodes.len();
                    let depth = nodes[v].depth + 1;
                    nodes.push(TreeNode {
                        name: t.name(name).to_string(),
                        depth,
                        contigs: 0,
                        bp: 0,
                        children: vec![],
                        parent: Some(v),
                        scored: 0,
                        score_sum: 0.0,
                    });
                    nodes[v].children.push(c);
                    index.insert((v, name), c);
                    c
                }
            };
            nodes[next].contigs += 1;
            nodes[next].bp += len;
            if let Some(&s) = scores.get(d) {
                nodes[next].scored += 1;
                nodes[next].score_sum += f64::from(s);
            }
            v = next;
        }
    }
    let names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
    for n in &mut nodes {
        n.children.sort_by(|a, b| names[*a].cmp(&names[*b]));
    }
    nodes
}

/// Flows noisy label → output label at one rank.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Flows {
    /// Noisy-label categories, largest first ([`UNCLASSIFIED`] and [`OTHER`] last).
    pub left: Vec<String>,
    /// Output-label categories, in the same order rules.
    pub right: Vec<String>,
    /// (left index, right index, contigs) the student annotated.
    pub flows: Vec<(usize, usize, u64)>,
    /// (left index, right index, contigs) too short for the student, that
    /// keep their input label.
    #[serde(default)]
    pub kept: Vec<(usize, usize, u64)>,
}

/// Flows at rank `r`, with at most `top` named categories per side (the rest
/// pooled as [`OTHER`]; contigs without a taxon at the rank are [`UNCLASSIFIED`]).
pub fn sankey_flows(t: &Table, r: usize, top: usize) -> Flows {
    let at = |l: &[u32]| l.get(r).copied().unwrap_or(NO_NAME);
    // (noisy, output, kept) → contigs
    let mut pairs: HashMap<(u32, u32, bool), u64> = HashMap::new();
    for i in 0..t.len() {
        let Some(pred) = t.pred(i) else { continue };
        let kept = t.source(i) == Source::Input;
        *pairs.entry((at(t.noisy(i)), at(pred), kept)).or_default() += 1;
    }
    // per side: the `top` largest named taxa, then "other", then "unclassified"
    let keep = |side: usize| -> (Vec<String>, HashMap<u32, usize>) {
        let mut tot: HashMap<u32, u64> = HashMap::new();
        for (&(a, b, _), &n) in &pairs {
            *tot.entry(if side == 0 { a } else { b }).or_default() += n;
        }
        let mut named: Vec<(u32, u64)> = tot.into_iter().filter(|(k, _)| *k != NO_NAME).collect();
        named.sort_by(|a, b| b.1.cmp(&a.1).then(t.name(a.0).cmp(t.name(b.0))));
        let mut names: Vec<String> = Vec::new();
        let mut pos: HashMap<u32, usize> = HashMap::new();
        for &(k, _) in named.iter().take(top) {
            pos.insert(k, names.len());
            names.push(t.name(k).to_string());
        }
        if named.len() > top {
            let other = names.len();
            for &(k, _) in &named[top..] {
                pos.insert(k, other);
            }
            names.push(OTHER.into());
        }
        if pairs
            .keys()
            .any(|&(a, b, _)| (if side == 0 { a } else { b }) == NO_NAME)
        {
            pos.insert(NO_NAME, names.len());
            names.push(UNCLASSIFIED.into());
        }
        (names, pos)
    };
    let ((left, lpos), (right, rpos)) = (keep(0), keep(1));
    let mut merged: HashMap<(usize, usize, bool), u64> = HashMap::new();
    for (&(a, b, kept), &n) in &pairs {
        *merged.entry((lpos[&a], rpos[&b], kept)).or_default() += n;
    }
    let pick = |want: bool| {
        let mut v: Vec<(usize, usize, u64)> = merged
            .iter()
            .filter(|(k, _)| k.2 == want)
            .map(|(&(a, b, _), &n)| (a, b, n))
            .collect();
        v.sort();
        v
    };
    Flows {
        left,
        right,
        flows: pick(false),
        kept: pick(true),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::table;
    use super::*;

    #[test]
    fn histogram_counts_scores_at_the_rank() {
        let t = table(&[
            ("a", 1, "", Some("B;P"), &[1.0, 0.05]),
            ("b", 1, "", Some("B"), &[0.5]),
        ]);
        assert_eq!(
            score_histogram(&t, 1, 10),
            vec![1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(score_histogram(&t, 0, 2), vec![0, 2]);
    }

    #[test]
    fn tree_sums_contigs_and_bp_along_lineages() {
        let t = table(&[
            ("a", 5, "", Some("B;P1"), &[1.0, 1.0]),
            ("b", 7, "", Some("B;P2"), &[1.0, 1.0]),
        ]);
        let tree = prediction_tree(&t);
        assert_eq!((tree[0].contigs, tree[0].bp), (2, 12));
        assert_eq!(tree[1].name, "B");
        assert_eq!(tree[1].children.len(), 2);
        assert_eq!(tree[tree[1].children[1]].bp, 7);
        assert_eq!(tree[1].mean_score(), Some(1.0));
    }

    #[test]
    fn sankey_pools_small_categories_into_other_and_puts_unclassified_last() {
        let t = table(&[
            ("a", 1, "B;X", Some("B;X"), &[]),
            ("b", 1, "B;X", Some("B;Y"), &[]),
            ("c", 1, "B;Z", Some("B;Y"), &[]),
            ("d", 1, "", Some("B"), &[]),
        ]);
        let f = sankey_flows(&t, 1, 1);
        assert_eq!(f.left, vec!["X", OTHER, UNCLASSIFIED]);
        assert_eq!(f.right, vec!["Y", OTHER, UNCLASSIFIED]);
        assert_eq!(f.flows.iter().map(|x| x.2).sum::<u64>(), 4);
        // d: unlabelled at the rank → unclassified on both sides
        assert!(f.flows.contains(&(2, 2, 1)));
    }
}
