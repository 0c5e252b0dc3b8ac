//! `taxdistill teach`: teacher soft labels for the student.
//!
//! Reads contigs (+ abundances), noisy labels and optionally GenomeOcean
//! embeddings (`--embeddings DIR` from `embed`, or `--genomeocean DIR` to embed
//! now), runs the genome-aware graph teacher (`--teacher graph`, the default
//! without embeddings) or the cross-fitted heads (`--teacher heads`, the
//! default with embeddings) through the pipeline
//! ([`taxdistill_pipeline::teach`]), and writes a soft-label file (format in
//! `taxdistill_core::softlabels`) atomically, plus an optional JSON report.

use crate::args::{parse_shard, InputArgs, KnnArgs};
use crate::inputs::{embed, read_embeddings};
use crate::outputs::write_teacher_predictions;
use crate::util::{self, Bars};
use anyhow::Result;
use std::path::PathBuf;
use taxdistill_pipeline::load::{label_tree, training_labels};
use taxdistill_pipeline::teach::{keep_shard, teach, TeachOptions, TeacherKind};
use taxdistill_teacher::shard::Shard;

/// Which teacher to run (the pipeline's [`TeacherKind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TeacherArg {
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
    pub teacher: Option<TeacherArg>,
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
    #[command(flatten)]
    pub knn: KnnArgs,
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

pub fn run(args: Args) -> Result<()> {
    let t0 = std::time::Instant::now();
    let loaded = args.input.load(args.min_length, false)?;
    let features = &loaded.features;
    // the same training labels and tree as `distill`/`run`, so the soft labels fit the student
    let lineages = training_labels(
        &loaded.labels.lineages,
        &features.lengths,
        args.min_length,
        !args.no_unresolved_leaves,
    );
    let labels_name = util::name(&args.input.labels);
    let tree = label_tree(&lineages, &features.lengths, args.min_length, &labels_name)?;
    let embeddings = if let Some(dir) = &args.embeddings {
        Some(read_embeddings(dir, &features.ids)?)
    } else if let Some(dir) = &args.genomeocean {
        Some(embed(
            dir,
            &args.input.contigs,
            &features.ids,
            args.batch_size,
        )?)
    } else {
        None
    };
    let teacher = match args.teacher {
        Some(TeacherArg::Graph) => TeacherKind::Graph,
        Some(TeacherArg::Heads) => TeacherKind::Heads,
        None if embeddings.is_some() => TeacherKind::Heads,
        None => TeacherKind::Graph,
    };
    let opts = TeachOptions {
        teacher,
        min_length: args.min_length,
        seed: args.seed,
        exact_knn_max_contigs: args.knn.exact_knn_max_contigs,
    };
    let bars = Bars::default();
    let taught = teach(
        features,
        &lineages,
        &tree,
        embeddings.as_ref(),
        &opts,
        &bars,
    )?;
    let (mut soft, report) = (taught.soft, taught.report);
    if let Some(shard) = args.shard {
        keep_shard(&mut soft, shard);
    }
    let bytes = soft.to_bytes(args.top_k)?;
    util::write_atomic(&args.out, |w| Ok(w.write_all(&bytes)?))?;
    if let Some(p) = &args.predictions {
        write_teacher_predictions(p, &soft, &tree)?;
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
