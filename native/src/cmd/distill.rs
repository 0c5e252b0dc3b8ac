//! `taxdistill distill` (being built).

/// Arguments of `taxdistill distill`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("'distill' is not built yet")
}
