//! `taxdistill features`: vamb-compatible features (TNF + abundances) as TSV.
//!
//! The FASTA is cut into blocks of whole records that rayon's pool parses and
//! counts (`taxdistill_core::features::tnf_of_file`): a plain file by
//! positioned reads into each thread's own buffer (no memory map); a
//! compressed one as a thread decodes it. Only 103 floats per contig are
//! kept, so memory does not grow with the sequence volume.

use crate::util;
use anyhow::{Context, Result};
use std::path::PathBuf;
use taxdistill_core::abundance::{read_abundance_as, Abundance, AbundanceFormat};
use taxdistill_core::features::{FeatureOptions, DEFAULT_MIN_LENGTH};

/// Arguments of `taxdistill features`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  taxdistill features --contigs contigs.fna.gz --out features.tsv
  taxdistill features --contigs contigs.fna --abundance abundance.tsv --out features.tsv
  taxdistill features --contigs contigs.fna --abundance aemb/S1.tsv --abundance aemb/S2.tsv --out features.tsv

Output: header `contigs tnf0 … tnf102` (+ one column per sample and `log_abundance`),
one row per contig in FASTA order, contigs shorter than --min-length included.")]
pub struct Args {
    /// Contigs (FASTA; plain, .gz, .bz2, .xz or .zst — detected from the content).
    #[arg(long, value_name = "FASTA")]
    pub contigs: PathBuf,
    /// Abundances: vamb abundance.tsv, jgi_summarize_bam_contig_depths/CoverM depth file,
    /// or strobealign --aemb output. Repeat to join one file per sample.
    #[arg(long, value_name = "FILE")]
    pub abundance: Vec<PathBuf>,
    /// Abundance format (default: detected from the first line).
    #[arg(long, value_enum, default_value = "auto")]
    pub abundance_format: FormatArg,
    /// Contigs shorter than this (bp) still get a row but do not enter the
    /// normalisation statistics, as Taxometer trains on contigs >= 2000 bp only.
    #[arg(long, default_value_t = DEFAULT_MIN_LENGTH, value_name = "BP")]
    pub min_length: usize,
    /// Output TSV (written atomically).
    #[arg(long, value_name = "FILE.tsv")]
    pub out: PathBuf,
}

/// `--abundance-format` values.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    Auto,
    Vamb,
    Aemb,
    Jgi,
    Coverm,
}

impl FormatArg {
    fn format(self) -> Option<AbundanceFormat> {
        match self {
            FormatArg::Auto => None,
            FormatArg::Vamb => Some(AbundanceFormat::Vamb),
            FormatArg::Aemb => Some(AbundanceFormat::Aemb),
            FormatArg::Jgi => Some(AbundanceFormat::Jgi),
            FormatArg::Coverm => Some(AbundanceFormat::CoverM),
        }
    }
}

/// Reads the abundance files (several are joined sample by sample).
fn load_abundance(args: &Args) -> Result<Option<Abundance>> {
    if args.abundance.is_empty() {
        return Ok(None);
    }
    let mut parts = Vec::new();
    for path in &args.abundance {
        let name = util::name(path);
        let r = util::open_text(path)?;
        parts.push(
            read_abundance_as(r, &name, args.abundance_format.format())
                .with_context(|| format!("reading abundances from {name}"))?,
        );
    }
    if parts.len() == 1 {
        return Ok(parts.pop());
    }
    Ok(Some(
        Abundance::concat_samples(&parts).context("joining the abundance files")?,
    ))
}

pub fn run(args: Args) -> Result<()> {
    let start = std::time::Instant::now();
    // abundances first: a bad abundance file fails before the long FASTA pass
    let abundance = load_abundance(&args)?;
    let builder = crate::inputs::count_contigs(&args.contigs)?;
    let bp = builder.bases();
    let n = builder.len();
    let opts = FeatureOptions {
        min_length: args.min_length,
    };
    let m = builder
        .finish(abundance.as_ref(), &opts)
        .with_context(|| format!("building features for {}", util::name(&args.contigs)))?;
    let short = m.lengths.iter().filter(|&&l| l < args.min_length).count();
    util::write_atomic(&args.out, |w| {
        m.write_tsv(w)
            .with_context(|| format!("{}: write failed", args.out.display()))
    })?;
    let secs = start.elapsed().as_secs_f64();
    tracing::info!(
        "{n} contigs ({short} shorter than {} bp, kept as rows), {:.1} Mbp, {} sample(s) in {secs:.1} s ({:.0} Mbp/s) -> {}",
        args.min_length,
        bp as f64 / 1e6,
        m.n_samples,
        bp as f64 / 1e6 / secs.max(1e-9),
        args.out.display()
    );
    Ok(())
}
