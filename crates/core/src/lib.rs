//! TaxDistill core: everything the CLI and the browser share.
//!
//! Data flow: FASTA → [`fasta::Contig`] → [`features::FeatureMatrix`]
//! (n_contigs × (103 TNF + S abundances + 1 log-abundance), f32);
//! noisy labels ([`labels`]) → [`taxonomy::Lineage`] → [`taxonomy::LabelTree`];
//! the student ([`model`]) maps features to leaf probabilities and predictions.
//!
//! This crate never touches the file system or a runtime: every reader takes an
//! `R: Read`/`BufRead`, every writer an `W: Write`.

pub mod abundance;
pub mod errors;
pub mod fasta;
pub mod features;
pub mod fmath;
pub mod labels;
pub mod metrics;
pub mod model;
pub mod openset;
pub mod softlabels;
pub mod taxdump;
pub mod taxonomy;
pub mod writers;

pub use errors::{Error, Result};
