//! `taxdistill eval` (being built).

/// Arguments of `taxdistill eval`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("'eval' is not built yet")
}
