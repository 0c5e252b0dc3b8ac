//! The trainable student (Taxometer's layout) and its folding into the
//! inference form that `taxdistill_core::model::Student` reads.
//!
//! Training form, per hidden block i: `Linear(in_i → h_i) → LeakyReLU →
//! Dropout(p) → BatchNorm1d(h_i)`, then `Linear(h_last → n_leaves)`.
//! Inputs are standardised features `(batch, n_features)` f32, outputs are
//! logits `(batch, n_leaves)` f32.
//!
//! Inference form: BatchNorm (running statistics) is an affine map per column,
//! `y = s ⊙ h + c` with `s = γ / sqrt(σ² + ε)`, `c = β − s ⊙ μ`, so it folds into
//! the next linear layer: `W' = W · diag(s)`, `b' = b + W c`.

use crate::Result;
use candle_core::{DType, Device, Tensor, Var, D};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// One hidden block's parameters and BatchNorm running statistics.
struct Block {
    weight: Var,
    bias: Var,
    gamma: Var,
    beta: Var,
    running_mean: Vec<f32>,
    running_var: Vec<f32>,
}

/// The student in training form.
pub struct TrainNet {
    blocks: Vec<Block>,
    out_weight: Var,
    out_bias: Var,
    pub leaky_slope: f32,
    pub dropout: f32,
    pub bn_eps: f32,
    pub bn_momentum: f32,
    device: Device,
}

/// A copy of every parameter and running statistic (for early stopping).
#[derive(Clone)]
pub struct Snapshot {
    params: Vec<Vec<f32>>,
    running: Vec<(Vec<f32>, Vec<f32>)>,
}

fn uniform_var(
    rng: &mut ChaCha8Rng,
    shape: (usize, usize),
    bound: f32,
    device: &Device,
) -> Result<Var> {
    let data: Vec<f32> = (0..shape.0 * shape.1)
        .map(|_| rng.random_range(-bound..bound))
        .collect();
    Ok(Var::from_tensor(&Tensor::from_vec(data, shape, device)?)?)
}

fn vec_var(data: Vec<f32>, device: &Device) -> Result<Var> {
    let n = data.len();
    Ok(Var::from_tensor(&Tensor::from_vec(data, n, device)?)?)
}

fn leaky_relu(x: &Tensor, slope: f32) -> candle_core::Result<Tensor> {
    let pos = x.relu()?;
    let neg = (x - &pos)?;
    pos + (neg * slope as f64)?
}

impl TrainNet {
    /// A freshly initialised network (PyTorch's default `Linear` init:
    /// weights and biases uniform in ±1/sqrt(fan_in); γ = 1, β = 0).
    pub fn new(
        n_features: usize,
        hidden: &[usize],
        n_leaves: usize,
        rng: &mut ChaCha8Rng,
    ) -> Result<TrainNet> {
        let device = Device::Cpu;
        let mut blocks = Vec::new();
        let mut prev = n_features;
        for &h in hidden {
            let bound = 1.0 / (prev as f32).sqrt();
            blocks.push(Block {
                weight: uniform_var(rng, (h, prev), bound, &device)?,
                bias: vec_var(
                    (0..h).map(|_| rng.random_range(-bound..bound)).collect(),
                    &device,
                )?,
                gamma: vec_var(vec![1.0; h], &device)?,
                beta: vec_var(vec![0.0; h], &device)?,
                running_mean: vec![0.0; h],
                running_var: vec![1.0; h],
            });
            prev = h;
        }
        let bound = 1.0 / (prev as f32).sqrt();
        let out_weight = uniform_var(rng, (n_leaves, prev), bound, &device)?;
        let out_bias = vec_var(
            (0..n_leaves)
                .map(|_| rng.random_range(-bound..bound))
                .collect(),
            &device,
        )?;
        Ok(TrainNet {
            blocks,
            out_weight,
            out_bias,
            leaky_slope: 0.01,
            dropout: 0.2,
            bn_eps: 1e-5,
            bn_momentum: 0.1,
            device,
        })
    }

    /// The CPU device the tensors live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Trainable variables (weights, biases, γ, β).
    pub fn vars(&self) -> Vec<Var> {
        let mut v = Vec::new();
        for b in &self.blocks {
            v.extend([
                b.weight.clone(),
                b.bias.clone(),
                b.gamma.clone(),
                b.beta.clone(),
            ]);
        }
        v.push(self.out_weight.clone());
        v.push(self.out_bias.clone());
        v
    }

    /// Training forward pass: batch statistics in BatchNorm (running
    /// statistics are updated), dropout masks drawn from `rng`.
    pub fn forward_train(&mut self, x: &Tensor, rng: &mut ChaCha8Rng) -> Result<Tensor> {
        let n = x.dim(0)?;
        let mut h = x.clone();
        let keep = 1.0 - self.dropout;
        for b in self.blocks.iter_mut() {
            h = h
                .matmul(&b.weight.as_tensor().t()?)?
                .broadcast_add(b.bias.as_tensor())?;
            h = leaky_relu(&h, self.leaky_slope)?;
            if self.dropout > 0.0 {
                let width = h.dim(1)?;
                let scale = 1.0 / keep;
                let mask: Vec<f32> = (0..n * width)
                    .map(|_| {
                        if rng.random::<f32>() < keep {
                            scale
                        } else {
                            0.0
                        }
                    })
                    .collect();
                h = (h * Tensor::from_vec(mask, (n, width), &self.device)?)?;
            }
            let mean = h.mean_keepdim(0)?;
            let centred = h.broadcast_sub(&mean)?;
            let var = centred.sqr()?.mean_keepdim(0)?;
            let inv = (var.clone() + self.bn_eps as f64)?.sqrt()?.recip()?;
            h = centred
                .broadcast_mul(&inv)?
                .broadcast_mul(b.gamma.as_tensor())?
                .broadcast_add(b.beta.as_tensor())?;
            // running statistics (PyTorch: unbiased variance for the running estimate)
            let m = self.bn_momentum;
            let unbias = if n > 1 {
                n as f32 / (n as f32 - 1.0)
            } else {
                1.0
            };
            let mean_v = mean.detach().flatten_all()?.to_vec1::<f32>()?;
            let var_v = var.detach().flatten_all()?.to_vec1::<f32>()?;
            for j in 0..mean_v.len() {
                b.running_mean[j] = (1.0 - m) * b.running_mean[j] + m * mean_v[j];
                b.running_var[j] = (1.0 - m) * b.running_var[j] + m * var_v[j] * unbias;
            }
        }
        Ok(h.matmul(&self.out_weight.as_tensor().t()?)?
            .broadcast_add(self.out_bias.as_tensor())?)
    }

    /// Evaluation forward pass (running statistics, no dropout), no gradient.
    pub fn forward_eval(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.detach();
        for b in &self.blocks {
            h = h
                .matmul(&b.weight.as_tensor().detach().t()?)?
                .broadcast_add(&b.bias.as_tensor().detach())?;
            h = leaky_relu(&h, self.leaky_slope)?;
            let (s, c) = self.bn_affine(b)?;
            let w = s.len();
            h = h
                .broadcast_mul(&Tensor::from_vec(s, (1, w), &self.device)?)?
                .broadcast_add(&Tensor::from_vec(c, (1, w), &self.device)?)?;
        }
        Ok(h.matmul(&self.out_weight.as_tensor().detach().t()?)?
            .broadcast_add(&self.out_bias.as_tensor().detach())?)
    }

    /// BatchNorm of a block as a per-column affine map `(s, c)`.
    fn bn_affine(&self, b: &Block) -> Result<(Vec<f32>, Vec<f32>)> {
        let gamma = b.gamma.as_tensor().to_vec1::<f32>()?;
        let beta = b.beta.as_tensor().to_vec1::<f32>()?;
        let mut s = Vec::with_capacity(gamma.len());
        let mut c = Vec::with_capacity(gamma.len());
        for j in 0..gamma.len() {
            let sj = gamma[j] / (b.running_var[j] + self.bn_eps).sqrt();
            s.push(sj);
            c.push(beta[j] - sj * b.running_mean[j]);
        }
        Ok((s, c))
    }

    /// Tensors of the inference form, named as `taxdistill_core::model` expects
    /// (`layers.{i}.weight/bias`, `output.weight/bias`), BatchNorm folded.
    pub fn folded_tensors(&self) -> Result<Vec<crate::NamedTensor>> {
        let mut out = Vec::new();
        let mut prev_affine: Option<(Vec<f32>, Vec<f32>)> = None;
        let linears: Vec<(&Var, &Var)> = self
            .blocks
            .iter()
            .map(|b| (&b.weight, &b.bias))
            .chain(std::iter::once((&self.out_weight, &self.out_bias)))
            .collect();
        for (i, (w, bias)) in linears.iter().enumerate() {
            let (rows, cols) = w.as_tensor().dims2()?;
            let mut wv = w.as_tensor().flatten_all()?.to_vec1::<f32>()?;
            let mut bv = bias.as_tensor().to_vec1::<f32>()?;
            if let Some((s, c)) = &prev_affine {
                for r in 0..rows {
                    let row = &mut wv[r * cols..(r + 1) * cols];
                    let mut extra = 0f64;
                    for k in 0..cols {
                        extra += row[k] as f64 * c[k] as f64;
                        row[k] *= s[k];
                    }
                    bv[r] += extra as f32;
                }
            }
            let name = if i < self.blocks.len() {
                format!("layers.{i}")
            } else {
                "output".to_string()
            };
            out.push((format!("{name}.weight"), vec![rows, cols], wv));
            out.push((format!("{name}.bias"), vec![rows], bv));
            if i < self.blocks.len() {
                prev_affine = Some(self.bn_affine(&self.blocks[i])?);
            }
        }
        Ok(out)
    }

    /// Copies all parameters and running statistics.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let params = self
            .vars()
            .iter()
            .map(|v| Ok(v.as_tensor().flatten_all()?.to_vec1::<f32>()?))
            .collect::<Result<Vec<_>>>()?;
        let running = self
            .blocks
            .iter()
            .map(|b| (b.running_mean.clone(), b.running_var.clone()))
            .collect();
        Ok(Snapshot { params, running })
    }

    /// Restores a [`Snapshot`] taken from this network.
    pub fn restore(&mut self, snap: &Snapshot) -> Result<()> {
        for (v, data) in self.vars().iter().zip(&snap.params) {
            let t = Tensor::from_slice(data, v.shape(), &self.device)?;
            v.set(&t)?;
        }
        for (b, (m, v)) in self.blocks.iter_mut().zip(&snap.running) {
            b.running_mean.clone_from(m);
            b.running_var.clone_from(v);
        }
        Ok(())
    }
}

/// Softmax of each row of logits `(n, l)` → probabilities, as a flat Vec.
pub fn softmax_rows(logits: &Tensor) -> Result<Vec<f32>> {
    let p = candle_nn::ops::softmax(logits, D::Minus1)?;
    Ok(p.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?)
}
