//! What a bench invocation will run: the plan (a preset, a plan file, or
//! one dataset as a one-scenario plan) with the flags applied, the
//! scenarios selected, and the plan as text (`--dry-run` prints it).

use crate::args::Args;
use crate::dataset::{dataset_files, DatasetFiles};
use crate::runner::find_vamb;
use anyhow::{bail, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;
use taxdistill::args::TrainArgs;
use taxdistill_bench::record::grid_id;
use taxdistill_bench::scenarios::{self, load_plan, parse_grid, Plan, Scenario};

/// The plan and settings of one invocation, checked before anything runs.
pub struct Setup {
    pub plan: Plan,
    /// The plan's name in messages (`quick`, a file, `--dataset DIR`).
    pub source_name: String,
    pub dataset: Option<DatasetFiles>,
    /// Training flags of every student.
    pub train: TrainArgs,
    pub grid_points: Vec<(f32, f32)>,
    /// `--grid`: train the grid in every scenario.
    pub grid_all: bool,
    /// The `vamb` executable, or why there is none.
    pub vamb: std::result::Result<PathBuf, String>,
    /// The scenarios to run (`--only`), in plan order.
    pub selected: Vec<Scenario>,
}

/// The plan of `--dataset DIR`: one scenario, seeds 1, 2, 3.
fn dataset_plan(args: &Args, dir: &std::path::Path) -> Result<(Plan, String, DatasetFiles)> {
    let files = dataset_files(args, dir)?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "dataset".into());
    let plan = Plan {
        description: format!("dataset {}", dir.display()),
        seeds: vec![1, 2, 3],
        grid: scenarios::default_grid(),
        train: BTreeMap::new(),
        scenario: vec![Scenario {
            name: "dataset".into(),
            description: format!("{name}: {}", files.labels.display()),
            seeds: None,
            vamb: args.vamb.is_some(),
            grid: args.grid.is_some(),
            group: None,
            labels: Default::default(),
            sim: BTreeMap::new(),
        }],
    };
    Ok((plan, format!("--dataset {}", dir.display()), files))
}

impl Setup {
    /// The plan and settings `args` ask for.
    ///
    /// # Errors
    /// A bad plan or flag, a missing dataset file or GenomeOcean model,
    /// `--only` naming no scenario of the plan, or an empty `--seeds`.
    pub fn from_args(args: &Args) -> Result<Setup> {
        let (mut plan, source_name, dataset) = match (&args.scenarios, &args.dataset) {
            (Some(spec), None) => (load_plan(spec)?, spec.clone(), None),
            (None, Some(dir)) => {
                let (plan, name, files) = dataset_plan(args, dir)?;
                (plan, name, Some(files))
            }
            (None, None) => bail!("give --scenarios FILE|NAME (e.g. quick, full) or --dataset DIR"),
            (Some(_), Some(_)) => unreachable!("clap: conflicts_with"),
        };
        if let Some(t) = &args.train {
            for (k, v) in scenarios::parse_key_values(t, "--train")? {
                plan.train.insert(k, v);
            }
        }
        let mut train: TrainArgs = scenarios::train_args(&plan, &source_name)?;
        if let Some(m) = args.min_length {
            train.min_length = m;
        }
        let grid_points = match args.grid.as_deref() {
            None | Some("plan") => plan.grid.clone(),
            Some(g) => parse_grid(g)?,
        };
        let vamb = if args.no_vamb {
            Err("--no-vamb".to_string())
        } else {
            find_vamb(args.vamb.as_deref())
        };
        if let Some(dir) = &args.genomeocean {
            if !dir.join("config.json").is_file() {
                bail!(
                    "--genomeocean {}: no config.json (expected a Hugging Face model directory)",
                    dir.display()
                );
            }
        }
        let mut selected: Vec<Scenario> = plan.scenario.clone();
        if let Some(only) = &args.only {
            for o in only {
                if !plan.scenario.iter().any(|s| &s.name == o) {
                    bail!(
                        "--only {o}: the plan has no such scenario ({})",
                        plan.scenario
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
            }
            selected.retain(|s| only.contains(&s.name));
        }
        if args.seeds.as_ref().is_some_and(|s| s.is_empty()) {
            bail!("--seeds: no seed given");
        }
        Ok(Setup {
            plan,
            source_name,
            dataset,
            train,
            grid_points,
            grid_all: args.grid.is_some(),
            vamb,
            selected,
        })
    }

    /// The seeds of a scenario: `--seeds`, else the plan's.
    pub fn seeds(&self, args: &Args, sc: &Scenario) -> Vec<u64> {
        args.seeds
            .clone()
            .unwrap_or_else(|| sc.seeds(&self.plan).to_vec())
    }

    /// The plan as text (scenarios, seeds, methods, why vamb is skipped) and
    /// the number of runs.
    pub fn describe(&self, args: &Args) -> (String, u64) {
        let mut total_runs = 0u64;
        let mut text = format!("plan {}: {}\n", self.source_name, self.plan.description);
        for sc in &self.selected {
            let seeds = self.seeds(args, sc);
            total_runs += seeds.len() as u64;
            let methods = planned_methods(
                sc.grid || self.grid_all,
                &self.grid_points,
                &self.train,
                sc.vamb,
                args.genomeocean.is_some(),
            );
            let vamb_note = match (&self.vamb, sc.vamb) {
                (Err(why), true) => format!(" [vamb skipped: {why}]"),
                _ => String::new(),
            };
            text.push_str(&format!(
                "  {} (seeds {}): {}{vamb_note}\n",
                sc.name,
                seeds
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                methods.join(", "),
            ));
        }
        (text, total_runs)
    }
}

/// Method ids a run of a scenario will produce.
fn planned_methods(
    grid: bool,
    points: &[(f32, f32)],
    train: &TrainArgs,
    vamb: bool,
    go: bool,
) -> Vec<String> {
    let mut m: Vec<String> = [
        "raw_labels",
        "teacher",
        "student_noisy",
        "student_hard",
        "student_soft",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if grid {
        m.extend(points.iter().map(|&(a, t)| grid_id(a, t)));
    }
    for &t in &taxdistill_pipeline::choose::default_candidate_temperatures(train.temperature)[1..] {
        let id = grid_id(train.alpha, t);
        if !m.contains(&id) {
            m.push(id);
        }
    }
    m.push("taxdistill_run".into());
    if go {
        m.push("teacher_genomeocean".into());
        m.push("student_soft_genomeocean".into());
    }
    if vamb {
        m.push("vamb_taxometer".into());
    }
    m
}
