//! `taxdistill merge`: join the shards of `embed` (directories) or `teach`
//! (soft-label files) back into one output in FASTA order ([`crate::merge`]).
//!
//! Order comes from each shard's `shard.json` (embeddings) or the `shard`/`total`
//! keys of the soft-label `meta` (`"shard": "2/4", "total": 1000`); with
//! `--contigs` the FASTA gives the order instead. Duplicated contigs, missing
//! shards or contigs, and shards of different runs are errors.

use crate::merge::{merge_embeddings, merge_soft_labels, FastaOrder};
use anyhow::{bail, Result};
use std::path::PathBuf;

/// Arguments of `taxdistill merge`.
#[derive(clap::Args)]
pub struct Args {
    /// Shard outputs: `embed --out` directories or `teach --out` soft-label files.
    #[arg(long, num_args = 1.., required = true)]
    pub inputs: Vec<PathBuf>,
    /// Merged output (a directory for embeddings, a file for soft labels).
    #[arg(long)]
    pub out: PathBuf,
    /// Order rows as in this FASTA instead of by shard number (every contig of it must be present).
    #[arg(long)]
    pub contigs: Option<PathBuf>,
    /// With --contigs: contigs shorter than this were skipped by `embed --min-length` and are not expected.
    #[arg(long, default_value_t = 0)]
    pub min_length: usize,
}

pub fn run(args: Args) -> Result<()> {
    let is_dir = args.inputs[0].is_dir();
    if args.inputs.iter().any(|p| p.is_dir() != is_dir) {
        bail!("--inputs mixes directories (embeddings) and files (soft labels)");
    }
    let by_fasta = args.contigs.as_deref().map(|fasta| FastaOrder {
        fasta,
        min_length: args.min_length,
    });
    if is_dir {
        let n = merge_embeddings(&args.inputs, by_fasta, &args.out)?;
        eprintln!(
            "merged {} shards: {} contigs → {}",
            args.inputs.len(),
            n,
            args.out.display()
        );
    } else {
        let n = merge_soft_labels(&args.inputs, by_fasta, &args.out)?;
        eprintln!(
            "merged {} soft-label shards: {} contigs → {}",
            args.inputs.len(),
            n,
            args.out.display()
        );
    }
    Ok(())
}
