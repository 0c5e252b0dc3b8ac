//! Student training and soft-label distillation (native, candle CPU).
//!
//! Input: raw features `(n_contigs, n_features)` f32 (the core's
//! [`FeatureMatrix`](taxdistill_core::features::FeatureMatrix) layout), one
//! optional label node per contig in a [`LabelTree`], optional teacher
//! probabilities over the tree's leaves. Output: the inference-form tensors of
//! `model.safetensors` (BatchNorm folded), the standardisation constants and
//! per-rank thresholds of `model.json`.
//!
//! Training is transductive like Taxometer: the labelled contigs (minus a
//! held-out fraction used for early stopping and threshold calibration) and,
//! when distilling, every contig the teacher covers; the trained model then
//! annotates all contigs. Loss: see [`loss`]. Optimiser: AdamW with a cosine
//! learning-rate schedule. Everything random (initialisation, hold-out split,
//! shuffles, dropout masks) comes from one ChaCha8 stream seeded by
//! [`TrainConfig::seed`], so a run is reproducible.

pub mod calibrate;
pub mod errors;
pub mod loss;
pub mod net;

pub use errors::Error;
/// Result of the training crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Teacher probabilities per contig: sparse `(leaf column, probability)` pairs, `None` = no teacher row.
pub type TeacherRows = [Option<Vec<(usize, f32)>>];

/// A named f32 tensor: (name, shape, row-major data).
pub type NamedTensor = (String, Vec<usize>, Vec<f32>);

use candle_core::Tensor;
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use loss::TeacherTarget;
use net::TrainNet;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use taxdistill_core::taxonomy::LabelTree;

/// Hyper-parameters of student training.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainConfig {
    /// Hidden layer widths (Taxometer: 4 × 512).
    pub hidden: Vec<usize>,
    /// Dropout probability after each LeakyReLU.
    pub dropout: f32,
    /// Negative slope of LeakyReLU (PyTorch default 0.01).
    pub leaky_slope: f32,
    /// Peak learning rate of AdamW.
    pub lr: f64,
    /// Decoupled weight decay of AdamW.
    pub weight_decay: f64,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Maximum number of epochs (the cosine schedule spans them).
    pub max_epochs: usize,
    /// Stop after this many epochs without held-out improvement.
    pub patience: usize,
    /// Fewest optimizer steps a run is planned for. When an epoch is only a
    /// few batches (small inputs, most contigs short) `max_epochs` batches
    /// would be too few steps, and `patience` epochs too few to tell a plateau
    /// from noise: both are scaled by the same factor so that the schedule
    /// spans at least this many steps ([`schedule`]). 0 turns it off.
    pub min_steps: usize,
    /// Fraction of labelled contigs held out for early stopping and calibration.
    pub holdout_fraction: f64,
    /// Most contigs held out (0: no cap). The hold-out is evaluated after
    /// every epoch; a few ten thousand contigs settle early stopping and the
    /// thresholds as well as a tenth of a million would.
    pub max_holdout: usize,
    /// Most training rows an epoch visits (0: all of them). On big inputs an
    /// epoch is the next `epoch_rows` rows of a shuffled order, reshuffled
    /// when used up, so that early stopping, patience and the cosine schedule
    /// keep their meaning while the cost of an epoch stops growing with the
    /// input. Inputs with at most this many training rows train as before.
    pub epoch_rows: usize,
    /// Weight of the hierarchical loss on noisy labels (1 − α weighs distillation).
    pub alpha: f32,
    /// Distillation temperature T.
    pub temperature: f32,
    /// Weight each contig's distillation term by the teacher's confidence.
    pub confidence_weighting: bool,
    /// Seed of every random choice.
    pub seed: u64,
    /// Threshold used where calibration has too little support.
    pub default_threshold: f32,
    /// Calibrate per-rank thresholds on the held-out contigs.
    pub calibrate: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            hidden: vec![512; 4],
            dropout: 0.2,
            leaky_slope: 0.01,
            lr: 2e-3,
            weight_decay: 1e-2,
            batch_size: 1024,
            max_epochs: 60,
            patience: 6,
            min_steps: 200,
            holdout_fraction: 0.1,
            max_holdout: 20_000,
            epoch_rows: 131_072,
            alpha: 0.3,
            temperature: 4.0,
            confidence_weighting: false,
            seed: 0,
            default_threshold: 0.5,
            calibrate: true,
        }
    }
}

/// What to train on. All slices have one entry per contig.
pub struct TrainInput<'a> {
    /// The label tree; its leaves are the output columns.
    pub tree: &'a LabelTree,
    /// Raw features, row-major `(n, n_features)`.
    pub features: &'a [f32],
    pub n_features: usize,
    /// Label node per contig (`None` or the root = unlabelled).
    pub labels: &'a [Option<usize>],
    /// Teacher probabilities per contig over leaf columns (sparse), if distilling.
    pub teacher: Option<&'a TeacherRows>,
    /// Contigs allowed into training (e.g. long enough).
    pub eligible: &'a [bool],
}

/// Progress of one epoch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochStats {
    pub epoch: usize,
    /// The run's epoch budget ([`schedule`]).
    pub max_epochs: usize,
    pub train_loss: f32,
    /// The hierarchical and distillation terms of `train_loss` (as weighted
    /// in it: α and (1 − α)·T²); the second `None` without a teacher.
    pub hier_loss: f32,
    pub kd_loss: Option<f32>,
    pub val_loss: Option<f32>,
    pub lr: f64,
}

/// Summary of a training run (stored in `model.json` provenance).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainReport {
    pub n_train_labelled: usize,
    pub n_train_teacher_only: usize,
    pub n_holdout: usize,
    /// Training rows an epoch visits ([`TrainConfig::epoch_rows`]).
    pub rows_per_epoch: usize,
    /// Optimizer steps per epoch.
    pub steps_per_epoch: usize,
    /// Epoch budget and patience after [`schedule`] (≥ the configured ones).
    pub max_epochs: usize,
    pub patience: usize,
    pub epochs_run: usize,
    pub best_epoch: usize,
    pub best_val_loss: Option<f32>,
    /// Per rank, the F1 of the calibrated walk against the held-out noisy
    /// labels ([`calibrate::heldout_f1`]); `None` without a hold-out.
    pub holdout_f1: [Option<f64>; 7],
    pub history: Vec<EpochStats>,
}

/// A trained student.
pub struct Trained {
    /// Inference-form tensors (`layers.{i}.weight/bias`, `output.weight/bias`).
    pub tensors: Vec<NamedTensor>,
    pub feature_mean: Vec<f32>,
    pub feature_std: Vec<f32>,
    pub thresholds: [f32; 7],
    pub report: TrainReport,
}

impl Trained {
    /// Bytes of `model.safetensors`.
    ///
    /// # Errors
    /// Inconsistent tensor shapes (a bug).
    pub fn safetensors_bytes(&self) -> Result<Vec<u8>> {
        Ok(taxdistill_core::model::write_safetensors(&self.tensors)?)
    }
}

/// Mean and standard deviation (population, never below 1e-6 → 1) of the columns over `rows`.
pub fn column_stats(features: &[f32], n_features: usize, rows: &[usize]) -> (Vec<f32>, Vec<f32>) {
    let mut mean = vec![0f64; n_features];
    let mut sq = vec![0f64; n_features];
    for &r in rows {
        for (j, &x) in features[r * n_features..(r + 1) * n_features]
            .iter()
            .enumerate()
        {
            mean[j] += x as f64;
            sq[j] += x as f64 * x as f64;
        }
    }
    let n = rows.len().max(1) as f64;
    let mut m = Vec::with_capacity(n_features);
    let mut s = Vec::with_capacity(n_features);
    for j in 0..n_features {
        let mu = mean[j] / n;
        let var = (sq[j] / n - mu * mu).max(0.0);
        m.push(mu as f32);
        let sd = var.sqrt();
        s.push(if sd < 1e-6 { 1.0 } else { sd as f32 });
    }
    (m, s)
}

/// Batches per epoch for `n_rows` training rows: `batch_size`-row chunks,
/// a trailing chunk of fewer than 32 rows folded into the previous one.
pub fn batches_per_epoch(n_rows: usize, batch_size: usize) -> usize {
    let bs = batch_size.min(n_rows.max(2)).max(1);
    let k = n_rows.div_ceil(bs).max(1);
    if k > 1 && n_rows - (k - 1) * bs < 32 {
        k - 1
    } else {
        k
    }
}

/// The epoch budget and patience a run of `steps_per_epoch` batches an epoch
/// uses: the configured ones, both multiplied by
/// ⌈`min_steps` / (`steps_per_epoch` · `max_epochs`)⌉ when the configured
/// budget is fewer than `min_steps` optimizer steps. So early stopping waits
/// as many optimizer steps as it would with about `min_steps` / `max_epochs`
/// batches an epoch, and the cosine schedule spans the longer budget.
pub fn schedule(cfg: &TrainConfig, steps_per_epoch: usize) -> (usize, usize) {
    let planned = steps_per_epoch.max(1) * cfg.max_epochs;
    if cfg.min_steps == 0 || planned >= cfg.min_steps || cfg.max_epochs == 0 {
        return (cfg.max_epochs, cfg.patience);
    }
    let factor = cfg.min_steps.div_ceil(planned);
    (cfg.max_epochs * factor, cfg.patience * factor)
}

fn gather(x: &[f32], f: usize, rows: &[usize]) -> Vec<f32> {
    let mut out = Vec::with_capacity(rows.len() * f);
    for &r in rows {
        out.extend_from_slice(&x[r * f..(r + 1) * f]);
    }
    out
}

struct Ctx<'a> {
    tree: &'a LabelTree,
    x: Vec<f32>,
    f: usize,
    labels: &'a [Option<usize>],
    teachers: Vec<Option<TeacherTarget>>,
    hier_w: f32,
    kd_w: f32,
    cfg: &'a TrainConfig,
}

impl Ctx<'_> {
    fn targets(&self, rows: &[usize], device: &candle_core::Device) -> Result<loss::BatchTargets> {
        let labs: Vec<Option<usize>> = rows.iter().map(|&r| self.labels[r]).collect();
        let tts: Vec<Option<&TeacherTarget>> =
            rows.iter().map(|&r| self.teachers[r].as_ref()).collect();
        loss::batch_targets(
            self.tree,
            &labs,
            &tts,
            self.hier_w,
            self.kd_w,
            self.cfg.confidence_weighting,
            device,
        )
    }

    /// Mean held-out loss and the held-out leaf probabilities.
    fn evaluate(&self, net: &TrainNet, rows: &[usize]) -> Result<(f32, Vec<f32>)> {
        let mut total = 0f64;
        let mut probs = Vec::with_capacity(rows.len() * self.tree.n_leaves());
        for chunk in rows.chunks(4096) {
            let x = Tensor::from_vec(
                gather(&self.x, self.f, chunk),
                (chunk.len(), self.f),
                net.device(),
            )?;
            let logits = net.forward_eval(&x)?;
            let t = self.targets(chunk, net.device())?;
            let l = loss::batch_loss(&logits, &t, self.cfg.temperature)?.to_scalar::<f32>()?;
            total += l as f64 * chunk.len() as f64;
            probs.extend(net::softmax_rows(&logits)?);
        }
        Ok(((total / rows.len().max(1) as f64) as f32, probs))
    }

    /// One pass over `train_rows` (already shuffled) in batches of
    /// `batch_size`, one AdamW step each.
    fn epoch(
        &self,
        net: &mut TrainNet,
        opt: &mut AdamW,
        sched: &mut Cosine,
        train_rows: &[usize],
        epoch: usize,
        rng: &mut ChaCha8Rng,
    ) -> Result<EpochSums> {
        let f = self.f;
        let bs = self.cfg.batch_size.min(train_rows.len().max(2));
        let mut batches: Vec<&[usize]> = train_rows.chunks(bs).collect();
        // BatchNorm needs a few rows: fold a tiny trailing batch into the previous one
        if batches.len() > 1 && batches.last().map_or(0, |b| b.len()) < 32 {
            batches.pop();
            let k = batches.len() - 1;
            batches[k] = &train_rows[k * bs..];
        }
        let mut sums = EpochSums {
            loss: 0.0,
            hier: 0.0,
            kd: 0.0,
            seen: 0,
        };
        for rows in batches {
            opt.set_learning_rate(sched.next());
            let xb = Tensor::from_vec(gather(&self.x, f, rows), (rows.len(), f), net.device())?;
            let t = self.targets(rows, net.device())?;
            let logits = net.forward_train(&xb, rng)?;
            let terms = loss::batch_loss_terms(&logits, &t, self.cfg.temperature)?;
            let lv = terms.total.to_scalar::<f32>()?;
            if !lv.is_finite() {
                return Err(Error::Diverged { epoch, loss: lv });
            }
            opt.backward_step(&terms.total)?;
            let w = rows.len() as f64;
            sums.loss += lv as f64 * w;
            sums.hier += terms.hier.to_scalar::<f32>()? as f64 * w;
            if let Some(kd) = &terms.kd {
                sums.kd += kd.to_scalar::<f32>()? as f64 * w;
            }
            sums.seen += rows.len();
        }
        Ok(sums)
    }

    /// The per-rank thresholds (calibrated on the hold-out when configured,
    /// else the default) and the hold-out F1 of the walk at them.
    fn calibrate(&self, net: &TrainNet, holdout: &[usize]) -> Result<([f32; 7], [Option<f64>; 7])> {
        let cfg = self.cfg;
        let mut thresholds = [cfg.default_threshold; 7];
        if holdout.is_empty() {
            return Ok((thresholds, [None; 7]));
        }
        let (_, probs) = self.evaluate(net, holdout)?;
        let node_probs: Vec<Vec<f32>> = probs
            .chunks(self.tree.n_leaves())
            .map(|p| self.tree.node_probs(p))
            .collect();
        let labs: Vec<usize> = holdout
            .iter()
            .map(|&r| self.labels[r].unwrap_or(0))
            .collect();
        if cfg.calibrate {
            thresholds = calibrate::calibrate_thresholds(
                self.tree,
                &node_probs,
                &labs,
                cfg.default_threshold,
                10,
            );
        }
        let f1 = calibrate::heldout_f1(self.tree, &node_probs, &labs, &thresholds);
        Ok((thresholds, f1))
    }
}

/// Trains the student.
///
/// `on_epoch` is called after every epoch (progress bars, logs).
///
/// # Errors
/// Fewer than two leaves, no trainable contig, mismatched input lengths,
/// teacher targets over columns outside the tree, or a diverging loss.
pub fn train(
    input: &TrainInput,
    cfg: &TrainConfig,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<Trained> {
    let tree = input.tree;
    let f = input.n_features;
    let l = tree.n_leaves();
    let n = check_input(input, cfg)?;
    let teachers = teacher_targets(input, cfg, n)?;
    let distilling = teachers.iter().any(Option::is_some);
    let (hier_w, kd_w) = if distilling {
        (
            cfg.alpha,
            (1.0 - cfg.alpha) * cfg.temperature * cfg.temperature,
        )
    } else {
        (1.0, 0.0)
    };

    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let Split {
        holdout,
        train_rows,
        n_train_labelled,
        n_train_teacher_only,
    } = split_rows(input, cfg, &teachers, &mut rng)?;
    let (x, feature_mean, feature_std) = standardised(input.features, f, &train_rows)?;
    let ctx = Ctx {
        tree,
        x,
        f,
        labels: input.labels,
        teachers,
        hier_w,
        kd_w,
        cfg,
    };

    let mut net = TrainNet::new(f, &cfg.hidden, l, &mut rng)?;
    net.dropout = cfg.dropout;
    net.leaky_slope = cfg.leaky_slope;
    let mut opt = AdamW::new(
        net.vars(),
        ParamsAdamW {
            lr: cfg.lr,
            weight_decay: cfg.weight_decay,
            ..ParamsAdamW::default()
        },
    )?;
    let mut epochs = EpochRows::new(train_rows, cfg.epoch_rows);
    let rows_per_epoch = epochs.rows_per_epoch();
    let steps_per_epoch = batches_per_epoch(rows_per_epoch, cfg.batch_size);
    let (max_epochs, patience) = schedule(cfg, steps_per_epoch);
    let mut sched = Cosine {
        step: 0,
        total: (steps_per_epoch * max_epochs) as f64,
        lr: cfg.lr,
        lr_min: cfg.lr * 0.01,
    };
    let mut best: Option<(f32, usize, net::Snapshot)> = None;
    let mut history = Vec::new();
    let mut since_best = 0usize;
    for epoch in 1..=max_epochs {
        let rows = epochs.next(&mut rng);
        let sums = ctx.epoch(&mut net, &mut opt, &mut sched, &rows, epoch, &mut rng)?;
        let val_loss = if holdout.is_empty() {
            None
        } else {
            Some(ctx.evaluate(&net, &holdout)?.0)
        };
        let per_row = |x: f64| (x / sums.seen.max(1) as f64) as f32;
        let stats = EpochStats {
            epoch,
            max_epochs,
            train_loss: per_row(sums.loss),
            hier_loss: per_row(sums.hier),
            kd_loss: distilling.then(|| per_row(sums.kd)),
            val_loss,
            lr: opt.learning_rate(),
        };
        on_epoch(&stats);
        history.push(stats);
        if let Some(v) = val_loss {
            let improved = best.as_ref().is_none_or(|(b, _, _)| v < *b - 1e-4);
            if improved {
                best = Some((v, epoch, net.snapshot()?));
                since_best = 0;
            } else {
                since_best += 1;
                if since_best >= patience {
                    break;
                }
            }
        }
    }
    let epochs_run = history.len();
    let (best_val_loss, best_epoch) = match best {
        Some((v, e, snap)) => {
            net.restore(&snap)?;
            (Some(v), e)
        }
        None => (None, epochs_run),
    };
    let (thresholds, holdout_f1) = ctx.calibrate(&net, &holdout)?;
    Ok(Trained {
        tensors: net.folded_tensors()?,
        feature_mean,
        feature_std,
        thresholds,
        report: TrainReport {
            n_train_labelled,
            n_train_teacher_only,
            n_holdout: holdout.len(),
            rows_per_epoch,
            steps_per_epoch,
            max_epochs,
            patience,
            epochs_run,
            best_epoch,
            best_val_loss,
            holdout_f1,
            history,
        },
    })
}

/// Checks the input's shapes and the configuration; returns the number of rows.
fn check_input(input: &TrainInput, cfg: &TrainConfig) -> Result<usize> {
    let f = input.n_features;
    let l = input.tree.n_leaves();
    if l < 2 {
        return Err(Error::NotTrainable(format!(
            "the label tree has {l} leaf; at least two distinct labelled taxa are needed"
        )));
    }
    if f == 0 || !input.features.len().is_multiple_of(f) {
        return Err(Error::Mismatch(format!(
            "{} feature values do not fill rows of {f} features",
            input.features.len()
        )));
    }
    let n = input.features.len() / f;
    if input.labels.len() != n || input.eligible.len() != n {
        return Err(Error::Mismatch(format!(
            "{n} feature rows but {} labels and {} eligibility flags",
            input.labels.len(),
            input.eligible.len()
        )));
    }
    if !(0.0..=1.0).contains(&cfg.alpha)
        || cfg.temperature <= 0.0
        || cfg.batch_size < 2
        || cfg.max_epochs == 0
    {
        return Err(Error::Config(format!(
            "alpha {} must be in [0, 1], temperature {} > 0, batch size {} ≥ 2, epochs {} ≥ 1",
            cfg.alpha, cfg.temperature, cfg.batch_size, cfg.max_epochs
        )));
    }
    if !(0.0..1.0).contains(&cfg.holdout_fraction) {
        return Err(Error::Config(format!(
            "hold-out fraction {} must be in [0, 1)",
            cfg.holdout_fraction
        )));
    }
    Ok(n)
}

/// The teacher's tempered target of each row (`None`: no teacher row).
fn teacher_targets(
    input: &TrainInput,
    cfg: &TrainConfig,
    n: usize,
) -> Result<Vec<Option<TeacherTarget>>> {
    let l = input.tree.n_leaves();
    let mut teachers: Vec<Option<TeacherTarget>> = vec![None; n];
    let Some(t) = input.teacher else {
        return Ok(teachers);
    };
    if t.len() != n {
        return Err(Error::Mismatch(format!(
            "{n} contigs but teacher targets for {}",
            t.len()
        )));
    }
    for (i, row) in t.iter().enumerate() {
        if let Some(row) = row {
            if let Some(&(c, _)) = row.iter().find(|&&(c, _)| c >= l) {
                return Err(Error::Mismatch(format!(
                    "teacher target of contig row {i} names leaf column {c}, the tree has {l}"
                )));
            }
            teachers[i] = TeacherTarget::new(row, cfg.temperature, l);
        }
    }
    Ok(teachers)
}

/// The rows of each epoch: all training rows reshuffled, or with a cap
/// below their number the next `cap` rows of a shuffled order (reshuffled
/// when used up, so every row is visited before any is visited twice).
struct EpochRows {
    order: Vec<usize>,
    cap: usize,
    cursor: usize,
}

impl EpochRows {
    fn new(order: Vec<usize>, cap: usize) -> EpochRows {
        let cursor = order.len();
        EpochRows { order, cap, cursor }
    }

    fn capped(&self) -> bool {
        self.cap > 0 && self.cap < self.order.len()
    }

    fn rows_per_epoch(&self) -> usize {
        if self.capped() {
            self.cap
        } else {
            self.order.len()
        }
    }

    fn next(&mut self, rng: &mut ChaCha8Rng) -> Vec<usize> {
        if !self.capped() {
            // the whole set, reshuffled: the same draws as before the cap existed
            self.order.shuffle(rng);
            return self.order.clone();
        }
        let mut rows = Vec::with_capacity(self.cap);
        while rows.len() < self.cap {
            if self.cursor == self.order.len() {
                self.order.shuffle(rng);
                self.cursor = 0;
            }
            let take = (self.cap - rows.len()).min(self.order.len() - self.cursor);
            rows.extend_from_slice(&self.order[self.cursor..self.cursor + take]);
            self.cursor += take;
        }
        rows
    }
}

/// The rows held out for early stopping and calibration, and the rows trained on.
struct Split {
    holdout: Vec<usize>,
    train_rows: Vec<usize>,
    n_train_labelled: usize,
    n_train_teacher_only: usize,
}

/// Holds out `holdout_fraction` of the labelled eligible rows (none below 20,
/// at most `max_holdout`),
/// and trains on the rest plus the eligible unlabelled rows with a teacher
/// target.
fn split_rows(
    input: &TrainInput,
    cfg: &TrainConfig,
    teachers: &[Option<TeacherTarget>],
    rng: &mut ChaCha8Rng,
) -> Result<Split> {
    let n = input.labels.len();
    let labelled = |i: usize| matches!(input.labels[i], Some(v) if v != 0);
    let mut lab_rows: Vec<usize> = (0..n)
        .filter(|&i| input.eligible[i] && labelled(i))
        .collect();
    if lab_rows.is_empty() {
        return Err(Error::NotTrainable(
            "no labelled contig is long enough to train on".into(),
        ));
    }
    lab_rows.shuffle(rng);
    let n_hold = if lab_rows.len() >= 20 {
        let n = ((lab_rows.len() as f64) * cfg.holdout_fraction).round() as usize;
        if cfg.max_holdout > 0 {
            n.min(cfg.max_holdout)
        } else {
            n
        }
    } else {
        0
    };
    let mut holdout: Vec<usize> = lab_rows[..n_hold].to_vec();
    holdout.sort_unstable();
    let mut train_rows: Vec<usize> = lab_rows[n_hold..].to_vec();
    let n_train_labelled = train_rows.len();
    let teacher_only: Vec<usize> = (0..n)
        .filter(|&i| input.eligible[i] && !labelled(i) && teachers[i].is_some())
        .collect();
    let n_train_teacher_only = teacher_only.len();
    train_rows.extend(teacher_only);
    train_rows.sort_unstable();
    Ok(Split {
        holdout,
        train_rows,
        n_train_labelled,
        n_train_teacher_only,
    })
}

/// The features z-scored with the training rows' column statistics; returns
/// them with the means and standard deviations.
fn standardised(
    features: &[f32],
    f: usize,
    train_rows: &[usize],
) -> Result<(Vec<f32>, Vec<f32>, Vec<f32>)> {
    let (feature_mean, feature_std) = column_stats(features, f, train_rows);
    let mut x = features.to_vec();
    for row in x.chunks_mut(f) {
        for ((v, m), s) in row.iter_mut().zip(&feature_mean).zip(&feature_std) {
            *v = (*v - m) / s;
        }
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::Mismatch(format!(
            "non-finite feature value in contig row {}",
            i / f
        )));
    }
    Ok((x, feature_mean, feature_std))
}

/// Cosine decay of the learning rate from `lr` to `lr_min` over `total` steps.
struct Cosine {
    step: usize,
    total: f64,
    lr: f64,
    lr_min: f64,
}

impl Cosine {
    /// The learning rate of the next step.
    fn next(&mut self) -> f64 {
        let lr = self.lr_min
            + 0.5
                * (self.lr - self.lr_min)
                * (1.0 + (std::f64::consts::PI * self.step as f64 / self.total).cos());
        self.step += 1;
        lr
    }
}

/// One epoch's loss sums, each weighted by the rows of its batch.
struct EpochSums {
    loss: f64,
    hier: f64,
    kd: f64,
    seen: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncapped_epochs_reshuffle_every_row_as_before() {
        let rows: Vec<usize> = (0..50).collect();
        let mut a = EpochRows::new(rows.clone(), 0);
        let mut b = EpochRows::new(rows.clone(), 50);
        let (mut ra, mut rb) = (ChaCha8Rng::seed_from_u64(3), ChaCha8Rng::seed_from_u64(3));
        // the loop this replaced: one order shuffled in place every epoch
        let mut old = rows;
        let mut r_old = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..3 {
            old.shuffle(&mut r_old);
            assert_eq!(a.next(&mut ra), old);
            assert_eq!(b.next(&mut rb), old);
        }
        assert_eq!(a.rows_per_epoch(), 50);
    }

    #[test]
    fn capped_epochs_visit_every_row_before_any_twice() {
        let mut e = EpochRows::new((0..10).collect(), 4);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(e.rows_per_epoch(), 4);
        let first: Vec<usize> = (0..2).flat_map(|_| e.next(&mut rng)).collect();
        let third = e.next(&mut rng);
        assert_eq!(third.len(), 4);
        // epochs 1-2 are 8 distinct rows; epoch 3 ends the first pass (the
        // 2 rows left) and starts the next one
        let mut seen = first.clone();
        seen.extend_from_slice(&third[..2]);
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }
}
