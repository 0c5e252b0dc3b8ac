//! `taxdistill annotate`: annotate contigs with a trained student (CPU,
//! candle). Writes the Taxometer output TSV and optionally a CAMI binning file
//! and a Kraken-style report. Contigs shorter than the model's minimum length
//! are listed unannotated, or, with `--labels`, keep their input label
//! (`source` = `input` in the Taxometer TSV, a note in the CAMI header).

use crate::cmd::distill::load_features;
use crate::util;
use crate::util::load_taxdump;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use taxdistill_core::features::FeatureMatrix;
use taxdistill_core::model::{predict_from_leaf_probs, Prediction, Student};
use taxdistill_core::openset::{Corrected, Source};

/// Arguments of `taxdistill annotate`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  taxdistill annotate --model model/ --contigs contigs.fna.gz --abundance abundance.tsv --out predictions.tsv
  taxdistill annotate --model model/ --contigs contigs.fna.gz --abundance abundance.tsv --out pred.tsv \\
      --cami pred.cami --report pred.kraken.txt")]
pub struct Args {
    /// Model directory written by `distill` or `run` (model.safetensors + model.json).
    #[arg(long, value_name = "MODEL_DIR")]
    pub model: PathBuf,
    /// Contigs (FASTA, optionally compressed).
    #[arg(long, value_name = "FASTA")]
    pub contigs: PathBuf,
    /// Per-sample abundances; required when the model was trained with them.
    #[arg(long, value_name = "FILE")]
    pub abundance: Option<PathBuf>,
    /// Output: Taxometer TSV (contigs, predictions, scores).
    #[arg(long, value_name = "PRED.tsv")]
    pub out: PathBuf,
    /// Also write CAMI taxonomic binning output.
    #[arg(long, value_name = "FILE")]
    pub cami: Option<PathBuf>,
    /// Also write a Kraken-style report (contig counts).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// NCBI taxdump directory, to put taxids into the CAMI file and report.
    #[arg(long, value_name = "DIR")]
    pub taxonomy: Option<PathBuf>,
    /// Override the model's minimum contig length (bp).
    #[arg(long, value_name = "BP")]
    pub min_length: Option<usize>,
    /// Override the model's calibrated per-rank thresholds with one value for every rank.
    #[arg(long, value_name = "X")]
    pub threshold: Option<f32>,
    /// The classifier's labels of these contigs (any format `convert` reads):
    /// contigs the student does not annotate keep their label, marked
    /// `source=input`.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Format of --labels (detected when omitted).
    #[arg(long, value_name = "F", requires = "labels")]
    pub format: Option<String>,
}

/// Loads a model directory.
pub fn load_model(dir: &Path) -> Result<Student> {
    let st = dir.join("model.safetensors");
    let js = dir.join("model.json");
    let st_bytes = std::fs::read(&st).with_context(|| format!("{}: cannot read", st.display()))?;
    let js_bytes = std::fs::read(&js).with_context(|| format!("{}: cannot read", js.display()))?;
    Student::from_bytes(&st_bytes, &js_bytes)
        .with_context(|| format!("loading the model in {}", dir.display()))
}

/// Checks that features fit the model (sample count, column count).
pub fn check_features(student: &Student, features: &FeatureMatrix, model_dir: &Path) -> Result<()> {
    let meta = &student.meta;
    if meta.n_samples != features.n_samples {
        bail!(
            "{}: the model was trained with {} abundance sample(s) but the input has {}{}",
            model_dir.display(),
            meta.n_samples,
            features.n_samples,
            if meta.n_samples > 0 && features.n_samples == 0 {
                " (pass --abundance)"
            } else {
                ""
            }
        );
    }
    if meta.n_features() != features.n_cols() {
        bail!(
            "{}: the model expects {} feature columns but the input has {}",
            model_dir.display(),
            meta.n_features(),
            features.n_cols()
        );
    }
    Ok(())
}

/// Predictions for every row (`None` for contigs shorter than `min_length`).
pub fn annotate(
    student: &Student,
    features: &FeatureMatrix,
    min_length: usize,
    thresholds: &[f32; 7],
) -> Result<Vec<Option<Prediction>>> {
    let f = features.n_cols();
    let l = student.meta.tree.n_leaves();
    let rows: Vec<usize> = (0..features.n_rows())
        .filter(|&i| features.lengths[i] >= min_length)
        .collect();
    let mut out: Vec<Option<Prediction>> = vec![None; features.n_rows()];
    let pb = util::progress(rows.len() as u64, "annotating");
    for chunk in rows.chunks(8192) {
        let mut x = Vec::with_capacity(chunk.len() * f);
        for &r in chunk {
            x.extend_from_slice(features.row(r));
        }
        let probs = student.leaf_probs(&x)?;
        for (&r, p) in chunk.iter().zip(probs.chunks(l)) {
            out[r] = Some(predict_from_leaf_probs(&student.meta.tree, p, thresholds));
        }
        pb.inc(chunk.len() as u64);
    }
    pb.finish_and_clear();
    Ok(out)
}

/// What the writers get: each contig's lineage, and with input labels passed
/// through, each one's [`Source`] and the CAMI header note.
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
}

/// Writes the Taxometer TSV and the optional CAMI file and Kraken-style report.
pub fn write_outputs(
    features: &FeatureMatrix,
    outputs: &Outputs,
    out: &Path,
    cami: Option<&Path>,
    report: Option<&Path>,
    taxonomy: Option<&Path>,
    sample_id: &str,
) -> Result<()> {
    let rows: Vec<(String, Option<Prediction>)> = features
        .ids
        .iter()
        .cloned()
        .zip(outputs.preds.iter().cloned())
        .collect();
    util::write_atomic(out, |w| {
        match &outputs.sources {
            Some(s) => taxdistill_core::writers::write_taxometer_with_sources(w, &rows, s)?,
            None => taxdistill_core::writers::write_taxometer(w, &rows)?,
        }
        Ok(())
    })?;
    let taxdump = taxonomy.map(load_taxdump).transpose()?;
    if let Some(p) = cami {
        util::write_atomic(p, |w| {
            Ok(taxdistill_core::writers::write_cami(
                w,
                sample_id,
                &rows,
                taxdump.as_ref(),
                &outputs.notes,
            )?)
        })?;
    }
    if let Some(p) = report {
        let rows: Vec<(String, u64, Option<Prediction>)> = rows
            .into_iter()
            .zip(&features.lengths)
            .map(|((id, p), &n)| (id, n as u64, p))
            .collect();
        util::write_atomic(p, |w| {
            Ok(taxdistill_core::writers::write_kraken_report(
                w,
                &rows,
                false,
                taxdump.as_ref(),
            )?)
        })?;
    }
    Ok(())
}

pub fn run(args: Args) -> Result<()> {
    let t0 = std::time::Instant::now();
    let student = load_model(&args.model)?;
    let min_length = args.min_length.unwrap_or(student.meta.min_length);
    let abundance = if student.meta.use_abundance {
        match &args.abundance {
            Some(p) => Some(p.as_path()),
            None => bail!(
                "{}: the model was trained with {} abundance sample(s); pass --abundance",
                args.model.display(),
                student.meta.n_samples
            ),
        }
    } else {
        if args.abundance.is_some() {
            tracing::warn!("the model was trained without abundances; --abundance is ignored");
        }
        None
    };
    let features = load_features(&args.contigs, abundance, student.meta.min_length)?;
    check_features(&student, &features, &args.model)?;
    let thresholds = match args.threshold {
        Some(t) if !(0.0..=1.0).contains(&t) => bail!("--threshold {t} must be within 0 and 1"),
        Some(t) => [t; 7],
        None => student.meta.thresholds,
    };
    let preds = annotate(&student, &features, min_length, &thresholds)?;
    let sample = args
        .contigs
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let n_annotated = preds
        .iter()
        .flatten()
        .filter(|p| p.lineage.depth() > 0)
        .count();
    let n_rows = preds.len();
    let outputs = match &args.labels {
        Some(labels) => {
            let (lineages, _) = super::distill::load_labels_with_support(
                labels,
                args.format.as_deref(),
                args.taxonomy.as_deref(),
                &features.ids,
                &args.contigs,
            )?;
            Outputs::passed_through(
                &taxdistill_core::openset::student_or_kept_all(&lineages, &preds),
                min_length,
            )
        }
        None => Outputs::student_only(preds),
    };
    write_outputs(
        &features,
        &outputs,
        &args.out,
        args.cami.as_deref(),
        args.report.as_deref(),
        args.taxonomy.as_deref(),
        &sample,
    )?;
    let kept = outputs
        .sources
        .as_ref()
        .map_or(0, |s| s.iter().filter(|&&x| x == Source::Input).count());
    tracing::info!(
        "{} contigs, {} annotated ({} shorter than {} bp, {} of them keep their input label) in {:.1} s -> {}",
        n_rows,
        n_annotated,
        features.lengths.iter().filter(|&&n| n < min_length).count(),
        min_length,
        kept,
        t0.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}
