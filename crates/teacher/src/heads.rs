//! Cross-fitted hierarchical heads: a small softmax model per fold.
//!
//! Input `x`: (n_contigs, d) f32 row-major (features or embeddings), standardised
//! per column here. Head: x → [Linear(d, hidden) → LeakyReLU(0.01)] →
//! Linear(·, n_leaves) → softmax over the leaves of the label tree. Loss for a
//! contig labelled at node v: −log Σ_{leaves under v} p (Taxometer's
//! hierarchical loss). AdamW with a cosine learning-rate schedule; weights
//! initialised from a ChaCha RNG, so a seed gives the same result every run.
//!
//! Cross-fitting: the usable labelled contigs are shuffled into K folds; the
//! head trained without fold k gives the soft labels of fold k, so no contig's
//! soft label comes from a head that saw its label. Contigs outside the folds
//! (unlabelled, or shorter than the minimum length) get the mean logits of the
//! K heads. A temperature is fitted on half of the held-out predictions and
//! scored on the other half (see [`crate::calibrate`]).

use crate::calibrate::{calibrate, TeacherOutput, TeacherReport};
use crate::{Error, Result};
use candle_core::{Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use taxdistill_core::taxonomy::{LabelTree, Lineage};
use web_time::Instant;

/// Hyper-parameters of the cross-fitted heads.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HeadConfig {
    /// Number of cross-fitting folds (≥ 2).
    pub folds: usize,
    /// Hidden width; 0 = a linear softmax head.
    pub hidden: usize,
    /// Passes over the training rows of a fold (capped by `max_steps`).
    pub epochs: usize,
    /// Upper bound on optimiser steps per fold, to bound run time on big inputs.
    pub max_steps: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub weight_decay: f64,
    pub seed: u64,
    /// Clade-held-out folds: all labelled contigs under the same label-tree
    /// node at this depth (1 = domain … 7 = species; their own node where the
    /// label is shallower) share a fold, so a head never saw the clade of a
    /// contig it predicts. `None`: contigs are shuffled into folds one by one.
    pub group_depth: Option<usize>,
}

impl Default for HeadConfig {
    fn default() -> Self {
        HeadConfig {
            folds: 5,
            hidden: 64,
            epochs: 30,
            max_steps: 800,
            batch_size: 256,
            lr: 3e-3,
            weight_decay: 1e-4,
            seed: 0,
            group_depth: None,
        }
    }
}

/// Label-tree node of each contig's label (`None` for unlabelled contigs).
pub fn label_targets(labels: &[Lineage], tree: &LabelTree) -> Vec<Option<usize>> {
    labels
        .iter()
        .map(|l| {
            if l.depth() == 0 {
                None
            } else {
                Some(tree.node_of(l)).filter(|&v| v != 0)
            }
        })
        .collect()
}

/// Deterministic split of rows into a fitting half (`true`) and a scoring half.
pub fn fit_half(i: usize, seed: u64) -> bool {
    let mut z = (i as u64)
        .wrapping_add(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) & 1 == 0
}

/// Column-standardised copy of an (n, d) matrix (std floored at 1e-6).
pub fn standardise(x: &[f32], d: usize) -> Vec<f32> {
    let n = x.len() / d.max(1);
    let mut mean = vec![0f64; d];
    let mut var = vec![0f64; d];
    for row in x.chunks_exact(d) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += *v as f64;
        }
    }
    for m in mean.iter_mut() {
        *m /= n.max(1) as f64;
    }
    for row in x.chunks_exact(d) {
        for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
            *s += (*v as f64 - m).powi(2);
        }
    }
    let sd: Vec<f64> = var
        .iter()
        .map(|s| (s / n.max(1) as f64).sqrt().max(1e-6))
        .collect();
    let mut out = x.to_vec();
    for row in out.chunks_exact_mut(d) {
        for j in 0..d {
            row[j] = ((row[j] as f64 - mean[j]) / sd[j]) as f32;
        }
    }
    out
}

struct Head {
    layers: Vec<(Var, Var)>,
}

impl Head {
    fn new(
        d: usize,
        hidden: usize,
        n_out: usize,
        rng: &mut ChaCha8Rng,
        dev: &Device,
    ) -> Result<Head> {
        let dims: Vec<(usize, usize)> = if hidden == 0 {
            vec![(d, n_out)]
        } else {
            vec![(d, hidden), (hidden, n_out)]
        };
        let mut layers = Vec::new();
        for (i, o) in dims {
            // torch's default: U(−1/√in, 1/√in) for weights and biases
            let b = 1.0 / (i as f32).sqrt();
            let w: Vec<f32> = (0..i * o).map(|_| rng.random_range(-b..b)).collect();
            let bias: Vec<f32> = (0..o).map(|_| rng.random_range(-b..b)).collect();
            layers.push((
                Var::from_tensor(&Tensor::from_vec(w, (o, i), dev)?)?,
                Var::from_tensor(&Tensor::from_vec(bias, o, dev)?)?,
            ));
        }
        Ok(Head { layers })
    }

    fn vars(&self) -> Vec<Var> {
        self.layers
            .iter()
            .flat_map(|(w, b)| [w.clone(), b.clone()])
            .collect()
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for (i, (w, b)) in self.layers.iter().enumerate() {
            h = h
                .matmul(&w.as_tensor().t()?)?
                .broadcast_add(b.as_tensor())?;
            if i + 1 < self.layers.len() {
                h = candle_nn::ops::leaky_relu(&h, 0.01)?;
            }
        }
        Ok(h)
    }

    /// Logits of the given rows, (rows.len(), n_out) row-major.
    fn logits(&self, x: &[f32], d: usize, rows: &[usize], dev: &Device) -> Result<Vec<f32>> {
        let mut out = Vec::new();
        for chunk in rows.chunks(4096) {
            let xb: Vec<f32> = chunk
                .iter()
                .flat_map(|&i| x[i * d..(i + 1) * d].iter().copied())
                .collect();
            let t = Tensor::from_vec(xb, (chunk.len(), d), dev)?;
            out.extend(self.forward(&t)?.flatten_all()?.to_vec1::<f32>()?);
        }
        Ok(out)
    }
}

#[allow(clippy::too_many_arguments)]
fn train_head(
    x: &[f32],
    d: usize,
    rows: &[usize],
    targets: &[Option<usize>],
    tree: &LabelTree,
    cfg: &HeadConfig,
    seed: u64,
    dev: &Device,
) -> Result<Head> {
    let l = tree.n_leaves();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let head = Head::new(d, cfg.hidden, l, &mut rng, dev)?;
    let params = ParamsAdamW {
        lr: cfg.lr,
        weight_decay: cfg.weight_decay,
        ..Default::default()
    };
    let mut opt = AdamW::new(head.vars(), params)?;
    let bs = cfg.batch_size.max(1);
    let per_epoch = rows.len().div_ceil(bs);
    let steps = (cfg.epochs * per_epoch).min(cfg.max_steps).max(1);
    let mut order = rows.to_vec();
    let mut pos = order.len();
    for step in 0..steps {
        if pos >= order.len() {
            order.shuffle(&mut rng);
            pos = 0;
        }
        let batch = &order[pos..(pos + bs).min(order.len())];
        pos += bs;
        let xb: Vec<f32> = batch
            .iter()
            .flat_map(|&i| x[i * d..(i + 1) * d].iter().copied())
            .collect();
        let mut mask = vec![-1e4f32; batch.len() * l];
        for (r, &i) in batch.iter().enumerate() {
            let v = targets[i].expect("training rows are labelled");
            for &c in tree.leaves_under(v) {
                mask[r * l + c] = 0.0;
            }
        }
        let xt = Tensor::from_vec(xb, (batch.len(), d), dev)?;
        let mt = Tensor::from_vec(mask, (batch.len(), l), dev)?;
        let logits = head.forward(&xt)?;
        let loss = (logits.log_sum_exp(1)? - (logits + mt)?.log_sum_exp(1)?)?.mean_all()?;
        let lr = cfg.lr * 0.5 * (1.0 + (std::f64::consts::PI * step as f64 / steps as f64).cos());
        opt.set_learning_rate(lr);
        opt.backward_step(&loss)?;
    }
    Ok(head)
}

fn softmax_rows(logits: &mut [f32], l: usize) {
    for row in logits.chunks_exact_mut(l) {
        let m = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let mut z = 0f32;
        for v in row.iter_mut() {
            *v = (*v - m).exp();
            z += *v;
        }
        for v in row.iter_mut() {
            *v /= z;
        }
    }
}

/// Cross-fitted, calibrated soft labels from hierarchical heads on `x` (n × d).
///
/// `labels` are aligned to the rows (empty lineage = unlabelled);
/// `train_mask[i]` says whether row i may be used for training.
///
/// # Errors
/// Inconsistent sizes, fewer than two usable labelled contigs, a tree
/// without leaves, tensor errors.
pub fn crossfit_heads(
    x: &[f32],
    d: usize,
    labels: &[Lineage],
    tree: &LabelTree,
    train_mask: &[bool],
    cfg: &HeadConfig,
) -> Result<TeacherOutput> {
    let raw = crossfit_raw(x, d, labels, tree, train_mask, cfg)?;
    Ok(calibrated(tree, labels, &raw, cfg))
}

/// Held-out leaf probabilities of cross-fitted heads, before temperature
/// calibration: every usable labelled row is predicted by the head of the one
/// fold that left it out, every other row by the mean logits of all fold
/// heads. Also the number of folds and the time taken.
pub struct CrossFit {
    /// (n × leaves) softmax probabilities, rows aligned to the labels.
    pub probs: Vec<f32>,
    /// Rows that a fold held out (usable labelled rows).
    pub held_out: Vec<bool>,
    pub folds: usize,
    pub train_s: f64,
}

/// [`crossfit_heads`] without the calibration: the raw held-out probabilities.
///
/// # Errors
/// As [`crossfit_heads`]; with `cfg.group_depth`, also fewer than two clades
/// at that depth ([`Error::Invalid`]).
pub fn crossfit_raw(
    x: &[f32],
    d: usize,
    labels: &[Lineage],
    tree: &LabelTree,
    train_mask: &[bool],
    cfg: &HeadConfig,
) -> Result<CrossFit> {
    let t0 = Instant::now();
    let n = labels.len();
    let l = tree.n_leaves();
    if d == 0 || x.len() != n * d || train_mask.len() != n {
        return Err(Error::Mismatch(format!(
            "heads: {} values for {} rows × {} columns, {} mask entries",
            x.len(),
            n,
            d,
            train_mask.len()
        )));
    }
    if l < 2 {
        return Err(Error::Invalid(format!(
            "heads: the label tree has {l} leaf/leaves; need at least 2"
        )));
    }
    let targets = label_targets(labels, tree);
    let mut usable: Vec<usize> = (0..n)
        .filter(|&i| targets[i].is_some() && train_mask[i])
        .collect();
    if usable.len() < 2 {
        return Err(Error::Invalid(format!(
            "heads: {} usable labelled contig(s); need at least 2",
            usable.len()
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    usable.shuffle(&mut rng);
    let mut fold = vec![usize::MAX; n];
    let k = match cfg.group_depth {
        None => {
            let k = cfg.folds.clamp(2, usable.len());
            for (p, &i) in usable.iter().enumerate() {
                fold[i] = p % k;
            }
            k
        }
        Some(depth) => {
            // clades in order of first appearance in the shuffled rows
            let clade = |i: usize| {
                let mut v = targets[i].unwrap_or(0);
                while tree.nodes[v].depth > depth {
                    v = tree.nodes[v].parent.unwrap_or(0);
                }
                v
            };
            let mut ids = std::collections::HashMap::new();
            for &i in &usable {
                let next = ids.len();
                ids.entry(clade(i)).or_insert(next);
            }
            if ids.len() < 2 {
                return Err(Error::Invalid(format!(
                    "heads: the labels name {} clade(s) at depth {depth}; clade-held-out folds need at least 2",
                    ids.len()
                )));
            }
            let k = cfg.folds.clamp(2, ids.len());
            for &i in &usable {
                fold[i] = ids[&clade(i)] % k;
            }
            k
        }
    };
    let others: Vec<usize> = (0..n).filter(|&i| fold[i] == usize::MAX).collect();
    let xs = standardise(x, d);
    let dev = Device::Cpu;
    let mut probs = vec![0f32; n * l];
    let mut other_logits = vec![0f32; others.len() * l];
    for f in 0..k {
        let train: Vec<usize> = usable.iter().copied().filter(|&i| fold[i] != f).collect();
        let test: Vec<usize> = usable.iter().copied().filter(|&i| fold[i] == f).collect();
        let head = train_head(
            &xs,
            d,
            &train,
            &targets,
            tree,
            cfg,
            cfg.seed.wrapping_add(1 + f as u64),
            &dev,
        )?;
        let lg = head.logits(&xs, d, &test, &dev)?;
        for (r, &i) in test.iter().enumerate() {
            probs[i * l..(i + 1) * l].copy_from_slice(&lg[r * l..(r + 1) * l]);
        }
        if !others.is_empty() {
            let lo = head.logits(&xs, d, &others, &dev)?;
            for (a, b) in other_logits.iter_mut().zip(&lo) {
                *a += b / k as f32;
            }
        }
    }
    for (r, &i) in others.iter().enumerate() {
        probs[i * l..(i + 1) * l].copy_from_slice(&other_logits[r * l..(r + 1) * l]);
    }
    softmax_rows(&mut probs, l);
    Ok(CrossFit {
        probs,
        held_out: fold.iter().map(|&f| f != usize::MAX).collect(),
        folds: k,
        train_s: t0.elapsed().as_secs_f64(),
    })
}

/// Temperature-calibrated soft labels and their report from a [`CrossFit`]
/// (temperature fitted on one half of the held-out rows, scored on the other).
pub fn calibrated(
    tree: &LabelTree,
    labels: &[Lineage],
    raw: &CrossFit,
    cfg: &HeadConfig,
) -> TeacherOutput {
    let t0 = Instant::now();
    let n = labels.len();
    let targets = label_targets(labels, tree);
    let held = |i: usize| targets[i].filter(|_| raw.held_out[i]);
    let fit: Vec<Option<usize>> = (0..n)
        .map(|i| held(i).filter(|_| fit_half(i, cfg.seed)))
        .collect();
    let score: Vec<Option<usize>> = (0..n)
        .map(|i| held(i).filter(|_| !fit_half(i, cfg.seed)))
        .collect();
    let mut report = TeacherReport {
        teacher: "heads".into(),
        n_contigs: n,
        n_labelled: raw.held_out.iter().filter(|&&h| h).count(),
        n_leaves: tree.n_leaves(),
        chosen: serde_json::json!({ "heads": cfg, "folds": raw.folds }),
        ..Default::default()
    };
    let probs = calibrate(tree, &raw.probs, &fit, &score, &mut report);
    report.timings.insert("heads_train".into(), raw.train_s);
    report.timings.insert(
        "heads_total".into(),
        raw.train_s + t0.elapsed().as_secs_f64(),
    );
    TeacherOutput {
        probs,
        report,
        open_set: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three species in two genera; features separate the species with noise.
    pub(crate) fn toy(n: usize, seed: u64) -> (Vec<f32>, Vec<Lineage>, usize) {
        let names = ["A;G1;S1", "A;G1;S2", "A;G2;S3"];
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let d = 4;
        let mut x = Vec::new();
        let mut labels = Vec::new();
        for i in 0..n {
            let c = i % 3;
            for j in 0..d {
                let centre = if j == c { 3.0 } else { 0.0 };
                x.push(centre + rng.random_range(-1.0f32..1.0));
            }
            labels.push(Lineage::parse(names[c]).unwrap());
        }
        (x, labels, d)
    }

    #[test]
    fn heads_learn_separable_species_and_are_deterministic() {
        let (x, mut labels, d) = toy(300, 1);
        // a few unlabelled contigs and one genus-level label
        labels[0] = Lineage::unclassified();
        labels[3] = Lineage::parse("A;G1").unwrap();
        let tree = LabelTree::from_lineages(labels.iter());
        let mask = vec![true; labels.len()];
        let cfg = HeadConfig {
            epochs: 20,
            ..Default::default()
        };
        let out = crossfit_heads(&x, d, &labels, &tree, &mask, &cfg).unwrap();
        assert_eq!(out.probs.len(), 300 * tree.n_leaves());
        // the toy lineages are three ranks deep
        let species = out
            .report
            .heldout
            .iter()
            .find(|r| r.rank == "class")
            .unwrap();
        assert!(species.accuracy > 0.9, "{:?}", out.report.heldout);
        for row in out.probs.chunks_exact(tree.n_leaves()) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        }
        let again = crossfit_heads(&x, d, &labels, &tree, &mask, &cfg).unwrap();
        assert_eq!(out.probs, again.probs);
    }

    #[test]
    fn a_head_never_sees_the_label_it_predicts() {
        // random features: any held-out accuracy well above chance would mean leakage
        let (_, labels, _) = toy(300, 2);
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let x: Vec<f32> = (0..300 * 4)
            .map(|_| rng.random_range(-1.0f32..1.0))
            .collect();
        let tree = LabelTree::from_lineages(labels.iter());
        let out =
            crossfit_heads(&x, 4, &labels, &tree, &[true; 300], &HeadConfig::default()).unwrap();
        let species = out
            .report
            .heldout
            .iter()
            .find(|r| r.rank == "class")
            .unwrap();
        assert!(species.accuracy < 0.55, "{:?}", out.report.heldout);
    }

    #[test]
    fn too_few_labels_is_an_error() {
        let labels = vec![
            Lineage::parse("A;B").unwrap(),
            Lineage::parse("A;C").unwrap(),
            Lineage::unclassified(),
        ];
        let tree = LabelTree::from_lineages(labels.iter());
        let r = crossfit_heads(
            &[0.0; 3],
            1,
            &labels,
            &tree,
            &[true, false, true],
            &HeadConfig::default(),
        );
        assert!(matches!(r, Err(Error::Invalid(_))));
    }
}
