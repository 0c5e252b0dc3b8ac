//! The genome-aware graph teacher.
//!
//! Input: the feature matrix (n_contigs, 103 TNF + S abundances + 1
//! log-abundance, f32), noisy labels aligned to its rows, optional extra
//! embeddings (n_contigs, d, f32, e.g. GenomeOcean). Output: soft labels
//! (n_contigs, n_leaves) in `tree.leaves` order.
//!
//! 1. Blocks, each standardised per column and scaled by 1/√width so each
//!    contributes on the same scale: composition (TNF), abundance (the
//!    per-contig normalised profile over samples when S ≥ 2, plus
//!    log-abundance), extra embeddings. The distance is the weighted sum of
//!    the blocks' squared Euclidean distances.
//! 2. Exact kNN (blocked matmul distances, O(n·k) memory), self excluded, so a
//!    contig's soft label never uses its own label. Only rows in `train_mask`
//!    are neighbours.
//! 3. Propagation, per contig, down the label tree: neighbour j votes with
//!    weight w_j = exp(−d_j / median d) for the node of its label and all its
//!    ancestors (V[u] = vote weight reaching u). Starting with mass 1 at the
//!    root, a node u passes m_u·V[c]/(V[u]+λ) to each child c and keeps
//!    m_u·(V[u] − Σ_c V[c] + λ)/(V[u]+λ): the weight of neighbours labelled
//!    no deeper than u, plus the pseudo-count λ. So where few neighbours reach
//!    a rank, or they disagree, mass stays on the inner node. Mass kept on u
//!    is spread over u's leaves as (1−ρ)·uniform + ρ·(the cross-fitted head's
//!    distribution restricted to u's leaves).
//! 4. Final = β·graph + (1−β)·head, then a temperature.
//!
//! Every choice is made on held-out noisy labels, never on truth: block
//! weights, k and λ by the hierarchical NLL of the graph alone on a subsample
//! of labelled contigs; ρ, β and the temperature on one half of the labelled
//! contigs (β = 0 is on the grid, so the graph can never make the teacher
//! worse than the per-contig head on that half); the report scores the other
//! half.

use crate::calibrate::{apply_temperature, calibrate, hier_nll, rank_scores};
pub use crate::calibrate::{RankScore, TeacherOutput, TeacherReport};
use crate::heads::{crossfit_heads, fit_half, label_targets, HeadConfig};
use crate::{Error, Result};
use candle_core::{Device, Tensor};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::collections::HashMap;
use std::time::Instant;
use taxdistill_core::features::{FeatureMatrix, N_TNF};
use taxdistill_core::taxonomy::{LabelTree, Lineage};

/// Hyper-parameter grids of the graph teacher (each value chosen on held-out labels).
#[derive(Debug, Clone, serde::Serialize)]
pub struct GraphTeacherConfig {
    /// Candidate neighbour counts.
    pub k_grid: Vec<usize>,
    /// Candidate pseudo-counts λ.
    pub lambda_grid: Vec<f32>,
    /// Candidate weights of the head's distribution inside uncertain nodes.
    pub rho_grid: Vec<f32>,
    /// Candidate weights of the graph against the per-contig head (0 = head only).
    pub beta_grid: Vec<f32>,
    /// Step of the simplex grid over block weights (composition, abundance, extra).
    pub weight_step: f32,
    /// Labelled contigs used as queries to choose block weights, k and λ.
    pub selection_queries: usize,
    /// Train the per-contig cross-fitted head and mix it in.
    pub use_heads: bool,
    pub heads: HeadConfig,
    pub seed: u64,
}

impl Default for GraphTeacherConfig {
    fn default() -> Self {
        GraphTeacherConfig {
            k_grid: vec![5, 10, 20, 40],
            lambda_grid: vec![0.25, 0.5, 1.0, 2.0, 4.0],
            rho_grid: vec![0.0, 0.5, 1.0],
            beta_grid: vec![0.0, 0.25, 0.5, 0.75, 0.9, 1.0],
            weight_step: 0.25,
            selection_queries: 3000,
            use_heads: true,
            heads: HeadConfig::default(),
            seed: 0,
        }
    }
}

/// Feature blocks of the distance, each (n, width) row-major, scaled.
struct Blocks {
    names: Vec<&'static str>,
    data: Vec<Vec<f32>>,
    widths: Vec<usize>,
}

fn scaled_block(x: &[f32], d: usize) -> Vec<f32> {
    let mut s = crate::heads::standardise(x, d);
    let f = 1.0 / (d as f32).sqrt();
    s.iter_mut().for_each(|v| *v *= f);
    s
}

fn build_blocks(features: &FeatureMatrix, extra: Option<(&[f32], usize)>) -> Result<Blocks> {
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
fn simplex(n_blocks: usize, step: f32) -> Vec<Vec<f32>> {
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
    }
    idx.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    idx
}

/// Per query row: (neighbour row, squared distance), nearest first.
type Neighbours = Vec<Vec<(u32, f32)>>;

struct Knn {
    blocks: Blocks,
    norms: Vec<Vec<f32>>,
    cand_rows: Vec<usize>,
    cand_t: Vec<Tensor>,
    cand_norms: Vec<Vec<f32>>,
}

impl Knn {
    fn new(blocks: Blocks, cand_rows: Vec<usize>, dev: &Device) -> Result<Knn> {
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
    fn neighbours(
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

/// Graph soft label of one contig from its neighbours (see the module doc).
fn propagate_one(
    tree: &LabelTree,
    targets: &[Option<usize>],
    nbrs: &[(u32, f32)],
    lambda: f32,
    rho: f32,
    head_row: Option<&[f32]>,
    out: &mut [f32],
) {
    out.iter_mut().for_each(|v| *v = 0.0);
    let mut ds: Vec<f32> = nbrs.iter().map(|x| x.1).collect();
    ds.sort_by(f32::total_cmp);
    let h = ds.get(ds.len() / 2).copied().unwrap_or(1.0).max(1e-6);
    // vote weight reaching each node (touched nodes only)
    let mut vote: HashMap<usize, f32> = HashMap::new();
    vote.insert(0, 0.0);
    for &(j, d) in nbrs {
        if let Some(v) = targets[j as usize] {
            let w = (-d / h).exp();
            let mut x = Some(v);
            while let Some(u) = x {
                *vote.entry(u).or_insert(0.0) += w;
                x = tree.nodes[u].parent;
            }
        }
    }
    let mut nodes: Vec<usize> = vote.keys().copied().collect();
    nodes.sort_unstable(); // parents have smaller indices than their children
    let mut child_sum: HashMap<usize, f32> = HashMap::new();
    for &u in &nodes {
        if let Some(p) = tree.nodes[u].parent {
            *child_sum.entry(p).or_insert(0.0) += vote[&u];
        }
    }
    let mut mass: HashMap<usize, f32> = HashMap::new();
    mass.insert(0, 1.0);
    for &u in &nodes {
        let m_u = if u == 0 {
            1.0
        } else {
            let p = tree.nodes[u].parent.expect("non-root has a parent");
            mass[&p] * vote[&u] / (vote[&p] + lambda)
        };
        mass.insert(u, m_u);
        let v_u = vote[&u];
        let below = child_sum.get(&u).copied().unwrap_or(0.0);
        let leaves = tree.leaves_under(u);
        let stay = if leaves.len() == 1 && tree.children(u).is_empty() {
            m_u
        } else {
            m_u * (v_u - below + lambda) / (v_u + lambda)
        };
        if stay <= 0.0 {
            continue;
        }
        let uni = (1.0 - rho) * stay / leaves.len() as f32;
        let head_mass: f32 = match head_row {
            Some(hr) if rho > 0.0 => leaves.iter().map(|&c| hr[c]).sum(),
            _ => 0.0,
        };
        for &c in leaves {
            out[c] += uni;
        }
        if rho > 0.0 {
            match head_row {
                Some(hr) if head_mass > 1e-12 => {
                    for &c in leaves {
                        out[c] += rho * stay * hr[c] / head_mass;
                    }
                }
                _ => {
                    for &c in leaves {
                        out[c] += rho * stay / leaves.len() as f32;
                    }
                }
            }
        }
    }
    let z: f32 = out.iter().sum();
    if z > 0.0 {
        out.iter_mut().for_each(|v| *v /= z);
    }
}

#[allow(clippy::too_many_arguments)]
fn propagate(
    tree: &LabelTree,
    targets: &[Option<usize>],
    rows: &[usize],
    nbrs: &[Vec<(u32, f32)>],
    k: usize,
    lambda: f32,
    rho: f32,
    head: Option<&[f32]>,
) -> Vec<f32> {
    let l = tree.n_leaves();
    let mut out = vec![0f32; rows.len() * l];
    out.par_chunks_mut(l).enumerate().for_each(|(r, o)| {
        let nb = &nbrs[r][..k.min(nbrs[r].len())];
        let hr = head.map(|h| &h[rows[r] * l..(rows[r] + 1) * l]);
        propagate_one(tree, targets, nb, lambda, rho, hr, o);
    });
    out
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// Soft labels from the genome-aware graph teacher (see the module doc).
///
/// # Errors
/// Inconsistent sizes, fewer than two usable labelled contigs, a label tree
/// with fewer than two leaves, tensor errors.
pub fn graph_teacher(
    features: &FeatureMatrix,
    labels: &[Lineage],
    tree: &LabelTree,
    train_mask: &[bool],
    extra: Option<(&[f32], usize)>,
    cfg: &GraphTeacherConfig,
) -> Result<TeacherOutput> {
    let t_all = Instant::now();
    let n = features.n_rows();
    let l = tree.n_leaves();
    if labels.len() != n || train_mask.len() != n {
        return Err(Error::Mismatch(format!(
            "graph teacher: {n} contigs but {} labels and {} mask entries",
            labels.len(),
            train_mask.len()
        )));
    }
    if l < 2 {
        return Err(Error::Invalid(format!(
            "graph teacher: the label tree has {l} leaf/leaves; need at least 2"
        )));
    }
    let targets = label_targets(labels, tree);
    let usable: Vec<usize> = (0..n)
        .filter(|&i| targets[i].is_some() && train_mask[i])
        .collect();
    if usable.len() < 2 {
        return Err(Error::Invalid(format!(
            "graph teacher: {} usable labelled contig(s); need at least 2",
            usable.len()
        )));
    }
    let mut timings = std::collections::BTreeMap::new();
    let dev = Device::Cpu;

    // per-contig head (cross-fitted), on the same features (+ extra)
    let t = Instant::now();
    let head = if cfg.use_heads {
        let (x, d) = match extra {
            Some((e, de)) => {
                let c = features.n_cols();
                let mut x = Vec::with_capacity(n * (c + de));
                for i in 0..n {
                    x.extend_from_slice(features.row(i));
                    x.extend_from_slice(&e[i * de..(i + 1) * de]);
                }
                (x, c + de)
            }
            None => (features.data.clone(), features.n_cols()),
        };
        let hc = HeadConfig {
            seed: cfg.seed,
            ..cfg.heads.clone()
        };
        Some(crossfit_heads(&x, d, labels, tree, train_mask, &hc)?)
    } else {
        None
    };
    timings.insert("heads".to_string(), ms(t));

    // kNN and selection of block weights, k, λ on held-out queries
    let t = Instant::now();
    let blocks = build_blocks(features, extra)?;
    let block_names: Vec<&str> = blocks.names.clone();
    let weights = simplex(blocks.data.len(), cfg.weight_step);
    let cand_rows: Vec<usize> = (0..n).filter(|&i| train_mask[i]).collect();
    let knn = Knn::new(blocks, cand_rows, &dev)?;
    let kmax = cfg.k_grid.iter().copied().max().unwrap_or(10).max(1);
    let mut queries = usable.clone();
    queries.shuffle(&mut ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5eed));
    queries.truncate(cfg.selection_queries.max(1));
    queries.sort_unstable();
    let sel = knn.neighbours(&queries, &weights, kmax, &dev)?;
    let q_targets: Vec<Option<usize>> = queries.iter().map(|&i| targets[i]).collect();
    let mut grid = Vec::new();
    let mut best = (f32::INFINITY, 0usize, kmax, 1.0f32);
    for (wi, nb) in sel.iter().enumerate() {
        for &k in &cfg.k_grid {
            for &lambda in &cfg.lambda_grid {
                let p = propagate(tree, &targets, &queries, nb, k, lambda, 0.0, None);
                let nll = hier_nll(tree, &p, &q_targets);
                grid.push(serde_json::json!({"weights": weights[wi], "k": k, "lambda": lambda, "nll": nll}));
                if nll < best.0 {
                    best = (nll, wi, k, lambda);
                }
            }
        }
    }
    let (_, wi, k, lambda) = best;
    timings.insert("select_graph".to_string(), ms(t));

    // the graph for every contig
    let t = Instant::now();
    let all: Vec<usize> = (0..n).collect();
    let nbrs = knn
        .neighbours(&all, &weights[wi..wi + 1], k, &dev)?
        .pop()
        .expect("one weight vector");
    timings.insert("knn".to_string(), ms(t));

    // ρ and β on the fitting half of labelled contigs
    let t = Instant::now();
    let fit: Vec<Option<usize>> = (0..n)
        .map(|i| targets[i].filter(|_| train_mask[i] && fit_half(i, cfg.seed)))
        .collect();
    let score: Vec<Option<usize>> = (0..n)
        .map(|i| targets[i].filter(|_| train_mask[i] && !fit_half(i, cfg.seed)))
        .collect();
    let head_probs = head.as_ref().map(|h| h.probs.as_slice());
    let rho_grid: Vec<f32> = if head_probs.is_some() {
        cfg.rho_grid.clone()
    } else {
        vec![0.0]
    };
    let beta_grid: Vec<f32> = if head_probs.is_some() {
        cfg.beta_grid.clone()
    } else {
        vec![1.0]
    };
    // the mixing grid is scored on a random sample of the fitting half, to bound its cost
    let mut fit_rows: Vec<usize> = (0..n).filter(|&i| fit[i].is_some()).collect();
    fit_rows.shuffle(&mut ChaCha8Rng::seed_from_u64(cfg.seed ^ 0xf17));
    fit_rows.truncate(cfg.selection_queries.max(1));
    fit_rows.sort_unstable();
    let fit_t: Vec<Option<usize>> = fit_rows.iter().map(|&i| fit[i]).collect();
    let fit_nbrs: Vec<Vec<(u32, f32)>> = fit_rows.iter().map(|&i| nbrs[i].clone()).collect();
    let mut best_mix = (f32::INFINITY, 0.0f32, 1.0f32);
    let mut mix_grid = Vec::new();
    for &rho in &rho_grid {
        let g = propagate(
            tree, &targets, &fit_rows, &fit_nbrs, k, lambda, rho, head_probs,
        );
        for &beta in &beta_grid {
            let mixed: Vec<f32> = match head_probs {
                Some(h) => g
                    .chunks_exact(l)
                    .zip(&fit_rows)
                    .flat_map(|(gr, &i)| {
                        gr.iter()
                            .zip(&h[i * l..(i + 1) * l])
                            .map(|(a, b)| beta * a + (1.0 - beta) * b)
                            .collect::<Vec<_>>()
                    })
                    .collect(),
                None => g.clone(),
            };
            // score each mixture at its own best temperature
            let temp = crate::calibrate::fit_temperature(tree, &mixed, &fit_t);
            let nll = hier_nll(tree, &apply_temperature(&mixed, l, temp), &fit_t);
            mix_grid.push(
                serde_json::json!({"rho": rho, "beta": beta, "temperature": temp, "nll": nll}),
            );
            if nll < best_mix.0 {
                best_mix = (nll, rho, beta);
            }
        }
    }
    let (_, rho, beta) = best_mix;
    let graph = propagate(tree, &targets, &all, &nbrs, k, lambda, rho, head_probs);
    let mut probs: Vec<f32> = match head_probs {
        Some(h) => graph
            .iter()
            .zip(h)
            .map(|(a, b)| beta * a + (1.0 - beta) * b)
            .collect(),
        None => graph.clone(),
    };
    timings.insert("propagate".to_string(), ms(t));

    // ablation on the scoring half: graph alone, head alone
    let (graph_only, _) = rank_scores(tree, &graph, &score);
    let head_only = head.as_ref().map(|h| rank_scores(tree, &h.probs, &score).0);
    let mut report = TeacherReport {
        teacher: "graph".into(),
        n_contigs: n,
        n_labelled: usable.len(),
        n_leaves: l,
        chosen: serde_json::json!({
            "blocks": block_names,
            "block_weights": weights[wi],
            "k": k,
            "lambda": lambda,
            "rho": rho,
            "beta": beta,
            "selection_queries": queries.len(),
            "graph_grid": grid,
            "mix_grid": mix_grid,
            "heldout_graph_only": graph_only,
            "heldout_head_only": head_only,
            "head_report": head.as_ref().map(|h| serde_json::json!({
                "temperature": h.report.temperature, "ece_after": h.report.ece_after, "timings": h.report.timings })),
        }),
        ..Default::default()
    };
    probs = calibrate(tree, &probs, &fit, &score, &mut report);
    timings.insert("total".to_string(), ms(t_all));
    report.timings = timings;
    Ok(TeacherOutput { probs, report })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Genomes with distinct abundance profiles over `s` samples and weakly
    /// informative composition; some labels wrong, some missing.
    pub(crate) fn community(
        n_per: usize,
        s: usize,
        noise: f64,
        seed: u64,
    ) -> (FeatureMatrix, Vec<Lineage>, Vec<Lineage>) {
        let genomes = [
            "B;P1;C1;O1;F1;G1;S1",
            "B;P1;C1;O1;F1;G1;S2",
            "B;P1;C1;O1;F1;G2;S3",
            "B;P1;C1;O1;F2;G3;S4",
            "B;P2;C2;O2;F3;G4;S5",
        ];
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut ids = Vec::new();
        let mut data = Vec::new();
        let mut truth = Vec::new();
        let mut labels = Vec::new();
        let centres: Vec<Vec<f32>> = (0..genomes.len())
            .map(|_| (0..N_TNF).map(|_| rng.random_range(-1.0f32..1.0)).collect())
            .collect();
        let profiles: Vec<Vec<f32>> = (0..genomes.len())
            .map(|_| (0..s).map(|_| rng.random_range(1.0f32..30.0)).collect())
            .collect();
        for g in 0..genomes.len() {
            for c in 0..n_per {
                ids.push(format!("g{g}_c{c}"));
                for centre in &centres[g] {
                    data.push(centre * 0.3 + rng.random_range(-1.0f32..1.0));
                }
                let mut tot = 0f32;
                for p in &profiles[g] {
                    let v = p * rng.random_range(0.8f32..1.25);
                    tot += v;
                    data.push(v);
                }
                if s > 0 {
                    data.push(tot.ln());
                }
                let t = Lineage::parse(genomes[g]).unwrap();
                truth.push(t.clone());
                let u: f64 = rng.random();
                labels.push(if u < noise {
                    Lineage::parse(genomes[(g + 1) % genomes.len()]).unwrap()
                } else if u < noise + 0.2 {
                    Lineage::unclassified()
                } else {
                    t
                });
            }
        }
        let mut columns: Vec<String> = (0..N_TNF).map(|t| format!("tnf{t}")).collect();
        for x in 0..s {
            columns.push(format!("s{x}"));
        }
        if s > 0 {
            columns.push("log_abundance".into());
        }
        let n = ids.len();
        (
            FeatureMatrix {
                ids,
                lengths: vec![5000; n],
                n_samples: s,
                columns,
                data,
            },
            labels,
            truth,
        )
    }

    fn species_accuracy(tree: &LabelTree, probs: &[f32], truth: &[Lineage]) -> f32 {
        let l = tree.n_leaves();
        let mut ok = 0;
        for (i, t) in truth.iter().enumerate() {
            let p = taxdistill_core::model::predict_from_leaf_probs(
                tree,
                &probs[i * l..(i + 1) * l],
                &[0.5; 7],
            );
            ok += (p.lineage == *t) as usize;
        }
        ok as f32 / truth.len() as f32
    }

    fn quick() -> GraphTeacherConfig {
        GraphTeacherConfig {
            heads: HeadConfig {
                max_steps: 200,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn graph_teacher_corrects_noisy_labels_with_abundance() {
        let (f, labels, truth) = community(60, 5, 0.3, 3);
        let tree = LabelTree::from_lineages(labels.iter());
        let out =
            graph_teacher(&f, &labels, &tree, &vec![true; f.n_rows()], None, &quick()).unwrap();
        let acc = species_accuracy(&tree, &out.probs, &truth);
        let raw =
            labels.iter().zip(&truth).filter(|(a, b)| a == b).count() as f32 / truth.len() as f32;
        assert!(acc > 0.75 && acc > raw + 0.2, "teacher {acc} vs raw {raw}");
        for row in out.probs.chunks_exact(tree.n_leaves()) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        }
        assert!(out.report.chosen["block_weights"].as_array().unwrap().len() == 2);
    }

    #[test]
    fn own_label_is_held_out() {
        // a single contig labelled S5 among S1 neighbours: its soft label must not favour S5
        let (f, mut labels, _) = community(30, 3, 0.0, 4);
        for l in labels.iter_mut() {
            if l.depth() > 0 {
                *l = Lineage::parse("B;P1;C1;O1;F1;G1;S1").unwrap();
            }
        }
        labels[0] = Lineage::parse("B;P2;C2;O2;F3;G4;S5").unwrap();
        let tree = LabelTree::from_lineages(labels.iter());
        let cfg = GraphTeacherConfig {
            use_heads: false,
            ..Default::default()
        };
        let out = graph_teacher(&f, &labels, &tree, &vec![true; f.n_rows()], None, &cfg).unwrap();
        let s5 = tree.leaf_column(tree.find(&labels[0]).unwrap()).unwrap();
        let s1 = tree.leaf_column(tree.find(&labels[1]).unwrap()).unwrap();
        let l = tree.n_leaves();
        assert!(out.probs[s1] > out.probs[s5], "{:?}", &out.probs[..l]);
    }

    #[test]
    fn sparse_neighbour_labels_leave_mass_on_inner_nodes() {
        let ls: Vec<Lineage> = ["A;B;C", "A;B;D", "A;E"]
            .iter()
            .map(|s| Lineage::parse(s).unwrap())
            .collect();
        let tree = LabelTree::from_lineages(ls.iter());
        let c = tree.find(&ls[0]).unwrap();
        let d = tree.find(&ls[1]).unwrap();
        let targets = vec![Some(c), Some(d), None];
        let mut out = vec![0f32; 3];
        // two disagreeing neighbours at equal distance: genus B likely, species split
        propagate_one(
            &tree,
            &targets,
            &[(0, 1.0), (1, 1.0)],
            0.5,
            0.0,
            None,
            &mut out,
        );
        let p = taxdistill_core::model::predict_from_leaf_probs(&tree, &out, &[0.5; 7]);
        assert_eq!(p.lineage.0, vec!["A".to_string(), "B".to_string()]);
        // no labelled neighbour: uniform
        propagate_one(&tree, &targets, &[(2, 1.0)], 0.5, 0.0, None, &mut out);
        assert!(out.iter().all(|&v| (v - 1.0 / 3.0).abs() < 1e-6));
    }

    /// A simulator community as the CLI would read it: features, noisy labels, truth.
    fn sim_case(
        cfg: &taxdistill_sim::SimConfig,
    ) -> (FeatureMatrix, Vec<Lineage>, Vec<(String, Lineage)>) {
        let c = taxdistill_sim::simulate(cfg).unwrap();
        let mut fa = Vec::new();
        taxdistill_sim::write::write_fasta(&c, &mut fa).unwrap();
        let mut ab = Vec::new();
        taxdistill_sim::write::write_abundance(&c, &mut ab).unwrap();
        let mut tr = Vec::new();
        taxdistill_sim::write::write_truth(&c, &mut tr).unwrap();
        let mut lb = Vec::new();
        taxdistill_sim::write::write_labels(&c, &mut lb).unwrap();
        let contigs = taxdistill_core::fasta::read_contigs(&fa[..], "sim.fna").unwrap();
        let abundance = taxdistill_core::abundance::read_abundance(&ab[..], "sim.tsv").unwrap();
        let features =
            taxdistill_core::features::build_features(&contigs, Some(&abundance)).unwrap();
        let labels =
            taxdistill_core::labels::read_labels(&lb[..], "labels.tsv", None, None).unwrap();
        let truth = taxdistill_core::labels::read_labels(&tr[..], "truth.tsv", None, None).unwrap();
        let (lineages, _) = labels.aligned_to(&features.ids);
        (features, lineages, truth.entries)
    }

    fn f1s(truth: &[(String, Lineage)], pred: &[(String, Lineage)]) -> Vec<f64> {
        taxdistill_core::metrics::evaluate(truth, pred, None)
            .iter()
            .map(|m| m.f1)
            .collect()
    }

    fn teacher_preds(ids: &[String], tree: &LabelTree, probs: &[f32]) -> Vec<(String, Lineage)> {
        let l = tree.n_leaves();
        ids.iter()
            .enumerate()
            .map(|(i, id)| {
                let p = taxdistill_core::model::predict_from_leaf_probs(
                    tree,
                    &probs[i * l..(i + 1) * l],
                    &[0.5; 7],
                );
                (id.clone(), p.lineage)
            })
            .collect()
    }

    #[test]
    fn teacher_beats_raw_labels_on_a_small_simulated_community() {
        let cfg = taxdistill_sim::SimConfig {
            genomes: 20,
            contigs: 600,
            samples: 3,
            seed: 7,
            ..Default::default()
        };
        let (f, labels, truth) = sim_case(&cfg);
        let tree = LabelTree::from_lineages(labels.iter());
        let mask: Vec<bool> = f.lengths.iter().map(|&x| x >= 1000).collect();
        let out = graph_teacher(&f, &labels, &tree, &mask, None, &quick()).unwrap();
        let raw: Vec<(String, Lineage)> =
            f.ids.iter().cloned().zip(labels.iter().cloned()).collect();
        let (fr, ft) = (
            f1s(&truth, &raw),
            f1s(&truth, &teacher_preds(&f.ids, &tree, &out.probs)),
        );
        // species F1 of the teacher's own lineage must beat the raw labels'
        assert!(ft[6] > fr[6], "raw {fr:?} teacher {ft:?}");
    }

    /// The ablation of docs/teacher.md: per-rank F1 against the truth of the raw labels,
    /// the graph teacher, the graph alone (β = 1 forced) and the per-contig head alone.
    /// Run with `cargo test -p taxdistill-teacher --lib ablation -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn ablation_on_simulated_communities() {
        let contigs: usize = std::env::var("ABLATION_CONTIGS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3000);
        for profile in [
            taxdistill_sim::Profile::Kraken2,
            taxdistill_sim::Profile::Mmseqs2,
        ] {
            for samples in [1usize, 3, 10] {
                let cfg = taxdistill_sim::SimConfig {
                    genomes: 60,
                    contigs,
                    samples,
                    seed: 42,
                    profile,
                    noise: profile.noise(),
                    novel_genera: 0.2,
                    ..Default::default()
                };
                let (f, labels, truth) = sim_case(&cfg);
                let tree = LabelTree::from_lineages(labels.iter());
                let mask: Vec<bool> = f.lengths.iter().map(|&x| x >= 2000).collect();
                let t = Instant::now();
                let out = graph_teacher(
                    &f,
                    &labels,
                    &tree,
                    &mask,
                    None,
                    &GraphTeacherConfig::default(),
                )
                .unwrap();
                let secs = t.elapsed().as_secs_f64();
                let graph_only = graph_teacher(
                    &f,
                    &labels,
                    &tree,
                    &mask,
                    None,
                    &GraphTeacherConfig {
                        use_heads: false,
                        ..Default::default()
                    },
                )
                .unwrap();
                let head = crossfit_heads(
                    &f.data,
                    f.n_cols(),
                    &labels,
                    &tree,
                    &mask,
                    &HeadConfig::default(),
                )
                .unwrap();
                let raw: Vec<(String, Lineage)> =
                    f.ids.iter().cloned().zip(labels.iter().cloned()).collect();
                let row = |name: &str, v: Vec<f64>| {
                    println!(
                        "| {} | {} | {} | {} |",
                        profile.name(),
                        samples,
                        name,
                        v.iter()
                            .map(|x| format!("{x:.3}"))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    )
                };
                row("raw labels", f1s(&truth, &raw));
                row(
                    "graph teacher",
                    f1s(&truth, &teacher_preds(&f.ids, &tree, &out.probs)),
                );
                row(
                    "graph only",
                    f1s(&truth, &teacher_preds(&f.ids, &tree, &graph_only.probs)),
                );
                row(
                    "head only",
                    f1s(&truth, &teacher_preds(&f.ids, &tree, &head.probs)),
                );
                println!(
                    "  chosen: weights {} k {} lambda {} rho {} beta {}; T {:.2}; ECE {:.3} -> {:.3}; {:.1} s; n = {}",
                    out.report.chosen["block_weights"],
                    out.report.chosen["k"],
                    out.report.chosen["lambda"],
                    out.report.chosen["rho"],
                    out.report.chosen["beta"],
                    out.report.temperature,
                    out.report.ece_before,
                    out.report.ece_after,
                    secs,
                    f.n_rows()
                );
            }
        }
    }

    #[test]
    fn simplex_grid_covers_the_corners() {
        let w = simplex(3, 0.5);
        assert_eq!(w.len(), 6);
        assert!(w.iter().all(|x| (x.iter().sum::<f32>() - 1.0).abs() < 1e-6));
        assert_eq!(simplex(1, 0.25), vec![vec![1.0]]);
    }
}
