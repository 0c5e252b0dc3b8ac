//! Per-sample mean depths as read mapping produces them.
//!
//! Per sample `s`: library size `L_s = mean_depth · Σ len / read_length ·
//! LogNormal(0, library_sd)`. Per genome: abundance `a_gs = exp(μ_g + ε_gs)`,
//! `μ_g ~ N(0, abundance_sd)`, `ε ~ N(0, sample_sd)`; an absent genome keeps
//! `mismapping_floor · mean(a)` (reads of relatives mapped to it). Per contig:
//! bias `b_c ~ LogNormal(-σ²/2, σ)`. Expected reads `m_cs = L_s · w_cs / Σ w`,
//! `w_cs = a_gs · len_c · b_c`; reads ~ NegBin(mean m, dispersion k) drawn as
//! Poisson(Gamma(k, m/k)); depth = reads · read_length / len_c.

use crate::config::SimConfig;
use rand::Rng;
use rand_distr::{Distribution, Gamma, LogNormal, Normal, Poisson};

/// Genome abundances per sample (`abundance[g][s]`) and presence flags.
pub(crate) fn genome_abundances<R: Rng>(
    cfg: &SimConfig,
    rng: &mut R,
) -> (Vec<Vec<f64>>, Vec<Vec<bool>>) {
    let mu = Normal::new(0.0, cfg.abundance_sd).expect("validated sd");
    let eps = Normal::new(0.0, cfg.sample_sd).expect("validated sd");
    let mut ab = Vec::with_capacity(cfg.genomes);
    let mut present = Vec::with_capacity(cfg.genomes);
    for _ in 0..cfg.genomes {
        let m: f64 = mu.sample(rng);
        let a: Vec<f64> = (0..cfg.samples)
            .map(|_| (m + eps.sample(rng)).exp())
            .collect();
        let mut p: Vec<bool> = (0..cfg.samples)
            .map(|_| cfg.samples == 1 || !rng.random_bool(cfg.absent_rate))
            .collect();
        if !p.iter().any(|&x| x) {
            let keep = rng.random_range(0..cfg.samples);
            p[keep] = true;
        }
        ab.push(a);
        present.push(p);
    }
    (ab, present)
}

/// Mean depth of each contig in each sample (`depth[c][s]`, all ≥ 0).
pub(crate) fn contig_depths<R: Rng>(
    cfg: &SimConfig,
    rng: &mut R,
    genome_of: &[usize],
    lengths: &[usize],
    abundance: &[Vec<f64>],
    present: &[Vec<bool>],
) -> Vec<Vec<f64>> {
    let n = lengths.len();
    let s_n = cfg.samples;
    let sb = cfg.coverage_bias_sd;
    let bias_d = LogNormal::new(-sb * sb / 2.0, sb).expect("validated sd");
    let bias: Vec<f64> = (0..n).map(|_| bias_d.sample(rng)).collect();
    let lib_d = LogNormal::new(0.0, cfg.library_sd).expect("validated sd");
    let total_len: f64 = lengths.iter().map(|&l| l as f64).sum();
    let mut depth = vec![vec![0.0; s_n]; n];
    for s in 0..s_n {
        let lib = cfg.mean_depth * total_len / cfg.read_length * lib_d.sample(rng);
        let mean_a: f64 = abundance.iter().map(|a| a[s]).sum::<f64>() / abundance.len() as f64;
        let eff: Vec<f64> = abundance
            .iter()
            .zip(present)
            .map(|(a, p)| {
                if p[s] {
                    a[s]
                } else {
                    cfg.mismapping_floor * mean_a
                }
            })
            .collect();
        let w: Vec<f64> = (0..n)
            .map(|c| eff[genome_of[c]] * lengths[c] as f64 * bias[c])
            .collect();
        let wsum: f64 = w.iter().sum();
        for c in 0..n {
            let m = if wsum > 0.0 { lib * w[c] / wsum } else { 0.0 };
            let reads = nb_draw(rng, m, cfg.dispersion);
            depth[c][s] = reads * cfg.read_length / lengths[c] as f64;
        }
    }
    depth
}

fn nb_draw<R: Rng>(rng: &mut R, mean: f64, k: f64) -> f64 {
    if !(mean > 0.0 && mean.is_finite()) {
        return 0.0;
    }
    let lambda = match Gamma::new(k, mean / k) {
        Ok(g) => g.sample(rng),
        Err(_) => mean,
    };
    if lambda <= 0.0 {
        return 0.0;
    }
    match Poisson::new(lambda) {
        Ok(p) => p.sample(rng),
        Err(_) => lambda.round(),
    }
}
