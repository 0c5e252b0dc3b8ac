//! `taxdistill features` (being built).

/// Arguments of `taxdistill features`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("'features' is not built yet")
}
