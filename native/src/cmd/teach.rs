//! `taxdistill teach`: teacher soft labels for the student.
//!
//! Reads contigs (+ abundances), noisy labels and optionally GenomeOcean
//! embeddings (`--embeddings DIR` from `embed`, or `--genomeocean DIR` to embed
//! now), runs the genome-aware graph teacher (`--teacher graph`, the default
//! without embeddings) or the cross-fitted heads (`--teacher heads`, the
//! default with embeddings), and writes a soft-label file (format in
//! `taxdistill_core::softlabels`) atomically, plus an optional JSON report.

use crate::cmd::distill::InputArgs;
use crate::util;
use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use taxdistill_core::features::FeatureMatrix;
use taxdistill_core::softlabels::SoftLabels;
use taxdistill_core::taxonomy::{LabelTree, Lineage};
use taxdistill_teacher::graph::{
    graph_teacher, GraphTeacherConfig, OpenSetEvidence, TeacherReport,
};
use taxdistill_teacher::heads::{crossfit_heads, HeadConfig};
use taxdistill_teacher::shard::Shard;

/// Which teacher to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TeacherKind {
    /// kNN graph over abundance + composition (+ embeddings), cross-fitted label propagation, mixed with a per-contig head.
    Graph,
    /// Cross-fitted hierarchical heads on the embeddings (or on the features without embeddings).
    Heads,
}

/// Arguments of `taxdistill teach`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// Teacher [default: heads with --embeddings/--genomeocean, graph otherwise].
    #[arg(long, value_enum)]
    pub teacher: Option<TeacherKind>,
    /// Embeddings directory written by `taxdistill embed` (embeddings.safetensors + contigs.txt).
    #[arg(long, conflicts_with = "genomeocean")]
    pub embeddings: Option<PathBuf>,
    /// GenomeOcean model directory (config.json, tokenizer.json,
    /// *.safetensors): embed the contigs first.
    #[arg(long, value_name = "GENOMEOCEAN_DIR")]
    pub genomeocean: Option<PathBuf>,
    /// Windows per forward pass when embedding with --genomeocean.
    #[arg(long, default_value_t = 8)]
    pub batch_size: usize,
    /// Contigs shorter than this are neither neighbours nor training rows (they still get soft labels).
    #[arg(long, default_value_t = 2000)]
    pub min_length: usize,
    /// Read labels that stop above the deepest labelled rank as "somewhere below" (Taxometer)
    /// instead of training the taxon's unresolved leaf; must match `distill`/`run`.
    #[arg(long)]
    pub no_unresolved_leaves: bool,
    /// Seed of folds, head initialisation and query sampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write soft labels only for shard i of n (1-based; contig k goes to shard k mod n + 1).
    /// Features and the graph always cover all contigs.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Store only the k most probable leaves per contig plus the rest mass.
    #[arg(long)]
    pub top_k: Option<usize>,
    /// Output soft-label file (safetensors).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the teacher report (calibration, held-out accuracy, choices, timings) as JSON.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Also write the teacher's own lineage per contig (walk down while the probability is >= 0.5)
    /// as Taxometer TSV, for `taxdistill eval` (the teacher-vs-raw-labels ablation).
    #[arg(long)]
    pub predictions: Option<PathBuf>,
}

fn parse_shard(s: &str) -> std::result::Result<Shard, String> {
    s.parse::<Shard>().map_err(|e| e.to_string())
}

/// Options of [`soft_labels_for`], for callers inside the CLI (`run`).
#[derive(Debug, Clone)]
pub struct TeachOptions {
    pub teacher: TeacherKind,
    pub min_length: usize,
    pub seed: u64,
}

impl Default for TeachOptions {
    fn default() -> Self {
        TeachOptions {
            teacher: TeacherKind::Graph,
            min_length: 2000,
            seed: 0,
        }
    }
}

/// Soft labels for every row of `features` (tree = `LabelTree::from_lineages(labels)`).
///
/// `labels` are aligned to the feature rows; `extra` = optional embeddings
/// (n × d, rows aligned; zero rows for contigs without one). Returns the soft
/// labels (all contigs, `tree.leaves` column order) and the teacher report.
///
/// # Errors
/// Fewer than two labelled contigs of at least `min_length`, fewer than two
/// leaves, inconsistent sizes.
pub fn soft_labels_for(
    features: &FeatureMatrix,
    labels: &[Lineage],
    tree: &LabelTree,
    extra: Option<(&[f32], usize)>,
    has_extra: Option<&[bool]>,
    opts: &TeachOptions,
) -> Result<(SoftLabels, TeacherReport, Option<OpenSetEvidence>)> {
    let n = features.n_rows();
    let train_mask: Vec<bool> = (0..n)
        .map(|i| features.lengths[i] >= opts.min_length && has_extra.is_none_or(|h| h[i]))
        .collect();
    let out = match opts.teacher {
        TeacherKind::Graph => {
            let cfg = GraphTeacherConfig {
                seed: opts.seed,
                ..Default::default()
            };
            graph_teacher(features, labels, tree, &train_mask, extra, &cfg)
                .context("graph teacher")?
        }
        TeacherKind::Heads => {
            let cfg = HeadConfig {
                seed: opts.seed,
                ..Default::default()
            };
            let r = match extra {
                Some((e, d)) => crossfit_heads(e, d, labels, tree, &train_mask, &cfg),
                None => crossfit_heads(
                    &features.data,
                    features.n_cols(),
                    labels,
                    tree,
                    &train_mask,
                    &cfg,
                ),
            };
            r.context("teacher heads")?
        }
    };
    let report = out.report;
    let open_set = out.open_set;
    let soft = SoftLabels {
        contigs: features.ids.clone(),
        leaves: tree.leaves.iter().map(|&v| tree.lineage(v)).collect(),
        probs: out.probs,
        meta: serde_json::json!({
            "teacher": report.teacher,
            "seed": opts.seed,
            "min_length": opts.min_length,
            "temperature": report.temperature,
            "ece_after": report.ece_after,
        }),
    };
    Ok((soft, report, open_set))
}

/// Embeddings aligned to `ids`: (n × d values, d, whether each contig has a row).
fn read_embeddings(dir: &Path, ids: &[String]) -> Result<(Vec<f32>, usize, Vec<bool>)> {
    let st_path = dir.join("embeddings.safetensors");
    let ids_path = dir.join("contigs.txt");
    let bytes =
        std::fs::read(&st_path).with_context(|| format!("{}: cannot read", st_path.display()))?;
    let (shape, data) =
        taxdistill_core::model::read_f32_tensor(&bytes, "embeddings", &util::name(&st_path))?;
    let text = std::fs::read_to_string(&ids_path)
        .with_context(|| format!("{}: cannot read", ids_path.display()))?;
    let names: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if shape.len() != 2 || shape[0] != names.len() {
        bail!(
            "{}: embeddings have shape {:?} but {} lists {} contigs",
            st_path.display(),
            shape,
            ids_path.display(),
            names.len()
        );
    }
    let d = shape[1];
    let pos: HashMap<&str, usize> = names.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let mut out = vec![0f32; ids.len() * d];
    let mut has = vec![false; ids.len()];
    for (i, id) in ids.iter().enumerate() {
        if let Some(&r) = pos.get(id.as_str()) {
            let row = &data[r * d..(r + 1) * d];
            out[i * d..(i + 1) * d].copy_from_slice(row);
            // `embed` writes a zero row for a contig without A/C/G/T: no embedding
            has[i] = row.iter().any(|&v| v != 0.0);
        }
    }
    let missing = has.iter().filter(|h| !**h).count();
    if missing == ids.len() {
        bail!(
            "{}: no contig of the FASTA has an embedding (absent, or a zero row for a contig without A/C/G/T)",
            ids_path.display()
        );
    }
    if missing > 0 {
        tracing::warn!("{missing} contig(s) have no embedding in {} (absent or a zero row); they are neither neighbours nor training rows", dir.display());
    }
    Ok((out, d, has))
}

pub fn run(args: Args) -> Result<()> {
    let t0 = std::time::Instant::now();
    let (features, lineages) = args.input.load(args.min_length, false)?;
    // the same training labels and tree as `distill`/`run`, so the soft labels fit the student
    let lineages = crate::cmd::distill::training_labels(
        &lineages,
        &features.lengths,
        args.min_length,
        !args.no_unresolved_leaves,
    );
    let tree = crate::cmd::distill::label_tree(
        &lineages,
        &features.lengths,
        args.min_length,
        &args.input.labels,
    )?;
    let embeddings = if let Some(dir) = &args.embeddings {
        Some(read_embeddings(dir, &features.ids)?)
    } else if let Some(dir) = &args.genomeocean {
        Some(crate::cmd::run::embed(
            dir,
            &args.input.contigs,
            &features.ids,
            args.batch_size,
        )?)
    } else {
        None
    };
    let teacher = args.teacher.unwrap_or(if embeddings.is_some() {
        TeacherKind::Heads
    } else {
        TeacherKind::Graph
    });
    let opts = TeachOptions {
        teacher,
        min_length: args.min_length,
        seed: args.seed,
    };
    let pb = util::spinner("teaching");
    let (mut soft, report, _) = soft_labels_for(
        &features,
        &lineages,
        &tree,
        embeddings.as_ref().map(|(e, d, _)| (e.as_slice(), *d)),
        embeddings.as_ref().map(|(_, _, h)| h.as_slice()),
        &opts,
    )?;
    pb.finish_and_clear();
    let total = soft.contigs.len();
    if let Some(shard) = args.shard {
        let l = soft.n_leaves();
        let items = shard.items(total);
        soft.probs = items
            .iter()
            .flat_map(|&i| soft.probs[i * l..(i + 1) * l].to_vec())
            .collect();
        soft.contigs = items.iter().map(|&i| soft.contigs[i].clone()).collect();
        // what `taxdistill merge` reads to join soft-label shards
        soft.meta["shard"] = serde_json::json!(shard.to_string());
        soft.meta["total"] = serde_json::json!(total);
    }
    let bytes = soft.to_bytes(args.top_k)?;
    util::write_atomic(&args.out, |w| Ok(w.write_all(&bytes)?))?;
    if let Some(p) = &args.predictions {
        let l = soft.n_leaves();
        let rows: Vec<(String, Option<taxdistill_core::model::Prediction>)> = soft
            .contigs
            .iter()
            .enumerate()
            .map(|(r, id)| {
                let pred = taxdistill_core::model::predict_from_leaf_probs(
                    &tree,
                    &soft.probs[r * l..(r + 1) * l],
                    &[0.5; 7],
                );
                (id.clone(), Some(pred))
            })
            .collect();
        util::write_atomic(p, |w| {
            Ok(taxdistill_core::writers::write_taxometer(w, &rows)?)
        })?;
    }
    if let Some(p) = &args.report {
        let json = serde_json::to_vec_pretty(&report)?;
        util::write_atomic(p, |w| Ok(w.write_all(&json)?))?;
    }
    tracing::info!(
        "teacher {:?}: {} contigs × {} leaves, held-out ECE {:.3} → {:.3} (T = {:.2}), {:.1} s",
        teacher,
        soft.contigs.len(),
        soft.n_leaves(),
        report.ece_before,
        report.ece_after,
        report.temperature,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
