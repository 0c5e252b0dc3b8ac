//! The CLI's output files, each written atomically: model directories,
//! the annotation outputs (Taxometer TSV, CAMI, Kraken-style report) and
//! the teacher's own predictions.

use crate::util;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;
use taxdistill_core::features::FeatureMatrix;
use taxdistill_core::model::Student;
use taxdistill_core::softlabels::SoftLabels;
use taxdistill_core::taxonomy::LabelTree;
use taxdistill_pipeline::annotate::Outputs;
use taxdistill_pipeline::distill::BuiltModel;
use taxdistill_pipeline::streamed::{scan, Sinks, StreamOptions, Streamed};
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

/// `annotate` on a FASTA file in constant memory
/// ([`taxdistill_pipeline::streamed`]): the outputs of `args` written as the
/// contigs stream through the student, each file committed only when all
/// are complete.
pub fn annotate_streamed(
    args: &crate::cmd::annotate::Args,
    student: &Student,
    abundance: Option<&Path>,
    min_length: usize,
    thresholds: [f32; 7],
) -> Result<Streamed> {
    let name = util::name(&args.contigs);
    let mut open = || -> std::io::Result<Box<dyn std::io::Read + Send>> {
        util::open_text(&args.contigs)
            .map(|r| Box::new(r) as Box<dyn std::io::Read + Send>)
            .map_err(|e| std::io::Error::other(format!("{e:#}")))
    };
    let bars = util::Bars::default();
    let scanned = scan(&mut open, &name, student.meta.min_length, &bars)?;
    let labels = match &args.labels {
        Some(p) => Some(
            crate::inputs::load_labels(
                p,
                args.format.as_deref(),
                args.taxonomy.as_deref(),
                scanned.ids(),
                &args.contigs,
            )?
            .lineages,
        ),
        None => None,
    };
    let taxdump = args
        .taxonomy
        .as_deref()
        .map(util::load_taxdump)
        .transpose()?;
    let mut ab = abundance.map(util::open_text).transpose()?;
    let ab_name = abundance.map(util::name).unwrap_or_default();
    let ab = ab
        .as_mut()
        .map(|r| (r.as_mut() as &mut dyn std::io::BufRead, ab_name.as_str()));
    let mut tsv = util::AtomicFile::create(&args.out)?;
    let mut cami = args
        .cami
        .as_deref()
        .map(util::AtomicFile::create)
        .transpose()?;
    let mut report = args
        .report
        .as_deref()
        .map(util::AtomicFile::create)
        .transpose()?;
    let sample = sample_id(&args.contigs);
    let sinks = Sinks {
        taxometer: tsv.writer(),
        cami: cami.as_mut().map(|f| (f.writer(), sample.as_str())),
        report: report.as_mut().map(|f| f.writer()),
        taxdump: taxdump.as_ref(),
    };
    let opts = StreamOptions {
        min_length,
        thresholds,
        model_name: &util::name(&args.model),
        fasta_name: &name,
    };
    let done = scanned.annotate(&mut open, ab, labels, student, &opts, sinks, &bars)?;
    for f in [Some(tsv), cami, report].into_iter().flatten() {
        f.commit()?;
    }
    Ok(done)
}
