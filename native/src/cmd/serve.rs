//! `taxdistill serve` (being built).

/// Arguments of `taxdistill serve`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("'serve' is not built yet")
}
