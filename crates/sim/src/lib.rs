//! Community and noisy-label simulator of TaxDistill.
//!
//! [`simulate`] draws, from one seed, a random 7-rank taxonomy, one genome per
//! species whose composition evolved along it ([`composition`]), contigs with
//! log-normal lengths, per-sample mean depths as read mapping produces them
//! ([`abundance`]), and noisy labels that imitate a similarity search against
//! an incomplete reference: by default like real classifiers, with
//! per-genome, missing-not-at-random errors ([`realistic`]), or with one
//! independent draw per contig ([`noise`], [`LabelModel::Independent`]). Contig sequences are not stored: each
//! is regenerated from its own seed by [`Community::sequence`], so 100k
//! contigs cost a few MB. The `write_*` functions ([`write`]) render every
//! output file into any `Write`; nothing here touches the file system.
//!
//! Same seed, same bytes: every draw comes from ChaCha8 streams derived
//! from [`SimConfig::seed`].

pub mod abundance;
pub mod composition;
pub mod config;
pub mod errors;
mod names;
pub mod noise;
pub mod realistic;
pub mod tree;
pub mod write;

pub use config::{LabelModel, LabelNoise, Profile, SimConfig};
pub use errors::{Error, Result};
pub use names::{CELLULAR_ORGANISMS_TAXID, ROOT_TAXID};
pub use noise::LabelKind;
pub use realistic::{Outcomes, RealisticProfile};
pub use tree::{Lineage, Rank, Taxon, Taxonomy};
pub use write::{
    write_abundance, write_fasta, write_fasta_range, write_fasta_with, write_kraken2, write_labels,
    write_mmseqs2, write_readme, write_taxdump, write_truth,
};

use composition::{Composition, SamplingTable};
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

/// One genome (= one species) of the community.
#[derive(Debug, Clone, PartialEq)]
pub struct Genome {
    /// Index of its species in [`Taxonomy::taxa`].
    pub species: usize,
    /// Relative abundance per sample (before absence).
    pub abundance: Vec<f64>,
    /// Whether it is present in each sample.
    pub present: Vec<bool>,
    /// Ranks of its lineage the reference knows (7 = species known).
    pub reference_depth: usize,
    /// Realistic label model: the nearest known relatives (species taxa)
    /// whose labels the genome's contigs get, majority first; empty for a
    /// known genome and under the independent model.
    pub relatives: Vec<usize>,
}

impl Genome {
    /// How far the reference is: `known` (species in it), `novel_species`,
    /// `novel_genus`, `novel_family` (family or more absent).
    pub fn novelty(&self) -> &'static str {
        novelty_name(self.reference_depth)
    }
}

/// [`Genome::novelty`] of a reference depth.
pub fn novelty_name(reference_depth: usize) -> &'static str {
    match reference_depth {
        7.. => "known",
        6 => "novel_species",
        5 => "novel_genus",
        _ => "novel_family",
    }
}

/// Novelty classes in README order.
pub const NOVELTY: [&str; 4] = ["known", "novel_species", "novel_genus", "novel_family"];

/// One contig: where it comes from, its depths and its noisy label.
#[derive(Debug, Clone, PartialEq)]
pub struct ContigRecord {
    /// Contig id (`contig_000001`…), in output order.
    pub id: String,
    /// Index into [`Community::genomes`].
    pub genome: usize,
    /// Length (bp).
    pub len: usize,
    /// Seed of its sequence.
    pub seed: u64,
    /// `(start, length)` runs of `N`.
    pub n_runs: Vec<(usize, usize)>,
    /// `(start, length)` runs written in lower case.
    pub lower_runs: Vec<(usize, usize)>,
    /// Mean depth per sample.
    pub depth: Vec<f64>,
    /// Taxon of the noisy label (`None` = unclassified).
    pub label_taxon: Option<usize>,
    /// How the label relates to the truth.
    pub label_kind: LabelKind,
    /// Whether the Kraken2 output names the label by a merged (old) taxid.
    pub kraken_merged_id: Option<u32>,
}

/// A simulated community with its truth and noisy labels.
#[derive(Debug, Clone)]
pub struct Community {
    /// The settings it was drawn with.
    pub config: SimConfig,
    /// The taxonomy and reference.
    pub taxonomy: Taxonomy,
    /// Genomes, one per species (`genomes[i].species == taxonomy.by_rank[6][i]`).
    pub genomes: Vec<Genome>,
    /// Sample names (`sample1` …).
    pub samples: Vec<String>,
    /// Contigs in output order.
    pub contigs: Vec<ContigRecord>,
    tables: Vec<SamplingTable>,
}

fn stream(seed: u64, k: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(k);
    r
}

/// The genome of each contig: one contig each, the rest drawn by a
/// log-normal assembly weight; shuffled.
fn assign_genomes(cfg: &SimConfig, rng_contig: &mut ChaCha8Rng) -> Vec<usize> {
    let g_n = cfg.genomes;
    let wd = LogNormal::new(0.0, 0.6).expect("valid log-normal");
    let w: Vec<f64> = (0..g_n).map(|_| wd.sample(rng_contig)).collect();
    let mut cum = Vec::with_capacity(g_n);
    let mut acc = 0.0;
    for x in &w {
        acc += x;
        cum.push(acc);
    }
    let mut genome_of: Vec<usize> = (0..g_n).collect();
    for _ in g_n..cfg.contigs {
        let x = rng_contig.random::<f64>() * acc;
        let g = cum.partition_point(|&c| c <= x).min(g_n - 1);
        genome_of.push(g);
    }
    genome_of.shuffle(rng_contig);
    genome_of
}

/// Log-normal lengths with the configured mean and sd, redrawn below
/// `min_length` (at most 100 times), clamped to [min_length, max_length].
fn draw_lengths(cfg: &SimConfig, rng_contig: &mut ChaCha8Rng) -> Vec<usize> {
    let var = (cfg.sd_length / cfg.mean_length).powi(2);
    let sigma = (1.0 + var).ln().sqrt();
    let mu = cfg.mean_length.ln() - sigma * sigma / 2.0;
    let ld = LogNormal::new(mu, sigma).expect("validated mean and sd");
    let mut lengths = Vec::with_capacity(cfg.contigs);
    for _ in 0..cfg.contigs {
        let mut l = cfg.min_length as f64;
        for _ in 0..100 {
            let x: f64 = ld.sample(rng_contig);
            if x >= cfg.min_length as f64 {
                l = x;
                break;
            }
        }
        lengths.push((l.round() as usize).clamp(cfg.min_length, cfg.max_length));
    }
    lengths
}

/// Per-contig sequence seed, runs of N and lower-case runs (start, length).
#[allow(clippy::type_complexity)]
fn draw_defects(
    cfg: &SimConfig,
    lengths: &[usize],
    rng_contig: &mut ChaCha8Rng,
) -> (Vec<u64>, Vec<Vec<(usize, usize)>>, Vec<Vec<(usize, usize)>>) {
    let mut seeds = Vec::with_capacity(cfg.contigs);
    let mut n_runs = Vec::with_capacity(cfg.contigs);
    let mut lower_runs = Vec::with_capacity(cfg.contigs);
    for &len in lengths {
        seeds.push(rng_contig.next_u64());
        let mut nr = Vec::new();
        if rng_contig.random_bool(cfg.n_run_rate) {
            for _ in 0..rng_contig.random_range(1..=2) {
                let l = rng_contig.random_range(1..=100usize).min(len / 10).max(1);
                nr.push((rng_contig.random_range(0..=len - l), l));
            }
        }
        n_runs.push(nr);
        let mut lr = Vec::new();
        if rng_contig.random_bool(cfg.lowercase_rate) {
            let l = rng_contig.random_range(1..=len);
            lr.push((rng_contig.random_range(0..=len - l), l));
        }
        lower_runs.push(lr);
    }
    (seeds, n_runs, lower_runs)
}

/// Simulates a community.
///
/// # Errors
/// [`Error::BadConfig`] if a setting is out of range (see [`SimConfig::validate`]).
///
/// # Examples
/// ```
/// let cfg = taxdistill_sim::SimConfig { genomes: 5, contigs: 20, ..Default::default() };
/// let c = taxdistill_sim::simulate(&cfg)?;
/// assert_eq!(c.contigs.len(), 20);
/// # Ok::<(), taxdistill_sim::Error>(())
/// ```
pub fn simulate(cfg: &SimConfig) -> Result<Community> {
    cfg.validate()?;
    let mut rng_tax = stream(cfg.seed, 1);
    let mut rng_comp = stream(cfg.seed, 2);
    let mut rng_contig = stream(cfg.seed, 3);
    let mut rng_ab = stream(cfg.seed, 4);
    let mut rng_label = stream(cfg.seed, 5);

    let taxonomy = Taxonomy::generate(cfg, &mut rng_tax);

    // composition evolves top-down: every taxon perturbs its parent's model
    let root = Composition::root(&mut rng_comp);
    let mut models: Vec<Composition> = Vec::with_capacity(taxonomy.taxa.len());
    for t in &taxonomy.taxa {
        let parent = t.parent.map_or(&root, |p| &models[p]);
        let sd = cfg.rank_divergence[t.rank.index()] * cfg.divergence;
        let m = parent.child(&mut rng_comp, sd);
        models.push(m);
    }
    let species = &taxonomy.by_rank[6];
    let tables: Vec<SamplingTable> = species.iter().map(|&s| models[s].table()).collect();

    let genome_of = assign_genomes(cfg, &mut rng_contig);
    let lengths = draw_lengths(cfg, &mut rng_contig);
    let (seeds, n_runs, lower_runs) = draw_defects(cfg, &lengths, &mut rng_contig);

    let (abundance, present) = abundance::genome_abundances(cfg, &mut rng_ab);
    let depths =
        abundance::contig_depths(cfg, &mut rng_ab, &genome_of, &lengths, &abundance, &present);

    // realistic model: what is drawn once per genome (own stream, so the
    // independent model's draws are untouched)
    let realistic = cfg.profile.realistic();
    let genome_draws: Vec<realistic::GenomeDraw> = match cfg.label_model {
        LabelModel::Independent => Vec::new(),
        LabelModel::Realistic => {
            let mut rng_genome = stream(cfg.seed, 6);
            species
                .iter()
                .map(|&s| realistic::draw_genome(&taxonomy, &realistic, s, &mut rng_genome))
                .collect()
        }
    };

    let genomes: Vec<Genome> = species
        .iter()
        .enumerate()
        .map(|(g, &s)| Genome {
            species: s,
            abundance: abundance[g].clone(),
            present: present[g].clone(),
            reference_depth: taxonomy.reference_depth(s),
            relatives: genome_draws
                .get(g)
                .map_or_else(Vec::new, |d| d.relatives.clone()),
        })
        .collect();

    let width = cfg.contigs.to_string().len().max(6);
    let mut contigs = Vec::with_capacity(cfg.contigs);
    for (i, ((((g, len), seed), (nr, lr)), depth)) in genome_of
        .iter()
        .zip(&lengths)
        .zip(seeds)
        .zip(n_runs.into_iter().zip(lower_runs))
        .zip(depths)
        .enumerate()
    {
        let (label_taxon, label_kind) = match cfg.label_model {
            LabelModel::Independent => {
                noise::draw_label(&taxonomy, cfg, species[*g], &mut rng_label)
            }
            LabelModel::Realistic => realistic::draw_label(
                &taxonomy,
                &realistic,
                species[*g],
                &genome_draws[*g],
                *len,
                &mut rng_label,
            ),
        };
        let kraken_merged_id = label_taxon.and_then(|t| {
            let tid = taxonomy.taxa[t].taxid;
            let old = taxonomy.merged.iter().find(|m| m.1 == tid).map(|m| m.0);
            old.filter(|_| rng_label.random_bool(0.5))
        });
        contigs.push(ContigRecord {
            id: format!("contig_{:0width$}", i + 1),
            genome: *g,
            len: *len,
            seed,
            n_runs: nr,
            lower_runs: lr,
            depth,
            label_taxon,
            label_kind,
            kraken_merged_id,
        });
    }

    Ok(Community {
        config: cfg.clone(),
        taxonomy,
        genomes,
        samples: (1..=cfg.samples).map(|s| format!("sample{s}")).collect(),
        contigs,
        tables,
    })
}

impl Community {
    /// The sequence of contig `i` (upper case `ACGT`, with its `N` runs and
    /// lower-case stretches), regenerated from the contig's seed.
    pub fn sequence(&self, i: usize) -> Vec<u8> {
        let c = &self.contigs[i];
        let mut rng = ChaCha8Rng::seed_from_u64(c.seed);
        let mut v = Vec::with_capacity(c.len);
        self.tables[c.genome].generate(&mut rng, c.len, &mut v);
        for &(s, l) in &c.lower_runs {
            v[s..s + l].make_ascii_lowercase();
        }
        for &(s, l) in &c.n_runs {
            v[s..s + l].fill(b'N');
        }
        v
    }

    /// True lineage of contig `i` (species level).
    pub fn truth(&self, i: usize) -> &Lineage {
        &self.taxonomy.lineages[self.genomes[self.contigs[i].genome].species]
    }

    /// Noisy label of contig `i` (empty = unclassified).
    pub fn label(&self, i: usize) -> Lineage {
        self.contigs[i]
            .label_taxon
            .map_or_else(Vec::new, |t| self.taxonomy.lineages[t].clone())
    }

    /// Number of contigs of each label kind, in [`LabelKind::ALL`] order.
    pub fn label_counts(&self) -> Vec<(LabelKind, usize)> {
        LabelKind::ALL
            .iter()
            .map(|&k| (k, self.contigs.iter().filter(|c| c.label_kind == k).count()))
            .collect()
    }

    /// Number of contigs of each label kind (rows, [`LabelKind::ALL`] order)
    /// per novelty class of their genome (columns, [`NOVELTY`] order).
    pub fn label_counts_by_novelty(&self) -> Vec<(LabelKind, [usize; 4])> {
        LabelKind::ALL
            .iter()
            .map(|&k| {
                let mut row = [0usize; 4];
                for c in self.contigs.iter().filter(|c| c.label_kind == k) {
                    let n = self.genomes[c.genome].novelty();
                    let col = NOVELTY.iter().position(|&x| x == n).unwrap_or(3);
                    row[col] += 1;
                }
                (k, row)
            })
            .collect()
    }

    /// Total contig length (bp).
    pub fn total_length(&self) -> u64 {
        self.contigs.iter().map(|c| c.len as u64).sum()
    }
}
