//! `embed` is killed with SIGKILL mid-run, resumed, and must equal an
//! uninterrupted run; shards merged with `merge` must equal the unsharded run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn model() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/tiny-genomeocean")
}

fn taxdistill() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_taxdistill"));
    c.arg("-q").env("RAYON_NUM_THREADS", "2");
    c
}

/// A FASTA of `n` random contigs (deterministic), a few of them only `N`.
fn write_fasta(path: &Path, n: usize) {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut s = String::new();
    for i in 0..n {
        let len = 800 + (next() % 2500) as usize;
        s.push_str(&format!(">c{i} some description\n"));
        for j in 0..len {
            let b = if i % 97 == 5 {
                b'N'
            } else {
                b"ACGT"[(next() % 4) as usize]
            };
            s.push(b as char);
            if j % 80 == 79 {
                s.push('\n');
            }
        }
        s.push('\n');
    }
    std::fs::write(path, s).unwrap();
}

fn embed_cmd(fasta: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut c = taxdistill();
    c.args(["embed", "--genomeocean"])
        .arg(model())
        .arg("--contigs")
        .arg(fasta)
        .arg("--out")
        .arg(out);
    c.args(["--checkpoint-every", "8", "--batch-size", "8"])
        .args(extra);
    c
}

fn run_ok(mut c: Command) {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        c,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn rows(dir: &Path) -> (Vec<String>, Vec<f32>) {
    let ids = std::fs::read_to_string(dir.join("contigs.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let bytes = std::fs::read(dir.join("embeddings.safetensors")).unwrap();
    let (_, data) = taxdistill_core::model::read_f32_tensor(&bytes, "embeddings", "test").unwrap();
    (ids, data)
}

#[test]
fn killed_embed_resumes_to_the_uninterrupted_result_and_shards_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let fasta = tmp.path().join("contigs.fna");
    write_fasta(&fasta, 400);

    let full = tmp.path().join("full");
    let t0 = Instant::now();
    run_ok(embed_cmd(&fasta, &full, &[]));
    let full_secs = t0.elapsed().as_secs_f64();
    let (full_ids, full_data) = rows(&full);
    assert_eq!(full_ids.len(), 400);
    assert_eq!(full_ids[0], "c0");
    assert!(
        !tmp.path().join("full.checkpoint").exists(),
        "checkpoint must be removed after success"
    );
    // contig c5 is all N: a zero row, the others are not
    let dim = full_data.len() / 400;
    assert!(full_data[5 * dim..6 * dim].iter().all(|&v| v == 0.0));
    assert!(full_data[..dim].iter().any(|&v| v != 0.0));

    // kill -9 once some chunks are committed
    let part = tmp.path().join("part");
    let ckpt = tmp.path().join("part.checkpoint");
    let mut child = embed_cmd(&fasta, &part, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs_f64(full_secs * 5.0 + 30.0);
    let header_and_some = 24 + 3 * 8 * (4 + 8 + 3 + 4 * dim) as u64;
    loop {
        if std::fs::metadata(&ckpt)
            .map(|m| m.len() > header_and_some)
            .unwrap_or(false)
        {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "embed finished before it could be killed; use more contigs"
        );
        assert!(Instant::now() < deadline, "no checkpoint appeared");
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "embed finished before it could be killed; use more contigs"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !part.exists(),
        "a killed run must not leave an output directory"
    );
    // simulate a torn record at the tail as well
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&ckpt)
        .unwrap();
    std::io::Write::write_all(&mut f, &[200, 0, 0, 0, 1, 2, 3, 4, b'c', b'9']).unwrap();
    drop(f);
    run_ok(embed_cmd(&fasta, &part, &[]));
    let (part_ids, part_data) = rows(&part);
    assert_eq!(part_ids, full_ids);
    assert!(
        part_data == full_data,
        "resumed rows differ from the uninterrupted run"
    );
    assert!(!ckpt.exists());

    // three shards + merge = the unsharded run
    let shards: Vec<PathBuf> = (1..=3).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, s) in shards.iter().enumerate() {
        run_ok(embed_cmd(&fasta, s, &["--shard", &format!("{}/3", i + 1)]));
    }
    let merged = tmp.path().join("merged");
    let mut c = taxdistill();
    c.args(["merge", "--out"])
        .arg(&merged)
        .arg("--inputs")
        .args(&shards);
    run_ok(c);
    let (m_ids, m_data) = rows(&merged);
    assert_eq!(m_ids, full_ids);
    let worst = m_data
        .iter()
        .zip(&full_data)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(worst <= 1e-5, "merged shards differ by {worst}");

    // a missing shard and a duplicated shard are errors
    for inputs in [
        &[&shards[0], &shards[1]][..],
        &[&shards[0], &shards[1], &shards[1]][..],
    ] {
        let mut c = taxdistill();
        c.args(["merge", "--out"])
            .arg(tmp.path().join("bad"))
            .arg("--inputs")
            .args(inputs);
        let out = c.output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("shard") || err.contains("twice"), "{err}");
    }
}

#[test]
fn embed_reports_bad_model_and_bad_shard_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let fasta = tmp.path().join("c.fna");
    write_fasta(&fasta, 3);
    let out = embed_cmd(&fasta, &tmp.path().join("o"), &["--shard", "4/3"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 <= i <= n"));
    let mut c = taxdistill();
    c.args(["embed", "--genomeocean"])
        .arg(tmp.path())
        .arg("--contigs")
        .arg(&fasta)
        .arg("--out")
        .arg(tmp.path().join("o"));
    let out = c.output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("config.json") && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn contig_of_only_n_gets_a_zero_row_and_a_warning_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let fasta = tmp.path().join("c.fna");
    std::fs::write(
        &fasta,
        ">ok\nACGTTGCAACGTAGCTAGCTAGGATC\n>gap\nNNNNNNNNNNNNNNNNNNNN\n",
    )
    .unwrap();
    let out = embed_cmd(&fasta, &tmp.path().join("o"), &[])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("contig gap has no A/C/G/T") && !err.contains("contig ok "),
        "{err}"
    );
    let (ids, data) = rows(&tmp.path().join("o"));
    assert_eq!(ids, ["ok", "gap"]);
    let dim = data.len() / 2;
    assert!(data[dim..].iter().all(|&v| v == 0.0));
    assert!(data[..dim].iter().any(|&v| v != 0.0));
}
