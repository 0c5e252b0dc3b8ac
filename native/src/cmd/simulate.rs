//! `taxdistill simulate`: a community with known truth and noisy labels.
//!
//! Writes `DIR/contigs.fna.gz`, `abundance.tsv`, `truth.tsv`, `labels.tsv`,
//! `raw/mmseqs2_lca.tsv`, `raw/kraken2.out`, `raw/taxdump/{nodes,names,merged}.dmp`
//! and `README.txt`, each atomically. The model is described in docs/simulator.md.

use crate::util;
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::io::Write;
use std::path::Path;
use taxdistill_sim::{LabelModel, Profile, SimConfig};

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
        if let Some(x) = self.wrong_rate {
            noise.wrong = x;
        }
        if let Some(x) = self.unclassified_rate {
            noise.unclassified = x;
        }
        if let Some(x) = self.shallow_rate {
            noise.shallow = x;
        }
        if let Some(x) = self.nearest_rate {
            noise.nearest = x;
        }
        let b: Vec<f64> = self
            .branching
            .split(',')
            .map(|s| s.trim().parse::<f64>())
            .collect::<std::result::Result<_, _>>()
            .with_context(|| {
                format!(
                    "--branching '{}': expected 6 comma-separated numbers",
                    self.branching
                )
            })?;
        let branching: [f64; 6] = b.try_into().map_err(|_| {
            anyhow::anyhow!(
                "--branching '{}': expected 6 comma-separated numbers",
                self.branching
            )
        })?;
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

fn write_file(
    path: &Path,
    f: impl FnOnce(&mut dyn Write) -> taxdistill_sim::Result<()>,
) -> Result<()> {
    util::write_atomic(path, |w| {
        f(w).with_context(|| format!("{}: cannot write", path.display()))
    })
}

pub fn run(args: Args) -> Result<()> {
    let cfg = args.config()?;
    let sp = util::spinner("simulating");
    let c = taxdistill_sim::simulate(&cfg)?;
    sp.finish_and_clear();
    write_community(&c, &args.out, args.gzip_level)
}

/// Writes every output file of a simulated community into `out` (the files
/// listed in the module doc), each atomically; `gzip_level` 0-9 for the FASTA.
/// Also used by `taxdistill-bench`.
pub fn write_community(c: &taxdistill_sim::Community, out: &Path, gzip_level: u32) -> Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create directory", out.display()))?;

    // contigs are rendered in parallel batches and compressed in order into
    // one gzip stream, so the bytes do not depend on the number of threads
    let pb = util::progress(c.total_length(), "contigs.fna.gz");
    let level = flate2::Compression::new(gzip_level);
    write_file(&out.join("contigs.fna.gz"), |w| {
        let werr = |e: std::io::Error| taxdistill_sim::Error::Write {
            what: "FASTA",
            reason: e.to_string(),
        };
        let mut gz = flate2::write::GzEncoder::new(w, level);
        let n = c.contigs.len();
        let chunks: Vec<std::ops::Range<usize>> =
            (0..n).step_by(256).map(|s| s..(s + 256).min(n)).collect();
        for batch in chunks.chunks(32) {
            let parts: Vec<taxdistill_sim::Result<Vec<u8>>> = batch
                .par_iter()
                .map(|r| {
                    let mut v = Vec::new();
                    taxdistill_sim::write_fasta_range(c, r.clone(), &mut v)?;
                    Ok(v)
                })
                .collect();
            for (part, r) in parts.into_iter().zip(batch) {
                gz.write_all(&part?).map_err(werr)?;
                pb.inc(c.contigs[r.clone()].iter().map(|x| x.len as u64).sum());
            }
        }
        gz.try_finish().map_err(werr)
    })?;
    pb.finish_and_clear();

    write_file(&out.join("abundance.tsv"), |w| {
        taxdistill_sim::write_abundance(c, w)
    })?;
    write_file(&out.join("truth.tsv"), |w| {
        taxdistill_sim::write_truth(c, w)
    })?;
    write_file(&out.join("labels.tsv"), |w| {
        taxdistill_sim::write_labels(c, w)
    })?;
    let raw = out.join("raw");
    write_file(&raw.join("mmseqs2_lca.tsv"), |w| {
        taxdistill_sim::write_mmseqs2(c, w)
    })?;
    write_file(&raw.join("kraken2.out"), |w| {
        taxdistill_sim::write_kraken2(c, w)
    })?;
    let (mut nodes, mut names, mut merged) = (Vec::new(), Vec::new(), Vec::new());
    taxdistill_sim::write_taxdump(c, &mut nodes, &mut names, &mut merged)?;
    let dump = raw.join("taxdump");
    for (file, bytes) in [
        ("nodes.dmp", &nodes),
        ("names.dmp", &names),
        ("merged.dmp", &merged),
    ] {
        let path = dump.join(file);
        util::write_atomic(&path, |w| {
            w.write_all(bytes)
                .with_context(|| format!("{}: cannot write", path.display()))
        })?;
    }
    write_file(&out.join("README.txt"), |w| {
        taxdistill_sim::write_readme(c, w)
    })?;
    tracing::info!(
        "simulated {} contigs ({} bp) into {}",
        c.contigs.len(),
        c.total_length(),
        out.display()
    );
    Ok(())
}
