//! `taxdistill teach` (being built).

/// Arguments of `taxdistill teach`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("'teach' is not built yet")
}
