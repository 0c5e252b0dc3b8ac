//! `taxdistill convert`: labels of any supported tool → Taxometer TSV, CAMI
//! taxonomic binning, or a Kraken-style report.

use crate::util;
use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use taxdistill_core::labels::{self, LabelFormat, Labels};
use taxdistill_core::model::Prediction;
use taxdistill_core::taxdump::TaxDump;
use taxdistill_core::writers;

/// Output formats of `convert`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum To {
    /// Taxometer output TSV (`contigs`, `predictions`, `scores`).
    Taxometer,
    /// CAMI taxonomic binning format 0.9.1.
    Cami,
    /// Kraken-style report (percent, clade count, direct count, rank, taxid, name).
    KrakenReport,
}

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

/// Contig ids and lengths in FASTA order.
pub(crate) fn contig_lengths(path: &Path) -> Result<Vec<(String, u64)>> {
    let f =
        std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let sp = util::spinner("contigs");
    let mut out = Vec::new();
    for c in
        taxdistill_core::fasta::ContigReader::new(std::io::BufReader::new(f), &util::name(path))?
    {
        let c = c?;
        out.push((c.id, c.seq.len() as u64));
        sp.inc(1);
    }
    sp.finish_and_clear();
    Ok(out)
}

/// Reads labels (format detected unless given), logging their warnings.
/// Taxometer output TSVs keep their scores.
pub fn load_labels(
    path: &Path,
    format: Option<&str>,
    taxdump: Option<&TaxDump>,
) -> Result<(Labels, HashMap<String, Vec<f32>>)> {
    let format: Option<LabelFormat> = format.map(str::parse).transpose()?;
    let mut buf = Vec::new();
    util::open_text(path)?
        .read_to_end(&mut buf)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let name = util::name(path);
    let mut scores = HashMap::new();
    let labels = match format {
        Some(LabelFormat::Taxometer) | None if is_taxometer(&buf, format) => {
            let rows = labels::read_scored_predictions(&buf[..], &name)?;
            let mut entries = Vec::with_capacity(rows.len());
            for (id, l, s) in rows {
                if !s.is_empty() {
                    scores.insert(id.clone(), s);
                }
                entries.push((id, l));
            }
            // warnings (homonyms) come from the plain reader
            let plain =
                labels::read_labels(&buf[..], &name, Some(LabelFormat::Taxometer), taxdump)?;
            Labels {
                source: name,
                entries,
                warnings: plain.warnings,
                support: plain.support,
            }
        }
        _ => labels::read_labels(&buf[..], &name, format, taxdump)?,
    };
    for w in &labels.warnings {
        tracing::warn!("{w}");
    }
    Ok((labels, scores))
}

fn is_taxometer(buf: &[u8], format: Option<LabelFormat>) -> bool {
    if format.is_some() {
        return format == Some(LabelFormat::Taxometer);
    }
    let text = String::from_utf8_lossy(&buf[..buf.len().min(1 << 16)]);
    let head: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    labels::detect_format(&head) == Some(LabelFormat::Taxometer)
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
    let prediction = |id: &str, l: &taxdistill_core::taxonomy::Lineage| Prediction {
        lineage: l.clone(),
        scores: scores
            .get(id)
            .filter(|s| s.len() == l.depth())
            .cloned()
            .unwrap_or_default(),
    };
    // (id, length, prediction) in FASTA order with --contigs, else in label order
    let rows: Vec<(String, u64, Option<Prediction>)> = match &args.contigs {
        Some(fasta) => {
            let contigs = contig_lengths(fasta)?;
            let ids: Vec<String> = contigs.iter().map(|(id, _)| id.clone()).collect();
            let (aligned, extra) = labels.aligned_to(&ids);
            if extra > 0 {
                tracing::warn!(
                    "{} labelled contigs of {} are not in {} and are left out",
                    extra,
                    labels.source,
                    fasta.display()
                );
            }
            contigs
                .into_iter()
                .zip(aligned)
                .map(|((id, len), l)| {
                    let p = prediction(&id, &l);
                    (id, len, Some(p))
                })
                .collect()
        }
        None => labels
            .entries
            .iter()
            .map(|(id, l)| (id.clone(), 0, Some(prediction(id, l))))
            .collect(),
    };
    tracing::info!(
        "{} contigs, {} classified",
        rows.len(),
        rows.iter()
            .filter(|r| r.2.as_ref().is_some_and(|p| p.lineage.depth() > 0))
            .count()
    );
    let sample_id = args.sample_id.clone().unwrap_or_else(|| {
        args.labels
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sample".to_string())
    });
    util::write_atomic(&args.out, |w| {
        match args.to {
            To::Taxometer => {
                let rows: Vec<(String, Option<Prediction>)> = rows
                    .iter()
                    .map(|(id, _, p)| (id.clone(), p.clone()))
                    .collect();
                writers::write_taxometer(w, &rows)?
            }
            To::Cami => {
                let rows: Vec<(String, Option<Prediction>)> = rows
                    .iter()
                    .map(|(id, _, p)| (id.clone(), p.clone()))
                    .collect();
                writers::write_cami(w, &sample_id, &rows, taxdump.as_ref(), &[])?
            }
            To::KrakenReport => {
                writers::write_kraken_report(w, &rows, args.by_bp, taxdump.as_ref())?
            }
        }
        Ok(())
    })
    .with_context(|| format!("writing {}", args.out.display()))?;
    Ok(())
}
