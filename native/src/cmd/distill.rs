//! `taxdistill distill`: train the student on noisy labels (plain
//! Taxometer-equivalent training) or distil a teacher's soft labels into it,
//! and write the model directory (`model.safetensors` + `model.json`)
//! atomically. Also holds the loaders shared with `annotate` and `run`.

use crate::util;
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use taxdistill_core::features::{build_features_with, FeatureMatrix, FeatureOptions};
use taxdistill_core::labels::LabelFormat;
use taxdistill_core::model::{ModelMeta, FORMAT_VERSION};
use taxdistill_core::softlabels::SoftLabels;
use taxdistill_core::taxonomy::{LabelTree, Lineage};
use taxdistill_train::{TrainConfig, TrainInput, TrainReport};

/// One contig's teacher distribution as (leaf column, probability) pairs; `None` = no soft label.
pub type SparseSoftRow = Option<Vec<(usize, f32)>>;
/// Soft labels of every contig, aligned to the feature rows.
pub type SparseSoftRows = Vec<SparseSoftRow>;

/// Arguments of `taxdistill distill`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  taxdistill distill --contigs contigs.fna.gz --abundance abundance.tsv --labels labels.tsv --out model/
  taxdistill distill --contigs contigs.fna.gz --abundance abundance.tsv --labels mmseqs.tsv \\
      --soft-labels soft.safetensors --alpha 0.3 --temperature 4 --out model/
  taxdistill distill --contigs contigs.fna.gz --labels labels.tsv --no-abundance --out model-tnf/")]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// Teacher soft labels (from `taxdistill teach`); without them the student learns from the labels alone.
    #[arg(long, value_name = "FILE")]
    pub soft_labels: Option<PathBuf>,
    #[command(flatten)]
    pub train: TrainArgs,
    /// Output model directory (model.safetensors + model.json), replaced atomically.
    #[arg(long, value_name = "MODEL_DIR")]
    pub out: PathBuf,
}

/// The inputs of the commands that learn from noisy labels (`distill`, `run`, `teach`).
#[derive(clap::Args, Debug, Clone)]
pub struct InputArgs {
    /// Contigs (FASTA, optionally compressed).
    #[arg(long, value_name = "FASTA")]
    pub contigs: PathBuf,
    /// Per-sample abundances (vamb abundance.tsv, strobealign --aemb, MetaBAT/CoverM depth).
    #[arg(long, value_name = "FILE")]
    pub abundance: Option<PathBuf>,
    /// Noisy labels (Taxometer TSV, MMseqs2, Kraken2, Metabuli, Centrifuge, CAMI).
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// Label format (taxometer, mmseqs2, kraken2, metabuli, centrifuge, cami); detected when omitted.
    #[arg(long, value_name = "F")]
    pub format: Option<String>,
    /// NCBI taxdump directory (nodes.dmp, names.dmp[, merged.dmp]) for taxid-only label formats (and taxids in the outputs).
    #[arg(long, value_name = "DIR")]
    pub taxonomy: Option<PathBuf>,
}

impl InputArgs {
    /// The features (without abundances when `no_abundance`) and the noisy
    /// labels aligned to their rows.
    pub fn load(
        &self,
        min_length: usize,
        no_abundance: bool,
    ) -> Result<(FeatureMatrix, Vec<Lineage>)> {
        let (features, lineages, _) = self.load_with_support(min_length, no_abundance)?;
        Ok((features, lineages))
    }

    /// [`InputArgs::load`], with each label's reference support (see
    /// [`load_labels_with_support`]).
    pub fn load_with_support(
        &self,
        min_length: usize,
        no_abundance: bool,
    ) -> Result<(FeatureMatrix, Vec<Lineage>, Vec<Option<f32>>)> {
        let abundance = if no_abundance {
            None
        } else {
            self.abundance.as_deref()
        };
        let features = load_features(&self.contigs, abundance, min_length)?;
        let (lineages, support) = load_labels_with_support(
            &self.labels,
            self.format.as_deref(),
            self.taxonomy.as_deref(),
            &features.ids,
            &self.contigs,
        )?;
        Ok((features, lineages, support))
    }
}

/// Training options shared by `distill` and `run`.
#[derive(clap::Args, Debug, Clone)]
pub struct TrainArgs {
    /// Weight of the hierarchical loss on the noisy labels; 1 − alpha weighs the teacher.
    #[arg(long, default_value_t = 0.3)]
    pub alpha: f32,
    /// Distillation temperature.
    #[arg(long, default_value_t = 4.0)]
    pub temperature: f32,
    /// Weight each contig's distillation term by the teacher's confidence (1 − normalised entropy).
    #[arg(long)]
    pub confidence_weighting: bool,
    /// Train on TNF only (ignore abundances), e.g. for FASTA-only use in the browser.
    #[arg(long)]
    pub no_abundance: bool,
    /// Contigs shorter than this (bp) are not trained on and not annotated.
    #[arg(long, default_value_t = 2000, value_name = "BP")]
    pub min_length: usize,
    /// Seed of initialisation, hold-out split, shuffles and dropout.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Maximum epochs (early stopping on the held-out labels usually ends sooner);
    /// scaled up with --patience when they would be fewer than --min-steps
    /// optimizer steps.
    #[arg(long, default_value_t = 60)]
    pub epochs: usize,
    /// Epochs without held-out improvement before stopping.
    #[arg(long, default_value_t = 6)]
    pub patience: usize,
    /// Fewest optimizer steps to plan for: when --epochs epochs are fewer
    /// steps (an epoch of one or two batches: small inputs, mostly short
    /// contigs), --epochs and --patience are multiplied by the same whole
    /// factor until they are not; 0 keeps them as given.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub min_steps: usize,
    /// Peak learning rate (AdamW, cosine schedule).
    #[arg(long, default_value_t = 2e-3)]
    pub lr: f64,
    /// Mini-batch size.
    #[arg(long, default_value_t = 1024)]
    pub batch_size: usize,
    /// Fraction of labelled contigs held out for early stopping and threshold calibration.
    #[arg(long, default_value_t = 0.1)]
    pub holdout: f64,
    /// Use one fixed threshold for every rank instead of calibrating per rank.
    #[arg(long, value_name = "X")]
    pub fixed_threshold: Option<f32>,
    /// Hidden layer widths of the student, one per layer (Taxometer: 512,512,512,512;
    /// e.g. 128,128 for a small model to ship in a web page).
    #[arg(long, value_name = "W[,W…]", value_delimiter = ',', default_value = "512,512,512,512", value_parser = parse_width)]
    pub hidden: Vec<usize>,
    /// Read a label that stops above the deepest labelled rank as Taxometer does ("somewhere
    /// below"). By default such a label trains an unresolved leaf under its taxon ("a deeper
    /// taxon the reference lacks"), so contigs of taxa missing from the reference stop where
    /// their labels stop instead of landing on a known relative.
    #[arg(long)]
    pub no_unresolved_leaves: bool,
}

/// One `--hidden` width: a whole number of at least 1.
fn parse_width(s: &str) -> std::result::Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(w) if w > 0 => Ok(w),
        _ => Err(format!(
            "'{s}' is not a layer width (a whole number of at least 1)"
        )),
    }
}

impl TrainArgs {
    /// The training configuration these flags describe.
    pub fn config(&self) -> TrainConfig {
        TrainConfig {
            alpha: self.alpha,
            temperature: self.temperature,
            confidence_weighting: self.confidence_weighting,
            seed: self.seed,
            max_epochs: self.epochs,
            patience: self.patience,
            min_steps: self.min_steps,
            lr: self.lr,
            batch_size: self.batch_size,
            holdout_fraction: self.holdout,
            default_threshold: self.fixed_threshold.unwrap_or(0.5),
            calibrate: self.fixed_threshold.is_none(),
            hidden: self.hidden.clone(),
            ..TrainConfig::default()
        }
    }
}

/// Features of a FASTA (+ abundances): rows in FASTA order, contigs shorter
/// than `min_length` kept as rows but left out of the normalisation statistics.
pub fn load_features(
    contigs: &Path,
    abundance: Option<&Path>,
    min_length: usize,
) -> Result<FeatureMatrix> {
    let pb = util::spinner("reading contigs");
    let seqs =
        taxdistill_core::fasta::read_contigs(util::open_text(contigs)?, &util::name(contigs))
            .with_context(|| format!("reading {}", contigs.display()))?;
    pb.finish_and_clear();
    let ab = match abundance {
        Some(p) => Some(
            taxdistill_core::abundance::read_abundance(util::open_text(p)?, &util::name(p))
                .with_context(|| format!("reading abundances from {}", p.display()))?,
        ),
        None => None,
    };
    let pb = util::spinner("features");
    let m = build_features_with(&seqs, ab.as_ref(), &FeatureOptions { min_length })
        .with_context(|| format!("features of {}", contigs.display()))?;
    pb.finish_and_clear();
    Ok(m)
}

/// Labels aligned to `ids` (missing = unclassified); warns about labelled
/// contigs absent from the FASTA.
pub fn load_labels(
    path: &Path,
    format: Option<&str>,
    taxonomy: Option<&Path>,
    ids: &[String],
    fasta: &Path,
) -> Result<Vec<Lineage>> {
    Ok(load_labels_with_support(path, format, taxonomy, ids, fasta)?.0)
}

/// [`load_labels`], with the classifier's reference support of each label
/// where the format carries one ([`taxdistill_core::labels::Labels::support`]).
pub fn load_labels_with_support(
    path: &Path,
    format: Option<&str>,
    taxonomy: Option<&Path>,
    ids: &[String],
    fasta: &Path,
) -> Result<(Vec<Lineage>, Vec<Option<f32>>)> {
    let format = format.map(|f| f.parse::<LabelFormat>()).transpose()?;
    let taxdump = taxonomy.map(util::load_taxdump).transpose()?;
    let labels = taxdistill_core::labels::read_labels(
        util::open_text(path)?,
        &util::name(path),
        format,
        taxdump.as_ref(),
    )
    .with_context(|| format!("reading labels from {}", path.display()))?;
    for w in &labels.warnings {
        tracing::warn!("{w}");
    }
    let (lineages, extra) = labels.aligned_to(ids);
    if extra > 0 {
        tracing::warn!(
            "{}: {extra} labelled contig(s) are absent from {}; ignored",
            path.display(),
            fasta.display()
        );
        eprintln!(
            "warning: {}: {extra} labelled contig(s) are absent from {}; ignored",
            path.display(),
            fasta.display()
        );
    }
    let support = labels.support_aligned_to(ids);
    Ok((lineages, support))
}

/// The labels the teacher and the student learn from, aligned to the feature
/// rows: with unresolved leaves
/// ([`taxdistill_core::taxonomy::with_unresolved_leaves`], decided on the
/// contigs of at least `min_length` bp) when `unresolved`, else as given.
pub fn training_labels(
    lineages: &[Lineage],
    lengths: &[usize],
    min_length: usize,
    unresolved: bool,
) -> Vec<Lineage> {
    if !unresolved {
        return lineages.to_vec();
    }
    let usable: Vec<bool> = lengths.iter().map(|&n| n >= min_length).collect();
    taxdistill_core::taxonomy::with_unresolved_leaves(lineages, &usable)
}

impl TrainArgs {
    /// [`training_labels`] with these options.
    pub fn training_labels(&self, lineages: &[Lineage], lengths: &[usize]) -> Vec<Lineage> {
        training_labels(
            lineages,
            lengths,
            self.min_length,
            !self.no_unresolved_leaves,
        )
    }
}

/// The label tree of the labels of the trainable contigs, with the clear
/// errors for degenerate label sets.
pub fn label_tree(
    lineages: &[Lineage],
    lengths: &[usize],
    min_length: usize,
    source: &Path,
) -> Result<LabelTree> {
    let usable: Vec<&Lineage> = lineages
        .iter()
        .zip(lengths)
        .filter(|(l, &n)| l.depth() > 0 && n >= min_length)
        .map(|(l, _)| l)
        .collect();
    if usable.is_empty() {
        bail!(
            "{}: no contig of at least {min_length} bp has a label; nothing to train on",
            source.display()
        );
    }
    let tree = LabelTree::from_lineages(usable.iter().copied());
    if tree.n_leaves() < 2 {
        bail!(
            "{}: the labels give a label tree with {} leaf; at least two distinct taxa are needed to train",
            source.display(),
            tree.n_leaves()
        );
    }
    Ok(tree)
}

/// Reads a soft-label file and aligns it to the features' contigs and the tree.
pub fn load_soft_labels(path: &Path, ids: &[String], tree: &LabelTree) -> Result<SparseSoftRows> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let soft = SoftLabels::from_bytes(&bytes, &util::name(path))?;
    sparse_soft(&soft, ids, tree).with_context(|| format!("soft labels {}", path.display()))
}

/// Aligns soft labels to `ids` and the tree's columns; keeps only leaves with
/// probability ≥ 1e-4 (the rest is noise for a tempered target).
pub fn sparse_soft(soft: &SoftLabels, ids: &[String], tree: &LabelTree) -> Result<SparseSoftRows> {
    let rows = soft.aligned_to(ids, tree)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            r.map(|row| {
                row.iter()
                    .enumerate()
                    .filter(|(_, &p)| p >= 1e-4)
                    .map(|(c, &p)| (c, p))
                    .collect()
            })
        })
        .collect())
}

/// Everything a training run produced: the model files and the report.
pub struct BuiltModel {
    pub meta: ModelMeta,
    pub safetensors: Vec<u8>,
    pub report: TrainReport,
}

/// Trains the student on features, label lineages and optional soft labels.
pub fn train_model(
    features: &FeatureMatrix,
    lineages: &[Lineage],
    tree: &LabelTree,
    soft: Option<&[SparseSoftRow]>,
    args: &TrainArgs,
    provenance: serde_json::Value,
) -> Result<BuiltModel> {
    let cfg = args.config();
    let labels: Vec<Option<usize>> = lineages
        .iter()
        .map(|l| {
            if l.depth() == 0 {
                None
            } else {
                Some(tree.node_of(l))
            }
        })
        .collect();
    let eligible: Vec<bool> = features
        .lengths
        .iter()
        .map(|&n| n >= args.min_length)
        .collect();
    let pb = util::progress(cfg.max_epochs as u64, "training");
    let input = TrainInput {
        tree,
        features: &features.data,
        n_features: features.n_cols(),
        labels: &labels,
        teacher: soft,
        eligible: &eligible,
    };
    let t0 = std::time::Instant::now();
    let trained = taxdistill_train::train(&input, &cfg, &mut |s| {
        pb.set_length(s.max_epochs as u64);
        pb.set_position(s.epoch as u64);
        tracing::debug!(
            "epoch {} train {:.4} held-out {:?} lr {:.2e}",
            s.epoch,
            s.train_loss,
            s.val_loss,
            s.lr
        );
    })?;
    pb.finish_and_clear();
    let r = &trained.report;
    tracing::info!(
        "trained on {} labelled + {} teacher-only contigs ({} held out) for {} epochs (best {}) in {:.1} s; thresholds {:?}",
        r.n_train_labelled,
        r.n_train_teacher_only,
        r.n_holdout,
        r.epochs_run,
        r.best_epoch,
        t0.elapsed().as_secs_f64(),
        trained.thresholds
    );
    let mut prov = provenance;
    prov["config"] = serde_json::to_value(&cfg)?;
    prov["training"] = serde_json::json!({
        "n_train_labelled": r.n_train_labelled,
        "n_train_teacher_only": r.n_train_teacher_only,
        "n_holdout": r.n_holdout,
        "steps_per_epoch": r.steps_per_epoch,
        "max_epochs": r.max_epochs,
        "patience": r.patience,
        "epochs_run": r.epochs_run,
        "best_epoch": r.best_epoch,
        "best_val_loss": r.best_val_loss,
        "holdout_f1": r.holdout_f1,
        "seconds": t0.elapsed().as_secs_f64(),
    });
    let meta = ModelMeta {
        format_version: FORMAT_VERSION,
        n_samples: features.n_samples,
        use_abundance: features.n_samples > 0,
        feature_names: features.columns.clone(),
        feature_mean: trained.feature_mean.clone(),
        feature_std: trained.feature_std.clone(),
        hidden: cfg.hidden.clone(),
        leaky_slope: cfg.leaky_slope,
        tree: tree.clone(),
        min_length: args.min_length,
        thresholds: trained.thresholds,
        provenance: prov,
    };
    Ok(BuiltModel {
        safetensors: trained.safetensors_bytes()?,
        meta,
        report: trained.report,
    })
}

/// Writes `model.safetensors` + `model.json` into `dir`, atomically.
pub fn write_model(dir: &Path, model: &BuiltModel) -> Result<()> {
    let json = model.meta.to_json()?;
    util::write_dir_atomic(dir, |tmp| {
        std::fs::File::create(tmp.join("model.safetensors"))
            .and_then(|mut f| f.write_all(&model.safetensors))
            .with_context(|| format!("{}: cannot write model.safetensors", dir.display()))?;
        std::fs::File::create(tmp.join("model.json"))
            .and_then(|mut f| f.write_all(&json))
            .with_context(|| format!("{}: cannot write model.json", dir.display()))?;
        Ok(())
    })
}

pub fn run(args: Args) -> Result<()> {
    let (features, lineages) = args
        .input
        .load(args.train.min_length, args.train.no_abundance)?;
    let lineages = args.train.training_labels(&lineages, &features.lengths);
    let tree = label_tree(
        &lineages,
        &features.lengths,
        args.train.min_length,
        &args.input.labels,
    )?;
    let soft = args
        .soft_labels
        .as_deref()
        .map(|p| load_soft_labels(p, &features.ids, &tree))
        .transpose()?;
    let prov = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>(),
        "soft_labels": args.soft_labels.as_ref().map(|p| p.display().to_string()),
    });
    let model = train_model(
        &features,
        &lineages,
        &tree,
        soft.as_deref(),
        &args.train,
        prov,
    )?;
    write_model(&args.out, &model)?;
    eprintln!(
        "model: {} leaves, {} features, {} epochs (best {}), thresholds {:?} -> {}",
        tree.n_leaves(),
        features.n_cols(),
        model.report.epochs_run,
        model.report.best_epoch,
        model.meta.thresholds,
        args.out.display()
    );
    Ok(())
}
