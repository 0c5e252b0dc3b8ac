//! The student model file and its CPU forward pass.
//!
//! Files: `model.safetensors` (f32 tensors, BatchNorm already folded into the
//! following linear layer) + `model.json` ([`ModelMeta`]).
//!
//! Tensors (the names map 1:1 to [`Student`]):
//! - `layers.{i}.weight`: (hidden[i], in_i), `layers.{i}.bias`: (hidden[i],) for i in 0..hidden.len()
//! - `output.weight`: (n_leaves, hidden.last()), `output.bias`: (n_leaves,)
//!
//! Forward: x = (features − feature_mean) / feature_std (per column; input
//! (n_contigs, n_features) f32) → for each layer: leaky_relu(x·Wᵀ + b, slope)
//! → logits = x·W_outᵀ + b_out (n_contigs, n_leaves) → softmax over leaves.
//!
//! [`Student::leaf_probs`] and [`Student::predict`] run this in a fixed
//! summation order (see `model/dense.rs`), so they return the same bits on
//! every platform — the CLI and the browser write byte-identical outputs.
//! [`Student::forward`] is the same network on candle tensors (for callers
//! that hold tensors; its kernels sum in a platform-dependent order).

mod dense;

use crate::taxonomy::{LabelTree, Lineage, Rank};
use crate::{Error, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::{Linear, Module, VarBuilder};
use serde::{Deserialize, Serialize};

/// Version of the model file format written by this crate.
pub const FORMAT_VERSION: u32 = 1;

/// `model.json`: everything needed to use `model.safetensors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    pub format_version: u32,
    /// Number of abundance samples the model expects (0 for `--no-abundance`).
    pub n_samples: usize,
    /// Whether the feature vector holds abundances (S columns + log-abundance).
    pub use_abundance: bool,
    /// Feature columns in order (e.g. `tnf0`…`tnf102`, sample names, `log_abundance`).
    pub feature_names: Vec<String>,
    /// Per-column mean used to standardise features.
    pub feature_mean: Vec<f32>,
    /// Per-column standard deviation (never 0) used to standardise features.
    pub feature_std: Vec<f32>,
    /// Hidden layer widths (Taxometer: 4 × 512).
    pub hidden: Vec<usize>,
    /// Negative slope of LeakyReLU.
    pub leaky_slope: f32,
    /// The label tree; `tree.leaves` is the output column order.
    pub tree: LabelTree,
    /// Contigs shorter than this are listed but not annotated.
    pub min_length: usize,
    /// Probability a child must reach to descend into it, per rank (domain … species).
    pub thresholds: [f32; 7],
    /// Free-form provenance (command line, seed, alpha, temperature, …).
    #[serde(default)]
    pub provenance: serde_json::Value,
}

impl ModelMeta {
    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// Parses `model.json` and rebuilds the tree indices.
    ///
    /// # Errors
    /// Malformed JSON, an unknown format version, or inconsistent sizes.
    pub fn from_json(bytes: &[u8]) -> Result<ModelMeta> {
        let mut meta: ModelMeta = serde_json::from_slice(bytes).map_err(|e| Error::BadModel {
            what: "model.json".into(),
            reason: e.to_string(),
        })?;
        if meta.format_version != FORMAT_VERSION {
            return Err(Error::BadModel {
                what: "model.json".into(),
                reason: format!(
                    "format version {} (this build reads {})",
                    meta.format_version, FORMAT_VERSION
                ),
            });
        }
        meta.tree = std::mem::take(&mut meta.tree)
            .try_rebuilt()
            .map_err(|e| Error::BadModel {
                what: "model.json".into(),
                reason: e.to_string(),
            })?;
        let f = meta.n_features();
        if meta.feature_mean.len() != f || meta.feature_std.len() != f {
            return Err(Error::BadModel {
                what: "model.json".into(),
                reason: format!(
                    "{} feature names but {} means and {} standard deviations",
                    f,
                    meta.feature_mean.len(),
                    meta.feature_std.len()
                ),
            });
        }
        let bad = |reason: String| Error::BadModel {
            what: "model.json".into(),
            reason,
        };
        if let Some(i) = meta
            .feature_mean
            .iter()
            .zip(&meta.feature_std)
            .position(|(m, s)| !m.is_finite() || !s.is_finite() || *s <= 0.0)
        {
            return Err(bad(format!(
                "feature {i}: mean {} and standard deviation {} (finite, and a positive deviation, expected)",
                meta.feature_mean[i], meta.feature_std[i]
            )));
        }
        if let Some(r) = meta
            .thresholds
            .iter()
            .position(|t| !t.is_finite() || !(0.0..=1.0).contains(t))
        {
            return Err(bad(format!(
                "threshold {} of rank {} is not a probability",
                meta.thresholds[r],
                r + 1
            )));
        }
        if !meta.leaky_slope.is_finite() {
            return Err(bad(format!(
                "leaky_slope {} is not finite",
                meta.leaky_slope
            )));
        }
        if meta.hidden.contains(&0) {
            return Err(bad("a hidden layer of width 0".into()));
        }
        if meta.tree.n_leaves() < 2 {
            return Err(Error::BadModel {
                what: "model.json".into(),
                reason: "label tree has fewer than two leaves".into(),
            });
        }
        Ok(meta)
    }

    /// Serialises to pretty JSON.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        Ok(serde_json::to_vec_pretty(self)?)
    }

    /// Standardises one raw feature row in place.
    pub fn normalize_row(&self, row: &mut [f32]) {
        for ((x, m), s) in row
            .iter_mut()
            .zip(&self.feature_mean)
            .zip(&self.feature_std)
        {
            *x = (*x - m) / s;
        }
    }

    /// Standardises a row-major (n, n_features) matrix.
    pub fn normalize(&self, data: &[f32]) -> Vec<f32> {
        let f = self.n_features();
        let mut out = data.to_vec();
        for row in out.chunks_mut(f) {
            self.normalize_row(row);
        }
        out
    }
}

/// The student network (inference form: BatchNorm folded).
pub struct Student {
    pub meta: ModelMeta,
    layers: Vec<Linear>,
    output: Linear,
    /// The same weights packed for the fixed-order forward: hidden layers, then the output.
    dense: Vec<dense::Dense>,
}

/// Expected tensor shapes `(name, shape)` for a model description.
pub fn expected_shapes(meta: &ModelMeta) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    let mut prev = meta.n_features();
    for (i, &h) in meta.hidden.iter().enumerate() {
        out.push((format!("layers.{i}.weight"), vec![h, prev]));
        out.push((format!("layers.{i}.bias"), vec![h]));
        prev = h;
    }
    out.push(("output.weight".into(), vec![meta.tree.n_leaves(), prev]));
    out.push(("output.bias".into(), vec![meta.tree.n_leaves()]));
    out
}

impl Student {
    /// Loads the student from the bytes of `model.safetensors` and `model.json`.
    ///
    /// # Errors
    /// Corrupt files, or tensor shapes that disagree with `model.json`.
    pub fn from_bytes(safetensors_bytes: &[u8], json_bytes: &[u8]) -> Result<Student> {
        let meta = ModelMeta::from_json(json_bytes)?;
        Self::from_meta_and_bytes(meta, safetensors_bytes)
    }

    /// Loads weights for an already parsed [`ModelMeta`].
    ///
    /// # Errors
    /// Corrupt safetensors, missing tensors or wrong shapes.
    pub fn from_meta_and_bytes(meta: ModelMeta, safetensors_bytes: &[u8]) -> Result<Student> {
        let st = safetensors::SafeTensors::deserialize(safetensors_bytes).map_err(|e| {
            Error::BadModel {
                what: "model.safetensors".into(),
                reason: e.to_string(),
            }
        })?;
        for (name, shape) in expected_shapes(&meta) {
            let t = st.tensor(&name).map_err(|_| Error::BadModel {
                what: "model.safetensors".into(),
                reason: format!("missing tensor '{name}'"),
            })?;
            if t.shape() != shape.as_slice() {
                return Err(Error::BadModel {
                    what: "model.safetensors".into(),
                    reason: format!(
                        "tensor '{name}' has shape {:?} but model.json implies {:?}",
                        t.shape(),
                        shape
                    ),
                });
            }
        }
        let device = Device::Cpu;
        let vb = VarBuilder::from_slice_safetensors(safetensors_bytes, DType::F32, &device)?;
        Self::from_varbuilder(meta, vb)
    }

    /// Builds the network from a [`VarBuilder`] (candle-nn style, fixed tensor names).
    ///
    /// # Errors
    /// Missing tensors or wrong shapes.
    pub fn from_varbuilder(meta: ModelMeta, vb: VarBuilder) -> Result<Student> {
        let mut layers = Vec::new();
        let mut prev = meta.n_features();
        for (i, &h) in meta.hidden.iter().enumerate() {
            layers.push(candle_nn::linear(prev, h, vb.pp(format!("layers.{i}")))?);
            prev = h;
        }
        let output = candle_nn::linear(prev, meta.tree.n_leaves(), vb.pp("output"))?;
        let dense = layers
            .iter()
            .chain(std::iter::once(&output))
            .map(packed)
            .collect::<Result<Vec<_>>>()?;
        Ok(Student {
            meta,
            layers,
            output,
            dense,
        })
    }

    /// Logits for standardised features `x`: (n, n_features) → (n, n_leaves).
    ///
    /// # Errors
    /// Shape mismatch.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for l in &self.layers {
            h = l.forward(&h)?;
            h = leaky_relu(&h, self.meta.leaky_slope)?;
        }
        Ok(self.output.forward(&h)?)
    }

    /// Leaf probabilities for raw (unstandardised) row-major features
    /// (n × n_features) → row-major (n × n_leaves), in the fixed summation
    /// order of `model/dense.rs`: the same bits on every platform and for any
    /// number of threads (rayon over blocks of rows with the `parallel` feature).
    ///
    /// # Errors
    /// Wrong feature width or non-finite features.
    pub fn leaf_probs(&self, raw: &[f32]) -> Result<Vec<f32>> {
        let f = self.meta.n_features();
        if f == 0 || !raw.len().is_multiple_of(f) {
            return Err(Error::Mismatch(format!(
                "feature matrix has {} values, not a multiple of the model's {} features",
                raw.len(),
                f
            )));
        }
        if let Some(i) = raw.iter().position(|x| !x.is_finite()) {
            return Err(Error::Invalid(format!(
                "non-finite feature value in contig row {}",
                i / f
            )));
        }
        let n = raw.len() / f;
        let l = self.meta.tree.n_leaves();
        let mut out = vec![0f32; n * l];
        let (xb, yb) = (dense::BLOCK_ROWS * f, dense::BLOCK_ROWS * l);
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            raw.par_chunks(xb)
                .zip(out.par_chunks_mut(yb))
                .for_each(|(x, y)| self.leaf_probs_block(x, y));
        }
        #[cfg(not(feature = "parallel"))]
        for (x, y) in raw.chunks(xb).zip(out.chunks_mut(yb)) {
            self.leaf_probs_block(x, y);
        }
        Ok(out)
    }

    /// One block of rows: standardise, the layers, the softmax.
    fn leaf_probs_block(&self, raw: &[f32], out: &mut [f32]) {
        let f = self.meta.n_features();
        let rows = raw.len() / f;
        let mut a = raw.to_vec();
        for row in a.chunks_mut(f) {
            self.meta.normalize_row(row);
        }
        let mut b = Vec::new();
        let (last, hidden) = self.dense.split_last().expect("an output layer");
        for d in hidden {
            b.clear();
            b.resize(rows * d.n_out, 0.0);
            d.forward(&a, &mut b, Some(self.meta.leaky_slope));
            std::mem::swap(&mut a, &mut b);
        }
        last.forward(&a, out, None);
        for row in out.chunks_mut(last.n_out) {
            dense::softmax_row(row);
        }
    }

    /// Predictions for raw features, one per row.
    ///
    /// # Errors
    /// As [`Student::leaf_probs`].
    pub fn predict(&self, raw: &[f32]) -> Result<Vec<Prediction>> {
        let probs = self.leaf_probs(raw)?;
        let l = self.meta.tree.n_leaves();
        Ok(probs
            .chunks(l)
            .map(|p| predict_from_leaf_probs(&self.meta.tree, p, &self.meta.thresholds))
            .collect())
    }
}

/// A candle linear layer's weights, packed for the fixed-order forward.
fn packed(l: &Linear) -> Result<dense::Dense> {
    let (n_out, n_in) = l.weight().dims2()?;
    let w = l.weight().flatten_all()?.to_vec1::<f32>()?;
    let b = match l.bias() {
        Some(b) => b.to_vec1::<f32>()?,
        None => vec![0.0; n_out],
    };
    Ok(dense::Dense::new(&w, &b, n_out, n_in))
}

fn leaky_relu(x: &Tensor, slope: f32) -> candle_core::Result<Tensor> {
    // max(x, 0) + slope * min(x, 0)
    let pos = x.relu()?;
    let neg = (x - &pos)?;
    pos + (neg * slope as f64)?
}

/// A prediction: the lineage reached and one score per rank of that lineage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub lineage: Lineage,
    /// `scores[i]` = probability of `lineage.0[i]` (same length as the lineage).
    pub scores: Vec<f32>,
}

impl Prediction {
    /// An unclassified prediction.
    pub fn unclassified() -> Self {
        Prediction {
            lineage: Lineage::unclassified(),
            scores: Vec::new(),
        }
    }
}

/// Walks down from the root, choosing the most probable child while its
/// probability reaches the threshold of its rank (ties: first child by name).
pub fn predict_from_leaf_probs(
    tree: &LabelTree,
    leaf_probs: &[f32],
    thresholds: &[f32; 7],
) -> Prediction {
    let node_p = tree.node_probs(leaf_probs);
    predict_from_node_probs(tree, &node_p, thresholds)
}

/// As [`predict_from_leaf_probs`], from node probabilities.
pub fn predict_from_node_probs(
    tree: &LabelTree,
    node_p: &[f32],
    thresholds: &[f32; 7],
) -> Prediction {
    let mut v = 0usize;
    let mut names = Vec::new();
    let mut scores = Vec::new();
    // the walk's step: the most probable child, unless it is an unresolved
    // leaf ("a taxon below v that the reference lacks": the lineage stops at v)
    while let Some(best) = tree.best_child(node_p, v) {
        let depth = tree.nodes[best].depth;
        let rank = Rank::from_index(depth - 1).expect("depth within 1..=7");
        if node_p[best] < thresholds[rank.index()] {
            break;
        }
        names.push(tree.nodes[best].name.clone());
        scores.push(node_p[best]);
        v = best;
    }
    Prediction {
        lineage: Lineage(names),
        scores,
    }
}

/// Serialises named f32 tensors to safetensors bytes (row-major data + shape).
///
/// # Errors
/// Inconsistent shapes.
pub fn write_safetensors(tensors: &[(String, Vec<usize>, Vec<f32>)]) -> Result<Vec<u8>> {
    use safetensors::tensor::{Dtype, TensorView};
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, _, d)| d.iter().flat_map(|x| x.to_le_bytes()).collect())
        .collect();
    let mut views = Vec::new();
    for ((name, shape, _), b) in tensors.iter().zip(&bytes) {
        let view = TensorView::new(Dtype::F32, shape.clone(), b)?;
        views.push((name.clone(), view));
    }
    Ok(safetensors::serialize(views, None)?)
}

/// Reads one f32 tensor from safetensors bytes as (shape, data).
///
/// # Errors
/// Missing tensor or a dtype other than f32.
pub fn read_f32_tensor(bytes: &[u8], name: &str, what: &str) -> Result<(Vec<usize>, Vec<f32>)> {
    let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| Error::BadModel {
        what: what.into(),
        reason: e.to_string(),
    })?;
    let t = st.tensor(name).map_err(|_| Error::BadModel {
        what: what.into(),
        reason: format!("missing tensor '{name}'"),
    })?;
    if t.dtype() != safetensors::Dtype::F32 {
        return Err(Error::BadModel {
            what: what.into(),
            reason: format!("tensor '{name}' is {:?}, expected F32", t.dtype()),
        });
    }
    let data = t
        .data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Ok((t.shape().to_vec(), data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> LabelTree {
        let ls: Vec<Lineage> = ["A;B;C", "A;B;D", "A;E"]
            .iter()
            .map(|s| Lineage::parse(s).unwrap())
            .collect();
        LabelTree::from_lineages(ls.iter())
    }

    #[test]
    fn walk_stops_at_the_parent_of_a_most_probable_unresolved_leaf() {
        let l = |s: &str| Lineage::parse(s).unwrap();
        let labels = [l("A;B;C"), l("A;B"), l("A;E")];
        let ls = crate::taxonomy::with_unresolved_leaves(&labels, &[true; 3]);
        let t = LabelTree::from_lineages(ls.iter());
        // leaves by name: A;B;C, A;B;unresolved class of B, A;E
        assert!(t.is_unresolved(t.leaves[1]));
        let p = predict_from_leaf_probs(&t, &[0.3, 0.6, 0.1], &[0.2; 7]);
        assert_eq!(p.lineage, l("A;B"));
        assert_eq!(p.scores.len(), 2);
        // a known child more probable than the unresolved leaf is taken
        let p = predict_from_leaf_probs(&t, &[0.6, 0.3, 0.1], &[0.2; 7]);
        assert_eq!(p.lineage, l("A;B;C"));
    }

    #[test]
    fn walk_stops_where_probability_is_spread() {
        let t = tree();
        let p = predict_from_leaf_probs(&t, &[0.3, 0.3, 0.4], &[0.5; 7]);
        assert_eq!(p.lineage.0, vec!["A".to_string(), "B".to_string()]);
        assert!((p.scores[1] - 0.6).abs() < 1e-6);
    }

    #[test]
    fn model_round_trips_through_bytes() {
        let t = tree();
        let meta = ModelMeta {
            format_version: FORMAT_VERSION,
            n_samples: 0,
            use_abundance: false,
            feature_names: vec!["a".into(), "b".into()],
            feature_mean: vec![0.0, 0.0],
            feature_std: vec![1.0, 1.0],
            hidden: vec![3],
            leaky_slope: 0.01,
            tree: t,
            min_length: 2000,
            thresholds: [0.5; 7],
            provenance: serde_json::Value::Null,
        };
        let tensors = vec![
            (
                "layers.0.weight".to_string(),
                vec![3, 2],
                vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0],
            ),
            ("layers.0.bias".to_string(), vec![3], vec![0.0; 3]),
            (
                "output.weight".to_string(),
                vec![3, 3],
                vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            ),
            ("output.bias".to_string(), vec![3], vec![0.0; 3]),
        ];
        let st = write_safetensors(&tensors).unwrap();
        let json = meta.to_json().unwrap();
        let s = Student::from_bytes(&st, &json).unwrap();
        let p = s.leaf_probs(&[1.0, -1.0]).unwrap();
        // hidden = leaky([1, -1, 0]) = [1, -0.01, 0]
        let e = [1f32.exp(), (-0.01f32).exp(), 1.0];
        let z: f32 = e.iter().sum();
        for i in 0..3 {
            assert!((p[i] - e[i] / z).abs() < 1e-6);
        }
        // wrong shape is a clear error
        let mut bad = tensors.clone();
        bad[0].1 = vec![2, 3];
        let st = write_safetensors(&bad).unwrap();
        assert!(matches!(
            Student::from_bytes(&st, &json),
            Err(Error::BadModel { .. })
        ));
    }
}
