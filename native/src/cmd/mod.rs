//! One module per subcommand: each has `Args` (clap) and `run(Args) -> anyhow::Result<()>`,
//! which maps the flags onto the pipeline or the CLI library's modules next to
//! `cmd` and writes the outputs.

pub mod annotate;
pub mod convert;
pub mod distill;
pub mod embed;
pub mod eval;
pub mod features;
pub mod merge;
pub mod run;
pub mod serve;
pub mod simulate;
pub mod teach;
