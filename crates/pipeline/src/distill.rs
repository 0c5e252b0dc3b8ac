//! Distilling: training a student on the features, the noisy labels and
//! optionally the teacher's soft labels, into model files held in memory.
//!
//! Shapes: features `(n_contigs, n_features)` f32 (rows aligned to the
//! labels); soft labels as sparse `(leaf column, probability)` rows; the
//! student maps a feature row to `n_leaves` leaf probabilities.

use crate::progress::{Progress, Stage};
use crate::teach::SparseSoftRow;
use crate::Result;
use taxdistill_core::features::FeatureMatrix;
use taxdistill_core::model::{ModelMeta, Student, FORMAT_VERSION};
use taxdistill_core::taxonomy::{LabelTree, Lineage};
use taxdistill_train::{TrainConfig, TrainInput, TrainReport};

/// What a student learns from.
#[derive(Debug, Clone, Copy)]
pub struct TrainingData<'a> {
    pub features: &'a FeatureMatrix,
    /// Training labels aligned to the feature rows
    /// ([`crate::load::training_labels`]).
    pub labels: &'a [Lineage],
    /// The label tree of `labels` ([`crate::load::label_tree`]).
    pub tree: &'a LabelTree,
    /// The teacher's soft labels, aligned to the rows; `None` trains on the labels alone.
    pub soft: Option<&'a [SparseSoftRow]>,
}

/// Everything a training run produced: the model files and the report.
#[derive(Debug, Clone)]
pub struct BuiltModel {
    /// `model.json`'s content.
    pub meta: ModelMeta,
    /// `model.safetensors`' content.
    pub safetensors: Vec<u8>,
    pub report: TrainReport,
}

impl BuiltModel {
    /// The student, ready to annotate.
    ///
    /// # Errors
    /// Model bytes that do not fit the metadata (a bug).
    pub fn student(&self) -> Result<Student> {
        Ok(Student::from_meta_and_bytes(
            self.meta.clone(),
            &self.safetensors,
        )?)
    }
}

/// Trains a student with `cfg` on the contigs of at least `min_length` bp;
/// `provenance` goes into `model.json` with the configuration and the
/// training report added.
///
/// # Errors
/// Training failures (sizes that do not fit, no labelled contig to hold out).
pub fn train_student(
    data: &TrainingData,
    cfg: &TrainConfig,
    min_length: usize,
    provenance: serde_json::Value,
    progress: &dyn Progress,
) -> Result<BuiltModel> {
    let TrainingData {
        features,
        labels,
        tree,
        soft,
    } = *data;
    let nodes: Vec<Option<usize>> = labels
        .iter()
        .map(|l| (l.depth() > 0).then(|| tree.node_of(l)))
        .collect();
    let eligible: Vec<bool> = features.lengths.iter().map(|&n| n >= min_length).collect();
    let input = TrainInput {
        tree,
        features: &features.data,
        n_features: features.n_cols(),
        labels: &nodes,
        teacher: soft,
        eligible: &eligible,
    };
    progress.start(Stage::Training, Some(cfg.max_epochs as u64));
    let t0 = progress.now();
    let trained = taxdistill_train::train(&input, cfg, &mut |s| {
        progress.update(Stage::Training, s.epoch as u64, s.max_epochs as u64);
        tracing::debug!(
            "epoch {} train {:.4} held-out {:?} lr {:.2e}",
            s.epoch,
            s.train_loss,
            s.val_loss,
            s.lr
        );
    })?;
    progress.finish(Stage::Training);
    let seconds = t0.zip(progress.now()).map(|(a, b)| b - a);
    let r = &trained.report;
    tracing::info!(
        "trained on {} labelled + {} teacher-only contigs ({} held out) for {} epochs (best {}) in {:.1} s; thresholds {:?}",
        r.n_train_labelled,
        r.n_train_teacher_only,
        r.n_holdout,
        r.epochs_run,
        r.best_epoch,
        seconds.unwrap_or(f64::NAN),
        trained.thresholds
    );
    let mut prov = provenance;
    prov["config"] = serde_json::to_value(cfg)?;
    prov["training"] = serde_json::json!({
        "n_train_labelled": r.n_train_labelled,
        "n_train_teacher_only": r.n_train_teacher_only,
        "n_holdout": r.n_holdout,
        "rows_per_epoch": r.rows_per_epoch,
        "steps_per_epoch": r.steps_per_epoch,
        "max_epochs": r.max_epochs,
        "patience": r.patience,
        "epochs_run": r.epochs_run,
        "best_epoch": r.best_epoch,
        "best_val_loss": r.best_val_loss,
        "holdout_f1": r.holdout_f1,
        "seconds": seconds,
    });
    let meta = ModelMeta {
        format_version: FORMAT_VERSION,
        n_samples: features.n_samples,
        use_abundance: features.n_samples > 0,
        feature_names: features.columns.clone(),
        feature_mean: trained.feature_mean.clone(),
        feature_std: trained.feature_std.clone(),
        hidden: cfg.hidden.clone(),
        leaky_slope: cfg.leaky_slope,
        tree: tree.clone(),
        min_length,
        thresholds: trained.thresholds,
        provenance: prov,
    };
    Ok(BuiltModel {
        safetensors: trained.safetensors_bytes()?,
        meta,
        report: trained.report,
    })
}
