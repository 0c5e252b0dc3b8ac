//! CAMI taxonomic binning format (0.9.x):
//!
//! ```text
//! @Version:0.9.1
//! @SampleID:sample
//! @Ranks:superkingdom|phylum|class|order|family|genus|species|strain
//! @@SEQUENCEID  TAXID  RANK  TAXPATH  TAXPATHSN  _CAMI_genomeID
//! contig_1  562  species  2|1224|…|562  Bacteria|Proteobacteria|…|Escherichia coli  g1
//! ```
//! `TAXPATHSN` names (aligned to `@Ranks`) are used when present, else the
//! `TAXID` goes through the taxdump.

use super::Reader;
use crate::taxonomy::{Lineage, Rank};
use crate::Result;

const DEFAULT_RANKS: &str = "superkingdom|phylum|class|order|family|genus|species|strain";

fn ranks_of(spec: &str) -> Vec<Option<Rank>> {
    spec.split('|')
        .map(|r| Rank::parse(r).filter(|_| !r.trim().is_empty()))
        .collect()
}

pub(super) fn read_cami(r: &mut Reader<'_>, lines: &[(usize, String)]) -> Result<()> {
    let mut ranks = ranks_of(DEFAULT_RANKS);
    let mut cols: Option<(usize, Option<usize>)> = None; // (TAXID, TAXPATHSN)
    for (no, line) in lines {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(h) = line.strip_prefix("@@") {
            let names: Vec<String> = h
                .split('\t')
                .map(|c| c.trim().to_ascii_uppercase())
                .collect();
            if names[0] != "SEQUENCEID" {
                return Err(r.bad(*no, "the column header must start with '@@SEQUENCEID'"));
            }
            let taxid = names.iter().position(|c| c == "TAXID").ok_or_else(|| {
                r.bad(
                    *no,
                    "no TAXID column (genome binning files have no taxonomy)",
                )
            })?;
            cols = Some((taxid, names.iter().position(|c| c == "TAXPATHSN")));
            continue;
        }
        if let Some(h) = line.strip_prefix('@') {
            if let Some(spec) = h.strip_prefix("Ranks:") {
                ranks = ranks_of(spec.trim());
            }
            continue;
        }
        let Some((taxid_col, sn_col)) = cols else {
            return Err(r.bad(*no, "data line before the '@@SEQUENCEID' column header"));
        };
        let f: Vec<&str> = line.split('\t').collect();
        let id = f[0].trim();
        let taxid = f.get(taxid_col).map_or("", |s| s.trim());
        let path = sn_col.and_then(|c| f.get(c)).map_or("", |s| s.trim());
        let lineage = if !path.is_empty() {
            lineage_from_path(path, &ranks).map_err(|e| r.bad(*no, e))?
        } else if taxid.is_empty() || taxid == "0" {
            Lineage::unclassified()
        } else {
            let t: u64 = taxid.parse().map_err(|_| {
                r.bad(
                    *no,
                    format!(
                        "TAXID '{}' is not a taxid and there is no TAXPATHSN",
                        super::truncate(taxid, 30)
                    ),
                )
            })?;
            r.lineage_of(t)?
        };
        r.push(*no, id, lineage)?;
    }
    Ok(())
}

/// `Bacteria|Proteobacteria||…` aligned to `ranks`; empty parts are missing
/// ranks (placeholders if a deeper rank follows), unknown ranks (strain) are
/// dropped.
fn lineage_from_path(path: &str, ranks: &[Option<Rank>]) -> std::result::Result<Lineage, String> {
    let parts: Vec<&str> = path.split('|').collect();
    if parts.len() > ranks.len() {
        return Err(format!(
            "TAXPATHSN has {} parts but @Ranks lists {} ranks",
            parts.len(),
            ranks.len()
        ));
    }
    let mut at: [Option<&str>; 7] = [None; 7];
    let mut last: Option<Rank> = None;
    for (part, rank) in parts.iter().zip(ranks) {
        let (Some(rank), name) = (rank, part.trim()) else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        if last.is_some_and(|l| *rank <= l) {
            return Err(format!("rank {rank} out of order in @Ranks"));
        }
        last = Some(*rank);
        at[rank.index()] = Some(name);
    }
    let depth = at.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
    let mut names: Vec<String> = Vec::with_capacity(depth);
    for (i, n) in at.iter().take(depth).enumerate() {
        let name = match n {
            Some(n) => n.to_string(),
            None => {
                let parent = names.last().cloned().unwrap_or_else(|| "root".to_string());
                Lineage::placeholder(Rank::from_index(i).expect("i < 7"), &parent)
            }
        };
        names.push(name);
    }
    Ok(Lineage(names))
}
