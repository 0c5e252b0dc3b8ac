//! Annotating in constant memory: the FASTA is read three times instead of
//! held. Memory holds the student, one batch of contigs, and per contig only
//! its id, its length, its abundance row and (with input labels) an index
//! into the table of distinct labels; every output row is written as soon
//! as its batch is done, and the Kraken-style report keeps counts per taxon.
//!
//! 1. Ids, lengths and the sums of the TNF columns (for the means).
//! 2. The squared deviations from those means (for the standard
//!    deviations; the same f64 sums in row order as [`FeatureBuilder`]'s, so
//!    the features are the same bits as [`crate::load::read_features`]').
//! 3. The contigs of at least `min_length` bp through the student, batch by
//!    batch, straight to the writers.
//!
//! The outputs are those of [`crate::annotate::annotate`] +
//! [`crate::annotate::Outputs`] on the whole matrix, byte for byte (a test
//! compares them).
//!
//! [`FeatureBuilder`]: taxdistill_core::features::FeatureBuilder

use crate::annotate::check_shape;
use crate::progress::{Progress, Stage};
use crate::{Error, Result};
use std::collections::HashMap;
use std::io::{BufRead, Read, Write};
use taxdistill_core::abundance::read_abundance;
use taxdistill_core::fasta::{Contig, ContigReader};
use taxdistill_core::features::{statistics_rows, tnf_many, RowNormaliser, TnfMoments, N_TNF};
use taxdistill_core::model::{predict_from_leaf_probs, Student};
use taxdistill_core::openset::Corrected;
use taxdistill_core::taxdump::TaxDump;
use taxdistill_core::taxonomy::Lineage;
use taxdistill_core::writers::{passthrough_note, CamiWriter, KrakenReport, TaxometerWriter};

/// Contigs per batch of each pass (the student's batch in pass 3).
pub const BATCH: usize = 4096;

/// Opens the FASTA again for each pass (a file, a blob); each call starts at
/// the first record.
pub type OpenFasta<'a> = dyn FnMut() -> std::io::Result<Box<dyn Read + Send + 'a>> + 'a;

/// Where the outputs go (any of them may be absent but the Taxometer TSV).
pub struct Sinks<'a> {
    /// The Taxometer TSV.
    pub taxometer: &'a mut dyn Write,
    /// The CAMI file and its sample id.
    pub cami: Option<(&'a mut dyn Write, &'a str)>,
    /// The Kraken-style report (contig counts).
    pub report: Option<&'a mut dyn Write>,
    /// Taxids for the CAMI file and the report.
    pub taxdump: Option<&'a TaxDump>,
}

/// What a streamed annotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Streamed {
    /// Contigs in the FASTA (rows written).
    pub n_rows: usize,
    /// Contigs the student gave a lineage.
    pub n_annotated: usize,
    /// Contigs shorter than `min_length` (not annotated).
    pub n_short: usize,
    /// Short contigs that keep their input label.
    pub n_kept: usize,
}

/// The annotation's settings.
pub struct StreamOptions<'a> {
    /// Contigs shorter than this are not annotated.
    pub min_length: usize,
    /// Per-rank thresholds of the walk.
    pub thresholds: [f32; 7],
    /// Names the model in errors.
    pub model_name: &'a str,
    /// Names the FASTA in errors.
    pub fasta_name: &'a str,
}

/// Pass 1 over the FASTA that `open` gives: ids, lengths and the sums of
/// the TNF columns over the contigs of at least `stats_min_length` bp (the
/// model's minimum length, which its features were normalised with). The
/// caller reads the input labels for [`Scanned::ids`] before annotating.
///
/// # Errors
/// A malformed FASTA.
pub fn scan(
    open: &mut OpenFasta<'_>,
    fasta_name: &str,
    stats_min_length: usize,
    progress: &dyn Progress,
) -> Result<Scanned> {
    progress.start(Stage::ReadContigs, None);
    let mut ids = Vec::new();
    let mut lengths = Vec::new();
    // the statistics rows are known only at the end (none long enough: all)
    let (mut kept, mut all) = (TnfMoments::default(), TnfMoments::default());
    for_each_batch(open, fasta_name, &mut |batch| {
        let seqs: Vec<&[u8]> = batch.iter().map(|c| c.seq.as_slice()).collect();
        for (c, t) in batch.iter().zip(tnf_many(&seqs)) {
            if c.seq.len() >= stats_min_length {
                kept.add(&t);
            }
            all.add(&t);
            ids.push(c.id.clone());
            lengths.push(c.seq.len());
        }
        Ok(())
    })?;
    progress.finish(Stage::ReadContigs);
    let keep = statistics_rows(&lengths, stats_min_length);
    let moments = if kept.is_empty() { all } else { kept };
    Ok(Scanned {
        ids,
        lengths,
        keep,
        moments,
    })
}

/// What pass 1 found: the contigs' ids and lengths, the statistics rows and
/// the first moments of their TNF.
pub struct Scanned {
    ids: Vec<String>,
    lengths: Vec<usize>,
    keep: Vec<bool>,
    moments: TnfMoments,
}

impl Scanned {
    /// The contigs' ids in FASTA order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// The contigs' lengths in FASTA order.
    pub fn lengths(&self) -> &[usize] {
        &self.lengths
    }

    /// Passes 2 and 3 over the same FASTA: annotates every contig with
    /// `student` and writes the outputs to `sinks` (module doc). With
    /// `labels` (aligned to [`Scanned::ids`]), contigs the student does not
    /// annotate keep their input label (`source` column, CAMI note), as
    /// `annotate --labels` does.
    ///
    /// # Errors
    /// A malformed abundance table, a FASTA that changed between the passes,
    /// features that do not fit the model, a failing writer.
    #[allow(clippy::too_many_arguments)]
    pub fn annotate(
        self,
        open: &mut OpenFasta<'_>,
        abundance: Option<(&mut dyn BufRead, &str)>,
        labels: Option<Vec<Lineage>>,
        student: &Student,
        opts: &StreamOptions<'_>,
        sinks: Sinks<'_>,
        progress: &dyn Progress,
    ) -> Result<Streamed> {
        let scan = self;
        let meta = &student.meta;
        let ab = match abundance {
            Some((r, name)) => Some(read_abundance(r, name).map_err(|source| Error::Input {
                what: format!("reading abundances from {name}"),
                source,
            })?),
            None => None,
        };
        let n_samples = ab.as_ref().map_or(0, |a| a.samples.len());
        let n_cols = N_TNF + if n_samples > 0 { n_samples + 1 } else { 0 };
        check_shape(student, n_samples, n_cols, opts.model_name)?;

        progress.start(Stage::Features, None);
        let normaliser = scan.normaliser(open, opts.fasta_name, ab.as_ref())?;
        progress.finish(Stage::Features);
        drop(ab);

        let labels = labels.map(Interned::new);
        let n = scan.ids.len();
        let short = |i: usize| scan.lengths[i] < opts.min_length;
        let n_short = (0..n).filter(|&i| short(i)).count();
        let n_kept = labels.as_ref().map_or(0, |l| {
            (0..n).filter(|&i| short(i) && l.get(i).depth() > 0).count()
        });
        let sources_col = labels.is_some();
        let mut tsv = TaxometerWriter::new(sinks.taxometer, sources_col)?;
        // the note of `Outputs::passed_through`, from the counts alone
        let notes: Vec<String> = sources_col
            .then(|| passthrough_note(n_kept, opts.min_length))
            .flatten()
            .into_iter()
            .collect();
        let mut cami = match sinks.cami {
            Some((w, sample)) => Some(CamiWriter::new(w, sample, sinks.taxdump, &notes)?),
            None => None,
        };
        let mut report = sinks.report.map(|w| (w, KrakenReport::new(false)));

        let total = (n - n_short) as u64;
        progress.start(Stage::Annotating, Some(total));
        let mut n_annotated = 0usize;
        let mut done = 0u64;
        let mut row = 0usize;
        let mut x: Vec<f32> = Vec::new();
        for_each_batch(open, opts.fasta_name, &mut |batch| {
            let first = row;
            row += batch.len();
            check_ids(&scan.ids, first, batch, opts.fasta_name)?;
            let long: Vec<usize> = (0..batch.len()).filter(|&j| !short(first + j)).collect();
            let seqs: Vec<&[u8]> = long.iter().map(|&j| batch[j].seq.as_slice()).collect();
            x.clear();
            for (&j, t) in long.iter().zip(tnf_many(&seqs)) {
                normaliser.push_row(first + j, &t, &mut x);
            }
            let probs = student.leaf_probs(&x)?;
            let mut preds = probs
                .chunks(meta.tree.n_leaves())
                .map(|p| predict_from_leaf_probs(&meta.tree, p, &opts.thresholds));
            let mut next_long = long.iter().peekable();
            for (j, c) in batch.iter().enumerate() {
                let i = first + j;
                let pred = match next_long.peek() {
                    Some(&&l) if l == j => {
                        next_long.next();
                        preds.next()
                    }
                    _ => None,
                };
                n_annotated += usize::from(pred.as_ref().is_some_and(|p| p.lineage.depth() > 0));
                let (out, source) = match &labels {
                    Some(l) => {
                        let c = Corrected::student_or_kept(l.get(i), pred.as_ref());
                        (Some(c.prediction), Some(c.source))
                    }
                    None => (pred, None),
                };
                tsv.row(&c.id, out.as_ref(), source)?;
                if let Some(cami) = cami.as_mut() {
                    cami.row(&c.id, out.as_ref())?;
                }
                if let Some((_, r)) = report.as_mut() {
                    r.add(c.seq.len() as u64, out.as_ref());
                }
            }
            done += long.len() as u64;
            progress.update(Stage::Annotating, done, total);
            Ok(())
        })?;
        progress.finish(Stage::Annotating);
        if row != n {
            return Err(changed(opts.fasta_name, row));
        }
        tsv.finish()?;
        if let Some(c) = cami {
            c.finish()?;
        }
        if let Some((w, r)) = report {
            r.write(w, sinks.taxdump)?;
        }
        Ok(Streamed {
            n_rows: n,
            n_annotated,
            n_short,
            n_kept,
        })
    }
}

impl Scanned {
    /// Pass 2: the second moments; then the row normaliser.
    fn normaliser(
        &self,
        open: &mut OpenFasta<'_>,
        name: &str,
        ab: Option<&taxdistill_core::abundance::Abundance>,
    ) -> Result<RowNormaliser> {
        let mut moments = self.moments.clone();
        let mut row = 0usize;
        for_each_batch(open, name, &mut |batch| {
            check_ids(&self.ids, row, batch, name)?;
            let kept: Vec<&[u8]> = batch
                .iter()
                .enumerate()
                .filter(|&(j, _)| self.keep[row + j])
                .map(|(_, c)| c.seq.as_slice())
                .collect();
            for t in tnf_many(&kept) {
                moments.add_deviation(&t);
            }
            row += batch.len();
            Ok(())
        })?;
        if row != self.ids.len() {
            return Err(changed(name, row));
        }
        RowNormaliser::new(&mut moments, &self.ids, &self.keep, ab).map_err(|source| Error::Input {
            what: format!("features of {name}"),
            source,
        })
    }
}

/// Every contig of the FASTA in batches of [`BATCH`].
fn for_each_batch(
    open: &mut OpenFasta<'_>,
    name: &str,
    f: &mut dyn FnMut(&[Contig]) -> Result<()>,
) -> Result<()> {
    let input = |source| Error::Input {
        what: format!("reading {name}"),
        source,
    };
    let reader = open().map_err(|e| {
        input(taxdistill_core::Error::Io {
            source_name: name.to_string(),
            reason: format!("cannot open: {e}"),
            kind: e.kind(),
        })
    })?;
    let mut batch: Vec<Contig> = Vec::with_capacity(BATCH);
    for c in ContigReader::new(reader, name).map_err(input)? {
        batch.push(c.map_err(input)?);
        if batch.len() == BATCH {
            f(&batch)?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        f(&batch)?;
    }
    Ok(())
}

/// The batch starting at row `first` has the ids pass 1 read there.
fn check_ids(ids: &[String], first: usize, batch: &[Contig], name: &str) -> Result<()> {
    for (j, c) in batch.iter().enumerate() {
        if ids.get(first + j) != Some(&c.id) {
            return Err(changed(name, first + j));
        }
    }
    Ok(())
}

fn changed(name: &str, row: usize) -> Error {
    Error::Input {
        what: format!("reading {name}"),
        source: taxdistill_core::Error::BadRecord {
            source_name: name.to_string(),
            record: row + 1,
            reason: "the file changed while it was read (records differ between passes)".into(),
        },
    }
}

/// Labels as indices into the table of distinct lineages (a classifier
/// names a few thousand taxa for millions of contigs).
struct Interned {
    table: Vec<Lineage>,
    row: Vec<u32>,
}

impl Interned {
    fn new(labels: Vec<Lineage>) -> Interned {
        let mut index: HashMap<Lineage, u32> = HashMap::new();
        let mut table = Vec::new();
        let row = labels
            .into_iter()
            .map(|l| {
                *index.entry(l).or_insert_with_key(|l| {
                    table.push(l.clone());
                    (table.len() - 1) as u32
                })
            })
            .collect();
        Interned { table, row }
    }

    fn get(&self, i: usize) -> &Lineage {
        &self.table[self.row[i] as usize]
    }
}
