//! NCBI taxdump (`nodes.dmp`, `names.dmp`, `merged.dmp`) → lineages.
//!
//! A [`TaxDump`] turns the taxids that Kraken2, MMseqs2, Metabuli, Centrifuge
//! and CAMI files carry into seven-rank [`Lineage`]s (domain … species).
//! The NCBI quirks that make Taxometer reject its inputs (vamb #361, #446,
//! #456) are handled and counted in [`TaxdumpWarnings`], never fatal:
//! - the same name under two parents (e.g. the genus *Bacillus* of bacteria
//!   and of stick insects) — lineages are paths, so both stay distinct;
//! - `environmental samples` / `unclassified X` nodes — never used as a rank
//!   name (they are `no rank` in NCBI; if one carries a rank it is skipped);
//! - ranks out of order (a node whose rank is not above its ranked
//!   descendant's) — the node is skipped in lineages;
//! - missing intermediate ranks — filled with [`Lineage::placeholder`].

use crate::taxonomy::{normalize_name, Lineage, Rank};
use crate::{Error, Result};
use std::collections::{HashMap, HashSet};
use std::io::BufRead;

/// Longest parent chain we follow; NCBI's deepest lineage is ~50 nodes.
const MAX_DEPTH: usize = 1024;

/// Counts of the taxdump quirks met while loading (none is fatal).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TaxdumpWarnings {
    /// Ranked taxa whose (rank, name) is also used by another taxon.
    pub same_name_two_parents: usize,
    /// `environmental samples` / `unclassified …` / `… incertae sedis` groups.
    pub environmental_or_unclassified: usize,
    /// Ranked nodes whose rank is not above the rank of a ranked descendant
    /// (they are skipped in lineages).
    pub ranks_out_of_order: usize,
    /// Nodes whose parent is not in `nodes.dmp` (treated as children of the root).
    pub unknown_parents: usize,
    /// Nodes without a `scientific name` in `names.dmp` (named `taxid N`).
    pub missing_names: usize,
    /// `merged.dmp` entries pointing to a taxid absent from `nodes.dmp`.
    pub dangling_merges: usize,
}

impl TaxdumpWarnings {
    /// True when no quirk was met.
    pub fn is_empty(&self) -> bool {
        *self == TaxdumpWarnings::default()
    }

    /// One human-readable line per non-zero count.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut push = |n: usize, what: &str| {
            if n > 0 {
                out.push(format!("taxdump: {n} {what}"));
            }
        };
        push(self.same_name_two_parents, "ranked taxa share their name with another taxon of the same rank (kept apart by their lineage)");
        push(
            self.environmental_or_unclassified,
            "'environmental samples'/'unclassified' groups (not used as rank names)",
        );
        push(
            self.ranks_out_of_order,
            "nodes with ranks out of order (skipped in lineages)",
        );
        push(
            self.unknown_parents,
            "nodes with a parent missing from nodes.dmp (attached to the root)",
        );
        push(
            self.missing_names,
            "nodes without a scientific name (named 'taxid N')",
        );
        push(
            self.dangling_merges,
            "merged.dmp entries pointing to unknown taxids (ignored)",
        );
        out
    }
}

#[derive(Debug, Clone)]
struct Node {
    parent: u64,
    /// The rank this node contributes to lineages (`None`: no rank, skipped
    /// placeholder group, or out of order).
    rank: Option<Rank>,
}

/// An NCBI taxonomy loaded from a taxdump.
#[derive(Debug, Clone)]
pub struct TaxDump {
    nodes: HashMap<u64, Node>,
    names: HashMap<u64, String>,
    merged: HashMap<u64, u64>,
    /// (rank, normalised name) → taxids, for [`TaxDump::taxid_of`].
    by_name: HashMap<(Rank, String), Vec<u64>>,
    warnings: TaxdumpWarnings,
}

/// The rank a taxdump rank string stands for: [`Rank::parse`], except that
/// a virus lineage in a taxdump has both `acellular root` (Viruses) and
/// `realm` below it, so only the first is the domain here.
fn taxdump_rank(s: &str) -> Option<Rank> {
    if s.trim().eq_ignore_ascii_case("realm") {
        return None;
    }
    Rank::parse(s)
}

/// Groups that NCBI uses as bins rather than taxa.
fn is_uninformative(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    n == "environmental samples" || n.starts_with("unclassified ") || n.ends_with(" incertae sedis")
}

/// Splits a `.dmp` line (`a\t|\tb\t|\t…\t|`) into trimmed fields.
fn dmp_fields(line: &str) -> Vec<&str> {
    let line = line.trim_end_matches(['\n', '\r']);
    let line = line.strip_suffix("\t|").unwrap_or(line);
    line.split('|').map(str::trim).collect()
}

fn parse_taxid(s: &str, source_name: &str, line: usize, what: &str) -> Result<u64> {
    s.trim().parse::<u64>().map_err(|_| Error::BadLine {
        source_name: source_name.to_string(),
        line,
        reason: format!("{what} '{}' is not a taxid", truncate(s, 40)),
    })
}

pub(crate) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

/// `nodes.dmp` rows: taxid → (parent, rank name, line).
type RawNodes = HashMap<u64, (u64, String, usize)>;

/// `nodes.dmp`: taxid → (parent, rank name, line).
fn read_nodes(nodes: impl BufRead, nodes_name: &str) -> Result<RawNodes> {
    let mut raw: HashMap<u64, (u64, String, usize)> = HashMap::new();
    for_each_line(nodes, nodes_name, |no, line| {
        if line.trim().is_empty() {
            return Ok(());
        }
        let f = dmp_fields(line);
        if f.len() < 3 {
            return Err(Error::BadLine {
                source_name: nodes_name.to_string(),
                line: no,
                reason: "expected 'taxid | parent | rank | …'".to_string(),
            });
        }
        let taxid = parse_taxid(f[0], nodes_name, no, "taxid")?;
        let parent = parse_taxid(f[1], nodes_name, no, "parent")?;
        if raw.insert(taxid, (parent, f[2].to_string(), no)).is_some() {
            return Err(Error::BadLine {
                source_name: nodes_name.to_string(),
                line: no,
                reason: format!("duplicate taxid {taxid}"),
            });
        }
        Ok(())
    })?;
    if raw.is_empty() {
        return Err(Error::Invalid(format!("{nodes_name}: no nodes")));
    }
    Ok(raw)
}

/// `names.dmp`: the scientific name of each taxid of `raw`.
fn read_names(
    names: impl BufRead,
    names_name: &str,
    raw: &RawNodes,
) -> Result<HashMap<u64, String>> {
    let mut names_map: HashMap<u64, String> = HashMap::new();
    for_each_line(names, names_name, |no, line| {
        if line.trim().is_empty() {
            return Ok(());
        }
        let f = dmp_fields(line);
        if f.len() < 4 {
            return Err(Error::BadLine {
                source_name: names_name.to_string(),
                line: no,
                reason: "expected 'taxid | name | unique name | name class |'".to_string(),
            });
        }
        let taxid = parse_taxid(f[0], names_name, no, "taxid")?;
        if f[3] == "scientific name" && raw.contains_key(&taxid) {
            names_map.entry(taxid).or_insert_with(|| f[1].to_string());
        }
        Ok(())
    })?;
    Ok(names_map)
}

/// `merged.dmp`: old taxid → new taxid, for new taxids of `raw`.
fn read_merged(
    m: impl BufRead,
    merged_name: &str,
    raw: &RawNodes,
    warnings: &mut TaxdumpWarnings,
) -> Result<HashMap<u64, u64>> {
    let mut merged_map: HashMap<u64, u64> = HashMap::new();
    for_each_line(m, merged_name, |no, line| {
        if line.trim().is_empty() {
            return Ok(());
        }
        let f = dmp_fields(line);
        if f.len() < 2 {
            return Err(Error::BadLine {
                source_name: merged_name.to_string(),
                line: no,
                reason: "expected 'old taxid | new taxid |'".to_string(),
            });
        }
        let old = parse_taxid(f[0], merged_name, no, "old taxid")?;
        let new = parse_taxid(f[1], merged_name, no, "new taxid")?;
        if raw.contains_key(&new) {
            merged_map.insert(old, new);
        } else {
            warnings.dangling_merges += 1;
        }
        Ok(())
    })?;
    Ok(merged_map)
}

/// Fails on a parent cycle (memoised: each node is walked once); `ids` sorted.
fn check_acyclic(
    nodes: &HashMap<u64, Node>,
    ids: &[u64],
    raw: &RawNodes,
    nodes_name: &str,
) -> Result<()> {
    let mut ok: HashSet<u64> = HashSet::with_capacity(nodes.len());
    for &start in ids {
        let mut path = Vec::new();
        let mut on_path = HashSet::new();
        let mut v = start;
        loop {
            if ok.contains(&v) {
                break;
            }
            if !on_path.insert(v) {
                return Err(Error::BadLine {
                    source_name: nodes_name.to_string(),
                    line: raw[&v].2,
                    reason: format!("taxid {v} is its own ancestor (parent cycle)"),
                });
            }
            path.push(v);
            let p = nodes[&v].parent;
            if p == v {
                break;
            }
            v = p;
        }
        ok.extend(path);
    }
    Ok(())
}

/// Ranks out of order: a ranked node must sit strictly below the rank of
/// its nearest (still ranked) ancestor, else its rank is dropped. Ancestors
/// are decided first (nodes sorted by depth).
fn drop_ranks_out_of_order(
    nodes: &mut HashMap<u64, Node>,
    ids: &[u64],
    warnings: &mut TaxdumpWarnings,
) {
    let mut depth: HashMap<u64, usize> = HashMap::with_capacity(nodes.len());
    for &start in ids {
        let mut stack = Vec::new();
        let mut v = start;
        let base = loop {
            if let Some(&d) = depth.get(&v) {
                break d;
            }
            let p = nodes[&v].parent;
            if p == v {
                depth.insert(v, 0);
                break 0;
            }
            stack.push(v);
            v = p;
        };
        for (i, &x) in stack.iter().rev().enumerate() {
            depth.insert(x, base + i + 1);
        }
    }
    let mut by_depth: Vec<u64> = ids
        .iter()
        .copied()
        .filter(|t| nodes[t].rank.is_some())
        .collect();
    by_depth.sort_unstable_by_key(|t| (depth[t], *t));
    for taxid in by_depth {
        let Some(r) = nodes[&taxid].rank else {
            continue;
        };
        let mut v = taxid;
        loop {
            let p = nodes[&v].parent;
            if p == v {
                break;
            }
            v = p;
            if let Some(ar) = nodes[&v].rank {
                if ar >= r {
                    warnings.ranks_out_of_order += 1;
                    nodes.get_mut(&taxid).expect("known node").rank = None;
                }
                break;
            }
        }
    }
}

/// Reads lines of `reader` as UTF-8 (CR stripped), calling `f(line_no, line)`.
pub(crate) fn for_each_line<R: BufRead>(
    mut reader: R,
    source_name: &str,
    mut f: impl FnMut(usize, &str) -> Result<()>,
) -> Result<()> {
    let mut buf = Vec::new();
    let mut no = 0usize;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|e| Error::Io {
            source_name: source_name.to_string(),
            reason: e.to_string(),
            kind: e.kind(),
        })?;
        if n == 0 {
            return Ok(());
        }
        no += 1;
        let text = std::str::from_utf8(&buf).map_err(|_| Error::BadLine {
            source_name: source_name.to_string(),
            line: no,
            reason: "not UTF-8 text".to_string(),
        })?;
        f(no, text.trim_end_matches(['\n', '\r']))?;
    }
}

impl TaxDump {
    /// Loads a taxdump. `source_dir` names the directory in error messages
    /// (`{source_dir}/nodes.dmp: line 12: …`).
    ///
    /// # Errors
    /// [`Error::BadLine`] for a malformed line, a duplicate taxid in
    /// `nodes.dmp` or a parent cycle; [`Error::Invalid`] for an empty
    /// `nodes.dmp`; [`Error::Io`] when a reader fails.
    pub fn from_readers(
        nodes: impl BufRead,
        names: impl BufRead,
        merged: Option<impl BufRead>,
        source_dir: &str,
    ) -> Result<TaxDump> {
        let nodes_name = format!("{source_dir}/nodes.dmp");
        let names_name = format!("{source_dir}/names.dmp");
        let merged_name = format!("{source_dir}/merged.dmp");
        let mut warnings = TaxdumpWarnings::default();

        let raw = read_nodes(nodes, &nodes_name)?;

        let mut names = read_names(names, &names_name, &raw)?;
        let merged_map = match merged {
            Some(m) => read_merged(m, &merged_name, &raw, &mut warnings)?,
            None => HashMap::new(),
        };

        // Parents: unknown ones attach to the root of the dump.
        let mut nodes: HashMap<u64, Node> = HashMap::with_capacity(raw.len());
        for (&taxid, (parent, rank, _)) in &raw {
            let parent = if raw.contains_key(parent) {
                *parent
            } else {
                warnings.unknown_parents += 1;
                taxid
            };
            let name = names.get(&taxid).map(String::as_str).unwrap_or("");
            let mut rank = taxdump_rank(rank);
            if is_uninformative(name) {
                warnings.environmental_or_unclassified += 1;
                rank = None;
            }
            nodes.insert(taxid, Node { parent, rank });
        }
        for &taxid in raw.keys() {
            if let std::collections::hash_map::Entry::Vacant(e) = names.entry(taxid) {
                warnings.missing_names += 1;
                e.insert(format!("taxid {taxid}"));
            }
        }

        let mut ids: Vec<u64> = nodes.keys().copied().collect();
        ids.sort_unstable();
        check_acyclic(&nodes, &ids, &raw, &nodes_name)?;

        drop_ranks_out_of_order(&mut nodes, &ids, &mut warnings);

        let mut by_name: HashMap<(Rank, String), Vec<u64>> = HashMap::new();
        for &taxid in &ids {
            if let Some(r) = nodes[&taxid].rank {
                by_name
                    .entry((r, normalize_name(&names[&taxid])))
                    .or_default()
                    .push(taxid);
            }
        }
        warnings.same_name_two_parents =
            by_name.values().filter(|v| v.len() > 1).map(Vec::len).sum();

        Ok(TaxDump {
            nodes,
            names,
            merged: merged_map,
            by_name,
            warnings,
        })
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True for a dump without nodes (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The quirks met while loading.
    pub fn warnings(&self) -> &TaxdumpWarnings {
        &self.warnings
    }

    /// The current taxid of `taxid` (following `merged.dmp`), if known.
    pub fn resolve(&self, taxid: u64) -> Option<u64> {
        if self.nodes.contains_key(&taxid) {
            Some(taxid)
        } else {
            self.merged.get(&taxid).copied()
        }
    }

    /// Scientific name of a taxid (merged ids followed).
    pub fn name(&self, taxid: u64) -> Option<&str> {
        self.resolve(taxid)
            .and_then(|t| self.names.get(&t))
            .map(String::as_str)
    }

    /// The lineage rank a taxid contributes, if it is a ranked taxon.
    pub fn rank(&self, taxid: u64) -> Option<Rank> {
        self.resolve(taxid).and_then(|t| self.nodes[&t].rank)
    }

    /// Taxids from `taxid` up to the root (inclusive), merged ids followed.
    fn path_up(&self, taxid: u64) -> Option<Vec<u64>> {
        let mut v = self.resolve(taxid)?;
        let mut out = vec![v];
        while out.len() < MAX_DEPTH {
            let p = self.nodes[&v].parent;
            if p == v {
                break;
            }
            out.push(p);
            v = p;
        }
        Some(out)
    }

    /// The taxids of the ranked taxa above and at `taxid`, by rank.
    fn ranked_ids(&self, taxid: u64) -> Option<[Option<u64>; 7]> {
        let path = self.path_up(taxid)?;
        let mut at: [Option<u64>; 7] = [None; 7];
        for v in path {
            if let Some(r) = self.nodes[&v].rank {
                at[r.index()].get_or_insert(v);
            }
        }
        Some(at)
    }

    /// The seven-rank lineage of a taxid (merged ids followed): ranks the
    /// taxid sits below are cut (a strain gives its species), missing
    /// intermediate ranks become [`Lineage::placeholder`]s, and the root or a
    /// taxon above every domain gives the unclassified lineage.
    /// `None` for a taxid the dump does not know.
    pub fn lineage(&self, taxid: u64) -> Option<Lineage> {
        let at = self.ranked_ids(taxid)?;
        let depth = at.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
        let mut names: Vec<String> = Vec::with_capacity(depth);
        for (i, id) in at.iter().take(depth).enumerate() {
            let name = match id {
                Some(t) => self.names[t].clone(),
                None => {
                    let parent = names.last().cloned().unwrap_or_else(|| "root".to_string());
                    Lineage::placeholder(Rank::from_index(i).expect("i < 7"), &parent)
                }
            };
            names.push(name);
        }
        Some(Lineage(names))
    }

    /// Lowest common ancestor of the known taxids (unknown ones and 0 are
    /// skipped; merged ids followed). `None` when none is known.
    pub fn lca(&self, taxids: &[u64]) -> Option<u64> {
        let mut common: Option<Vec<u64>> = None;
        for &t in taxids {
            let Some(mut path) = self.path_up(t) else {
                continue;
            };
            path.reverse(); // root first
            common = Some(match common {
                None => path,
                Some(c) => {
                    let n = c
                        .iter()
                        .zip(path.iter())
                        .take_while(|(a, b)| a == b)
                        .count();
                    if n == 0 {
                        // different roots (unknown parents): no common ancestor but the root
                        return self.root();
                    }
                    c[..n].to_vec()
                }
            });
        }
        common.and_then(|c| c.last().copied())
    }

    /// The root taxid (a node that is its own parent; 1 in NCBI dumps).
    fn root(&self) -> Option<u64> {
        if self.nodes.get(&1).is_some_and(|n| n.parent == 1) {
            return Some(1);
        }
        self.nodes
            .iter()
            .filter(|(k, n)| n.parent == **k)
            .map(|(k, _)| *k)
            .min()
    }

    /// The taxid whose [`TaxDump::lineage`] equals `lineage` (names compared
    /// with [`normalize_name`]); `None` for an unclassified lineage, a
    /// lineage ending in a placeholder or one the dump does not hold.
    pub fn taxid_of(&self, lineage: &Lineage) -> Option<u64> {
        let rank = lineage.rank()?;
        let key = (rank, normalize_name(lineage.0.last()?));
        let candidates = self.by_name.get(&key)?;
        let want: Vec<String> = lineage.0.iter().map(|n| normalize_name(n)).collect();
        candidates.iter().copied().find(|&t| {
            self.lineage(t).is_some_and(|l| {
                l.0.len() == want.len()
                    && l.0.iter().zip(&want).all(|(a, b)| normalize_name(a) == *b)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cellular_root_is_above_the_domains_and_realm_below_acellular_root() {
        let nodes = "1\t|\t1\t|\tno rank\t|\n131567\t|\t1\t|\tcellular root\t|\n\
                     2\t|\t131567\t|\tdomain\t|\n10239\t|\t1\t|\tacellular root\t|\n\
                     2559587\t|\t10239\t|\trealm\t|\n";
        let names = "1\t|\troot\t|\t\t|\tscientific name\t|\n\
                     131567\t|\tcellular organisms\t|\t\t|\tscientific name\t|\n\
                     2\t|\tBacteria\t|\t\t|\tscientific name\t|\n\
                     10239\t|\tViruses\t|\t\t|\tscientific name\t|\n\
                     2559587\t|\tRiboviria\t|\t\t|\tscientific name\t|\n";
        let td =
            TaxDump::from_readers(nodes.as_bytes(), names.as_bytes(), None::<&[u8]>, "t").unwrap();
        assert_eq!(td.lineage(2).unwrap().0, vec!["Bacteria".to_string()]);
        assert_eq!(td.lineage(131567).unwrap().depth(), 0);
        assert_eq!(td.lineage(2559587).unwrap().0, vec!["Viruses".to_string()]);
        // the label readers' rank column agrees on the cellular ranks
        assert_eq!(Rank::parse("cellular root"), None);
        assert_eq!(Rank::parse("acellular root"), Some(Rank::Domain));
        assert_eq!(Rank::parse("Superkingdom"), Some(Rank::Domain));
    }

    const NODES: &str = "1\t|\t1\t|\tno rank\t|\n\
131567\t|\t1\t|\tno rank\t|\n\
2\t|\t131567\t|\tsuperkingdom\t|\n\
1224\t|\t2\t|\tphylum\t|\n\
1236\t|\t1224\t|\tclass\t|\n\
91347\t|\t1236\t|\torder\t|\n\
543\t|\t91347\t|\tfamily\t|\n\
561\t|\t543\t|\tgenus\t|\n\
562\t|\t561\t|\tspecies\t|\n\
83333\t|\t562\t|\tstrain\t|\n\
900001\t|\t91347\t|\tgenus\t|\n\
48479\t|\t2\t|\tno rank\t|\n\
77133\t|\t48479\t|\tspecies\t|\n\
900030\t|\t561\t|\torder\t|\n\
900031\t|\t900030\t|\tspecies\t|\n\
2759\t|\t131567\t|\tsuperkingdom\t|\n\
900011\t|\t2759\t|\tgenus\t|\n";

    const NAMES: &str = "1\t|\troot\t|\t\t|\tscientific name\t|\n\
131567\t|\tcellular organisms\t|\t\t|\tscientific name\t|\n\
2\t|\tBacteria\t|\t\t|\tscientific name\t|\n\
1224\t|\tProteobacteria\t|\t\t|\tscientific name\t|\n\
1236\t|\tGammaproteobacteria\t|\t\t|\tscientific name\t|\n\
91347\t|\tEnterobacterales\t|\t\t|\tscientific name\t|\n\
543\t|\tEnterobacteriaceae\t|\t\t|\tscientific name\t|\n\
561\t|\tEscherichia\t|\t\t|\tscientific name\t|\n\
562\t|\tEscherichia coli\t|\t\t|\tscientific name\t|\n\
562\t|\tBacillus coli\t|\t\t|\tsynonym\t|\n\
83333\t|\tEscherichia coli K-12\t|\t\t|\tscientific name\t|\n\
900001\t|\tNofamilia\t|\t\t|\tscientific name\t|\n\
48479\t|\tenvironmental samples\t|\t\t|\tscientific name\t|\n\
77133\t|\tuncultured bacterium\t|\t\t|\tscientific name\t|\n\
900030\t|\tStrangeales\t|\t\t|\tscientific name\t|\n\
900031\t|\tStrangeales oddity\t|\t\t|\tscientific name\t|\n\
2759\t|\tEukaryota\t|\t\t|\tscientific name\t|\n\
900011\t|\tEscherichia\t|\t\t|\tscientific name\t|\n";

    fn dump() -> TaxDump {
        TaxDump::from_readers(
            NODES.as_bytes(),
            NAMES.as_bytes(),
            Some("999\t|\t562\t|\n".as_bytes()),
            "mem",
        )
        .unwrap()
    }

    fn l(s: &str) -> Lineage {
        Lineage(s.split(';').map(String::from).collect())
    }

    #[test]
    fn a_strain_gives_the_lineage_of_its_species() {
        let d = dump();
        let want = l("Bacteria;Proteobacteria;Gammaproteobacteria;Enterobacterales;Enterobacteriaceae;Escherichia;Escherichia coli");
        assert_eq!(d.lineage(83333), Some(want.clone()));
        assert_eq!(d.lineage(562), Some(want));
    }

    #[test]
    fn merged_taxids_are_followed() {
        let d = dump();
        assert_eq!(d.lineage(999), d.lineage(562));
        assert_eq!(d.name(999), Some("Escherichia coli"));
    }

    #[test]
    fn missing_ranks_become_placeholders() {
        let d = dump();
        let x = d.lineage(900001).unwrap();
        assert_eq!(x.depth(), 6);
        assert_eq!(
            x.at(Rank::Family),
            Some("unknown family of Enterobacterales")
        );
        let e = d.lineage(77133).unwrap();
        assert_eq!(e.depth(), 7);
        assert_eq!(e.at(Rank::Phylum), Some("unknown phylum of Bacteria"));
    }

    #[test]
    fn the_root_and_groups_above_domains_are_unclassified() {
        let d = dump();
        assert_eq!(d.lineage(1), Some(Lineage::unclassified()));
        assert_eq!(d.lineage(131567), Some(Lineage::unclassified()));
        assert_eq!(d.lineage(424242), None);
    }

    #[test]
    fn ranks_out_of_order_are_skipped_and_counted() {
        let d = dump();
        // 900030 ("order" under a genus) is skipped.
        let x = d.lineage(900031).unwrap();
        assert_eq!(x.at(Rank::Genus), Some("Escherichia"));
        assert_eq!(x.at(Rank::Species), Some("Strangeales oddity"));
        assert_eq!(d.warnings().ranks_out_of_order, 1);
    }

    #[test]
    fn quirks_are_counted_not_fatal() {
        let d = dump();
        let w = d.warnings();
        assert_eq!(w.environmental_or_unclassified, 1);
        assert_eq!(w.same_name_two_parents, 2);
        assert!(!d.warnings().messages().is_empty());
    }

    #[test]
    fn lca_of_two_species_is_their_common_ancestor() {
        let d = dump();
        assert_eq!(d.lca(&[562, 900001]), Some(91347));
        assert_eq!(d.lca(&[562, 0, 424242]), Some(562));
        assert_eq!(d.lca(&[83333, 999]), Some(562));
        assert_eq!(d.lca(&[0]), None);
    }

    #[test]
    fn taxid_of_finds_the_taxon_of_a_lineage_among_homonyms() {
        let d = dump();
        assert_eq!(d.taxid_of(&d.lineage(562).unwrap()), Some(562));
        assert_eq!(d.taxid_of(&d.lineage(900011).unwrap()), Some(900011));
        assert_eq!(d.taxid_of(&d.lineage(561).unwrap()), Some(561));
        assert_eq!(d.taxid_of(&l("Bacteria;Nope")), None);
        assert_eq!(d.taxid_of(&Lineage::unclassified()), None);
    }

    #[test]
    fn a_parent_cycle_is_a_bad_line() {
        let e = TaxDump::from_readers(
            "1\t|\t1\t|\tno rank\t|\n5\t|\t6\t|\tgenus\t|\n6\t|\t5\t|\tfamily\t|\n".as_bytes(),
            "".as_bytes(),
            None::<&[u8]>,
            "d",
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::BadLine { ref source_name, .. } if source_name == "d/nodes.dmp"),
            "{e}"
        );
    }

    #[test]
    fn a_non_numeric_taxid_is_a_bad_line_with_its_number() {
        let e = TaxDump::from_readers(
            "1\t|\t1\t|\tno rank\t|\nx\t|\t1\t|\tgenus\t|\n".as_bytes(),
            "".as_bytes(),
            None::<&[u8]>,
            "d",
        )
        .unwrap_err();
        assert_eq!(
            e,
            Error::BadLine {
                source_name: "d/nodes.dmp".into(),
                line: 2,
                reason: "taxid 'x' is not a taxid".into()
            }
        );
    }

    #[test]
    fn an_empty_nodes_file_is_invalid() {
        let e =
            TaxDump::from_readers("".as_bytes(), "".as_bytes(), None::<&[u8]>, "d").unwrap_err();
        assert!(matches!(e, Error::Invalid(_)));
    }
}
