//! The ablation of docs/teacher.md: per-rank F1 against the truth of the raw
//! labels, the graph teacher, the graph alone (no head) and the per-contig
//! head alone on simulated communities, and the accuracy of the teacher's
//! argmax against the truth next to the raw labels'.
//!
//! `cargo run --release -p taxdistill-teacher --example ablation`
//! (env `ABLATION_SEEDS="42 43 44"`, `ABLATION_CONTIGS=3000`).

use std::time::Instant;
use taxdistill_core::taxonomy::{LabelTree, Lineage};
use taxdistill_teacher::graph::{graph_teacher, GraphTeacherConfig};
use taxdistill_teacher::heads::{crossfit_heads, HeadConfig};

// the graph teacher's test helpers: simulated community, F1, teacher walk
#[path = "../src/sim_helpers.rs"]
mod sim_helpers;
use sim_helpers::{f1s, sim_case, teacher_preds};

/// Per rank: (accuracy over every contig whose truth reaches the rank,
/// accuracy over those whose noisy label also reaches it) of the raw labels;
/// a label that stops above the rank counts as wrong in the first.
fn raw_accuracy(
    ids: &[String],
    labels: &[Lineage],
    truth: &[(String, Lineage)],
) -> Vec<(f64, f64)> {
    let pos: std::collections::HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    (0..7)
        .map(|r| {
            let (mut n, mut ok, mut nl, mut okl) = (0usize, 0usize, 0usize, 0usize);
            for (id, t) in truth {
                let Some(&i) = pos.get(id.as_str()) else {
                    continue;
                };
                if t.depth() <= r {
                    continue;
                }
                n += 1;
                if labels[i].depth() > r {
                    nl += 1;
                    if labels[i].0[r] == t.0[r] {
                        ok += 1;
                        okl += 1;
                    }
                }
            }
            (ok as f64 / n.max(1) as f64, okl as f64 / nl.max(1) as f64)
        })
        .collect()
}

/// The ablation of docs/teacher.md: per-rank F1 against the truth of the raw labels,
/// the graph teacher, the graph alone (no head) and the per-contig head alone, and the
/// accuracy of the teacher's argmax against the truth next to the raw labels'.
/// Run with `cargo run --release -p taxdistill-teacher --example ablation`;
/// `ABLATION_SEEDS` (default `42`) lists simulator seeds, `ABLATION_CONTIGS` (3000) the size.
/// Prints one block per community and, at the end, the tables averaged over the seeds.
fn main() {
    let contigs: usize = std::env::var("ABLATION_CONTIGS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let seeds: Vec<u64> = std::env::var("ABLATION_SEEDS")
        .unwrap_or_else(|_| "42".into())
        .split([' ', ','])
        .filter_map(|x| x.parse().ok())
        .collect();
    let fmt = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    // (profile, samples, row name) -> per-seed values per rank
    type Rows = Vec<((String, usize, &'static str), Vec<Vec<f64>>)>;
    let mut f1_rows: Rows = Vec::new();
    let mut acc_rows: Rows = Vec::new();
    let push = |rows: &mut Rows, key: (String, usize, &'static str), v: Vec<f64>| match rows
        .iter_mut()
        .find(|(k, _)| *k == key)
    {
        Some((_, vs)) => vs.push(v),
        None => rows.push((key, vec![v])),
    };
    for profile in [
        taxdistill_sim::Profile::Kraken2,
        taxdistill_sim::Profile::Mmseqs2,
    ] {
        for samples in [1usize, 3, 10] {
            for &seed in &seeds {
                let cfg = taxdistill_sim::SimConfig {
                    genomes: 60,
                    contigs,
                    samples,
                    seed,
                    profile,
                    noise: profile.noise(),
                    novel_genera: 0.2,
                    // the ablation table in docs/teacher.md was measured on these
                    label_model: taxdistill_sim::LabelModel::Independent,
                    ..Default::default()
                };
                let (f, labels, truth) = sim_case(&cfg);
                let tree = LabelTree::from_lineages(labels.iter());
                let mask: Vec<bool> = f.lengths.iter().map(|&x| x >= 2000).collect();
                let t = Instant::now();
                let out = graph_teacher(
                    &f,
                    &labels,
                    &tree,
                    &mask,
                    None,
                    &GraphTeacherConfig::default(),
                )
                .unwrap();
                let secs = t.elapsed().as_secs_f64();
                let graph_only = graph_teacher(
                    &f,
                    &labels,
                    &tree,
                    &mask,
                    None,
                    &GraphTeacherConfig {
                        use_heads: false,
                        ..Default::default()
                    },
                )
                .unwrap();
                let head = crossfit_heads(
                    &f.data,
                    f.n_cols(),
                    &labels,
                    &tree,
                    &mask,
                    &HeadConfig::default(),
                )
                .unwrap();
                let raw: Vec<(String, Lineage)> =
                    f.ids.iter().cloned().zip(labels.iter().cloned()).collect();
                let p = profile.name().to_string();
                let rows: [(&'static str, Vec<f64>); 4] = [
                    ("raw labels", f1s(&truth, &raw)),
                    (
                        "graph teacher",
                        f1s(&truth, &teacher_preds(&f.ids, &tree, &out.probs)),
                    ),
                    (
                        "graph only",
                        f1s(&truth, &teacher_preds(&f.ids, &tree, &graph_only.probs)),
                    ),
                    (
                        "head only",
                        f1s(&truth, &teacher_preds(&f.ids, &tree, &head.probs)),
                    ),
                ];
                println!("community {p} S = {samples} seed {seed} (F1):");
                for (name, v) in rows {
                    println!("| {p} | {samples} | {name} | {} |", fmt(&v));
                    push(&mut f1_rows, (p.clone(), samples, name), v);
                }
                let raw_acc = raw_accuracy(&f.ids, &labels, &truth);
                let t_acc = taxdistill_core::metrics::argmax_accuracy(
                    &f.ids, &tree, &out.probs, &labels, &truth,
                );
                let accs: [(&'static str, Vec<f64>); 4] = [
                    (
                        "raw labels, all contigs",
                        raw_acc.iter().map(|x| x.0).collect(),
                    ),
                    (
                        "teacher argmax, all contigs",
                        t_acc.iter().map(|x| x.0).collect(),
                    ),
                    (
                        "raw labels, labelled at the rank",
                        raw_acc.iter().map(|x| x.1).collect(),
                    ),
                    (
                        "teacher argmax, labelled at the rank",
                        t_acc.iter().map(|x| x.1).collect(),
                    ),
                ];
                println!("accuracy against the truth:");
                for (name, v) in accs {
                    println!("| {p} | {samples} | {name} | {} |", fmt(&v));
                    push(&mut acc_rows, (p.clone(), samples, name), v);
                }
                print_choice(&out.report, secs, f.n_rows());
            }
        }
    }
    let mean = |vs: &[Vec<f64>]| -> Vec<f64> {
        (0..vs[0].len())
            .map(|r| vs.iter().map(|v| v[r]).sum::<f64>() / vs.len() as f64)
            .collect()
    };
    println!("\nmean over seeds {seeds:?}, F1:");
    for ((p, s, name), vs) in &f1_rows {
        println!("| {p} | {s} | {name} | {} |", fmt(&mean(vs)));
    }
    println!("\nmean over seeds {seeds:?}, accuracy against the truth:");
    for ((p, s, name), vs) in &acc_rows {
        println!("| {p} | {s} | {name} | {} |", fmt(&mean(vs)));
    }
}

/// The graph teacher's choices (block weights, k, per-rank pooling,
/// temperature, ECE) and its time.
fn print_choice(report: &taxdistill_teacher::calibrate::TeacherReport, secs: f64, n: usize) {
    let per_rank = report.chosen["per_rank"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    format!(
                        "{} {}/{}/{}",
                        m["rank"].as_str().unwrap_or("?"),
                        m["lambda"],
                        m["graph"],
                        m["head"]
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    println!(
        "  chosen: weights {} k {}; per rank lambda/a/b: {}; T {:.2}; ECE {:.3} -> {:.3}; {:.1} s; n = {}",
        report.chosen["block_weights"],
        report.chosen["k"],
        per_rank,
        report.temperature,
        report.ece_before,
        report.ece_after,
        secs,
        n
    );
}
