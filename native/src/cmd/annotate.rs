//! `taxdistill annotate`: annotate contigs with a trained student (CPU,
//! candle). Writes the Taxometer output TSV and optionally a CAMI binning file
//! and a Kraken-style report. Contigs shorter than the model's minimum length
//! are listed unannotated, or, with `--labels`, keep their input label
//! (`source` = `input` in the Taxometer TSV, a note in the CAMI header). The
//! work is the pipeline's ([`taxdistill_pipeline::annotate`]).

use crate::inputs::{load_features, load_labels, load_model};
use crate::outputs::{sample_id, write_outputs};
use crate::util::{self, Bars};
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use taxdistill_core::model::Student;
use taxdistill_core::openset::Source;
use taxdistill_pipeline::annotate::{annotate, check_features, correct, Outputs};
use taxdistill_pipeline::streamed::Streamed;

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
    let thresholds = match args.threshold {
        Some(t) if !(0.0..=1.0).contains(&t) => bail!("--threshold {t} must be within 0 and 1"),
        Some(t) => [t; 7],
        None => student.meta.thresholds,
    };
    // a file is read three times in constant memory; a pipe once, into memory
    let done = if std::fs::metadata(&args.contigs).is_ok_and(|m| m.is_file()) {
        crate::outputs::annotate_streamed(&args, &student, abundance, min_length, thresholds)?
    } else {
        in_memory(&args, &student, abundance, min_length, &thresholds)?
    };
    tracing::info!(
        "{} contigs, {} annotated ({} shorter than {} bp, {} of them keep their input label) in {:.1} s -> {}",
        done.n_rows,
        done.n_annotated,
        done.n_short,
        min_length,
        done.n_kept,
        t0.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}

/// The whole FASTA's features in memory, then the outputs (input that
/// cannot be read twice).
fn in_memory(
    args: &Args,
    student: &Student,
    abundance: Option<&Path>,
    min_length: usize,
    thresholds: &[f32; 7],
) -> Result<Streamed> {
    let features = load_features(&args.contigs, abundance, student.meta.min_length)?;
    check_features(student, &features, &util::name(&args.model))?;
    let preds = annotate(student, &features, min_length, thresholds, &Bars::default())?;
    let n_annotated = preds
        .iter()
        .flatten()
        .filter(|p| p.lineage.depth() > 0)
        .count();
    let outputs = match &args.labels {
        Some(labels) => {
            let labels = load_labels(
                labels,
                args.format.as_deref(),
                args.taxonomy.as_deref(),
                &features.ids,
                &args.contigs,
            )?;
            Outputs::passed_through(&correct(&labels.lineages, &preds, None), min_length)
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
        &sample_id(&args.contigs),
    )?;
    Ok(Streamed {
        n_rows: features.n_rows(),
        n_annotated,
        n_short: features.lengths.iter().filter(|&&n| n < min_length).count(),
        n_kept: outputs
            .sources
            .as_ref()
            .map_or(0, |s| s.iter().filter(|&&x| x == Source::Input).count()),
    })
}
