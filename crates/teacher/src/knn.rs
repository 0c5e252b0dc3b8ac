//! The graph teacher's neighbour search: the distance's feature blocks
//! (composition, abundance, extra embeddings; each standardised and scaled
//! by 1/√width), the simplex grid of block weights, and k nearest
//! neighbours under Σ_b w_b ‖x_b − y_b‖² — exact (blocked candle matmuls,
//! top-k by partial selection) or, above a size threshold and natively,
//! approximate (`crate::ann`). Rows are contigs in feature order; a contig
//! is never its own neighbour.

use crate::{Error, Result};
use candle_core::{Device, Tensor};
use rayon::prelude::*;
use taxdistill_core::features::{FeatureMatrix, N_TNF};

/// Feature blocks of the distance, each (n, width) row-major, scaled.
pub(crate) struct Blocks {
    pub(crate) names: Vec<&'static str>,
    pub(crate) data: Vec<Vec<f32>>,
    pub(crate) widths: Vec<usize>,
}

fn scaled_block(x: &[f32], d: usize) -> Vec<f32> {
    let mut s = crate::heads::standardise(x, d);
    let f = 1.0 / (d as f32).sqrt();
    s.iter_mut().for_each(|v| *v *= f);
    s
}

pub(crate) fn build_blocks(
    features: &FeatureMatrix,
    extra: Option<(&[f32], usize)>,
) -> Result<Blocks> {
    let n = features.n_rows();
    let c = features.n_cols();
    let s = features.n_samples;
    if c < N_TNF || features.data.len() != n * c {
        return Err(Error::Mismatch(format!(
            "graph teacher: feature matrix has {c} columns, expected at least {N_TNF}"
        )));
    }
    let mut b = Blocks {
        names: Vec::new(),
        data: Vec::new(),
        widths: Vec::new(),
    };
    let tnf: Vec<f32> = (0..n)
        .flat_map(|i| features.row(i)[..N_TNF].iter().copied())
        .collect();
    b.names.push("composition");
    b.data.push(scaled_block(&tnf, N_TNF));
    b.widths.push(N_TNF);
    if s > 0 {
        let has_log = c > N_TNF + s;
        let w = (if s >= 2 { s } else { 0 }) + usize::from(has_log);
        if w > 0 {
            let mut ab = Vec::with_capacity(n * w);
            for i in 0..n {
                let row = features.row(i);
                if s >= 2 {
                    let prof = &row[N_TNF..N_TNF + s];
                    let tot: f32 = prof.iter().map(|v| v.max(0.0)).sum();
                    for v in prof {
                        ab.push(if tot > 0.0 {
                            v.max(0.0) / tot
                        } else {
                            1.0 / s as f32
                        });
                    }
                }
                if has_log {
                    ab.push(row[N_TNF + s]);
                }
            }
            b.names.push("abundance");
            b.data.push(scaled_block(&ab, w));
            b.widths.push(w);
        }
    }
    if let Some((e, d)) = extra {
        if d == 0 || e.len() != n * d {
            return Err(Error::Mismatch(format!(
                "graph teacher: {} embedding values for {n} contigs × {d}",
                e.len()
            )));
        }
        b.names.push("extra");
        b.data.push(scaled_block(e, d));
        b.widths.push(d);
    }
    Ok(b)
}

/// All weight vectors on the simplex with the given step (one block: [1]).
pub(crate) fn simplex(n_blocks: usize, step: f32) -> Vec<Vec<f32>> {
    let m = (1.0 / step.clamp(0.05, 1.0)).round() as usize;
    let mut out = Vec::new();
    fn rec(prefix: &mut Vec<usize>, left: usize, blocks: usize, m: usize, out: &mut Vec<Vec<f32>>) {
        if prefix.len() + 1 == blocks {
            prefix.push(left);
            out.push(prefix.iter().map(|&x| x as f32 / m as f32).collect());
            prefix.pop();
            return;
        }
        for x in 0..=left {
            prefix.push(x);
            rec(prefix, left - x, blocks, m, out);
            prefix.pop();
        }
    }
    rec(&mut Vec::new(), m, n_blocks, m, &mut out);
    // a block with weight 0 for every other block is fine; all-zero cannot occur
    out
}

/// Squared distances of `queries` to `cands` for one block: (queries.len(), cands.len()).
fn block_dist(
    x: &[f32],
    d: usize,
    norms: &[f32],
    queries: &[usize],
    cands: &Tensor,
    cand_norms: &[f32],
    dev: &Device,
) -> Result<Vec<f32>> {
    let q: Vec<f32> = queries
        .iter()
        .flat_map(|&i| x[i * d..(i + 1) * d].iter().copied())
        .collect();
    let qt = Tensor::from_vec(q, (queries.len(), d), dev)?;
    let g = qt.matmul(&cands.t()?)?.flatten_all()?.to_vec1::<f32>()?;
    let m = cand_norms.len();
    let mut out = g;
    for (r, &i) in queries.iter().enumerate() {
        let qn = norms[i];
        for (c, v) in out[r * m..(r + 1) * m].iter_mut().enumerate() {
            *v = (qn + cand_norms[c] - 2.0 * *v).max(0.0);
        }
    }
    Ok(out)
}

/// The k nearest candidates of one query row (distance ascending), self excluded.
fn top_k(dist: &[f32], cand_rows: &[usize], self_row: usize, k: usize) -> Vec<(u32, f32)> {
    let mut idx: Vec<(u32, f32)> = dist
        .iter()
        .enumerate()
        .filter(|(c, _)| cand_rows[*c] != self_row)
        .map(|(c, &d)| (cand_rows[c] as u32, d))
        .collect();
    let k = k.min(idx.len());
    if k == 0 {
        return Vec::new();
    }
    if k < idx.len() {
        idx.select_nth_unstable_by(k - 1, |a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        idx.truncate(k);
        // one list per contig is kept: without this each would hold the
        // capacity of all candidates (20 GiB for 50k contigs)
        idx.shrink_to_fit();
    }
    idx.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    idx
}

/// Per query row: (neighbour row, squared distance), nearest first.
pub(crate) type Neighbours = Vec<Vec<(u32, f32)>>;

pub(crate) struct Knn {
    blocks: Blocks,
    norms: Vec<Vec<f32>>,
    cand_rows: Vec<usize>,
    cand_t: Vec<Tensor>,
    cand_norms: Vec<Vec<f32>>,
}

impl Knn {
    pub(crate) fn new(blocks: Blocks, cand_rows: Vec<usize>, dev: &Device) -> Result<Knn> {
        let mut norms = Vec::new();
        let mut cand_t = Vec::new();
        let mut cand_norms = Vec::new();
        for (x, &d) in blocks.data.iter().zip(&blocks.widths) {
            let nr: Vec<f32> = x
                .chunks_exact(d)
                .map(|r| r.iter().map(|v| v * v).sum())
                .collect();
            let c: Vec<f32> = cand_rows
                .iter()
                .flat_map(|&i| x[i * d..(i + 1) * d].iter().copied())
                .collect();
            cand_t.push(Tensor::from_vec(c, (cand_rows.len(), d), dev)?);
            cand_norms.push(cand_rows.iter().map(|&i| nr[i]).collect());
            norms.push(nr);
        }
        Ok(Knn {
            blocks,
            norms,
            cand_rows,
            cand_t,
            cand_norms,
        })
    }

    /// For each weight vector, the k nearest neighbours of each query.
    pub(crate) fn neighbours(
        &self,
        queries: &[usize],
        weights: &[Vec<f32>],
        k: usize,
        dev: &Device,
    ) -> Result<Vec<Neighbours>> {
        let m = self.cand_rows.len().max(1);
        let nb = self.blocks.data.len();
        let chunk = ((1usize << 24) / (m * nb)).clamp(8, 1024);
        let mut out: Vec<Neighbours> = vec![Vec::with_capacity(queries.len()); weights.len()];
        for qc in queries.chunks(chunk) {
            let mut per_block = Vec::with_capacity(nb);
            for b in 0..nb {
                if weights.iter().all(|w| w[b] == 0.0) {
                    per_block.push(None);
                    continue;
                }
                per_block.push(Some(block_dist(
                    &self.blocks.data[b],
                    self.blocks.widths[b],
                    &self.norms[b],
                    qc,
                    &self.cand_t[b],
                    &self.cand_norms[b],
                    dev,
                )?));
            }
            for (wi, w) in weights.iter().enumerate() {
                let res: Vec<Vec<(u32, f32)>> = qc
                    .par_iter()
                    .enumerate()
                    .map(|(r, &qi)| {
                        let mut d = vec![0f32; self.cand_rows.len()];
                        for (b, pb) in per_block.iter().enumerate() {
                            if let Some(pb) = pb {
                                if w[b] != 0.0 {
                                    for (x, y) in d.iter_mut().zip(
                                        &pb[r * self.cand_rows.len()
                                            ..(r + 1) * self.cand_rows.len()],
                                    ) {
                                        *x += w[b] * y;
                                    }
                                }
                            }
                        }
                        top_k(&d, &self.cand_rows, qi, k)
                    })
                    .collect();
                out[wi].extend(res);
            }
        }
        Ok(out)
    }
}

impl Knn {
    /// The `k` approximate nearest neighbours of each query under one weight
    /// vector (HNSW, see `crate::ann`), in the shape of [`Knn::neighbours`].
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn ann_neighbours(
        &self,
        queries: &[usize],
        weights: &[f32],
        k: usize,
        seed: u64,
    ) -> Neighbours {
        crate::ann::neighbours(
            &self.blocks.data,
            &self.blocks.widths,
            weights,
            &self.cand_rows,
            queries,
            k,
            seed,
        )
    }
}
