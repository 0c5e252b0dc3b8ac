//! Soft-label files (teacher → student).
//!
//! A soft label is, per contig, a probability distribution over the leaves of
//! the label tree (`probs`: (n_contigs, n_leaves), f32, rows sum to 1).
//!
//! # File format (safetensors)
//!
//! Header metadata (`__metadata__`, all values are strings):
//! - `format` = `"taxdistill-soft-labels"`, `version` = `"1"`;
//! - `contigs`: JSON array of contig ids (row order);
//! - `leaves`: JSON array of leaf lineages, each a JSON array of names from
//!   the domain down (column order);
//! - `meta`: free JSON (teacher name, report, command line …).
//!
//! Tensors, either dense:
//! - `probs`: f32 (n_contigs, n_leaves)
//!
//! or sparse top-k (written when `top_k` < n_leaves):
//! - `topk_index`: i32 (n_contigs, k), leaf columns, most probable first;
//! - `topk_prob`: f32 (n_contigs, k), their probabilities;
//! - `rest`: f32 (n_contigs,), the remaining mass 1 − Σ topk_prob.
//!
//! On reading a sparse file the rest mass is spread uniformly over the
//! n_leaves − k leaves not listed in the row, so every row again sums to 1.

use crate::model::read_f32_tensor;
use crate::taxonomy::{LabelTree, Lineage};
use crate::{Error, Result};
use std::collections::HashMap;

/// Value of the `format` metadata key.
pub const FORMAT: &str = "taxdistill-soft-labels";
/// Version of the soft-label format written by this crate.
pub const VERSION: u32 = 1;

/// Soft labels of a set of contigs over the leaves of a label tree.
#[derive(Debug, Clone, PartialEq)]
pub struct SoftLabels {
    /// Contig ids, one per row.
    pub contigs: Vec<String>,
    /// Leaf lineages, one per column.
    pub leaves: Vec<Lineage>,
    /// contigs.len() × leaves.len() probabilities, row-major; rows sum to 1.
    pub probs: Vec<f32>,
    /// Provenance (teacher, report, …).
    pub meta: serde_json::Value,
}

fn bad(what: &str, reason: impl Into<String>) -> Error {
    Error::BadModel {
        what: what.to_string(),
        reason: reason.into(),
    }
}

impl SoftLabels {
    /// Number of leaves (columns).
    pub fn n_leaves(&self) -> usize {
        self.leaves.len()
    }

    /// The row of one contig.
    pub fn row(&self, i: usize) -> &[f32] {
        let l = self.n_leaves();
        &self.probs[i * l..(i + 1) * l]
    }

    fn check(&self, what: &str) -> Result<()> {
        let l = self.leaves.len();
        if l == 0 {
            return Err(bad(what, "no leaves"));
        }
        if self.probs.len() != self.contigs.len() * l {
            return Err(bad(
                what,
                format!(
                    "{} probabilities for {} contigs × {} leaves",
                    self.probs.len(),
                    self.contigs.len(),
                    l
                ),
            ));
        }
        for (i, row) in self.probs.chunks_exact(l).enumerate() {
            let s: f32 = row.iter().sum();
            if row.iter().any(|p| !p.is_finite() || *p < 0.0) || (s - 1.0).abs() > 1e-3 {
                return Err(bad(
                    what,
                    format!(
                        "row {} (contig '{}') is not a probability distribution (sum {s})",
                        i, self.contigs[i]
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Serialises to safetensors bytes; `top_k = Some(k)` with k < n_leaves
    /// writes the sparse form (k most probable leaves + rest mass).
    ///
    /// # Errors
    /// Inconsistent sizes, rows that are not distributions, `top_k = Some(0)`.
    pub fn to_bytes(&self, top_k: Option<usize>) -> Result<Vec<u8>> {
        use safetensors::tensor::{Dtype, TensorView};
        self.check("soft labels")?;
        let n = self.contigs.len();
        let l = self.n_leaves();
        let mut md = HashMap::new();
        md.insert("format".to_string(), FORMAT.to_string());
        md.insert("version".to_string(), VERSION.to_string());
        md.insert("contigs".to_string(), serde_json::to_string(&self.contigs)?);
        let leaves: Vec<&Vec<String>> = self.leaves.iter().map(|x| &x.0).collect();
        md.insert("leaves".to_string(), serde_json::to_string(&leaves)?);
        md.insert("meta".to_string(), serde_json::to_string(&self.meta)?);
        let f32_bytes = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
        match top_k {
            Some(0) => Err(Error::Invalid("top-k must be at least 1".into())),
            Some(k) if k < l => {
                let mut idx = Vec::with_capacity(n * k);
                let mut val = Vec::with_capacity(n * k);
                let mut rest = Vec::with_capacity(n);
                let mut order: Vec<usize> = (0..l).collect();
                for row in self.probs.chunks_exact(l) {
                    order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
                    let mut s = 0f32;
                    for &j in &order[..k] {
                        idx.push(j as i32);
                        val.push(row[j]);
                        s += row[j];
                    }
                    rest.push((1.0 - s).max(0.0));
                }
                let ib: Vec<u8> = idx.iter().flat_map(|x| x.to_le_bytes()).collect();
                let vb = f32_bytes(&val);
                let rb = f32_bytes(&rest);
                let views = vec![
                    (
                        "topk_index".to_string(),
                        TensorView::new(Dtype::I32, vec![n, k], &ib)?,
                    ),
                    (
                        "topk_prob".to_string(),
                        TensorView::new(Dtype::F32, vec![n, k], &vb)?,
                    ),
                    (
                        "rest".to_string(),
                        TensorView::new(Dtype::F32, vec![n], &rb)?,
                    ),
                ];
                Ok(safetensors::serialize(views, Some(md))?)
            }
            _ => {
                let pb = f32_bytes(&self.probs);
                let views = vec![(
                    "probs".to_string(),
                    TensorView::new(Dtype::F32, vec![n, l], &pb)?,
                )];
                Ok(safetensors::serialize(views, Some(md))?)
            }
        }
    }

    /// Parses a soft-label file (dense or sparse); `what` names it in errors.
    ///
    /// # Errors
    /// Not safetensors, missing metadata or tensors, wrong shapes, indices
    /// out of range, rows that are not distributions.
    pub fn from_bytes(bytes: &[u8], what: &str) -> Result<SoftLabels> {
        let st =
            safetensors::SafeTensors::deserialize(bytes).map_err(|e| bad(what, e.to_string()))?;
        let (_, header) =
            safetensors::SafeTensors::read_metadata(bytes).map_err(|e| bad(what, e.to_string()))?;
        let md = header
            .metadata()
            .clone()
            .ok_or_else(|| bad(what, "no metadata: not a soft-label file"))?;
        let get = |k: &str| {
            md.get(k).ok_or_else(|| {
                bad(
                    what,
                    format!("metadata key '{k}' missing: not a soft-label file"),
                )
            })
        };
        if get("format")? != FORMAT {
            return Err(bad(
                what,
                format!("format is '{}', expected '{FORMAT}'", get("format")?),
            ));
        }
        let version: u32 = get("version")?
            .parse()
            .map_err(|_| bad(what, "bad version"))?;
        if version > VERSION {
            return Err(bad(
                what,
                format!("format version {version} is newer than this program's ({VERSION})"),
            ));
        }
        let contigs: Vec<String> = serde_json::from_str(get("contigs")?)
            .map_err(|e| bad(what, format!("contigs: {e}")))?;
        let leaves: Vec<Vec<String>> =
            serde_json::from_str(get("leaves")?).map_err(|e| bad(what, format!("leaves: {e}")))?;
        let leaves: Vec<Lineage> = leaves.into_iter().map(Lineage).collect();
        let meta: serde_json::Value = match md.get("meta") {
            Some(m) => serde_json::from_str(m).map_err(|e| bad(what, format!("meta: {e}")))?,
            None => serde_json::Value::Null,
        };
        let n = contigs.len();
        let l = leaves.len();
        if l == 0 {
            return Err(bad(what, "no leaves"));
        }
        let names: Vec<String> = st.names().into_iter().map(|s| s.to_string()).collect();
        let probs = if names.iter().any(|x| x == "probs") {
            let (shape, p) = read_f32_tensor(bytes, "probs", what)?;
            if shape != [n, l] {
                return Err(bad(
                    what,
                    format!("probs has shape {shape:?}, expected [{n}, {l}]"),
                ));
            }
            p
        } else {
            let t = st
                .tensor("topk_index")
                .map_err(|_| bad(what, "neither 'probs' nor 'topk_index' present"))?;
            if t.dtype() != safetensors::Dtype::I32 || t.shape().len() != 2 || t.shape()[0] != n {
                return Err(bad(
                    what,
                    format!(
                        "topk_index: {:?} {:?}, expected I32 [{n}, k]",
                        t.dtype(),
                        t.shape()
                    ),
                ));
            }
            let k = t.shape()[1];
            let idx: Vec<i32> = t
                .data()
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let (vs, val) = read_f32_tensor(bytes, "topk_prob", what)?;
            let (rs, rest) = read_f32_tensor(bytes, "rest", what)?;
            if vs != [n, k] || rs != [n] {
                return Err(bad(
                    what,
                    format!("topk_prob {vs:?} / rest {rs:?} do not match topk_index [{n}, {k}]"),
                ));
            }
            if k > l {
                return Err(bad(what, format!("top-k {k} exceeds {l} leaves")));
            }
            let mut probs = vec![0f32; n * l];
            for i in 0..n {
                let row = &mut probs[i * l..(i + 1) * l];
                let mut seen = vec![false; l];
                for j in 0..k {
                    let c = idx[i * k + j];
                    if c < 0 || c as usize >= l || seen[c as usize] {
                        return Err(bad(
                            what,
                            format!("row {i}: leaf index {c} out of range or repeated"),
                        ));
                    }
                    seen[c as usize] = true;
                    row[c as usize] = val[i * k + j];
                }
                if l > k {
                    let share = rest[i] / (l - k) as f32;
                    for (c, s) in seen.iter().enumerate() {
                        if !s {
                            row[c] = share;
                        }
                    }
                }
            }
            probs
        };
        let out = SoftLabels {
            contigs,
            leaves,
            probs,
            meta,
        };
        out.check(what)?;
        Ok(out)
    }

    /// Rows for `ids` with columns permuted to `tree.leaves` order; `None`
    /// for contigs without a soft label.
    ///
    /// # Errors
    /// The soft labels' leaf set differs from the tree's, or they name a
    /// contig not in `ids`.
    pub fn aligned_to(&self, ids: &[String], tree: &LabelTree) -> Result<Vec<Option<Vec<f32>>>> {
        let l = self.n_leaves();
        if l != tree.n_leaves() {
            return Err(Error::Mismatch(format!(
                "soft labels have {} leaves but the label tree has {}; were they made from the same labels?",
                l,
                tree.n_leaves()
            )));
        }
        // column of the file → column of the tree
        let mut perm = vec![0usize; l];
        let mut used = vec![false; l];
        for (c, leaf) in self.leaves.iter().enumerate() {
            let col = tree
                .find(leaf)
                .and_then(|node| tree.leaf_column(node))
                .ok_or_else(|| {
                    Error::Mismatch(format!(
                        "soft-label leaf '{}' is not a leaf of the label tree",
                        leaf.to_plain_string()
                    ))
                })?;
            if used[col] {
                return Err(Error::Mismatch(format!(
                    "soft-label leaf '{}' appears twice",
                    leaf.to_plain_string()
                )));
            }
            used[col] = true;
            perm[c] = col;
        }
        let pos: HashMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        let mut out: Vec<Option<Vec<f32>>> = vec![None; ids.len()];
        let mut unknown = Vec::new();
        for (r, id) in self.contigs.iter().enumerate() {
            match pos.get(id.as_str()) {
                Some(&i) => {
                    let mut row = vec![0f32; l];
                    for (c, &p) in self.row(r).iter().enumerate() {
                        row[perm[c]] = p;
                    }
                    out[i] = Some(row);
                }
                None => unknown.push(id.as_str()),
            }
        }
        if !unknown.is_empty() {
            return Err(Error::Mismatch(format!(
                "soft labels name {} contig(s) absent from the contigs, e.g. '{}'",
                unknown.len(),
                unknown[0]
            )));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(s: &str) -> Lineage {
        Lineage::parse(s).unwrap()
    }

    fn example() -> SoftLabels {
        SoftLabels {
            contigs: vec!["c1".into(), "c2".into()],
            leaves: vec![l("A;B;C"), l("A;B;D"), l("A;E")],
            probs: vec![0.7, 0.2, 0.1, 0.1, 0.1, 0.8],
            meta: serde_json::json!({"teacher": "test"}),
        }
    }

    #[test]
    fn dense_soft_labels_round_trip() {
        let s = example();
        let back = SoftLabels::from_bytes(&s.to_bytes(None).unwrap(), "x").unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn sparse_soft_labels_spread_the_rest_uniformly() {
        let s = example();
        let back = SoftLabels::from_bytes(&s.to_bytes(Some(1)).unwrap(), "x").unwrap();
        assert!((back.row(0)[0] - 0.7).abs() < 1e-6);
        assert!((back.row(0)[1] - 0.15).abs() < 1e-6);
        assert!((back.row(0)[2] - 0.15).abs() < 1e-6);
        assert!((back.row(1)[2] - 0.8).abs() < 1e-6);
        assert!((back.row(1)[0] - 0.1).abs() < 1e-6);
        // k >= n_leaves writes the dense form
        let dense = SoftLabels::from_bytes(&s.to_bytes(Some(5)).unwrap(), "x").unwrap();
        assert_eq!(dense, s);
    }

    #[test]
    fn aligned_rows_follow_the_tree_leaf_order() {
        let mut s = example();
        // reverse the columns of the file
        s.leaves.reverse();
        for row in s.probs.chunks_exact_mut(3) {
            row.reverse();
        }
        let tree = LabelTree::from_lineages([l("A;B;C"), l("A;B;D"), l("A;E")].iter());
        let ids = vec!["c0".to_string(), "c2".into(), "c1".into()];
        let a = s.aligned_to(&ids, &tree).unwrap();
        assert!(a[0].is_none());
        let c1 = a[2].as_ref().unwrap();
        let col = tree.leaf_column(tree.find(&l("A;B;C")).unwrap()).unwrap();
        assert!((c1[col] - 0.7).abs() < 1e-6);
    }

    #[test]
    fn different_leaf_sets_or_unknown_contigs_are_errors() {
        let s = example();
        let other = LabelTree::from_lineages([l("A;B;C"), l("A;B;D"), l("A;F")].iter());
        assert!(matches!(
            s.aligned_to(&s.contigs, &other),
            Err(Error::Mismatch(_))
        ));
        let tree = LabelTree::from_lineages(s.leaves.iter());
        assert!(matches!(
            s.aligned_to(&["c1".to_string()], &tree),
            Err(Error::Mismatch(_))
        ));
    }

    #[test]
    fn garbage_and_bad_rows_are_clear_errors() {
        assert!(matches!(
            SoftLabels::from_bytes(b"not a file", "x.st"),
            Err(Error::BadModel { .. })
        ));
        let mut s = example();
        s.probs[0] = 0.9;
        assert!(s.to_bytes(None).is_err());
        let no_md =
            crate::model::write_safetensors(&[("probs".into(), vec![1, 1], vec![1.0])]).unwrap();
        assert!(matches!(
            SoftLabels::from_bytes(&no_md, "x.st"),
            Err(Error::BadModel { .. })
        ));
    }
}
