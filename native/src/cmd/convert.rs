//! `taxdistill convert` (being built).

/// Arguments of `taxdistill convert`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("'convert' is not built yet")
}
