//! Scoring of predictions against a truth for `taxdistill eval`: the
//! warnings about contigs the two do not share, the truth restricted to
//! long contigs, and the outputs (metrics table, baseline comparison, JSON).

use std::collections::{HashMap, HashSet};
use taxdistill_core::labels::Labels;
use taxdistill_core::metrics::{evaluate, RankMetrics};
use taxdistill_core::taxonomy::Lineage;

/// The per-rank metrics as `eval --json` prints them.
#[derive(serde::Serialize)]
pub struct Report<'a> {
    /// One entry per rank, domain … species.
    pub ranks: &'a [RankMetrics],
}

/// Warns about truth contigs absent from the FASTA (their bp weight is 0)
/// and predicted contigs absent from the truth (ignored).
pub fn warn_unmatched(truth: &Labels, pred: &Labels, lengths: Option<&HashMap<String, u64>>) {
    if let Some(len) = lengths {
        let absent = truth
            .entries
            .iter()
            .filter(|(id, _)| !len.contains_key(id))
            .count();
        if absent > 0 {
            tracing::warn!("{absent} truth contigs are not in the FASTA; their bp weight is 0");
        }
    }
    let truth_ids: HashSet<&str> = truth.entries.iter().map(|(id, _)| id.as_str()).collect();
    let extra = pred
        .entries
        .iter()
        .filter(|(id, _)| !truth_ids.contains(id.as_str()))
        .count();
    if extra > 0 {
        tracing::warn!(
            "{extra} predicted contigs of {} are not in the truth and are ignored",
            pred.source
        );
    }
}

/// The truth of the contigs of at least `min` bp.
pub fn long_truth(
    truth: &[(String, Lineage)],
    min: u64,
    lengths: &HashMap<String, u64>,
) -> Vec<(String, Lineage)> {
    let mut t = truth.to_vec();
    t.retain(|(id, _)| lengths.get(id).is_some_and(|&l| l >= min));
    t
}

/// The comparison of `baseline` and `pred` against `truth` (and against
/// `long`, the truth of the contigs of at least that many bp), as JSON or
/// as a table headed by `names`.
pub fn compare(
    names: [&str; 2],
    truth: &[(String, Lineage)],
    long: Option<&(u64, Vec<(String, Lineage)>)>,
    [baseline, pred]: [&Labels; 2],
    lengths: Option<&HashMap<String, u64>>,
    json: bool,
) -> String {
    let all = [
        evaluate(truth, &baseline.entries, lengths),
        evaluate(truth, &pred.entries, lengths),
    ];
    let long = long.map(|(min, t)| {
        (
            *min,
            t.len(),
            [
                evaluate(t, &baseline.entries, lengths),
                evaluate(t, &pred.entries, lengths),
            ],
        )
    });
    if json {
        let j = serde_json::json!({
            "names": names,
            "all": {"n": truth.len(), "baseline": &all[0], "pred": &all[1]},
            "min_length": long.as_ref().map(|(min, n, m)| serde_json::json!({
                "bp": min, "n": n, "baseline": &m[0], "pred": &m[1],
            })),
        });
        format!("{j}\n")
    } else {
        comparison(names, (truth.len(), &all), long.as_ref())
    }
}

/// The comparison table: per rank, F1 of the baseline and the predictions
/// and their difference, on all contigs and (when given) on the contigs of
/// at least `min` bp.
pub fn comparison(
    names: [&str; 2],
    all: (usize, &[Vec<RankMetrics>; 2]),
    long: Option<&(u64, usize, [Vec<RankMetrics>; 2])>,
) -> String {
    let w = names.iter().map(|n| n.len()).max().unwrap_or(0).max(6);
    let group = |title: String| format!("  {title:<width$}", width = 2 * w + 9);
    let mut s = format!("{:<8}", "F1");
    s.push_str(&group(format!("all {} contigs", all.0)));
    if let Some((min, n, _)) = long {
        s.push_str(&group(format!("{n} contigs >= {min} bp")));
    }
    s.push('\n');
    let heads = format!("  {:>w$} {:>w$} {:>7}", names[0], names[1], "diff");
    s.push_str(&format!("{:<8}{heads}", "rank"));
    if long.is_some() {
        s.push_str(&heads);
    }
    s.push('\n');
    let cells = |m: &[Vec<RankMetrics>; 2], r: usize| {
        let (a, b) = (m[0][r].f1, m[1][r].f1);
        format!("  {a:>w$.4} {b:>w$.4} {:>+7.4}", b - a)
    };
    for (r, m) in all.1[0].iter().enumerate() {
        s.push_str(&format!("{:<8}{}", m.rank.name(), cells(all.1, r)));
        if let Some((_, _, lm)) = long {
            s.push_str(&cells(lm, r));
        }
        s.push('\n');
    }
    s
}

/// The per-rank metrics table (with base-pair-weighted columns when `bp`).
pub fn table(metrics: &[RankMetrics], bp: bool) -> String {
    let mut s = format!(
        "{:<8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>7} {:>7}",
        "rank", "truth", "correct", "wrong", "missing", "precision", "recall", "F1"
    );
    if bp {
        s.push_str(&format!(
            " {:>12} {:>9} {:>7}",
            "bp_precision", "bp_recall", "bp_F1"
        ));
    }
    s.push('\n');
    for m in metrics {
        s.push_str(&format!(
            "{:<8} {:>8} {:>8} {:>8} {:>8} {:>9.4} {:>7.4} {:>7.4}",
            m.rank.name(),
            m.n_truth,
            m.correct,
            m.wrong,
            m.missing,
            m.precision,
            m.recall,
            m.f1
        ));
        if bp {
            s.push_str(&format!(
                " {:>12.4} {:>9.4} {:>7.4}",
                m.bp_precision, m.bp_recall, m.bp_f1
            ));
        }
        s.push('\n');
    }
    s
}
