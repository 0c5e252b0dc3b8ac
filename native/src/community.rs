//! The files of a simulated community, as `taxdistill simulate` and
//! `taxdistill-bench` write them: `DIR/contigs.fna.gz`, `abundance.tsv`,
//! `truth.tsv`, `labels.tsv`, `raw/mmseqs2_lca.tsv`, `raw/kraken2.out`,
//! `raw/taxdump/{nodes,names,merged}.dmp` and `README.txt`, each atomically.

use crate::util;
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::io::Write;
use std::path::Path;

/// Writes one file atomically, naming it in the error.
fn write_file(
    path: &Path,
    f: impl FnOnce(&mut dyn Write) -> taxdistill_sim::Result<()>,
) -> Result<()> {
    util::write_atomic(path, |w| {
        f(w).with_context(|| format!("{}: cannot write", path.display()))
    })
}

/// Writes every output file of a simulated community into `out` (the files
/// listed in the module doc), each atomically; `gzip_level` 0-9 for the FASTA.
/// Also used by `taxdistill-bench`.
///
/// # Errors
/// A file cannot be written.
pub fn write_community(c: &taxdistill_sim::Community, out: &Path, gzip_level: u32) -> Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create directory", out.display()))?;

    // contigs are rendered in parallel batches and compressed in order into
    // one gzip stream, so the bytes do not depend on the number of threads
    let pb = util::progress(c.total_length(), "contigs.fna.gz");
    let level = flate2::Compression::new(gzip_level);
    write_file(&out.join("contigs.fna.gz"), |w| {
        let werr = |e: std::io::Error| taxdistill_sim::Error::Write {
            what: "FASTA",
            reason: e.to_string(),
        };
        let mut gz = flate2::write::GzEncoder::new(w, level);
        let n = c.contigs.len();
        let chunks: Vec<std::ops::Range<usize>> =
            (0..n).step_by(256).map(|s| s..(s + 256).min(n)).collect();
        for batch in chunks.chunks(32) {
            let parts: Vec<taxdistill_sim::Result<Vec<u8>>> = batch
                .par_iter()
                .map(|r| {
                    let mut v = Vec::new();
                    taxdistill_sim::write_fasta_range(c, r.clone(), &mut v)?;
                    Ok(v)
                })
                .collect();
            for (part, r) in parts.into_iter().zip(batch) {
                gz.write_all(&part?).map_err(werr)?;
                pb.inc(c.contigs[r.clone()].iter().map(|x| x.len as u64).sum());
            }
        }
        gz.try_finish().map_err(werr)
    })?;
    pb.finish_and_clear();

    write_file(&out.join("abundance.tsv"), |w| {
        taxdistill_sim::write_abundance(c, w)
    })?;
    write_file(&out.join("truth.tsv"), |w| {
        taxdistill_sim::write_truth(c, w)
    })?;
    write_file(&out.join("labels.tsv"), |w| {
        taxdistill_sim::write_labels(c, w)
    })?;
    let raw = out.join("raw");
    write_file(&raw.join("mmseqs2_lca.tsv"), |w| {
        taxdistill_sim::write_mmseqs2(c, w)
    })?;
    write_file(&raw.join("kraken2.out"), |w| {
        taxdistill_sim::write_kraken2(c, w)
    })?;
    let (mut nodes, mut names, mut merged) = (Vec::new(), Vec::new(), Vec::new());
    taxdistill_sim::write_taxdump(c, &mut nodes, &mut names, &mut merged)?;
    let dump = raw.join("taxdump");
    for (file, bytes) in [
        ("nodes.dmp", &nodes),
        ("names.dmp", &names),
        ("merged.dmp", &merged),
    ] {
        let path = dump.join(file);
        util::write_atomic(&path, |w| {
            w.write_all(bytes)
                .with_context(|| format!("{}: cannot write", path.display()))
        })?;
    }
    write_file(&out.join("README.txt"), |w| {
        taxdistill_sim::write_readme(c, w)
    })?;
    tracing::info!(
        "simulated {} contigs ({} bp) into {}",
        c.contigs.len(),
        c.total_length(),
        out.display()
    );
    Ok(())
}
