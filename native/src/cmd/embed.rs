//! `taxdistill embed` (being built).

/// Arguments of `taxdistill embed`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("'embed' is not built yet")
}
