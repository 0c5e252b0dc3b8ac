//! Per-rank precision, recall and F1 as Taxometer and TaxDistill define them;
//! and calibration (reliability bins, expected calibration error) — the one
//! home of both for the teacher's report, `taxdistill-bench` and the page.
//!
//! For each rank, over the contigs whose truth reaches that rank: a contig is
//! *correct* when the prediction reaches the rank with the same name there,
//! *wrong* when it reaches the rank with another name, *missing* when it stops
//! above. precision = correct / (correct + wrong) (0 when nothing was
//! predicted), recall = correct / contigs with truth, F1 their harmonic mean.
//! Names are compared with [`normalize_name`] (case-insensitive, spaces =
//! underscores, GTDB prefixes stripped), at the rank only — as Taxometer does.
//! The `bp_*` fields weight every contig by its length.

use crate::taxonomy::{normalize_name, Lineage, Rank};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Metrics of one rank.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankMetrics {
    pub rank: Rank,
    pub correct: u64,
    pub wrong: u64,
    pub missing: u64,
    /// Contigs whose truth reaches this rank (= correct + wrong + missing).
    pub n_truth: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub bp_correct: u64,
    pub bp_wrong: u64,
    pub bp_missing: u64,
    pub bp_truth: u64,
    pub bp_precision: f64,
    pub bp_recall: f64,
    pub bp_f1: f64,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    }
}

/// Per-rank metrics, domain … species. Predictions of contigs absent from the
/// truth are ignored; truth contigs without a prediction count as missing.
/// Without `lengths` (or for a contig missing from it) the bp weight is 0.
pub fn evaluate(
    truth: &[(String, Lineage)],
    pred: &[(String, Lineage)],
    lengths: Option<&HashMap<String, u64>>,
) -> Vec<RankMetrics> {
    let pred: HashMap<&str, &Lineage> = pred.iter().map(|(id, l)| (id.as_str(), l)).collect();
    // [correct, wrong, missing] by count and by bp
    let mut n = [[0u64; 3]; 7];
    let mut bp = [[0u64; 3]; 7];
    for (id, t) in truth {
        let w = lengths.and_then(|m| m.get(id)).copied().unwrap_or(0);
        let p = pred.get(id.as_str());
        for rank in Rank::ALL {
            let Some(tn) = t.at(rank) else { break };
            let k = match p.and_then(|p| p.at(rank)) {
                Some(pn) if normalize_name(pn) == normalize_name(tn) => 0,
                Some(_) => 1,
                None => 2,
            };
            n[rank.index()][k] += 1;
            bp[rank.index()][k] += w;
        }
    }
    Rank::ALL
        .iter()
        .map(|&rank| {
            let [c, w, m] = n[rank.index()];
            let [bc, bw, bm] = bp[rank.index()];
            let (precision, recall) = (ratio(c, c + w), ratio(c, c + w + m));
            let (bp_precision, bp_recall) = (ratio(bc, bc + bw), ratio(bc, bc + bw + bm));
            RankMetrics {
                rank,
                correct: c,
                wrong: w,
                missing: m,
                n_truth: c + w + m,
                precision,
                recall,
                f1: f1(precision, recall),
                bp_correct: bc,
                bp_wrong: bw,
                bp_missing: bm,
                bp_truth: bc + bw + bm,
                bp_precision,
                bp_recall,
                bp_f1: f1(bp_precision, bp_recall),
            }
        })
        .collect()
}

// ---- calibration: reliability bins and expected calibration error ----

/// One bin of a reliability diagram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower and upper edge of the confidence bin.
    pub lo: f64,
    pub hi: f64,
    /// Predictions in the bin.
    pub n: u64,
    /// Sum of their confidences and number correct (sums, so bins pool over seeds).
    pub sum_conf: f64,
    pub n_correct: u64,
}

impl ReliabilityBin {
    /// Mean confidence (`None` for an empty bin).
    pub fn confidence(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum_conf / self.n as f64)
    }
    /// Share correct (`None` for an empty bin).
    pub fn accuracy(&self) -> Option<f64> {
        (self.n > 0).then(|| self.n_correct as f64 / self.n as f64)
    }
}

/// Per rank: accuracy of the most probable taxon under leaf probabilities `probs` (n × leaves)
/// at the rank (argmax of the node probabilities, whatever its probability) against the
/// truth, over every contig whose truth reaches the rank and over those whose
/// noisy label also reaches it (a label that stops above the rank: not in the second).
pub fn argmax_accuracy(
    ids: &[String],
    tree: &crate::taxonomy::LabelTree,
    probs: &[f32],
    labels: &[Lineage],
    truth: &[(String, Lineage)],
) -> Vec<(f64, f64)> {
    let l = tree.n_leaves();
    let pos: std::collections::HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut by_depth: Vec<Vec<usize>> = vec![Vec::new(); 8];
    for (v, node) in tree.nodes.iter().enumerate() {
        by_depth[node.depth.min(7)].push(v);
    }
    let mut stats = vec![(0usize, 0usize, 0usize, 0usize); 7];
    for (id, t) in truth {
        let Some(&i) = pos.get(id.as_str()) else {
            continue;
        };
        let np = tree.node_probs(&probs[i * l..(i + 1) * l]);
        for (r, st) in stats.iter_mut().enumerate().take(t.depth()) {
            let best = by_depth[r + 1]
                .iter()
                .copied()
                .max_by(|&a, &b| np[a].total_cmp(&np[b]).then(b.cmp(&a)));
            let ok = best.is_some_and(|v| tree.nodes[v].name == t.0[r]);
            st.0 += 1;
            st.1 += ok as usize;
            if labels[i].depth() > r {
                st.2 += 1;
                st.3 += ok as usize;
            }
        }
    }
    stats
        .iter()
        .map(|s| {
            (
                s.1 as f64 / s.0.max(1) as f64,
                s.3 as f64 / s.2.max(1) as f64,
            )
        })
        .collect()
}

/// Equal-width reliability bins over [0, 1] of `(confidence, correct)` pairs;
/// a confidence of exactly 1 falls into the last bin.
pub fn reliability(pairs: &[(f64, bool)], n_bins: usize) -> Vec<ReliabilityBin> {
    let n_bins = n_bins.max(1);
    let mut bins: Vec<ReliabilityBin> = (0..n_bins)
        .map(|i| ReliabilityBin {
            lo: i as f64 / n_bins as f64,
            hi: (i + 1) as f64 / n_bins as f64,
            n: 0,
            sum_conf: 0.0,
            n_correct: 0,
        })
        .collect();
    for &(c, ok) in pairs {
        let c = c.clamp(0.0, 1.0);
        let i = ((c * n_bins as f64) as usize).min(n_bins - 1);
        let b = &mut bins[i];
        b.n += 1;
        b.sum_conf += c;
        b.n_correct += ok as u64;
    }
    bins
}

/// Adds `other`'s counts into `into` (same bin edges).
pub fn pool_bins(into: &mut Vec<ReliabilityBin>, other: &[ReliabilityBin]) {
    if into.is_empty() {
        *into = other.to_vec();
        return;
    }
    for (a, b) in into.iter_mut().zip(other) {
        a.n += b.n;
        a.sum_conf += b.sum_conf;
        a.n_correct += b.n_correct;
    }
}

/// Expected calibration error: Σ_b (n_b / N) · |accuracy_b − confidence_b|
/// (`None` without any prediction).
pub fn ece(bins: &[ReliabilityBin]) -> Option<f64> {
    let total: u64 = bins.iter().map(|b| b.n).sum();
    if total == 0 {
        return None;
    }
    Some(
        bins.iter()
            .filter(|b| b.n > 0)
            .map(|b| {
                let n = b.n as f64;
                (n / total as f64) * (b.n_correct as f64 / n - b.sum_conf / n).abs()
            })
            .sum(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lab(rows: &[(&str, &str)]) -> Vec<(String, Lineage)> {
        rows.iter()
            .map(|(id, l)| (id.to_string(), Lineage::parse(l).unwrap()))
            .collect()
    }

    #[test]
    fn correct_wrong_and_missing_follow_taxometer() {
        let truth = lab(&[("a", "B;P1;C1"), ("b", "B;P1;C2"), ("c", "B;P2"), ("d", "")]);
        let pred = lab(&[
            ("a", "b;p1;c1"),
            ("b", "B;P1;C9"),
            ("c", "B"),
            ("d", "B;P1"),
            ("zz", "B"),
        ]);
        let m = evaluate(&truth, &pred, None);
        let d = &m[0];
        assert_eq!((d.correct, d.wrong, d.missing, d.n_truth), (3, 0, 0, 3));
        let p = &m[1];
        assert_eq!((p.correct, p.wrong, p.missing), (2, 0, 1));
        assert!((p.precision - 1.0).abs() < 1e-12 && (p.recall - 2.0 / 3.0).abs() < 1e-12);
        let c = &m[2];
        assert_eq!((c.correct, c.wrong, c.missing), (1, 1, 0));
        assert!((c.f1 - 0.5).abs() < 1e-12);
        assert_eq!(m[6].n_truth, 0);
        assert_eq!(m[6].precision, 0.0);
    }

    #[test]
    fn names_compare_without_prefix_case_or_spaces() {
        let truth = lab(&[(
            "a",
            "d__Bacteria;p__Firmicutes;c__Bacilli;o__X;f__Y;g__Bacillus;s__Bacillus subtilis",
        )]);
        let pred = lab(&[(
            "a",
            "bacteria;firmicutes;bacilli;x;y;bacillus;Bacillus_subtilis",
        )]);
        assert!(evaluate(&truth, &pred, None).iter().all(|m| m.correct == 1));
    }

    #[test]
    fn base_pair_metrics_weight_contigs_by_length() {
        let truth = lab(&[("a", "B"), ("b", "B")]);
        let pred = lab(&[("a", "B"), ("b", "A")]);
        let len: HashMap<String, u64> = [("a".to_string(), 3000), ("b".to_string(), 1000)].into();
        let d = &evaluate(&truth, &pred, Some(&len))[0];
        assert_eq!((d.bp_correct, d.bp_wrong, d.bp_truth), (3000, 1000, 4000));
        assert!((d.bp_precision - 0.75).abs() < 1e-12);
        assert!((d.precision - 0.5).abs() < 1e-12);
    }

    fn lineage() -> impl Strategy<Value = Lineage> {
        prop::collection::vec(prop::sample::select(vec!["A", "B", "c", "D d"]), 0..=7)
            .prop_map(|v| Lineage(v.into_iter().map(String::from).collect()))
    }

    proptest! {
        #[test]
        fn metrics_lie_between_zero_and_one(
            rows in prop::collection::vec((lineage(), prop::option::of(lineage()), 0u64..10_000), 0..40)
        ) {
            let truth: Vec<(String, Lineage)> = rows.iter().enumerate().map(|(i, r)| (format!("c{i}"), r.0.clone())).collect();
            let pred: Vec<(String, Lineage)> = rows.iter().enumerate().filter_map(|(i, r)| r.1.clone().map(|l| (format!("c{i}"), l))).collect();
            let len: HashMap<String, u64> = rows.iter().enumerate().map(|(i, r)| (format!("c{i}"), r.2)).collect();
            for m in evaluate(&truth, &pred, Some(&len)) {
                for v in [m.precision, m.recall, m.f1, m.bp_precision, m.bp_recall, m.bp_f1] {
                    prop_assert!((0.0..=1.0).contains(&v), "{v}");
                }
                prop_assert_eq!(m.correct + m.wrong + m.missing, m.n_truth);
                prop_assert!(m.f1 <= m.precision.max(m.recall) + 1e-12);
            }
        }
    }

    #[test]
    fn ece_of_a_hand_computed_example() {
        // bin [0.5,0.6): confidences 0.55, 0.55, one right → |0.5 − 0.55| = 0.05, weight 2/5
        // bin [0.9,1.0]: 0.95, 1.0, 0.95, all right → |1 − 0.9667| = 0.0333, weight 3/5
        let pairs = [
            (0.55, true),
            (0.55, false),
            (0.95, true),
            (1.0, true),
            (0.95, true),
        ];
        let bins = reliability(&pairs, 10);
        assert_eq!(bins.len(), 10);
        assert_eq!(bins[5].n, 2);
        assert_eq!(bins[9].n, 3);
        assert_eq!(bins[9].n_correct, 3);
        let expect = 0.4 * 0.05 + 0.6 * (1.0 - 2.9 / 3.0);
        assert!(close_rel(ece(&bins).unwrap(), expect, 1e-12));
        assert_eq!(ece(&reliability(&[], 10)), None);
    }

    #[test]
    fn perfectly_calibrated_bins_have_zero_ece_and_pooling_adds_counts() {
        let pairs: Vec<(f64, bool)> = (0..10).map(|i| (0.75, i < 7 || i == 9)).collect();
        // 8 of 10 right at confidence 0.75 → ECE 0.05
        let mut pooled = reliability(&pairs, 4);
        assert!(close_rel(ece(&pooled).unwrap(), 0.05, 1e-12));
        let more: Vec<(f64, bool)> = (0..10).map(|i| (0.75, i < 7)).collect();
        pool_bins(&mut pooled, &reliability(&more, 4));
        // 15 of 20 right at 0.75 → 0
        assert_eq!(pooled[3].n, 20);
        assert!(ece(&pooled).unwrap() < 1e-12);
    }

    fn close_rel(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }
}
