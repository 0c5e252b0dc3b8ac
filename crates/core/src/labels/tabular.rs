//! Taxometer TSV, MMseqs2 `*_lca.tsv` and Metabuli `*_classifications.tsv`.

use super::{parse_rank_code_lineage, Reader};
use crate::taxonomy::Lineage;
use crate::Result;

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// Taxometer input (`contigs\tpredictions`) or output (`…\tscores`) TSV; the
/// header is optional. TaxDistill's output may add a fourth column,
/// `source` (`student`, `input`, `none`), when its header names it. Returns
/// per-entry scores when `want_scores`.
pub(super) fn read_taxometer(
    r: &mut Reader<'_>,
    lines: &[(usize, String)],
    want_scores: bool,
) -> Result<Vec<Vec<f32>>> {
    let mut scores_out = Vec::new();
    let mut first = true;
    let mut max_cols = 3;
    for (no, line) in lines {
        if is_blank(line) {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if first {
            first = false;
            if f[0].trim().eq_ignore_ascii_case("contigs") {
                if f.len() < 2 || !f[1].trim().eq_ignore_ascii_case("predictions") {
                    return Err(r.bad(*no, "header must start with 'contigs\\tpredictions'"));
                }
                if f.len() == 4 && f[3].trim().eq_ignore_ascii_case("source") {
                    max_cols = 4;
                }
                continue;
            }
        }
        if let Some(src) = f.get(3).filter(|_| max_cols == 4) {
            if !["student", "input", "none"].contains(&src.trim()) {
                return Err(r.bad(
                    *no,
                    format!(
                        "source '{}' is not student, input or none",
                        super::truncate(src, 20)
                    ),
                ));
            }
        }
        if f.len() > max_cols {
            return Err(r.bad(
                *no,
                format!(
                    "expected 'contig\\tlineage[\\tscores]', found {} columns",
                    f.len()
                ),
            ));
        }
        let id = f[0].trim();
        let pred = f.get(1).copied().unwrap_or("");
        let lineage = Lineage::parse(pred).map_err(|e| r.bad(*no, e))?;
        let scores = match f.get(2) {
            Some(s) if !s.trim().is_empty() => parse_scores(r, *no, s, pred, &lineage)?,
            _ => Vec::new(),
        };
        r.push(*no, id, lineage)?;
        if want_scores {
            scores_out.push(scores);
        }
    }
    Ok(scores_out)
}

fn parse_scores(
    r: &Reader<'_>,
    no: usize,
    s: &str,
    pred: &str,
    lineage: &Lineage,
) -> Result<Vec<f32>> {
    let mut out = Vec::new();
    for part in s.split(';') {
        let v: f32 = part.trim().parse().map_err(|_| {
            r.bad(
                no,
                format!("score '{}' is not a number", super::truncate(part, 20)),
            )
        })?;
        if !v.is_finite() || !(0.0..=1.0 + 1e-6).contains(&v) {
            return Err(r.bad(
                no,
                format!("score '{}' is not a probability in [0, 1]", part.trim()),
            ));
        }
        out.push(v);
    }
    let parts = pred.split(';').filter(|p| !p.trim().is_empty()).count();
    if out.len() != lineage.depth() && out.len() != parts {
        return Err(r.bad(
            no,
            format!(
                "{} scores for a lineage of {} ranks",
                out.len(),
                lineage.depth()
            ),
        ));
    }
    Ok(out)
}

/// MMseqs2 `easy-taxonomy` `*_lca.tsv`: query, taxid, rank, name, then
/// (MMseqs2 ≥ 13) fragments, assigned, agreeing, support, then with
/// `--tax-lineage 1` the lineage (`d_…;p_…`). With a taxdump the taxid is
/// looked up (consistent with the other inputs); without one the lineage
/// column is used; neither is an error.
pub(super) fn read_mmseqs2(r: &mut Reader<'_>, lines: &[(usize, String)]) -> Result<()> {
    let mut skipped = 0;
    for (no, line) in lines {
        if is_blank(line) || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if !(4..=9).contains(&f.len()) {
            return Err(r.bad(
                *no,
                format!(
                    "expected 'query\\ttaxid\\trank\\tname[…][\\tlineage]', found {} columns",
                    f.len()
                ),
            ));
        }
        let taxid: u64 = f[1].trim().parse().map_err(|_| {
            r.bad(
                *no,
                format!("taxid '{}' is not a number", super::truncate(f[1], 20)),
            )
        })?;
        // the lineage column, when present, is the last one and not a number
        let lineage_col = if f.len() == 5 || f.len() == 9 {
            Some(f[f.len() - 1])
        } else {
            None
        };
        let lineage = if taxid == 0 {
            Lineage::unclassified()
        } else if let Some(td) = r.taxdump {
            match (td.lineage(taxid), lineage_col) {
                (Some(l), _) => l,
                (None, Some(col)) => {
                    let (l, s) = parse_rank_code_lineage(col).map_err(|e| r.bad(*no, e))?;
                    skipped += s;
                    l
                }
                (None, None) => r.lineage_of(taxid)?,
            }
        } else if let Some(col) = lineage_col {
            let (l, s) = parse_rank_code_lineage(col).map_err(|e| r.bad(*no, e))?;
            skipped += s;
            l
        } else {
            r.lineage_of(taxid)?
        };
        r.push(*no, f[0].trim(), lineage)?;
    }
    if skipped > 0 {
        r.warn(format!(
            "{}: {skipped} lineage part(s) with ranks out of order skipped",
            r.source
        ));
    }
    Ok(())
}

/// Metabuli `*_classifications.tsv` (header `#is_classified\tname\ttaxID\t
/// query_length\tscore\trank[\tlineage]\ttaxID:match_count`; unclassified rows
/// end with an extra empty field). Taxids go through the taxdump when one is
/// given, else the `--lineage 1` column is used.
pub(super) fn read_metabuli(r: &mut Reader<'_>, lines: &[(usize, String)]) -> Result<()> {
    let mut has_lineage: Option<bool> = None;
    let mut skipped = 0;
    for (no, line) in lines {
        if is_blank(line) {
            continue;
        }
        if let Some(h) = line.strip_prefix('#') {
            if h.starts_with("is_classified") {
                has_lineage = Some(h.split('\t').any(|c| c.trim() == "lineage"));
            }
            continue;
        }
        let mut f: Vec<&str> = line.split('\t').collect();
        while f.len() > 7 && f.last().is_some_and(|x| x.trim().is_empty()) {
            f.pop();
        }
        if !(6..=8).contains(&f.len()) {
            return Err(r.bad(
                *no,
                format!("expected 7 or 8 Metabuli columns, found {}", f.len()),
            ));
        }
        let status = f[0].trim();
        if status != "0" && status != "1" {
            return Err(r.bad(
                *no,
                format!(
                    "classification status '{}' is not 0 or 1",
                    super::truncate(status, 10)
                ),
            ));
        }
        let taxid: u64 = f[2].trim().parse().map_err(|_| {
            r.bad(
                *no,
                format!("taxID '{}' is not a number", super::truncate(f[2], 20)),
            )
        })?;
        let lineage_col = match has_lineage {
            Some(true) => f.get(6).copied(),
            Some(false) => None,
            None => f
                .get(6)
                .copied()
                .filter(|c| c.contains(';') || c.contains('_'))
                .filter(|c| !c.contains(':')),
        };
        let lineage = if status == "0" || taxid == 0 {
            Lineage::unclassified()
        } else if let Some(td) = r.taxdump {
            match (td.lineage(taxid), lineage_col) {
                (Some(l), _) => l,
                (None, Some(col)) if col.trim() != "-" => {
                    let (l, s) = parse_rank_code_lineage(col).map_err(|e| r.bad(*no, e))?;
                    skipped += s;
                    l
                }
                _ => r.lineage_of(taxid)?,
            }
        } else if let Some(col) = lineage_col.filter(|c| c.trim() != "-") {
            let (l, s) = parse_rank_code_lineage(col).map_err(|e| r.bad(*no, e))?;
            skipped += s;
            l
        } else {
            r.lineage_of(taxid)?
        };
        r.push(*no, f[1].trim(), lineage)?;
    }
    if skipped > 0 {
        r.warn(format!(
            "{}: {skipped} lineage part(s) with ranks out of order skipped",
            r.source
        ));
    }
    Ok(())
}
