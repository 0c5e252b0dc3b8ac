//! Summaries over seeds of the run records: mean ± sd per scenario ×
//! method × subset × rank, the paired tests between methods, costs,
//! pooled calibration, transitions, length bins and novelty.

use crate::evaluate::{Evaluation, RankRow, TRANSITIONS};
use crate::record::{MethodRecord, RunRecord};
use crate::stats::{ece, mcnemar_exact, mean_sd, paired_t, pool_bins, ReliabilityBin};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use taxdistill_core::taxonomy::Rank;

/// Mean ± sd over seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanSd {
    pub mean: f64,
    pub sd: Option<f64>,
    pub n: usize,
}

impl MeanSd {
    pub fn of(xs: &[f64]) -> MeanSd {
        let (mean, sd) = mean_sd(xs);
        MeanSd {
            mean,
            sd,
            n: xs.len(),
        }
    }
    /// `0.812 ± 0.004` (or just the mean for one seed).
    pub fn show(&self, digits: usize) -> String {
        match self.sd {
            Some(sd) => format!("{:.d$} ± {:.d$}", self.mean, sd, d = digits),
            None => format!("{:.d$}", self.mean, d = digits),
        }
    }
}

/// Per-rank metrics of one method in one scenario over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    pub scenario: String,
    pub method: String,
    /// `annotated` (contigs ≥ min length) or `all`.
    pub subset: String,
    pub rank: String,
    pub precision: MeanSd,
    pub recall: MeanSd,
    pub f1: MeanSd,
}

/// Paired comparison of two methods at one rank (contigs ≥ min length).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestSummary {
    pub scenario: String,
    pub rank: String,
    pub a: String,
    pub b: String,
    /// Seeds where both ran.
    pub n_seeds: usize,
    /// Mean F1(a) − F1(b) over those seeds.
    pub mean_diff: f64,
    /// Paired t-test over seeds (`None` below two seeds or for constant differences).
    pub t: Option<f64>,
    pub p_t: Option<f64>,
    /// Contigs correct for `a` only / `b` only, pooled over seeds, and the exact McNemar p.
    pub only_a: u64,
    pub only_b: u64,
    pub n_contigs: u64,
    pub p_mcnemar: f64,
}

/// Wall time and memory of one method in one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostSummary {
    pub scenario: String,
    pub method: String,
    pub seconds: MeanSd,
    pub peak_rss_mib_max: Option<f64>,
}

/// One step's wall time and memory in one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepSummary {
    pub scenario: String,
    pub step: String,
    pub seconds: MeanSd,
    pub peak_rss_mib_max: Option<f64>,
}

/// Calibration of one method's scores in one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationSummary {
    pub scenario: String,
    pub method: String,
    /// ECE of the bins pooled over ranks and seeds.
    pub ece_pooled: Option<f64>,
    /// Mean ± sd of the per-seed (rank-pooled) ECE.
    pub ece: MeanSd,
    /// Per rank, mean ECE over seeds.
    pub ece_by_rank: Vec<Option<f64>>,
    pub bins: Vec<ReliabilityBin>,
}

/// Label-transition counts of one method, summed over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransitionSummary {
    pub scenario: String,
    pub method: String,
    /// (category, right, wrong) in [`TRANSITIONS`] order.
    pub counts: Vec<(String, u64, u64)>,
}

/// F1 of one method in one length bin (all contigs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LengthSummary {
    pub scenario: String,
    pub method: String,
    pub lo: usize,
    pub hi: Option<usize>,
    pub n: MeanSd,
    /// Per rank domain … species.
    pub f1: Vec<MeanSd>,
}

/// One method on one novelty class (contigs ≥ min length, simulated data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoveltySummary {
    pub scenario: String,
    pub method: String,
    pub class: String,
    pub n: MeanSd,
    pub over_classified: Option<MeanSd>,
    pub f1: Vec<MeanSd>,
}

/// One scenario's point of a "F1 vs novelty" line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoveltyPoint {
    pub group: String,
    pub scenario: String,
    /// Mean share of contigs whose species is absent from the reference.
    pub novel_share: f64,
    pub method: String,
    /// F1 per rank, contigs ≥ min length.
    pub f1: Vec<MeanSd>,
}

/// Everything summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Summary {
    /// Scenario names in plan order.
    pub scenarios: Vec<String>,
    /// Method ids in first-seen order.
    pub methods: Vec<String>,
    pub metrics: Vec<MetricSummary>,
    pub tests: Vec<TestSummary>,
    pub costs: Vec<CostSummary>,
    pub steps: Vec<StepSummary>,
    pub calibration: Vec<CalibrationSummary>,
    pub transitions: Vec<TransitionSummary>,
    pub length_bins: Vec<LengthSummary>,
    pub novelty: Vec<NoveltySummary>,
    pub novelty_curves: Vec<NoveltyPoint>,
}

impl Summary {
    /// The F1 summary of a method at a rank.
    pub fn f1(
        &self,
        scenario: &str,
        method: &str,
        subset: &str,
        rank: &str,
    ) -> Option<&MetricSummary> {
        self.metrics.iter().find(|m| {
            m.scenario == scenario && m.method == method && m.subset == subset && m.rank == rank
        })
    }
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// Summarises the runs; `groups` maps scenario → novelty group.
pub fn summarize(
    runs: &[RunRecord],
    order: &[String],
    groups: &BTreeMap<String, String>,
) -> Summary {
    let mut s = Summary::default();
    for name in order {
        if runs.iter().any(|r| &r.scenario == name) {
            push_unique(&mut s.scenarios, name);
        }
    }
    for r in runs {
        push_unique(&mut s.scenarios, &r.scenario);
        for m in &r.methods {
            push_unique(&mut s.methods, &m.id);
        }
    }
    for sc in s.scenarios.clone() {
        let sruns: Vec<&RunRecord> = runs.iter().filter(|r| r.scenario == sc).collect();
        s.steps.extend(step_summaries(&sc, &sruns));
        for m in s.methods.clone() {
            let recs: Vec<&MethodRecord> = sruns
                .iter()
                .filter_map(|r| r.methods.iter().find(|x| x.id == m && x.eval.is_some()))
                .collect();
            if recs.is_empty() {
                continue;
            }
            let evals: Vec<&Evaluation> = recs
                .iter()
                .map(|x| x.eval.as_ref().expect("filtered"))
                .collect();
            let of = Of {
                scenario: &sc,
                method: &m,
                evals: &evals,
            };
            s.metrics.extend(of.metrics());
            let secs: Vec<f64> = recs.iter().filter_map(|x| x.seconds).collect();
            if !secs.is_empty() {
                s.costs.push(CostSummary {
                    scenario: sc.clone(),
                    method: m.clone(),
                    seconds: MeanSd::of(&secs),
                    peak_rss_mib_max: recs.iter().filter_map(|x| x.peak_rss_mib).reduce(f64::max),
                });
            }
            s.calibration.extend(of.calibration());
            s.transitions.push(of.transitions());
            s.length_bins.extend(of.length_bins());
            s.novelty.extend(of.novelty());
            if let Some(g) = groups.get(&sc) {
                let shares: Vec<f64> = sruns.iter().filter_map(|r| r.data.novel_share).collect();
                s.novelty_curves.extend(of.novelty_point(g, &shares));
            }
        }
        // paired tests over every pair of methods that ran together
        s.tests.extend(paired_tests(&sc, &s.methods, &sruns));
    }
    s
}

/// Time and peak memory of each step of a scenario's runs.
fn step_summaries(sc: &str, sruns: &[&RunRecord]) -> Vec<StepSummary> {
    let mut step_names: Vec<String> = Vec::new();
    for r in sruns {
        for st in &r.steps {
            push_unique(&mut step_names, &st.name);
        }
    }
    step_names
        .into_iter()
        .map(|st| {
            let recs: Vec<_> = sruns
                .iter()
                .filter_map(|r| r.steps.iter().find(|x| x.name == st))
                .collect();
            StepSummary {
                scenario: sc.to_string(),
                seconds: MeanSd::of(&recs.iter().map(|x| x.seconds).collect::<Vec<_>>()),
                peak_rss_mib_max: recs.iter().filter_map(|x| x.peak_rss_mib).reduce(f64::max),
                step: st,
            }
        })
        .collect()
}

/// One method's evaluations in one scenario, one per seed that ran it.
struct Of<'a> {
    scenario: &'a str,
    method: &'a str,
    evals: &'a [&'a Evaluation],
}

impl Of<'_> {
    /// Precision, recall and F1 per subset and rank (ranks no truth reaches left out).
    fn metrics(&self) -> Vec<MetricSummary> {
        let mut out = Vec::new();
        for subset in ["annotated", "all"] {
            for (k, rank) in Rank::ALL.iter().enumerate() {
                let rows: Vec<&RankRow> = self
                    .evals
                    .iter()
                    .map(|e| {
                        if subset == "all" {
                            &e.all[k]
                        } else {
                            &e.annotated[k]
                        }
                    })
                    .collect();
                if rows.iter().all(|r| r.n_truth == 0) {
                    continue;
                }
                let col = |f: fn(&RankRow) -> f64| {
                    MeanSd::of(&rows.iter().map(|r| f(r)).collect::<Vec<_>>())
                };
                out.push(MetricSummary {
                    scenario: self.scenario.to_string(),
                    method: self.method.to_string(),
                    subset: subset.to_string(),
                    rank: rank.name().to_string(),
                    precision: col(|r| r.precision),
                    recall: col(|r| r.recall),
                    f1: col(|r| r.f1),
                });
            }
        }
        out
    }

    /// Calibration pooled over seeds (none for a method without scores).
    fn calibration(&self) -> Option<CalibrationSummary> {
        let cals: Vec<_> = self
            .evals
            .iter()
            .filter_map(|e| e.calibration.as_ref())
            .collect();
        if cals.is_empty() {
            return None;
        }
        let mut bins = Vec::new();
        for c in &cals {
            pool_bins(&mut bins, &c.bins);
        }
        let per_seed: Vec<f64> = cals.iter().filter_map(|c| c.ece).collect();
        let ece_by_rank = (0..7)
            .map(|k| {
                let v: Vec<f64> = cals.iter().filter_map(|c| c.ece_by_rank[k]).collect();
                (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
            })
            .collect();
        Some(CalibrationSummary {
            scenario: self.scenario.to_string(),
            method: self.method.to_string(),
            ece_pooled: ece(&bins),
            ece: MeanSd::of(&per_seed),
            ece_by_rank,
            bins,
        })
    }

    /// Label transitions summed over seeds.
    fn transitions(&self) -> TransitionSummary {
        let counts = TRANSITIONS
            .iter()
            .map(|c| {
                let (mut r, mut w) = (0, 0);
                for e in self.evals {
                    if let Some(t) = e.transitions.iter().find(|t| t.category == *c) {
                        r += t.right;
                        w += t.wrong;
                    }
                }
                (c.to_string(), r, w)
            })
            .collect();
        TransitionSummary {
            scenario: self.scenario.to_string(),
            method: self.method.to_string(),
            counts,
        }
    }

    /// Contigs and F1 per rank in each length bin (the first seed's bins).
    fn length_bins(&self) -> Vec<LengthSummary> {
        self.evals[0]
            .length_bins
            .iter()
            .enumerate()
            .map(|(bi, b)| {
                let bins: Vec<_> = self
                    .evals
                    .iter()
                    .filter_map(|e| e.length_bins.get(bi))
                    .collect();
                LengthSummary {
                    scenario: self.scenario.to_string(),
                    method: self.method.to_string(),
                    lo: b.lo,
                    hi: b.hi,
                    n: MeanSd::of(&bins.iter().map(|x| x.n as f64).collect::<Vec<_>>()),
                    f1: (0..7)
                        .map(|k| {
                            MeanSd::of(&bins.iter().map(|x| x.ranks[k].f1).collect::<Vec<_>>())
                        })
                        .collect(),
                }
            })
            .collect()
    }

    /// Over-classification and F1 per novelty class (simulated data).
    fn novelty(&self) -> Vec<NoveltySummary> {
        let mut classes: Vec<String> = Vec::new();
        for e in self.evals {
            for c in e.novelty.iter().flatten() {
                push_unique(&mut classes, &c.class);
            }
        }
        classes
            .into_iter()
            .map(|class| {
                let cs: Vec<_> = self
                    .evals
                    .iter()
                    .filter_map(|e| e.novelty.as_ref()?.iter().find(|c| c.class == class))
                    .collect();
                let over: Vec<f64> = cs.iter().filter_map(|c| c.over_classified).collect();
                NoveltySummary {
                    scenario: self.scenario.to_string(),
                    method: self.method.to_string(),
                    n: MeanSd::of(&cs.iter().map(|c| c.n as f64).collect::<Vec<_>>()),
                    over_classified: (!over.is_empty()).then(|| MeanSd::of(&over)),
                    f1: (0..7)
                        .map(|k| MeanSd::of(&cs.iter().map(|c| c.ranks[k].f1).collect::<Vec<_>>()))
                        .collect(),
                    class,
                }
            })
            .collect()
    }

    /// The scenario as a point of its group's F1-vs-novelty curve, at the
    /// mean of the runs' novel shares (none without them).
    fn novelty_point(&self, group: &str, shares: &[f64]) -> Option<NoveltyPoint> {
        if shares.is_empty() {
            return None;
        }
        Some(NoveltyPoint {
            group: group.to_string(),
            scenario: self.scenario.to_string(),
            novel_share: shares.iter().sum::<f64>() / shares.len() as f64,
            method: self.method.to_string(),
            f1: (0..7)
                .map(|k| {
                    MeanSd::of(
                        &self
                            .evals
                            .iter()
                            .map(|e| e.annotated[k].f1)
                            .collect::<Vec<_>>(),
                    )
                })
                .collect(),
        })
    }
}

/// The paired tests (t-test over seeds, McNemar over contigs) of every
/// pair of `methods` at every rank, over the seeds that ran both.
fn paired_tests(sc: &str, methods: &[String], sruns: &[&RunRecord]) -> Vec<TestSummary> {
    let mut out = Vec::new();
    for (i, a) in methods.iter().enumerate() {
        for b in &methods[i + 1..] {
            for (k, rank) in Rank::ALL.iter().map(|r| r.name()).enumerate() {
                let (mut fa, mut fb) = (Vec::new(), Vec::new());
                let (mut only_a, mut only_b, mut n) = (0, 0, 0);
                for r in sruns {
                    let eval = |id: &str| {
                        r.methods
                            .iter()
                            .find(|x| x.id == id)
                            .and_then(|x| x.eval.as_ref())
                    };
                    let (Some(ea), Some(eb)) = (eval(a), eval(b)) else {
                        continue;
                    };
                    if ea.annotated[k].n_truth == 0 {
                        continue;
                    }
                    fa.push(ea.annotated[k].f1);
                    fb.push(eb.annotated[k].f1);
                    if let Some(p) = r.pairs.iter().find(|p| {
                        p.rank == rank && ((&p.a == a && &p.b == b) || (&p.a == b && &p.b == a))
                    }) {
                        let (x, y) = if &p.a == a {
                            (p.only_a, p.only_b)
                        } else {
                            (p.only_b, p.only_a)
                        };
                        only_a += x;
                        only_b += y;
                        n += p.n;
                    }
                }
                if fa.is_empty() {
                    continue;
                }
                let t = paired_t(&fa, &fb);
                out.push(TestSummary {
                    scenario: sc.to_string(),
                    rank: rank.to_string(),
                    a: a.clone(),
                    b: b.clone(),
                    n_seeds: t.n,
                    mean_diff: t.mean_diff,
                    t: t.t,
                    p_t: t.p,
                    only_a,
                    only_b,
                    n_contigs: n,
                    p_mcnemar: mcnemar_exact(only_a, only_b),
                });
            }
        }
    }
    out
}

/// The paired test of `a` against `b` (either order; the difference is
/// returned as a − b).
pub fn find_test(s: &Summary, scenario: &str, rank: &str, a: &str, b: &str) -> Option<TestSummary> {
    s.tests.iter().find_map(|t| {
        if t.scenario != scenario || t.rank != rank {
            return None;
        }
        if t.a == a && t.b == b {
            Some(t.clone())
        } else if t.a == b && t.b == a {
            Some(TestSummary {
                a: a.to_string(),
                b: b.to_string(),
                mean_diff: -t.mean_diff,
                t: t.t.map(|x| -x),
                only_a: t.only_b,
                only_b: t.only_a,
                ..t.clone()
            })
        } else {
            None
        }
    })
}
