//! Test helpers of the graph teacher, shared by its unit tests and
//! `examples/ablation.rs` (which includes this file with `#[path]`): a
//! simulated community as the CLI reads it, per-rank F1, the teacher's walk.

use taxdistill_core::features::FeatureMatrix;
use taxdistill_core::taxonomy::{LabelTree, Lineage};

/// A simulator community as the CLI would read it: features, noisy labels, truth.
pub fn sim_case(
    cfg: &taxdistill_sim::SimConfig,
) -> (FeatureMatrix, Vec<Lineage>, Vec<(String, Lineage)>) {
    let c = taxdistill_sim::simulate(cfg).unwrap();
    let mut fa = Vec::new();
    taxdistill_sim::write::write_fasta(&c, &mut fa).unwrap();
    let mut ab = Vec::new();
    taxdistill_sim::write::write_abundance(&c, &mut ab).unwrap();
    let mut tr = Vec::new();
    taxdistill_sim::write::write_truth(&c, &mut tr).unwrap();
    let mut lb = Vec::new();
    taxdistill_sim::write::write_labels(&c, &mut lb).unwrap();
    let contigs = taxdistill_core::fasta::read_contigs(&fa[..], "sim.fna").unwrap();
    let abundance = taxdistill_core::abundance::read_abundance(&ab[..], "sim.tsv").unwrap();
    let features = taxdistill_core::features::build_features(&contigs, Some(&abundance)).unwrap();
    let labels = taxdistill_core::labels::read_labels(&lb[..], "labels.tsv", None, None).unwrap();
    let truth = taxdistill_core::labels::read_labels(&tr[..], "truth.tsv", None, None).unwrap();
    let (lineages, _) = labels.aligned_to(&features.ids);
    (features, lineages, truth.entries)
}

pub fn f1s(truth: &[(String, Lineage)], pred: &[(String, Lineage)]) -> Vec<f64> {
    taxdistill_core::metrics::evaluate(truth, pred, None)
        .iter()
        .map(|m| m.f1)
        .collect()
}

pub fn teacher_preds(ids: &[String], tree: &LabelTree, probs: &[f32]) -> Vec<(String, Lineage)> {
    let l = tree.n_leaves();
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            let p = taxdistill_core::model::predict_from_leaf_probs(
                tree,
                &probs[i * l..(i + 1) * l],
                &[0.5; 7],
            );
            (id.clone(), p.lineage)
        })
        .collect()
}
