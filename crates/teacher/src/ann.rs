//! Approximate k nearest neighbours for the graph teacher's large inputs (native only).
//!
//! Input: the teacher's scaled feature blocks, each (n_contigs, width_b) f32
//! row-major, one block weight vector w, the candidate rows and the query
//! rows. Output: per query, its k nearest candidates as (row, squared
//! weighted distance Σ_b w_b ‖x_b − y_b‖²), nearest first, ties by row, the
//! query itself excluded — the shape and order of the exact search
//! (`graph::Knn`).
//!
//! For a fixed w that distance is the squared Euclidean distance between rows
//! whose block b is scaled by √w_b, so one HNSW index (`instant-distance`,
//! M = 32) over the candidates' scaled rows answers it. Each query asks the
//! index for `ef` (≥ k + 1) candidates; the k nearest of them, self dropped,
//! are returned with distances recomputed on the scaled rows (the index
//! returns the same values, but this keeps the tie rule ours).
//!
//! Determinism: the index is seeded, and it is built on one thread, because
//! `instant-distance` inserts the points of a layer concurrently and the
//! graph then depends on the threads' timing. Queries run in parallel: each
//! is a pure function of the finished index.

use instant_distance::{Builder, HnswMap, Point, Search};
use rayon::prelude::*;

/// Candidates kept per node during construction (the index's `ef_construction`).
/// The build dominates the cost; at 50k contigs 40 kept recall@40 at 0.997
/// for half the build time of the crate's default 100 (docs/ann.md).
pub const EF_CONSTRUCTION: usize = 40;
/// Candidates examined per query (the index's `ef_search`; at least k + 1 is used).
pub const EF_SEARCH: usize = 64;

/// One row with each block scaled by √w_b (blocks of weight 0 left out).
#[derive(Clone)]
struct Scaled(Box<[f32]>);

impl Point for Scaled {
    fn distance(&self, other: &Self) -> f32 {
        sq_dist(&self.0, &other.0)
    }
}

fn sq_dist(a: &[f32], b: &[f32]) -> f32 {
    // four accumulators: the compiler vectorises this, one serial sum it does not
    let mut acc = [0f32; 4];
    let (ca, ra) = a.split_at(a.len() / 4 * 4);
    let (cb, rb) = b.split_at(ca.len());
    for (x, y) in ca.chunks_exact(4).zip(cb.chunks_exact(4)) {
        for j in 0..4 {
            let d = x[j] - y[j];
            acc[j] += d * d;
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        s += (x - y) * (x - y);
    }
    s
}

fn scaled_row(blocks: &[Vec<f32>], widths: &[usize], scale: &[f32], i: usize) -> Scaled {
    let mut v = Vec::with_capacity(widths.iter().sum());
    for ((x, &d), &f) in blocks.iter().zip(widths).zip(scale) {
        if f != 0.0 {
            v.extend(x[i * d..(i + 1) * d].iter().map(|y| y * f));
        }
    }
    Scaled(v.into_boxed_slice())
}

/// Per query: its `k` nearest candidates under the weighted distance (see the module doc).
pub(crate) fn neighbours(
    blocks: &[Vec<f32>],
    widths: &[usize],
    weights: &[f32],
    cand_rows: &[usize],
    queries: &[usize],
    k: usize,
    seed: u64,
) -> Vec<Vec<(u32, f32)>> {
    if cand_rows.is_empty() || k == 0 {
        return vec![Vec::new(); queries.len()];
    }
    let scale: Vec<f32> = weights.iter().map(|w| w.max(0.0).sqrt()).collect();
    let points: Vec<Scaled> = cand_rows
        .par_iter()
        .map(|&i| scaled_row(blocks, widths, &scale, i))
        .collect();
    let rows: Vec<u32> = cand_rows.iter().map(|&i| i as u32).collect();
    let builder = Builder::default()
        .seed(seed)
        .ef_construction(EF_CONSTRUCTION)
        .ef_search(EF_SEARCH.max(k + 1));
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build();
    let map: HnswMap<Scaled, u32> = match one {
        Ok(pool) => pool.install(|| builder.build(points, rows)),
        // no thread for a pool: the build is then as parallel as the caller's pool
        Err(_) => builder.build(points, rows),
    };
    queries
        .par_iter()
        .map_init(Search::default, |search, &qi| {
            let q = scaled_row(blocks, widths, &scale, qi);
            let mut out: Vec<(u32, f32)> = map
                .search(&q, search)
                .filter(|it| *it.value as usize != qi)
                .map(|it| (*it.value, sq_dist(&q.0, &it.point.0)))
                .collect();
            out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            out.truncate(k);
            out
        })
        .collect()
}

/// Share of the exact lists' neighbours (each cut to `k`) that the approximate
/// lists (cut to `k`) contain: recall@k, averaged over all pairs of rows.
pub fn recall_at_k(approx: &[Vec<(u32, f32)>], exact: &[Vec<(u32, f32)>], k: usize) -> f64 {
    let (mut hit, mut tot) = (0usize, 0usize);
    for (a, e) in approx.iter().zip(exact) {
        let a = &a[..k.min(a.len())];
        for (j, _) in &e[..k.min(e.len())] {
            tot += 1;
            hit += usize::from(a.iter().any(|x| x.0 == *j));
        }
    }
    if tot == 0 {
        1.0
    } else {
        hit as f64 / tot as f64
    }
}
