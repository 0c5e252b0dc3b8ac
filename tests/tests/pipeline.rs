//! End to end through the libraries: synthetic genomes → contigs → core
//! features (TNF + abundances) → noisy labels → student training →
//! model file bytes → CPU annotation → metrics against the truth.
//!
//! Genomes differ in their 4-mer composition (each genus draws its sequences
//! from its own random order-3 Markov chain, each species perturbs it) and in
//! their abundance profile, so the student can learn them; 20 % of the labels
//! are wrong at the species rank, and the student must beat them.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use taxdistill_core::abundance::Abundance;
use taxdistill_core::fasta::Contig;
use taxdistill_core::features::build_features;
use taxdistill_core::metrics::evaluate;
use taxdistill_core::model::{ModelMeta, Student, FORMAT_VERSION};
use taxdistill_core::taxonomy::{LabelTree, Lineage, Rank};
use taxdistill_train::{train, TrainConfig, TrainInput};

fn markov(rng: &mut ChaCha8Rng) -> Vec<[f64; 4]> {
    (0..64)
        .map(|_| {
            let mut p = [0f64; 4];
            for x in p.iter_mut() {
                *x = rng.random_range(0.05..1.0);
            }
            let s: f64 = p.iter().sum();
            p.map(|x| x / s)
        })
        .collect()
}

fn sample_seq(chain: &[[f64; 4]], len: usize, rng: &mut ChaCha8Rng) -> Vec<u8> {
    const B: [u8; 4] = *b"ACGT";
    let mut s = Vec::with_capacity(len);
    let mut state = 0usize;
    for _ in 0..len {
        let u: f64 = rng.random();
        let p = &chain[state];
        let mut acc = 0.0;
        let mut k = 3;
        for (i, &q) in p.iter().enumerate() {
            acc += q;
            if u < acc {
                k = i;
                break;
            }
        }
        s.push(B[k]);
        state = (state * 4 + k) % 64;
    }
    s
}

#[test]
fn student_corrects_noisy_species_labels_end_to_end() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let n_genera = 4;
    let per_genus = 2;
    let n_samples = 3;
    let mut lineages = Vec::new();
    let mut chains = Vec::new();
    let mut profiles = Vec::new();
    for g in 0..n_genera {
        let base = markov(&mut rng);
        for s in 0..per_genus {
            let chain: Vec<[f64; 4]> = base
                .iter()
                .map(|p| {
                    let q: Vec<f64> = p.iter().map(|x| x * rng.random_range(0.7..1.3)).collect();
                    let t: f64 = q.iter().sum();
                    [q[0] / t, q[1] / t, q[2] / t, q[3] / t]
                })
                .collect();
            chains.push(chain);
            profiles.push(
                (0..n_samples)
                    .map(|_| rng.random_range(1.0f32..50.0))
                    .collect::<Vec<_>>(),
            );
            lineages.push(
                Lineage::parse(&format!("Bacteria;P1;C1;O1;F{};G{g};S{g}_{s}", g / 2)).unwrap(),
            );
        }
    }
    let n_genomes = lineages.len();
    let mut contigs = Vec::new();
    let mut truth = Vec::new();
    let mut ab = Vec::new();
    for i in 0..900 {
        let g = i % n_genomes;
        let len = rng.random_range(2000..5000);
        let id = format!("c{i}");
        contigs.push(Contig {
            id: id.clone(),
            seq: sample_seq(&chains[g], len, &mut rng),
        });
        truth.push((id, g));
        for &m in &profiles[g] {
            ab.push(m * rng.random_range(0.8f32..1.2));
        }
    }
    let abundance = Abundance {
        samples: (0..n_samples).map(|s| format!("S{s}")).collect(),
        ids: contigs.iter().map(|c| c.id.clone()).collect(),
        values: ab,
    };
    let features = build_features(&contigs, Some(&abundance)).unwrap();
    assert_eq!(features.n_cols(), 103 + n_samples + 1);
    // noisy labels: 20 % swapped to the sister species, 10 % missing
    let labels: Vec<Lineage> = truth
        .iter()
        .map(|(_, g)| {
            let u: f64 = rng.random();
            if u < 0.2 {
                lineages[g ^ 1].clone()
            } else if u < 0.3 {
                Lineage::unclassified()
            } else {
                lineages[*g].clone()
            }
        })
        .collect();
    let tree = LabelTree::from_lineages(labels.iter());
    let label_nodes: Vec<Option<usize>> = labels
        .iter()
        .map(|l| (l.depth() > 0).then(|| tree.node_of(l)))
        .collect();
    let eligible = vec![true; contigs.len()];
    let cfg = TrainConfig {
        hidden: vec![128, 128],
        max_epochs: 40,
        patience: 8,
        batch_size: 128,
        ..TrainConfig::default()
    };
    let input = TrainInput {
        tree: &tree,
        features: &features.data,
        n_features: features.n_cols(),
        labels: &label_nodes,
        teacher: None,
        eligible: &eligible,
    };
    let trained = train(&input, &cfg, &mut |_| {}).unwrap();
    let meta = ModelMeta {
        format_version: FORMAT_VERSION,
        n_samples,
        use_abundance: true,
        feature_names: features.columns.clone(),
        feature_mean: trained.feature_mean.clone(),
        feature_std: trained.feature_std.clone(),
        hidden: cfg.hidden.clone(),
        leaky_slope: cfg.leaky_slope,
        tree: tree.clone(),
        min_length: 2000,
        thresholds: trained.thresholds,
        provenance: serde_json::Value::Null,
    };
    let student = Student::from_bytes(
        &trained.safetensors_bytes().unwrap(),
        &meta.to_json().unwrap(),
    )
    .unwrap();
    let preds = student.predict(&features.data).unwrap();
    let truth_l: Vec<(String, Lineage)> = truth
        .iter()
        .map(|(id, g)| (id.clone(), lineages[*g].clone()))
        .collect();
    let pred_l: Vec<(String, Lineage)> = features
        .ids
        .iter()
        .cloned()
        .zip(preds.into_iter().map(|p| p.lineage))
        .collect();
    let label_l: Vec<(String, Lineage)> = features
        .ids
        .iter()
        .cloned()
        .zip(labels.iter().cloned())
        .collect();
    let ours = evaluate(&truth_l, &pred_l, None);
    let raw = evaluate(&truth_l, &label_l, None);
    let sp = Rank::Species.index();
    assert!(
        ours[sp].f1 > raw[sp].f1,
        "student species F1 {:.3} vs labels {:.3}",
        ours[sp].f1,
        raw[sp].f1
    );
    for r in Rank::ALL {
        assert!(
            ours[r.index()].f1 + 0.02 >= raw[r.index()].f1,
            "{r}: {:.3} < {:.3}",
            ours[r.index()].f1,
            raw[r.index()].f1
        );
    }
}
