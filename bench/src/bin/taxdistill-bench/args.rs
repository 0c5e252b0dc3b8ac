//! The flags of `taxdistill-bench`.

use std::path::PathBuf;

/// Examples shown after `--help`.
pub const EXAMPLES: &str = "Examples:
  taxdistill-bench --scenarios quick --out bench-quick
  taxdistill-bench --scenarios full --vamb /work/venvs/vamb/bin/vamb --out bench-full
  taxdistill-bench --scenarios my_plan.toml --grid 0.1:4,0.6:4 --out bench-mine
  taxdistill-bench --dataset data/ --taxonomy taxdump/ --labels-format kraken2 --seeds 1,2,3 --out bench-data
Presets: quick (CI: one tiny scenario, one seed), full (the published run; see docs/bench.md).";

/// Arguments of `taxdistill-bench` (those of the former `taxdistill bench`).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Simulator scenarios: a TOML/JSON plan file or a preset name (quick, full).
    #[arg(long, value_name = "FILE|NAME", conflicts_with = "dataset")]
    pub scenarios: Option<String>,
    /// A dataset with truth: a directory holding contigs.fna[.gz] (or .fa/.fasta),
    /// abundance.tsv (optional), labels.* and truth.* (each can be overridden below).
    #[arg(long, value_name = "DIR")]
    pub dataset: Option<PathBuf>,
    /// Dataset contigs (instead of DIR/contigs.*).
    #[arg(long, value_name = "FASTA", requires = "dataset")]
    pub contigs: Option<PathBuf>,
    /// Dataset abundances (instead of DIR/abundance.tsv).
    #[arg(long, value_name = "FILE", requires = "dataset")]
    pub abundance: Option<PathBuf>,
    /// Dataset noisy labels (instead of DIR/labels.*).
    #[arg(long, value_name = "FILE", requires = "dataset")]
    pub labels: Option<PathBuf>,
    /// Format of the labels (taxometer, mmseqs2, kraken2, metabuli, centrifuge, cami); detected when omitted.
    #[arg(long, value_name = "F", requires = "dataset")]
    pub labels_format: Option<String>,
    /// Dataset truth (instead of DIR/truth.*).
    #[arg(long, value_name = "FILE", requires = "dataset")]
    pub truth: Option<PathBuf>,
    /// Format of the truth; detected when omitted.
    #[arg(long, value_name = "F", requires = "dataset")]
    pub truth_format: Option<String>,
    /// NCBI taxdump directory for taxid-only label or truth formats.
    #[arg(long, value_name = "DIR", requires = "dataset")]
    pub taxonomy: Option<PathBuf>,
    /// Seeds (comma-separated); overrides the plan's. Default for --dataset: 1,2,3.
    #[arg(long, value_delimiter = ',', value_name = "N,...")]
    pub seeds: Option<Vec<u64>>,
    /// Also train an (alpha, temperature) grid in every scenario: `a:t,a:t,...`
    /// (without a value: the plan's grid, by default 0.1:4,0.6:4,0.3:1,0.3:8).
    #[arg(long, value_name = "A:T,...", num_args = 0..=1, default_missing_value = "plan")]
    pub grid: Option<String>,
    /// GenomeOcean model directory: a second teacher (graph + embeddings) and a student distilled from it.
    #[arg(long, value_name = "DIR")]
    pub genomeocean: Option<PathBuf>,
    /// The vamb executable for `vamb taxometer` (default: `vamb` on PATH), run where the plan asks
    /// (with --dataset: whenever --vamb is given).
    #[arg(long, value_name = "PATH")]
    pub vamb: Option<PathBuf>,
    /// Never run vamb.
    #[arg(long, conflicts_with = "vamb")]
    pub no_vamb: bool,
    /// Threads for vamb (`-p`); ours follow RAYON_NUM_THREADS.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Minimum contig length (bp) of training, annotation and the main evaluation
    /// (default: the plan's [train] min_length, else 2000).
    #[arg(long, value_name = "BP")]
    pub min_length: Option<usize>,
    /// Training flags for every student, overriding the plan's [train]: `key=value,...`
    /// with `taxdistill distill`'s flag names (e.g. `epochs=20,patience=4,no_abundance=true`).
    #[arg(long, value_name = "K=V,...")]
    pub train: Option<String>,
    /// Run only these scenarios of the plan (comma-separated names).
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub only: Option<Vec<String>>,
    /// Reuse finished runs found in OUT/runs/ (from an interrupted bench with the same plan).
    #[arg(long)]
    pub resume: bool,
    /// Keep the simulated data and vamb outputs under OUT/work/.
    #[arg(long)]
    pub keep_work: bool,
    /// Print the plan (scenarios × seeds × methods) and exit.
    #[arg(long)]
    pub dry_run: bool,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}
