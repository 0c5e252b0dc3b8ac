//! GenomeOcean backbone (a Hugging Face `MistralForCausalLM`) in candle.
//!
//! - [`config`]: `config.json`, validated (architecture, head sizes).
//! - [`tokenizer`]: the DNA BPE tokenizer and the windowing of whole contigs.
//! - [`model`]: the Mistral decoder as an encoder, per-token hidden states `(b, t, hidden)`.
//! - [`embed`]: loading a model directory and mean-pooled contig embeddings `(hidden,)` f32.

pub mod config;
pub mod embed;
pub mod model;
pub mod tokenizer;

pub use config::MistralConfig;
pub use embed::{pick_device, ContigEmbedding, GenomeOcean, LoadOptions};
pub use tokenizer::DnaTokenizer;
