//! Annotating: the student's prediction per contig, the open-set rule over
//! it, input labels passed through where the student is silent, and the
//! writers of the output files (Taxometer TSV, CAMI, Kraken-style report).
//!
//! Shapes: features `(n_contigs, n_features)` f32 go through the student in
//! chunks of 8192 rows, each giving `(chunk, n_leaves)` leaf probabilities;
//! every output vector is aligned to the feature rows.

use crate::progress::{Progress, Stage};
use crate::{Error, Result};
use std::io::Write;
use taxdistill_core::features::FeatureMatrix;
use taxdistill_core::model::{predict_from_leaf_probs, Prediction, Student};
use taxdistill_core::openset::{self, Corrected, Source};
use taxdistill_core::taxdump::TaxDump;
use taxdistill_core::taxonomy::{LabelTree, Lineage};
use taxdistill_teacher::graph::OpenSetEvidence;

/// Checks that features fit the model (sample count, column count);
/// `model_name` names the model in errors.
///
/// # Errors
/// [`Error::SampleCountMismatch`], [`Error::FeatureCountMismatch`].
pub fn check_features(student: &Student, features: &FeatureMatrix, model_name: &str) -> Result<()> {
    check_shape(student, features.n_samples, features.n_cols(), model_name)
}

/// [`check_features`] from the input's sample and column counts.
pub(crate) fn check_shape(
    student: &Student,
    n_samples: usize,
    n_cols: usize,
    model_name: &str,
) -> Result<()> {
    let meta = &student.meta;
    if meta.n_samples != n_samples {
        return Err(Error::SampleCountMismatch {
            model: model_name.to_string(),
            expected: meta.n_samples,
            found: n_samples,
        });
    }
    if meta.n_features() != n_cols {
        return Err(Error::FeatureCountMismatch {
            model: model_name.to_string(),
            expected: meta.n_features(),
            found: n_cols,
        });
    }
    Ok(())
}

/// Predictions for every row (`None` for contigs shorter than `min_length`).
///
/// # Errors
/// Features that do not fit the student.
pub fn annotate(
    student: &Student,
    features: &FeatureMatrix,
    min_length: usize,
    thresholds: &[f32; 7],
    progress: &dyn Progress,
) -> Result<Vec<Option<Prediction>>> {
    let f = features.n_cols();
    let l = student.meta.tree.n_leaves();
    let rows: Vec<usize> = (0..features.n_rows())
        .filter(|&i| features.lengths[i] >= min_length)
        .collect();
    let mut out: Vec<Option<Prediction>> = vec![None; features.n_rows()];
    progress.start(Stage::Annotating, Some(rows.len() as u64));
    let mut done = 0u64;
    for chunk in rows.chunks(8192) {
        let mut x = Vec::with_capacity(chunk.len() * f);
        for &r in chunk {
            x.extend_from_slice(features.row(r));
        }
        let probs = student.leaf_probs(&x)?;
        for (&r, p) in chunk.iter().zip(probs.chunks(l)) {
            out[r] = Some(predict_from_leaf_probs(&student.meta.tree, p, thresholds));
        }
        done += chunk.len() as u64;
        progress.update(Stage::Annotating, done, rows.len() as u64);
    }
    progress.finish(Stage::Annotating);
    Ok(out)
}

/// Each contig's output from the student's predictions and its (trusted)
/// input label: with the teacher's evidence (and the tree it ran on), the
/// open-set rule ([`openset::correct_all`]); without, the student's
/// prediction, or the input label where there is none.
pub fn correct(
    labels: &[Lineage],
    preds: &[Option<Prediction>],
    evidence: Option<(&OpenSetEvidence, &LabelTree)>,
) -> Vec<Corrected> {
    match evidence {
        Some((ev, tree)) => openset::correct_all(labels, preds, &ev.neighbours, |i| {
            ev.vouched_lineage(tree, i)
        }),
        None => openset::student_or_kept_all(labels, preds),
    }
}

/// What the writers get: each contig's lineage, and with input labels passed
/// through, each one's [`Source`] and the CAMI header note.
#[derive(Debug, Clone, PartialEq)]
pub struct Outputs {
    pub preds: Vec<Option<Prediction>>,
    pub sources: Option<Vec<Source>>,
    pub notes: Vec<String>,
}

impl Outputs {
    /// The student's predictions alone (unannotated contigs listed unassigned).
    pub fn student_only(preds: Vec<Option<Prediction>>) -> Outputs {
        Outputs {
            preds,
            sources: None,
            notes: Vec::new(),
        }
    }

    /// Corrected outputs of every contig, input labels passed through where
    /// the student made no prediction (shorter than `min_length`).
    pub fn passed_through(outputs: &[Corrected], min_length: usize) -> Outputs {
        let sources: Vec<Source> = outputs.iter().map(|c| c.source).collect();
        Outputs {
            preds: outputs.iter().map(|c| Some(c.prediction.clone())).collect(),
            notes: taxdistill_core::writers::passthrough_notes(&sources, min_length),
            sources: Some(sources),
        }
    }

    /// `run`'s outputs of the corrected contigs: with `passthrough`, input
    /// labels kept where the student made no prediction; without, those
    /// contigs listed (and summarised) as unclassified. Returns what the
    /// summary compares with the labels, and what the writers get.
    pub fn for_run(
        corrected: Vec<Corrected>,
        student_preds: &[Option<Prediction>],
        passthrough: bool,
        min_length: usize,
    ) -> (Vec<Corrected>, Outputs) {
        if passthrough {
            let outputs = Outputs::passed_through(&corrected, min_length);
            return (corrected, outputs);
        }
        let written: Vec<Corrected> = corrected
            .into_iter()
            .map(|c| match c.source {
                Source::Input => Corrected::kept(&Lineage::unclassified()),
                _ => c,
            })
            .collect();
        let preds = written
            .iter()
            .zip(student_preds)
            .map(|(c, s)| s.is_some().then(|| c.prediction.clone()))
            .collect();
        (written, Outputs::student_only(preds))
    }

    /// (contig id, prediction) rows in feature order.
    pub fn rows(&self, ids: &[String]) -> Vec<(String, Option<Prediction>)> {
        ids.iter()
            .cloned()
            .zip(self.preds.iter().cloned())
            .collect()
    }

    /// Writes the Taxometer output TSV (with a `source` column where input
    /// labels were passed through).
    ///
    /// # Errors
    /// A failing writer.
    pub fn write_taxometer<W: Write>(&self, w: W, ids: &[String]) -> Result<()> {
        let rows = self.rows(ids);
        match &self.sources {
            Some(s) => taxdistill_core::writers::write_taxometer_with_sources(w, &rows, s)?,
            None => taxdistill_core::writers::write_taxometer(w, &rows)?,
        }
        Ok(())
    }

    /// Writes CAMI taxonomic binning output for `sample_id` (taxids from
    /// `taxdump` where given).
    ///
    /// # Errors
    /// A failing writer.
    pub fn write_cami<W: Write>(
        &self,
        w: W,
        ids: &[String],
        sample_id: &str,
        taxdump: Option<&TaxDump>,
    ) -> Result<()> {
        let rows = self.rows(ids);
        taxdistill_core::writers::write_cami(w, sample_id, &rows, taxdump, &self.notes)?;
        Ok(())
    }

    /// Writes a Kraken-style report (contig counts).
    ///
    /// # Errors
    /// A failing writer.
    pub fn write_kraken_report<W: Write>(
        &self,
        w: W,
        ids: &[String],
        lengths: &[usize],
        taxdump: Option<&TaxDump>,
    ) -> Result<()> {
        let rows: Vec<(String, u64, Option<Prediction>)> = self
            .rows(ids)
            .into_iter()
            .zip(lengths)
            .map(|((id, p), &n)| (id, n as u64, p))
            .collect();
        taxdistill_core::writers::write_kraken_report(w, &rows, false, taxdump)?;
        Ok(())
    }
}
