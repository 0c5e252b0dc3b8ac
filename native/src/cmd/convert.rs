//! `taxdistill convert`: labels of any supported tool → Taxometer TSV, CAMI
//! taxonomic binning, or a Kraken-style report.

use crate::convert::{rows, write};
use crate::util;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;

pub use crate::convert::{load_labels, To};

/// Arguments of `taxdistill convert`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  taxdistill convert --labels sample.kraken2.out --taxonomy taxdump/ --to taxometer --out labels.tsv
  taxdistill convert --labels predictions.tsv --taxonomy taxdump/ --to cami --out predictions.cami
  taxdistill convert --labels predictions.tsv --contigs contigs.fna.gz --to kraken-report --by-bp --out report.txt")]
pub struct Args {
    /// Labels: Taxometer TSV, MMseqs2 *_lca.tsv, Kraken2 output, Metabuli *_classifications.tsv,
    /// Centrifuge output or CAMI binning (gzip is fine).
    #[arg(long)]
    pub labels: PathBuf,
    /// Format of --labels (detected when omitted): taxometer, mmseqs2, kraken2, metabuli, centrifuge, cami.
    #[arg(long)]
    pub format: Option<String>,
    /// NCBI taxdump directory (nodes.dmp, names.dmp, optional merged.dmp); needed for taxid-only labels,
    /// and gives taxids to CAMI files and reports.
    #[arg(long, value_name = "DIR")]
    pub taxonomy: Option<PathBuf>,
    /// Contigs (FASTA, optionally compressed): every contig is listed in FASTA order (unlabelled =
    /// unclassified) and its length weighs the report with --by-bp.
    #[arg(long, value_name = "FASTA")]
    pub contigs: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum)]
    pub to: To,
    /// Output file (written atomically).
    #[arg(long)]
    pub out: PathBuf,
    /// CAMI @SampleID (default: the labels file name).
    #[arg(long)]
    pub sample_id: Option<String>,
    /// Kraken-style report: count base pairs instead of contigs (needs --contigs).
    #[arg(long)]
    pub by_bp: bool,
}

pub fn run(args: Args) -> Result<()> {
    if args.by_bp && args.contigs.is_none() {
        bail!("--by-bp needs --contigs (the lengths come from the FASTA)");
    }
    let taxdump = args
        .taxonomy
        .as_deref()
        .map(util::load_taxdump)
        .transpose()?;
    let (labels, scores) = load_labels(&args.labels, args.format.as_deref(), taxdump.as_ref())?;
    let rows = rows(&labels, &scores, args.contigs.as_deref())?;
    let sample_id = args.sample_id.clone().unwrap_or_else(|| {
        args.labels
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sample".to_string())
    });
    util::write_atomic(&args.out, |w| {
        write(w, args.to, &rows, &sample_id, args.by_bp, taxdump.as_ref())
    })
    .with_context(|| format!("writing {}", args.out.display()))?;
    Ok(())
}
