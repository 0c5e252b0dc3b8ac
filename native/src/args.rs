//! Arguments shared by several subcommands: the inputs of the commands that
//! learn from noisy labels (`distill`, `run`, `teach`), the training
//! flags (`distill`, `run`, and the `[train]` table of `taxdistill-bench` plans)
//! and the parsers of flag values (`--try-temperatures`, `--shard`,
//! `--branching`).

use crate::inputs;
use anyhow::{Context, Result};
use std::path::PathBuf;
use taxdistill_core::taxonomy::Lineage;
use taxdistill_pipeline::load::{training_labels, Loaded};
use taxdistill_teacher::shard::Shard;
use taxdistill_train::TrainConfig;

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
    ///
    /// # Errors
    /// Unreadable or malformed inputs.
    pub fn load(&self, min_length: usize, no_abundance: bool) -> Result<Loaded> {
        let abundance = if no_abundance {
            None
        } else {
            self.abundance.as_deref()
        };
        let features = inputs::load_features(&self.contigs, abundance, min_length)?;
        let labels = inputs::load_labels(
            &self.labels,
            self.format.as_deref(),
            self.taxonomy.as_deref(),
            &features.ids,
            &self.contigs,
        )?;
        Ok(Loaded { features, labels })
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
    /// At most this many contigs are held out (0: no cap); evaluated after every epoch.
    #[arg(long, default_value_t = 20_000, value_name = "N")]
    pub max_holdout: usize,
    /// At most this many training contigs per epoch (0: all): on bigger inputs
    /// each epoch takes the next N of a shuffled order, so an epoch's cost
    /// stops growing with the input.
    #[arg(long, default_value_t = 131_072, value_name = "N")]
    pub epoch_rows: usize,
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
            max_holdout: self.max_holdout,
            epoch_rows: self.epoch_rows,
            default_threshold: self.fixed_threshold.unwrap_or(0.5),
            calibrate: self.fixed_threshold.is_none(),
            hidden: self.hidden.clone(),
            ..TrainConfig::default()
        }
    }

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

/// The default of `run --try-temperatures`: the pipeline's
/// [`taxdistill_pipeline::choose::DEFAULT_TRY_TEMPERATURES`].
pub const DEFAULT_TRY_TEMPERATURES: &str = "1";

/// One `--try-temperatures` value: a temperature > 0 (an empty list allowed).
pub fn parse_temperature(s: &str) -> std::result::Result<Option<f32>, String> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    match s.trim().parse::<f32>() {
        Ok(t) if t > 0.0 && t.is_finite() => Ok(Some(t)),
        _ => Err(format!("'{s}' is not a temperature (a number > 0)")),
    }
}

/// One `--shard` value: shard i of n, `i/n` (1-based).
pub fn parse_shard(s: &str) -> std::result::Result<Shard, String> {
    s.parse::<Shard>().map_err(|e| e.to_string())
}

/// `simulate --branching`: 6 comma-separated numbers, the mean children per
/// parent from domain→phylum to genus→species.
///
/// # Errors
/// Not 6 numbers.
pub fn parse_branching(s: &str) -> Result<[f64; 6]> {
    let b: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<std::result::Result<_, _>>()
        .with_context(|| format!("--branching '{}': expected 6 comma-separated numbers", s))?;
    let branching: [f64; 6] = b
        .try_into()
        .map_err(|_| anyhow::anyhow!("--branching '{}': expected 6 comma-separated numbers", s))?;
    Ok(branching)
}

#[cfg(test)]
mod tests {
    use super::*;
    use taxdistill_pipeline::choose::DEFAULT_TRY_TEMPERATURES as PIPELINE;

    #[test]
    fn the_default_of_try_temperatures_is_the_pipelines() {
        let parsed: Vec<f32> = DEFAULT_TRY_TEMPERATURES
            .split(',')
            .filter_map(|t| parse_temperature(t).unwrap())
            .collect();
        assert_eq!(parsed, PIPELINE.to_vec());
    }
}

/// The graph teacher's neighbour search, shared by `teach` and `run`.
#[derive(clap::Args, Debug, Clone)]
pub struct KnnArgs {
    /// The graph teacher finds neighbours exactly up to this many contigs
    /// and approximately above (HNSW; recall@40 0.998, F1 within 0.0002 at
    /// 50k contigs: docs/ann.md); a larger value keeps exact search.
    #[arg(long, default_value_t = taxdistill_teacher::graph::EXACT_KNN_MAX_CONTIGS, value_name = "N")]
    pub exact_knn_max_contigs: usize,
}
