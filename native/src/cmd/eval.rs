//! `taxdistill eval`: per-rank precision, recall and F1 of predictions against a truth
//! (the scoring and its tables in [`crate::eval`]).

use crate::convert::{contig_lengths, load_labels};
use crate::eval::{compare, long_truth, table, warn_unmatched, Report};
use crate::util::load_taxdump;
use anyhow::Result;
use std::collections::HashMap;
use std::path::PathBuf;
use taxdistill_core::metrics::evaluate;

/// Arguments of `taxdistill eval`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  taxdistill eval --truth demo/truth.tsv --pred demo/out/predictions.tsv
  taxdistill eval --truth gsa_mapping.cami --pred sample.kraken2.out --taxonomy taxdump/ --contigs contigs.fna.gz --json
  taxdistill eval --truth demo/truth.tsv --baseline demo/labels.tsv --pred demo/out/predictions.tsv \
      --contigs demo/contigs.fna.gz --min-length 2000")]
pub struct Args {
    /// Truth labels (Taxometer TSV or CAMI binning; any format `convert` reads).
    #[arg(long)]
    pub truth: PathBuf,
    /// Predictions (Taxometer output TSV, or any label format `convert` reads).
    #[arg(long)]
    pub pred: PathBuf,
    /// Format of --truth (detected when omitted).
    #[arg(long)]
    pub truth_format: Option<String>,
    /// Format of --pred (detected when omitted).
    #[arg(long)]
    pub pred_format: Option<String>,
    /// NCBI taxdump directory (nodes.dmp, names.dmp, optional merged.dmp) for taxid-only inputs.
    #[arg(long, value_name = "DIR")]
    pub taxonomy: Option<PathBuf>,
    /// Contigs (FASTA): adds base-pair-weighted metrics.
    #[arg(long, value_name = "FASTA")]
    pub contigs: Option<PathBuf>,
    /// Score only the contigs of at least this many bp (needs --contigs): the set a
    /// student trained with `--min-length` annotates, so tools are compared on the
    /// same contigs.
    #[arg(long, value_name = "BP", requires = "contigs")]
    pub min_length: Option<u64>,
    /// Baseline labels (e.g. the classifier's raw output) to compare --pred
    /// with: prints F1 per rank of both and the difference, on all contigs
    /// and, with --min-length, on the contigs of at least that length.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Format of --baseline (detected when omitted).
    #[arg(long, requires = "baseline")]
    pub baseline_format: Option<String>,
    /// Names of the baseline and the predictions in the comparison table.
    #[arg(
        long,
        value_name = "BASE,PRED",
        value_delimiter = ',',
        num_args = 2,
        default_value = "raw labels,TaxDistill"
    )]
    pub names: Vec<String>,
    /// Print JSON: {"ranks":[{"rank":"domain","precision":…,"recall":…,"f1":…,"correct":…,"wrong":…,"missing":…,…},…]}.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<()> {
    let taxdump = args.taxonomy.as_deref().map(load_taxdump).transpose()?;
    let (mut truth, _) = load_labels(&args.truth, args.truth_format.as_deref(), taxdump.as_ref())?;
    let (pred, _) = load_labels(&args.pred, args.pred_format.as_deref(), taxdump.as_ref())?;
    let lengths: Option<HashMap<String, u64>> = args
        .contigs
        .as_deref()
        .map(contig_lengths)
        .transpose()?
        .map(|v| v.into_iter().collect());
    warn_unmatched(&truth, &pred, lengths.as_ref());
    // the truth of the contigs of at least --min-length bp, when asked for
    let long = match (args.min_length, &lengths) {
        (Some(min), Some(len)) => Some((min, long_truth(&truth.entries, min, len))),
        _ => None,
    };
    if let Some(base) = &args.baseline {
        if args.names.len() != 2 {
            anyhow::bail!(
                "--names takes two names, BASE,PRED; got {}",
                args.names.len()
            );
        }
        let (baseline, _) = load_labels(base, args.baseline_format.as_deref(), taxdump.as_ref())?;
        let names = [args.names[0].as_str(), args.names[1].as_str()];
        print!(
            "{}",
            compare(
                names,
                &truth.entries,
                long.as_ref(),
                [&baseline, &pred],
                lengths.as_ref(),
                args.json
            )
        );
        return Ok(());
    }
    if let Some((min, t)) = long {
        tracing::info!(
            "scoring {} of {} truth contigs (>= {min} bp)",
            t.len(),
            truth.entries.len()
        );
        truth.entries = t;
    }
    let metrics = evaluate(&truth.entries, &pred.entries, lengths.as_ref());
    if args.json {
        println!("{}", serde_json::to_string(&Report { ranks: &metrics })?);
    } else {
        print!("{}", table(&metrics, lengths.is_some()));
    }
    Ok(())
}
