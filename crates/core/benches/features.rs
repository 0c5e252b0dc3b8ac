//! Feature-extraction throughput (not a timed test):
//! `cargo bench -p taxdistill-core --bench features`.
//!
//! Streams a FASTA through `open_fasta_threaded` and [`FeatureBuilder`] (rayon over
//! contigs) exactly as `taxdistill features` does, on plain and gzip input, and
//! times plain gzip decompression (flate2 alone) of the same file as the floor
//! for the `.gz` case. Prints a Markdown table and the peak resident memory.
//!
//! Input: `$TAXDISTILL_BENCH_FASTA` (plain FASTA; its `.gz` twin is made next to
//! it when missing), else a synthetic ~200 Mbp FASTA written once under
//! `$CARGO_TARGET_DIR/bench-data/` (or `target/bench-data/`).
//! `$TAXDISTILL_BENCH_MBP` changes the synthetic size.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use taxdistill_core::fasta::{open_fasta_threaded, Contig};
use taxdistill_core::features::{FeatureBuilder, FeatureOptions};

/// Sequence bytes per batch handed to rayon.
const BATCH_BYTES: usize = 8 << 20;

fn synthetic(path: &Path, mbp: usize) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let target = mbp * 1_000_000;
    let (mut written, mut i) = (0usize, 0usize);
    let mut line = Vec::with_capacity(81);
    while written < target {
        // lengths 1 kbp .. ~130 kbp, skewed towards short ones like assemblies
        let r = next();
        let len = 1000 + ((r % 1000) * (r % 1000) / 8) as usize;
        writeln!(w, ">contig_{i} len={len}")?;
        let mut left = len;
        while left > 0 {
            let n = left.min(80);
            line.clear();
            let mut bits = next();
            for k in 0..n {
                if k % 32 == 0 {
                    bits = next();
                }
                line.push(b"ACGT"[(bits & 3) as usize]);
                bits >>= 2;
            }
            line.push(b'\n');
            w.write_all(&line)?;
            left -= n;
        }
        written += len;
        i += 1;
    }
    w.flush()
}

fn gzip(plain: &Path, gz: &Path) -> std::io::Result<()> {
    let mut r = BufReader::new(std::fs::File::open(plain)?);
    let mut enc = flate2::write::GzEncoder::new(
        BufWriter::new(std::fs::File::create(gz)?),
        flate2::Compression::new(6),
    );
    std::io::copy(&mut r, &mut enc)?;
    enc.finish()?.flush()
}

/// Streams a FASTA into features; returns (bp, contigs).
fn extract(path: &Path) -> (usize, usize) {
    let f = std::fs::File::open(path).expect("open bench FASTA");
    let reader = open_fasta_threaded(f, &path.display().to_string()).expect("FASTA");
    // parse on this thread, count on the rayon pool: a bounded channel keeps memory flat
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Contig>>(2);
    let worker = std::thread::spawn(move || {
        let mut b = FeatureBuilder::new();
        let mut bp = 0usize;
        for batch in rx {
            bp += batch.iter().map(|c| c.seq.len()).sum::<usize>();
            b.push_batch(&batch);
        }
        let n = b.len();
        let m = b
            .finish(None, &FeatureOptions::default())
            .expect("features");
        assert_eq!(m.n_rows(), n);
        (bp, n)
    });
    let mut batch = Vec::new();
    let mut bytes = 0usize;
    for c in reader {
        let c = c.expect("record");
        bytes += c.seq.len();
        batch.push(c);
        if bytes >= BATCH_BYTES {
            tx.send(std::mem::take(&mut batch)).expect("send");
            bytes = 0;
        }
    }
    if !batch.is_empty() {
        tx.send(batch).expect("send");
    }
    drop(tx);
    worker.join().expect("worker")
}

fn gunzip_only(path: &Path) -> usize {
    let f = std::fs::File::open(path).expect("open gz");
    let mut d = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, f));
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0;
    loop {
        let k = d.read(&mut buf).expect("gunzip");
        if k == 0 {
            break n;
        }
        n += k;
    }
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("at least one run"))
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse
    let plain: PathBuf = match std::env::var_os("TAXDISTILL_BENCH_FASTA") {
        Some(p) => PathBuf::from(p),
        None => {
            let dir = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("target"))
                .join("bench-data");
            std::fs::create_dir_all(&dir).expect("bench-data dir");
            let mbp: usize = std::env::var("TAXDISTILL_BENCH_MBP")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(200);
            let p = dir.join(format!("synthetic_{mbp}mbp.fna"));
            if !p.exists() {
                eprintln!("writing {}", p.display());
                synthetic(&p, mbp).expect("write synthetic FASTA");
            }
            p
        }
    };
    let gz = PathBuf::from(format!("{}.gz", plain.display()));
    if !gz.exists() {
        eprintln!("writing {}", gz.display());
        gzip(&plain, &gz).expect("gzip");
    }
    let threads = rayon::current_num_threads();
    let runs = 3;
    let (t_plain, (bp, n)) = best_of(runs, || extract(&plain));
    let (t_gz, _) = best_of(runs, || extract(&gz));
    let (t_gunzip, _) = best_of(runs, || gunzip_only(&gz));
    let mbp = bp as f64 / 1e6;
    println!(
        "input: {} ({n} contigs, {mbp:.1} Mbp), rayon threads: {threads}, best of {runs}",
        plain.display()
    );
    println!("| what | seconds | Mbp/s |");
    println!("|---|---:|---:|");
    println!(
        "| taxdistill features, plain FASTA | {t_plain:.2} | {:.0} |",
        mbp / t_plain
    );
    println!(
        "| taxdistill features, .gz | {t_gz:.2} | {:.0} |",
        mbp / t_gz
    );
    println!(
        "| gzip decompression only (flate2) | {t_gunzip:.2} | {:.0} |",
        mbp / t_gunzip
    );
    println!(".gz features / decompression time: {:.2}x", t_gz / t_gunzip);
    println!("peak resident memory: {:.0} MiB", peak_rss_mib());
}
