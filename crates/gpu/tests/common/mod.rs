//! Random student models for parity tests and the benchmark.
//!
//! A model here is the pair of bytes the CLI and the browser load:
//! `model.safetensors` (weights, (out, in) row-major) and `model.json`.

#![allow(dead_code)]

use taxdistill_core::model::{write_safetensors, ModelMeta, FORMAT_VERSION};
use taxdistill_core::taxonomy::{LabelTree, Lineage};

/// SplitMix64: small, seedable and good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Approximately standard normal (sum of 4 uniforms, rescaled).
    pub fn normal(&mut self) -> f32 {
        let s: f32 = (0..4).map(|_| self.uniform()).sum();
        (s - 2.0) * (3.0f32).sqrt()
    }
}

/// A label tree with about `n_leaves` leaves: species-level lineages with
/// random branching, plus some lineages that stop at genus or family.
pub fn random_tree(rng: &mut Rng, n_leaves: usize) -> LabelTree {
    let mut lineages = Vec::new();
    let mut tree = LabelTree::from_lineages(lineages.iter());
    while tree.n_leaves() < n_leaves {
        // Each new lineage adds at most one leaf, so adding the deficit
        // never overshoots; rebuild once per round.
        for _ in 0..n_leaves - tree.n_leaves() {
            let depth = match rng.below(10) {
                0 => 5,
                1 => 6,
                _ => 7,
            };
            // Few branches near the root, more below, like real taxonomies.
            let fanout = [2usize, 4, 6, 8, 10, 12, 20];
            let names: Vec<String> = (0..depth)
                .map(|d| {
                    let prefix = ["d", "p", "c", "o", "f", "g", "s"][d];
                    format!("{prefix}{}", rng.below(fanout[d]))
                })
                .collect();
            lineages.push(Lineage(names));
        }
        tree = LabelTree::from_lineages(lineages.iter());
    }
    tree
}

/// Model bytes `(safetensors, json)` with He-scaled random weights.
///
/// `logit_scale` multiplies the output layer: large values give confident,
/// trained-like predictions that walk deep into the tree.
pub fn random_model(
    seed: u64,
    n_features: usize,
    hidden: &[usize],
    n_leaves: usize,
    logit_scale: f32,
    thresholds: [f32; 7],
) -> (Vec<u8>, Vec<u8>) {
    let mut rng = Rng::new(seed);
    let tree = random_tree(&mut rng, n_leaves);
    model_on_tree(&mut rng, tree, n_features, hidden, logit_scale, thresholds)
}

/// [`random_model`] on a given label tree.
pub fn model_on_tree(
    rng: &mut Rng,
    tree: LabelTree,
    n_features: usize,
    hidden: &[usize],
    logit_scale: f32,
    thresholds: [f32; 7],
) -> (Vec<u8>, Vec<u8>) {
    let n_out = tree.n_leaves();
    let meta = ModelMeta {
        format_version: FORMAT_VERSION,
        n_samples: 0,
        use_abundance: false,
        feature_names: (0..n_features).map(|i| format!("f{i}")).collect(),
        feature_mean: (0..n_features).map(|_| rng.normal() * 0.1).collect(),
        feature_std: (0..n_features).map(|_| 0.5 + rng.uniform()).collect(),
        hidden: hidden.to_vec(),
        leaky_slope: 0.01,
        tree,
        min_length: 0,
        thresholds,
        provenance: serde_json::Value::Null,
    };
    let mut tensors = Vec::new();
    let mut prev = n_features;
    let mut dense = |name: String, out: usize, inp: usize, scale: f32, rng: &mut Rng| {
        let s = scale * (2.0 / inp as f32).sqrt();
        tensors.push((
            format!("{name}.weight"),
            vec![out, inp],
            (0..out * inp).map(|_| rng.normal() * s).collect(),
        ));
        tensors.push((
            format!("{name}.bias"),
            vec![out],
            (0..out).map(|_| rng.normal() * 0.1).collect(),
        ));
    };
    for (i, &h) in hidden.iter().enumerate() {
        dense(format!("layers.{i}"), h, prev, 1.0, rng);
        prev = h;
    }
    dense("output".into(), n_out, prev, logit_scale, rng);
    let st = write_safetensors(&tensors).expect("consistent shapes");
    let json = meta.to_json().expect("serialisable meta");
    (st, json)
}

/// Raw features for `n` contigs: (n, n_features) row-major.
pub fn random_features(seed: u64, n: usize, n_features: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed ^ 0xFEED);
    (0..n * n_features).map(|_| rng.normal()).collect()
}
