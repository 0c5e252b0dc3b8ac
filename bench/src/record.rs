//! What one benchmark run records (one scenario × one seed): the data, the
//! timed steps, every method's status, cost and evaluation, and the
//! discordant contigs of each pair of methods. Written as
//! `OUT/runs/<scenario>-seed<seed>.json` and read back by `--resume`.

use crate::evaluate::Evaluation;
use crate::measure::StepRecord;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Facts about the data of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataInfo {
    pub n_contigs: usize,
    /// Contigs ≥ min length (the evaluated "annotated" subset).
    pub n_long: usize,
    /// Contigs ≥ min length with an input label.
    pub n_labelled_long: usize,
    pub n_samples: usize,
    pub min_length: usize,
    /// Leaves of the label tree.
    pub n_leaves: usize,
    /// Share of contigs whose species is absent from the reference (simulated data).
    pub novel_share: Option<f64>,
    /// Simulated label kinds (correct, novel, nearest, wrong, shallow, unclassified) and counts.
    pub label_kinds: Option<BTreeMap<String, usize>>,
}

/// One method's result in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodRecord {
    /// Stable id (`raw_labels`, `teacher`, `student_noisy`, …).
    pub id: String,
    /// Human-readable name.
    pub label: String,
    /// `ok`, `failed: …` or `skipped: …`.
    pub status: String,
    /// Steps this method's output needed (shared ones included).
    pub steps: Vec<String>,
    /// Sum of those steps' wall seconds (`None` for the raw labels).
    pub seconds: Option<f64>,
    /// Largest peak RSS over those steps, MiB.
    pub peak_rss_mib: Option<f64>,
    /// Method details (thresholds, epochs, α, T, …).
    pub details: serde_json::Value,
    pub eval: Option<Evaluation>,
}

impl MethodRecord {
    /// A method that did not produce predictions: `status` says why.
    pub fn without_result(id: String, status: String) -> MethodRecord {
        MethodRecord {
            label: method_label(&id),
            id,
            status,
            steps: vec![],
            seconds: None,
            peak_rss_mib: None,
            details: serde_json::json!({}),
            eval: None,
        }
    }
}

/// Discordant contigs of two methods at one rank (contigs ≥ min length
/// whose truth reaches the rank).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairCounts {
    pub a: String,
    pub b: String,
    pub rank: String,
    /// Correct for `a` only / for `b` only.
    pub only_a: u64,
    pub only_b: u64,
    pub n: u64,
}

/// Everything one run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub scenario: String,
    pub seed: u64,
    pub data: DataInfo,
    pub steps: Vec<StepRecord>,
    pub methods: Vec<MethodRecord>,
    pub pairs: Vec<PairCounts>,
}

/// Human-readable name of a method id.
pub fn method_label(id: &str) -> String {
    match id {
        "raw_labels" => "raw labels".into(),
        "teacher" => "teacher argmax (graph)".into(),
        "teacher_genomeocean" => "teacher argmax (graph + GenomeOcean)".into(),
        "student_noisy" => "student, noisy labels".into(),
        "student_hard" => "student, teacher hard labels".into(),
        "student_soft" => "student, soft labels".into(),
        "student_soft_genomeocean" => "student, GenomeOcean soft labels".into(),
        "vamb_taxometer" => "vamb taxometer".into(),
        "taxdistill_run" => "taxdistill run (kept by held-out labels)".into(),
        s => match s.strip_prefix("student_soft_a") {
            Some(rest) => match rest.split_once("_t") {
                Some((a, t)) => format!("student, soft α {a} T {t}"),
                None => s.to_string(),
            },
            None => s.to_string(),
        },
    }
}

/// Id of a grid point's method.
pub fn grid_id(alpha: f32, t: f32) -> String {
    format!("student_soft_a{alpha}_t{t}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_ids_read_back_as_their_alpha_and_temperature() {
        assert_eq!(grid_id(0.3, 1.0), "student_soft_a0.3_t1");
        assert_eq!(method_label(&grid_id(0.6, 4.0)), "student, soft α 0.6 T 4");
        assert_eq!(method_label("student_soft"), "student, soft labels");
        assert_eq!(method_label("something_else"), "something_else");
    }
}
