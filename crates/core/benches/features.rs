//! Feature-extraction throughput against vamb, one table (not a timed test):
//!
//! ```text
//! flock /tmp/td-heavy.lock cargo bench -p taxdistill-core --bench features
//! ```
//!
//! For each input size it writes (once) a synthetic FASTA and its `.gz` twin
//! under `$CARGO_TARGET_DIR/bench-data/`, then measures, each in a fresh child
//! process (so peak RSS is per run), best of `$TAXDISTILL_BENCH_RUNS` (3):
//!
//! * `taxdistill`: [`tnf_of_file`] (what `taxdistill features` runs: blocks
//!   of records parsed and counted on rayon's pool, cut in place from the
//!   memory-mapped plain file, or as gzip is inflated on its own thread) then
//!   the z-scoring, on the plain and the `.gz` file;
//! * the floor for `.gz`: inflating alone with the same flate2 backend, and `zcat`;
//! * vamb 5's own feature code, `vamb.parsecontigs.Composition.from_file`
//!   (vambcore's compiled 4-mer counting + numpy's projection), from
//!   `$VAMB_VENV` (default `/work/venvs/vamb`), on the same plain file.
//!
//! Environment: `TAXDISTILL_BENCH_MBP` (sizes, default `"100 400"`),
//! `TAXDISTILL_BENCH_FASTA` (use this plain FASTA instead of synthetic ones),
//! `RAYON_NUM_THREADS`. Prints a Markdown table.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use taxdistill_core::features::{tnf_of_file, FeatureOptions};

/// A synthetic assembly: log-normal contig lengths (median 4 kbp, σ = 1,
/// at least 1 kbp: most contigs short, most bases in long ones), 80-bp lines,
/// a per-contig GC content, and rare N runs as scaffolding leaves them.
fn synthetic(path: &Path, mbp: usize) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15 ^ mbp as u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let uniform = |x: u64| (x >> 11) as f64 / (1u64 << 53) as f64;
    let target = mbp * 1_000_000;
    let (mut written, mut i) = (0usize, 0usize);
    let mut line = Vec::with_capacity(81);
    while written < target {
        // Box–Muller normal for the log-length
        let (u1, u2) = (uniform(next()).max(1e-12), uniform(next()));
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let len = ((4000f64.ln() + z).exp() as usize).max(1000);
        let gc = 0.3 + 0.4 * uniform(next());
        let gc_cut = (gc * 65536.0) as u64;
        writeln!(w, ">contig_{i} len={len}")?;
        let mut left = len;
        let mut n_run = 0usize;
        while left > 0 {
            let n = left.min(80);
            line.clear();
            for _ in 0..n {
                if n_run > 0 {
                    n_run -= 1;
                    line.push(b'N');
                    continue;
                }
                let r = next();
                if r % 200_000 == 0 {
                    n_run = 10 + (r >> 32) as usize % 90;
                }
                let strong = (r >> 16) & 0xffff < gc_cut;
                line.push(match (strong, r & 1) {
                    (true, 0) => b'G',
                    (true, _) => b'C',
                    (false, 0) => b'A',
                    (false, _) => b'T',
                });
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
    let tmp = gz.with_extension("gz.part");
    let mut enc = flate2::write::GzEncoder::new(
        BufWriter::new(std::fs::File::create(&tmp)?),
        flate2::Compression::new(6),
    );
    std::io::copy(&mut r, &mut enc)?;
    enc.finish()?.flush()?;
    std::fs::rename(tmp, gz)
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU seconds (user + system) this process used so far, from `/proc/self/stat`.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // fields after the parenthesised command name; utime and stime are the 12th and 13th
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    // clock ticks: 100 per second on Linux
    f.iter().sum::<f64>() / 100.0
}

/// One measurement in a child process: `RESULT <seconds> <bases> <peak RSS MiB> <CPU seconds>`.
fn child(mode: &str, path: &Path) {
    let t = Instant::now();
    let bases = match mode {
        "features" => {
            let b = tnf_of_file(path, &path.display().to_string(), |_| {}).expect("features");
            let bases = b.bases();
            let m = b
                .finish(None, &FeatureOptions::default())
                .expect("z-scores");
            assert!(m.n_rows() > 0);
            bases
        }
        "gunzip" => {
            let f = std::fs::File::open(path).expect("open gz");
            let mut d = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, f));
            let mut buf = vec![0u8; 1 << 20];
            let mut n = 0usize;
            loop {
                let k = d.read(&mut buf).expect("gunzip");
                if k == 0 {
                    break n;
                }
                n += k;
            }
        }
        other => panic!("unknown bench mode {other}"),
    };
    println!(
        "RESULT {} {bases} {} {}",
        t.elapsed().as_secs_f64(),
        peak_rss_mib(),
        cpu_seconds()
    );
}

/// One child's (seconds, bases, peak RSS MiB, CPU seconds).
type Run = (f64, f64, f64, f64);

/// The fastest of `runs` runs of a command printing `RESULT …`.
fn best_of(runs: usize, mut cmd: impl FnMut() -> Command) -> Option<Run> {
    let mut best: Option<Run> = None;
    for _ in 0..runs {
        let out = cmd().stderr(Stdio::inherit()).output().ok()?;
        if !out.status.success() {
            eprintln!("bench child failed: {}", out.status);
            return None;
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().find_map(|l| l.strip_prefix("RESULT "))?;
        let v: Vec<f64> = line
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        let r = (v[0], v[1], v[2], v.get(3).copied().unwrap_or(f64::NAN));
        if best.is_none_or(|b| r.0 < b.0) {
            best = Some(r);
        }
    }
    best
}

/// Wall seconds of `zcat FILE > /dev/null`, best of `runs`.
fn zcat(runs: usize, gz: &Path) -> Option<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let t = Instant::now();
        let ok = Command::new("zcat")
            .arg(gz)
            .stdout(Stdio::null())
            .status()
            .ok()?
            .success();
        if !ok {
            return None;
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    Some(best)
}

const VAMB: &str = r#"
import sys, time, resource
import vamb
path = sys.argv[1]
t = time.perf_counter()
with vamb.vambtools.Reader(path) as fh:
    comp = vamb.parsecontigs.Composition.from_file(fh, path, minlength=4)
secs = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
print(f"RESULT {secs} {comp.count_bases()} {ru.ru_maxrss / 1024} {ru.ru_utime + ru.ru_stime}")
"#;

fn main() {
    if let (Ok(mode), Ok(path)) = (
        std::env::var("TAXDISTILL_BENCH_CHILD"),
        std::env::var("TAXDISTILL_BENCH_PATH"),
    ) {
        child(&mode, Path::new(&path));
        return;
    }
    let runs: usize = std::env::var("TAXDISTILL_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("bench-data");
    std::fs::create_dir_all(&dir).expect("bench-data dir");
    let inputs: Vec<PathBuf> = match std::env::var_os("TAXDISTILL_BENCH_FASTA") {
        Some(p) => vec![PathBuf::from(p)],
        None => std::env::var("TAXDISTILL_BENCH_MBP")
            .unwrap_or_else(|_| "100 400".into())
            .split_whitespace()
            .filter_map(|s| s.parse::<usize>().ok())
            .map(|mbp| {
                let p = dir.join(format!("assembly_{mbp}mbp.fna"));
                if !p.exists() {
                    eprintln!("writing {}", p.display());
                    let part = p.with_extension("fna.part");
                    synthetic(&part, mbp).expect("write synthetic FASTA");
                    std::fs::rename(&part, &p).expect("rename");
                }
                p
            })
            .collect(),
    };
    let exe = std::env::current_exe().expect("own path");
    let venv = std::env::var("VAMB_VENV").unwrap_or_else(|_| "/work/venvs/vamb".into());
    let python = Path::new(&venv).join("bin/python");
    let threads = rayon::current_num_threads();

    println!(
        "machine: {} CPUs, rayon threads {threads}, best of {runs}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("Each cell: wall seconds (Mbp/s) [CPU seconds]; ratios are of wall times.");
    println!();
    println!("| input | contigs | Mbp | taxdistill, plain | vamb, plain | taxdistill / vamb | taxdistill, .gz | inflate alone (flate2) | zcat | .gz / inflate | peak RSS MiB: plain / .gz / vamb | of which TNF rows |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for plain in inputs {
        let gz = PathBuf::from(format!("{}.gz", plain.display()));
        if !gz.exists() {
            eprintln!("writing {}", gz.display());
            gzip(&plain, &gz).expect("gzip");
        }
        let contigs = std::fs::read(&plain).map(|d| memchr_count(&d)).unwrap_or(0);
        let ours = |mode: &'static str, path: PathBuf| {
            let exe = exe.clone();
            move || {
                let mut c = Command::new(&exe);
                c.env("TAXDISTILL_BENCH_CHILD", mode)
                    .env("TAXDISTILL_BENCH_PATH", &path);
                c
            }
        };
        let plain_r = best_of(runs, ours("features", plain.clone())).expect("features plain");
        let gz_r = best_of(runs, ours("features", gz.clone())).expect("features gz");
        let inflate = best_of(runs, ours("gunzip", gz.clone())).expect("inflate");
        let zcat_s = zcat(runs, &gz);
        let vamb = if python.exists() {
            best_of(runs.min(2), || {
                let mut c = Command::new(&python);
                c.arg("-c").arg(VAMB).arg(&plain);
                c
            })
        } else {
            eprintln!("no vamb venv at {venv}: vamb column left empty");
            None
        };
        let mbp = plain_r.1 / 1e6;
        let cell = |r: &Run| format!("{:.2} ({:.0}) [{:.2}]", r.0, mbp / r.0, r.3);
        // ids aside, 103 f32 per contig, held twice while merging (the
        // blocks' rows and the merged array)
        let rows_mib = contigs as f64 * 103.0 * 4.0 * 2.0 / (1 << 20) as f64;
        println!(
            "| {} | {contigs} | {mbp:.1} | {} | {} | {} | {} | {:.2} [{:.2}] | {} | {:.2} | {:.0} / {:.0} / {} | {rows_mib:.0} |",
            plain.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            cell(&plain_r),
            vamb.as_ref().map_or_else(|| "–".into(), cell),
            vamb.map_or_else(|| "–".into(), |v| format!("{:.1}×", v.0 / plain_r.0)),
            cell(&gz_r),
            inflate.0,
            inflate.3,
            zcat_s.map_or_else(|| "–".into(), |s| format!("{s:.2}")),
            gz_r.0 / inflate.0,
            plain_r.2,
            gz_r.2,
            vamb.map_or_else(|| "–".into(), |v| format!("{:.0}", v.2)),
        );
    }
}

/// Number of FASTA headers (lines starting with `>`).
fn memchr_count(data: &[u8]) -> usize {
    data.first().map_or(0, |&b| (b == b'>') as usize)
        + data.windows(2).filter(|w| w == b"\n>").count()
}
