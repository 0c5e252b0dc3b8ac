//! Student CPU forward throughput (not a timed test):
//! `cargo bench -p taxdistill-core --bench forward` (set `RAYON_NUM_THREADS`).
//!
//! Compares the fixed-order forward that `Student::leaf_probs` runs (the same
//! bits on every platform) with candle's matmul path (`Student::forward` +
//! softmax) on the same random Taxometer-sized student, in batches of 8192
//! rows as `taxdistill annotate` sends them. Prints a Markdown table and the
//! largest difference between the two paths' probabilities.
//!
//! `$TAXDISTILL_BENCH_ROWS` (default 100000), `$TAXDISTILL_BENCH_HIDDEN`
//! (default `512,512,512,512`), `$TAXDISTILL_BENCH_LEAVES` (default 60).

use std::time::Instant;
use taxdistill_core::model::{write_safetensors, ModelMeta, Student, FORMAT_VERSION};
use taxdistill_core::taxonomy::{LabelTree, Lineage};

const FEATURES: usize = 110;
const BATCH: usize = 8192;

fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32 * scale
        })
        .collect()
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn student(hidden: &[usize], leaves: usize) -> Student {
    let lineages: Vec<Lineage> = (0..leaves)
        .map(|i| Lineage::parse(&format!("D{};P{};G{i}", i % 2, i % 7)).expect("lineage"))
        .collect();
    let tree = LabelTree::from_lineages(lineages.iter());
    let meta = ModelMeta {
        format_version: FORMAT_VERSION,
        n_samples: 6,
        use_abundance: true,
        feature_names: (0..FEATURES).map(|i| format!("f{i}")).collect(),
        feature_mean: vec![0.0; FEATURES],
        feature_std: vec![1.0; FEATURES],
        hidden: hidden.to_vec(),
        leaky_slope: 0.01,
        tree,
        min_length: 2000,
        thresholds: [0.5; 7],
        provenance: serde_json::Value::Null,
    };
    let mut tensors = Vec::new();
    let mut prev = FEATURES;
    for (i, &h) in hidden.iter().enumerate() {
        let scale = (1.0 / prev as f32).sqrt() * 1.7;
        tensors.push((
            format!("layers.{i}.weight"),
            vec![h, prev],
            values(h * prev, 2 * i as u64 + 1, scale),
        ));
        tensors.push((
            format!("layers.{i}.bias"),
            vec![h],
            values(h, 2 * i as u64 + 2, 0.1),
        ));
        prev = h;
    }
    let l = meta.tree.n_leaves();
    tensors.push((
        "output.weight".into(),
        vec![l, prev],
        values(l * prev, 99, (1.0 / prev as f32).sqrt() * 3.0),
    ));
    tensors.push(("output.bias".into(), vec![l], values(l, 100, 0.1)));
    let st = write_safetensors(&tensors).expect("safetensors");
    Student::from_bytes(&st, &meta.to_json().expect("json")).expect("student")
}

fn candle_leaf_probs(s: &Student, raw: &[f32]) -> Vec<f32> {
    let f = s.meta.n_features();
    let x = candle_core::Tensor::from_vec(
        s.meta.normalize(raw),
        (raw.len() / f, f),
        &candle_core::Device::Cpu,
    )
    .expect("tensor");
    let logits = s.forward(&x).expect("forward");
    candle_nn::ops::softmax(&logits, candle_core::D::Minus1)
        .and_then(|p| p.flatten_all())
        .and_then(|p| p.to_vec1::<f32>())
        .expect("softmax")
}

fn best_of(runs: usize, mut f: impl FnMut() -> Vec<f32>) -> (f64, Vec<f32>) {
    let mut best = f64::INFINITY;
    let mut out = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        out = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, out)
}

fn main() {
    let rows: usize = env("TAXDISTILL_BENCH_ROWS", "100000")
        .parse()
        .expect("rows");
    let hidden: Vec<usize> = env("TAXDISTILL_BENCH_HIDDEN", "512,512,512,512")
        .split(',')
        .map(|h| h.trim().parse().expect("hidden width"))
        .collect();
    let leaves: usize = env("TAXDISTILL_BENCH_LEAVES", "60")
        .parse()
        .expect("leaves");
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into());
    let s = student(&hidden, leaves);
    let raw = values(rows * FEATURES, 7, 2.0);
    let batches = |f: &dyn Fn(&[f32]) -> Vec<f32>| -> Vec<f32> {
        raw.chunks(BATCH * FEATURES).flat_map(f).collect()
    };
    let (t_fixed, p_fixed) = best_of(3, || batches(&|x| s.leaf_probs(x).expect("leaf_probs")));
    let (t_candle, p_candle) = best_of(3, || batches(&|x| candle_leaf_probs(&s, x)));
    let max_diff = p_fixed
        .iter()
        .zip(&p_candle)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    let macs: usize = std::iter::once(FEATURES)
        .chain(hidden.iter().copied())
        .zip(
            hidden
                .iter()
                .copied()
                .chain(std::iter::once(s.meta.tree.n_leaves())),
        )
        .map(|(a, b)| a * b)
        .sum::<usize>()
        * rows;
    println!(
        "student {FEATURES} → {hidden:?} → {} leaves, {rows} contigs, batches of {BATCH}, threads {threads}\n",
        s.meta.tree.n_leaves()
    );
    println!("| path | seconds | contigs/s | GMAC/s |");
    println!("|---|---|---|---|");
    for (name, t) in [
        ("fixed-order (Student::leaf_probs)", t_fixed),
        ("candle matmul (Student::forward)", t_candle),
    ] {
        println!(
            "| {name} | {t:.3} | {:.0} | {:.1} |",
            rows as f64 / t,
            macs as f64 / t / 1e9
        );
    }
    println!(
        "\nfixed-order / candle time: {:.2}×; max |Δp| between the paths: {max_diff:.2e}",
        t_fixed / t_candle
    );
}
