//! `taxdistill bench`: scenarios × seeds × methods in one command, with
//! a machine-readable table and a report with plots.
//!
//! Input: simulator scenarios (`--scenarios FILE|PRESET`, see
//! [`scenarios`]) or one dataset with truth (`--dataset DIR`). Methods per
//! scenario × seed: the raw labels, the graph teacher's argmax (and the
//! GenomeOcean teacher's with `--genomeocean`), the student on the noisy
//! labels, on the teacher's hard labels and distilled with its soft labels
//! (plus an (α, T) grid), and the real `vamb taxometer` where asked and
//! installed. Outputs: see [`report`]. docs/bench.md describes it all.

mod evaluate;
mod measure;
mod report;
mod runner;
mod scenarios;
mod stats;
mod summary;
mod svg;

use crate::args::TrainArgs;
use crate::util;
use anyhow::{bail, Context, Result};
use runner::{find_vamb, grid_id, method_label, say, DatasetFiles, RunRecord, Settings, Source};
use scenarios::{load_plan, parse_grid, Plan, Scenario};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Arguments of `taxdistill bench`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  taxdistill bench --scenarios quick --out bench-quick
  taxdistill bench --scenarios full --vamb /work/venvs/vamb/bin/vamb --out bench-full
  taxdistill bench --scenarios my_plan.toml --grid 0.1:4,0.6:4 --out bench-mine
  taxdistill bench --dataset data/ --taxonomy taxdump/ --labels-format kraken2 --seeds 1,2,3 --out bench-data
Presets: quick (CI: one tiny scenario, one seed), full (the published run; see docs/bench.md).")]
pub struct Args {
    /// Simulator scenarios: a TOML/JSON plan file or a preset name (quick, full).
    #[arg(long, value_name = "FILE|NAME", conflicts_with = "dataset")]
    pub scenarios: Option<String>,
    /// A dataset with truth: a directory holding contigs.fna[.gz] (or .fa/.fasta),
    /// abundance.tsv (optional), labels.* and truth.* (each can be overridden below).
    #[arg(long, value_name = "DIR")]
    pub dataset: Option<PathBuf>,
    /// Dataset contigs (instead of DIR/contigs.*).
    #[arg(long, value_name = "FASTA", requires = "dataset")]
    pub contigs: Option<PathBuf>,
    /// Dataset abundances (instead of DIR/abundance.tsv).
    #[arg(long, value_name = "FILE", requires = "dataset")]
    pub abundance: Option<PathBuf>,
    /// Dataset noisy labels (instead of DIR/labels.*).
    #[arg(long, value_name = "FILE", requires = "dataset")]
    pub labels: Option<PathBuf>,
    /// Format of the labels (taxometer, mmseqs2, kraken2, metabuli, centrifuge, cami); detected when omitted.
    #[arg(long, value_name = "F", requires = "dataset")]
    pub labels_format: Option<String>,
    /// Dataset truth (instead of DIR/truth.*).
    #[arg(long, value_name = "FILE", requires = "dataset")]
    pub truth: Option<PathBuf>,
    /// Format of the truth; detected when omitted.
    #[arg(long, value_name = "F", requires = "dataset")]
    pub truth_format: Option<String>,
    /// NCBI taxdump directory for taxid-only label or truth formats.
    #[arg(long, value_name = "DIR", requires = "dataset")]
    pub taxonomy: Option<PathBuf>,
    /// Seeds (comma-separated); overrides the plan's. Default for --dataset: 1,2,3.
    #[arg(long, value_delimiter = ',', value_name = "N,...")]
    pub seeds: Option<Vec<u64>>,
    /// Also train an (alpha, temperature) grid in every scenario: `a:t,a:t,...`
    /// (without a value: the plan's grid, by default 0.1:4,0.6:4,0.3:1,0.3:8).
    #[arg(long, value_name = "A:T,...", num_args = 0..=1, default_missing_value = "plan")]
    pub grid: Option<String>,
    /// GenomeOcean model directory: a second teacher (graph + embeddings) and a student distilled from it.
    #[arg(long, value_name = "DIR")]
    pub genomeocean: Option<PathBuf>,
    /// The vamb executable for `vamb taxometer` (default: `vamb` on PATH), run where the plan asks
    /// (with --dataset: whenever --vamb is given).
    #[arg(long, value_name = "PATH")]
    pub vamb: Option<PathBuf>,
    /// Never run vamb.
    #[arg(long, conflicts_with = "vamb")]
    pub no_vamb: bool,
    /// Threads for vamb (`-p`); ours follow RAYON_NUM_THREADS.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Minimum contig length (bp) of training, annotation and the main evaluation
    /// (default: the plan's [train] min_length, else 2000).
    #[arg(long, value_name = "BP")]
    pub min_length: Option<usize>,
    /// Training flags for every student, overriding the plan's [train]: `key=value,...`
    /// with `taxdistill distill`'s flag names (e.g. `epochs=20,patience=4,no_abundance=true`).
    #[arg(long, value_name = "K=V,...")]
    pub train: Option<String>,
    /// Run only these scenarios of the plan (comma-separated names).
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub only: Option<Vec<String>>,
    /// Reuse finished runs found in OUT/runs/ (from an interrupted bench with the same plan).
    #[arg(long)]
    pub resume: bool,
    /// Keep the simulated data and vamb outputs under OUT/work/.
    #[arg(long)]
    pub keep_work: bool,
    /// Print the plan (scenarios × seeds × methods) and exit.
    #[arg(long)]
    pub dry_run: bool,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Finds `DIR/<stem>.*` among `names` (first existing), else any file starting with `stem`.
fn find_in(dir: &Path, names: &[&str], stem: &str) -> Option<PathBuf> {
    for n in names {
        let p = dir.join(n);
        if p.is_file() {
            return Some(p);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{stem}.")))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

fn dataset_files(a: &Args, dir: &Path) -> Result<DatasetFiles> {
    if !dir.is_dir() {
        bail!("--dataset {}: not a directory", dir.display());
    }
    let need =
        |given: &Option<PathBuf>, names: &[&str], stem: &str, flag: &str| -> Result<PathBuf> {
            match given {
                Some(p) => Ok(p.clone()),
                None => find_in(dir, names, stem).with_context(|| {
                    format!(
                        "--dataset {}: no {stem} file found (pass --{flag})",
                        dir.display()
                    )
                }),
            }
        };
    let contigs = need(
        &a.contigs,
        &[
            "contigs.fna.gz",
            "contigs.fna",
            "contigs.fa.gz",
            "contigs.fa",
            "contigs.fasta.gz",
            "contigs.fasta",
        ],
        "contigs",
        "contigs",
    )?;
    let labels = need(&a.labels, &["labels.tsv"], "labels", "labels")?;
    let truth = need(&a.truth, &["truth.tsv"], "truth", "truth")?;
    let abundance = match &a.abundance {
        Some(p) => Some(p.clone()),
        None => find_in(dir, &["abundance.tsv"], "abundance"),
    };
    for p in [&contigs, &labels, &truth]
        .into_iter()
        .chain(abundance.as_ref())
    {
        if !p.is_file() {
            bail!("{}: no such file", p.display());
        }
    }
    Ok(DatasetFiles {
        contigs,
        abundance,
        labels,
        labels_format: a.labels_format.clone(),
        truth,
        truth_format: a.truth_format.clone(),
        taxonomy: a.taxonomy.clone(),
    })
}

/// Method ids a run of `sc` will produce.
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

fn run_file(out: &Path, scenario: &str, seed: u64) -> PathBuf {
    out.join("runs").join(format!("{scenario}-seed{seed}.json"))
}

pub fn run(args: Args) -> Result<()> {
    let t0 = std::time::Instant::now();
    let (plan, source_name, dataset): (Plan, String, Option<DatasetFiles>) =
        match (&args.scenarios, &args.dataset) {
            (Some(spec), None) => (load_plan(spec)?, spec.clone(), None),
            (None, Some(dir)) => {
                let files = dataset_files(&args, dir)?;
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
                (plan, format!("--dataset {}", dir.display()), Some(files))
            }
            (None, None) => bail!("give --scenarios FILE|NAME (e.g. quick, full) or --dataset DIR"),
            (Some(_), Some(_)) => unreachable!("clap: conflicts_with"),
        };
    let mut plan = plan;
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
    let grid_all = args.grid.is_some();
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
    let mut selected: Vec<&Scenario> = plan.scenario.iter().collect();
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
    let seeds_of = |sc: &Scenario| -> Vec<u64> {
        args.seeds
            .clone()
            .unwrap_or_else(|| sc.seeds(&plan).to_vec())
    };
    if args.seeds.as_ref().is_some_and(|s| s.is_empty()) {
        bail!("--seeds: no seed given");
    }

    // the plan
    let mut total_runs = 0u64;
    let mut plan_text = format!("plan {source_name}: {}\n", plan.description);
    for sc in &selected {
        let seeds = seeds_of(sc);
        total_runs += seeds.len() as u64;
        let methods = planned_methods(
            sc.grid || grid_all,
            &grid_points,
            &train,
            sc.vamb,
            args.genomeocean.is_some(),
        );
        plan_text.push_str(&format!(
            "  {} (seeds {}): {}{}\n",
            sc.name,
            seeds
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(","),
            methods.join(", "),
            if sc.vamb && vamb.is_err() {
                format!(
                    " [vamb skipped: {}]",
                    vamb.as_ref().err().map_or("", |s| s.as_str())
                )
            } else {
                String::new()
            }
        ));
    }
    if args.dry_run {
        print!("{plan_text}");
        return Ok(());
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create directory", args.out.display()))?;
    eprint!("{plan_text}");

    let settings = Settings {
        train: train.clone(),
        grid: grid_points.clone(),
        vamb: vamb.clone(),
        genomeocean: args.genomeocean.clone(),
        threads: args.threads,
        keep_work: args.keep_work,
    };
    let pb = util::progress(total_runs, "bench");
    let mut runs: Vec<RunRecord> = Vec::new();
    let mut reused = 0usize;
    for sc in &selected {
        let mut sc_run = (*sc).clone();
        if grid_all {
            sc_run.grid = true;
        }
        for seed in seeds_of(sc) {
            let path = run_file(&args.out, &sc.name, seed);
            if args.resume && path.is_file() {
                let text = std::fs::read(&path)
                    .with_context(|| format!("{}: cannot read", path.display()))?;
                let r: RunRecord = serde_json::from_slice(&text)
                    .with_context(|| format!("{}: not a bench run record", path.display()))?;
                say(
                    &pb,
                    format!("{} seed {seed}: reused {}", sc.name, path.display()),
                );
                runs.push(r);
                reused += 1;
                pb.inc(1);
                continue;
            }
            let work = args
                .out
                .join("work")
                .join(&sc.name)
                .join(format!("seed{seed}"));
            let source = match &dataset {
                Some(d) => Source::Dataset(d, &sc_run),
                None => Source::Sim {
                    scenario: &sc_run,
                    plan_source: &source_name,
                },
            };
            let ts = std::time::Instant::now();
            let record = runner::run_one(&source, seed, &settings, &work, &pb)
                .with_context(|| format!("scenario '{}', seed {seed}", sc.name))?;
            if !settings.keep_work {
                std::fs::remove_dir_all(&work).ok();
            }
            let bytes = serde_json::to_vec_pretty(&record)?;
            util::write_atomic(&path, |w| Ok(w.write_all(&bytes)?))?;
            let f1 = |id: &str| {
                record
                    .methods
                    .iter()
                    .find(|m| m.id == id)
                    .and_then(|m| m.eval.as_ref())
                    .map_or("–".to_string(), |e| format!("{:.3}", e.annotated[6].f1))
            };
            say(
                &pb,
                format!(
                "{} seed {seed}: {:.0} s; species F1 raw {} teacher {} noisy {} hard {} soft {} run {}",
                sc.name,
                ts.elapsed().as_secs_f64(),
                f1("raw_labels"),
                f1("teacher"),
                f1("student_noisy"),
                f1("student_hard"),
                f1("student_soft"),
                f1("taxdistill_run")
            ),
            );
            runs.push(record);
            pb.inc(1);
        }
    }
    pb.finish_and_clear();
    if !args.keep_work {
        std::fs::remove_dir_all(args.out.join("work")).ok();
    }

    let order: Vec<String> = selected.iter().map(|s| s.name.clone()).collect();
    let groups: BTreeMap<String, String> = selected
        .iter()
        .filter_map(|s| s.group.clone().map(|g| (s.name.clone(), g)))
        .collect();
    let summary = summary::summarize(&runs, &order, &groups);
    let descriptions: Vec<(String, String)> = selected
        .iter()
        .map(|s| (s.name.clone(), s.description.clone()))
        .collect();
    let header = serde_json::json!({
        "tool": "taxdistill bench",
        "version": env!("CARGO_PKG_VERSION"),
        "command": std::env::args().collect::<Vec<_>>(),
        "plan_source": source_name,
        "plan": plan,
        "dataset": dataset,
        "settings": {
            "train": serde_json::to_value(train.config())?,
            "no_abundance": train.no_abundance,
            "min_length": train.min_length,
            "grid": grid_points,
            "grid_all": grid_all,
            "vamb": match &vamb { Ok(p) => p.display().to_string(), Err(e) => format!("none: {e}") },
            "genomeocean": args.genomeocean.as_ref().map(|p| p.display().to_string()),
            "threads_vamb": args.threads,
            "rayon_threads": std::env::var("RAYON_NUM_THREADS").ok(),
        },
        "methods": summary.methods.iter().map(|m| serde_json::json!({"id": m, "label": method_label(m)})).collect::<Vec<_>>(),
        // of this invocation; runs reused by --resume kept their own step times
        "wall_seconds": t0.elapsed().as_secs_f64(),
        "runs_reused": reused,
    });
    let title = format!(
        "taxdistill bench: {}",
        if plan.description.is_empty() {
            &source_name
        } else {
            &plan.description
        }
    );
    report::write_all(
        &args.out,
        &runs,
        &summary,
        header,
        &descriptions,
        &title,
        train.min_length,
    )?;
    eprintln!(
        "{} run(s) in {:.0} s; results.json, results.tsv, summary.tsv, tests.tsv, report.html, report.md, plots/ in {}",
        runs.len(),
        t0.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}
