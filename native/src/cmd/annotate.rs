//! `taxdistill annotate` (being built).

/// Arguments of `taxdistill annotate`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("'annotate' is not built yet")
}
