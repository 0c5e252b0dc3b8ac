//! `taxdistill`: correct the taxonomic labels of metagenomic contigs.
//!
//! `main` only parses the command line, sets up logging and dispatches to one
//! module per subcommand under `cmd/` (in this crate's library): thin
//! adapters from flags to the pipeline crate (`taxdistill-pipeline`) and to
//! files, with the shared flags in `args`, the input files in `inputs` and
//! the output files in `outputs`. The benchmark is its own binary,
//! `taxdistill-bench` (the `bench/` crate).

use clap::{Parser, Subcommand};
use taxdistill::{cmd, util};

/// Correct noisy taxonomic labels of metagenomic contigs by distilling a
/// genome-aware teacher into a Taxometer-like student.
#[derive(Parser)]
#[command(name = "taxdistill", version, about, long_about = None, after_help = EXAMPLES)]
struct Cli {
    /// More log output (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Hide progress bars.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "Examples:
  taxdistill simulate --out demo
  taxdistill run --contigs demo/contigs.fna.gz --abundance demo/abundance.tsv --labels demo/labels.tsv --out demo/out
  taxdistill eval --truth demo/truth.tsv --pred demo/out/predictions.tsv";

#[derive(Subcommand)]
enum Command {
    /// Simulate a community with known truth and noisy labels.
    Simulate(cmd::simulate::Args),
    /// Compute vamb-compatible features (TNF + abundances) as TSV.
    Features(cmd::features::Args),
    /// Convert labels between formats (Taxometer TSV, CAMI, Kraken-style report).
    Convert(cmd::convert::Args),
    /// Per-rank precision, recall and F1 of predictions against a truth.
    Eval(cmd::eval::Args),
    /// Train the student (with soft labels: distil the teacher).
    Distill(cmd::distill::Args),
    /// Annotate contigs with a trained student.
    Annotate(cmd::annotate::Args),
    /// The whole pipeline: features → teacher → distill → annotate.
    Run(cmd::run::Args),
    /// GenomeOcean embeddings of contigs.
    Embed(cmd::embed::Args),
    /// Teacher soft labels (graph teacher or GenomeOcean heads).
    Teach(cmd::teach::Args),
    /// Merge shards written by `embed`/`teach --shard i/n`.
    Merge(cmd::merge::Args),
    /// Serve the web app on 127.0.0.1.
    Serve(cmd::serve::Args),
}

fn main() {
    let cli = Cli::parse();
    util::init_logging(cli.verbose, cli.quiet);
    let result = match cli.command {
        Command::Simulate(a) => cmd::simulate::run(a),
        Command::Features(a) => cmd::features::run(a),
        Command::Convert(a) => cmd::convert::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Distill(a) => cmd::distill::run(a),
        Command::Annotate(a) => cmd::annotate::run(a),
        Command::Run(a) => cmd::run::run(a),
        Command::Embed(a) => cmd::embed::run(a),
        Command::Teach(a) => cmd::teach::run(a),
        Command::Merge(a) => cmd::merge::run(a),
        Command::Serve(a) => cmd::serve::run(a),
    };
    if let Err(e) = result {
        // one line: the whole context chain
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
