//! Teaching: the teacher's soft labels over the label tree's leaves, and
//! the open-set rule's evidence (the graph teacher only).
//!
//! Shapes: embeddings are `(n_contigs, dim)` f32, rows aligned to the
//! features (a zero row, `present[i] == false`, where a contig has none);
//! soft labels are `(n_contigs, n_leaves)` probabilities in `tree.leaves`
//! order; sparse rows keep `(leaf column, probability)` pairs.

use crate::progress::{Progress, Stage};
use crate::{Error, Result};
use std::collections::HashMap;
use taxdistill_core::features::FeatureMatrix;
use taxdistill_core::model::{predict_from_leaf_probs, Prediction};
use taxdistill_core::softlabels::SoftLabels;
use taxdistill_core::taxonomy::{LabelTree, Lineage};
use taxdistill_teacher::graph::{
    graph_teacher, GraphTeacherConfig, OpenSetEvidence, TeacherReport,
};
use taxdistill_teacher::heads::{crossfit_heads, HeadConfig};
use taxdistill_teacher::shard::Shard;

/// One contig's teacher distribution as (leaf column, probability) pairs; `None` = no soft label.
pub type SparseSoftRow = Option<Vec<(usize, f32)>>;
/// Soft labels of every contig, aligned to the feature rows.
pub type SparseSoftRows = Vec<SparseSoftRow>;

/// Which teacher to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TeacherKind {
    /// kNN graph over abundance + composition (+ embeddings), cross-fitted
    /// label propagation, mixed with a per-contig head.
    #[default]
    Graph,
    /// Cross-fitted hierarchical heads on the embeddings (or on the features without embeddings).
    Heads,
}

/// Options of [`teach`].
#[derive(Debug, Clone)]
pub struct TeachOptions {
    pub teacher: TeacherKind,
    /// Contigs shorter than this (bp) are neither neighbours nor training
    /// rows (they still get soft labels).
    pub min_length: usize,
    pub seed: u64,
    /// The graph teacher searches neighbours exactly up to this many
    /// contigs and approximately (HNSW, native only) above
    /// ([`GraphTeacherConfig::exact_knn_max_contigs`]).
    pub exact_knn_max_contigs: usize,
}

impl Default for TeachOptions {
    fn default() -> Self {
        TeachOptions {
            teacher: TeacherKind::Graph,
            min_length: 2000,
            seed: 0,
            exact_knn_max_contigs: taxdistill_teacher::graph::EXACT_KNN_MAX_CONTIGS,
        }
    }
}

/// Contig embeddings (e.g. GenomeOcean's, computed natively) aligned to the
/// feature rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embeddings {
    /// `(n_contigs, dim)` row-major.
    pub values: Vec<f32>,
    pub dim: usize,
    /// Whether each contig has an embedding.
    pub present: Vec<bool>,
}

impl Embeddings {
    /// Aligns an embedding matrix (`shape`, row-major `data`) whose rows are
    /// the contigs `names` to `ids`. A zero row counts as no embedding (what
    /// `taxdistill embed` writes for a contig without A/C/G/T). Returns the
    /// embeddings and how many of `ids` have none. `source_name` and
    /// `names_source` name the matrix and the list in errors.
    ///
    /// # Errors
    /// A shape that does not fit `names` ([`Error::EmbeddingShape`]), or no
    /// contig of `ids` with an embedding ([`Error::NoEmbeddings`]).
    pub fn aligned(
        shape: &[usize],
        data: &[f32],
        names: &[&str],
        ids: &[String],
        source_name: &str,
        names_source: &str,
    ) -> Result<(Embeddings, usize)> {
        if shape.len() != 2 || shape[0] != names.len() || data.len() != shape[0] * shape[1] {
            return Err(Error::EmbeddingShape {
                source_name: source_name.to_string(),
                shape: shape.to_vec(),
                names_source: names_source.to_string(),
                n_names: names.len(),
            });
        }
        let d = shape[1];
        let pos: HashMap<&str, usize> = names.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        let mut values = vec![0f32; ids.len() * d];
        let mut present = vec![false; ids.len()];
        for (i, id) in ids.iter().enumerate() {
            if let Some(&r) = pos.get(id.as_str()) {
                let row = &data[r * d..(r + 1) * d];
                values[i * d..(i + 1) * d].copy_from_slice(row);
                present[i] = row.iter().any(|&v| v != 0.0);
            }
        }
        let missing = present.iter().filter(|h| !**h).count();
        if missing == ids.len() {
            return Err(Error::NoEmbeddings {
                names_source: names_source.to_string(),
            });
        }
        let e = Embeddings {
            values,
            dim: d,
            present,
        };
        Ok((e, missing))
    }
}

/// What a teacher gives.
#[derive(Debug, Clone)]
pub struct Taught {
    /// Soft labels of every contig, columns in `tree.leaves` order.
    pub soft: SoftLabels,
    /// Calibration, held-out accuracy, choices and timings.
    pub report: TeacherReport,
    /// The open-set rule's evidence (graph teacher only).
    pub open_set: Option<OpenSetEvidence>,
}

/// Soft labels for every row of `features` (tree = `LabelTree::from_lineages(labels)`).
///
/// `labels` are the training labels aligned to the feature rows. With
/// `embeddings`, contigs without one are neither neighbours nor training rows.
///
/// # Errors
/// Fewer than two labelled contigs of at least `min_length`, fewer than two
/// leaves, inconsistent sizes ([`Error::Teacher`]).
pub fn teach(
    features: &FeatureMatrix,
    labels: &[Lineage],
    tree: &LabelTree,
    embeddings: Option<&Embeddings>,
    opts: &TeachOptions,
    progress: &dyn Progress,
) -> Result<Taught> {
    let n = features.n_rows();
    let train_mask: Vec<bool> = (0..n)
        .map(|i| features.lengths[i] >= opts.min_length && embeddings.is_none_or(|e| e.present[i]))
        .collect();
    let extra = embeddings.map(|e| (e.values.as_slice(), e.dim));
    progress.start(Stage::Teacher, None);
    let out = match opts.teacher {
        TeacherKind::Graph => {
            let cfg = GraphTeacherConfig {
                seed: opts.seed,
                exact_knn_max_contigs: opts.exact_knn_max_contigs,
                ..Default::default()
            };
            graph_teacher(features, labels, tree, &train_mask, extra, &cfg).map_err(|source| {
                Error::Teacher {
                    teacher: "graph teacher",
                    source,
                }
            })?
        }
        TeacherKind::Heads => {
            let cfg = HeadConfig {
                seed: opts.seed,
                ..Default::default()
            };
            let (x, d) = extra.unwrap_or((&features.data, features.n_cols()));
            crossfit_heads(x, d, labels, tree, &train_mask, &cfg).map_err(|source| {
                Error::Teacher {
                    teacher: "teacher heads",
                    source,
                }
            })?
        }
    };
    progress.finish(Stage::Teacher);
    let report = out.report;
    let soft = SoftLabels {
        contigs: features.ids.clone(),
        leaves: tree.leaves.iter().map(|&v| tree.lineage(v)).collect(),
        probs: out.probs,
        meta: serde_json::json!({
            "teacher": report.teacher,
            "seed": opts.seed,
            "min_length": opts.min_length,
            "temperature": report.temperature,
            "ece_after": report.ece_after,
        }),
    };
    Ok(Taught {
        soft,
        report,
        open_set: out.open_set,
    })
}

/// Aligns soft labels to `ids` and the tree's columns; keeps only leaves with
/// probability ≥ 1e-4 (the rest is noise for a tempered target).
///
/// # Errors
/// Soft labels whose leaves or contigs do not fit.
pub fn sparse_soft(soft: &SoftLabels, ids: &[String], tree: &LabelTree) -> Result<SparseSoftRows> {
    let rows = soft.aligned_to(ids, tree)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            r.map(|row| {
                row.iter()
                    .enumerate()
                    .filter(|(_, &p)| p >= 1e-4)
                    .map(|(c, &p)| (c, p))
                    .collect()
            })
        })
        .collect())
}

/// The teacher's own lineage per contig: walk down while the probability is
/// ≥ 0.5 (`taxdistill teach --predictions`, the bench's `teacher` method).
pub fn teacher_predictions(soft: &SoftLabels, tree: &LabelTree) -> Vec<Option<Prediction>> {
    let l = soft.n_leaves();
    (0..soft.contigs.len())
        .map(|r| {
            Some(predict_from_leaf_probs(
                tree,
                &soft.probs[r * l..(r + 1) * l],
                &[0.5; 7],
            ))
        })
        .collect()
}

/// Keeps shard `shard` of the soft labels' contigs (contig k goes to shard
/// k mod n + 1) and records it in the metadata, which `taxdistill merge`
/// reads to join shards.
pub fn keep_shard(soft: &mut SoftLabels, shard: Shard) {
    let total = soft.contigs.len();
    let l = soft.n_leaves();
    let items = shard.items(total);
    soft.probs = items
        .iter()
        .flat_map(|&i| soft.probs[i * l..(i + 1) * l].to_vec())
        .collect();
    soft.contigs = items.iter().map(|&i| soft.contigs[i].clone()).collect();
    soft.meta["shard"] = serde_json::json!(shard.to_string());
    soft.meta["total"] = serde_json::json!(total);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_align_by_name_and_a_zero_row_is_none() {
        let data = [1.0, 2.0, 0.0, 0.0, 3.0, 4.0];
        let ids = vec!["b".to_string(), "c".to_string(), "x".to_string()];
        let (e, missing) =
            Embeddings::aligned(&[3, 2], &data, &["a", "b", "c"], &ids, "e", "n").unwrap();
        assert_eq!(e.values, vec![0.0, 0.0, 3.0, 4.0, 0.0, 0.0]);
        assert_eq!(e.present, vec![false, true, false]);
        assert_eq!(missing, 2);
    }

    #[test]
    fn embeddings_of_the_wrong_shape_are_an_embedding_shape_error() {
        let e = Embeddings::aligned(&[2, 2], &[0.0; 4], &["a"], &[], "e", "n").unwrap_err();
        assert!(matches!(e, Error::EmbeddingShape { n_names: 1, .. }));
        let e = Embeddings::aligned(&[1, 2], &[0.0; 2], &["a"], &["a".into()], "e", "n");
        assert!(matches!(e, Err(Error::NoEmbeddings { .. })));
    }
}
