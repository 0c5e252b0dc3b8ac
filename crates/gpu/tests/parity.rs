//! GPU vs candle CPU parity on random and trained-like students.
//!
//! Needs a wgpu adapter (lavapipe: `apt-get install -y mesa-vulkan-drivers
//! libvulkan1`). Without one the GPU tests print a notice and pass, unless
//! `TAXDISTILL_REQUIRE_GPU=1` (CI), where they fail.

mod common;

use common::{model_on_tree, random_features, random_model, random_tree, Rng};
use taxdistill_core::model::{Prediction, Student};
use taxdistill_core::taxonomy::{with_unresolved_leaves, LabelTree, Lineage};
use taxdistill_gpu::{init_device_blocking, Backend, Engine, Error, GpuContext};

fn gpu() -> Option<GpuContext> {
    let required = std::env::var("TAXDISTILL_REQUIRE_GPU").is_ok_and(|v| v == "1");
    match init_device_blocking() {
        Ok(Some(ctx)) => Some(ctx),
        Ok(None) if required => panic!("TAXDISTILL_REQUIRE_GPU=1 but no GPU adapter was found"),
        Err(e) if required => panic!("TAXDISTILL_REQUIRE_GPU=1 but the GPU device failed: {e}"),
        other => {
            eprintln!(
                "NOTICE: skipping GPU parity test, no usable adapter ({:?})",
                other.err()
            );
            None
        }
    }
}

/// Same lineages; scores within `tol` (batching changes candle's summation order slightly).
/// Largest elementwise |a − b|.
fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max)
}

fn assert_same_predictions(got: &[Prediction], want: &[Prediction], tol: f32) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.lineage, w.lineage, "contig {i}: lineages differ");
        assert_eq!(g.scores.len(), w.scores.len());
        for (a, b) in g.scores.iter().zip(&w.scores) {
            assert!((a - b).abs() < tol, "contig {i}: score {a} vs {b}");
        }
    }
}

const THRESHOLDS: [f32; 7] = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];

/// Runs one model on the GPU and the CPU and compares probabilities and predictions.
/// Returns the fraction of contigs predicted to species.
fn check_parity(
    ctx: GpuContext,
    model: &(Vec<u8>, Vec<u8>),
    n_features: usize,
    n_rows: usize,
    batch_rows: usize,
) -> f64 {
    let (st, json) = model;
    let engine = Engine::with_context(Some(ctx), st, json, batch_rows).expect("model loads");
    assert_ne!(
        engine.backend(),
        Backend::Cpu,
        "the GPU path should be active"
    );
    let student = Student::from_bytes(st, json).expect("model loads on the CPU");
    let x = random_features(n_rows as u64, n_rows, n_features);

    let gpu_p = engine.leaf_probs_blocking(&x).expect("GPU leaf probs");
    let cpu_p = student.leaf_probs(&x).expect("CPU leaf probs");
    assert_eq!(gpu_p.len(), cpu_p.len());
    let max_diff = max_abs_diff(&gpu_p, &cpu_p);
    assert!(
        max_diff < 1e-4,
        "max |GPU − CPU| probability difference {max_diff}"
    );

    let gpu_pred = engine.predict_blocking(&x).expect("GPU predictions");
    let cpu_pred = student.predict(&x).expect("CPU predictions");
    assert_eq!(gpu_pred.len(), n_rows);
    assert_same_predictions(&gpu_pred, &cpu_pred, 1e-4);
    assert_ne!(engine.backend(), Backend::Cpu, "no fallback happened");
    let species = gpu_pred.iter().filter(|p| p.lineage.depth() == 7).count();
    species as f64 / n_rows as f64
}

#[test]
fn random_models_of_odd_shapes_match_the_cpu() {
    // (features, hidden, leaves, rows, batch rows): sizes that do not divide
    // the 64×64 tile, a single hidden unit, a last batch that is partial.
    let shapes: &[(usize, &[usize], usize, usize, usize)] = &[
        (7, &[5], 3, 10, 4096),
        (1, &[1], 2, 65, 64),
        (33, &[65, 129], 67, 300, 97),
        (107, &[100, 70, 3], 201, 1000, 256),
        (130, &[17, 200, 31, 90], 20, 129, 128),
    ];
    for (i, &(f, hidden, leaves, rows, batch)) in shapes.iter().enumerate() {
        let Some(ctx) = gpu() else { return };
        let model = random_model(100 + i as u64, f, hidden, leaves, 1.0, THRESHOLDS);
        check_parity(ctx, &model, f, rows, batch);
    }
}

#[test]
fn taxometer_sized_trained_like_model_matches_the_cpu() {
    let Some(ctx) = gpu() else { return };
    // 4 × 512 hidden, 107 inputs, ~500 leaves; large logits make confident,
    // trained-like predictions that reach species, so the walk is exercised.
    let model = random_model(
        7,
        107,
        &[512, 512, 512, 512],
        500,
        12.0,
        [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.3],
    );
    let species = check_parity(ctx, &model, 107, 2000, 512);
    assert!(
        species > 0.2,
        "only {species} of contigs reached species; the walk is not exercised"
    );
}

#[test]
fn the_trained_demo_model_matches_the_cpu_on_its_own_contigs() {
    let Some(ctx) = gpu() else { return };
    // the model `taxdistill distill` trained for the web demo, on the demo's
    // own features (its contigs and abundances), as `annotate` would run it
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/assets/demo");
    let st = std::fs::read(demo.join("model.safetensors")).expect("demo model");
    let json = std::fs::read(demo.join("model.json")).expect("demo model.json");
    let fasta = flate2::read::MultiGzDecoder::new(
        std::fs::File::open(demo.join("contigs.fna.gz")).expect("demo contigs"),
    );
    let contigs = taxdistill_core::fasta::read_contigs(fasta, "contigs.fna.gz").unwrap();
    let abundance = taxdistill_core::abundance::read_abundance(
        std::io::BufReader::new(std::fs::File::open(demo.join("abundance.tsv")).unwrap()),
        "abundance.tsv",
    )
    .unwrap();
    let m = taxdistill_core::features::build_features(&contigs, Some(&abundance)).unwrap();
    let student = Student::from_bytes(&st, &json).expect("model loads on the CPU");
    assert_eq!(m.n_cols(), student.meta.n_features());
    let engine = Engine::with_context(Some(ctx), &st, &json, 512).expect("model loads");
    assert_ne!(engine.backend(), Backend::Cpu);

    let gpu_p = engine.leaf_probs_blocking(&m.data).expect("GPU leaf probs");
    let cpu_p = student.leaf_probs(&m.data).expect("CPU leaf probs");
    let max_diff = max_abs_diff(&gpu_p, &cpu_p);
    assert!(
        max_diff < 1e-4,
        "max |GPU − CPU| probability difference {max_diff}"
    );
    let gpu_pred = engine.predict_blocking(&m.data).expect("GPU predictions");
    let cpu_pred = student.predict(&m.data).expect("CPU predictions");
    assert_same_predictions(&gpu_pred, &cpu_pred, 1e-4);
    let deep = gpu_pred.iter().filter(|p| p.lineage.depth() >= 6).count();
    assert!(
        deep * 4 > gpu_pred.len(),
        "only {deep} of {} contigs reach genus: not a trained model?",
        gpu_pred.len()
    );
}

#[test]
fn spread_probabilities_stop_the_walk_early_on_both_paths() {
    let Some(ctx) = gpu() else { return };
    // Small logits: probability spreads, most contigs stop above species.
    let model = random_model(11, 20, &[40], 150, 0.2, [0.9; 7]);
    let species = check_parity(ctx, &model, 20, 500, 4096);
    assert!(species < 0.5);
}

#[test]
fn unresolved_leaves_stop_the_walk_at_their_parent_on_both_paths() {
    let Some(ctx) = gpu() else { return };
    // Every species lineage, plus a copy cut at a random rank: the cut
    // labels name an inner node, so each gets an unresolved leaf below it
    // ("a taxon the reference lacks"), as training builds the tree.
    let mut rng = Rng::new(21);
    let base = random_tree(&mut rng, 60);
    let mut lineages: Vec<Lineage> = base.leaves.iter().map(|&v| Lineage(base.path(v))).collect();
    for i in 0..lineages.len() {
        let l = &lineages[i];
        let cut = 1 + rng.below(l.depth() - 1);
        lineages.push(Lineage(l.0[..cut].to_vec()));
    }
    let usable = vec![true; lineages.len()];
    let lineages = with_unresolved_leaves(&lineages, &usable);
    let tree = LabelTree::from_lineages(lineages.iter());
    let n_unresolved = (0..tree.nodes.len())
        .filter(|&v| tree.is_unresolved(v))
        .count();
    assert!(n_unresolved > 10, "{n_unresolved} unresolved leaves");
    let model = model_on_tree(&mut rng, tree, 24, &[32], 6.0, [0.2; 7]);
    check_parity(ctx, &model, 24, 800, 256);

    // The case is exercised: for some contigs the most probable child on
    // the walk is an unresolved leaf, so the lineage stops above it.
    let student = Student::from_bytes(&model.0, &model.1).unwrap();
    let x = random_features(800, 800, 24);
    let p = student.leaf_probs(&x).unwrap();
    let tree = &student.meta.tree;
    let stopped = p
        .chunks(tree.n_leaves())
        .filter(|row| {
            let np = tree.node_probs(row);
            let mut v = 0;
            loop {
                let ch = tree.children(v);
                let Some(&first) = ch.first() else {
                    return false;
                };
                let best = ch
                    .iter()
                    .fold(first, |b, &c| if np[c] > np[b] { c } else { b });
                if tree.is_unresolved(best) {
                    return np[best] >= 0.2;
                }
                v = best;
            }
        })
        .count();
    assert!(stopped > 20, "only {stopped} walks meet an unresolved leaf");
}

#[test]
fn gpu_memory_does_not_grow_with_the_number_of_contigs() {
    let Some(ctx) = gpu() else { return };
    let (st, json) = random_model(3, 50, &[64, 64], 40, 4.0, THRESHOLDS);
    let engine = Engine::with_context(Some(ctx), &st, &json, 128).expect("model loads");
    let before = engine.gpu_bytes();
    assert!(before > 0);
    let x = random_features(1, 128 * 20 + 5, 50);
    let p = engine.predict_blocking(&x).expect("predictions");
    assert_eq!(p.len(), 128 * 20 + 5);
    assert_eq!(engine.gpu_bytes(), before);
    assert_eq!(engine.batch_rows(), 128);
}

#[test]
fn lost_device_falls_back_to_the_cpu_with_the_same_answers() {
    let Some(ctx) = gpu() else { return };
    let device = ctx.device.clone();
    let (st, json) = random_model(5, 30, &[48], 60, 6.0, THRESHOLDS);
    let engine = Engine::with_context(Some(ctx), &st, &json, 256).expect("model loads");
    assert_ne!(engine.backend(), Backend::Cpu);
    device.destroy();
    let x = random_features(2, 300, 30);
    let got = engine.predict_blocking(&x).expect("CPU fallback answers");
    assert_eq!(engine.backend(), Backend::Cpu);
    let want = Student::from_bytes(&st, &json)
        .unwrap()
        .predict(&x)
        .unwrap();
    assert_same_predictions(&got, &want, 1e-5);
}

#[test]
fn bad_input_gives_clear_errors_on_every_path() {
    let (st, json) = random_model(9, 10, &[12], 8, 1.0, THRESHOLDS);
    let mut engines = vec![Engine::with_context(None, &st, &json, 64).unwrap()];
    if let Some(ctx) = gpu() {
        engines.push(Engine::with_context(Some(ctx), &st, &json, 64).unwrap());
    }
    for engine in &engines {
        let mut x = random_features(4, 5, 10);
        x[23] = f32::NAN;
        let e = engine.predict_blocking(&x).unwrap_err();
        assert!(
            matches!(e, Error::Core(taxdistill_core::Error::Invalid(_))),
            "{e}"
        );
        assert!(e.to_string().contains("row 2"), "{e}");
        let e = engine.leaf_probs_blocking(&x[..17]).unwrap_err();
        assert!(
            matches!(e, Error::Core(taxdistill_core::Error::Mismatch(_))),
            "{e}"
        );
        assert_eq!(engine.predict_blocking(&[]).unwrap(), Vec::new());
        assert_eq!(engine.leaf_probs_blocking(&[]).unwrap(), Vec::<f32>::new());
    }
}

#[test]
fn tensor_shapes_disagreeing_with_model_json_are_rejected() {
    let (_, json) = random_model(9, 10, &[12], 8, 1.0, THRESHOLDS);
    let (st_other, _) = random_model(9, 10, &[13], 8, 1.0, THRESHOLDS);
    let e = Engine::with_context(None, &st_other, &json, 64)
        .err()
        .expect("shape mismatch is an error");
    assert!(
        matches!(e, Error::Core(taxdistill_core::Error::BadModel { .. })),
        "{e}"
    );
    assert!(e.to_string().contains("layers.0.weight"), "{e}");
}

#[test]
fn cpu_engine_says_cpu_and_matches_the_student() {
    let (st, json) = random_model(21, 16, &[24, 24], 30, 5.0, THRESHOLDS);
    let engine = Engine::with_context(None, &st, &json, 7).unwrap();
    assert_eq!(engine.backend(), Backend::Cpu);
    assert_eq!(engine.backend().to_string(), "cpu");
    assert_eq!(engine.gpu_bytes(), 0);
    let x = random_features(8, 50, 16);
    let want = Student::from_bytes(&st, &json)
        .unwrap()
        .predict(&x)
        .unwrap();
    assert_same_predictions(&engine.predict_blocking(&x).unwrap(), &want, 1e-5);
}
