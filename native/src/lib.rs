//! The `taxdistill` command line as a library: each subcommand's
//! arguments (clap) and `run` under [`cmd`], the flags several share
//! ([`args`]), the input files ([`inputs`]), the output files
//! ([`outputs`]) and the helpers around them ([`util`]: logging, progress
//! bars, gzip-aware opening, atomic writes). The binary (`main.rs`) only
//! parses and dispatches.
//!
//! It is a library so that `taxdistill-bench` (the `bench/` crate) reads
//! and writes files exactly as the CLI does and takes its plans' flags
//! with the CLI's own argument types (`simulate`'s and `distill`'s); the
//! bench is not part of this crate.

pub mod args;
pub mod cmd;
pub mod inputs;
pub mod outputs;
pub mod util;
