//! Scoring one method's predictions against the truth: per-rank metrics
//! (`taxdistill_core::metrics::evaluate`) on the contigs the student
//! annotates (≥ min length) and on all contigs, by contig length bin and by
//! novelty class, calibration of the scores, label transitions, and the
//! per-contig outcomes the McNemar test pairs up.

use crate::stats::{ece, reliability, ReliabilityBin};
use serde::{Deserialize, Serialize};
use taxdistill_core::metrics::{evaluate, RankMetrics};
use taxdistill_core::taxonomy::{normalize_name, Lineage, Rank};

/// Number of equal-width confidence bins of the reliability diagrams.
pub const N_CONF_BINS: usize = 10;

/// Everything known about the contigs of one run.
pub struct Truthset<'a> {
    pub ids: &'a [String],
    pub lengths: &'a [usize],
    /// True lineage per contig (empty = unknown).
    pub truth: &'a [Lineage],
    /// Input (noisy) label per contig.
    pub labels: &'a [Lineage],
    /// Ranks of the contig's lineage its reference knows (7 = species known), simulated data only.
    pub reference_depth: Option<&'a [u8]>,
    pub min_length: usize,
}

/// One method's output: a lineage per contig and, when the method has
/// them, one score per rank of that lineage.
#[derive(Clone)]
pub struct Predictions {
    pub lineages: Vec<Lineage>,
    pub scores: Option<Vec<Vec<f32>>>,
}

/// Metrics of one rank (a row of the tables).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankRow {
    pub rank: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub correct: u64,
    pub wrong: u64,
    pub missing: u64,
    pub n_truth: u64,
}

impl From<&RankMetrics> for RankRow {
    fn from(m: &RankMetrics) -> Self {
        RankRow {
            rank: m.rank.name().to_string(),
            precision: m.precision,
            recall: m.recall,
            f1: m.f1,
            correct: m.correct,
            wrong: m.wrong,
            missing: m.missing,
            n_truth: m.n_truth,
        }
    }
}

/// Metrics of the contigs in one length bin `[lo, hi)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LengthBin {
    pub lo: usize,
    /// `None` = no upper bound.
    pub hi: Option<usize>,
    pub n: usize,
    pub ranks: Vec<RankRow>,
}

/// Metrics of the contigs of one novelty class (simulated data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoveltyClass {
    /// `known species`, `novel species`, `novel genus`, `novel family+`.
    pub class: String,
    pub n: usize,
    /// Share of the class's contigs predicted at a rank their reference
    /// lacks (necessarily a wrong, known taxon); `None` for known species.
    pub over_classified: Option<f64>,
    pub ranks: Vec<RankRow>,
}

/// Calibration of the scores: per rank and pooled over ranks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// ECE per rank, domain … species (`None`: no prediction reaches the rank).
    pub ece_by_rank: Vec<Option<f64>>,
    /// Reliability bins pooled over the seven ranks.
    pub bins: Vec<ReliabilityBin>,
    /// ECE of the pooled bins.
    pub ece: Option<f64>,
}

/// How predictions relate to the input labels, split by whether the
/// prediction agrees with the truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransitionCount {
    pub category: String,
    /// Prediction consistent with the truth at every rank it names.
    pub right: u64,
    pub wrong: u64,
}

/// The categories of [`TransitionCount`], in drawing order.
pub const TRANSITIONS: [&str; 6] = [
    "confirmed",
    "deepened",
    "changed",
    "removed",
    "added",
    "none",
];

/// The whole evaluation of one method in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Contigs ≥ min length (those the student and vamb annotate).
    pub annotated: Vec<RankRow>,
    /// All contigs.
    pub all: Vec<RankRow>,
    /// All contigs by length bin (the first bin is below min length).
    pub length_bins: Vec<LengthBin>,
    /// Contigs ≥ min length by novelty class (simulated data only).
    pub novelty: Option<Vec<NoveltyClass>>,
    /// Contigs ≥ min length, for methods with scores.
    pub calibration: Option<Calibration>,
    /// Contigs ≥ min length.
    pub transitions: Vec<TransitionCount>,
}

fn same(a: &str, b: &str) -> bool {
    a == b || normalize_name(a) == normalize_name(b)
}

/// `Some(correct)` at `rank` when the truth reaches it, as `metrics::evaluate` counts.
pub fn outcome(truth: &Lineage, pred: &Lineage, rank: Rank) -> Option<bool> {
    let t = truth.at(rank)?;
    Some(pred.at(rank).is_some_and(|p| same(p, t)))
}

/// Whether `pred` names the truth's taxon at every rank both reach.
fn consistent(truth: &Lineage, pred: &Lineage) -> bool {
    Rank::ALL.iter().all(|&r| match (truth.at(r), pred.at(r)) {
        (Some(t), Some(p)) => same(p, t),
        _ => true,
    })
}

/// Per-contig outcome codes for McNemar: per rank −1 (no truth there),
/// 0 (missing or wrong), 1 (correct).
pub fn outcome_codes(t: &Truthset, p: &Predictions, subset: &[usize]) -> Vec<[i8; 7]> {
    subset
        .iter()
        .map(|&i| {
            let mut o = [-1i8; 7];
            for r in Rank::ALL {
                if let Some(ok) = outcome(&t.truth[i], &p.lineages[i], r) {
                    o[r.index()] = ok as i8;
                }
            }
            o
        })
        .collect()
}

fn metrics_of(
    t: &Truthset,
    p: &Predictions,
    idx: impl Iterator<Item = usize> + Clone,
) -> Vec<RankRow> {
    let truth: Vec<(String, Lineage)> = idx
        .clone()
        .map(|i| (t.ids[i].clone(), t.truth[i].clone()))
        .collect();
    let pred: Vec<(String, Lineage)> = idx
        .map(|i| (t.ids[i].clone(), p.lineages[i].clone()))
        .collect();
    evaluate(&truth, &pred, None)
        .iter()
        .map(RankRow::from)
        .collect()
}

/// Length bin edges: below min length, then 3, 5, 10, 20 kbp above it.
pub fn length_edges(min_length: usize) -> Vec<(usize, Option<usize>)> {
    let mut cuts: Vec<usize> = vec![min_length];
    cuts.extend(
        [3000, 5000, 10_000, 20_000]
            .into_iter()
            .filter(|&c| c > min_length),
    );
    let mut out = Vec::new();
    let mut lo = 0;
    for c in cuts {
        if c > lo {
            out.push((lo, Some(c)));
        }
        lo = c;
    }
    out.push((lo, None));
    out
}

fn novelty_class(depth: u8) -> usize {
    match depth {
        7.. => 0,
        6 => 1,
        5 => 2,
        _ => 3,
    }
}

const NOVELTY_NAMES: [&str; 4] = [
    "known species",
    "novel species",
    "novel genus",
    "novel family+",
];

/// Scores one method.
pub fn evaluate_method(t: &Truthset, p: &Predictions) -> Evaluation {
    let n = t.ids.len();
    let long: Vec<usize> = (0..n).filter(|&i| t.lengths[i] >= t.min_length).collect();
    let annotated = metrics_of(t, p, long.iter().copied());
    let all = metrics_of(t, p, 0..n);
    let length_bins = length_edges(t.min_length)
        .into_iter()
        .map(|(lo, hi)| {
            let idx: Vec<usize> = (0..n)
                .filter(|&i| t.lengths[i] >= lo && hi.is_none_or(|h| t.lengths[i] < h))
                .collect();
            LengthBin {
                lo,
                hi,
                n: idx.len(),
                ranks: metrics_of(t, p, idx.iter().copied()),
            }
        })
        .collect();
    let novelty = t.reference_depth.map(|rd| {
        (0..NOVELTY_NAMES.len())
            .filter_map(|c| {
                let idx: Vec<usize> = long
                    .iter()
                    .copied()
                    .filter(|&i| novelty_class(rd[i]) == c)
                    .collect();
                if idx.is_empty() {
                    return None;
                }
                let over = (c > 0).then(|| {
                    let k = idx
                        .iter()
                        .filter(|&&i| p.lineages[i].depth() > rd[i] as usize)
                        .count();
                    k as f64 / idx.len() as f64
                });
                Some(NoveltyClass {
                    class: NOVELTY_NAMES[c].to_string(),
                    n: idx.len(),
                    over_classified: over,
                    ranks: metrics_of(t, p, idx.iter().copied()),
                })
            })
            .collect()
    });
    let calibration = p.scores.as_ref().map(|scores| {
        let mut pooled: Vec<(f64, bool)> = Vec::new();
        let mut ece_by_rank = Vec::with_capacity(7);
        for r in Rank::ALL {
            let pairs: Vec<(f64, bool)> = long
                .iter()
                .filter_map(|&i| {
                    let ok = outcome(&t.truth[i], &p.lineages[i], r)?;
                    p.lineages[i].at(r)?;
                    let s = *scores[i].get(r.index())?;
                    Some((s as f64, ok))
                })
                .collect();
            ece_by_rank.push(ece(&reliability(&pairs, N_CONF_BINS)));
            pooled.extend(pairs);
        }
        let bins = reliability(&pooled, N_CONF_BINS);
        Calibration {
            ece_by_rank,
            ece: ece(&bins),
            bins,
        }
    });
    let mut tr = [(0u64, 0u64); 6];
    for &i in &long {
        let (l, q) = (&t.labels[i], &p.lineages[i]);
        let prefix = |a: &Lineage, b: &Lineage| {
            a.depth() <= b.depth() && a.0.iter().zip(&b.0).all(|(x, y)| same(x, y))
        };
        let c = match (l.depth(), q.depth()) {
            (0, 0) => 5,
            (0, _) => 4,
            (a, b) if a == b && prefix(l, q) => 0,
            (a, b) if a < b && prefix(l, q) => 1,
            (a, b) if b < a && prefix(q, l) => 3,
            _ => 2,
        };
        if consistent(&t.truth[i], q) {
            tr[c].0 += 1;
        } else {
            tr[c].1 += 1;
        }
    }
    let transitions = TRANSITIONS
        .iter()
        .zip(tr)
        .map(|(c, (right, wrong))| TransitionCount {
            category: c.to_string(),
            right,
            wrong,
        })
        .collect();
    Evaluation {
        annotated,
        all,
        length_bins,
        novelty,
        calibration,
        transitions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(s: &str) -> Lineage {
        Lineage::parse(s).unwrap()
    }

    #[test]
    fn length_edges_start_below_min_length_and_end_open() {
        assert_eq!(
            length_edges(2000),
            vec![
                (0, Some(2000)),
                (2000, Some(3000)),
                (3000, Some(5000)),
                (5000, Some(10_000)),
                (10_000, Some(20_000)),
                (20_000, None)
            ]
        );
        assert_eq!(
            length_edges(6000)[..2],
            [(0, Some(6000)), (6000, Some(10_000))]
        );
    }

    #[test]
    fn subsets_transitions_novelty_and_calibration_of_a_small_example() {
        let ids: Vec<String> = (0..5).map(|i| format!("c{i}")).collect();
        let lengths = vec![5000, 5000, 5000, 1000, 5000];
        let truth = vec![l("A;B;C"), l("A;B;D"), l("A;E;F"), l("A;B;C"), l("A;B;C")];
        let labels = vec![l("A;B"), l("A;B;D"), l("A;B;C"), l("A;B;C"), l("")];
        let rd = vec![7u8, 7, 2, 7, 7];
        let t = Truthset {
            ids: &ids,
            lengths: &lengths,
            truth: &truth,
            labels: &labels,
            reference_depth: Some(&rd),
            min_length: 2000,
        };
        // deepened right, confirmed right, changed (over-classified novel), short, added wrong
        let p = Predictions {
            lineages: vec![l("A;B;C"), l("A;B;D"), l("A;E;X"), l(""), l("A;G")],
            scores: Some(vec![
                vec![1.0, 0.9, 0.8],
                vec![1.0, 0.95, 0.9],
                vec![1.0, 0.6, 0.55],
                vec![],
                vec![0.9, 0.6],
            ]),
        };
        let e = evaluate_method(&t, &p);
        // annotated: 4 contigs; rank 3 (class): c0 right, c1 right, c2 wrong, c4 missing
        let r = &e.annotated[2];
        assert_eq!((r.correct, r.wrong, r.missing), (2, 1, 1));
        // all contigs: the short one is missing
        assert_eq!(e.all[2].missing, 2);
        let get = |c: &str| {
            e.transitions
                .iter()
                .find(|x| x.category == c)
                .unwrap()
                .clone()
        };
        assert_eq!((get("deepened").right, get("confirmed").right), (1, 1));
        assert_eq!(get("changed").wrong, 1);
        assert_eq!(get("added").wrong, 1);
        assert_eq!(get("removed").right + get("removed").wrong, 0);
        let nov = e.novelty.unwrap();
        assert_eq!(nov[0].class, "known species");
        assert_eq!(nov[0].n, 3);
        assert_eq!(nov[1].class, "novel family+");
        assert_eq!(nov[1].over_classified, Some(1.0));
        let cal = e.calibration.unwrap();
        // pooled pairs: c0 3 right, c1 3 right, c2 (1.0 ok, 0.6 ok, 0.55 wrong), c4 (0.9 ok, 0.6 wrong)
        let n: u64 = cal.bins.iter().map(|b| b.n).sum();
        assert_eq!(n, 11);
        assert!(cal.ece.unwrap() > 0.0);
        assert_eq!(e.length_bins[0].n, 1);
        // metric counts agree with the per-contig McNemar codes
        let long: Vec<usize> = vec![0, 1, 2, 4];
        let codes = outcome_codes(&t, &p, &long);
        let correct_class = codes.iter().filter(|c| c[2] == 1).count() as u64;
        assert_eq!(correct_class, r.correct);
    }
}
