//! `taxdistill embed`: GenomeOcean embeddings of contigs, sharded and resumable.
//!
//! Output directory: `embeddings.safetensors` (tensor `embeddings`, f32,
//! `[n_contigs, hidden]`), `contigs.txt` (ids in row order) and `shard.json`
//! (which shard of how many contigs, read by `merge`). Rows are committed to
//! `<out>.checkpoint` every `--checkpoint-every` contigs; a rerun with the same
//! arguments resumes from it, and it is deleted once the output is in place.
//! Contigs are processed in fixed chunks of `--checkpoint-every`, so a resumed
//! run computes bit-for-bit the rows an uninterrupted run would
//! ([`crate::embeddings`]).

use crate::args::parse_shard;
use crate::embeddings::{
    default_checkpoint, read_unique_contigs, run_fingerprint, write_embeddings, EmbedJob,
};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use taxdistill_core::fasta::Contig;
use taxdistill_teacher::genomeocean::{GenomeOcean, LoadOptions};
use taxdistill_teacher::shard::{Shard, ShardInfo};

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

pub fn run(args: Args) -> Result<()> {
    if args.batch_size == 0 || args.checkpoint_every == 0 {
        bail!("--batch-size and --checkpoint-every must be at least 1");
    }
    let contigs = read_unique_contigs(&args.contigs)?;
    let kept: Vec<&Contig> = contigs
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
    let mine: Vec<&Contig> = args
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
    let job = EmbedJob {
        contigs: &mine,
        fasta: &args.contigs,
        shard: args.shard,
        checkpoint: &ckpt_path,
        fingerprint: fp,
        batch_size: args.batch_size,
        every: args.checkpoint_every,
    };
    let (data, ckpt) = job.run(&model)?;
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
