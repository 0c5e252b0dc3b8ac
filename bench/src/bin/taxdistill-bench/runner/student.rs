//! The students of a run: trained on the pipeline (`train_student`) and
//! applied (`annotate`) as `taxdistill distill`/`annotate` do, and the
//! student `taxdistill run` would keep among them (the pipeline's
//! [`Choice`], by held-out F1 against the labels, never the truth), written
//! as `run` writes it (the open-set rule; short contigs keep their labels).

use super::Settings;
use anyhow::{bail, Context, Result};
use indicatif::ProgressBar;
use std::path::Path;
use taxdistill::util::{self, Bars};
use taxdistill_bench::evaluate::Predictions;
use taxdistill_bench::measure::{step, StepRecord};
use taxdistill_core::features::FeatureMatrix;
use taxdistill_core::model::Prediction;
use taxdistill_core::taxonomy::{LabelTree, Lineage};
use taxdistill_pipeline::annotate::{annotate, correct};
use taxdistill_pipeline::choose::{Candidate, Choice};
use taxdistill_pipeline::distill::{train_student, TrainingData};
use taxdistill_pipeline::load::label_tree;
use taxdistill_pipeline::teach::SparseSoftRows;

/// What a method produced in a run, before scoring.
pub(super) struct Outcome {
    pub preds: Predictions,
    /// Steps this output needed (shared ones included).
    pub steps: Vec<String>,
    pub details: serde_json::Value,
    /// A student's held-out F1 against the labels per rank (what `run`'s choice compares).
    holdout_f1: Option<[Option<f64>; 7]>,
}

impl Outcome {
    /// An outcome that is not a student's.
    pub fn of(preds: Predictions, steps: Vec<String>, details: serde_json::Value) -> Outcome {
        Outcome {
            preds,
            steps,
            details,
            holdout_f1: None,
        }
    }
}

/// A trained and applied student.
pub(super) struct Trained {
    preds: Vec<Option<Prediction>>,
    steps: Vec<String>,
    details: serde_json::Value,
    holdout_f1: [Option<f64>; 7],
}

impl Trained {
    /// The outcome, its steps after the shared ones in `before`.
    pub fn outcome(self, before: &[&str]) -> Outcome {
        let steps = before.iter().map(|s| s.to_string()).chain(self.steps);
        Outcome {
            preds: to_predictions(&self.preds, true),
            steps: steps.collect(),
            details: self.details,
            holdout_f1: Some(self.holdout_f1),
        }
    }
}

/// Predictions as the evaluation takes them (unannotated = unclassified).
pub(super) fn to_predictions(preds: &[Option<Prediction>], with_scores: bool) -> Predictions {
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

/// What training a student needs of its run; `steps` collects the timed steps.
pub(super) struct Ctx<'a> {
    pub features: &'a FeatureMatrix,
    pub settings: &'a Settings,
    pub seed: u64,
    pub scenario: &'a str,
    pub labels_path: &'a Path,
    pub steps: &'a mut Vec<StepRecord>,
    pub pb: &'a ProgressBar,
}

impl Ctx<'_> {
    /// Trains a student on `lineages` (+ soft labels) and annotates every contig.
    pub fn student(
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
            anyhow::Ok(train_student(
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
            anyhow::Ok(annotate(
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
pub(super) fn run_choice(
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
pub(super) fn as_run_writes(
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
