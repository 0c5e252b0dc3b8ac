//! The `taxdistill` command line as a library: each subcommand's
//! arguments (clap) and a short `run` mapping them onto library calls under
//! [`cmd`], the flags several share ([`args`]), the input files ([`inputs`]),
//! the output files ([`outputs`]) and the helpers around them ([`util`]:
//! logging, progress bars, gzip-aware opening, atomic writes). The work
//! behind the subcommands that is not the pipeline's lives next to them, one
//! concern a module: label files and their conversion ([`convert`]),
//! scoring against a truth ([`eval`]), GenomeOcean embedding directories
//! ([`embeddings`]), joining shards ([`merge`]), a simulated community's
//! files ([`community`]), `run`'s messages ([`report`]) and the web app's
//! file server ([`serve`]). The binary (`main.rs`) only parses and
//! dispatches.
//!
//! It is a library so that `taxdistill-bench` (the `bench/` crate) reads
//! and writes files exactly as the CLI does and takes its plans' flags
//! with the CLI's own argument types (`simulate`'s and `distill`'s); the
//! bench is not part of this crate.

pub mod args;
pub mod cmd;
pub mod community;
pub mod convert;
pub mod embeddings;
pub mod eval;
pub mod inputs;
pub mod merge;
pub mod outputs;
pub mod report;
pub mod serve;
pub mod util;
