//! CLI tests of the student commands (`distill`, `annotate`, `run`) on a tiny
//! simulated community: outputs exist and are complete, the model directory
//! round-trips, and bad input gives one clear error line.

use std::path::{Path, PathBuf};

mod common;
use common::{bin, fail, ok};

/// A tiny community (simulated once per test; a few hundred contigs).
fn community(dir: &Path) -> PathBuf {
    let d = dir.join("sim");
    ok(
        bin()
            .args([
                "-q",
                "simulate",
                "--genomes",
                "12",
                "--contigs",
                "400",
                "--samples",
                "2",
                "--seed",
                "3",
                "--out",
            ])
            .arg(&d)
            .output()
            .unwrap(),
        "simulate",
    );
    d
}

fn rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// Contig lengths of a (compressed) FASTA, by id.
fn lengths(fasta: &Path) -> std::collections::HashMap<String, usize> {
    let f = std::fs::File::open(fasta).unwrap();
    taxdistill_core::fasta::ContigReader::new(f, "contigs")
        .unwrap()
        .map(|c| {
            let c = c.unwrap();
            (c.id, c.seq.len())
        })
        .collect()
}

/// The input labels of a Taxometer TSV, by id.
fn labels(tsv: &Path) -> std::collections::HashMap<String, String> {
    rows(tsv)
        .into_iter()
        .map(|r| (r[0].clone(), r.get(1).cloned().unwrap_or_default()))
        .collect()
}

fn run_none(sim: &Path, out: &Path, extra: &[&str]) -> String {
    ok(
        bin()
            .args([
                "-q",
                "run",
                "--teacher",
                "none",
                "--epochs",
                "4",
                "--min-steps",
                "0",
            ])
            .args(extra)
            .arg("--contigs")
            .arg(sim.join("contigs.fna.gz"))
            .arg("--abundance")
            .arg(sim.join("abundance.tsv"))
            .arg("--labels")
            .arg(sim.join("labels.tsv"))
            .arg("--out")
            .arg(out)
            .output()
            .unwrap(),
        "run",
    )
}

fn annotate(sim: &Path, model: &Path, out: &Path, extra: &[&str]) {
    ok(
        bin()
            .args(["-q", "annotate", "--model"])
            .arg(model)
            .arg("--contigs")
            .arg(sim.join("contigs.fna.gz"))
            .arg("--abundance")
            .arg(sim.join("abundance.tsv"))
            .arg("--out")
            .arg(out.join("predictions.tsv"))
            .arg("--cami")
            .arg(out.join("predictions.cami"))
            .arg("--report")
            .arg(out.join("report.kraken.txt"))
            .args(extra)
            .output()
            .unwrap(),
        "annotate",
    );
}

fn same_files(a: &Path, b: &Path) {
    for f in ["predictions.tsv", "predictions.cami", "report.kraken.txt"] {
        assert_eq!(
            std::fs::read_to_string(a.join(f)).unwrap(),
            std::fs::read_to_string(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn run_writes_every_output_and_annotate_reproduces_its_predictions() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = community(tmp.path());
    let out = tmp.path().join("out");
    let stderr = run_none(&sim, &out, &[]);
    assert!(stderr.contains("confirmed"), "{stderr}");
    for f in [
        "predictions.tsv",
        "predictions.cami",
        "report.kraken.txt",
        "summary.tsv",
        "model/model.json",
        "model/model.safetensors",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let header = std::fs::read_to_string(out.join("predictions.tsv")).unwrap();
    assert!(header.starts_with("contigs\tpredictions\tscores\tsource\n"));
    let pred = rows(&out.join("predictions.tsv"));
    assert_eq!(pred.len(), 400);
    assert!(pred.iter().filter(|r| !r[1].is_empty()).count() > 100);

    // every contig below --min-length keeps its input label, marked `input`,
    // in every writer
    let len = lengths(&sim.join("contigs.fna.gz"));
    let input = labels(&sim.join("labels.tsv"));
    let short: Vec<&Vec<String>> = pred.iter().filter(|r| len[&r[0]] < 2000).collect();
    assert!(short.len() > 10, "the community has short contigs");
    let cami = std::fs::read_to_string(out.join("predictions.cami")).unwrap();
    let cami_rows: std::collections::HashMap<&str, &str> = cami
        .lines()
        .filter(|l| !l.starts_with('@') && !l.starts_with('#') && !l.is_empty())
        .map(|l| (l.split('\t').next().unwrap(), l))
        .collect();
    let n_kept = short.iter().filter(|r| !input[&r[0]].is_empty()).count();
    assert!(
        cami.contains(&format!("# {n_kept} contig(s) shorter than 2000 bp are not annotated by the student: they keep their input label")),
        "{}",
        &cami[..400]
    );
    for r in &short {
        let want = &input[&r[0]];
        assert_eq!(&r[1], want, "{}", r[0]);
        assert_eq!(r[3], if want.is_empty() { "none" } else { "input" });
        let species = want.rsplit(';').next().unwrap();
        assert!(cami_rows[r[0].as_str()].ends_with(species), "{}", r[0]);
    }
    for r in pred.iter().filter(|r| len[&r[0]] >= 2000) {
        assert_eq!(r[3], "student");
    }
    // the report counts every contig that has a lineage, kept ones included
    let report = std::fs::read_to_string(out.join("report.kraken.txt")).unwrap();
    let root: u64 = report
        .lines()
        .find(|l| l.ends_with("\troot"))
        .map(|l| l.split('\t').nth(1).unwrap().parse().unwrap())
        .unwrap();
    assert_eq!(
        root as usize,
        pred.iter().filter(|r| !r[1].is_empty()).count()
    );
    let summary = std::fs::read_to_string(out.join("summary.tsv")).unwrap();
    let domain: Vec<&str> = summary.lines().nth(1).unwrap().split('\t').collect();
    assert_eq!(
        domain.last().unwrap().parse::<usize>().unwrap(),
        n_kept,
        "{summary}"
    );

    // annotate with the stored model and the labels writes the same files
    let again = tmp.path().join("again");
    std::fs::create_dir_all(&again).unwrap();
    let labels_path = sim.join("labels.tsv");
    annotate(
        &sim,
        &out.join("model"),
        &again,
        &["--labels", labels_path.to_str().unwrap()],
    );
    same_files(&out, &again);
    // from a pipe (read once, into memory instead of three times) the same rows
    let piped = tmp.path().join("piped.tsv");
    let mut child = bin()
        .args(["-q", "annotate", "--model"])
        .arg(out.join("model"))
        .args(["--contigs", "/dev/stdin", "--abundance"])
        .arg(sim.join("abundance.tsv"))
        .arg("--labels")
        .arg(&labels_path)
        .arg("--out")
        .arg(&piped)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let fasta = std::fs::read(sim.join("contigs.fna.gz")).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &fasta));
    ok(child.wait_with_output().unwrap(), "annotate from a pipe");
    feeder.join().unwrap().unwrap();
    assert_eq!(
        std::fs::read_to_string(&piped).unwrap(),
        std::fs::read_to_string(out.join("predictions.tsv")).unwrap()
    );
    // --no-passthrough writes what the student alone annotates, as annotate
    // without labels does (the outputs of earlier versions, byte for byte)
    let bare = tmp.path().join("bare");
    run_none(&sim, &bare, &["--no-passthrough"]);
    let student = tmp.path().join("student");
    std::fs::create_dir_all(&student).unwrap();
    annotate(&sim, &bare.join("model"), &student, &[]);
    same_files(&bare, &student);
    let bare_rows = rows(&bare.join("predictions.tsv"));
    for (a, b) in bare_rows.iter().zip(&pred) {
        assert_eq!(a.len(), 3);
        if len[&a[0]] < 2000 {
            assert!(a[1].is_empty() && a[2].is_empty());
        } else {
            assert_eq!(a[..], b[..3]);
        }
    }
    let again = tmp.path().join("again.tsv");
    // without abundances the model refuses clearly
    let e = fail(
        bin()
            .args(["-q", "annotate", "--model"])
            .arg(out.join("model"))
            .arg("--contigs")
            .arg(sim.join("contigs.fna.gz"))
            .arg("--out")
            .arg(&again)
            .output()
            .unwrap(),
        "annotate without abundance",
    );
    assert!(e.contains("abundance"), "{e}");
    // a corrupt model is a clear error
    std::fs::write(out.join("model/model.safetensors"), b"not a model").unwrap();
    let e = fail(
        bin()
            .args(["-q", "annotate", "--model"])
            .arg(out.join("model"))
            .arg("--contigs")
            .arg(sim.join("contigs.fna.gz"))
            .arg("--abundance")
            .arg(sim.join("abundance.tsv"))
            .arg("--out")
            .arg(&again)
            .output()
            .unwrap(),
        "annotate with a corrupt model",
    );
    assert!(e.contains("model.safetensors"), "{e}");
}

#[test]
fn distill_without_abundance_and_bad_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = community(tmp.path());
    let model = tmp.path().join("tnf");
    // labels naming contigs absent from the FASTA: a warning with the count
    let labels = std::fs::read_to_string(sim.join("labels.tsv")).unwrap();
    let first = labels
        .lines()
        .nth(1)
        .unwrap()
        .split('\t')
        .nth(1)
        .unwrap()
        .to_string();
    let extra = format!("{labels}ghost_1\t{first}\nghost_2\t{first}\n");
    let lpath = tmp.path().join("labels_extra.tsv");
    std::fs::write(&lpath, extra).unwrap();
    let stderr = ok(
        bin()
            .args([
                "-q",
                "distill",
                "--no-abundance",
                "--epochs",
                "2",
                "--min-steps",
                "0",
                "--contigs",
            ])
            .arg(sim.join("contigs.fna.gz"))
            .arg("--labels")
            .arg(&lpath)
            .arg("--out")
            .arg(&model)
            .output()
            .unwrap(),
        "distill --no-abundance",
    );
    assert!(
        stderr.contains("2 labelled contig(s) are absent"),
        "{stderr}"
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("model.json")).unwrap()).unwrap();
    assert_eq!(meta["n_samples"], 0);
    assert_eq!(meta["feature_names"].as_array().unwrap().len(), 103);
    // a single-leaf label set cannot train
    let one: String = labels.lines().take(2).map(|l| format!("{l}\n")).collect();
    let opath = tmp.path().join("one.tsv");
    std::fs::write(&opath, one).unwrap();
    let e = fail(
        bin()
            .args(["-q", "distill", "--contigs"])
            .arg(sim.join("contigs.fna.gz"))
            .arg("--labels")
            .arg(&opath)
            .arg("--out")
            .arg(tmp.path().join("m1"))
            .output()
            .unwrap(),
        "single leaf",
    );
    assert!(
        e.contains("at least two distinct taxa") || e.contains("nothing to train on"),
        "{e}"
    );
    assert!(!tmp.path().join("m1").exists());
}

#[test]
fn run_with_a_teacher_keeps_the_student_that_scores_better_on_held_out_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = community(tmp.path());
    let run = |out: &Path, extra: &[&str]| {
        let stderr = ok(
            bin()
                .args(["run", "--epochs", "4", "--min-steps", "0", "--contigs"])
                .arg(sim.join("contigs.fna.gz"))
                .arg("--abundance")
                .arg(sim.join("abundance.tsv"))
                .arg("--labels")
                .arg(sim.join("labels.tsv"))
                .arg("--out")
                .arg(out)
                .args(extra)
                .output()
                .unwrap(),
            "run",
        );
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("model/model.json")).unwrap()).unwrap();
        (stderr, meta["provenance"].clone())
    };
    let (stderr, prov) = run(&tmp.path().join("guarded"), &[]);
    let note = &prov["student_fallback"];
    let cands = note["candidates"].as_array().unwrap();
    // --temperature 4 and the default --try-temperatures 1, then the labels alone
    let temps: Vec<Option<f64>> = cands.iter().map(|c| c["temperature"].as_f64()).collect();
    assert_eq!(temps, vec![Some(4.0), Some(1.0), None], "{note}");
    let scores: Vec<f64> = cands
        .iter()
        .map(|c| c["holdout_f1_mean"].as_f64().unwrap())
        .collect();
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)), "{note}");
    // the highest mean wins, the earlier one on ties
    let mut best = 0;
    for (i, s) in scores.iter().enumerate() {
        if *s > scores[best] {
            best = i;
        }
    }
    assert_eq!(note["kept"], cands[best]["student"], "{note}");
    assert!(stderr.contains("held-out F1"), "{stderr}");
    // the kept model's own training record matches the choice
    let n_teacher_only = prov["training"]["n_train_teacher_only"].as_u64().unwrap();
    assert_eq!(prov["training"]["holdout_f1"], cands[best]["holdout_f1"]);
    assert_eq!(prov["training"]["holdout_f1"].as_array().unwrap().len(), 7);
    match temps[best] {
        None => assert_eq!(n_teacher_only, 0),
        Some(t) => assert_eq!(prov["config"]["temperature"].as_f64(), Some(t)),
    }
    let (stderr, prov) = run(&tmp.path().join("always"), &["--no-student-fallback"]);
    assert!(prov["student_fallback"].is_null(), "{prov}");
    assert!(!stderr.contains("held-out F1"), "{stderr}");
}

/// Species F1 of `pred` against the simulator's truth (`eval --json`).
fn species_f1(sim: &Path, pred: &Path) -> f64 {
    let out = bin()
        .args(["-q", "eval", "--json", "--truth"])
        .arg(sim.join("truth.tsv"))
        .arg("--pred")
        .arg(pred)
        .output()
        .unwrap();
    assert!(out.status.success(), "eval failed");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["ranks"][6]["f1"].as_f64().unwrap()
}

#[test]
fn run_on_kraken2_output_leaves_genomes_the_reference_lacks_unassigned() {
    // Kraken2-like labels: contigs of genomes absent from the reference mostly
    // unclassified, the rest labelled with a relative from a few k-mers
    let tmp = tempfile::tempdir().unwrap();
    let sim = tmp.path().join("sim");
    ok(
        bin()
            .args([
                "-q",
                "simulate",
                "--genomes",
                "16",
                "--contigs",
                "500",
                "--samples",
                "3",
                "--profile",
                "kraken2",
                "--novel-genera",
                "0.3",
                "--seed",
                "5",
                "--out",
            ])
            .arg(&sim)
            .output()
            .unwrap(),
        "simulate",
    );
    let out = tmp.path().join("out");
    let stderr = ok(
        bin()
            .args([
                "-q",
                "run",
                "--epochs",
                "6",
                "--min-steps",
                "0",
                "--min-length",
                "1000",
            ])
            .args([
                "--try-temperatures",
                "",
                "--no-student-fallback",
                "--contigs",
            ])
            .arg(sim.join("contigs.fna.gz"))
            .arg("--abundance")
            .arg(sim.join("abundance.tsv"))
            .arg("--labels")
            .arg(sim.join("raw/kraken2.out"))
            .arg("--taxonomy")
            .arg(sim.join("raw/taxdump"))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap(),
        "run",
    );
    assert!(
        stderr.contains("a rank is named when the heads' probability reaches"),
        "{stderr}"
    );
    let summary = std::fs::read_to_string(out.join("summary.tsv")).unwrap();
    assert!(
        summary.starts_with(
            "rank\tconfirmed\tchanged\tremoved\tdeepened\tnewly_labelled\tleft_novel\tkept_input\n"
        ),
        "{summary}"
    );
    let species: Vec<usize> = summary
        .lines()
        .last()
        .unwrap()
        .split('\t')
        .skip(1)
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(
        species[5] > 0,
        "no contig left unassigned as novel: {summary}"
    );
    // never worse than the labels at species
    let raw = species_f1(&sim, &sim.join("labels.tsv"));
    let ours = species_f1(&sim, &out.join("predictions.tsv"));
    assert!(ours >= raw, "species F1 {ours:.4} < raw {raw:.4}\n{stderr}");
}
