//! Loading: features from a FASTA reader (+ an abundance reader), noisy
//! labels from a label reader, and what training makes of them (trusted
//! labels, unresolved leaves, the label tree).
//!
//! Shapes: `features.data` is `(n_contigs, 103 TNF + n_samples + 1
//! log-abundance)` f32, rows in FASTA order (see
//! [`taxdistill_core::features`]); label vectors are aligned to those rows.

use crate::progress::{Progress, Stage};
use crate::{Error, Result};
use std::io::{BufRead, Read};
use taxdistill_core::fasta::{Contig, ContigReader};
use taxdistill_core::features::{FeatureBuilder, FeatureMatrix, FeatureOptions};
use taxdistill_core::labels::LabelFormat;
use taxdistill_core::taxdump::TaxDump;
use taxdistill_core::taxonomy::{LabelTree, Lineage};

/// Contigs per [`FeatureBuilder::push_batch`]: each batch's sequences are
/// dropped once its TNF rows exist, so memory holds features, not the FASTA.
pub const BATCH: usize = 512;

/// Streams a FASTA into a [`FeatureBuilder`] (TNF, ids, lengths), batch by
/// batch, calling `progress(contigs, bp)` after each batch; sequences are
/// not kept. The CLI and the browser read contigs through this one path.
///
/// # Errors
/// A malformed FASTA ([`Error::Input`]: source, record, reason).
pub fn stream_contigs<R: Read + Send>(
    contigs: R,
    contigs_name: &str,
    mut progress: impl FnMut(u64, u64),
) -> Result<FeatureBuilder> {
    let input = |source| Error::Input {
        what: format!("reading {contigs_name}"),
        source,
    };
    let mut builder = FeatureBuilder::new();
    let mut batch: Vec<Contig> = Vec::with_capacity(BATCH);
    let mut bp = 0u64;
    for c in ContigReader::new(contigs, contigs_name).map_err(input)? {
        let c = c.map_err(input)?;
        bp += c.seq.len() as u64;
        batch.push(c);
        if batch.len() == BATCH {
            builder.push_batch(&batch);
            batch.clear();
            progress(builder.len() as u64, bp);
        }
    }
    builder.push_batch(&batch);
    progress(builder.len() as u64, bp);
    Ok(builder)
}

/// Features of a FASTA (+ abundances): rows in FASTA order, contigs shorter
/// than `min_length` kept as rows but left out of the normalisation
/// statistics. The FASTA is streamed ([`stream_contigs`]). `contigs_name`
/// and the abundance name are the sources' names in messages.
///
/// # Errors
/// A malformed FASTA or abundance table ([`Error::Input`]), abundances that
/// miss contigs.
pub fn read_features<R: Read + Send>(
    contigs: R,
    contigs_name: &str,
    abundance: Option<(&mut dyn BufRead, &str)>,
    min_length: usize,
    progress: &dyn Progress,
) -> Result<FeatureMatrix> {
    progress.start(Stage::ReadContigs, None);
    let builder = stream_contigs(contigs, contigs_name, |_, _| {})?;
    progress.finish(Stage::ReadContigs);
    features_of(builder, contigs_name, abundance, min_length, progress)
}

/// The feature matrix of contigs already counted (a [`FeatureBuilder`] from
/// [`stream_contigs`], or natively from core's block-parallel
/// `features::tnf_of_file`, which gives the same rows): abundances joined by
/// contig id, z-scored as [`read_features`] does.
///
/// # Errors
/// As [`read_features`], for the abundance table and the join.
pub fn features_of(
    builder: FeatureBuilder,
    contigs_name: &str,
    abundance: Option<(&mut dyn BufRead, &str)>,
    min_length: usize,
    progress: &dyn Progress,
) -> Result<FeatureMatrix> {
    let ab = match abundance {
        Some((r, name)) => Some(taxdistill_core::abundance::read_abundance(r, name).map_err(
            |source| Error::Input {
                what: format!("reading abundances from {name}"),
                source,
            },
        )?),
        None => None,
    };
    progress.start(Stage::Features, None);
    let m = builder
        .finish(ab.as_ref(), &FeatureOptions { min_length })
        .map_err(|source| Error::Input {
            what: format!("features of {contigs_name}"),
            source,
        })?;
    progress.finish(Stage::Features);
    Ok(m)
}

/// Noisy labels aligned to the feature rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Labels {
    /// One lineage per row (unclassified where the labels name none).
    pub lineages: Vec<Lineage>,
    /// The classifier's reference support of each label, where the format
    /// carries one ([`taxdistill_core::labels::Labels::support`]).
    pub support: Vec<Option<f32>>,
    /// Labelled contigs absent from the FASTA (ignored).
    pub absent: usize,
    /// The parser's warnings, for the caller to show.
    pub warnings: Vec<String>,
}

/// Reads labels (format detected when `format` is `None`; `taxdump` for
/// taxid-only formats) and aligns them to `ids`.
///
/// # Errors
/// A malformed label file, or a taxid format without a taxdump
/// ([`Error::Input`]).
pub fn read_labels<R: BufRead>(
    reader: R,
    name: &str,
    format: Option<LabelFormat>,
    taxdump: Option<&TaxDump>,
    ids: &[String],
) -> Result<Labels> {
    let labels =
        taxdistill_core::labels::read_labels(reader, name, format, taxdump).map_err(|source| {
            Error::Input {
                what: format!("reading labels from {name}"),
                source,
            }
        })?;
    let (lineages, absent) = labels.aligned_to(ids);
    Ok(Labels {
        support: labels.support_aligned_to(ids),
        lineages,
        absent,
        warnings: labels.warnings,
    })
}

/// Features and the labels aligned to them: the pipeline's input.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub features: FeatureMatrix,
    pub labels: Labels,
}

/// The labels to trust: those resting on less than `min_support` of their
/// contig are cut above the genus ([`taxdistill_core::openset::trusted_label`]).
pub fn trusted_labels(
    lineages: &[Lineage],
    support: &[Option<f32>],
    min_support: f32,
) -> Vec<Lineage> {
    lineages
        .iter()
        .zip(support)
        .map(|(l, s)| taxdistill_core::openset::trusted_label(l, *s, min_support))
        .collect()
}

/// The labels the teacher and the student learn from, aligned to the feature
/// rows: with unresolved leaves
/// ([`taxdistill_core::taxonomy::with_unresolved_leaves`], decided on the
/// contigs of at least `min_length` bp) when `unresolved`, else as given.
pub fn training_labels(
    lineages: &[Lineage],
    lengths: &[usize],
    min_length: usize,
    unresolved: bool,
) -> Vec<Lineage> {
    if !unresolved {
        return lineages.to_vec();
    }
    let usable: Vec<bool> = lengths.iter().map(|&n| n >= min_length).collect();
    taxdistill_core::taxonomy::with_unresolved_leaves(lineages, &usable)
}

/// The label tree of the labels of the trainable contigs (at least
/// `min_length` bp); `source_name` names the labels in errors.
///
/// # Errors
/// No trainable contig has a label ([`Error::NoTrainingLabels`]), or the
/// labels name fewer than two taxa ([`Error::TooFewLeaves`]).
pub fn label_tree(
    lineages: &[Lineage],
    lengths: &[usize],
    min_length: usize,
    source_name: &str,
) -> Result<LabelTree> {
    let usable: Vec<&Lineage> = lineages
        .iter()
        .zip(lengths)
        .filter(|(l, &n)| l.depth() > 0 && n >= min_length)
        .map(|(l, _)| l)
        .collect();
    if usable.is_empty() {
        return Err(Error::NoTrainingLabels {
            source_name: source_name.to_string(),
            min_length,
        });
    }
    let tree = LabelTree::from_lineages(usable.iter().copied());
    if tree.n_leaves() < 2 {
        return Err(Error::TooFewLeaves {
            source_name: source_name.to_string(),
            n_leaves: tree.n_leaves(),
        });
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lineage(s: &str) -> Lineage {
        Lineage::parse(s).unwrap()
    }

    #[test]
    fn labels_of_short_contigs_alone_are_a_no_training_labels_error() {
        let l = vec![lineage("d__Bacteria;p__A"), Lineage::unclassified()];
        let e = label_tree(&l, &[100, 5000], 2000, "labels.tsv").unwrap_err();
        assert!(matches!(
            e,
            Error::NoTrainingLabels {
                min_length: 2000,
                ..
            }
        ));
        assert!(e
            .to_string()
            .starts_with("labels.tsv: no contig of at least 2000 bp"));
    }

    /// A FASTA of `n` contigs of varied lengths (xorshift bases, some N runs).
    fn fasta(n: usize) -> String {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        (0..n)
            .map(|i| {
                let len = 300 + (i * 7919) % 6000;
                let seq: String = (0..len)
                    .map(|j| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        if j % 997 < 5 {
                            'N'
                        } else {
                            b"ACGT"[(x % 4) as usize] as char
                        }
                    })
                    .collect();
                format!(">c{i} description\n{seq}\n")
            })
            .collect()
    }

    /// Streaming (sequences dropped batch by batch, over more than one
    /// batch) gives the features of the whole FASTA in memory.
    #[test]
    fn streamed_features_are_the_in_memory_ones() {
        let text = fasta(BATCH + 37);
        let m = read_features(text.as_bytes(), "c.fna", None, 2000, &crate::Silent).unwrap();
        let contigs = taxdistill_core::fasta::read_contigs(text.as_bytes(), "c.fna").unwrap();
        let want = taxdistill_core::features::build_features_with(
            &contigs,
            None,
            &FeatureOptions { min_length: 2000 },
        )
        .unwrap();
        assert_eq!(m.ids, want.ids);
        assert_eq!(m.lengths, want.lengths);
        assert_eq!(m.n_cols(), want.n_cols());
        assert_eq!(m.data, want.data);
        let mut seen = Vec::new();
        stream_contigs(text.as_bytes(), "c.fna", |n, _| seen.push(n)).unwrap();
        assert_eq!(seen, vec![BATCH as u64, BATCH as u64 + 37]);
    }

    #[test]
    fn a_malformed_fasta_is_an_input_error_naming_the_file() {
        let e = read_features(
            &b"@r1\nACGT\n+\nIIII\n"[..],
            "reads.fna",
            None,
            2000,
            &crate::Silent,
        )
        .unwrap_err();
        assert!(matches!(e, Error::Input { .. }), "{e:?}");
        let chain = format!("{e}: {}", std::error::Error::source(&e).unwrap());
        assert!(chain.contains("reads.fna"), "{chain}");
    }

    #[test]
    fn one_taxon_is_a_too_few_leaves_error() {
        let l = vec![lineage("d__Bacteria;p__A"), lineage("d__Bacteria;p__A")];
        let e = label_tree(&l, &[5000, 5000], 2000, "labels.tsv").unwrap_err();
        assert!(matches!(e, Error::TooFewLeaves { n_leaves: 1, .. }));
    }
}
