//! Writers: Taxometer output TSV, CAMI taxonomic binning, Kraken-style report.
//!
//! Every row is a contig with `Option<Prediction>`: `None` means *not
//! annotated* (e.g. below the minimum length). Such contigs are still listed
//! where the format allows it (Taxometer TSV: empty prediction; Kraken-style
//! report: counted as unclassified); the CAMI format lists assigned
//! sequences only, so unassigned ones are left out as its specification says.

use crate::model::Prediction;
use crate::taxdump::TaxDump;
use crate::taxonomy::{Lineage, Rank};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::io::Write;

fn io(e: std::io::Error) -> Error {
    Error::Io {
        source_name: "output".to_string(),
        reason: e.to_string(),
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
pub fn write_taxometer<W: Write>(mut w: W, rows: &[(String, Option<Prediction>)]) -> Result<()> {
    writeln!(w, "contigs\tpredictions\tscores").map_err(io)?;
    for (id, p) in rows {
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
        writeln!(w, "{}\t{lineage}\t{scores}", clean(id, '\t')).map_err(io)?;
    }
    w.flush().map_err(io)
}

/// The CAMI rank names of our seven ranks.
const CAMI_RANKS: [&str; 7] = [
    "superkingdom",
    "phylum",
    "class",
    "order",
    "family",
    "genus",
    "species",
];

fn is_placeholder(name: &str) -> bool {
    name.starts_with("unknown ") && name.contains(" of ")
}

/// CAMI taxonomic binning format 0.9.1. With a taxdump that knows a lineage,
/// `TAXID` and `TAXPATH` carry taxids; otherwise the lineage's names stand in
/// for them (placeholders left empty).
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_cami<W: Write>(
    mut w: W,
    sample_id: &str,
    rows: &[(String, Option<Prediction>)],
    taxdump: Option<&TaxDump>,
) -> Result<()> {
    writeln!(w, "@Version:0.9.1").map_err(io)?;
    writeln!(w, "@SampleID:{}", clean(sample_id, '\t')).map_err(io)?;
    writeln!(w, "@Ranks:{}", CAMI_RANKS.join("|")).map_err(io)?;
    writeln!(w).map_err(io)?;
    writeln!(w, "@@SEQUENCEID\tTAXID\tRANK\tTAXPATH\tTAXPATHSN").map_err(io)?;
    for (id, p) in rows {
        let Some(p) = p.as_ref().filter(|p| p.lineage.depth() > 0) else {
            continue;
        };
        let l = &p.lineage;
        let ids: Vec<Option<u64>> = (1..=l.depth())
            .map(|d| taxdump.and_then(|t| t.taxid_of(&l.truncated(d))))
            .collect();
        let names: Vec<String> =
            l.0.iter()
                .map(|n| {
                    if is_placeholder(n) {
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
        let rank = l.rank().expect("depth > 0");
        let taxid = ids.last().copied().flatten().map_or_else(
            || clean(l.0.last().expect("depth > 0"), '|'),
            |t| t.to_string(),
        );
        writeln!(
            w,
            "{}\t{taxid}\t{}\t{}\t{}",
            clean(id, '\t'),
            CAMI_RANKS[rank.index()],
            path.join("|"),
            names.join("|")
        )
        .map_err(io)?;
    }
    w.flush().map_err(io)
}

#[derive(Default)]
struct ReportNode {
    clade: u64,
    direct: u64,
    children: BTreeMap<String, ReportNode>,
}

/// Kraken-style report (as `kraken2 --report`): percent, clade count, direct
/// count, rank code, taxid (0 where the taxdump does not know the taxon or
/// none is given) and the name indented by two spaces per depth; the
/// `unclassified` line first, then `root` and its clades (largest first).
/// Counts are contigs, or base pairs with `by_bp`. Rows are
/// `(contig, length, prediction)`; `None` counts as unclassified.
///
/// # Errors
/// [`Error::Io`] when writing fails.
pub fn write_kraken_report<W: Write>(
    mut w: W,
    rows: &[(String, u64, Option<Prediction>)],
    by_bp: bool,
    taxdump: Option<&TaxDump>,
) -> Result<()> {
    let mut root = ReportNode::default();
    let mut unclassified = 0u64;
    for (_, len, p) in rows {
        let weight = if by_bp { *len } else { 1 };
        let lineage = p.as_ref().map(|p| &p.lineage).filter(|l| l.depth() > 0);
        let Some(l) = lineage else {
            unclassified += weight;
            continue;
        };
        root.clade += weight;
        let mut node = &mut root;
        for name in &l.0 {
            node = node.children.entry(name.clone()).or_default();
            node.clade += weight;
        }
        node.direct += weight;
    }
    let total = unclassified + root.clade;
    let pct = |x: u64| {
        if total == 0 {
            0.0
        } else {
            100.0 * x as f64 / total as f64
        }
    };
    writeln!(
        w,
        "{:6.2}\t{unclassified}\t{unclassified}\tU\t0\tunclassified",
        pct(unclassified)
    )
    .map_err(io)?;
    if root.clade > 0 {
        writeln!(
            w,
            "{:6.2}\t{}\t{}\tR\t1\troot",
            pct(root.clade),
            root.clade,
            root.direct
        )
        .map_err(io)?;
        let mut path = Vec::new();
        write_children(&mut w, &root, &mut path, &pct, taxdump)?;
    }
    w.flush().map_err(io)
}

fn write_children<W: Write>(
    w: &mut W,
    node: &ReportNode,
    path: &mut Vec<String>,
    pct: &dyn Fn(u64) -> f64,
    taxdump: Option<&TaxDump>,
) -> Result<()> {
    let mut kids: Vec<(&String, &ReportNode)> = node.children.iter().collect();
    kids.sort_by(|a, b| b.1.clade.cmp(&a.1.clade).then_with(|| a.0.cmp(b.0)));
    for (name, child) in kids {
        path.push(name.clone());
        let rank = Rank::from_index(path.len() - 1).expect("at most seven ranks");
        let taxid = taxdump
            .and_then(|t| t.taxid_of(&Lineage(path.clone())))
            .unwrap_or(0);
        let indent = "  ".repeat(path.len());
        writeln!(
            w,
            "{:6.2}\t{}\t{}\t{}\t{taxid}\t{indent}{}",
            pct(child.clade),
            child.clade,
            child.direct,
            rank.kraken_code(),
            clean(name, '\t')
        )
        .map_err(io)?;
        write_children(w, child, path, pct, taxdump)?;
        path.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::read_scored_predictions;
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
    fn cami_without_taxdump_uses_names_and_skips_unassigned() {
        let rows = vec![
            (
                "a".to_string(),
                pred(
                    "d__Bacteria;p__Firmicutes;f__Bacillaceae",
                    &[1.0, 1.0, 1.0, 1.0, 1.0],
                ),
            ),
            ("b".to_string(), None),
        ];
        let mut out = Vec::new();
        write_cami(&mut out, "s1", &rows, None).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("@Version:0.9.1\n@SampleID:s1\n@Ranks:superkingdom|phylum|class|order|family|genus|species\n\n@@SEQUENCEID\tTAXID\tRANK\tTAXPATH\tTAXPATHSN\n"));
        assert!(s.ends_with("a\tBacillaceae\tfamily\tBacteria|Firmicutes|||Bacillaceae\tBacteria|Firmicutes|||Bacillaceae\n"), "{s}");
        // and it reads back
        let back = crate::labels::read_labels(s.as_bytes(), "cami", None, None).unwrap();
        assert_eq!(
            back.entries,
            vec![("a".to_string(), rows[0].1.as_ref().unwrap().lineage.clone())]
        );
    }

    fn name() -> impl Strategy<Value = String> {
        "[A-Z][a-z]{1,8}( [a-z]{1,6})?"
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
    }
}
