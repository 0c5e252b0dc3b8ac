//! `taxdistill distill`: train the student on noisy labels (plain
//! Taxometer-equivalent training) or distil a teacher's soft labels into it,
//! and write the model directory (`model.safetensors` + `model.json`)
//! atomically. The work is the pipeline's ([`taxdistill_pipeline::distill`]).

use crate::args::{InputArgs, TrainArgs};
use crate::inputs::load_soft_labels;
use crate::outputs::write_model;
use crate::util::Bars;
use anyhow::Result;
use std::path::PathBuf;
use taxdistill_pipeline::distill::{train_student, TrainingData};
use taxdistill_pipeline::load::label_tree;

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

pub fn run(args: Args) -> Result<()> {
    let min_length = args.train.min_length;
    let loaded = args.input.load(min_length, args.train.no_abundance)?;
    let features = &loaded.features;
    let lineages = args
        .train
        .training_labels(&loaded.labels.lineages, &features.lengths);
    let labels_name = crate::util::name(&args.input.labels);
    let tree = label_tree(&lineages, &features.lengths, min_length, &labels_name)?;
    let soft = args
        .soft_labels
        .as_deref()
        .map(|p| load_soft_labels(p, &features.ids, &tree))
        .transpose()?;
    let prov = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>(),
        "soft_labels": args.soft_labels.as_ref().map(|p| p.display().to_string()),
    });
    let data = TrainingData {
        features,
        labels: &lineages,
        tree: &tree,
        soft: soft.as_deref(),
    };
    let model = train_student(
        &data,
        &args.train.config(),
        min_length,
        prov,
        &Bars::default(),
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
