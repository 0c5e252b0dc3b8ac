//! Label files of any supported tool as `convert` and `eval` read them
//! (format detected, Taxometer scores kept), and their conversion into a
//! Taxometer TSV, CAMI taxonomic binning or a Kraken-style report.

use crate::util;
use anyhow::{Context, Result};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
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

/// Contig ids and lengths in FASTA order.
pub fn contig_lengths(path: &Path) -> Result<Vec<(String, u64)>> {
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

/// One contig of a conversion: id, length (0 when unknown), prediction.
pub type Row = (String, u64, Option<Prediction>);

/// The rows to convert: with `contigs`, every contig of that FASTA in its
/// order (unlabelled = unclassified) with its length, else the labelled
/// contigs in label order; a label keeps its `scores` where they fit its depth.
///
/// # Errors
/// An unreadable FASTA.
pub fn rows(
    labels: &Labels,
    scores: &HashMap<String, Vec<f32>>,
    contigs: Option<&Path>,
) -> Result<Vec<Row>> {
    let prediction = |id: &str, l: &taxdistill_core::taxonomy::Lineage| Prediction {
        lineage: l.clone(),
        scores: scores
            .get(id)
            .filter(|s| s.len() == l.depth())
            .cloned()
            .unwrap_or_default(),
    };
    // (id, length, prediction) in FASTA order with --contigs, else in label order
    let rows: Vec<Row> = match contigs {
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
    Ok(rows)
}

/// Writes `rows` as `to` into `w`: CAMI under `sample_id`, the report
/// counting base pairs when `by_bp`; taxids from `taxdump` where given.
///
/// # Errors
/// Writing failed.
pub fn write(
    w: &mut dyn Write,
    to: To,
    rows: &[Row],
    sample_id: &str,
    by_bp: bool,
    taxdump: Option<&TaxDump>,
) -> Result<()> {
    let labelled = || -> Vec<(String, Option<Prediction>)> {
        rows.iter()
            .map(|(id, _, p)| (id.clone(), p.clone()))
            .collect()
    };
    match to {
        To::Taxometer => writers::write_taxometer(w, &labelled())?,
        To::Cami => writers::write_cami(w, sample_id, &labelled(), taxdump, &[])?,
        To::KrakenReport => writers::write_kraken_report(w, rows, by_bp, taxdump)?,
    }
    Ok(())
}
