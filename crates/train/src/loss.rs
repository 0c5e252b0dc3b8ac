//! Hierarchical (flat-softmax) loss and the distillation term.
//!
//! Shapes: logits `(B, L)` over the L leaves of the label tree, f32.
//!
//! - Hierarchical loss (Taxometer's `FlatSoftmaxNLL`): for a contig labelled at
//!   node v, `−log Σ_{leaves ℓ under v} softmax(z)_ℓ = logsumexp(z) −
//!   logsumexp(z + M_v)`, where `M_v` is 0 on the leaves under v and −1e9
//!   elsewhere (numerically stable, no explicit softmax).
//! - Distillation: `T² · KL(p_T ‖ softmax(z/T))`, with `p_T ∝ p_teacher^{1/T}`
//!   (the teacher file holds probabilities, so its log-probabilities are
//!   divided by T and renormalised).
//!
//! Per contig, `loss_i = a_i · hier_i + k_i · KD_i`; the batch loss is the mean.

use crate::Result;
use candle_core::{Device, Tensor, D};
use taxdistill_core::taxonomy::LabelTree;

/// Masked-out logit offset (exp underflows to exactly 0 in f32).
const MASKED: f32 = -1e9;

/// One contig's teacher target, prepared once: sparse `p_T` over leaf columns,
/// `Σ p_T log p_T` (so the KD term is a true KL, ≥ 0) and the confidence weight.
#[derive(Debug, Clone, PartialEq)]
pub struct TeacherTarget {
    pub cols: Vec<u32>,
    pub p_t: Vec<f32>,
    pub neg_entropy: f32,
    pub confidence: f32,
}

impl TeacherTarget {
    /// From teacher probabilities over leaf columns (need not sum to 1; zeros
    /// and non-finite values are dropped). `None` when no mass is left.
    ///
    /// Confidence = 1 − H(p)/ln(L): 1 for a one-hot teacher, 0 for a uniform one.
    pub fn new(probs: &[(usize, f32)], temperature: f32, n_leaves: usize) -> Option<TeacherTarget> {
        let kept: Vec<(usize, f32)> = probs
            .iter()
            .copied()
            .filter(|&(c, p)| p.is_finite() && p > 0.0 && c < n_leaves)
            .collect();
        let total: f64 = kept.iter().map(|&(_, p)| p as f64).sum();
        if kept.is_empty() || total <= 0.0 {
            return None;
        }
        let mut entropy = 0f64;
        for &(_, p) in &kept {
            let q = p as f64 / total;
            entropy -= q * q.ln();
        }
        let confidence = if n_leaves > 1 {
            (1.0 - entropy / (n_leaves as f64).ln()).clamp(0.0, 1.0)
        } else {
            1.0
        };
        // p_T ∝ exp(log p / T), computed in log space
        let inv_t = 1.0 / temperature as f64;
        let logs: Vec<f64> = kept
            .iter()
            .map(|&(_, p)| (p as f64 / total).ln() * inv_t)
            .collect();
        let m = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = logs.iter().map(|l| (l - m).exp()).sum();
        let lz = m + z.ln();
        let mut cols = Vec::with_capacity(kept.len());
        let mut p_t = Vec::with_capacity(kept.len());
        let mut neg_entropy = 0f64;
        for (&(c, _), l) in kept.iter().zip(&logs) {
            let lp = l - lz;
            let p = lp.exp();
            neg_entropy += p * lp;
            cols.push(c as u32);
            p_t.push(p as f32);
        }
        Some(TeacherTarget {
            cols,
            p_t,
            neg_entropy: neg_entropy as f32,
            confidence: confidence as f32,
        })
    }
}

/// Dense targets of one batch.
pub struct BatchTargets {
    /// `(B, L)` additive mask: 0 on the leaves under the label, −1e9 elsewhere.
    pub mask: Tensor,
    /// `(B,)` weight of the hierarchical term (0 for unlabelled contigs).
    pub hier_w: Tensor,
    /// Teacher part, absent when no contig of the batch has a teacher target.
    pub teacher: Option<(Tensor, Tensor, Tensor)>,
}

/// Builds the dense targets of a batch.
///
/// `labels[i]`: the label node of contig i (None = no label); `teachers[i]`:
/// its teacher target; `hier_weight` / `kd_weight`: the α and (1 − α)·T²
/// factors; `confidence_weighting` multiplies each KD term by its confidence.
#[allow(clippy::too_many_arguments)]
pub fn batch_targets(
    tree: &LabelTree,
    labels: &[Option<usize>],
    teachers: &[Option<&TeacherTarget>],
    hier_weight: f32,
    kd_weight: f32,
    confidence_weighting: bool,
    device: &Device,
) -> Result<BatchTargets> {
    let b = labels.len();
    let l = tree.n_leaves();
    let mut mask = vec![MASKED; b * l];
    let mut hier_w = vec![0f32; b];
    for (i, lab) in labels.iter().enumerate() {
        match lab {
            Some(v) if *v != 0 => {
                for &c in tree.leaves_under(*v) {
                    mask[i * l + c] = 0.0;
                }
                hier_w[i] = hier_weight;
            }
            _ => mask[i * l..(i + 1) * l].fill(0.0),
        }
    }
    let teacher = if teachers.iter().any(Option::is_some) {
        let mut p = vec![0f32; b * l];
        let mut ne = vec![0f32; b];
        let mut kw = vec![0f32; b];
        for (i, t) in teachers.iter().enumerate() {
            if let Some(t) = t {
                for (&c, &q) in t.cols.iter().zip(&t.p_t) {
                    p[i * l + c as usize] = q;
                }
                ne[i] = t.neg_entropy;
                kw[i] = if confidence_weighting {
                    kd_weight * t.confidence
                } else {
                    kd_weight
                };
            }
        }
        Some((
            Tensor::from_vec(p, (b, l), device)?,
            Tensor::from_vec(ne, b, device)?,
            Tensor::from_vec(kw, b, device)?,
        ))
    } else {
        None
    };
    Ok(BatchTargets {
        mask: Tensor::from_vec(mask, (b, l), device)?,
        hier_w: Tensor::from_vec(hier_w, b, device)?,
        teacher,
    })
}

/// A batch's loss and its two terms, each a mean over the batch's contigs.
pub struct LossTerms {
    /// α-weighted hierarchical loss + (1 − α)·T²-weighted KL: a scalar
    /// tensor carrying gradients to the logits.
    pub total: Tensor,
    /// The hierarchical term (as weighted in `total`).
    pub hier: Tensor,
    /// The distillation term (as weighted in `total`), with a teacher.
    pub kd: Option<Tensor>,
}

/// Mean loss of a batch (a scalar tensor carrying gradients to `logits`).
pub fn batch_loss(logits: &Tensor, t: &BatchTargets, temperature: f32) -> Result<Tensor> {
    Ok(batch_loss_terms(logits, t, temperature)?.total)
}

/// Mean loss of a batch and its hierarchical and distillation terms.
pub fn batch_loss_terms(logits: &Tensor, t: &BatchTargets, temperature: f32) -> Result<LossTerms> {
    let b = logits.dim(0)?;
    let lse_all = logits.log_sum_exp(D::Minus1)?;
    let lse_lab = logits.add(&t.mask)?.log_sum_exp(D::Minus1)?;
    let hier = (lse_all - lse_lab)?;
    let hier_sum = (hier * &t.hier_w)?.sum_all()?;
    let mut total = hier_sum.clone();
    let mut kd = None;
    if let Some((p_t, neg_ent, kw)) = &t.teacher {
        let lsm = candle_nn::ops::log_softmax(&(logits / temperature as f64)?, D::Minus1)?;
        let ce = (p_t * lsm)?.sum(D::Minus1)?.neg()?;
        let kl = (ce + neg_ent)?;
        let kd_sum = (kl * kw)?.sum_all()?;
        total = (total + &kd_sum)?;
        kd = Some((kd_sum / b as f64)?);
    }
    Ok(LossTerms {
        total: (total / b as f64)?,
        hier: (hier_sum / b as f64)?,
        kd,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use taxdistill_core::taxonomy::Lineage;

    fn tree() -> LabelTree {
        let ls: Vec<Lineage> = ["A;B;C", "A;B;D", "A;E"]
            .iter()
            .map(|s| Lineage::parse(s).unwrap())
            .collect();
        LabelTree::from_lineages(ls.iter())
    }

    #[test]
    fn hierarchical_loss_is_minus_log_of_the_label_mass() {
        let t = tree();
        let dev = Device::Cpu;
        let z = [0.5f32, -1.0, 2.0];
        let logits = Tensor::from_vec(z.to_vec(), (1, 3), &dev).unwrap();
        let ab = t.find(&Lineage::parse("A;B").unwrap()).unwrap();
        let tg = batch_targets(&t, &[Some(ab)], &[None], 1.0, 0.0, false, &dev).unwrap();
        let loss = batch_loss(&logits, &tg, 1.0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        let e: Vec<f32> = z.iter().map(|x| x.exp()).collect();
        let want = -((e[0] + e[1]) / (e[0] + e[1] + e[2])).ln();
        assert!((loss - want).abs() < 1e-5, "{loss} vs {want}");
    }

    #[test]
    fn kd_term_is_zero_when_student_matches_tempered_teacher() {
        let t = tree();
        let dev = Device::Cpu;
        let temp = 4.0;
        let teacher = [0.7f32, 0.2, 0.1];
        let tt = TeacherTarget::new(&[(0, 0.7), (1, 0.2), (2, 0.1)], temp, 3).unwrap();
        // student logits = log p_teacher (any temperature keeps p^{1/T} ∝ softmax(z/T))
        let z: Vec<f32> = teacher.iter().map(|p| p.ln()).collect();
        let logits = Tensor::from_vec(z, (1, 3), &dev).unwrap();
        let tg = batch_targets(&t, &[None], &[Some(&tt)], 0.3, 0.7 * 16.0, false, &dev).unwrap();
        let loss = batch_loss(&logits, &tg, temp)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(loss.abs() < 1e-5, "{loss}");
        // a different student has a positive KL
        let logits = Tensor::from_vec(vec![0f32, 0.0, 3.0], (1, 3), &dev).unwrap();
        let loss = batch_loss(&logits, &tg, temp)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(loss > 0.01);
    }

    #[test]
    fn teacher_confidence_is_one_minus_normalised_entropy() {
        let one_hot = TeacherTarget::new(&[(1, 1.0)], 4.0, 3).unwrap();
        assert!((one_hot.confidence - 1.0).abs() < 1e-6);
        let uniform = TeacherTarget::new(&[(0, 1.0), (1, 1.0), (2, 1.0)], 4.0, 3).unwrap();
        assert!(uniform.confidence.abs() < 1e-6);
        assert!(TeacherTarget::new(&[(0, 0.0)], 4.0, 3).is_none());
    }
}
