//! `taxdistill embed`: GenomeOcean embeddings of contigs, sharded and resumable.
//!
//! Output directory: `embeddings.safetensors` (tensor `embeddings`, f32,
//! `[n_contigs, hidden]`), `contigs.txt` (ids in row order) and `shard.json`
//! (which shard of how many contigs, read by `merge`). Rows are committed to
//! `<out>.checkpoint` every `--checkpoint-every` contigs; a rerun with the same
//! arguments resumes from it, and it is deleted once the output is in place.
//! Contigs are processed in fixed chunks of `--checkpoint-every`, so a resumed
//! run computes bit-for-bit the rows an uninterrupted run would.

use crate::util;
use anyhow::{bail, Context, Result};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use taxdistill_teacher::genomeocean::{GenomeOcean, LoadOptions};
use taxdistill_teacher::shard::{fingerprint, Checkpoint, Shard, ShardInfo};

/// Arguments of `taxdistill embed`.
#[derive(clap::Args)]
pub struct Args {
    /// GenomeOcean (Hugging Face) model directory (config.json, tokenizer.json, tokenizer_config.json, *.safetensors).
    #[arg(long, value_name = "GENOMEOCEAN_DIR")]
    pub genomeocean: PathBuf,
    /// Contigs (FASTA, optionally gzip-compressed).
    #[arg(long)]
    pub contigs: PathBuf,
    /// Output directory (embeddings.safetensors, contigs.txt, shard.json).
    #[arg(long)]
    pub out: PathBuf,
    /// Windows per forward pass (halved automatically on GPU out-of-memory).
    #[arg(long, default_value_t = 8)]
    pub batch_size: usize,
    /// Tokens per window W, [CLS] and [SEP] included (default: model_max_length capped by max_position_embeddings).
    #[arg(long)]
    pub window_tokens: Option<usize>,
    /// Embed only shard i of n (1-based: 1/4 … 4/4); contig k goes to shard k mod n + 1.
    #[arg(long, default_value = "1/1", value_parser = parse_shard)]
    pub shard: Shard,
    /// Commit results to the checkpoint every N contigs.
    #[arg(long, default_value_t = 256)]
    pub checkpoint_every: usize,
    /// Skip contigs shorter than this many bases (they get no row).
    #[arg(long, default_value_t = 0)]
    pub min_length: usize,
    /// Checkpoint file [default: <out>.checkpoint].
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Run on the CPU even in a CUDA build.
    #[arg(long)]
    pub cpu: bool,
}

fn parse_shard(s: &str) -> std::result::Result<Shard, String> {
    s.parse::<Shard>().map_err(|e| e.to_string())
}

/// `<out>.checkpoint` next to the output directory.
fn default_checkpoint(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(|| "embed".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!("{name}.checkpoint"))
}

/// Fingerprint of everything that determines the rows: model files, window, shard, contigs.
fn run_fingerprint(
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

pub fn run(args: Args) -> Result<()> {
    if args.batch_size == 0 || args.checkpoint_every == 0 {
        bail!("--batch-size and --checkpoint-every must be at least 1");
    }
    let reader = util::open_text(&args.contigs)?;
    let contigs = taxdistill_core::fasta::read_contigs(reader, &util::name(&args.contigs))
        .with_context(|| format!("{}: cannot read contigs", args.contigs.display()))?;
    let mut seen = HashSet::new();
    for c in &contigs {
        if !seen.insert(c.id.as_str()) {
            bail!(
                "{}: contig id {} occurs twice",
                args.contigs.display(),
                c.id
            );
        }
    }
    let kept: Vec<&taxdistill_core::fasta::Contig> = contigs
        .iter()
        .filter(|c| c.seq.len() >= args.min_length)
        .collect();
    if kept.len() < contigs.len() {
        tracing::warn!(
            "{} of {} contigs are shorter than --min-length {} and are skipped",
            contigs.len() - kept.len(),
            contigs.len(),
            args.min_length
        );
    }
    let mine: Vec<&taxdistill_core::fasta::Contig> = args
        .shard
        .items(kept.len())
        .into_iter()
        .map(|k| kept[k])
        .collect();

    let opts = LoadOptions {
        window_tokens: args.window_tokens,
        force_cpu: args.cpu,
        ..Default::default()
    };
    let model = GenomeOcean::load(&args.genomeocean, &opts)
        .with_context(|| format!("loading GenomeOcean from {}", args.genomeocean.display()))?;
    let dim = model.hidden_size();
    let window = model.tokenizer.window();
    tracing::info!(
        "model {}: hidden {dim}, {} layers, window {window} tokens",
        args.genomeocean.display(),
        model.config.num_hidden_layers
    );

    let ids: Vec<&str> = mine.iter().map(|c| c.id.as_str()).collect();
    let fp = run_fingerprint(&args.genomeocean, window, args.shard, kept.len(), &ids)?;
    let ckpt_path = args
        .checkpoint
        .clone()
        .unwrap_or_else(|| default_checkpoint(&args.out));
    let (mut ckpt, resumed) = Checkpoint::open(&ckpt_path, dim, fp)
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
            args.shard,
            ckpt_path.display(),
            done.len(),
            mine.len()
        );
    }

    let pb = util::progress(mine.len() as u64, "embed");
    let start = Instant::now();
    let mut tokens = 0usize;
    let mut empty = 0usize;
    for chunk in mine.chunks(args.checkpoint_every) {
        if chunk.iter().all(|c| done.contains_key(&c.id)) {
            pb.inc(chunk.len() as u64);
            continue;
        }
        let seqs: Vec<&[u8]> = chunk.iter().map(|c| c.seq.as_slice()).collect();
        let rows = model
            .embed(&seqs, args.batch_size)
            .with_context(|| format!("embedding contigs {}…", chunk[0].id))?;
        for (c, e) in chunk.iter().zip(rows) {
            tokens += e.tokens;
            if e.tokens == 0 {
                empty += 1;
                tracing::warn!(
                    "{}: contig {} has no A/C/G/T; its embedding is a zero row",
                    args.contigs.display(),
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
    for c in &mine {
        data.extend_from_slice(
            done.get(&c.id)
                .context("internal: a contig has no row after embedding")?,
        );
    }
    let info = ShardInfo {
        kind: "embeddings".into(),
        shard: args.shard,
        total: kept.len(),
        rows: mine.len(),
    };
    write_embeddings(&args.out, &ids, dim, data, &info)?;
    ckpt.remove()
        .with_context(|| format!("{}: cannot remove checkpoint", ckpt_path.display()))?;
    Ok(())
}

/// Writes an embeddings directory atomically.
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
