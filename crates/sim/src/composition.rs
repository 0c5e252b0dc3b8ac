//! Genome composition: an order-3 Markov chain over A, C, G, T (so 4-mer
//! statistics) with one transition table per codon phase (codon-like
//! periodicity), and a GC bias.
//!
//! Models evolve down the taxonomy: every clade adds Gaussian noise of its
//! rank's size to its parent's logits (`logits: 3 phases × 64 contexts × 4
//! next bases`, f32), plus a shift of the G and C logits. Species of a genus
//! therefore share most of their 4-mer spectrum, genera of a family less so.

use rand::Rng;
use rand_distr::{Distribution, Normal};

const N_LOGITS: usize = 3 * 64 * 4;

/// Logits of the phase-dependent order-3 Markov chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Composition {
    logits: Vec<f32>,
}

fn normal(sd: f64) -> Normal<f64> {
    // sd is validated non-negative and finite by SimConfig::validate
    Normal::new(0.0, sd.max(0.0))
        .unwrap_or_else(|_| Normal::new(0.0, 0.0).expect("zero sd is valid"))
}

impl Composition {
    /// The ancestral model of all life in the simulation.
    pub fn root<R: Rng>(rng: &mut R) -> Composition {
        let n = normal(0.6);
        Composition {
            logits: (0..N_LOGITS).map(|_| n.sample(rng) as f32).collect(),
        }
    }

    /// A child clade's model: `self` + N(0, sd) per logit + a GC shift N(0, 0.8·sd).
    pub fn child<R: Rng>(&self, rng: &mut R, sd: f64) -> Composition {
        let n = normal(sd);
        let gc = normal(0.8 * sd).sample(rng) as f32;
        let logits = self
            .logits
            .iter()
            .enumerate()
            .map(|(i, &l)| {
                let base = i % 4;
                let shift = if base == 1 || base == 2 { gc } else { 0.0 };
                l + n.sample(rng) as f32 + shift
            })
            .collect();
        Composition { logits }
    }

    /// Cumulative sampling thresholds (u32 scale) per phase and context.
    pub fn table(&self) -> SamplingTable {
        let mut cum = Vec::with_capacity(3 * 64);
        for chunk in self.logits.chunks_exact(4) {
            let m = chunk.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let e: Vec<f64> = chunk.iter().map(|&l| f64::from(l - m).exp()).collect();
            let s: f64 = e.iter().sum();
            let mut acc = 0.0;
            let mut t = [0u32; 3];
            for (k, slot) in t.iter_mut().enumerate() {
                acc += e[k] / s;
                *slot = (acc * f64::from(u32::MAX)).round() as u32;
            }
            cum.push(t);
        }
        SamplingTable { cum }
    }
}

/// Sampling form of a [`Composition`].
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingTable {
    cum: Vec<[u32; 3]>,
}

const BASES: [u8; 4] = *b"ACGT";

fn complement(b: u8) -> u8 {
    match b {
        b'A' => b'T',
        b'C' => b'G',
        b'G' => b'C',
        b'T' => b'A',
        x => x,
    }
}

impl SamplingTable {
    #[inline]
    fn next<R: Rng>(&self, rng: &mut R, phase: usize, ctx: usize) -> usize {
        let t = &self.cum[phase * 64 + ctx];
        let r = rng.next_u32();
        usize::from(r >= t[0]) + usize::from(r >= t[1]) + usize::from(r >= t[2])
    }

    /// Appends `len` bases made of gene-like segments (300 bp + Exp(700 bp)),
    /// each on a random strand and starting in a random codon phase.
    pub fn generate<R: Rng>(&self, rng: &mut R, len: usize, out: &mut Vec<u8>) {
        let mut seg = Vec::with_capacity(4096);
        let mut left = len;
        while left > 0 {
            let u: f64 = rng.random::<f64>();
            let seg_len = (300.0 - 700.0 * (1.0 - u).ln()) as usize;
            let seg_len = seg_len.clamp(1, left);
            let mut phase = rng.random_range(0..3usize);
            let mut ctx = rng.random_range(0..64usize);
            seg.clear();
            for _ in 0..seg_len {
                let b = self.next(rng, phase, ctx);
                seg.push(BASES[b]);
                ctx = ((ctx << 2) | b) & 63;
                phase = if phase == 2 { 0 } else { phase + 1 };
            }
            if rng.random_bool(0.5) {
                out.extend(seg.iter().rev().map(|&b| complement(b)));
            } else {
                out.extend_from_slice(&seg);
            }
            left -= seg_len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn generated_sequence_has_the_requested_length_and_only_acgt() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let t = Composition::root(&mut rng).table();
        let mut v = Vec::new();
        t.generate(&mut rng, 12_345, &mut v);
        assert_eq!(v.len(), 12_345);
        assert!(v.iter().all(|b| b"ACGT".contains(b)));
    }

    #[test]
    fn a_positive_gc_shift_raises_gc_content() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let root = Composition::root(&mut rng);
        let mut hi = root.clone();
        for (i, l) in hi.logits.iter_mut().enumerate() {
            if i % 4 == 1 || i % 4 == 2 {
                *l += 1.0;
            }
        }
        let gc = |c: &Composition, rng: &mut rand_chacha::ChaCha8Rng| {
            let mut v = Vec::new();
            c.table().generate(rng, 50_000, &mut v);
            v.iter().filter(|&&b| b == b'G' || b == b'C').count() as f64 / v.len() as f64
        };
        assert!(gc(&hi, &mut rng) > gc(&root, &mut rng) + 0.1);
    }
}
