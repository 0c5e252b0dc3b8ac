//! Contigs/s of GPU (wgpu) vs CPU (candle) student inference with a
//! Taxometer-sized model (107 inputs → 4 × 512 → ~500 leaves).
//!
//! `cargo run --release -p taxdistill-gpu --example bench -- [N ...]`
//! (default N: 10000 100000 1000000). Prints a Markdown table for docs/gpu.md.
//! Features are generated once for up to 100k rows and reused, streaming
//! larger N through the engine in 100k-row calls like the CLI does.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;
use taxdistill_gpu::{init_device_blocking, Engine, DEFAULT_BATCH_ROWS};

const N_FEATURES: usize = 107;
const CHUNK: usize = 100_000;

fn time(engine: &Engine, x: &[f32], n: usize) -> f64 {
    let t = Instant::now();
    let mut done = 0;
    while done < n {
        let rows = (n - done).min(CHUNK);
        let p = engine
            .predict_blocking(&x[..rows * N_FEATURES])
            .expect("inference");
        assert_eq!(p.len(), rows);
        done += rows;
    }
    t.elapsed().as_secs_f64()
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("N must be a number"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000, 1_000_000]
    } else {
        sizes
    };
    let (st, json) =
        common::random_model(7, N_FEATURES, &[512, 512, 512, 512], 500, 12.0, [0.5; 7]);
    let x = common::random_features(1, CHUNK.min(*sizes.iter().max().unwrap_or(&1)), N_FEATURES);

    let cpu = Engine::with_context(None, &st, &json, DEFAULT_BATCH_ROWS).expect("model");
    let ctx = init_device_blocking().expect("device");
    let gpu =
        ctx.map(|c| Engine::with_context(Some(c), &st, &json, DEFAULT_BATCH_ROWS).expect("model"));
    let leaves = cpu.meta().tree.n_leaves();
    println!("model: {N_FEATURES} inputs, 4 x 512 hidden, {leaves} leaves; batch {DEFAULT_BATCH_ROWS} rows");
    match &gpu {
        Some(g) => println!(
            "gpu: {} ({}), {} rows per batch, {:.1} MiB of device buffers",
            g.adapter_name().unwrap_or("?"),
            g.backend(),
            g.batch_rows(),
            g.gpu_bytes() as f64 / (1 << 20) as f64
        ),
        None => println!("gpu: none found"),
    }
    // Warm-up: pipeline compilation and first-touch allocations.
    if let Some(g) = &gpu {
        time(g, &x, 1000.min(x.len() / N_FEATURES));
    }
    time(&cpu, &x, 1000.min(x.len() / N_FEATURES));

    println!();
    println!("| contigs | CPU candle (contigs/s) | GPU wgpu (contigs/s) | GPU / CPU | GPU buffers (MiB) |");
    println!("|---:|---:|---:|---:|---:|");
    for &n in &sizes {
        let c = time(&cpu, &x, n);
        let (g_rate, ratio, mem) = match &gpu {
            Some(g) => {
                let s = time(g, &x, n);
                (
                    format!("{:.0}", n as f64 / s),
                    format!("{:.2}", c / s),
                    format!("{:.1}", g.gpu_bytes() as f64 / (1 << 20) as f64),
                )
            }
            None => ("–".into(), "–".into(), "–".into()),
        };
        println!("| {n} | {:.0} | {g_rate} | {ratio} | {mem} |", n as f64 / c);
    }
}
