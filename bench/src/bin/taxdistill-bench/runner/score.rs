//! Scoring a run: every method's outcome against the truth (its cost from
//! the steps it needed), the skipped and failed methods with the reason,
//! and the discordant contigs of every pair of methods at every rank (for
//! the McNemar tests).

use super::data::Data;
use super::methods::Results;
use super::say;
use indicatif::ProgressBar;
use taxdistill_bench::evaluate::{evaluate_method, outcome_codes, Truthset};
use taxdistill_bench::measure::StepRecord;
use taxdistill_bench::record::{method_label, MethodRecord, PairCounts, RunRecord};
use taxdistill_core::taxonomy::Rank;

/// Wall seconds (summed) and peak memory (the largest) of the named steps;
/// `None` for an output that needed none (the raw labels).
fn cost(names: &[String], steps: &[StepRecord]) -> (Option<f64>, Option<f64>) {
    if names.is_empty() {
        return (None, None);
    }
    let found: Vec<&StepRecord> = names
        .iter()
        .filter_map(|n| steps.iter().find(|s| &s.name == n))
        .collect();
    (
        Some(found.iter().map(|s| s.seconds).sum()),
        found
            .iter()
            .filter_map(|s| s.peak_rss_mib)
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x)))),
    )
}

/// The run's record: each method scored (or its failure), the skipped
/// ones, and the pair counts.
pub(super) fn record(
    d: Data,
    results: Results,
    skipped: Vec<(String, String)>,
    steps: Vec<StepRecord>,
    seed: u64,
    pb: &ProgressBar,
) -> RunRecord {
    let t = Truthset {
        ids: &d.features.ids,
        lengths: &d.features.lengths,
        truth: &d.truth,
        labels: &d.lineages,
        reference_depth: d.reference_depth.as_deref(),
        min_length: d.info.min_length,
    };
    let name = &d.name;
    let mut methods = Vec::new();
    let mut codes: Vec<(String, Vec<[i8; 7]>)> = Vec::new();
    for (id, r) in results {
        match r {
            Ok(o) => {
                let (seconds, peak) = cost(&o.steps, &steps);
                codes.push((id.clone(), outcome_codes(&t, &o.preds, &d.long)));
                methods.push(MethodRecord {
                    label: method_label(&id),
                    id,
                    status: "ok".into(),
                    steps: o.steps,
                    seconds,
                    peak_rss_mib: peak,
                    details: o.details,
                    eval: Some(evaluate_method(&t, &o.preds)),
                });
            }
            Err(e) => {
                tracing::warn!("{name} seed {seed}: {id} failed: {e:#}");
                say(
                    pb,
                    format!("warning: {name} seed {seed}: {id} failed: {e:#}"),
                );
                methods.push(MethodRecord::without_result(id, format!("failed: {e:#}")));
            }
        }
    }
    for (id, why) in skipped {
        methods.push(MethodRecord::without_result(id, format!("skipped: {why}")));
    }
    let pairs = pair_counts(&codes);
    RunRecord {
        scenario: d.name,
        seed,
        data: d.info,
        steps,
        methods,
        pairs,
    }
}

/// For every pair of methods and rank: the contigs (truth reaching the
/// rank) correct for only one of the two, from the outcome codes
/// (1 correct, 0 not, < 0 no truth at the rank).
fn pair_counts(codes: &[(String, Vec<[i8; 7]>)]) -> Vec<PairCounts> {
    let mut pairs = Vec::new();
    for i in 0..codes.len() {
        for j in i + 1..codes.len() {
            for r in Rank::ALL {
                let k = r.index();
                let (mut only_a, mut only_b, mut m) = (0, 0, 0);
                for (x, y) in codes[i].1.iter().zip(&codes[j].1) {
                    if x[k] < 0 {
                        continue;
                    }
                    m += 1;
                    match (x[k], y[k]) {
                        (1, 0) => only_a += 1,
                        (0, 1) => only_b += 1,
                        _ => {}
                    }
                }
                pairs.push(PairCounts {
                    a: codes[i].0.clone(),
                    b: codes[j].0.clone(),
                    rank: r.name().to_string(),
                    only_a,
                    only_b,
                    n: m,
                });
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_counts_count_contigs_correct_for_one_method_only() {
        let codes = vec![
            ("a".to_string(), vec![[1; 7], [0; 7], [-1; 7], [1; 7]]),
            ("b".to_string(), vec![[0; 7], [1; 7], [1; 7], [1; 7]]),
        ];
        let p = pair_counts(&codes);
        assert_eq!(p.len(), 7);
        assert!(p
            .iter()
            .all(|p| (p.only_a, p.only_b, p.n) == (1, 1, 3) && p.a == "a" && p.b == "b"));
    }

    #[test]
    fn a_method_costs_the_sum_of_its_steps_and_their_largest_peak() {
        let st = |name: &str, seconds, peak| StepRecord {
            name: name.into(),
            seconds,
            peak_rss_mib: peak,
        };
        let steps = [
            st("features", 1.0, Some(10.0)),
            st("teacher", 2.0, Some(30.0)),
        ];
        let names = ["features".to_string(), "teacher".to_string()];
        assert_eq!(cost(&names, &steps), (Some(3.0), Some(30.0)));
        assert_eq!(cost(&[], &steps), (None, None));
    }
}
