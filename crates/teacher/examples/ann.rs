//! Exact against approximate (HNSW) neighbour search in the graph teacher, as in
//! docs/ann.md: one simulated community, the teacher run twice (exact search
//! forced, then HNSW forced), the kNN and total wall times, the HNSW graph's
//! recall@k against the exact lists of the selection queries, and the per-rank
//! F1 of the teacher's own lineages against the truth.
//!
//! `RAYON_NUM_THREADS=2 cargo run --release -p taxdistill-teacher --example ann`
//! (env `ANN_CONTIGS=50000`, `ANN_GENOMES=200`, `ANN_SEED=1`, `ANN_MIN_LENGTH=1000`;
//! `ANN_QUICK=1` runs the graph alone, without heads and open-set evidence).

use std::time::Instant;
use taxdistill_core::taxonomy::LabelTree;
use taxdistill_teacher::graph::{graph_teacher, GraphTeacherConfig};

#[path = "../src/sim_helpers.rs"]
mod sim_helpers;
use sim_helpers::{f1s, sim_case, teacher_preds};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let cfg = taxdistill_sim::SimConfig {
        genomes: env("ANN_GENOMES", 200) as usize,
        contigs: env("ANN_CONTIGS", 50_000) as usize,
        seed: env("ANN_SEED", 1),
        ..Default::default()
    };
    let t = Instant::now();
    let (f, labels, truth) = sim_case(&cfg);
    let tree = LabelTree::from_lineages(labels.iter());
    let min_length = env("ANN_MIN_LENGTH", 1000) as usize;
    let mask: Vec<bool> = f.lengths.iter().map(|&x| x >= min_length).collect();
    println!(
        "{} contigs ({} candidates), {} genomes, seed {}: simulated in {:.1} s",
        f.n_rows(),
        mask.iter().filter(|&&m| m).count(),
        cfg.genomes,
        cfg.seed,
        t.elapsed().as_secs_f64()
    );
    let mut f1_exact = Vec::new();
    // ANN_QUICK: the graph alone (no heads, no open-set evidence), both searches
    let quick = std::env::var("ANN_QUICK").is_ok();
    for (name, max) in [("exact", usize::MAX), ("hnsw", 0)] {
        let gc = GraphTeacherConfig {
            exact_knn_max_contigs: max,
            use_heads: !quick,
            open_set: !quick,
            ..Default::default()
        };
        let t = Instant::now();
        let out = graph_teacher(&f, &labels, &tree, &mask, None, &gc).unwrap();
        let wall = t.elapsed().as_secs_f64();
        let f1 = f1s(&truth, &teacher_preds(&f.ids, &tree, &out.probs));
        let tm = &out.report.timings;
        println!(
            "| {name} | kNN {:.1} s | teacher {:.1} s (report total {:.1} s) | k {} weights {} | recall@k {} |",
            tm.get("knn").copied().unwrap_or(f64::NAN),
            wall,
            tm.get("total").copied().unwrap_or(f64::NAN),
            out.report.chosen["k"],
            out.report.chosen["block_weights"],
            out.report.chosen["knn"]["recall_at_k"],
        );
        println!(
            "| {name} | F1 per rank | {} |",
            f1.iter()
                .map(|x| format!("{x:.4}"))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        if name == "exact" {
            f1_exact = f1;
        } else {
            let worst = f1
                .iter()
                .zip(&f1_exact)
                .map(|(a, e)| e - a)
                .fold(f64::NEG_INFINITY, f64::max);
            println!("largest F1 drop of hnsw against exact: {worst:.4}");
        }
    }
}
