//! Contigs/s of GPU (wgpu) vs CPU (candle) student inference with a
//! Taxometer-sized model (107 inputs → 4 × 512 → 500 leaves), and the memory
//! each run needed (not a timed test).
//!
//! `flock /tmp/td-heavy.lock cargo run --release -p taxdistill-gpu --example bench -- [N ...]`
//! (default N: 10000 100000 1000000). Every (path, N) runs in a fresh child
//! process, so its peak RSS is its own: with a software device (lavapipe)
//! the "GPU" buffers live in host memory too, so a peak RSS that does not grow
//! with N shows that inference streams in fixed batches. Features are made
//! once per process for 10k rows and reused; N contigs go through the engine
//! in 10k-row calls (the same for every N, so any growth would be the
//! engine's). Prints a Markdown table.

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::Instant;
use taxdistill_gpu::{init_device_blocking, Engine, DEFAULT_BATCH_ROWS};

const N_FEATURES: usize = 107;
const CHUNK: usize = 10_000;

fn model() -> (Vec<u8>, Vec<u8>) {
    common::random_model(7, N_FEATURES, &[512, 512, 512, 512], 500, 12.0, [0.5; 7])
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Streams `n` contigs through the engine; returns seconds.
fn time(engine: &Engine, x: &[f32], n: usize) -> f64 {
    let t = Instant::now();
    let mut done = 0;
    while done < n {
        let rows = (n - done).min(x.len() / N_FEATURES);
        let p = engine
            .predict_blocking(&x[..rows * N_FEATURES])
            .expect("inference");
        assert_eq!(p.len(), rows);
        done += rows;
    }
    t.elapsed().as_secs_f64()
}

/// Child: one path, one N. Prints `RESULT <seconds> <peak RSS MiB> <device bytes> <device name>`.
fn child(path: &str, n: usize) {
    let (st, json) = model();
    let x = common::random_features(1, CHUNK.min(n), N_FEATURES);
    let ctx = match path {
        "gpu" => match init_device_blocking().expect("device") {
            Some(c) => Some(c),
            None => {
                println!("RESULT nan nan 0 none");
                return;
            }
        },
        _ => None,
    };
    let engine = Engine::with_context(ctx, &st, &json, DEFAULT_BATCH_ROWS).expect("model");
    // warm-up: pipeline compilation, first-touch allocations
    time(&engine, &x, 1000.min(n));
    let s = time(&engine, &x, n);
    println!(
        "RESULT {s} {} {} {}",
        peak_rss_mib(),
        engine.gpu_bytes(),
        engine.adapter_name().unwrap_or("cpu")
    );
}

fn run_child(path: &str, n: usize) -> Option<(f64, f64, u64, String)> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe)
        .args(["--child", path, &n.to_string()])
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("{path} {n}: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find_map(|l| l.strip_prefix("RESULT "))?;
    let mut f = line.splitn(4, ' ');
    let secs = f.next()?.parse().ok()?;
    let rss = f.next()?.parse().ok()?;
    let bytes = f.next()?.parse().ok()?;
    Some((secs, rss, bytes, f.next()?.to_string()))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1], args[2].parse().expect("N"));
        return;
    }
    let sizes: Vec<usize> = args
        .iter()
        .map(|a| a.parse().expect("N must be a number"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000, 1_000_000]
    } else {
        sizes
    };
    println!(
        "model: {N_FEATURES} inputs, 4 x 512 hidden, 500 leaves; batches of {DEFAULT_BATCH_ROWS} rows; \
         each cell a fresh process"
    );
    println!();
    println!("| contigs | CPU candle (contigs/s) | GPU wgpu (contigs/s) | GPU / CPU | device | device buffers (MiB) | peak RSS CPU / GPU run (MiB) |");
    println!("|---:|---:|---:|---:|---|---:|---:|");
    for &n in &sizes {
        let cpu = run_child("cpu", n).expect("CPU run");
        let gpu = run_child("gpu", n).filter(|g| g.0.is_finite());
        let (rate, ratio, device, mib, rss) = match &gpu {
            Some((s, rss, bytes, name)) => (
                format!("{:.0}", n as f64 / s),
                format!("{:.3}", cpu.0 / s),
                name.clone(),
                format!("{:.1}", *bytes as f64 / (1 << 20) as f64),
                format!("{rss:.0}"),
            ),
            None => (
                "–".into(),
                "–".into(),
                "none".into(),
                "–".into(),
                "–".into(),
            ),
        };
        println!(
            "| {n} | {:.0} | {rate} | {ratio} | {device} | {mib} | {:.0} / {rss} |",
            n as f64 / cpu.0,
            cpu.1
        );
    }
}
