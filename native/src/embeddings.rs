//! GenomeOcean embeddings as `taxdistill embed` computes and writes them,
//! and as `merge` joins them: the output directory (`embeddings.safetensors`,
//! tensor `embeddings` f32 `[n_contigs, hidden]`, `contigs.txt`,
//! `shard.json`), the run's fingerprint and the checkpointed, resumable
//! embedding of one shard.
//!
//! Contigs are processed in fixed chunks of `every`, so a resumed run
//! computes bit-for-bit the rows an uninterrupted run would.

use crate::util;
use anyhow::{bail, Context, Result};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use taxdistill_core::fasta::Contig;
use taxdistill_teacher::genomeocean::GenomeOcean;
use taxdistill_teacher::shard::{fingerprint, Checkpoint, Shard, ShardInfo};

/// The contigs of a FASTA, whose ids must be unique.
///
/// # Errors
/// An unreadable FASTA or an id that occurs twice.
pub fn read_unique_contigs(path: &Path) -> Result<Vec<Contig>> {
    let reader = util::open_text(path)?;
    let contigs = taxdistill_core::fasta::read_contigs(reader, &util::name(path))
        .with_context(|| format!("{}: cannot read contigs", path.display()))?;
    let mut seen = HashSet::new();
    for c in &contigs {
        if !seen.insert(c.id.as_str()) {
            bail!("{}: contig id {} occurs twice", path.display(), c.id);
        }
    }
    Ok(contigs)
}

/// `<out>.checkpoint` next to the output directory.
pub fn default_checkpoint(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(|| "embed".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!("{name}.checkpoint"))
}

/// Fingerprint of everything that determines the rows: model files, window, shard, contigs.
///
/// # Errors
/// The model directory cannot be read.
pub fn run_fingerprint(
    model: &Path,
    window: usize,
    shard: Shard,
    total: usize,
    ids: &[&str],
) -> Result<u64> {
    let mut parts: Vec<Vec<u8>> = Vec::new();
    for f in ["config.json", "tokenizer.json"] {
        parts.push(
            std::fs::read(model.join(f))
                .with_context(|| format!("{}: cannot read", model.join(f).display()))?,
        );
    }
    let mut weights: Vec<(String, u64)> = std::fs::read_dir(model)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "safetensors"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().map(|m| m.len()).unwrap_or(0),
            )
        })
        .collect();
    weights.sort();
    parts.push(format!("{weights:?} W={window} shard={shard} total={total}").into_bytes());
    Ok(fingerprint(
        parts
            .iter()
            .map(|p| p.as_slice())
            .chain(ids.iter().map(|i| i.as_bytes())),
    ))
}

/// One shard's embedding: its contigs in row order and where progress is kept.
pub struct EmbedJob<'a> {
    /// The shard's contigs, in row order.
    pub contigs: &'a [&'a Contig],
    /// The FASTA they come from (named in warnings).
    pub fasta: &'a Path,
    /// Which shard this is (named in warnings).
    pub shard: Shard,
    /// The checkpoint file.
    pub checkpoint: &'a Path,
    /// [`run_fingerprint`] of this run: a checkpoint of another run is not resumed.
    pub fingerprint: u64,
    /// Windows per forward pass.
    pub batch_size: usize,
    /// Contigs per chunk, committed to the checkpoint together.
    pub every: usize,
}

impl EmbedJob<'_> {
    /// Embeds the contigs with `model`, resuming from and committing to the
    /// checkpoint; returns the rows (row-major `[contigs, hidden]`) and the
    /// checkpoint, to remove once the output is in place.
    ///
    /// # Errors
    /// The checkpoint cannot be opened or written, or the model fails.
    pub fn run(&self, model: &GenomeOcean) -> Result<(Vec<f32>, Checkpoint)> {
        let (mine, ckpt_path, dim) = (self.contigs, self.checkpoint, model.hidden_size());
        let (mut ckpt, resumed) = Checkpoint::open(ckpt_path, dim, self.fingerprint)
            .with_context(|| format!("{}: cannot open checkpoint", ckpt_path.display()))?;
        if resumed.dropped > 0 {
            tracing::warn!(
                "{}: dropped a torn tail of {} bytes",
                ckpt_path.display(),
                resumed.dropped
            );
        }
        let mut done: HashMap<String, Vec<f32>> = resumed.records.into_iter().collect();
        if !done.is_empty() {
            tracing::warn!(
                "resuming shard {} from {} ({} of {} contigs done)",
                self.shard,
                ckpt_path.display(),
                done.len(),
                mine.len()
            );
        }

        let pb = util::progress(mine.len() as u64, "embed");
        let start = Instant::now();
        let mut tokens = 0usize;
        let mut empty = 0usize;
        for chunk in mine.chunks(self.every) {
            if chunk.iter().all(|c| done.contains_key(&c.id)) {
                pb.inc(chunk.len() as u64);
                continue;
            }
            let seqs: Vec<&[u8]> = chunk.iter().map(|c| c.seq.as_slice()).collect();
            let rows = model
                .embed(&seqs, self.batch_size)
                .with_context(|| format!("embedding contigs {}…", chunk[0].id))?;
            for (c, e) in chunk.iter().zip(rows) {
                tokens += e.tokens;
                if e.tokens == 0 {
                    empty += 1;
                    tracing::warn!(
                        "{}: contig {} has no A/C/G/T; its embedding is a zero row",
                        self.fasta.display(),
                        c.id
                    );
                }
                if !done.contains_key(&c.id) {
                    ckpt.append(&c.id, &e.row)?;
                    done.insert(c.id.clone(), e.row);
                }
            }
            ckpt.commit()
                .with_context(|| format!("{}: cannot write checkpoint", ckpt_path.display()))?;
            pb.inc(chunk.len() as u64);
            let secs = start.elapsed().as_secs_f64().max(1e-9);
            pb.set_message(format!("{:.0} tok/s", tokens as f64 / secs));
        }
        pb.finish_and_clear();
        let secs = start.elapsed().as_secs_f64();
        tracing::info!(
            "embedded {} contigs, {tokens} tokens in {secs:.1}s ({:.0} tokens/s); {empty} zero rows",
            mine.len(),
            tokens as f64 / secs.max(1e-9)
        );

        let mut data = Vec::with_capacity(mine.len() * dim);
        for c in mine {
            data.extend_from_slice(
                done.get(&c.id)
                    .context("internal: a contig has no row after embedding")?,
            );
        }
        Ok((data, ckpt))
    }
}

/// Writes an embeddings directory atomically: `ids` in row order, `data`
/// row-major `[ids.len(), dim]`, and `info` as `shard.json`.
///
/// # Errors
/// The directory cannot be written.
pub fn write_embeddings(
    out: &Path,
    ids: &[&str],
    dim: usize,
    data: Vec<f32>,
    info: &ShardInfo,
) -> Result<()> {
    let bytes = taxdistill_core::model::write_safetensors(&[(
        "embeddings".to_string(),
        vec![ids.len(), dim],
        data,
    )])?;
    util::write_dir_atomic(out, |dir| {
        std::fs::write(dir.join("embeddings.safetensors"), &bytes)?;
        let mut txt = std::io::BufWriter::new(std::fs::File::create(dir.join("contigs.txt"))?);
        for id in ids {
            writeln!(txt, "{id}")?;
        }
        txt.flush()?;
        std::fs::write(dir.join("shard.json"), serde_json::to_vec_pretty(info)?)?;
        Ok(())
    })
    .with_context(|| format!("{}: cannot write embeddings", out.display()))
}
