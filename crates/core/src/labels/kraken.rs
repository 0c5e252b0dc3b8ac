//! Kraken2 standard output and Centrifuge classification output (taxids only:
//! both need a taxdump).

use super::Reader;
use crate::Result;
use std::collections::HashMap;

/// A Kraken2 taxid field: `562`, or with `--use-names` `Escherichia coli (taxid 562)`.
pub(super) fn parse_kraken_taxid(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Ok(t) = s.parse::<u64>() {
        return Some(t);
    }
    let inner = s.strip_suffix(')')?;
    let at = inner.rfind("(taxid ")?;
    inner[at + "(taxid ".len()..].trim().parse().ok()
}

/// Kraken2 standard output: `C|U \t id \t taxid \t length \t LCA k-mer list`.
pub(super) fn read_kraken2(r: &mut Reader<'_>, lines: &[(usize, String)]) -> Result<()> {
    r.need_taxdump()?;
    for (no, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 5 {
            return Err(r.bad(
                *no,
                format!(
                    "expected 5 Kraken2 columns (C/U, id, taxid, length, k-mers), found {}",
                    f.len()
                ),
            ));
        }
        let taxid = parse_kraken_taxid(f[2]).ok_or_else(|| {
            r.bad(
                *no,
                format!("taxid '{}' is not a number", super::truncate(f[2], 40)),
            )
        })?;
        if !f[3].split('|').all(|x| x.trim().parse::<u64>().is_ok()) {
            return Err(r.bad(
                *no,
                format!("length '{}' is not a number", super::truncate(f[3], 20)),
            ));
        }
        let lineage = match f[0] {
            "U" => crate::taxonomy::Lineage::unclassified(),
            "C" => r.lineage_of(taxid)?,
            other => {
                return Err(r.bad(
                    *no,
                    format!(
                        "first column '{}' is neither C nor U",
                        super::truncate(other, 10)
                    ),
                ))
            }
        };
        let classified = lineage.depth() > 0;
        r.push(*no, f[1].trim(), lineage)?;
        if classified {
            if let Some(share) = kmer_hit_share(f[4]) {
                r.set_support(f[1].trim(), share);
            }
        }
    }
    Ok(())
}

/// Share of the k-mers of a Kraken2 LCA list (`taxid:n …`, `|:|` between
/// mates) that hit the reference: `0:n` is no hit, `A:n` (k-mers touching an
/// ambiguous base) is left out. `None` for a list without such k-mers or one
/// that does not parse (a format variant: no support is better than a wrong one).
fn kmer_hit_share(list: &str) -> Option<f32> {
    let (mut hit, mut all) = (0u64, 0u64);
    for item in list.split_whitespace() {
        if item == "|:|" {
            continue;
        }
        let (t, n) = item.rsplit_once(':')?;
        let n: u64 = n.parse().ok()?;
        match t {
            "A" => {}
            "0" => all += n,
            _ => {
                hit += n;
                all += n;
            }
        }
    }
    (all > 0).then(|| hit as f32 / all as f32)
}

/// Centrifuge output: header `readID\tseqID\ttaxID\tscore\t2ndBestScore\t
/// hitLength\tqueryLength\tnumMatches`, then one line per hit; a read with
/// several hits gets the LCA of their taxids (`unclassified`/0 lines count
/// as no hit).
pub(super) fn read_centrifuge(r: &mut Reader<'_>, lines: &[(usize, String)]) -> Result<()> {
    let td = r.need_taxdump()?;
    let mut order: Vec<(String, usize)> = Vec::new();
    let mut hits: HashMap<String, Vec<u64>> = HashMap::new();
    for (no, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f[0] == "readID" {
            continue;
        }
        if f.len() != 8 {
            return Err(r.bad(
                *no,
                format!(
                    "expected 8 Centrifuge columns (readID … numMatches), found {}",
                    f.len()
                ),
            ));
        }
        let taxid: u64 = f[2].trim().parse().map_err(|_| {
            r.bad(
                *no,
                format!("taxID '{}' is not a number", super::truncate(f[2], 20)),
            )
        })?;
        for (i, what) in [
            (3, "score"),
            (4, "2ndBestScore"),
            (5, "hitLength"),
            (6, "queryLength"),
            (7, "numMatches"),
        ] {
            if !f[i].trim().parse::<f64>().is_ok_and(f64::is_finite) {
                return Err(r.bad(
                    *no,
                    format!("{what} '{}' is not a number", super::truncate(f[i], 20)),
                ));
            }
        }
        let id = f[0].trim();
        if id.is_empty() {
            return Err(r.bad(*no, "empty read id"));
        }
        let e = hits.entry(id.to_string()).or_insert_with(|| {
            order.push((id.to_string(), *no));
            Vec::new()
        });
        if taxid != 0 {
            e.push(taxid);
        }
    }
    for (id, no) in order {
        let taxids = &hits[&id];
        let lineage = match td.lca(taxids) {
            Some(t) => r.lineage_of(t)?,
            None => {
                for &t in taxids {
                    r.lineage_of(t)?; // counts the unknown taxids
                }
                crate::taxonomy::Lineage::unclassified()
            }
        };
        r.push(no, &id, lineage)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::kmer_hit_share;

    #[test]
    fn the_kmer_hit_share_counts_hits_against_all_unambiguous_kmers() {
        assert_eq!(kmer_hit_share("562:30 0:10 A:5 561:20"), Some(50.0 / 60.0));
        assert_eq!(kmer_hit_share("0:3 |:| 0:1"), Some(0.0));
        assert_eq!(kmer_hit_share("A:12"), None);
        assert_eq!(kmer_hit_share("garbage"), None);
    }
}
