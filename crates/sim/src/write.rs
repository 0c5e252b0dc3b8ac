//! Renders a [`Community`] into its output files, each into any `Write`.
//!
//! | function | file | format |
//! |---|---|---|
//! | [`write_fasta`] | `contigs.fna` | FASTA, 80 columns, header `>id len=N` |
//! | [`write_abundance`] | `abundance.tsv` | vamb: `contigname\tsample1…`, mean depth |
//! | [`write_truth`] | `truth.tsv` | Taxometer input: `contigs\tpredictions`, full lineage |
//! | [`write_labels`] | `labels.tsv` | Taxometer input: noisy labels, empty = unclassified |
//! | [`write_mmseqs2`] | `raw/mmseqs2_lca.tsv` | MMseqs2 `easy-taxonomy` `_lca.tsv` with `--tax-lineage 1` |
//! | [`write_kraken2`] | `raw/kraken2.out` | Kraken2 standard output |
//! | [`write_taxdump`] | `raw/taxdump/{nodes,names,merged}.dmp` | NCBI taxdump |

use crate::errors::{write_err, Result};
use crate::names::{CELLULAR_ORGANISMS_TAXID, ROOT_TAXID};
use crate::tree::Lineage;
use crate::{Community, LabelKind, LabelModel, NOVELTY};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;

/// Writes all contigs as FASTA (80 columns).
///
/// # Errors
/// [`crate::Error::Write`] if the writer fails.
pub fn write_fasta<W: Write>(c: &Community, w: W) -> Result<()> {
    write_fasta_with(c, w, &mut |_| {})
}

/// [`write_fasta`] calling `progress(bases)` after each contig (for progress bars).
///
/// # Errors
/// [`crate::Error::Write`] if the writer fails.
pub fn write_fasta_with<W: Write>(
    c: &Community,
    mut w: W,
    progress: &mut dyn FnMut(usize),
) -> Result<()> {
    for i in 0..c.contigs.len() {
        write_fasta_range(c, i..i + 1, &mut w)?;
        progress(c.contigs[i].len);
    }
    w.flush().map_err(write_err("FASTA"))
}

/// Writes the contigs with indices in `range` as FASTA, so that callers can
/// render chunks in parallel and concatenate them in order (same bytes as
/// [`write_fasta`]). An out-of-range end is clipped.
///
/// # Errors
/// [`crate::Error::Write`] if the writer fails.
pub fn write_fasta_range<W: Write>(
    c: &Community,
    range: std::ops::Range<usize>,
    mut w: W,
) -> Result<()> {
    let e = write_err("FASTA");
    let end = range.end.min(c.contigs.len());
    for i in range.start.min(end)..end {
        let rec = &c.contigs[i];
        let seq = c.sequence(i);
        writeln!(w, ">{} len={}", rec.id, rec.len).map_err(&e)?;
        for line in seq.chunks(80) {
            w.write_all(line).map_err(&e)?;
            w.write_all(b"\n").map_err(&e)?;
        }
    }
    Ok(())
}

/// Writes vamb's `abundance.tsv`: `contigname` + one column per sample, mean depth.
///
/// # Errors
/// [`crate::Error::Write`] if the writer fails.
pub fn write_abundance<W: Write>(c: &Community, mut w: W) -> Result<()> {
    let e = write_err("abundance");
    write!(w, "contigname").map_err(&e)?;
    for s in &c.samples {
        write!(w, "\t{s}").map_err(&e)?;
    }
    writeln!(w).map_err(&e)?;
    for rec in &c.contigs {
        w.write_all(rec.id.as_bytes()).map_err(&e)?;
        for d in &rec.depth {
            write!(w, "\t{d:.6}").map_err(&e)?;
        }
        writeln!(w).map_err(&e)?;
    }
    w.flush().map_err(&e)
}

fn write_lineages<W: Write>(
    mut w: W,
    what: &'static str,
    rows: impl Iterator<Item = (String, Lineage)>,
) -> Result<()> {
    let e = write_err(what);
    writeln!(w, "contigs\tpredictions").map_err(&e)?;
    for (id, lin) in rows {
        writeln!(w, "{id}\t{}", lin.join(";")).map_err(&e)?;
    }
    w.flush().map_err(&e)
}

/// Writes the truth in Taxometer's input format (`contigs\tpredictions`,
/// `;`-joined names domain … species, no prefixes).
///
/// # Errors
/// [`crate::Error::Write`] if the writer fails.
pub fn write_truth<W: Write>(c: &Community, w: W) -> Result<()> {
    write_lineages(
        w,
        "truth",
        c.contigs
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), c.truth(i).clone())),
    )
}

/// Writes the noisy labels in Taxometer's input format (empty = unclassified).
///
/// # Errors
/// [`crate::Error::Write`] if the writer fails.
pub fn write_labels<W: Write>(c: &Community, w: W) -> Result<()> {
    write_lineages(
        w,
        "labels",
        c.contigs
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), c.label(i))),
    )
}

/// Realistic model: (assigned fragments / fragments, agreeing / assigned)
/// ranges of a label of this kind.
fn mmseqs2_shares(kind: LabelKind) -> ((f64, f64), (f64, f64)) {
    match kind {
        LabelKind::Correct => ((0.7, 1.0), (0.85, 1.0)),
        LabelKind::Novel | LabelKind::Shallow => ((0.5, 1.0), (0.5, 0.9)),
        LabelKind::Nearest => ((0.4, 0.9), (0.5, 0.85)),
        LabelKind::Wrong | LabelKind::Unclassified => ((0.3, 0.8), (0.4, 0.8)),
    }
}

/// A uniform count between `lo·n` and `hi·n` (rounded inwards).
fn share_of(rng: &mut ChaCha8Rng, n: usize, (lo, hi): (f64, f64)) -> usize {
    let a = (lo * n as f64).ceil() as usize;
    let b = ((hi * n as f64).floor() as usize).max(a).min(n.max(a));
    rng.random_range(a..=b)
}

/// Writes the labels as MMseqs2 `easy-taxonomy` `_lca.tsv` with
/// `--tax-lineage 1`: `query, taxid, rank, name, fragments, assigned
/// fragments, agreeing fragments, support, lineage`, where the lineage is
/// `-_cellular organisms;d_…;p_…;…`. Unclassified: `0, no rank,
/// unclassified` and an empty lineage.
///
/// # Errors
/// [`crate::Error::Write`] if the writer fails.
pub fn write_mmseqs2<W: Write>(c: &Community, mut w: W) -> Result<()> {
    let e = write_err("MMseqs2 LCA");
    let tax = &c.taxonomy;
    let realistic = c.config.label_model == LabelModel::Realistic;
    for rec in &c.contigs {
        let novel = c.genomes[rec.genome].reference_depth < 7;
        // fragments = predicted ORFs, about one per kbp; derived from the
        // contig's seed so the file does not shift other draws
        let mut rng = ChaCha8Rng::seed_from_u64(rec.seed ^ 0x6d6d_7365_7173);
        let n_frag = (rec.len / 1000).max(1) + rng.random_range(0..=rec.len / 3000);
        match rec.label_taxon {
            None => {
                // realistic: a novel genome's unclassified contig rarely has
                // any assigned fragment (nothing close in the reference)
                let (p_any, max_share) = match (realistic, novel) {
                    (false, _) => (0.3, 2),
                    (true, false) => (0.3, 2),
                    (true, true) => (0.1, 4),
                };
                let assigned = if rng.random_bool(p_any) {
                    rng.random_range(0..=n_frag / max_share)
                } else {
                    0
                };
                writeln!(
                    w,
                    "{}\t0\tno rank\tunclassified\t{n_frag}\t{assigned}\t0\t0.000\t",
                    rec.id
                )
                .map_err(&e)?;
            }
            Some(t) => {
                let taxon = &tax.taxa[t];
                let (assigned, agree) = if realistic {
                    // fewer fragments hit and fewer agree for a relative's or
                    // a wrong label than for the right one
                    let (a, b) = mmseqs2_shares(rec.label_kind);
                    let assigned = share_of(&mut rng, n_frag, a).max(1);
                    (assigned, share_of(&mut rng, assigned, b).max(1))
                } else {
                    let assigned = rng.random_range(n_frag.div_ceil(2)..=n_frag).max(1);
                    let agree = rng.random_range(assigned.div_ceil(2)..=assigned).max(1);
                    (assigned, agree)
                };
                let support = agree as f64 / assigned as f64;
                let mut lineage = String::from("-_cellular organisms");
                for &p in &tax.path(t) {
                    let x = &tax.taxa[p];
                    lineage.push(';');
                    lineage.push(x.rank.prefix());
                    lineage.push('_');
                    lineage.push_str(&x.name);
                }
                writeln!(
                    w,
                    "{}\t{}\t{}\t{}\t{n_frag}\t{assigned}\t{agree}\t{support:.3}\t{lineage}",
                    rec.id,
                    taxon.taxid,
                    taxon.rank.ncbi_name(),
                    taxon.name
                )
                .map_err(&e)?;
            }
        }
    }
    w.flush().map_err(&e)
}

/// Writes the labels as Kraken2 standard output: `C/U, id, taxid, length,
/// k-mer LCA mappings` (k = 35; `taxid:count` runs, `A:count` over k-mers
/// touching `N`, `0:count` for k-mers without a hit). Some labels use a
/// merged (old) taxid, resolved through `merged.dmp`.
///
/// # Errors
/// [`crate::Error::Write`] if the writer fails.
pub fn write_kraken2<W: Write>(c: &Community, mut w: W) -> Result<()> {
    const K: usize = 35;
    let e = write_err("Kraken2 output");
    let tax = &c.taxonomy;
    let realistic = c.config.label_model == LabelModel::Realistic;
    let all_taxids: Vec<u32> = tax
        .taxa
        .iter()
        .filter(|t| t.in_reference)
        .map(|t| t.taxid)
        .collect();
    for rec in &c.contigs {
        let mut rng = ChaCha8Rng::seed_from_u64(rec.seed ^ 0x6b72_616b_656e);
        let n_kmers = rec.len.saturating_sub(K - 1);
        // ambiguous k-mers: those overlapping an N run
        let mut amb = vec![false; n_kmers];
        for &(s, l) in &rec.n_runs {
            let from = s.saturating_sub(K - 1);
            let to = (s + l).min(n_kmers);
            for a in amb.iter_mut().take(to).skip(from) {
                *a = true;
            }
        }
        let (flag, taxid) = match rec.label_taxon {
            None => ('U', 0u32),
            Some(t) => ('C', rec.kraken_merged_id.unwrap_or(tax.taxa[t].taxid)),
        };
        let parent_taxid = rec
            .label_taxon
            .and_then(|t| tax.taxa[t].parent)
            .map_or(ROOT_TAXID, |p| tax.taxa[p].taxid);
        // k-mer mixture: cumulative shares of the label's taxid, no hit, the
        // label's parent, then any taxon; for unclassified contigs the share
        // of no hit and of a few k-mers near the truth (`hint_taxid`)
        let genome = &c.genomes[rec.genome];
        let (mix, unc_zero, unc_hint, hint_taxid) = if realistic {
            let novel = genome.reference_depth < 7;
            let mix = match rec.label_kind {
                LabelKind::Correct => [0.65, 0.85, 0.97],
                LabelKind::Nearest => [0.3, 0.8, 0.95],
                LabelKind::Novel | LabelKind::Shallow => [0.35, 0.85, 0.95],
                LabelKind::Wrong | LabelKind::Unclassified => [0.3, 0.75, 0.85],
            };
            let path = tax.path(genome.species);
            let hint = genome.relatives.first().copied().or_else(|| {
                genome
                    .reference_depth
                    .checked_sub(1)
                    .map(|d| path[d.min(path.len() - 1)])
            });
            let hint_taxid = hint.map_or(0, |t| tax.taxa[t].taxid);
            let (z, h) = if novel { (0.97, 0.99) } else { (0.85, 0.97) };
            (mix, z, h, hint_taxid)
        } else {
            ([0.6, 0.85, 0.95], 0.9, 0.9, 0)
        };
        let mut runs: Vec<(String, usize)> = Vec::new();
        let mut pos = 0;
        while pos < n_kmers {
            let (label, len) = if amb[pos] {
                let len = amb[pos..].iter().take_while(|&&a| a).count();
                ("A".to_string(), len)
            } else {
                let max = amb[pos..].iter().take_while(|&&a| !a).count();
                let len = rng.random_range(1..=80usize).min(max);
                let x: f64 = rng.random();
                let label = if taxid == 0 {
                    if x < unc_zero || all_taxids.is_empty() {
                        0
                    } else if x < unc_hint {
                        hint_taxid
                    } else {
                        all_taxids[rng.random_range(0..all_taxids.len())]
                    }
                } else if x < mix[0] {
                    taxid
                } else if x < mix[1] {
                    0
                } else if x < mix[2] {
                    parent_taxid
                } else if all_taxids.is_empty() {
                    0
                } else {
                    all_taxids[rng.random_range(0..all_taxids.len())]
                };
                (label.to_string(), len)
            };
            match runs.last_mut() {
                Some((l, n)) if *l == label => *n += len,
                _ => runs.push((label, len)),
            }
            pos += len;
        }
        let kmers: Vec<String> = runs.iter().map(|(l, n)| format!("{l}:{n}")).collect();
        writeln!(
            w,
            "{flag}\t{}\t{taxid}\t{}\t{}",
            rec.id,
            rec.len,
            kmers.join(" ")
        )
        .map_err(&e)?;
    }
    w.flush().map_err(&e)
}

/// Writes an NCBI taxdump: `nodes.dmp` (root 1, `cellular organisms` 131567
/// without rank, then superkingdom … species), `names.dmp` (scientific names)
/// and `merged.dmp` (old → current taxid).
///
/// # Errors
/// [`crate::Error::Write`] if a writer fails.
pub fn write_taxdump<N: Write, M: Write, G: Write>(
    c: &Community,
    mut nodes: N,
    mut names: M,
    mut merged: G,
) -> Result<()> {
    let e = write_err("taxdump");
    let node = |w: &mut N, id: u32, parent: u32, rank: &str, div: u8| {
        writeln!(w, "{id}\t|\t{parent}\t|\t{rank}\t|\t\t|\t{div}\t|\t0\t|\t11\t|\t0\t|\t0\t|\t0\t|\t0\t|\t0\t|\t\t|")
    };
    let name =
        |w: &mut M, id: u32, n: &str| writeln!(w, "{id}\t|\t{n}\t|\t\t|\tscientific name\t|");
    node(&mut nodes, ROOT_TAXID, ROOT_TAXID, "no rank", 8).map_err(&e)?;
    name(&mut names, ROOT_TAXID, "root").map_err(&e)?;
    node(
        &mut nodes,
        CELLULAR_ORGANISMS_TAXID,
        ROOT_TAXID,
        "no rank",
        8,
    )
    .map_err(&e)?;
    name(&mut names, CELLULAR_ORGANISMS_TAXID, "cellular organisms").map_err(&e)?;
    let tax = &c.taxonomy;
    for t in &tax.taxa {
        let parent = t
            .parent
            .map_or(CELLULAR_ORGANISMS_TAXID, |p| tax.taxa[p].taxid);
        node(&mut nodes, t.taxid, parent, t.rank.ncbi_name(), 0).map_err(&e)?;
        name(&mut names, t.taxid, &t.name).map_err(&e)?;
    }
    for (old, new) in &tax.merged {
        writeln!(merged, "{old}\t|\t{new}\t|").map_err(&e)?;
    }
    nodes.flush().map_err(&e)?;
    names.flush().map_err(&e)?;
    merged.flush().map_err(&e)
}

/// Writes `README.txt`: what each file is, the settings and label tallies.
///
/// # Errors
/// [`crate::Error::Write`] if the writer fails.
pub fn write_readme<W: Write>(c: &Community, mut w: W) -> Result<()> {
    let e = write_err("README");
    let n = c.contigs.len().max(1) as f64;
    let short = c.contigs.iter().filter(|r| r.len < 2000).count();
    let novel = c.genomes.iter().filter(|g| g.reference_depth < 7).count();
    let text = format!(
        "Simulated by `taxdistill simulate` (taxdistill-sim {}).\n\n\
         contigs.fna.gz          contigs ({} contigs, {} bp, {} shorter than 2,000 bp)\n\
         abundance.tsv           mean depth per sample (vamb abundance.tsv)\n\
         truth.tsv               true lineages (Taxometer input format)\n\
         labels.tsv              noisy labels (Taxometer input format; empty = unclassified)\n\
         raw/mmseqs2_lca.tsv     the same labels as MMseqs2 easy-taxonomy _lca.tsv (--tax-lineage 1)\n\
         raw/kraken2.out         the same labels as Kraken2 standard output\n\
         raw/taxdump/            NCBI taxdump (nodes.dmp, names.dmp, merged.dmp) for the raw files\n\n\
         genomes: {} ({} with a species absent from the reference)\n\n[settings]\n{}\n[labels]\n",
        env!("CARGO_PKG_VERSION"),
        c.contigs.len(),
        c.total_length(),
        short,
        c.genomes.len(),
        novel,
        c.config.describe()
    );
    w.write_all(text.as_bytes()).map_err(&e)?;
    for (k, count) in c.label_counts() {
        writeln!(
            w,
            "{:<13} {:>8} ({:.1}%)",
            k.name(),
            count,
            100.0 * count as f64 / n
        )
        .map_err(&e)?;
    }
    // the same kinds per novelty class of the contig's genome
    let by = c.label_counts_by_novelty();
    let mut genomes = [0usize; 4];
    for g in &c.genomes {
        genomes[NOVELTY.iter().position(|&x| x == g.novelty()).unwrap_or(3)] += 1;
    }
    let mut totals = [0usize; 4];
    for (_, row) in &by {
        for (t, x) in totals.iter_mut().zip(row) {
            *t += x;
        }
    }
    writeln!(
        w,
        "\n[labels by genome novelty]\n(contigs; % of the column; genomes: {})",
        NOVELTY
            .iter()
            .zip(genomes)
            .map(|(n, g)| format!("{n} {g}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
    .map_err(&e)?;
    write!(w, "{:<13}", "kind").map_err(&e)?;
    for name in NOVELTY {
        write!(w, " {name:>21}").map_err(&e)?;
    }
    writeln!(w).map_err(&e)?;
    for (k, row) in &by {
        write!(w, "{:<13}", k.name()).map_err(&e)?;
        for (x, t) in row.iter().zip(totals) {
            let cell = format!("{x} ({:.1}%)", 100.0 * *x as f64 / t.max(1) as f64);
            write!(w, " {cell:>21}").map_err(&e)?;
        }
        writeln!(w).map_err(&e)?;
    }
    w.flush().map_err(&e)
}
