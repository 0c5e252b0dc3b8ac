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
//! 2. kNN, self excluded, so a contig's soft label never uses its own label.
//!    Only rows in `train_mask` are neighbours. The choice of block weights and
//!    k uses exact search (blocked matmul distances, O(n·k) memory) for the
//!    selection queries; the final graph over all contigs is exact up to
//!    [`EXACT_KNN_MAX_CONTIGS`] contigs and approximate (HNSW, `crate::ann`,
//!    native only) above, where its recall@k against the exact lists of the
//!    selection queries is reported.
//! 3. Per-rank pooling, down the label tree. Neighbour j votes with weight
//!    w_j = exp(−d_j / median d) for the node of its label and all its
//!    ancestors (V[c] = vote weight reaching c). At an inner node u whose
//!    children sit at rank r, the soft label's conditional over the children is
//!    P(c | u) ∝ π_c · (g_c / π_c)^{a_r} · (h_c / π_c)^{b_r}, with the prior
//!    π_c = |leaves(c)| / |leaves(u)|, the neighbour vote
//!    g_c = (V[c] + λ_r·π_c) / (Σ_c' V[c'] + λ_r) and the cross-fitted
//!    per-contig head's conditional h_c = p_head(c) / p_head(u). A leaf's
//!    probability is the product of the conditionals on its path. So where
//!    few neighbours reach rank r (small Σ V relative to λ_r), where they
//!    disagree, or where neighbour votes at rank r have predicted held-out
//!    labels poorly (small a_r), the conditional is flat and the student,
//!    walking down with threshold 0.5, stops above r.
//! 4. A temperature on the result.
//!
//! Every choice is made on held-out noisy labels of the fitting half of the
//! labelled contigs, never on truth, and the report scores the other half. The
//! hierarchical NLL of a label at depth D is the sum over its ranks of
//! −ln P(label's rank-r taxon | its rank-(r−1) taxon), so each rank's
//! (λ_r, a_r, b_r) is chosen on its own term: per rank, the graph gets the
//! trust its neighbours earned on held-out labels at that rank. Block weights
//! and k minimise the summed NLL of the graph alone (b = 0). (a, b) = (0, 1)
//! is on the grid, so at every rank the teacher's held-out NLL on the fitting
//! queries is at most the per-contig head's: it never does worse than the
//! per-contig model there.

use crate::calibrate::{calibrate, rank_scores};
pub use crate::calibrate::{OpenSetEvidence, RankScore, TeacherOutput, TeacherReport};
use crate::heads::{calibrated, crossfit_raw, label_targets, HeadConfig};
use crate::knn::{build_blocks, simplex, Knn, Neighbours};
use crate::novel;
use crate::queries::{fitting_queries, halves, selection_queries};
use crate::{Error, Result};
use candle_core::Device;
use rayon::prelude::*;
use taxdistill_core::features::FeatureMatrix;
use taxdistill_core::openset::NeighbourTable;
use taxdistill_core::taxonomy::{LabelTree, Lineage};
use web_time::Instant;

/// Hyper-parameter grids of the graph teacher (each value chosen on held-out labels).
#[derive(Debug, Clone, serde::Serialize)]
pub struct GraphTeacherConfig {
    /// Candidate neighbour counts.
    pub k_grid: Vec<usize>,
    /// Candidate pseudo-counts λ of the prior in the neighbour vote (> 0), per rank.
    pub lambda_grid: Vec<f32>,
    /// Candidate exponents a of the neighbour vote, per rank (0 = ignore the graph).
    pub graph_weight_grid: Vec<f32>,
    /// Candidate exponents b of the per-contig head, per rank (0 = ignore the head).
    pub head_weight_grid: Vec<f32>,
    /// Step of the simplex grid over block weights (composition, abundance, extra).
    pub weight_step: f32,
    /// Labelled contigs of the fitting half used as queries for every choice.
    pub selection_queries: usize,
    /// Train the per-contig cross-fitted head and mix it in.
    pub use_heads: bool,
    /// Return the open-set rule's evidence (the neighbour table and the
    /// clade-held-out precision per rank, which costs one more set of heads).
    pub open_set: bool,
    pub heads: HeadConfig,
    pub seed: u64,
    /// Above this many contigs the final neighbour graph is approximate
    /// (HNSW, native only); at most this many, exact. 0 forces approximate
    /// search, `usize::MAX` exact.
    pub exact_knn_max_contigs: usize,
}

/// Default of [`GraphTeacherConfig::exact_knn_max_contigs`]: exact search costs
/// O(n²) distances (32 s at 50k contigs on two cores, hours at 1M); on two
/// cores HNSW breaks even near 25k contigs and is 1.6× faster at 50k (docs/ann.md).
pub const EXACT_KNN_MAX_CONTIGS: usize = 20_000;

impl Default for GraphTeacherConfig {
    fn default() -> Self {
        let exponents = vec![0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 6.0];
        GraphTeacherConfig {
            k_grid: vec![5, 10, 20, 40],
            lambda_grid: vec![0.25, 0.5, 1.0, 2.0, 4.0],
            graph_weight_grid: exponents.clone(),
            head_weight_grid: exponents,
            weight_step: 0.25,
            selection_queries: 3000,
            use_heads: true,
            open_set: true,
            heads: HeadConfig::default(),
            seed: 0,
            exact_knn_max_contigs: EXACT_KNN_MAX_CONTIGS,
        }
    }
}

/// How the teacher forms the conditional distribution over the children of a
/// node at one depth (one rank): see the module doc, step 3.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RankMix {
    /// Pseudo-count λ of the prior in the neighbour vote.
    pub lambda: f32,
    /// Exponent a of the neighbour vote (0 = ignore the graph at this rank).
    pub graph: f32,
    /// Exponent b of the per-contig head (0 = ignore the head at this rank).
    pub head: f32,
}

impl Default for RankMix {
    fn default() -> Self {
        RankMix {
            lambda: 1.0,
            graph: 1.0,
            head: 0.0,
        }
    }
}

/// One [`RankMix`] per depth of the children: index 0 = domain … 6 = species.
pub type RankMixes = [RankMix; 7];

/// Per-thread buffers of [`teacher_row`], one entry per tree node.
struct Scratch {
    vote: Vec<f32>,
    touched: Vec<usize>,
    head_node: Vec<f32>,
    mass: Vec<f32>,
    logw: Vec<f32>,
}

impl Scratch {
    fn new(n_nodes: usize) -> Scratch {
        Scratch {
            vote: vec![0.0; n_nodes],
            touched: Vec::new(),
            head_node: vec![0.0; n_nodes],
            mass: vec![0.0; n_nodes],
            logw: Vec::new(),
        }
    }
}

/// The kernel width of one neighbour list: its median squared distance.
fn kernel_width(nbrs: &[(u32, f32)]) -> f32 {
    let mut ds: Vec<f32> = nbrs.iter().map(|x| x.1).collect();
    ds.sort_by(f32::total_cmp);
    ds.get(ds.len() / 2).copied().unwrap_or(1.0).max(1e-6)
}

/// The first `k` neighbours of every row with their vote weights
/// exp(−d / median d), as [`add_votes`] weighs them.
fn neighbour_table(nbrs: &[Vec<(u32, f32)>], k: usize) -> NeighbourTable {
    let mut t = NeighbourTable {
        k,
        index: vec![0; nbrs.len() * k],
        weight: vec![0.0; nbrs.len() * k],
    };
    for (i, row) in nbrs.iter().enumerate() {
        let row = &row[..k.min(row.len())];
        let h = kernel_width(row);
        for (c, &(j, d)) in row.iter().enumerate() {
            t.index[i * k + c] = j;
            t.weight[i * k + c] = (-d / h).exp();
        }
    }
    t
}

/// Adds the kernel-weighted votes of `nbrs` to `s.vote` (the label's node and
/// all its ancestors): w_j = exp(−d_j / median d).
fn add_votes(tree: &LabelTree, targets: &[Option<usize>], nbrs: &[(u32, f32)], s: &mut Scratch) {
    for &u in &s.touched {
        s.vote[u] = 0.0;
    }
    s.touched.clear();
    let h = kernel_width(nbrs);
    for &(j, d) in nbrs {
        if let Some(v) = targets[j as usize] {
            let w = (-d / h).exp();
            let mut x = Some(v);
            while let Some(u) = x {
                if s.vote[u] == 0.0 {
                    s.touched.push(u);
                }
                s.vote[u] += w;
                x = tree.nodes[u].parent;
            }
        }
    }
}

/// Log-weights of the children of `u` (unnormalised) into `s.logw`:
/// ln π_c + a·(ln g_c − ln π_c) + b·(ln h_c − ln π_c).
fn child_logw(tree: &LabelTree, u: usize, m: &RankMix, use_head: bool, s: &mut Scratch) {
    let ch = tree.children(u);
    let nl_u = tree.leaves_under(u).len() as f32;
    let vsum: f32 = ch.iter().map(|&c| s.vote[c]).sum();
    let lambda = m.lambda.max(1e-6);
    let hu = s.head_node[u].max(1e-30).ln();
    s.logw.clear();
    for &c in ch {
        let pi = tree.leaves_under(c).len() as f32 / nl_u;
        let lpi = pi.ln();
        let lg = ((s.vote[c] + lambda * pi) / (vsum + lambda)).ln();
        let mut lw = lpi + m.graph * (lg - lpi);
        if use_head && m.head != 0.0 {
            lw += m.head * (s.head_node[c].max(1e-30).ln() - hu - lpi);
        }
        s.logw.push(lw);
    }
}

/// Soft label of one contig (see the module doc, step 3): the product down the
/// tree of per-rank conditionals that pool the neighbour vote, the head and
/// the prior. `out` is one row in `tree.leaves` order.
fn teacher_row(
    tree: &LabelTree,
    targets: &[Option<usize>],
    nbrs: &[(u32, f32)],
    mix: &RankMixes,
    head_row: Option<&[f32]>,
    s: &mut Scratch,
    out: &mut [f32],
) {
    add_votes(tree, targets, nbrs, s);
    let use_head = head_row.is_some() && mix.iter().any(|m| m.head != 0.0);
    if let (true, Some(hr)) = (use_head, head_row) {
        let np = tree.node_probs(hr);
        s.head_node.copy_from_slice(&np);
    }
    s.mass[0] = 1.0;
    // parents have smaller indices than their children
    for u in 0..tree.nodes.len() {
        let ch = tree.children(u);
        if ch.is_empty() {
            continue;
        }
        let mu = s.mass[u];
        if ch.len() == 1 {
            s.mass[ch[0]] = mu;
            continue;
        }
        let d = (tree.nodes[u].depth).min(6);
        child_logw(tree, u, &mix[d], use_head, s);
        let mx = s.logw.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let z: f32 = s.logw.iter().map(|w| (w - mx).exp()).sum();
        for (k, &c) in ch.iter().enumerate() {
            s.mass[c] = mu * (s.logw[k] - mx).exp() / z;
        }
    }
    for (col, &leaf) in tree.leaves.iter().enumerate() {
        out[col] = s.mass[leaf];
    }
    let z: f32 = out.iter().sum();
    if z > 0.0 {
        out.iter_mut().for_each(|v| *v /= z);
    }
}

/// Soft labels of `rows` (neighbours `nbrs[r]` of row `rows[r]`, the first `k` used).
fn teacher_rows(
    tree: &LabelTree,
    targets: &[Option<usize>],
    rows: &[usize],
    nbrs: &[Vec<(u32, f32)>],
    k: usize,
    mix: &RankMixes,
    head: Option<&[f32]>,
) -> Vec<f32> {
    let l = tree.n_leaves();
    let mut out = vec![0f32; rows.len() * l];
    out.par_chunks_mut(l).enumerate().for_each_init(
        || Scratch::new(tree.nodes.len()),
        |s, (r, o)| {
            let nb = &nbrs[r][..k.min(nbrs[r].len())];
            let hr = head.map(|h| &h[rows[r] * l..(rows[r] + 1) * l]);
            teacher_row(tree, targets, nb, mix, hr, s, o);
        },
    );
    out
}

/// The inputs of one held-out conditional: a labelled contig, the depth-d
/// ancestor `u` of its label and the child of `u` on the label's path.
struct CondRecord {
    /// Depth of `u` (0 = root): the rank index of the children.
    depth: usize,
    /// Per child of `u`: (π_c, vote_c, ln h_c − ln h_u).
    children: Vec<(f32, f32, f32)>,
    /// Position of the label's child among `children`.
    star: usize,
}

/// Held-out conditionals of the query contigs (their own labels, never their
/// neighbours' of themselves: a contig is not its own neighbour).
#[allow(clippy::too_many_arguments)]
fn cond_records(
    tree: &LabelTree,
    targets: &[Option<usize>],
    queries: &[usize],
    q_targets: &[Option<usize>],
    nbrs: &[Vec<(u32, f32)>],
    k: usize,
    head: Option<&[f32]>,
) -> Vec<CondRecord> {
    let l = tree.n_leaves();
    queries
        .par_iter()
        .enumerate()
        .map_init(
            || Scratch::new(tree.nodes.len()),
            |s, (r, &qi)| {
                let Some(v) = q_targets[r] else {
                    return Vec::new();
                };
                add_votes(tree, targets, &nbrs[r][..k.min(nbrs[r].len())], s);
                if let Some(h) = head {
                    let np = tree.node_probs(&h[qi * l..(qi + 1) * l]);
                    s.head_node.copy_from_slice(&np);
                }
                let mut path = Vec::new();
                let mut x = Some(v);
                while let Some(u) = x {
                    path.push(u);
                    x = tree.nodes[u].parent;
                }
                path.reverse(); // root … label
                let mut recs = Vec::new();
                for w in path.windows(2) {
                    let (u, c_star) = (w[0], w[1]);
                    let ch = tree.children(u);
                    if ch.len() < 2 {
                        continue;
                    }
                    let nl_u = tree.leaves_under(u).len() as f32;
                    let hu = s.head_node[u].max(1e-30).ln();
                    let children = ch
                        .iter()
                        .map(|&c| {
                            let lh = if head.is_some() {
                                s.head_node[c].max(1e-30).ln() - hu
                            } else {
                                0.0
                            };
                            (tree.leaves_under(c).len() as f32 / nl_u, s.vote[c], lh)
                        })
                        .collect();
                    recs.push(CondRecord {
                        depth: tree.nodes[u].depth.min(6),
                        children,
                        star: ch.iter().position(|&c| c == c_star).expect("path child"),
                    });
                }
                recs
            },
        )
        .flatten()
        .collect()
}

/// Summed held-out NLL of the records of one depth under `m`.
fn cond_nll(recs: &[&CondRecord], m: &RankMix, logw: &mut Vec<f32>) -> f64 {
    let lambda = m.lambda.max(1e-6);
    let mut total = 0f64;
    for r in recs {
        let vsum: f32 = r.children.iter().map(|c| c.1).sum();
        logw.clear();
        for &(pi, v, lh) in &r.children {
            let lpi = pi.ln();
            let lg = ((v + lambda * pi) / (vsum + lambda)).ln();
            logw.push(lpi + m.graph * (lg - lpi) + m.head * (lh - lpi));
        }
        let mx = logw.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let z: f32 = logw.iter().map(|w| (w - mx).exp()).sum();
        total += (mx + z.ln() - logw[r.star]) as f64;
    }
    total
}

/// Per depth, the [`RankMix`] on the grid with the smallest held-out NLL, and
/// the summed NLL of all records at those choices. `heads` false pins b = 0.
fn fit_mixes(
    recs: &[CondRecord],
    cfg: &GraphTeacherConfig,
    heads: bool,
) -> (RankMixes, f64, Vec<serde_json::Value>) {
    let mut mixes = [RankMix::default(); 7];
    let mut total = 0f64;
    let mut report = Vec::new();
    let head_grid: Vec<f32> = if heads {
        cfg.head_weight_grid.clone()
    } else {
        vec![0.0]
    };
    let mut grid = Vec::new();
    for &lambda in &cfg.lambda_grid {
        for &graph in &cfg.graph_weight_grid {
            for &head in &head_grid {
                grid.push(RankMix {
                    lambda,
                    graph,
                    head,
                });
            }
        }
    }
    for (d, mix) in mixes.iter_mut().enumerate() {
        let at: Vec<&CondRecord> = recs.iter().filter(|r| r.depth == d).collect();
        if at.is_empty() {
            continue;
        }
        let best = grid
            .par_iter()
            .map_init(Vec::new, |lw, m| (cond_nll(&at, m, lw), *m))
            .reduce(
                || (f64::INFINITY, RankMix::default()),
                |a, b| if b.0 < a.0 { b } else { a },
            );
        // the prior alone (a = b = 0) is the reference the chosen mix is compared with
        let prior = cond_nll(
            &at,
            &RankMix {
                lambda: 1.0,
                graph: 0.0,
                head: 0.0,
            },
            &mut Vec::new(),
        );
        *mix = best.1;
        total += best.0;
        report.push(serde_json::json!({
            "rank": taxdistill_core::taxonomy::Rank::from_index(d).map(|r| r.name()),
            "n": at.len(),
            "lambda": best.1.lambda,
            "graph": best.1.graph,
            "head": best.1.head,
            "nll": best.0 / at.len() as f64,
            "nll_prior": prior / at.len() as f64,
        }));
    }
    (mixes, total, report)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// Checks the graph teacher's inputs; returns each contig's label target and
/// the usable (labelled, trainable) rows.
fn checked_targets(
    features: &FeatureMatrix,
    labels: &[Lineage],
    tree: &LabelTree,
    train_mask: &[bool],
    cfg: &GraphTeacherConfig,
) -> Result<(Vec<Option<usize>>, Vec<usize>)> {
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
    if cfg.lambda_grid.iter().any(|&x| x <= 0.0 || !x.is_finite())
        || cfg.lambda_grid.is_empty()
        || cfg.graph_weight_grid.is_empty()
        || cfg.head_weight_grid.is_empty()
        || cfg.k_grid.is_empty()
    {
        return Err(Error::Invalid(
            "graph teacher: the λ grid must be positive and no grid may be empty".into(),
        ));
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
    Ok((targets, usable))
}

/// The block weights (index into `weights`) and k whose graph alone gives
/// the selection queries the lowest held-out NLL, with the grid of every
/// candidate for the report.
fn select_graph(
    tree: &LabelTree,
    targets: &[Option<usize>],
    queries: &[usize],
    q_targets: &[Option<usize>],
    sel: &[Neighbours],
    weights: &[Vec<f32>],
    cfg: &GraphTeacherConfig,
) -> (Vec<serde_json::Value>, usize, usize) {
    let kmax = cfg.k_grid.iter().copied().max().unwrap_or(10).max(1);
    let mut grid = Vec::new();
    let mut best = (f64::INFINITY, 0usize, kmax);
    for (wi, nb) in sel.iter().enumerate() {
        for &k in &cfg.k_grid {
            let recs = cond_records(tree, targets, queries, q_targets, nb, k, None);
            let (_, nll, _) = fit_mixes(&recs, cfg, false);
            let nll = nll / queries.len() as f64;
            grid.push(serde_json::json!({"weights": weights[wi], "k": k, "nll": nll}));
            if nll < best.0 {
                best = (nll, wi, k);
            }
        }
    }
    let (_, wi, k) = best;
    (grid, wi, k)
}

/// The final graph: every contig's k neighbours under the chosen weights,
/// exact up to `cfg.exact_knn_max_contigs` contigs, HNSW above (natively),
/// with a report of the approximate search's recall on the selection
/// queries, whose exact lists `sel` are the reference.
#[allow(clippy::too_many_arguments)]
fn all_neighbours(
    knn: &Knn,
    n: usize,
    queries: &[usize],
    sel: &Neighbours,
    weights: &[f32],
    k: usize,
    cfg: &GraphTeacherConfig,
    dev: &Device,
) -> Result<(Neighbours, Option<serde_json::Value>)> {
    let all: Vec<usize> = (0..n).collect();
    let mut knn_report = None;
    #[cfg(not(target_arch = "wasm32"))]
    let ann = (n > cfg.exact_knn_max_contigs)
        .then(|| knn.ann_neighbours(&all, weights, k, cfg.seed ^ 0xa11));
    #[cfg(target_arch = "wasm32")]
    let ann: Option<crate::knn::Neighbours> = None;
    let nbrs = match ann {
        Some(nbrs) => {
            // the selection queries' exact lists (kmax ≥ k) are the reference
            let approx: Vec<Vec<(u32, f32)>> = queries.iter().map(|&q| nbrs[q].clone()).collect();
            #[cfg(not(target_arch = "wasm32"))]
            let recall = crate::ann::recall_at_k(&approx, sel, k);
            #[cfg(target_arch = "wasm32")]
            let recall = {
                let _ = sel;
                f64::NAN
            };
            knn_report = Some(serde_json::json!({
                "search": "hnsw",
                "exact_knn_max_contigs": cfg.exact_knn_max_contigs,
                "recall_at_k": recall,
                "recall_queries": approx.len(),
            }));
            nbrs
        }
        None => knn
            .neighbours(&all, &[weights.to_vec()], k, dev)?
            .pop()
            .expect("one weight vector"),
    };
    Ok((nbrs, knn_report))
}

/// The heads' input: the features, with the extra columns (embeddings)
/// appended to each row when given; returns it with its width.
fn head_input(features: &FeatureMatrix, extra: Option<(&[f32], usize)>) -> (Vec<f32>, usize) {
    match extra {
        Some((e, de)) => {
            let c = features.n_cols();
            let mut x = Vec::with_capacity(features.n_rows() * (c + de));
            for i in 0..features.n_rows() {
                x.extend_from_slice(features.row(i));
                x.extend_from_slice(&e[i * de..(i + 1) * de]);
            }
            (x, c + de)
        }
        None => (features.data.clone(), features.n_cols()),
    }
}

/// The open-set rule's evidence: the graph, and how far down the tree the
/// heads' predictions (`walks` of their raw held-out probabilities) carry
/// over to clades they never saw (`held`).
fn open_set_evidence(
    tree: &LabelTree,
    labels: &[Lineage],
    usable: &[usize],
    held: &[Option<Vec<novel::Walk>>; 7],
    walks: &[novel::Walk],
    nbrs: &Neighbours,
    k: usize,
) -> OpenSetEvidence {
    let gates = novel::gates(tree, labels, usable, held, walks);
    OpenSetEvidence {
        neighbours: neighbour_table(nbrs, k),
        vouched: novel::vouched(walks, &gates),
        gates,
    }
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
    let (targets, usable) = checked_targets(features, labels, tree, train_mask, cfg)?;
    let mut timings = std::collections::BTreeMap::new();
    let dev = Device::Cpu;

    // per-contig head (cross-fitted), on the same features (+ extra)
    let t = Instant::now();
    let head_input = || head_input(features, extra);
    let hc = HeadConfig {
        seed: cfg.seed,
        ..cfg.heads.clone()
    };
    // the heads' raw held-out probabilities also decide the open-set rule's
    // vouched lineages (crate::novel), calibrated as its gates were; only
    // their walks are kept
    let (head, mut gate_walks) = if cfg.use_heads {
        let (x, d) = head_input();
        let raw = crossfit_raw(&x, d, labels, tree, train_mask, &hc)?;
        let head = calibrated(tree, labels, &raw, &hc);
        (
            Some(head),
            cfg.open_set.then(|| novel::walks(tree, &raw.probs)),
        )
    } else {
        (None, None)
    };
    let head_probs = head.as_ref().map(|h| h.probs.as_slice());
    timings.insert("heads".to_string(), ms(t));

    let (fit, score) = halves(&targets, train_mask, cfg.seed);
    let queries = selection_queries(&usable, cfg);
    let q_targets: Vec<Option<usize>> = queries.iter().map(|&i| targets[i]).collect();

    // kNN; block weights and k by the held-out NLL of the graph alone, each
    // rank at its own best (λ, a)
    let t = Instant::now();
    let blocks = build_blocks(features, extra)?;
    let block_names: Vec<&str> = blocks.names.clone();
    let weights = simplex(blocks.data.len(), cfg.weight_step);
    let cand_rows: Vec<usize> = (0..n).filter(|&i| train_mask[i]).collect();
    let knn = Knn::new(blocks, cand_rows, &dev)?;
    let kmax = cfg.k_grid.iter().copied().max().unwrap_or(10).max(1);
    let sel = knn.neighbours(&queries, &weights, kmax, &dev)?;
    let (grid, wi, k) = select_graph(tree, &targets, &queries, &q_targets, &sel, &weights, cfg);
    timings.insert("select_graph".to_string(), ms(t));

    // per-rank pooling of graph, head and prior on the fitting half of the queries
    let t = Instant::now();
    let fit_q = fitting_queries(&queries, &fit);
    let recs = cond_records(
        tree,
        &targets,
        &fit_q.iter().map(|&r| queries[r]).collect::<Vec<_>>(),
        &fit_q.iter().map(|&r| q_targets[r]).collect::<Vec<_>>(),
        &fit_q
            .iter()
            .map(|&r| sel[wi][r].clone())
            .collect::<Vec<_>>(),
        k,
        head_probs,
    );
    let (graph_mix, _, graph_mix_report) = fit_mixes(&recs, cfg, false);
    let (mix, _, mix_report) = fit_mixes(&recs, cfg, head_probs.is_some());
    timings.insert("fit_ranks".to_string(), ms(t));

    // the teacher for every contig
    let t = Instant::now();
    let all: Vec<usize> = (0..n).collect();
    let (nbrs, knn_report) =
        all_neighbours(&knn, n, &queries, &sel[wi], &weights[wi], k, cfg, &dev)?;
    timings.insert("knn".to_string(), ms(t));
    let t = Instant::now();
    let probs = teacher_rows(tree, &targets, &all, &nbrs, k, &mix, head_probs);
    // ablation on the scoring half: graph alone, head alone
    let graph_only = if head_probs.is_some() {
        let g = teacher_rows(tree, &targets, &all, &nbrs, k, &graph_mix, None);
        rank_scores(tree, &g, &score).0
    } else {
        rank_scores(tree, &probs, &score).0
    };
    let head_only = head.as_ref().map(|h| rank_scores(tree, &h.probs, &score).0);
    timings.insert("propagate".to_string(), ms(t));

    // the open-set rule's evidence: the graph, and how far down the tree the
    // heads' predictions carry over to clades they never saw
    let t = Instant::now();
    let open_set = if cfg.open_set {
        let (x, d) = head_input();
        let held = novel::clade_held_out(&x, d, labels, tree, train_mask, &hc)?;
        let walks = match gate_walks.take() {
            Some(w) => w,
            None => novel::walks(
                tree,
                &crossfit_raw(&x, d, labels, tree, train_mask, &hc)?.probs,
            ),
        };
        Some(open_set_evidence(
            tree, labels, &usable, &held, &walks, &nbrs, k,
        ))
    } else {
        None
    };
    timings.insert("open_set".to_string(), ms(t));

    let mut report = TeacherReport {
        teacher: "graph".into(),
        n_contigs: n,
        n_labelled: usable.len(),
        n_leaves: l,
        chosen: serde_json::json!({
            "blocks": block_names,
            "block_weights": weights[wi],
            "k": k,
            "per_rank": mix_report,
            "per_rank_graph_only": graph_mix_report,
            "selection_queries": queries.len(),
            "graph_grid": grid,
            "heldout_graph_only": graph_only,
            "heldout_head_only": head_only,
            "open_set_gates": open_set.as_ref().map(|o| o.gates),
            "head_report": head.as_ref().map(|h| serde_json::json!({
                "temperature": h.report.temperature, "ece_after": h.report.ece_after, "timings": h.report.timings })),
        }),
        ..Default::default()
    };
    // only when the graph is approximate, so exact runs' reports stay as they were
    if let (Some(r), Some(c)) = (knn_report, report.chosen.as_object_mut()) {
        c.insert("knn".to_string(), r);
    }
    let probs = calibrate(tree, &probs, &fit, &score, &mut report);
    timings.insert("total".to_string(), ms(t_all));
    report.timings = timings;
    Ok(TeacherOutput {
        probs,
        report,
        open_set,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim_helpers::{f1s, sim_case, teacher_preds};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use taxdistill_core::features::N_TNF;

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
        // 30 % of each genome's labels name the next genome: held-out labels of a
        // genome agree with its majority only 5/8 of the time
        let acc = species_accuracy(&tree, &out.probs, &truth);
        let ids: Vec<String> = (0..truth.len()).map(|i| i.to_string()).collect();
        let named: Vec<(String, Lineage)> =
            ids.iter().cloned().zip(truth.iter().cloned()).collect();
        let argmax = taxdistill_core::metrics::argmax_accuracy(
            &ids, &tree, &out.probs, &labels, &named,
        )[6]
        .0 as f32;
        let raw =
            labels.iter().zip(&truth).filter(|(a, b)| a == b).count() as f32 / truth.len() as f32;
        assert!(
            argmax > 0.8 && acc > 0.75 && acc > raw + 0.2,
            "teacher argmax {argmax}, walk {acc} vs raw {raw}"
        );
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
        let mut s = Scratch::new(tree.nodes.len());
        let mix = [RankMix {
            lambda: 0.5,
            graph: 1.0,
            head: 0.0,
        }; 7];
        // two disagreeing neighbours at equal distance: genus B likely, species split
        teacher_row(
            &tree,
            &targets,
            &[(0, 1.0), (1, 1.0)],
            &mix,
            None,
            &mut s,
            &mut out,
        );
        let p = taxdistill_core::model::predict_from_leaf_probs(&tree, &out, &[0.5; 7]);
        assert_eq!(p.lineage.0, vec!["A".to_string(), "B".to_string()]);
        // no labelled neighbour: uniform
        teacher_row(&tree, &targets, &[(2, 1.0)], &mix, None, &mut s, &mut out);
        assert!(out.iter().all(|&v| (v - 1.0 / 3.0).abs() < 1e-6));
        // a rank whose votes earned no trust (a = 0) stays flat even with agreeing neighbours
        let mut distrust = mix;
        distrust[2].graph = 0.0; // children of B (depth 2)
        teacher_row(
            &tree,
            &targets,
            &[(0, 1.0), (0, 1.0)],
            &distrust,
            None,
            &mut s,
            &mut out,
        );
        let p = taxdistill_core::model::predict_from_leaf_probs(&tree, &out, &[0.5; 7]);
        assert_eq!(
            p.lineage.0,
            vec!["A".to_string(), "B".to_string()],
            "{out:?}"
        );
        assert!((out[0] - out[1]).abs() < 1e-6);
    }

    #[test]
    fn per_rank_fit_distrusts_a_rank_whose_votes_mislead() {
        // Tree A;B;{C,D} and A;E. At the genus rank (children of A) neighbours
        // agree with held-out labels; at the species rank (children of B) they
        // point to the wrong species half of the time and to nothing better otherwise.
        let ls: Vec<Lineage> = ["A;B;C", "A;B;D", "A;E"]
            .iter()
            .map(|s| Lineage::parse(s).unwrap())
            .collect();
        let tree = LabelTree::from_lineages(ls.iter());
        let (c, d, e) = (
            tree.find(&ls[0]).unwrap(),
            tree.find(&ls[1]).unwrap(),
            tree.find(&ls[2]).unwrap(),
        );
        // rows 0..3 are the voters (labels C, D, E); queries follow
        let mut targets = vec![Some(c), Some(d), Some(e)];
        let mut queries = Vec::new();
        let mut nbrs = Vec::new();
        for i in 0..200 {
            let (own, voter) = match i % 4 {
                0 => (c, 1), // species vote wrong
                1 => (d, 0), // species vote wrong
                2 => (c, 0),
                _ => (e, 2),
            };
            targets.push(Some(own));
            queries.push(targets.len() - 1);
            nbrs.push(vec![(voter as u32, 1.0), (voter as u32, 1.0)]);
        }
        let q_targets: Vec<Option<usize>> = queries.iter().map(|&q| targets[q]).collect();
        let recs = cond_records(&tree, &targets, &queries, &q_targets, &nbrs, 2, None);
        let (mix, _, _) = fit_mixes(&recs, &GraphTeacherConfig::default(), false);
        // mix[d] is for the children of depth-d nodes: [1] = B vs E, [2] = C vs D
        let genus = mix[1];
        let species = mix[2];
        assert!(genus.graph >= 1.0, "genus {genus:?}");
        assert!(species.graph < 0.5, "species {species:?}");
    }

    #[test]
    fn teacher_beats_raw_labels_on_a_small_simulated_community() {
        let cfg = taxdistill_sim::SimConfig {
            genomes: 20,
            contigs: 600,
            samples: 3,
            seed: 7,
            // independent per-contig noise: what the soft labels can correct
            // on their own (the realistic model's novel genomes are the open-set
            // rule's job, tested in core and the CLI tests)
            label_model: taxdistill_sim::LabelModel::Independent,
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

    /// The exact and the approximate lists of every row of a clustered community.
    #[cfg(not(target_arch = "wasm32"))]
    fn exact_and_ann(k: usize) -> (Neighbours, Neighbours) {
        let (f, _, _) = community(600, 5, 0.0, 11);
        let n = f.n_rows();
        let dev = Device::Cpu;
        // every third row is no candidate, as rows outside `train_mask`
        let cand: Vec<usize> = (0..n).filter(|i| i % 3 != 0).collect();
        let knn = Knn::new(build_blocks(&f, None).unwrap(), cand, &dev).unwrap();
        let all: Vec<usize> = (0..n).collect();
        let w = vec![0.5f32, 0.5];
        let exact = knn
            .neighbours(&all, std::slice::from_ref(&w), k, &dev)
            .unwrap()
            .pop()
            .unwrap();
        (exact, knn.ann_neighbours(&all, &w, k, 3))
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn approximate_neighbours_recall_the_exact_ones_in_their_order() {
        let k = 20;
        let (exact, ann) = exact_and_ann(k);
        let recall = crate::ann::recall_at_k(&ann, &exact, k);
        assert!(recall >= 0.95, "recall@{k} = {recall}");
        for (i, (a, e)) in ann.iter().zip(&exact).enumerate() {
            assert_eq!(a.len(), k);
            assert!(
                a.iter().all(|&(j, _)| j as usize != i && j % 3 != 0),
                "row {i}: {a:?}"
            );
            assert!(a
                .windows(2)
                .all(|p| (p[0].1, p[0].0) < (p[1].1, p[1].0) || p[0] == p[1]));
            // the same squared weighted distances, up to the matmul's rounding
            for (j, d) in a {
                if let Some((_, de)) = e.iter().find(|x| x.0 == *j) {
                    assert!(
                        (d - de).abs() <= 1e-4 * de.max(1.0),
                        "row {i} → {j}: {d} vs {de}"
                    );
                }
            }
        }
        // seeded and built on one thread: the same lists every time
        assert_eq!(ann, exact_and_ann(k).1);
    }

    #[test]
    fn small_inputs_keep_exact_search_and_forced_ann_reports_its_recall() {
        let (f, labels, _) = community(60, 3, 0.1, 5);
        let tree = LabelTree::from_lineages(labels.iter());
        let mask = vec![true; f.n_rows()];
        let cfg = GraphTeacherConfig {
            use_heads: false,
            open_set: false,
            ..Default::default()
        };
        let exact = graph_teacher(&f, &labels, &tree, &mask, None, &cfg).unwrap();
        assert!(exact.report.chosen.get("knn").is_none());
        let forced = GraphTeacherConfig {
            exact_knn_max_contigs: usize::MAX,
            ..cfg.clone()
        };
        let same = graph_teacher(&f, &labels, &tree, &mask, None, &forced).unwrap();
        assert_eq!(exact.probs, same.probs);
        #[cfg(not(target_arch = "wasm32"))]
        {
            let ann_cfg = GraphTeacherConfig {
                exact_knn_max_contigs: 0,
                ..cfg
            };
            let ann = graph_teacher(&f, &labels, &tree, &mask, None, &ann_cfg).unwrap();
            let recall = ann.report.chosen["knn"]["recall_at_k"].as_f64().unwrap();
            assert!(recall >= 0.95, "{}", ann.report.chosen["knn"]);
            assert_eq!(ann.probs.len(), exact.probs.len());
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
