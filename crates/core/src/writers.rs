//! Writers: Taxometer output TSV, CAMI taxonomic binning, Kraken-style report.
//!
//! Every row is a contig with `Option<Prediction>`: `None` means *not
//! annotated* (e.g. below the minimum length). Every writer lists every
//! contig: the Taxometer TSV with an empty prediction, the CAMI file with
//! `TAXID` 0 and empty rank and paths, the Kraken-style report on its
//! `unclassified` line (as `kraken2 --report` counts unclassified reads).
//! A lineage that ends in placeholders (missing ranks) is written only as
//! deep as its last named taxon.
//!
//! Where an output mixes the student's predictions with input labels passed
//! through unchanged (contigs the student does not annotate),
//! [`write_taxometer_with_sources`] adds a `source` column (`student`,
//! `input` or `none`, [`Source::name`]) and [`write_cami`] takes comment lines
//! (`# …`, which CAMI readers skip) that say so in the header.

use crate::model::Prediction;
use crate::openset::Source;
use crate::taxdump::TaxDump;
use crate::taxonomy::{Lineage, Rank};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::io::Write;

fn io(e: std::io::Error) -> Error {
    Error::Io {
        source_name: "output".to_string(),
        reason: e.to_string(),
        kind: e.kind(),
    }
}

/// Keeps a name from breaking the column or lineage structure.
fn clean(name: &str, extra: char) -> String {
    name.chars()
        .map(|c| {
            if c == '\t' || c == '\n' || c == '\r' || c == extra {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Taxometer output TSV: header `contigs\tpredictions\tscores`, the lineage
/// `;`-joined, one score per rank with 5 decimals. `None` and unclassified
/// predictions give an empty prediction and empty scores.
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_taxometer<W: Write>(w: W, rows: &[(String, Option<Prediction>)]) -> Result<()> {
    write_taxometer_rows(w, rows, None)
}

/// [`write_taxometer`] with a fourth column, `source`: where each row's
/// lineage comes from (`student`, `input`: the input label kept as given,
/// `none`), aligned with `rows`.
///
/// # Errors
/// [`Error::Io`] when writing fails; [`Error::Invalid`] when `sources` and
/// `rows` differ in length.
pub fn write_taxometer_with_sources<W: Write>(
    w: W,
    rows: &[(String, Option<Prediction>)],
    sources: &[Source],
) -> Result<()> {
    if sources.len() != rows.len() {
        return Err(Error::Invalid(format!(
            "{} sources for {} rows",
            sources.len(),
            rows.len()
        )));
    }
    write_taxometer_rows(w, rows, Some(sources))
}

fn write_taxometer_rows<W: Write>(
    w: W,
    rows: &[(String, Option<Prediction>)],
    sources: Option<&[Source]>,
) -> Result<()> {
    let mut out = TaxometerWriter::new(w, sources.is_some())?;
    for (i, (id, p)) in rows.iter().enumerate() {
        out.row(id, p.as_ref(), sources.map(|s| s[i]))?;
    }
    out.finish()
}

/// The Taxometer output TSV written row by row (what [`write_taxometer`]
/// and [`write_taxometer_with_sources`] write, for outputs streamed in
/// batches): the header on creation, then one [`TaxometerWriter::row`] per
/// contig.
pub struct TaxometerWriter<W: Write> {
    w: W,
    with_sources: bool,
}

impl<W: Write> TaxometerWriter<W> {
    /// Writes the header (with a `source` column when `with_sources`).
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails.
    pub fn new(mut w: W, with_sources: bool) -> Result<Self> {
        let source_col = if with_sources { "\tsource" } else { "" };
        writeln!(w, "contigs\tpredictions\tscores{source_col}").map_err(io)?;
        Ok(TaxometerWriter { w, with_sources })
    }

    /// Writes one contig's row; `source` is required exactly when the
    /// writer has the `source` column.
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails; [`Error::Invalid`] for a `source`
    /// that does not match the header.
    pub fn row(&mut self, id: &str, p: Option<&Prediction>, source: Option<Source>) -> Result<()> {
        if source.is_some() != self.with_sources {
            return Err(Error::Invalid(format!(
                "row '{id}': a source column value must be given exactly when the header has one"
            )));
        }
        let w = &mut self.w;
        let (lineage, scores) = match p {
            Some(p) if p.lineage.depth() > 0 => (
                p.lineage
                    .0
                    .iter()
                    .map(|n| clean(n, ';'))
                    .collect::<Vec<_>>()
                    .join(";"),
                p.scores
                    .iter()
                    .map(|s| format!("{:.5}", s.clamp(0.0, 1.0)))
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            _ => (String::new(), String::new()),
        };
        write!(w, "{}\t{lineage}\t{scores}", clean(id, '\t')).map_err(io)?;
        match source {
            Some(s) => writeln!(w, "\t{}", s.name()),
            None => writeln!(w),
        }
        .map_err(io)
    }

    /// Flushes and returns the writer.
    ///
    /// # Errors
    /// [`Error::Io`] when flushing fails.
    pub fn finish(mut self) -> Result<()> {
        self.w.flush().map_err(io)
    }
}

/// The CAMI header notes of an output whose rows come from `sources`: one
/// line counting the contigs (shorter than `min_length`) that keep their
/// input label, none when no contig does (the same words in the CLI and the
/// page).
pub fn passthrough_notes(sources: &[Source], min_length: usize) -> Vec<String> {
    let n = sources.iter().filter(|&&s| s == Source::Input).count();
    passthrough_note(n, min_length).into_iter().collect()
}

/// The note of [`passthrough_notes`] from the count of contigs that keep
/// their input label (`None` when there are none), for writers that stream
/// rows and know the count before the rows.
pub fn passthrough_note(n_kept: usize, min_length: usize) -> Option<String> {
    (n_kept > 0).then(|| format!(
        "{n_kept} contig(s) shorter than {min_length} bp are not annotated by the student: they keep their input label as given (source=input in the Taxometer TSV)"
    ))
}

/// CAMI taxonomic binning format 0.9.1, one line per contig in `rows` order.
/// With a taxdump that knows a lineage, `TAXID` and `TAXPATH` carry taxids;
/// otherwise the lineage's names stand in for them (placeholders left empty,
/// as the format marks a missing rank).
///
/// Unassigned contigs (`None` or unclassified) are listed with `TAXID` 0 and
/// empty `RANK`, `TAXPATH`, `TAXPATHSN`: the format has no unassigned marker,
/// 0 is NCBI's/Kraken's "no taxon", and unlike an empty `TAXID` it keeps the
/// column for readers that strip trailing tabs (CAMI's AMBER counts such a
/// line as unassigned).
///
/// Each of `notes` becomes a comment line (`# note`) after the header keys.
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_cami<W: Write>(
    w: W,
    sample_id: &str,
    rows: &[(String, Option<Prediction>)],
    taxdump: Option<&TaxDump>,
    notes: &[String],
) -> Result<()> {
    let mut out = CamiWriter::new(w, sample_id, taxdump, notes)?;
    for (id, p) in rows {
        out.row(id, p.as_ref())?;
    }
    out.finish()
}

/// The CAMI file of [`write_cami`] written row by row: the header (with its
/// notes, so they must be known first) on creation, then one
/// [`CamiWriter::row`] per contig.
pub struct CamiWriter<'t, W: Write> {
    w: W,
    taxdump: Option<&'t TaxDump>,
}

impl<'t, W: Write> CamiWriter<'t, W> {
    /// Writes the header keys, the notes as comment lines and the column line.
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails.
    pub fn new(
        mut w: W,
        sample_id: &str,
        taxdump: Option<&'t TaxDump>,
        notes: &[String],
    ) -> Result<Self> {
        writeln!(w, "@Version:0.9.1").map_err(io)?;
        writeln!(w, "@SampleID:{}", clean(sample_id, '\t')).map_err(io)?;
        writeln!(w, "@Ranks:{}", Rank::ALL.map(Rank::ncbi_name).join("|")).map_err(io)?;
        for n in notes {
            for line in n.lines() {
                writeln!(w, "# {}", line.trim()).map_err(io)?;
            }
        }
        writeln!(w).map_err(io)?;
        writeln!(w, "@@SEQUENCEID\tTAXID\tRANK\tTAXPATH\tTAXPATHSN").map_err(io)?;
        Ok(CamiWriter { w, taxdump })
    }

    /// Writes one contig's line.
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails.
    pub fn row(&mut self, id: &str, p: Option<&Prediction>) -> Result<()> {
        let (w, taxdump) = (&mut self.w, self.taxdump);
        let id = clean(id, '\t');
        let l = p
            .map(|p| p.lineage.without_trailing_placeholders())
            .unwrap_or_default();
        let Some(rank) = l.rank() else {
            return writeln!(w, "{id}\t0\t\t\t").map_err(io);
        };
        let ids: Vec<Option<u64>> = (1..=l.depth())
            .map(|d| taxdump.and_then(|t| t.taxid_of(&l.truncated(d))))
            .collect();
        let names: Vec<String> =
            l.0.iter()
                .map(|n| {
                    if Lineage::is_placeholder(n) {
                        String::new()
                    } else {
                        clean(n, '|')
                    }
                })
                .collect();
        let path: Vec<String> = ids
            .iter()
            .zip(&names)
            .map(|(t, n)| t.map_or_else(|| n.clone(), |t| t.to_string()))
            .collect();
        let taxid = path.last().cloned().unwrap_or_default();
        writeln!(
            w,
            "{id}\t{taxid}\t{}\t{}\t{}",
            rank.ncbi_name(),
            path.join("|"),
            names.join("|")
        )
        .map_err(io)
    }

    /// Flushes the writer.
    ///
    /// # Errors
    /// [`Error::Io`] when flushing fails.
    pub fn finish(mut self) -> Result<()> {
        self.w.flush().map_err(io)
    }
}

#[derive(Default)]
struct ReportNode {
    clade: u64,
    direct: u64,
    /// The full lineage of this node (placeholders included), for taxid look-ups.
    lineage: Lineage,
    children: BTreeMap<String, ReportNode>,
}

/// Kraken-style report, as `kraken2 --report` writes it: percent of all
/// contigs (or bp), clade count, direct count, rank code, taxid (0 where the
/// taxdump does not know the taxon or none is given) and the name indented by
/// two spaces per tree depth. First the `unclassified` line (rank `U`, taxid
/// 0; written when something is unclassified, as Kraken does), then `root`
/// (rank `R`, taxid 1) with every classified contig, then its clades, largest
/// first. Placeholders of missing ranks are not nodes: their children hang
/// under the nearest named ancestor, as in a Kraken report over the NCBI tree.
/// Counts are contigs, or base pairs with `by_bp`. Rows are
/// `(contig, length, prediction)`; `None` counts as unclassified.
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_kraken_report<W: Write>(
    w: W,
    rows: &[(String, u64, Option<Prediction>)],
    by_bp: bool,
    taxdump: Option<&TaxDump>,
) -> Result<()> {
    let mut report = KrakenReport::new(by_bp);
    for (_, len, p) in rows {
        report.add(*len, p.as_ref());
    }
    report.write(w, taxdump)
}

/// The counts of [`write_kraken_report`], gathered contig by contig (memory
/// grows with the taxa, not the contigs), then written.
#[derive(Default)]
pub struct KrakenReport {
    root: ReportNode,
    unclassified: u64,
    by_bp: bool,
}

impl KrakenReport {
    /// An empty report counting contigs, or base pairs with `by_bp`.
    pub fn new(by_bp: bool) -> Self {
        KrakenReport {
            by_bp,
            ..Default::default()
        }
    }

    /// Counts one contig of `len` bp (`None`: unclassified).
    pub fn add(&mut self, len: u64, p: Option<&Prediction>) {
        let weight = if self.by_bp { len } else { 1 };
        let lineage = p
            .map(|p| p.lineage.without_trailing_placeholders())
            .unwrap_or_default();
        if lineage.depth() == 0 {
            self.unclassified += weight;
            return;
        }
        self.root.clade += weight;
        let mut node = &mut self.root;
        for (d, name) in lineage.0.iter().enumerate() {
            if Lineage::is_placeholder(name) {
                continue;
            }
            node = node.children.entry(name.clone()).or_default();
            if node.lineage.depth() == 0 {
                node.lineage = lineage.truncated(d + 1);
            }
            node.clade += weight;
        }
        node.direct += weight;
    }

    /// Writes the report (taxids from `taxdump` where it knows the taxon).
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails.
    pub fn write<W: Write>(&self, mut w: W, taxdump: Option<&TaxDump>) -> Result<()> {
        let (root, unclassified) = (&self.root, self.unclassified);
        let total = unclassified + root.clade;
        let pct = |x: u64| {
            if total == 0 {
                0.0
            } else {
                100.0 * x as f64 / total as f64
            }
        };
        if unclassified > 0 || root.clade == 0 {
            writeln!(
                w,
                "{:6.2}\t{unclassified}\t{unclassified}\tU\t0\tunclassified",
                pct(unclassified)
            )
            .map_err(io)?;
        }
        if root.clade > 0 {
            writeln!(
                w,
                "{:6.2}\t{}\t{}\tR\t1\troot",
                pct(root.clade),
                root.clade,
                root.direct
            )
            .map_err(io)?;
            write_children(&mut w, root, 1, &pct, taxdump)?;
        }
        w.flush().map_err(io)
    }
}

fn write_children<W: Write>(
    w: &mut W,
    node: &ReportNode,
    depth: usize,
    pct: &dyn Fn(u64) -> f64,
    taxdump: Option<&TaxDump>,
) -> Result<()> {
    let mut kids: Vec<(&String, &ReportNode)> = node.children.iter().collect();
    kids.sort_by(|a, b| b.1.clade.cmp(&a.1.clade).then_with(|| a.0.cmp(b.0)));
    for (name, child) in kids {
        let rank = child.lineage.rank().expect("report nodes have a rank");
        let taxid = taxdump
            .and_then(|t| t.taxid_of(&child.lineage))
            .unwrap_or(0);
        writeln!(
            w,
            "{:6.2}\t{}\t{}\t{}\t{taxid}\t{}{}",
            pct(child.clade),
            child.clade,
            child.direct,
            rank.kraken_code(),
            "  ".repeat(depth),
            clean(name, '\t')
        )
        .map_err(io)?;
        write_children(w, child, depth + 1, pct, taxdump)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::read_scored_predictions;
    use crate::taxonomy::Rank;
    use proptest::prelude::*;

    fn pred(s: &str, scores: &[f32]) -> Option<Prediction> {
        Some(Prediction {
            lineage: Lineage::parse(s).unwrap(),
            scores: scores.to_vec(),
        })
    }

    #[test]
    fn taxometer_tsv_lists_every_contig_with_five_decimal_scores() {
        let rows = vec![
            ("c1".to_string(), pred("Bacteria;Firmicutes", &[0.99, 0.5])),
            ("c2".to_string(), None),
            ("c3".to_string(), Some(Prediction::unclassified())),
        ];
        let mut out = Vec::new();
        write_taxometer(&mut out, &rows).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "contigs\tpredictions\tscores\nc1\tBacteria;Firmicutes\t0.99000;0.50000\nc2\t\t\nc3\t\t\n");
    }

    #[test]
    fn the_source_column_and_the_cami_note_read_back() {
        let rows = vec![
            ("c1".to_string(), pred("Bacteria;Firmicutes", &[0.99, 0.5])),
            ("c2".to_string(), pred("Bacteria", &[1.0])),
            ("c3".to_string(), None),
        ];
        let src = [Source::Student, Source::Input, Source::None];
        let mut out = Vec::new();
        write_taxometer_with_sources(&mut out, &rows, &src).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s, "contigs\tpredictions\tscores\tsource\nc1\tBacteria;Firmicutes\t0.99000;0.50000\tstudent\nc2\tBacteria\t1.00000\tinput\nc3\t\t\tnone\n");
        let back = read_scored_predictions(s.as_bytes(), "mem").unwrap();
        assert_eq!(back[1].1, Lineage::parse("Bacteria").unwrap());
        assert!(write_taxometer_with_sources(Vec::new(), &rows, &src[..2]).is_err());
        let mut out = Vec::new();
        write_cami(&mut out, "s", &rows, None, &["two lines\nof note".into()]).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("@Ranks:superkingdom|phylum|class|order|family|genus|species\n# two lines\n# of note\n\n@@SEQUENCEID"), "{s}");
        let back = crate::labels::read_labels(s.as_bytes(), "cami", None, None).unwrap();
        assert_eq!(back.entries.len(), 3);
    }

    #[test]
    fn kraken_report_counts_clades_and_puts_unclassified_first() {
        let rows = vec![
            ("a".to_string(), 100, pred("B;P1", &[1.0, 1.0])),
            ("b".to_string(), 300, pred("B", &[1.0])),
            ("c".to_string(), 600, None),
        ];
        let mut out = Vec::new();
        write_kraken_report(&mut out, &rows, false, None).unwrap();
        let s = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], " 33.33\t1\t1\tU\t0\tunclassified");
        assert_eq!(lines[1], " 66.67\t2\t0\tR\t1\troot");
        assert_eq!(lines[2], " 66.67\t2\t1\tD\t0\t  B");
        assert_eq!(lines[3], " 33.33\t1\t1\tP\t0\t    P1");
        let mut out = Vec::new();
        write_kraken_report(&mut out, &rows, true, None).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .starts_with(" 60.00\t600\t600\tU"));
    }

    #[test]
    fn cami_without_taxdump_uses_names_and_lists_unassigned_contigs() {
        let rows = vec![
            (
                "a".to_string(),
                pred(
                    "d__Bacteria;p__Firmicutes;f__Bacillaceae",
                    &[1.0, 1.0, 1.0, 1.0, 1.0],
                ),
            ),
            ("b".to_string(), None),
            ("c".to_string(), Some(Prediction::unclassified())),
        ];
        let mut out = Vec::new();
        write_cami(&mut out, "s1", &rows, None, &[]).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(
            s,
            "@Version:0.9.1\n@SampleID:s1\n@Ranks:superkingdom|phylum|class|order|family|genus|species\n\n\
             @@SEQUENCEID\tTAXID\tRANK\tTAXPATH\tTAXPATHSN\n\
             a\tBacillaceae\tfamily\tBacteria|Firmicutes|||Bacillaceae\tBacteria|Firmicutes|||Bacillaceae\n\
             b\t0\t\t\t\nc\t0\t\t\t\n"
        );
        let back = crate::labels::read_labels(s.as_bytes(), "cami", None, None).unwrap();
        assert_eq!(
            back.entries,
            vec![
                ("a".to_string(), rows[0].1.as_ref().unwrap().lineage.clone()),
                ("b".to_string(), Lineage::unclassified()),
                ("c".to_string(), Lineage::unclassified()),
            ]
        );
    }

    #[test]
    fn cami_with_a_taxdump_writes_taxids_and_zero_for_unassigned() {
        let nodes =
            "1\t|\t1\t|\tno rank\t|\n2\t|\t1\t|\tsuperkingdom\t|\n1239\t|\t2\t|\tphylum\t|\n";
        let names = "1\t|\troot\t|\t\t|\tscientific name\t|\n2\t|\tBacteria\t|\t\t|\tscientific name\t|\n1239\t|\tFirmicutes\t|\t\t|\tscientific name\t|\n";
        let td = TaxDump::from_readers(nodes.as_bytes(), names.as_bytes(), None::<&[u8]>, "mem")
            .unwrap();
        let rows = vec![
            ("a".to_string(), pred("Bacteria;Firmicutes", &[1.0, 0.9])),
            ("b".to_string(), None),
        ];
        let mut out = Vec::new();
        write_cami(&mut out, "s", &rows, Some(&td), &[]).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(
            s.ends_with("a\t1239\tphylum\t2|1239\tBacteria|Firmicutes\nb\t0\t\t\t\n"),
            "{s}"
        );
    }

    #[test]
    fn cami_and_kraken_report_cut_lineages_that_end_in_placeholders() {
        let l = Lineage(vec![
            "Bacteria".into(),
            Lineage::placeholder(Rank::Phylum, "Bacteria"),
        ]);
        let rows = vec![(
            "a".to_string(),
            Some(Prediction {
                lineage: l,
                scores: vec![1.0, 0.5],
            }),
        )];
        let mut out = Vec::new();
        write_cami(&mut out, "s", &rows, None, &[]).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .ends_with("a\tBacteria\tsuperkingdom\tBacteria\tBacteria\n"));
        let rows: Vec<_> = rows.into_iter().map(|(id, p)| (id, 10, p)).collect();
        let mut out = Vec::new();
        write_kraken_report(&mut out, &rows, false, None).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "100.00\t1\t0\tR\t1\troot\n100.00\t1\t1\tD\t0\t  Bacteria\n"
        );
    }

    #[test]
    fn kraken_report_hangs_children_of_a_missing_rank_under_the_named_ancestor() {
        let rows = vec![
            ("a".to_string(), 1, pred("d__B;c__C1", &[1.0, 1.0, 1.0])),
            ("b".to_string(), 1, pred("B;P1;C2", &[1.0, 1.0, 1.0])),
        ];
        let mut out = Vec::new();
        write_kraken_report(&mut out, &rows, false, None).unwrap();
        let s = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines,
            [
                "100.00\t2\t0\tR\t1\troot",
                "100.00\t2\t0\tD\t0\t  B",
                " 50.00\t1\t1\tC\t0\t    C1",
                " 50.00\t1\t0\tP\t0\t    P1",
                " 50.00\t1\t1\tC\t0\t      C2",
            ]
        );
    }

    /// Parses a Kraken-style report: (percent, clade, direct, rank code, taxid, depth, name).
    fn parse_report(s: &str) -> Vec<(f64, u64, u64, String, u64, usize, String)> {
        s.lines()
            .map(|line| {
                let f: Vec<&str> = line.split('\t').collect();
                assert_eq!(f.len(), 6, "{line}");
                let name = f[5].trim_start_matches(' ');
                let indent = f[5].len() - name.len();
                assert_eq!(indent % 2, 0, "{line}");
                (
                    f[0].trim().parse().unwrap(),
                    f[1].parse().unwrap(),
                    f[2].parse().unwrap(),
                    f[3].to_string(),
                    f[4].parse().unwrap(),
                    indent / 2,
                    name.to_string(),
                )
            })
            .collect()
    }

    fn name() -> impl Strategy<Value = String> {
        "[A-Z][a-z]{1,8}( [a-z]{1,6})?"
    }

    /// Lineages of 0..=7 ranks over a few names (so clades are shared), some
    /// ranks missing (placeholders, as the readers make them).
    fn lineage_with_gaps() -> impl Strategy<Value = Lineage> {
        prop::collection::vec((0u8..3, any::<bool>()), 0..=7).prop_map(|ranks| {
            let mut names: Vec<String> = Vec::new();
            for (i, (pick, missing)) in ranks.into_iter().enumerate() {
                let rank = Rank::from_index(i).unwrap();
                let parent = names.last().cloned().unwrap_or_else(|| "root".to_string());
                names.push(if missing {
                    Lineage::placeholder(rank, &parent)
                } else {
                    format!("{}{}_{pick}", rank.prefix().to_ascii_uppercase(), i)
                });
            }
            Lineage(names)
        })
    }

    proptest! {
        #[test]
        fn writing_then_reading_taxometer_tsv_round_trips(
            rows in prop::collection::vec((prop::collection::vec((name(), 0.0f32..=1.0), 0..=7), any::<bool>()), 0..30)
        ) {
            let rows: Vec<(String, Option<Prediction>)> = rows.into_iter().enumerate().map(|(i, (ranks, annotated))| {
                let p = Prediction { lineage: Lineage(ranks.iter().map(|r| r.0.clone()).collect()), scores: ranks.iter().map(|r| r.1).collect() };
                (format!("contig_{i}"), annotated.then_some(p))
            }).collect();
            let mut out = Vec::new();
            write_taxometer(&mut out, &rows).unwrap();
            let back = read_scored_predictions(out.as_slice(), "mem").unwrap();
            prop_assert_eq!(back.len(), rows.len());
            for ((id, p), (bid, bl, bs)) in rows.iter().zip(&back) {
                prop_assert_eq!(id, bid);
                let want = p.clone().unwrap_or_else(Prediction::unclassified);
                prop_assert_eq!(&want.lineage, bl);
                prop_assert_eq!(want.scores.len(), bs.len());
                for (a, b) in want.scores.iter().zip(bs) {
                    prop_assert!((a - b).abs() <= 5e-6 + 1e-6, "{a} vs {b}");
                }
            }
        }

        #[test]
        fn writing_then_reading_cami_gives_back_every_contig(
            rows in prop::collection::vec((lineage_with_gaps(), 0u8..3), 0..30)
        ) {
            let rows: Vec<(String, Option<Prediction>)> = rows.into_iter().enumerate().map(|(i, (l, kind))| {
                let p = Prediction { scores: vec![1.0; l.depth()], lineage: l };
                let p = match kind { 0 => None, 1 => Some(Prediction::unclassified()), _ => Some(p) };
                (format!("contig_{i}"), p)
            }).collect();
            let mut out = Vec::new();
            write_cami(&mut out, "sample", &rows, None, &[]).unwrap();
            let back = crate::labels::read_labels(out.as_slice(), "mem", None, None).unwrap();
            prop_assert_eq!(back.entries.len(), rows.len());
            for ((id, p), (bid, bl)) in rows.iter().zip(&back.entries) {
                prop_assert_eq!(id, bid);
                let want = p.as_ref().map(|p| p.lineage.without_trailing_placeholders()).unwrap_or_default();
                prop_assert_eq!(&want, bl);
            }
        }

        #[test]
        fn kraken_report_counts_add_up_like_krakens(
            rows in prop::collection::vec((lineage_with_gaps(), any::<bool>(), 1u64..100_000), 0..40),
            by_bp in any::<bool>(),
        ) {
            let rows: Vec<(String, u64, Option<Prediction>)> = rows.into_iter().enumerate().map(|(i, (l, annotated, len))| {
                let p = Prediction { scores: vec![1.0; l.depth()], lineage: l };
                (format!("c{i}"), len, annotated.then_some(p))
            }).collect();
            let mut out = Vec::new();
            write_kraken_report(&mut out, &rows, by_bp, None).unwrap();
            let report = parse_report(&String::from_utf8(out).unwrap());
            let weight = |r: &(String, u64, Option<Prediction>)| if by_bp { r.1 } else { 1 };
            let total: u64 = rows.iter().map(weight).sum();
            let unclassified: u64 = rows.iter()
                .filter(|r| r.2.as_ref().is_none_or(|p| p.lineage.without_trailing_placeholders().depth() == 0))
                .map(weight).sum();
            let u = report.iter().find(|r| r.3 == "U").map_or(0, |r| r.1);
            let root = report.iter().find(|r| r.3 == "R").map_or(0, |r| r.1);
            prop_assert_eq!(u, unclassified);
            prop_assert_eq!(u + root, total);
            // every clade count is its direct count plus its children's clade counts
            for (i, r) in report.iter().enumerate() {
                prop_assert!(r.0 >= 0.0 && r.0 <= 100.0);
                if r.3 == "U" { continue; }
                let mut kids = 0;
                for c in &report[i + 1..] {
                    if c.5 <= r.5 { break; }
                    if c.5 == r.5 + 1 { kids += c.1; }
                }
                prop_assert_eq!(r.1, r.2 + kids, "{:?}", r);
                prop_assert!(!Lineage::is_placeholder(&r.6));
            }
        }
    }
}
