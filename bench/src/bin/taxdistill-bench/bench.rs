//! One invocation: check the plan, run (or, with `--resume`, reuse) every
//! scenario × seed with a progress bar, then summarise and write the
//! report.

use crate::args::Args;
use crate::plan::Setup;
use crate::runner::{self, say, Settings, Source};
use anyhow::{Context, Result};
use indicatif::ProgressBar;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use taxdistill::util;
use taxdistill_bench::record::{method_label, RunRecord};
use taxdistill_bench::scenarios::Scenario;
use taxdistill_bench::{report, summary};

fn run_file(out: &Path, scenario: &str, seed: u64) -> PathBuf {
    out.join("runs").join(format!("{scenario}-seed{seed}.json"))
}

/// Runs the benchmark `args` describe.
///
/// # Errors
/// A bad plan or input, a run whose data cannot be read, or an output
/// that cannot be written.
pub fn run(args: Args) -> Result<()> {
    let t0 = Instant::now();
    let setup = Setup::from_args(&args)?;
    let (plan_text, total_runs) = setup.describe(&args);
    if args.dry_run {
        print!("{plan_text}");
        return Ok(());
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create directory", args.out.display()))?;
    eprint!("{plan_text}");

    let settings = Settings {
        train: setup.train.clone(),
        grid: setup.grid_points.clone(),
        vamb: setup.vamb.clone(),
        genomeocean: args.genomeocean.clone(),
        threads: args.threads,
        keep_work: args.keep_work,
    };
    let pb = util::progress(total_runs, "bench");
    let mut runs: Vec<RunRecord> = Vec::new();
    let mut reused = 0usize;
    for sc in &setup.selected {
        let mut sc_run = sc.clone();
        if setup.grid_all {
            sc_run.grid = true;
        }
        for seed in setup.seeds(&args, sc) {
            let (record, was_reused) = run_or_reuse(&args, &setup, &settings, &sc_run, seed, &pb)?;
            reused += usize::from(was_reused);
            runs.push(record);
            pb.inc(1);
        }
    }
    pb.finish_and_clear();
    if !args.keep_work {
        std::fs::remove_dir_all(args.out.join("work")).ok();
    }
    write_report(&args, &setup, &runs, reused, t0)
}

/// One scenario × seed: its record from `OUT/runs/` with `--resume`, else
/// run and saved there; true when reused.
fn run_or_reuse(
    args: &Args,
    setup: &Setup,
    settings: &Settings,
    sc: &Scenario,
    seed: u64,
    pb: &ProgressBar,
) -> Result<(RunRecord, bool)> {
    let path = run_file(&args.out, &sc.name, seed);
    if args.resume && path.is_file() {
        let text =
            std::fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))?;
        let r: RunRecord = serde_json::from_slice(&text)
            .with_context(|| format!("{}: not a bench run record", path.display()))?;
        say(
            pb,
            format!("{} seed {seed}: reused {}", sc.name, path.display()),
        );
        return Ok((r, true));
    }
    let work = args
        .out
        .join("work")
        .join(&sc.name)
        .join(format!("seed{seed}"));
    let source = match &setup.dataset {
        Some(d) => Source::Dataset(d, sc),
        None => Source::Sim {
            scenario: sc,
            plan_source: &setup.source_name,
        },
    };
    let ts = Instant::now();
    let record = runner::run_one(&source, seed, settings, &work, pb)
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
        pb,
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
    Ok((record, false))
}

/// Summarises the runs and writes every output file (see
/// [`taxdistill_bench::report`]).
fn write_report(
    args: &Args,
    setup: &Setup,
    runs: &[RunRecord],
    reused: usize,
    t0: Instant,
) -> Result<()> {
    let selected = &setup.selected;
    let order: Vec<String> = selected.iter().map(|s| s.name.clone()).collect();
    let groups: BTreeMap<String, String> = selected
        .iter()
        .filter_map(|s| s.group.clone().map(|g| (s.name.clone(), g)))
        .collect();
    let summary = summary::summarize(runs, &order, &groups);
    let descriptions: Vec<(String, String)> = selected
        .iter()
        .map(|s| (s.name.clone(), s.description.clone()))
        .collect();
    let train = &setup.train;
    let header = serde_json::json!({
        "tool": "taxdistill-bench",
        "version": env!("CARGO_PKG_VERSION"),
        "command": std::env::args().collect::<Vec<_>>(),
        "plan_source": setup.source_name,
        "plan": setup.plan,
        "dataset": setup.dataset,
        "settings": {
            "train": serde_json::to_value(train.config())?,
            "no_abundance": train.no_abundance,
            "min_length": train.min_length,
            "grid": setup.grid_points,
            "grid_all": setup.grid_all,
            "vamb": match &setup.vamb { Ok(p) => p.display().to_string(), Err(e) => format!("none: {e}") },
            "genomeocean": args.genomeocean.as_ref().map(|p| p.display().to_string()),
            "threads_vamb": args.threads,
            "rayon_threads": std::env::var("RAYON_NUM_THREADS").ok(),
        },
        "methods": summary.methods.iter().map(|m| serde_json::json!({"id": m, "label": method_label(m)})).collect::<Vec<_>>(),
        // of this invocation; runs reused by --resume kept their own step times
        "wall_seconds": t0.elapsed().as_secs_f64(),
        "runs_reused": reused,
    });
    let plan = &setup.plan;
    let title = format!(
        "taxdistill-bench: {}",
        if plan.description.is_empty() {
            &setup.source_name
        } else {
            &plan.description
        }
    );
    report::write_all(
        &args.out,
        runs,
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
