//! The data of a run: a simulated community (written into the run's
//! scratch directory as `taxdistill simulate` writes it) or a dataset's
//! files; then features, labels and truth, loaded as `taxdistill run`
//! loads them, and the label tree the teacher and the students share.

use super::{Settings, Source};
// the files a run reads: a dataset's, or those of a simulated community
use crate::dataset::DatasetFiles as Files;
use anyhow::{bail, Context, Result};
use indicatif::ProgressBar;
use std::path::Path;
use taxdistill::cmd::simulate;
use taxdistill::inputs::{load_features, load_labels};
use taxdistill::util;
use taxdistill_bench::measure::{step, StepRecord};
use taxdistill_bench::record::DataInfo;
use taxdistill_bench::scenarios::{sim_args, LabelSource, Scenario};
use taxdistill_core::features::FeatureMatrix;
use taxdistill_core::taxonomy::{LabelTree, Lineage};
use taxdistill_pipeline::load::label_tree;
use taxdistill_sim::Community;

/// The files a simulated community in `work` gives a run: the label file
/// the scenario asks for (its taxdump with it), the Taxometer truth.
fn simulated_files(work: &Path, labels: LabelSource) -> Files {
    let (labels, labels_format, taxonomy) = match labels {
        LabelSource::Taxometer => (work.join("labels.tsv"), None, None),
        LabelSource::Kraken2 => (
            work.join("raw/kraken2.out"),
            Some("kraken2".to_string()),
            Some(work.join("raw/taxdump")),
        ),
        LabelSource::Mmseqs2 => (
            work.join("raw/mmseqs2_lca.tsv"),
            Some("mmseqs2".to_string()),
            Some(work.join("raw/taxdump")),
        ),
    };
    Files {
        contigs: work.join("contigs.fna.gz"),
        abundance: Some(work.join("abundance.tsv")),
        labels,
        labels_format,
        truth: work.join("truth.tsv"),
        truth_format: None,
        taxonomy,
    }
}

/// Everything the methods of a run share.
pub(super) struct Data {
    /// The scenario's name.
    pub name: String,
    pub files: Files,
    pub vamb_wanted: bool,
    pub grid_wanted: bool,
    pub features: FeatureMatrix,
    /// The input labels as given (the raw labels, vamb's input, the transitions).
    pub lineages: Vec<Lineage>,
    pub truth: Vec<Lineage>,
    /// What the teacher and the students learn from (unresolved leaves applied).
    pub training: Vec<Lineage>,
    pub tree: LabelTree,
    /// Per contig, the deepest rank its taxon has in the reference (simulated data).
    pub reference_depth: Option<Vec<u8>>,
    /// Rows of the contigs ≥ min length.
    pub long: Vec<usize>,
    pub info: DataInfo,
}

/// Where a run's data are, with the scenario's name and wishes.
struct Sourced {
    name: String,
    files: Files,
    vamb_wanted: bool,
    grid_wanted: bool,
    /// The simulated community (none for a dataset).
    sim: Option<Community>,
}

/// Simulates the scenario's community into `work` (a timed step), or
/// names the dataset's files.
fn source_files(
    source: &Source,
    seed: u64,
    work: &Path,
    pb: &ProgressBar,
    steps: &mut Vec<StepRecord>,
) -> Result<Sourced> {
    match source {
        Source::Sim {
            scenario,
            plan_source,
        } => {
            pb.set_message(format!("{} seed {seed}: simulate", scenario.name));
            let args = sim_args(scenario, seed, work, plan_source)?;
            let cfg = args.config()?;
            let (community, st) = step("simulate", || {
                let c = taxdistill_sim::simulate(&cfg)?;
                simulate::write_community(&c, work, 1)?;
                anyhow::Ok(c)
            })?;
            steps.push(st);
            Ok(Sourced::of(
                scenario,
                simulated_files(work, scenario.labels),
                Some(community),
            ))
        }
        Source::Dataset(d, scenario) => Ok(Sourced::of(scenario, (*d).clone(), None)),
    }
}

impl Sourced {
    fn of(sc: &Scenario, files: Files, sim: Option<Community>) -> Sourced {
        Sourced {
            name: sc.name.clone(),
            files,
            vamb_wanted: sc.vamb,
            grid_wanted: sc.grid,
            sim,
        }
    }
}

/// Gets and loads the data of one run (simulating it first where the
/// source is a scenario), timing each step into `steps`.
///
/// # Errors
/// A bad scenario, unreadable or inconsistent inputs, or a truth that
/// reaches no contig.
pub(super) fn load(
    source: &Source,
    seed: u64,
    settings: &Settings,
    work: &Path,
    pb: &ProgressBar,
    steps: &mut Vec<StepRecord>,
) -> Result<Data> {
    let min_length = settings.train.min_length;
    let Sourced {
        name,
        files,
        vamb_wanted,
        grid_wanted,
        sim,
    } = source_files(source, seed, work, pb, steps)?;
    let abundance = if settings.train.no_abundance {
        None
    } else {
        files.abundance.as_deref()
    };
    pb.set_message(format!("{name} seed {seed}: features"));
    let (features, st) = step("features", || {
        load_features(&files.contigs, abundance, min_length)
    })?;
    steps.push(st);
    let (lineages, st) = step("labels", || {
        load_labels(
            &files.labels,
            files.labels_format.as_deref(),
            files.taxonomy.as_deref(),
            &features.ids,
            &files.contigs,
        )
        .map(|l| l.lineages)
    })?;
    steps.push(st);
    let truth = load_labels(
        &files.truth,
        files.truth_format.as_deref(),
        files.taxonomy.as_deref(),
        &features.ids,
        &files.contigs,
    )
    .with_context(|| format!("reading the truth {}", files.truth.display()))?
    .lineages;
    if truth.iter().all(|t| t.depth() == 0) {
        bail!(
            "{}: no contig of {} has a true lineage; nothing to evaluate",
            files.truth.display(),
            files.contigs.display()
        );
    }
    // the teacher and the students learn from `training` (unresolved leaves);
    // raw labels, vamb and the transitions use the labels as given
    let training = settings.train.training_labels(&lineages, &features.lengths);
    let tree = label_tree(
        &training,
        &features.lengths,
        min_length,
        &util::name(&files.labels),
    )?;
    let reference_depth = sim
        .as_ref()
        .map(|c| reference_depths(c, &features))
        .transpose()?;
    let long: Vec<usize> = (0..features.n_rows())
        .filter(|&i| features.lengths[i] >= min_length)
        .collect();
    let info = DataInfo {
        n_contigs: features.n_rows(),
        n_long: long.len(),
        n_labelled_long: long.iter().filter(|&&i| lineages[i].depth() > 0).count(),
        n_samples: features.n_samples,
        min_length,
        n_leaves: tree.n_leaves(),
        novel_share: reference_depth.as_ref().map(|rd| {
            rd.iter().filter(|&&d| d < 7).count() as f64 / features.n_rows().max(1) as f64
        }),
        label_kinds: sim.as_ref().map(|c| {
            c.label_counts()
                .into_iter()
                .map(|(k, v)| (k.name().to_string(), v))
                .collect()
        }),
    };
    Ok(Data {
        name,
        files,
        vamb_wanted,
        grid_wanted,
        features,
        lineages,
        truth,
        training,
        tree,
        reference_depth,
        long,
        info,
    })
}

/// Per contig of the simulated community `c`, the deepest rank its taxon
/// has in the reference, checking that the FASTA read back matches it.
fn reference_depths(c: &Community, features: &FeatureMatrix) -> Result<Vec<u8>> {
    if c.contigs.len() != features.n_rows()
        || c.contigs
            .iter()
            .zip(&features.ids)
            .any(|(r, id)| &r.id != id)
    {
        bail!("the simulated contigs and the FASTA read back differ (a bug)");
    }
    Ok(c.contigs
        .iter()
        .map(|r| c.genomes[r.genome].reference_depth as u8)
        .collect())
}
