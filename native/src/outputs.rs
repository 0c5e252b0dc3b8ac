//! The CLI's output files, each written atomically: model directories,
//! the annotation outputs (Taxometer TSV, CAMI, Kraken-style report) and
//! the teacher's own predictions.

use crate::util;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;
use taxdistill_core::features::FeatureMatrix;
use taxdistill_core::softlabels::SoftLabels;
use taxdistill_core::taxonomy::LabelTree;
use taxdistill_pipeline::annotate::Outputs;
use taxdistill_pipeline::distill::BuiltModel;
use taxdistill_pipeline::teach::teacher_predictions;

/// Writes `model.safetensors` + `model.json` into `dir`, atomically.
pub fn write_model(dir: &Path, model: &BuiltModel) -> Result<()> {
    let json = model.meta.to_json()?;
    util::write_dir_atomic(dir, |tmp| {
        std::fs::File::create(tmp.join("model.safetensors"))
            .and_then(|mut f| f.write_all(&model.safetensors))
            .with_context(|| format!("{}: cannot write model.safetensors", dir.display()))?;
        std::fs::File::create(tmp.join("model.json"))
            .and_then(|mut f| f.write_all(&json))
            .with_context(|| format!("{}: cannot write model.json", dir.display()))?;
        Ok(())
    })
}

/// Writes the Taxometer TSV and the optional CAMI file and Kraken-style
/// report (taxids from the taxdump in `taxonomy` where given).
pub fn write_outputs(
    features: &FeatureMatrix,
    outputs: &Outputs,
    out: &Path,
    cami: Option<&Path>,
    report: Option<&Path>,
    taxonomy: Option<&Path>,
    sample_id: &str,
) -> Result<()> {
    let ids = &features.ids;
    util::write_atomic(out, |w| Ok(outputs.write_taxometer(w, ids)?))?;
    let taxdump = taxonomy.map(util::load_taxdump).transpose()?;
    if let Some(p) = cami {
        util::write_atomic(p, |w| {
            Ok(outputs.write_cami(w, ids, sample_id, taxdump.as_ref())?)
        })?;
    }
    if let Some(p) = report {
        util::write_atomic(p, |w| {
            Ok(outputs.write_kraken_report(w, ids, &features.lengths, taxdump.as_ref())?)
        })?;
    }
    Ok(())
}

/// Writes the teacher's own lineage per contig of `soft` (walking down
/// `tree` while the probability is >= 0.5) as a Taxometer TSV at `path`.
pub fn write_teacher_predictions(path: &Path, soft: &SoftLabels, tree: &LabelTree) -> Result<()> {
    let rows: Vec<_> = soft
        .contigs
        .iter()
        .cloned()
        .zip(teacher_predictions(soft, tree))
        .collect();
    util::write_atomic(path, |w| {
        Ok(taxdistill_core::writers::write_taxometer(w, &rows)?)
    })
}

/// The sample id of a FASTA in the CAMI header: its file name.
pub fn sample_id(contigs: &Path) -> String {
    contigs
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default()
}
