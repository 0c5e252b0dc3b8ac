//! One benchmark run = one scenario × one seed: get the data (simulate, or
//! read the dataset), compute features once, run the teacher once, train
//! and annotate every student variant, run vamb where asked, and score
//! every method against the truth. The pipeline crate
//! (`taxdistill-pipeline`: teach, distill, choose, annotate) and the CLI's
//! `simulate` do the work in this process, with typed results (the choice
//! `taxdistill run` makes is the pipeline's `Choice`); this module only
//! wires, times and scores them: `data` (the inputs), `methods` (what runs),
//! `student` (training, applying and choosing students), `vamb` (the
//! subprocess), `score` (the record).

mod data;
mod methods;
mod score;
mod student;
mod vamb;

pub use vamb::find_vamb;

use crate::dataset::DatasetFiles;
use anyhow::{Context, Result};
use indicatif::ProgressBar;
use std::path::{Path, PathBuf};
use student::{Ctx, Outcome};
use taxdistill::args::TrainArgs;
use taxdistill_bench::evaluate::Predictions;
use taxdistill_bench::measure::StepRecord;
use taxdistill_bench::record::RunRecord;
use taxdistill_bench::scenarios::Scenario;

/// Where a run's data comes from.
pub enum Source<'a> {
    /// A simulator scenario (`plan_source` names the plan in messages).
    Sim {
        scenario: &'a Scenario,
        plan_source: &'a str,
    },
    /// A dataset with truth; the scenario carries its name, `vamb` and `grid`.
    Dataset(&'a DatasetFiles, &'a Scenario),
}

/// Settings shared by all runs.
pub struct Settings {
    /// Training flags of every student (seed replaced per run).
    pub train: TrainArgs,
    /// (α, T) grid points, trained where `grid` is on.
    pub grid: Vec<(f32, f32)>,
    /// The `vamb` executable, or why there is none.
    pub vamb: std::result::Result<PathBuf, String>,
    /// GenomeOcean model directory (second teacher).
    pub genomeocean: Option<PathBuf>,
    /// Threads given to vamb (`-p`, OMP/MKL).
    pub threads: usize,
    pub keep_work: bool,
}

/// Prints a line above the progress bar (or plainly when the bar is hidden).
pub fn say(pb: &ProgressBar, line: String) {
    if pb.is_hidden() {
        eprintln!("{line}");
    } else {
        pb.println(line);
    }
}

/// Runs one scenario × seed. `work` is a scratch directory for this run.
///
/// # Errors
/// Unreadable or inconsistent input data (a failing method is recorded in
/// its `MethodRecord` instead).
pub fn run_one(
    source: &Source,
    seed: u64,
    settings: &Settings,
    work: &Path,
    pb: &ProgressBar,
) -> Result<RunRecord> {
    let mut steps: Vec<StepRecord> = Vec::new();
    std::fs::create_dir_all(work)
        .with_context(|| format!("{}: cannot create directory", work.display()))?;
    let d = data::load(source, seed, settings, work, pb, &mut steps)?;
    let mut results: methods::Results = vec![(
        "raw_labels".into(),
        Ok(Outcome::of(
            Predictions {
                lineages: d.lineages.clone(),
                scores: None,
            },
            vec![],
            serde_json::json!({}),
        )),
    )];
    let mut skipped = Vec::new();
    {
        let mut ctx = Ctx {
            features: &d.features,
            settings,
            seed,
            scenario: &d.name,
            labels_path: &d.files.labels,
            steps: &mut steps,
            pb,
        };
        methods::graph(&mut ctx, &d, &mut results);
        if let Some(dir) = &settings.genomeocean {
            methods::genomeocean(&mut ctx, &d, dir, &mut results);
        }
        if d.vamb_wanted {
            skipped.extend(methods::vamb(&mut ctx, &d, work, &mut results));
        }
    }
    Ok(score::record(d, results, skipped, steps, seed, pb))
}
