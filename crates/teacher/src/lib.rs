//! TaxDistill teachers: turn contigs + noisy labels into soft labels.
//!
//! - `genomeocean` (feature `genomeocean`, on by default; native only): the GenomeOcean (Mistral) backbone in candle, tokenizer and windowed mean-pooled embeddings.
//! - [`graph`]: the genome-aware CPU teacher (kNN graph over abundance + composition, cross-fitted label propagation).
//! - `ann` (native only): approximate kNN (HNSW) for the graph teacher's inputs above [`graph::EXACT_KNN_MAX_CONTIGS`] contigs.
//! - [`heads`]: cross-fitted hierarchical heads on embeddings, temperature calibration, ECE.
//! - [`novel`]: how far predictions carry over to genomes the labels lack (the open-set rule's vouched lineages).

#[cfg(not(target_arch = "wasm32"))]
pub mod ann;
pub mod calibrate;
pub mod errors;
#[cfg(feature = "genomeocean")]
pub mod genomeocean;
pub mod graph;
pub mod heads;
mod knn;
pub mod novel;
mod queries;
pub mod shard;
#[cfg(test)]
mod sim_helpers;

pub use errors::{Error, Result};
