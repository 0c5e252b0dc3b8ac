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
use taxdistill_core::features::{build_features_with, FeatureMatrix, FeatureOptions};
use taxdistill_core::labels::LabelFormat;
use taxdistill_core::taxdump::TaxDump;
use taxdistill_core::taxonomy::{LabelTree, Lineage};

/// Features of a FASTA (+ abundances): rows in FASTA order, contigs shorter
/// than `min_length` kept as rows but left out of the normalisation
/// statistics. `contigs_name` and the abundance name are the sources' names
/// in messages.
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
    let seqs = taxdistill_core::fasta::read_contigs(contigs, contigs_name).map_err(|source| {
        Error::Input {
            what: format!("reading {contigs_name}"),
            source,
        }
    })?;
    progress.finish(Stage::ReadContigs);
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
    let m = build_features_with(&seqs, ab.as_ref(), &FeatureOptions { min_length }).map_err(
        |source| Error::Input {
            what: format!("features of {contigs_name}"),
            source,
        },
    )?;
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

    #[test]
    fn one_taxon_is_a_too_few_leaves_error() {
        let l = vec![lineage("d__Bacteria;p__A"), lineage("d__Bacteria;p__A")];
        let e = label_tree(&l, &[5000, 5000], 2000, "labels.tsv").unwrap_err();
        assert!(matches!(e, Error::TooFewLeaves { n_leaves: 1, .. }));
    }
}
