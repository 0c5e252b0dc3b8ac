//! `taxdistill-bench`: scenarios × seeds × methods in one command, with a
//! machine-readable table and a report with plots.
//!
//! Input: simulator scenarios (`--scenarios FILE|PRESET`, see
//! [`taxdistill_bench::scenarios`]) or one dataset with truth (`--dataset
//! DIR`). Methods per scenario × seed: the raw labels, the graph teacher's
//! argmax (and the GenomeOcean teacher's with `--genomeocean`), the student
//! on the noisy labels, on the teacher's hard labels and distilled with its
//! soft labels (plus an (α, T) grid), `taxdistill run`'s choice, and the
//! real `vamb taxometer` where asked and installed. Everything of ours runs
//! in this process (the pipeline crate, as `taxdistill` runs it), so no
//! `taxdistill` executable is needed; vamb runs as a subprocess, its peak
//! memory from `wait4`. Outputs: see [`taxdistill_bench::report`].
//! docs/bench.md describes it all.
//!
//! `main` only parses the command line, sets up logging and hands over to
//! `bench::run`: `args` (flags), `dataset` (a directory's files), `plan`
//! (what will run), `runner` (one scenario × seed).

mod args;
mod bench;
mod dataset;
mod plan;
mod runner;

use clap::Parser;

/// Benchmark TaxDistill: scenarios × seeds × methods (raw labels, teacher,
/// students, vamb) with statistics and a report.
#[derive(Parser)]
#[command(name = "taxdistill-bench", version, about, long_about = None, after_help = args::EXAMPLES)]
struct Cli {
    /// More log output (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Hide progress bars.
    #[arg(short, long)]
    quiet: bool,
    #[command(flatten)]
    args: args::Args,
}

fn main() {
    let cli = Cli::parse();
    taxdistill::util::init_logging(cli.verbose, cli.quiet);
    if let Err(e) = bench::run(cli.args) {
        // one line: the whole context chain
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
