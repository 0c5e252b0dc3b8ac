//! Genus accuracy of a nearest-centroid classifier on canonical 4-mer
//! frequencies, over several `divergence` settings (docs/simulator.md quotes it).
//! `cargo run --release -p taxdistill-sim --example tnf_calibration`
use std::collections::HashMap;
use taxdistill_sim::{simulate, SimConfig};
/// The student's tetranucleotide features (vamb's 103-dimensional projection).
fn tnf(seq: &[u8]) -> Vec<f64> {
    taxdistill_core::features::tnf(seq)
        .iter()
        .map(|&x| f64::from(x))
        .collect()
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

fn main() {
    for div in [1.0, 0.8, 0.7, 0.6, 0.5] {
        for seed in [11u64, 12] {
            let cfg = SimConfig {
                seed,
                genomes: 60,
                contigs: 3000,
                divergence: div,
                ..SimConfig::default()
            };
            let c = simulate(&cfg).unwrap();
            let profiles: Vec<Vec<f64>> =
                (0..c.contigs.len()).map(|i| tnf(&c.sequence(i))).collect();
            let genus_of = |i: usize| c.taxonomy.path(c.genomes[c.contigs[i].genome].species)[5];
            let mut centroid: HashMap<usize, (Vec<f64>, usize)> = HashMap::new();
            for (i, p) in profiles.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
                let e = centroid
                    .entry(genus_of(i))
                    .or_insert_with(|| (vec![0.0; p.len()], 0));
                for (a, b) in e.0.iter_mut().zip(p) {
                    *a += b;
                }
                e.1 += 1;
            }
            let cents: Vec<(usize, Vec<f64>)> = centroid
                .into_iter()
                .map(|(g, (s, n))| (g, s.iter().map(|x| x / n as f64).collect()))
                .collect();
            let (mut right, mut total, mut rs, mut ts) = (0, 0, 0, 0);
            for (i, p) in profiles.iter().enumerate().filter(|(i, _)| i % 2 == 1) {
                let best = cents
                    .iter()
                    .min_by(|a, b| dist(&a.1, p).total_cmp(&dist(&b.1, p)))
                    .unwrap()
                    .0;
                right += usize::from(best == genus_of(i));
                total += 1;
                if c.contigs[i].len < 3000 {
                    rs += usize::from(best == genus_of(i));
                    ts += 1;
                }
            }
            println!(
                "div {div} seed {seed}: genus acc {:.3}  (<3kbp: {:.3})",
                right as f64 / total as f64,
                rs as f64 / ts as f64
            );
        }
    }
}
