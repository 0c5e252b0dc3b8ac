//! The one TaxDistill pipeline, shared by the CLI, the benchmark and the
//! browser: load → teach → distill → choose → annotate → summarise.
//!
//! Everything here works on readers, writers and in-memory data (no
//! `std::fs`, no clock, no threads of its own), so the crate builds for
//! `wasm32-unknown-unknown`; the GenomeOcean language model stays behind the
//! teacher's native `genomeocean` feature, and its embeddings come in as a
//! matrix ([`teach::Embeddings`]). Progress goes through [`Progress`].
//!
//! - [`load`]: features from a FASTA + abundance reader, labels from a label reader, the training labels and the label tree.
//! - [`teach`]: the graph teacher's (or the heads') soft labels and open-set evidence.
//! - [`distill`]: training students (with or without soft labels) into model files in memory.
//! - [`choose`]: `run`'s candidate students and its choice by held-out F1 against the labels.
//! - [`annotate`]: the student's predictions, the open-set rule, input-label passthrough and the output writers.
//! - [`streamed`]: annotation in constant memory (the FASTA read three times, outputs written batch by batch).
//! - [`run`]: the stages in `taxdistill run`'s order, with a typed result.
//! - [`progress`]: the progress callback.
//!
//! # Examples
//! ```no_run
//! use taxdistill_pipeline::{load, run, Silent};
//! # fn main() -> taxdistill_pipeline::Result<()> {
//! let fasta = std::io::Cursor::new(b">c1\nACGT\n".to_vec());
//! let features = load::read_features(fasta, "contigs.fna", None, 2000, &Silent)?;
//! let labels = std::io::Cursor::new(b"contigs\tpredictions\nc1\td_Bacteria\n".to_vec());
//! let labels = load::read_labels(labels, "labels.tsv", None, None, &features.ids)?;
//! let loaded = load::Loaded { features, labels };
//! let prepared = run::prepare(loaded, &run::RunOptions::default(), "labels.tsv")?;
//! let taught = prepared.teach(None, &Silent)?;
//! let out = prepared.finish(taught, serde_json::json!({}), &Silent)?;
//! print!("{}", out.summary.to_tsv());
//! # Ok(()) }
//! ```

pub mod annotate;
pub mod choose;
pub mod distill;
pub mod errors;
pub mod load;
pub mod progress;
pub mod run;
pub mod streamed;
pub mod teach;

pub use errors::{Error, Result};
pub use progress::{Progress, Silent, Stage};
