//! Label tallies per genome novelty class for both profiles and both label
//! models at the CLI defaults (the `[labels by genome novelty]` section of
//! README.txt), plus the species precision of labelled known-genome contigs
//! and how consistent the labels of novel genomes are.
//!
//! `cargo run --release -p taxdistill-sim --example label_tallies [seed [genomes contigs]]`

use std::collections::HashMap;
use taxdistill_sim::{simulate, LabelModel, Profile, SimConfig};

fn main() {
    let arg = |i: usize, d: u64| {
        std::env::args()
            .nth(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or(d)
    };
    let seed = arg(1, 42);
    let genomes = arg(2, 60) as usize;
    let contigs = arg(3, 3000) as usize;
    for model in [LabelModel::Realistic, LabelModel::Independent] {
        for profile in [Profile::Kraken2, Profile::Mmseqs2] {
            let cfg = SimConfig {
                seed,
                genomes,
                contigs,
                label_model: model,
                ..SimConfig::with_profile(profile)
            };
            let c = simulate(&cfg).unwrap();
            let mut readme = Vec::new();
            taxdistill_sim::write_readme(&c, &mut readme).unwrap();
            let text = String::from_utf8(readme).unwrap();
            let section = text.split("[labels by genome novelty]").nth(1).unwrap();
            println!("== {} {}{section}", model.name(), profile.name());
            // known genomes: species precision of species-level labels
            let (mut right, mut at_species) = (0, 0);
            // novel genomes: share of labelled contigs carrying the genome's most common species label
            let mut per_genome: HashMap<usize, HashMap<usize, usize>> = HashMap::new();
            for (i, r) in c.contigs.iter().enumerate() {
                let g = &c.genomes[r.genome];
                let Some(t) = r.label_taxon else { continue };
                if g.reference_depth == 7 && c.label(i).len() == 7 {
                    at_species += 1;
                    right += usize::from(t == g.species);
                }
                if g.reference_depth < 7 && c.label(i).len() == 7 {
                    *per_genome
                        .entry(r.genome)
                        .or_default()
                        .entry(t)
                        .or_default() += 1;
                }
            }
            let (top, all) = per_genome.values().fold((0, 0), |(a, b), m| {
                (a + m.values().max().unwrap(), b + m.values().sum::<usize>())
            });
            println!(
                "known genomes: species precision {:.3} ({right}/{at_species}); novel genomes: {:.1}% of species labels name the genome's top species\n",
                right as f64 / at_species.max(1) as f64,
                100.0 * top as f64 / all.max(1) as f64
            );
        }
    }
}
