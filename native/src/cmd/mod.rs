//! One module per subcommand: each has `Args` (clap) and `run(Args) -> anyhow::Result<()>`.

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
