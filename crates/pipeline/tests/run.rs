//! The pipeline end to end on a small simulated community, in memory: FASTA,
//! abundance and label readers → prepare → teach → finish → writers.

use std::io::Cursor;
use taxdistill_pipeline::load::{read_features, read_labels, Loaded};
use taxdistill_pipeline::run::{prepare, RunOptions, RunOutput};
use taxdistill_pipeline::Silent;
use taxdistill_sim::{simulate, write, SimConfig};
use taxdistill_train::TrainConfig;

fn small_run(teacher: bool) -> (RunOutput, usize, Vec<String>) {
    let cfg = SimConfig {
        seed: 3,
        genomes: 10,
        contigs: 300,
        ..SimConfig::default()
    };
    let c = simulate(&cfg).unwrap();
    let (mut fasta, mut ab, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    write::write_fasta(&c, &mut fasta).unwrap();
    write::write_abundance(&c, &mut ab).unwrap();
    write::write_labels(&c, &mut labels).unwrap();
    let mut ab = Cursor::new(ab);
    let features = read_features(
        Cursor::new(fasta),
        "contigs.fna",
        Some((&mut ab, "abundance.tsv")),
        2000,
        &Silent,
    )
    .unwrap();
    let labels = read_labels(Cursor::new(labels), "labels.tsv", None, None, &features.ids).unwrap();
    assert_eq!(labels.absent, 0);
    let opts = RunOptions {
        teacher,
        train: TrainConfig {
            hidden: vec![32],
            max_epochs: 3,
            min_steps: 0,
            ..TrainConfig::default()
        },
        ..RunOptions::default()
    };
    let prepared = prepare(Loaded { features, labels }, &opts, "labels.tsv").unwrap();
    let taught = prepared.teach(None, &Silent).unwrap();
    assert_eq!(taught.is_some(), teacher);
    let n = prepared.loaded.features.n_rows();
    let ids = prepared.loaded.features.ids.clone();
    let out = prepared
        .finish(taught, serde_json::json!({ "test": true }), &Silent)
        .unwrap();
    (out, n, ids)
}

#[test]
fn a_run_with_the_teacher_chooses_among_three_students_and_writes_every_contig() {
    let (out, n, ids) = small_run(true);
    let choice = out.students.choice.as_ref().expect("a choice");
    // T 4, T 1 and the labels-only student
    assert_eq!(choice.candidates.len(), 3);
    assert_eq!(
        out.students.model.meta.provenance["student_fallback"]["kept"],
        choice.kept().candidate.to_string()
    );
    assert!(out.gates.is_some());
    assert_eq!(out.written.len(), n);
    assert_eq!(out.student_preds.len(), n);
    let mut tsv = Vec::new();
    out.outputs.write_taxometer(&mut tsv, &ids).unwrap();
    assert_eq!(String::from_utf8(tsv).unwrap().lines().count(), n + 1);
    let table = out.summary.to_tsv();
    assert!(table.starts_with("rank\tconfirmed"), "{table}");
}

#[test]
fn a_run_without_a_teacher_keeps_its_one_student() {
    let (out, n, _) = small_run(false);
    assert!(out.students.choice.is_none());
    assert!(out.gates.is_none());
    assert_eq!(out.written.len(), n);
}
