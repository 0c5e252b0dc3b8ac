//! `taxdistill merge` (being built).

/// Arguments of `taxdistill merge`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("'merge' is not built yet")
}
