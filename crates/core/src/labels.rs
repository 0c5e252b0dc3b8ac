//! Noisy labels in their tools' own formats → `(contig id, Lineage)` pairs.
//!
//! Formats (auto-detected from the first lines, or forced with
//! [`LabelFormat`]): Taxometer input/output TSV, MMseqs2 `easy-taxonomy`
//! `*_lca.tsv` (with and without `--tax-lineage 1`), Kraken2 standard output
//! (also `--use-names`), Metabuli `*_classifications.tsv`, Centrifuge output
//! (several lines per read → their LCA) and the CAMI taxonomic binning format.
//! Formats that carry only taxids need a [`TaxDump`]. Contigs a file does not
//! list count as unclassified ([`Labels::aligned_to`]).

mod cami;
mod kraken;
mod tabular;

use crate::taxdump::{for_each_line, truncate, TaxDump};
use crate::taxonomy::{Lineage, Rank};
use crate::{Error, Result};
use std::collections::{HashMap, HashSet};
use std::io::BufRead;

/// The label formats we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelFormat {
    /// Taxometer TSV: `contigs\tpredictions[\tscores]`, `;`-separated lineages.
    Taxometer,
    /// MMseqs2 `easy-taxonomy` `*_lca.tsv` (taxid, rank, name[, …][, lineage]).
    Mmseqs2,
    /// Kraken2 standard output (`C/U`, id, taxid, length, k-mer LCAs).
    Kraken2,
    /// Metabuli `*_classifications.tsv`.
    Metabuli,
    /// Centrifuge classification output (one line per hit).
    Centrifuge,
    /// CAMI taxonomic binning format (`@@SEQUENCEID\tTAXID…`).
    Cami,
}

impl LabelFormat {
    /// Every format, in the order detection tries them.
    pub const ALL: [LabelFormat; 6] = [
        LabelFormat::Taxometer,
        LabelFormat::Cami,
        LabelFormat::Centrifuge,
        LabelFormat::Metabuli,
        LabelFormat::Kraken2,
        LabelFormat::Mmseqs2,
    ];

    /// Name as the CLI takes it.
    pub fn name(self) -> &'static str {
        match self {
            LabelFormat::Taxometer => "taxometer",
            LabelFormat::Mmseqs2 => "mmseqs2",
            LabelFormat::Kraken2 => "kraken2",
            LabelFormat::Metabuli => "metabuli",
            LabelFormat::Centrifuge => "centrifuge",
            LabelFormat::Cami => "cami",
        }
    }

    /// Whether the format carries only taxids (so reading it needs a taxdump);
    /// MMseqs2, Metabuli and CAMI need one only without their name columns.
    pub fn always_needs_taxdump(self) -> bool {
        matches!(self, LabelFormat::Kraken2 | LabelFormat::Centrifuge)
    }
}

impl std::fmt::Display for LabelFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for LabelFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "taxometer" | "tsv" => Ok(LabelFormat::Taxometer),
            "mmseqs2" | "mmseqs" => Ok(LabelFormat::Mmseqs2),
            "kraken2" | "kraken" => Ok(LabelFormat::Kraken2),
            "metabuli" => Ok(LabelFormat::Metabuli),
            "centrifuge" => Ok(LabelFormat::Centrifuge),
            "cami" => Ok(LabelFormat::Cami),
            other => Err(Error::Invalid(format!(
                "unknown label format '{other}' (expected one of taxometer, mmseqs2, kraken2, metabuli, centrifuge, cami)"
            ))),
        }
    }
}

/// Labels read from one file, in file order (one entry per contig).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Labels {
    /// File or stream name, for messages.
    pub source: String,
    /// `(contig id, lineage)`; unclassified contigs have an empty lineage.
    pub entries: Vec<(String, Lineage)>,
    /// Non-fatal problems met while reading (quirks, unknown taxids), one line each.
    pub warnings: Vec<String>,
    /// How much of each labelled contig the classifier found in its
    /// reference, in [0, 1], where the format says so (contig id → share):
    /// Kraken2, the share of the contig's k-mers (ambiguous ones aside) with
    /// any hit. A contig of a genome the reference lacks gets a label from a
    /// handful of k-mers; one of a known genome from most of them.
    pub support: HashMap<String, f32>,
}

impl Labels {
    /// Lineages in the order of `ids` (contigs not listed = unclassified), and
    /// the number of labelled contigs absent from `ids` (callers warn about them).
    pub fn aligned_to(&self, ids: &[String]) -> (Vec<Lineage>, usize) {
        let by_id: HashMap<&str, &Lineage> = self
            .entries
            .iter()
            .map(|(id, l)| (id.as_str(), l))
            .collect();
        let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let out = ids
            .iter()
            .map(|id| {
                by_id
                    .get(id.as_str())
                    .map(|l| (*l).clone())
                    .unwrap_or_default()
            })
            .collect();
        let extra = self
            .entries
            .iter()
            .filter(|(id, _)| !wanted.contains(id.as_str()))
            .count();
        (out, extra)
    }

    /// [`Labels::support`] in the order of `ids` (`None`: not given).
    pub fn support_aligned_to(&self, ids: &[String]) -> Vec<Option<f32>> {
        ids.iter().map(|id| self.support.get(id).copied()).collect()
    }

    /// Number of contigs with a non-empty lineage.
    pub fn n_classified(&self) -> usize {
        self.entries.iter().filter(|(_, l)| l.depth() > 0).count()
    }
}

/// Detects the format from the first lines of a file (comment-free lines are
/// enough; blank lines are ignored). `None` when nothing matches.
pub fn detect_format(first_lines: &[&str]) -> Option<LabelFormat> {
    let lines: Vec<&str> = first_lines
        .iter()
        .map(|l| l.trim_end_matches(['\r', '\n']))
        .filter(|l| !l.trim().is_empty())
        .collect();
    let first = *lines.first()?;
    let lower = first.to_ascii_lowercase();
    if lower.starts_with("contigs\tpredictions") {
        return Some(LabelFormat::Taxometer);
    }
    if lines.iter().any(|l| {
        l.starts_with("@@SEQUENCEID") || l.starts_with("@Version") || l.starts_with("@SampleID")
    }) {
        return Some(LabelFormat::Cami);
    }
    if lower.starts_with("readid\tseqid\ttaxid") {
        return Some(LabelFormat::Centrifuge);
    }
    if lower.starts_with("#is_classified") {
        return Some(LabelFormat::Metabuli);
    }
    let data: Vec<Vec<&str>> = lines
        .iter()
        .filter(|l| !l.starts_with('#'))
        .take(20)
        .map(|l| l.split('\t').collect())
        .collect();
    if data.is_empty() {
        return None;
    }
    // Kraken2: C/U, id, taxid (or "name (taxid N)"), length ("150" or "150|150"), LCA list.
    if data.iter().all(|f| {
        f.len() == 5 && (f[0] == "C" || f[0] == "U") && kraken::parse_kraken_taxid(f[2]).is_some()
    }) {
        return Some(LabelFormat::Kraken2);
    }
    // Metabuli without its header: 0/1, id, taxid, length, score, rank[, lineage], taxID:count list.
    if data.iter().all(|f| {
        (7..=8).contains(&f.len())
            && (f[0] == "0" || f[0] == "1")
            && f[2].parse::<u64>().is_ok()
            && f[4].parse::<f64>().is_ok()
    }) {
        return Some(LabelFormat::Metabuli);
    }
    // MMseqs2: id, taxid, rank, name[, 4 support columns][, lineage].
    if data
        .iter()
        .all(|f| (4..=9).contains(&f.len()) && f[1].parse::<u64>().is_ok())
    {
        return Some(LabelFormat::Mmseqs2);
    }
    // Taxometer without header: id, lineage string[, scores].
    if data
        .iter()
        .all(|f| (2..=3).contains(&f.len()) && Lineage::parse(f[1]).is_ok())
    {
        return Some(LabelFormat::Taxometer);
    }
    None
}

/// How many lines detection looks at.
const DETECT_LINES: usize = 20;

/// Reads labels in `format` (detected when `None`).
///
/// # Errors
/// [`Error::UnknownFormat`] when detection fails; [`Error::BadLine`] for a
/// malformed line (file name and line number in the message) or a duplicate
/// contig id; [`Error::TaxdumpRequired`] for taxid-only labels without a taxdump;
/// [`Error::Io`] when the reader fails.
///
/// # Examples
/// ```
/// use taxdistill_core::labels::{read_labels, LabelFormat};
/// let tsv = "contigs\tpredictions\nc1\td__Bacteria;p__Firmicutes\nc2\t\n";
/// let labels = read_labels(tsv.as_bytes(), "labels.tsv", None, None)?;
/// assert_eq!(labels.entries.len(), 2);
/// assert_eq!(labels.entries[0].1.depth(), 2);
/// # Ok::<(), taxdistill_core::Error>(())
/// ```
pub fn read_labels<R: BufRead>(
    reader: R,
    source_name: &str,
    format: Option<LabelFormat>,
    taxdump: Option<&TaxDump>,
) -> Result<Labels> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for_each_line(reader, source_name, |no, line| {
        lines.push((no, line.to_string()));
        Ok(())
    })?;
    let format = match format {
        Some(f) => f,
        None => {
            let head: Vec<&str> = lines
                .iter()
                .map(|(_, l)| l.as_str())
                .filter(|l| !l.trim().is_empty())
                .take(DETECT_LINES)
                .collect();
            if head.is_empty() {
                return Err(Error::UnknownFormat {
                    source_name: source_name.to_string(),
                    reason: "the file is empty".to_string(),
                });
            }
            detect_format(&head).ok_or_else(|| Error::UnknownFormat {
                source_name: source_name.to_string(),
                reason: format!(
                    "first line '{}' matches no known format",
                    truncate(head[0], 60)
                ),
            })?
        }
    };
    let mut r = Reader::new(source_name, format, taxdump);
    match format {
        LabelFormat::Taxometer => {
            tabular::read_taxometer(&mut r, &lines, false)?;
        }
        LabelFormat::Mmseqs2 => tabular::read_mmseqs2(&mut r, &lines)?,
        LabelFormat::Metabuli => tabular::read_metabuli(&mut r, &lines)?,
        LabelFormat::Kraken2 => kraken::read_kraken2(&mut r, &lines)?,
        LabelFormat::Centrifuge => kraken::read_centrifuge(&mut r, &lines)?,
        LabelFormat::Cami => cami::read_cami(&mut r, &lines)?,
    }
    Ok(r.finish())
}

/// Reads a Taxometer output TSV (`contigs\tpredictions\tscores`; the scores
/// column is optional, and checked when present) as labels — the `--pred`
/// side of `eval`.
///
/// # Errors
/// As [`read_labels`]; a score that is not a number in [0, 1], or a score
/// count different from the lineage depth, is a [`Error::BadLine`].
pub fn read_predictions<R: BufRead>(reader: R, source_name: &str) -> Result<Labels> {
    read_labels(reader, source_name, Some(LabelFormat::Taxometer), None)
}

/// Reads a Taxometer output TSV with its scores: `(contig, lineage, scores)`
/// per row, scores one per rank of the lineage (empty for unclassified rows).
///
/// # Errors
/// As [`read_predictions`].
pub fn read_scored_predictions<R: BufRead>(
    reader: R,
    source_name: &str,
) -> Result<Vec<(String, Lineage, Vec<f32>)>> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for_each_line(reader, source_name, |no, line| {
        lines.push((no, line.to_string()));
        Ok(())
    })?;
    let mut r = Reader::new(source_name, LabelFormat::Taxometer, None);
    let scores = tabular::read_taxometer(&mut r, &lines, true)?;
    let labels = r.finish();
    Ok(labels
        .entries
        .into_iter()
        .zip(scores)
        .map(|((id, l), s)| (id, l, s))
        .collect())
}

/// State shared by the format readers: entries, duplicate check, warnings.
pub(crate) struct Reader<'a> {
    pub source: &'a str,
    pub format: LabelFormat,
    pub taxdump: Option<&'a TaxDump>,
    entries: Vec<(String, Lineage)>,
    seen: HashMap<String, usize>,
    unknown_taxids: HashSet<u64>,
    unknown_taxid_lines: usize,
    extra_warnings: Vec<String>,
    support: HashMap<String, f32>,
}

impl<'a> Reader<'a> {
    fn new(source: &'a str, format: LabelFormat, taxdump: Option<&'a TaxDump>) -> Self {
        Reader {
            source,
            format,
            taxdump,
            entries: Vec::new(),
            seen: HashMap::new(),
            unknown_taxids: HashSet::new(),
            unknown_taxid_lines: 0,
            support: HashMap::new(),
            extra_warnings: Vec::new(),
        }
    }

    pub fn bad(&self, line: usize, reason: impl Into<String>) -> Error {
        Error::BadLine {
            source_name: self.source.to_string(),
            line,
            reason: reason.into(),
        }
    }

    /// Adds one contig; a second entry for the same id is an error.
    pub fn push(&mut self, line: usize, id: &str, lineage: Lineage) -> Result<()> {
        if id.is_empty() {
            return Err(self.bad(line, "empty contig id"));
        }
        if let Some(first) = self.seen.get(id) {
            return Err(self.bad(
                line,
                format!(
                    "duplicate contig id '{}' (first on line {first})",
                    truncate(id, 60)
                ),
            ));
        }
        self.seen.insert(id.to_string(), line);
        self.entries.push((id.to_string(), lineage));
        Ok(())
    }

    /// Records the classifier's reference support of the last pushed contig.
    pub fn set_support(&mut self, id: &str, support: f32) {
        self.support.insert(id.to_string(), support.clamp(0.0, 1.0));
    }

    /// The taxdump, or [`Error::TaxdumpRequired`].
    pub fn need_taxdump(&self) -> Result<&'a TaxDump> {
        self.taxdump.ok_or_else(|| Error::TaxdumpRequired {
            source_name: self.source.to_string(),
            format: self.format.to_string(),
        })
    }

    /// Lineage of a taxid; 0 is unclassified; a taxid unknown to the taxdump
    /// is counted and read as unclassified.
    pub fn lineage_of(&mut self, taxid: u64) -> Result<Lineage> {
        if taxid == 0 {
            return Ok(Lineage::unclassified());
        }
        let td = self.need_taxdump()?;
        match td.lineage(taxid) {
            Some(l) => Ok(l),
            None => {
                self.unknown_taxids.insert(taxid);
                self.unknown_taxid_lines += 1;
                Ok(Lineage::unclassified())
            }
        }
    }

    pub fn warn(&mut self, msg: String) {
        self.extra_warnings.push(msg);
    }

    fn finish(self) -> Labels {
        let mut warnings = self.extra_warnings;
        if !self.unknown_taxids.is_empty() {
            let mut ids: Vec<u64> = self.unknown_taxids.into_iter().collect();
            ids.sort_unstable();
            let shown: Vec<String> = ids.iter().take(5).map(u64::to_string).collect();
            warnings.push(format!(
                "{}: {} line(s) carry taxids missing from the taxdump ({}{}); read as unclassified",
                self.source,
                self.unknown_taxid_lines,
                shown.join(", "),
                if ids.len() > 5 { ", …" } else { "" }
            ));
        }
        // the same name at one rank under two different parents (a quirk
        // Taxometer rejects); lineages keep them apart, so only count them
        let mut parents: HashMap<(usize, String), HashSet<&[String]>> = HashMap::new();
        for (_, l) in &self.entries {
            for d in 1..l.depth() {
                parents
                    .entry((d, crate::taxonomy::normalize_name(&l.0[d])))
                    .or_default()
                    .insert(&l.0[..d]);
            }
        }
        let dup = parents.values().filter(|p| p.len() > 1).count();
        if dup > 0 {
            warnings.push(format!("{}: {dup} taxon name(s) appear under two or more parents (kept apart by their lineage)", self.source));
        }
        Labels {
            source: self.source.to_string(),
            entries: self.entries,
            warnings,
            support: self.support,
        }
    }
}

/// Parses an MMseqs2/Metabuli lineage (`-_cellular organisms;d_Bacteria;p_…;s_…`):
/// parts whose rank code is one of `d p c o f g s` are placed at their rank,
/// the rest (`-`, `k`, `sp`, `ss`, …) dropped; missing ranks get placeholders.
/// A part whose rank is not below the previous one (an NCBI rank out of
/// order) is skipped; the second value counts them.
pub(crate) fn parse_rank_code_lineage(s: &str) -> std::result::Result<(Lineage, usize), String> {
    let mut names: Vec<String> = Vec::new();
    let mut skipped = 0;
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((code, name)) = part.split_once('_') else {
            return Err(format!(
                "lineage part '{}' lacks a rank code (expected like 'g_Escherichia')",
                truncate(part, 40)
            ));
        };
        let rank = match code {
            "d" => Rank::Domain,
            "p" => Rank::Phylum,
            "c" => Rank::Class,
            "o" => Rank::Order,
            "f" => Rank::Family,
            "g" => Rank::Genus,
            "s" => Rank::Species,
            _ => continue,
        };
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        if rank.index() < names.len() {
            skipped += 1;
            continue;
        }
        while names.len() < rank.index() {
            let r = Rank::from_index(names.len()).expect("index < 7");
            let parent = names.last().cloned().unwrap_or_else(|| "root".to_string());
            names.push(Lineage::placeholder(r, &parent));
        }
        names.push(name.to_string());
    }
    Ok((Lineage(names), skipped))
}

#[cfg(test)]
mod tests;
