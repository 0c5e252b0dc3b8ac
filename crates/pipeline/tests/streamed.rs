//! Annotation in constant memory (`streamed`) against annotation of the
//! whole matrix (`load::read_features` + `annotate` + `Outputs`): the same
//! bytes in every output, with and without input labels and abundances, with
//! contigs below the model's minimum length, and with none above it.

use std::io::{Cursor, Read};
use taxdistill_core::model::Student;
use taxdistill_core::taxonomy::Lineage;
use taxdistill_pipeline::annotate::{annotate, correct, Outputs};
use taxdistill_pipeline::load::{read_features, read_labels, Loaded};
use taxdistill_pipeline::run::{prepare, RunOptions};
use taxdistill_pipeline::streamed::{scan, Sinks, StreamOptions, Streamed};
use taxdistill_pipeline::{Error, Silent};
use taxdistill_sim::{simulate, write, Community, SimConfig};
use taxdistill_train::TrainConfig;

struct Files {
    fasta: Vec<u8>,
    abundance: Vec<u8>,
    labels: Vec<u8>,
}

fn files(c: &Community) -> Files {
    let mut f = Files {
        fasta: Vec::new(),
        abundance: Vec::new(),
        labels: Vec::new(),
    };
    write::write_fasta(c, &mut f.fasta).unwrap();
    write::write_abundance(c, &mut f.abundance).unwrap();
    write::write_labels(c, &mut f.labels).unwrap();
    f
}

fn community(seed: u64, max_length: usize) -> Community {
    simulate(&SimConfig {
        seed,
        genomes: 10,
        contigs: 400,
        min_length: 500,
        mean_length: 3000.0,
        max_length,
        ..SimConfig::default()
    })
    .unwrap()
}

/// A student trained on a small community, with or without abundances.
fn student(abundance: bool) -> Student {
    let f = files(&community(3, 30_000));
    let mut ab = Cursor::new(f.abundance);
    let ab = abundance.then_some((&mut ab as &mut dyn std::io::BufRead, "abundance.tsv"));
    let features = read_features(Cursor::new(f.fasta), "contigs.fna", ab, 2000, &Silent).unwrap();
    let labels = read_labels(
        Cursor::new(f.labels),
        "labels.tsv",
        None,
        None,
        &features.ids,
    )
    .unwrap();
    let opts = RunOptions {
        teacher: false,
        train: TrainConfig {
            hidden: vec![24],
            max_epochs: 3,
            min_steps: 0,
            ..TrainConfig::default()
        },
        ..RunOptions::default()
    };
    let prepared = prepare(Loaded { features, labels }, &opts, "labels.tsv").unwrap();
    let out = prepared
        .finish(None, serde_json::json!({}), &Silent)
        .unwrap();
    out.students.model.student().unwrap()
}

/// (Taxometer TSV, CAMI, report) bytes.
type Written = (Vec<u8>, Vec<u8>, Vec<u8>);

fn in_memory(st: &Student, f: &Files, labels: bool, min_length: usize) -> Written {
    let mut ab = Cursor::new(f.abundance.clone());
    let ab = st
        .meta
        .use_abundance
        .then_some((&mut ab as &mut dyn std::io::BufRead, "abundance.tsv"));
    let features = read_features(
        Cursor::new(f.fasta.clone()),
        "contigs.fna",
        ab,
        st.meta.min_length,
        &Silent,
    )
    .unwrap();
    let preds = annotate(st, &features, min_length, &st.meta.thresholds, &Silent).unwrap();
    let outputs = if labels {
        let l = read_labels(
            Cursor::new(f.labels.clone()),
            "labels.tsv",
            None,
            None,
            &features.ids,
        )
        .unwrap();
        Outputs::passed_through(&correct(&l.lineages, &preds, None), min_length)
    } else {
        Outputs::student_only(preds)
    };
    let ids = &features.ids;
    let mut w: Written = Default::default();
    outputs.write_taxometer(&mut w.0, ids).unwrap();
    outputs.write_cami(&mut w.1, ids, "s1", None).unwrap();
    outputs
        .write_kraken_report(&mut w.2, ids, &features.lengths, None)
        .unwrap();
    w
}

fn streamed(
    st: &Student,
    f: &Files,
    labels: bool,
    min_length: usize,
    open: &mut dyn FnMut(usize) -> Vec<u8>,
) -> Result<(Written, Streamed), Error> {
    let mut pass = 0;
    let mut open = || -> std::io::Result<Box<dyn Read + Send>> {
        pass += 1;
        Ok(Box::new(Cursor::new(open(pass))))
    };
    let scanned = scan(&mut open, "contigs.fna", st.meta.min_length, &Silent)?;
    let labels: Option<Vec<Lineage>> = labels.then(|| {
        read_labels(
            Cursor::new(f.labels.clone()),
            "labels.tsv",
            None,
            None,
            scanned.ids(),
        )
        .unwrap()
        .lineages
    });
    let mut ab = Cursor::new(f.abundance.clone());
    let ab = st
        .meta
        .use_abundance
        .then_some((&mut ab as &mut dyn std::io::BufRead, "abundance.tsv"));
    let mut w: Written = Default::default();
    let opts = StreamOptions {
        min_length,
        thresholds: st.meta.thresholds,
        model_name: "model",
        fasta_name: "contigs.fna",
    };
    let sinks = Sinks {
        taxometer: &mut w.0,
        cami: Some((&mut w.1, "s1")),
        report: Some(&mut w.2),
        taxdump: None,
    };
    let done = scanned.annotate(&mut open, ab, labels, st, &opts, sinks, &Silent)?;
    Ok((w, done))
}

fn assert_same(a: &Written, b: &Written) {
    for (x, y, what) in [
        (&a.0, &b.0, "tsv"),
        (&a.1, &b.1, "cami"),
        (&a.2, &b.2, "report"),
    ] {
        assert!(
            x == y,
            "{what} differs:\n{}\n---\n{}",
            String::from_utf8_lossy(x),
            String::from_utf8_lossy(y)
        );
    }
}

#[test]
fn streamed_outputs_are_the_in_memory_outputs_byte_for_byte() {
    for abundance in [true, false] {
        let st = student(abundance);
        // another community: contigs above and below the minimum length
        let f = files(&community(8, 30_000));
        for (labels, min_length) in [(true, 2000), (false, 2000), (true, 1000)] {
            let want = in_memory(&st, &f, labels, min_length);
            let (got, done) =
                streamed(&st, &f, labels, min_length, &mut |_| f.fasta.clone()).unwrap();
            assert_same(&got, &want);
            assert_eq!(done.n_rows, 400);
            assert!(done.n_short > 0 && done.n_short < 400, "{done:?}");
            assert!(done.n_annotated > 0);
            assert_eq!(done.n_kept > 0, labels, "{done:?}");
            let tsv = String::from_utf8(got.0).unwrap();
            assert_eq!(tsv.lines().count(), 401);
        }
    }
}

#[test]
fn with_no_contig_long_enough_the_statistics_come_from_every_contig() {
    let st = student(true);
    let f = files(&community(9, 1500));
    let want = in_memory(&st, &f, true, 1000);
    let (got, done) = streamed(&st, &f, true, 1000, &mut |_| f.fasta.clone()).unwrap();
    assert_same(&got, &want);
    assert!(done.n_annotated > 0, "{done:?}");
}

#[test]
fn a_fasta_that_changes_between_passes_is_an_error() {
    let st = student(false);
    let f = files(&community(8, 30_000));
    // the same records under other names
    let other = String::from_utf8(f.fasta.clone())
        .unwrap()
        .replace(">contig_", ">other_")
        .into_bytes();
    let Err(err) = streamed(&st, &f, false, 2000, &mut |pass| {
        if pass == 1 {
            f.fasta.clone()
        } else {
            other.clone()
        }
    }) else {
        panic!("no error")
    };
    let msg = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(
        msg.contains("contigs.fna") && msg.contains("changed"),
        "{msg}"
    );
    // a shorter file on the last pass
    let half = f.fasta[..f.fasta.len() / 2].to_vec();
    let cut = half.iter().rposition(|&b| b == b'>').unwrap();
    let Err(err) = streamed(&st, &f, false, 2000, &mut |pass| {
        if pass < 3 {
            f.fasta.clone()
        } else {
            half[..cut].to_vec()
        }
    }) else {
        panic!("no error")
    };
    assert!(format!("{:?}", err).contains("changed"), "{err:?}");
}

#[test]
fn a_model_with_abundances_needs_them() {
    let st = student(true);
    let mut f = files(&community(8, 30_000));
    f.abundance.clear();
    let mut open =
        || -> std::io::Result<Box<dyn Read + Send>> { Ok(Box::new(Cursor::new(f.fasta.clone()))) };
    let scanned = scan(&mut open, "contigs.fna", 2000, &Silent).unwrap();
    let mut sink = Vec::new();
    let opts = StreamOptions {
        min_length: 2000,
        thresholds: st.meta.thresholds,
        model_name: "model",
        fasta_name: "contigs.fna",
    };
    let sinks = Sinks {
        taxometer: &mut sink,
        cami: None,
        report: None,
        taxdump: None,
    };
    let err = scanned
        .annotate(&mut open, None, None, &st, &opts, sinks, &Silent)
        .unwrap_err();
    assert!(matches!(err, Error::SampleCountMismatch { .. }), "{err}");
    assert!(sink.is_empty(), "nothing is written before the checks");
}
