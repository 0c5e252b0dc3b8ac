//! Training on synthetic, separable data: the student learns, runs are
//! reproducible, the folded model matches training-time inference, and bad
//! inputs are typed errors.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use taxdistill_core::model::{predict_from_leaf_probs, ModelMeta, Student, FORMAT_VERSION};
use taxdistill_core::taxonomy::{LabelTree, Lineage};
use taxdistill_train::{train, Error, TrainConfig, TrainInput};

const F: usize = 8;

/// Four species in two genera; features = class centre + noise.
fn data(n: usize, seed: u64) -> (LabelTree, Vec<f32>, Vec<usize>) {
    let names = [
        "B;P;C;O;F;G1;S1",
        "B;P;C;O;F;G1;S2",
        "B;P;C;O;F;G2;S3",
        "B;P;C;O;F;G2;S4",
    ];
    let ls: Vec<Lineage> = names.iter().map(|s| Lineage::parse(s).unwrap()).collect();
    let tree = LabelTree::from_lineages(ls.iter());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..n {
        let c = i % 4;
        for j in 0..F {
            let centre = if j == c || j == 4 + c / 2 { 3.0 } else { 0.0 };
            x.push(centre + rng.random_range(-1.0f32..1.0) + 10.0 * j as f32);
        }
        y.push(tree.find(&ls[c]).unwrap());
    }
    (tree, x, y)
}

/// Every contig of `data(n, seed)` labelled and eligible.
struct Labelled {
    tree: LabelTree,
    x: Vec<f32>,
    labels: Vec<Option<usize>>,
    eligible: Vec<bool>,
}

impl Labelled {
    fn new(n: usize, seed: u64) -> Labelled {
        let (tree, x, y) = data(n, seed);
        let labels = y.iter().map(|&v| Some(v)).collect();
        let eligible = vec![true; y.len()];
        Labelled {
            tree,
            x,
            labels,
            eligible,
        }
    }

    fn input(&self) -> TrainInput<'_> {
        TrainInput {
            tree: &self.tree,
            features: &self.x,
            n_features: F,
            labels: &self.labels,
            teacher: None,
            eligible: &self.eligible,
        }
    }
}

fn small_cfg() -> TrainConfig {
    TrainConfig {
        hidden: vec![32, 32],
        batch_size: 64,
        max_epochs: 15,
        patience: 15,
        lr: 5e-3,
        min_steps: 0,
        ..TrainConfig::default()
    }
}

fn meta(tree: &LabelTree, t: &taxdistill_train::Trained, hidden: Vec<usize>) -> ModelMeta {
    ModelMeta {
        format_version: FORMAT_VERSION,
        n_samples: 0,
        use_abundance: false,
        feature_names: (0..F).map(|j| format!("f{j}")).collect(),
        feature_mean: t.feature_mean.clone(),
        feature_std: t.feature_std.clone(),
        hidden,
        leaky_slope: 0.01,
        tree: tree.clone(),
        min_length: 0,
        thresholds: t.thresholds,
        provenance: serde_json::Value::Null,
    }
}

#[test]
fn student_learns_separable_species_and_folded_model_predicts_them() {
    let d = Labelled::new(800, 1);
    let cfg = small_cfg();
    let input = d.input();
    let t = train(&input, &cfg, &mut |_| {}).unwrap();
    // no teacher: the loss is the hierarchical term alone
    assert!(t
        .report
        .history
        .iter()
        .all(|e| e.kd_loss.is_none() && e.hier_loss == e.train_loss));
    assert_eq!(t.report.n_holdout, 80);
    let student = Student::from_bytes(
        &t.safetensors_bytes().unwrap(),
        &meta(&d.tree, &t, cfg.hidden.clone()).to_json().unwrap(),
    )
    .unwrap();
    let (_, xt, yt) = data(200, 2);
    let probs = student.leaf_probs(&xt).unwrap();
    let mut right = 0;
    let tree = &d.tree;
    for (p, &v) in probs.chunks(tree.n_leaves()).zip(&yt) {
        let pred = predict_from_leaf_probs(tree, p, &[0.5; 7]);
        if tree.find(&pred.lineage) == Some(v) {
            right += 1;
        }
    }
    assert!(right >= 190, "only {right}/200 right");
}

#[test]
fn same_seed_gives_identical_weights_and_another_seed_does_not() {
    let d = Labelled::new(300, 3);
    let input = d.input();
    let cfg = TrainConfig {
        max_epochs: 3,
        ..small_cfg()
    };
    let a = train(&input, &cfg, &mut |_| {}).unwrap();
    let b = train(&input, &cfg, &mut |_| {}).unwrap();
    assert_eq!(a.tensors, b.tensors);
    let c = train(&input, &TrainConfig { seed: 7, ..cfg }, &mut |_| {}).unwrap();
    assert_ne!(a.tensors, c.tensors);
}

#[test]
fn few_batches_an_epoch_stretch_the_epoch_budget_and_patience() {
    use taxdistill_train::{batches_per_epoch, schedule};
    let cfg = TrainConfig {
        max_epochs: 60,
        patience: 6,
        min_steps: 200,
        ..TrainConfig::default()
    };
    // 4 batches an epoch: 240 planned steps, nothing changes
    assert_eq!(schedule(&cfg, 4), (60, 6));
    // one batch an epoch (short contigs): 60 steps → 4 × the budget and the patience
    assert_eq!(schedule(&cfg, 1), (240, 24));
    assert_eq!(schedule(&cfg, 2), (120, 12));
    assert_eq!(
        schedule(
            &TrainConfig {
                min_steps: 0,
                ..cfg
            },
            1
        ),
        (60, 6)
    );
    // a trailing batch of fewer than 32 rows joins the previous one
    assert_eq!(batches_per_epoch(1024 + 31, 1024), 1);
    assert_eq!(batches_per_epoch(1024 + 32, 1024), 2);
    assert_eq!(batches_per_epoch(10, 1024), 1);

    // a real run: 300 rows in one batch, no hold-out (< 20 labelled would
    // have none; here the hold-out is off) → every planned epoch runs
    let d = Labelled::new(300, 6);
    let input = d.input();
    let cfg = TrainConfig {
        hidden: vec![16],
        batch_size: 512,
        max_epochs: 5,
        patience: 2,
        min_steps: 12,
        holdout_fraction: 0.0,
        ..TrainConfig::default()
    };
    let t = train(&input, &cfg, &mut |_| {}).unwrap();
    assert_eq!(t.report.steps_per_epoch, 1);
    assert_eq!((t.report.max_epochs, t.report.patience), (15, 6));
    assert_eq!(t.report.epochs_run, 15);
    assert_eq!(t.report.history.last().unwrap().max_epochs, 15);
    let t = train(
        &input,
        &TrainConfig {
            min_steps: 0,
            ..cfg
        },
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(t.report.epochs_run, 5);
}

#[test]
fn teacher_alone_teaches_unlabelled_contigs() {
    // only species S1 and S3 are labelled; the teacher knows all four species
    let (tree, x, y) = data(800, 4);
    let s = |c: usize| tree.leaf_column(y[c]).unwrap();
    let labels: Vec<Option<usize>> = y
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if i % 4 == 0 || i % 4 == 2 {
                Some(v)
            } else {
                None
            }
        })
        .collect();
    let teacher: Vec<Option<Vec<(usize, f32)>>> = (0..y.len())
        .map(|i| {
            let c = s(i);
            Some(
                (0..4)
                    .map(|j| (j, if j == c { 0.85 } else { 0.05 }))
                    .collect(),
            )
        })
        .collect();
    let eligible = vec![true; y.len()];
    let input = TrainInput {
        tree: &tree,
        features: &x,
        n_features: F,
        labels: &labels,
        teacher: Some(&teacher),
        eligible: &eligible,
    };
    let cfg = TrainConfig {
        alpha: 0.3,
        calibrate: false,
        ..small_cfg()
    };
    let t = train(&input, &cfg, &mut |_| {}).unwrap();
    assert_eq!(t.report.n_train_teacher_only, 400);
    // the epoch's loss is its hierarchical and distillation terms
    for e in &t.report.history {
        let kd = e.kd_loss.expect("a distillation term");
        assert!(kd > 0.0 && e.hier_loss > 0.0, "{e:?}");
        let sum = e.hier_loss + kd;
        assert!(
            (sum - e.train_loss).abs() <= 1e-4 * e.train_loss.max(1.0),
            "{e:?}"
        );
    }
    let student = Student::from_bytes(
        &t.safetensors_bytes().unwrap(),
        &meta(&tree, &t, cfg.hidden.clone()).to_json().unwrap(),
    )
    .unwrap();
    let (_, xt, yt) = data(200, 5);
    let probs = student.leaf_probs(&xt).unwrap();
    let right = probs
        .chunks(4)
        .zip(&yt)
        .filter(|(p, &v)| {
            let best = (0..4).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
            tree.leaf_column(v) == Some(best)
        })
        .count();
    assert!(right >= 180, "only {right}/200 right with the teacher");
}

#[test]
fn bad_inputs_are_typed_errors() {
    let (tree, x, y) = data(100, 6);
    let none: Vec<Option<usize>> = vec![None; y.len()];
    let eligible = vec![true; y.len()];
    let input = TrainInput {
        tree: &tree,
        features: &x,
        n_features: F,
        labels: &none,
        teacher: None,
        eligible: &eligible,
    };
    assert!(matches!(
        train(&input, &small_cfg(), &mut |_| {}),
        Err(Error::NotTrainable(_))
    ));
    let one = LabelTree::from_lineages([&Lineage::parse("A;B").unwrap()]);
    let input = TrainInput {
        tree: &one,
        features: &x,
        n_features: F,
        labels: &none,
        teacher: None,
        eligible: &eligible,
    };
    assert!(matches!(
        train(&input, &small_cfg(), &mut |_| {}),
        Err(Error::NotTrainable(_))
    ));
    let labels: Vec<Option<usize>> = y.iter().map(|&v| Some(v)).collect();
    let bad_teacher: Vec<Option<Vec<(usize, f32)>>> = vec![Some(vec![(9, 1.0)]); y.len()];
    let input = TrainInput {
        tree: &tree,
        features: &x,
        n_features: F,
        labels: &labels,
        teacher: Some(&bad_teacher),
        eligible: &eligible,
    };
    assert!(matches!(
        train(&input, &small_cfg(), &mut |_| {}),
        Err(Error::Mismatch(_))
    ));
    let input = TrainInput {
        tree: &tree,
        features: &x[..x.len() - 1],
        n_features: F,
        labels: &labels,
        teacher: None,
        eligible: &eligible,
    };
    assert!(matches!(
        train(&input, &small_cfg(), &mut |_| {}),
        Err(Error::Mismatch(_))
    ));
}

#[test]
fn big_inputs_cap_the_rows_of_an_epoch_and_the_hold_out_and_still_learn() {
    let d = Labelled::new(600, 3);
    let input = d.input();
    let cfg = TrainConfig {
        holdout_fraction: 0.2,
        max_holdout: 50,
        epoch_rows: 128,
        ..small_cfg()
    };
    let t = train(&input, &cfg, &mut |_| {}).unwrap();
    let r = &t.report;
    assert_eq!(r.n_holdout, 50, "the hold-out is capped (0.2 of 600 = 120)");
    assert_eq!(r.n_train_labelled, 550);
    assert_eq!((r.rows_per_epoch, r.steps_per_epoch), (128, 2));
    // still learns the clusters: the calibrated walk is right on the hold-out
    assert!(r.holdout_f1[0].unwrap() > 0.9, "{:?}", r.holdout_f1);
    // uncapped, the same input trains on every row each epoch
    let u = train(
        &input,
        &TrainConfig {
            max_holdout: 0,
            epoch_rows: 0,
            ..cfg
        },
        &mut |_| {},
    )
    .unwrap();
    assert_eq!((u.report.n_holdout, u.report.rows_per_epoch), (120, 480));
}
