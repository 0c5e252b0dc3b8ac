//! The labelled contigs the graph teacher's choices are made on: the fitting
//! and scoring halves, and the selection queries for block weights and k.

use crate::graph::GraphTeacherConfig;
use crate::heads::fit_half;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Positions in `queries` of those on the fitting half (all of them when
/// none is).
pub(crate) fn fitting_queries(queries: &[usize], fit: &[Option<usize>]) -> Vec<usize> {
    let fit_q: Vec<usize> = (0..queries.len())
        .filter(|&r| fit[queries[r]].is_some())
        .collect();
    if fit_q.is_empty() {
        (0..queries.len()).collect()
    } else {
        fit_q
    }
}

/// Every choice is made on the fitting half of the labelled training
/// contigs; the report scores the other half. Returns (fit, score) targets.
#[allow(clippy::type_complexity)]
pub(crate) fn halves(
    targets: &[Option<usize>],
    train_mask: &[bool],
    seed: u64,
) -> (Vec<Option<usize>>, Vec<Option<usize>>) {
    let half = |want: bool| {
        (0..targets.len())
            .map(|i| targets[i].filter(|_| train_mask[i] && fit_half(i, seed) == want))
            .collect()
    };
    (half(true), half(false))
}

/// The labelled contigs on which block weights and k are chosen, from both
/// halves (each query's own label is held out by construction; 20-odd
/// candidates barely bias the report); the per-rank pooling and the
/// temperature use the fitting half only. Sorted.
pub(crate) fn selection_queries(usable: &[usize], cfg: &GraphTeacherConfig) -> Vec<usize> {
    let mut queries = usable.to_vec();
    queries.shuffle(&mut ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5eed));
    queries.truncate(cfg.selection_queries.max(1));
    queries.sort_unstable();
    queries
}
