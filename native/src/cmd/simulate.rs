//! `taxdistill simulate`: a community with known truth and noisy labels.
//!
//! Writes `DIR/contigs.fna.gz`, `abundance.tsv`, `truth.tsv`, `labels.tsv`,
//! `raw/mmseqs2_lca.tsv`, `raw/kraken2.out`, `raw/taxdump/{nodes,names,merged}.dmp`
//! and `README.txt`, each atomically ([`crate::community`]). The model is
//! described in docs/simulator.md.

use crate::args::parse_branching;
use crate::util;
use anyhow::Result;
use taxdistill_sim::{LabelModel, Profile, SimConfig};

pub use crate::community::write_community;

/// Arguments of `taxdistill simulate`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  taxdistill simulate --out demo
  taxdistill simulate --out k2 --profile kraken2 --novel-genera 0.3 --samples 1
  taxdistill simulate --out old --label-model independent --wrong-rate 0.1
  taxdistill simulate --out big --genomes 500 --contigs 100000 --seed 7")]
pub struct Args {
    /// Output directory.
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Number of genomes (one per species).
    #[arg(long, default_value_t = 60)]
    pub genomes: usize,
    /// Number of contigs over all genomes.
    #[arg(long, default_value_t = 3000)]
    pub contigs: usize,
    /// Number of samples (1 allowed).
    #[arg(long, default_value_t = 3)]
    pub samples: usize,
    /// Random seed: same seed, same bytes.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Classifier imitated: kraken2 (precise; novel genomes mostly unclassified) or mmseqs2 (noisier; novel genomes on a relative's species).
    #[arg(long, default_value = "mmseqs2")]
    pub profile: String,
    /// Label model: realistic (per-genome, missing-not-at-random errors, length-dependent; the profile's constants) or independent (one independent draw per contig with the rate flags; the simulator's original model).
    #[arg(long, default_value = "realistic")]
    pub label_model: String,
    /// Share of contigs with a random wrong label (independent model; overrides the profile).
    #[arg(long)]
    pub wrong_rate: Option<f64>,
    /// Share of unclassified contigs (independent model; overrides the profile).
    #[arg(long)]
    pub unclassified_rate: Option<f64>,
    /// Share of contigs whose label is truncated to a higher rank (independent model; overrides the profile).
    #[arg(long)]
    pub shallow_rate: Option<f64>,
    /// Probability that a novel taxon's contig gets its nearest known relative's label (independent model; overrides the profile).
    #[arg(long)]
    pub nearest_rate: Option<f64>,
    /// Share of species absent from the reference.
    #[arg(long, default_value_t = 0.15)]
    pub novel_species: f64,
    /// Share of genera absent from the reference.
    #[arg(long, default_value_t = 0.1)]
    pub novel_genera: f64,
    /// Share of families absent from the reference.
    #[arg(long, default_value_t = 0.05)]
    pub novel_families: f64,
    /// Mean contig length (bp, log-normal).
    #[arg(long, default_value_t = 6000.0)]
    pub mean_length: f64,
    /// Standard deviation of contig length (bp).
    #[arg(long, default_value_t = 6000.0)]
    pub sd_length: f64,
    /// Shortest contig (bp).
    #[arg(long, default_value_t = 1000)]
    pub min_length: usize,
    /// Longest contig (bp).
    #[arg(long, default_value_t = 500_000)]
    pub max_length: usize,
    /// Mean children per parent from domain→phylum to genus→species (6 comma-separated numbers).
    #[arg(long, default_value = "2,2,2,2,2,2")]
    pub branching: String,
    /// Scales the composition divergence between clades (smaller = harder).
    #[arg(long, default_value_t = 1.0)]
    pub divergence: f64,
    /// Mean sequencing depth per sample.
    #[arg(long, default_value_t = 20.0)]
    pub mean_depth: f64,
    /// Probability that a genome is absent from a sample (with more than one sample).
    #[arg(long, default_value_t = 0.2)]
    pub absent_rate: f64,
    /// Negative-binomial dispersion of read counts (smaller = noisier).
    #[arg(long, default_value_t = 20.0)]
    pub dispersion: f64,
    /// gzip level of contigs.fna.gz (0-9).
    #[arg(long, default_value_t = 1)]
    pub gzip_level: u32,
}

impl Args {
    /// The simulator settings these flags describe.
    pub fn config(&self) -> Result<SimConfig> {
        let profile: Profile = self.profile.parse()?;
        let label_model: LabelModel = self.label_model.parse()?;
        if label_model == LabelModel::Realistic {
            let set: Vec<&str> = [
                ("--wrong-rate", self.wrong_rate),
                ("--unclassified-rate", self.unclassified_rate),
                ("--shallow-rate", self.shallow_rate),
                ("--nearest-rate", self.nearest_rate),
            ]
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(n, _)| *n)
            .collect();
            if !set.is_empty() {
                anyhow::bail!(
                    "{} only appl{} to --label-model independent (the realistic model takes its rates from --profile)",
                    set.join(", "),
                    if set.len() == 1 { "ies" } else { "y" }
                );
            }
        }
        let mut noise = profile.noise();
        noise.wrong = self.wrong_rate.unwrap_or(noise.wrong);
        noise.unclassified = self.unclassified_rate.unwrap_or(noise.unclassified);
        noise.shallow = self.shallow_rate.unwrap_or(noise.shallow);
        noise.nearest = self.nearest_rate.unwrap_or(noise.nearest);
        let branching = parse_branching(&self.branching)?;
        if self.gzip_level > 9 {
            anyhow::bail!("--gzip-level {}: must lie in 0..=9", self.gzip_level);
        }
        let cfg = SimConfig {
            seed: self.seed,
            genomes: self.genomes,
            contigs: self.contigs,
            samples: self.samples,
            branching,
            divergence: self.divergence,
            mean_length: self.mean_length,
            sd_length: self.sd_length,
            min_length: self.min_length,
            max_length: self.max_length,
            mean_depth: self.mean_depth,
            absent_rate: self.absent_rate,
            dispersion: self.dispersion,
            novel_species: self.novel_species,
            novel_genera: self.novel_genera,
            novel_families: self.novel_families,
            label_model,
            profile,
            noise,
            ..SimConfig::default()
        };
        cfg.validate()?;
        Ok(cfg)
    }
}

pub fn run(args: Args) -> Result<()> {
    let cfg = args.config()?;
    let sp = util::spinner("simulating");
    let c = taxdistill_sim::simulate(&cfg)?;
    sp.finish_and_clear();
    write_community(&c, &args.out, args.gzip_level)
}
