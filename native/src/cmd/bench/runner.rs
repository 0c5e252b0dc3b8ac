//! One benchmark run = one scenario × one seed: get the data (simulate, or
//! read the dataset), compute features once, run the teacher once, train
//! and annotate every student variant, run vamb where asked, and score
//! every method against the truth. The pipeline crate
//! (`taxdistill-pipeline`: teach, distill, choose, annotate) and `simulate`
//! do the work, with typed results (the choice `taxdistill run` makes is the
//! pipeline's [`Choice`]); this module only wires, times and scores them.

use super::evaluate::{evaluate_method, outcome_codes, Evaluation, Predictions, Truthset};
use super::measure::{step, subprocess, StepRecord};
use super::scenarios::{sim_args, LabelSource, Scenario};
use crate::args::TrainArgs;
use crate::cmd::{convert, simulate};
use crate::inputs::{embed, load_features, load_labels};
use crate::util::{self, Bars};
use anyhow::{bail, Context, Result};
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use taxdistill_core::features::FeatureMatrix;
use taxdistill_core::model::Prediction;
use taxdistill_core::taxonomy::{LabelTree, Lineage, Rank};
use taxdistill_pipeline::annotate::{annotate, correct};
use taxdistill_pipeline::choose::{default_candidate_temperatures, Candidate, Choice};
use taxdistill_pipeline::distill::{train_student, TrainingData};
use taxdistill_pipeline::load::label_tree;
use taxdistill_pipeline::teach::{
    sparse_soft, teach, teacher_predictions, SparseSoftRows, Taught, TeachOptions, TeacherKind,
};
use taxdistill_pipeline::Silent;

/// Input files of a dataset with truth.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetFiles {
    pub contigs: PathBuf,
    pub abundance: Option<PathBuf>,
    pub labels: PathBuf,
    pub labels_format: Option<String>,
    pub truth: PathBuf,
    pub truth_format: Option<String>,
    pub taxonomy: Option<PathBuf>,
}

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

/// Facts about the data of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataInfo {
    pub n_contigs: usize,
    /// Contigs ≥ min length (the evaluated "annotated" subset).
    pub n_long: usize,
    /// Contigs ≥ min length with an input label.
    pub n_labelled_long: usize,
    pub n_samples: usize,
    pub min_length: usize,
    /// Leaves of the label tree.
    pub n_leaves: usize,
    /// Share of contigs whose species is absent from the reference (simulated data).
    pub novel_share: Option<f64>,
    /// Simulated label kinds (correct, novel, nearest, wrong, shallow, unclassified) and counts.
    pub label_kinds: Option<BTreeMap<String, usize>>,
}

/// One method's result in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodRecord {
    /// Stable id (`raw_labels`, `teacher`, `student_noisy`, …).
    pub id: String,
    /// Human-readable name.
    pub label: String,
    /// `ok`, `failed: …` or `skipped: …`.
    pub status: String,
    /// Steps this method's output needed (shared ones included).
    pub steps: Vec<String>,
    /// Sum of those steps' wall seconds (`None` for the raw labels).
    pub seconds: Option<f64>,
    /// Largest peak RSS over those steps, MiB.
    pub peak_rss_mib: Option<f64>,
    /// Method details (thresholds, epochs, α, T, …).
    pub details: serde_json::Value,
    pub eval: Option<Evaluation>,
}

/// Discordant contigs of two methods at one rank (contigs ≥ min length
/// whose truth reaches the rank).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairCounts {
    pub a: String,
    pub b: String,
    pub rank: String,
    /// Correct for `a` only / for `b` only.
    pub only_a: u64,
    pub only_b: u64,
    pub n: u64,
}

/// Everything one run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub scenario: String,
    pub seed: u64,
    pub data: DataInfo,
    pub steps: Vec<StepRecord>,
    pub methods: Vec<MethodRecord>,
    pub pairs: Vec<PairCounts>,
}

/// Prints a line above the progress bar (or plainly when the bar is hidden).
pub fn say(pb: &ProgressBar, line: String) {
    if pb.is_hidden() {
        eprintln!("{line}");
    } else {
        pb.println(line);
    }
}

/// Human-readable name of a method id.
pub fn method_label(id: &str) -> String {
    match id {
        "raw_labels" => "raw labels".into(),
        "teacher" => "teacher argmax (graph)".into(),
        "teacher_genomeocean" => "teacher argmax (graph + GenomeOcean)".into(),
        "student_noisy" => "student, noisy labels".into(),
        "student_hard" => "student, teacher hard labels".into(),
        "student_soft" => "student, soft labels".into(),
        "student_soft_genomeocean" => "student, GenomeOcean soft labels".into(),
        "vamb_taxometer" => "vamb taxometer".into(),
        "taxdistill_run" => "taxdistill run (kept by held-out labels)".into(),
        s => match s.strip_prefix("student_soft_a") {
            Some(rest) => match rest.split_once("_t") {
                Some((a, t)) => format!("student, soft α {a} T {t}"),
                None => s.to_string(),
            },
            None => s.to_string(),
        },
    }
}

/// Id of a grid point's method.
pub fn grid_id(alpha: f32, t: f32) -> String {
    format!("student_soft_a{alpha}_t{t}")
}

/// The files a run reads.
struct Files {
    contigs: PathBuf,
    abundance: Option<PathBuf>,
    labels: PathBuf,
    labels_format: Option<String>,
    truth: PathBuf,
    truth_format: Option<String>,
    taxonomy: Option<PathBuf>,
}

struct Outcome {
    preds: Predictions,
    steps: Vec<String>,
    details: serde_json::Value,
    /// A student's held-out F1 against the labels per rank (what `run`'s choice compares).
    holdout_f1: Option<[Option<f64>; 7]>,
}

impl Outcome {
    /// An outcome that is not a student's.
    fn of(preds: Predictions, steps: Vec<String>, details: serde_json::Value) -> Outcome {
        Outcome {
            preds,
            steps,
            details,
            holdout_f1: None,
        }
    }
}

/// A trained and applied student.
struct Trained {
    preds: Vec<Option<Prediction>>,
    steps: Vec<String>,
    details: serde_json::Value,
    holdout_f1: [Option<f64>; 7],
}

impl Trained {
    /// The outcome, its steps after the shared ones in `before`.
    fn outcome(self, before: &[&str]) -> Outcome {
        let steps = before.iter().map(|s| s.to_string()).chain(self.steps);
        Outcome {
            preds: to_predictions(&self.preds, true),
            steps: steps.collect(),
            details: self.details,
            holdout_f1: Some(self.holdout_f1),
        }
    }
}

fn to_predictions(preds: &[Option<Prediction>], with_scores: bool) -> Predictions {
    let lineages = preds
        .iter()
        .map(|p| {
            p.as_ref()
                .map_or_else(Lineage::unclassified, |p| p.lineage.clone())
        })
        .collect();
    let scores = with_scores.then(|| {
        preds
            .iter()
            .map(|p| p.as_ref().map_or_else(Vec::new, |p| p.scores.clone()))
            .collect()
    });
    Predictions { lineages, scores }
}

struct Ctx<'a> {
    features: &'a FeatureMatrix,
    settings: &'a Settings,
    seed: u64,
    scenario: &'a str,
    labels_path: &'a Path,
    steps: &'a mut Vec<StepRecord>,
    pb: &'a ProgressBar,
}

impl Ctx<'_> {
    /// Trains a student on `lineages` (+ soft labels) and annotates every contig.
    fn student(
        &mut self,
        id: &str,
        lineages: &[Lineage],
        tree: Option<&LabelTree>,
        soft: Option<&SparseSoftRows>,
        alpha_t: Option<(f32, f32)>,
    ) -> Result<Trained> {
        self.pb
            .set_message(format!("{} seed {}: {id}", self.scenario, self.seed));
        let mut args = self.settings.train.clone();
        args.seed = self.seed;
        if let Some((a, t)) = alpha_t {
            args.alpha = a;
            args.temperature = t;
        }
        let min_length = args.min_length;
        // with a tree given, `lineages` are training labels already (unresolved
        // leaves applied, as for the teacher); else they are made so here
        let own;
        let (lineages, tree) = match tree {
            Some(t) => (lineages, t),
            None => {
                let training = args.training_labels(lineages, &self.features.lengths);
                let tree = label_tree(
                    &training,
                    &self.features.lengths,
                    min_length,
                    &util::name(self.labels_path),
                )?;
                own = (training, tree);
                (own.0.as_slice(), &own.1)
            }
        };
        let prov = serde_json::json!({ "bench": { "scenario": self.scenario, "seed": self.seed, "method": id } });
        let features = self.features;
        let data = TrainingData {
            features,
            labels: lineages,
            tree,
            soft: soft.map(|s| s.as_slice()),
        };
        let bars = Bars::default();
        let (model, st) = step(&format!("train:{id}"), || {
            Ok(train_student(
                &data,
                &args.config(),
                min_length,
                prov,
                &bars,
            )?)
        })?;
        self.steps.push(st);
        let (preds, st) = step(&format!("annotate:{id}"), || {
            let student = model.student()?;
            let thresholds = student.meta.thresholds;
            Ok(annotate(
                &student,
                features,
                min_length,
                &thresholds,
                &bars,
            )?)
        })?;
        self.steps.push(st);
        let details = serde_json::json!({
            "alpha": soft.map(|_| args.alpha),
            "temperature": soft.map(|_| args.temperature),
            "thresholds": model.meta.thresholds,
            "holdout_f1": model.report.holdout_f1,
            "epochs_run": model.report.epochs_run,
            "best_epoch": model.report.best_epoch,
            "n_leaves": tree.n_leaves(),
        });
        Ok(Trained {
            preds,
            steps: vec![format!("train:{id}"), format!("annotate:{id}")],
            details,
            holdout_f1: model.report.holdout_f1,
        })
    }
}

/// `taxdistill run`'s pick among students already trained here: `ids` are
/// the distilled students of `temps` (same α) and, last, the student on the
/// labels alone; the one `run` would keep by its held-out F1 (labels, never
/// truth), by the pipeline's [`Choice`]. Its cost is all the candidates' steps.
fn run_choice(
    results: &[(String, Result<Outcome>)],
    ids: &[String],
    alpha: f32,
    temps: &[f32],
) -> Result<Outcome> {
    let mut scored = Vec::with_capacity(ids.len());
    let mut outcomes = Vec::with_capacity(ids.len());
    for (k, id) in ids.iter().enumerate() {
        let o = match results.iter().find(|(i, _)| i == id) {
            Some((_, Ok(o))) => o,
            Some((_, Err(e))) => bail!("candidate {id}: {e:#}"),
            None => bail!("candidate {id} was not trained"),
        };
        let f1 = o
            .holdout_f1
            .with_context(|| format!("candidate {id}: no held-out F1"))?;
        let c = match temps.get(k) {
            Some(&t) => Candidate::Distilled(alpha, t),
            None => Candidate::LabelsOnly,
        };
        scored.push((c, f1));
        outcomes.push(o);
    }
    let choice = Choice::of(&scored);
    let mut steps: Vec<String> = Vec::new();
    for o in &outcomes {
        for s in &o.steps {
            if !steps.contains(s) {
                steps.push(s.clone());
            }
        }
    }
    Ok(Outcome::of(
        outcomes[choice.kept].preds.clone(),
        steps,
        serde_json::json!({
            "kept": ids[choice.kept],
            "candidates": ids.iter().zip(&choice.candidates).map(|(id, sc)| serde_json::json!({
                "method": id,
                "holdout_f1_mean": sc.mean,
            })).collect::<Vec<_>>(),
        }),
    ))
}

/// A chosen student's predictions as `run` writes them: the open-set rule
/// over them (with the teacher's evidence), and contigs the student did not
/// annotate (`annotated[i]` false: shorter than the minimum length) keep
/// their input label.
fn as_run_writes(
    mut o: Outcome,
    labels: &[Lineage],
    annotated: &[bool],
    evidence: Option<(&taxdistill_teacher::graph::OpenSetEvidence, &LabelTree)>,
) -> Outcome {
    let preds: Vec<Option<Prediction>> = o
        .preds
        .lineages
        .iter()
        .zip(annotated)
        .enumerate()
        .map(|(i, (l, &a))| {
            let scores = o.preds.scores.as_ref().map(|s| s[i].clone());
            a.then(|| Prediction {
                lineage: l.clone(),
                scores: scores.unwrap_or_else(|| vec![1.0; l.depth()]),
            })
        })
        .collect();
    if let Some((ev, _)) = evidence {
        o.details["open_set"] = serde_json::json!({ "gates": ev.gates });
    }
    let corrected = correct(labels, &preds, evidence);
    let out: Vec<Option<Prediction>> = corrected.into_iter().map(|c| Some(c.prediction)).collect();
    o.preds = to_predictions(&out, true);
    o
}

fn find_step<'a>(steps: &'a [StepRecord], name: &str) -> Option<&'a StepRecord> {
    steps.iter().find(|s| s.name == name)
}

/// Runs one scenario × seed. `work` is a scratch directory for this run.
///
/// # Errors
/// Unreadable or inconsistent input data (a failing method is recorded in
/// its [`MethodRecord`] instead).
pub fn run_one(
    source: &Source,
    seed: u64,
    settings: &Settings,
    work: &Path,
    pb: &ProgressBar,
) -> Result<RunRecord> {
    let min_length = settings.train.min_length;
    let mut steps: Vec<StepRecord> = Vec::new();
    std::fs::create_dir_all(work)
        .with_context(|| format!("{}: cannot create directory", work.display()))?;
    let (name, files, vamb_wanted, grid_wanted, sim) = match source {
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
                Ok(c)
            })?;
            steps.push(st);
            let (labels, labels_format, taxonomy) = match scenario.labels {
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
            let files = Files {
                contigs: work.join("contigs.fna.gz"),
                abundance: Some(work.join("abundance.tsv")),
                labels,
                labels_format,
                truth: work.join("truth.tsv"),
                truth_format: None,
                taxonomy,
            };
            (
                scenario.name.clone(),
                files,
                scenario.vamb,
                scenario.grid,
                Some(community),
            )
        }
        Source::Dataset(d, scenario) => (
            scenario.name.clone(),
            Files {
                contigs: d.contigs.clone(),
                abundance: d.abundance.clone(),
                labels: d.labels.clone(),
                labels_format: d.labels_format.clone(),
                truth: d.truth.clone(),
                truth_format: d.truth_format.clone(),
                taxonomy: d.taxonomy.clone(),
            },
            scenario.vamb,
            scenario.grid,
            None,
        ),
    };
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

    let reference_depth: Option<Vec<u8>> = match &sim {
        Some(c) => {
            if c.contigs.len() != features.n_rows()
                || c.contigs
                    .iter()
                    .zip(&features.ids)
                    .any(|(r, id)| &r.id != id)
            {
                bail!("the simulated contigs and the FASTA read back differ (a bug)");
            }
            Some(
                c.contigs
                    .iter()
                    .map(|r| c.genomes[r.genome].reference_depth as u8)
                    .collect(),
            )
        }
        None => None,
    };
    let n = features.n_rows();
    let long: Vec<usize> = (0..n)
        .filter(|&i| features.lengths[i] >= min_length)
        .collect();
    let data = DataInfo {
        n_contigs: n,
        n_long: long.len(),
        n_labelled_long: long.iter().filter(|&&i| lineages[i].depth() > 0).count(),
        n_samples: features.n_samples,
        min_length,
        n_leaves: tree.n_leaves(),
        novel_share: reference_depth
            .as_ref()
            .map(|rd| rd.iter().filter(|&&d| d < 7).count() as f64 / n.max(1) as f64),
        label_kinds: sim.as_ref().map(|c| {
            c.label_counts()
                .into_iter()
                .map(|(k, v)| (k.name().to_string(), v))
                .collect()
        }),
    };

    let mut results: Vec<(String, Result<Outcome>)> = Vec::new();
    results.push((
        "raw_labels".into(),
        Ok(Outcome::of(
            Predictions {
                lineages: lineages.clone(),
                scores: None,
            },
            vec![],
            serde_json::json!({}),
        )),
    ));

    let mut ctx = Ctx {
        features: &features,
        settings,
        seed,
        scenario: &name,
        labels_path: &files.labels,
        steps: &mut steps,
        pb,
    };

    // the graph teacher, shared by the teacher, hard-label and soft-label methods
    ctx.pb.set_message(format!("{name} seed {seed}: teacher"));
    let opts = TeachOptions {
        teacher: TeacherKind::Graph,
        min_length,
        seed,
    };
    let teacher = step("teacher", || {
        Ok(teach(&features, &training, &tree, None, &opts, &Silent)?)
    });
    let teacher: std::result::Result<Taught, String> = match teacher {
        Ok((taught, st)) => {
            ctx.steps.push(st);
            Ok(taught)
        }
        Err(e) => Err(format!("{e:#}")),
    };
    match &teacher {
        Ok(Taught { soft, report, .. }) => {
            let argmax = teacher_predictions(soft, &tree);
            results.push((
                "teacher".into(),
                Ok(Outcome::of(
                    to_predictions(&argmax, true),
                    vec!["features".into(), "teacher".into()],
                    serde_json::json!({
                        "temperature": report.temperature,
                        "heldout_ece_after": report.ece_after,
                        "chosen": report.chosen,
                    }),
                )),
            ));
        }
        Err(e) => results.push(("teacher".into(), Err(anyhow::anyhow!("teacher: {e}")))),
    }

    // student on the noisy labels only (Taxometer-equivalent)
    let r = ctx
        .student("student_noisy", &training, Some(&tree), None, None)
        .map(|t| t.outcome(&["features"]));
    results.push(("student_noisy".into(), r));

    // student on the teacher's hard labels, and distilled with its soft labels
    match &teacher {
        Ok(Taught { soft, open_set, .. }) => {
            let hard: Vec<Lineage> = teacher_predictions(soft, &tree)
                .into_iter()
                .map(|p| p.map(|p| p.lineage).unwrap_or_default())
                .collect();
            let r = ctx
                .student("student_hard", &hard, None, None, None)
                .map(|t| t.outcome(&["features", "teacher"]));
            results.push(("student_hard".into(), r));
            let sparse = sparse_soft(soft, &features.ids, &tree);
            let mut points: Vec<(String, Option<(f32, f32)>)> = vec![("student_soft".into(), None)];
            if grid_wanted {
                points.extend(
                    settings
                        .grid
                        .iter()
                        .map(|&(a, t)| (grid_id(a, t), Some((a, t)))),
                );
            }
            // the further distilled students `taxdistill run` trains by default
            let alpha = settings.train.alpha;
            let temps = default_candidate_temperatures(settings.train.temperature);
            let mut run_ids = vec!["student_soft".to_string()];
            for &t in &temps[1..] {
                let id = grid_id(alpha, t);
                if points.iter().all(|(p, _)| *p != id) {
                    points.push((id.clone(), Some((alpha, t))));
                }
                run_ids.push(id);
            }
            for (id, at) in points {
                let r = match &sparse {
                    Ok(sp) => ctx
                        .student(&id, &training, Some(&tree), Some(sp), at)
                        .map(|t| t.outcome(&["features", "teacher"])),
                    Err(e) => Err(anyhow::anyhow!("soft labels: {e:#}")),
                };
                results.push((id, r));
            }
            run_ids.push("student_noisy".into());
            let annotated: Vec<bool> = features.lengths.iter().map(|&n| n >= min_length).collect();
            let r = run_choice(&results, &run_ids, alpha, &temps).map(|o| {
                as_run_writes(
                    o,
                    &lineages,
                    &annotated,
                    open_set.as_ref().map(|e| (e, &tree)),
                )
            });
            results.push(("taxdistill_run".into(), r));
        }
        Err(e) => {
            for id in ["student_hard", "student_soft", "taxdistill_run"] {
                results.push((id.into(), Err(anyhow::anyhow!("teacher: {e}"))));
            }
        }
    }

    // GenomeOcean: embeddings join the graph teacher
    if let Some(dir) = &settings.genomeocean {
        ctx.pb
            .set_message(format!("{name} seed {seed}: GenomeOcean"));
        let go = (|| -> Result<(taxdistill_core::softlabels::SoftLabels, Vec<String>)> {
            let (emb, st) = step("embed", || embed(dir, &files.contigs, &features.ids, 8))?;
            ctx.steps.push(st);
            let (Taught { soft, .. }, st) = step("teacher:genomeocean", || {
                Ok(teach(
                    &features,
                    &training,
                    &tree,
                    Some(&emb),
                    &opts,
                    &Silent,
                )?)
            })?;
            ctx.steps.push(st);
            Ok((
                soft,
                vec![
                    "features".into(),
                    "embed".into(),
                    "teacher:genomeocean".into(),
                ],
            ))
        })();
        match go {
            Ok((soft, base_steps)) => {
                results.push((
                    "teacher_genomeocean".into(),
                    Ok(Outcome::of(
                        to_predictions(&teacher_predictions(&soft, &tree), true),
                        base_steps.clone(),
                        serde_json::json!({}),
                    )),
                ));
                let r = sparse_soft(&soft, &features.ids, &tree)
                    .map_err(anyhow::Error::from)
                    .and_then(|sp| {
                        ctx.student(
                            "student_soft_genomeocean",
                            &training,
                            Some(&tree),
                            Some(&sp),
                            None,
                        )
                    });
                results.push((
                    "student_soft_genomeocean".into(),
                    r.map(|t| {
                        let before: Vec<&str> = base_steps.iter().map(String::as_str).collect();
                        t.outcome(&before)
                    }),
                ));
            }
            Err(e) => {
                for id in ["teacher_genomeocean", "student_soft_genomeocean"] {
                    results.push((id.into(), Err(anyhow::anyhow!("GenomeOcean: {e:#}"))));
                }
            }
        }
    }

    // the real vamb taxometer
    let mut skipped: Vec<(String, String)> = Vec::new();
    if vamb_wanted {
        match (&settings.vamb, &files.abundance) {
            (Err(why), _) => skipped.push(("vamb_taxometer".into(), why.clone())),
            (_, None) => skipped.push((
                "vamb_taxometer".into(),
                "no abundance file (vamb taxometer needs abundances)".into(),
            )),
            (Ok(exe), Some(ab)) => {
                ctx.pb
                    .set_message(format!("{name} seed {seed}: vamb taxometer"));
                let r = run_vamb(
                    exe,
                    &files.contigs,
                    ab,
                    &features,
                    &lineages,
                    seed,
                    settings,
                    work,
                )
                .map(|(preds, st)| {
                    ctx.steps.push(st);
                    Outcome::of(
                        preds,
                        vec!["vamb".into()],
                        serde_json::json!({ "executable": exe.display().to_string() }),
                    )
                });
                results.push(("vamb_taxometer".into(), r));
            }
        }
    }

    // scoring
    let t = Truthset {
        ids: &features.ids,
        lengths: &features.lengths,
        truth: &truth,
        labels: &lineages,
        reference_depth: reference_depth.as_deref(),
        min_length,
    };
    let mut methods = Vec::new();
    let mut codes: Vec<(String, Vec<[i8; 7]>)> = Vec::new();
    for (id, r) in results {
        let label = method_label(&id);
        match r {
            Ok(o) => {
                let (seconds, peak) = if o.steps.is_empty() {
                    (None, None)
                } else {
                    let found: Vec<&StepRecord> = o
                        .steps
                        .iter()
                        .filter_map(|s| find_step(&steps, s))
                        .collect();
                    (
                        Some(found.iter().map(|s| s.seconds).sum()),
                        found
                            .iter()
                            .filter_map(|s| s.peak_rss_mib)
                            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x)))),
                    )
                };
                codes.push((id.clone(), outcome_codes(&t, &o.preds, &long)));
                methods.push(MethodRecord {
                    id,
                    label,
                    status: "ok".into(),
                    steps: o.steps,
                    seconds,
                    peak_rss_mib: peak,
                    details: o.details,
                    eval: Some(evaluate_method(&t, &o.preds)),
                });
            }
            Err(e) => {
                tracing::warn!("{name} seed {seed}: {id} failed: {e:#}");
                say(
                    pb,
                    format!("warning: {name} seed {seed}: {id} failed: {e:#}"),
                );
                methods.push(MethodRecord {
                    id,
                    label,
                    status: format!("failed: {e:#}"),
                    steps: vec![],
                    seconds: None,
                    peak_rss_mib: None,
                    details: serde_json::json!({}),
                    eval: None,
                });
            }
        }
    }
    for (id, why) in skipped {
        methods.push(MethodRecord {
            label: method_label(&id),
            id,
            status: format!("skipped: {why}"),
            steps: vec![],
            seconds: None,
            peak_rss_mib: None,
            details: serde_json::json!({}),
            eval: None,
        });
    }
    let mut pairs = Vec::new();
    for i in 0..codes.len() {
        for j in i + 1..codes.len() {
            for r in Rank::ALL {
                let k = r.index();
                let (mut only_a, mut only_b, mut m) = (0, 0, 0);
                for (x, y) in codes[i].1.iter().zip(&codes[j].1) {
                    if x[k] < 0 {
                        continue;
                    }
                    m += 1;
                    match (x[k], y[k]) {
                        (1, 0) => only_a += 1,
                        (0, 1) => only_b += 1,
                        _ => {}
                    }
                }
                pairs.push(PairCounts {
                    a: codes[i].0.clone(),
                    b: codes[j].0.clone(),
                    rank: r.name().to_string(),
                    only_a,
                    only_b,
                    n: m,
                });
            }
        }
    }
    Ok(RunRecord {
        scenario: name,
        seed,
        data,
        steps,
        methods,
        pairs,
    })
}

/// Writes vamb's inputs (labels of the contigs ≥ min length as Taxometer
/// TSV, abundances as `contigname\t<sample>…`), runs `vamb taxometer` and
/// reads its `results_taxometer.tsv` back, aligned to the feature rows.
#[allow(clippy::too_many_arguments)]
fn run_vamb(
    exe: &Path,
    contigs: &Path,
    abundance: &Path,
    features: &FeatureMatrix,
    lineages: &[Lineage],
    seed: u64,
    settings: &Settings,
    work: &Path,
) -> Result<(Predictions, StepRecord)> {
    let min_length = settings.train.min_length;
    let dir = work.join("vamb_inputs");
    std::fs::create_dir_all(&dir)?;
    let tax = dir.join("taxonomy.tsv");
    util::write_atomic(&tax, |w| {
        writeln!(w, "contigs\tpredictions")?;
        for (i, id) in features.ids.iter().enumerate() {
            if features.lengths[i] >= min_length {
                writeln!(w, "{id}\t{}", lineages[i].to_plain_string())?;
            }
        }
        Ok(())
    })?;
    let ab = taxdistill_core::abundance::read_abundance(
        util::open_text(abundance)?,
        &util::name(abundance),
    )
    .with_context(|| format!("reading abundances from {}", abundance.display()))?;
    let values = ab.aligned_to(&features.ids)?;
    let s = ab.samples.len();
    let ab_path = dir.join("abundance.tsv");
    util::write_atomic(&ab_path, |w| {
        write!(w, "contigname")?;
        for name in &ab.samples {
            write!(w, "\t{name}")?;
        }
        writeln!(w)?;
        for (i, id) in features.ids.iter().enumerate() {
            write!(w, "{id}")?;
            for v in &values[i * s..(i + 1) * s] {
                write!(w, "\t{v}")?;
            }
            writeln!(w)?;
        }
        Ok(())
    })?;
    let out = work.join("vamb");
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    let threads = settings.threads.max(1).to_string();
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("taxometer")
        .arg("--outdir")
        .arg(&out)
        .arg("--fasta")
        .arg(contigs)
        .arg("--abundance_tsv")
        .arg(&ab_path)
        .arg("--taxonomy")
        .arg(&tax)
        .args(["-p", &threads, "--seed", &seed.to_string(), "-m"])
        .arg(min_length.to_string())
        .env("OMP_NUM_THREADS", &threads)
        .env("MKL_NUM_THREADS", &threads);
    let log = work.join("vamb.log");
    let (status, st) = subprocess("vamb", &mut cmd, &log)?;
    if !status.success() {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(3).collect();
        bail!(
            "{} taxometer exited with {status}; last lines of {}: {}",
            exe.display(),
            log.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        );
    }
    let res = out.join("results_taxometer.tsv");
    let (labels, scores) = convert::load_labels(&res, Some("taxometer"), None)
        .with_context(|| format!("reading vamb's {}", res.display()))?;
    let by_id: HashMap<&str, &Lineage> = labels
        .entries
        .iter()
        .map(|(id, l)| (id.as_str(), l))
        .collect();
    let lineages_v: Vec<Lineage> = features
        .ids
        .iter()
        .map(|id| {
            by_id
                .get(id.as_str())
                .map_or_else(Lineage::unclassified, |l| (*l).clone())
        })
        .collect();
    let scores_v: Vec<Vec<f32>> = features
        .ids
        .iter()
        .zip(&lineages_v)
        .map(|(id, l)| {
            scores
                .get(id)
                .filter(|s| s.len() == l.depth())
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    let has_scores = scores_v
        .iter()
        .zip(&lineages_v)
        .any(|(s, l)| l.depth() > 0 && !s.is_empty());
    Ok((
        Predictions {
            lineages: lineages_v,
            scores: has_scores.then_some(scores_v),
        },
        st,
    ))
}

/// Finds the `vamb` executable: `--vamb PATH`, else `vamb` on `PATH`.
pub fn find_vamb(explicit: Option<&Path>) -> std::result::Result<PathBuf, String> {
    if let Some(p) = explicit {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(format!("--vamb {}: no such file", p.display()))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("vamb"))
        .find(|p| p.is_file())
        .ok_or_else(|| "vamb is not installed (not on PATH; pass --vamb PATH)".to_string())
}
