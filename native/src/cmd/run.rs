//! `taxdistill run` (being built).

/// Arguments of `taxdistill run`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("'run' is not built yet")
}
