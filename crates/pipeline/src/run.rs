//! `taxdistill run`'s stages in order, on loaded data:
//! [`prepare`] (trusted and training labels, label tree) →
//! [`Prepared::teach`] (graph teacher, optional embeddings) →
//! [`Prepared::finish`] (distill and choose, annotate, the open-set rule,
//! passthrough, summary). The caller writes the files between and after.
//!
//! Shapes as in [`crate::load`]: every per-contig vector is aligned to the
//! feature rows.

use crate::annotate::{annotate, correct, Outputs};
use crate::choose::{distill_and_choose, Students, DEFAULT_TRY_TEMPERATURES};
use crate::distill::TrainingData;
use crate::load::{label_tree, training_labels, trusted_labels, Loaded};
use crate::progress::Progress;
use crate::teach::{sparse_soft, teach, Embeddings, Taught, TeachOptions, TeacherKind};
use crate::Result;
use taxdistill_core::model::Prediction;
use taxdistill_core::openset::{self, Corrected, Summary};
use taxdistill_core::taxonomy::{LabelTree, Lineage};
use taxdistill_teacher::novel::RankGate;
use taxdistill_train::TrainConfig;

/// Options of a whole run (`taxdistill run`'s defaults).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Run the graph teacher; `false` trains on the labels alone.
    pub teacher: bool,
    /// The first student's training configuration (α, T, seed, …).
    pub train: TrainConfig,
    /// Contigs shorter than this (bp) are neither trained on nor annotated.
    pub min_length: usize,
    /// Train unresolved leaves for labels that stop above the deepest rank.
    pub unresolved_leaves: bool,
    /// Further distillation temperatures tried next to `train.temperature`.
    pub try_temperatures: Vec<f32>,
    /// Also train the further students and the labels-only one, and keep the best.
    pub student_fallback: bool,
    /// Apply the open-set rule (with the graph teacher's evidence).
    pub open_set: bool,
    /// Contigs the student does not annotate keep their input label.
    pub passthrough: bool,
    /// Labels resting on less than this share of their contig are trusted above the genus only.
    pub min_support: f32,
    /// The graph teacher's exact neighbour search up to this many contigs
    /// ([`TeachOptions::exact_knn_max_contigs`]).
    pub exact_knn_max_contigs: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            teacher: true,
            train: TrainConfig::default(),
            min_length: 2000,
            unresolved_leaves: true,
            try_temperatures: DEFAULT_TRY_TEMPERATURES.to_vec(),
            student_fallback: true,
            open_set: true,
            passthrough: true,
            min_support: openset::SPECIES_KMER_SHARE,
            exact_knn_max_contigs: taxdistill_teacher::graph::EXACT_KNN_MAX_CONTIGS,
        }
    }
}

/// The loaded data with the labels training uses.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub loaded: Loaded,
    pub opts: RunOptions,
    /// The labels as trusted: those resting on a small share of their
    /// contig are cut above the genus (votes and the open-set rule's input).
    pub voters: Vec<Lineage>,
    /// How many labels were cut so.
    pub n_weak: usize,
    /// What the teacher and the students learn from (unresolved leaves applied).
    pub training: Vec<Lineage>,
    pub tree: LabelTree,
}

/// Trusted and training labels and the label tree of `loaded`;
/// `labels_name` names the labels in errors.
///
/// # Errors
/// Labels that give nothing to train on ([`crate::load::label_tree`]).
pub fn prepare(loaded: Loaded, opts: &RunOptions, labels_name: &str) -> Result<Prepared> {
    let labels = &loaded.labels;
    let voters = trusted_labels(&labels.lineages, &labels.support, opts.min_support);
    let n_weak = voters
        .iter()
        .zip(&labels.lineages)
        .filter(|(v, l)| v != l)
        .count();
    let lengths = &loaded.features.lengths;
    let training = training_labels(&voters, lengths, opts.min_length, opts.unresolved_leaves);
    let tree = label_tree(&training, lengths, opts.min_length, labels_name)?;
    Ok(Prepared {
        loaded,
        opts: opts.clone(),
        voters,
        n_weak,
        training,
        tree,
    })
}

/// What a run produced, for the caller to write and report.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The kept student (its provenance records the choice) and the choice.
    pub students: Students,
    /// The student's predictions (`None` for contigs it does not annotate).
    pub student_preds: Vec<Option<Prediction>>,
    /// Where the open-set rule ran, its per-rank gates.
    pub gates: Option<[RankGate; 7]>,
    /// Each contig's output as summarised.
    pub written: Vec<Corrected>,
    /// What the writers get.
    pub outputs: Outputs,
    /// How the outputs relate to the labels as given, per rank.
    pub summary: Summary,
}

impl Prepared {
    /// The graph teacher's soft labels and evidence (`None` without a
    /// teacher); `embeddings` join its graph.
    ///
    /// # Errors
    /// A failing teacher.
    pub fn teach(
        &self,
        embeddings: Option<&Embeddings>,
        progress: &dyn Progress,
    ) -> Result<Option<Taught>> {
        if !self.opts.teacher {
            return Ok(None);
        }
        let opts = TeachOptions {
            teacher: TeacherKind::Graph,
            min_length: self.opts.min_length,
            seed: self.opts.train.seed,
            exact_knn_max_contigs: self.opts.exact_knn_max_contigs,
        };
        let features = &self.loaded.features;
        teach(
            features,
            &self.training,
            &self.tree,
            embeddings,
            &opts,
            progress,
        )
        .map(Some)
    }

    /// Distils (and chooses among) the students, annotates, applies the
    /// open-set rule and passthrough, and summarises; `provenance` goes into
    /// the model's `model.json`.
    ///
    /// # Errors
    /// Soft labels that do not fit, a failing training run.
    pub fn finish(
        &self,
        taught: Option<Taught>,
        provenance: serde_json::Value,
        progress: &dyn Progress,
    ) -> Result<RunOutput> {
        let features = &self.loaded.features;
        let opts = &self.opts;
        let (soft, evidence) = match taught {
            Some(t) => (
                Some(sparse_soft(&t.soft, &features.ids, &self.tree)?),
                t.open_set,
            ),
            None => (None, None),
        };
        let data = TrainingData {
            features,
            labels: &self.training,
            tree: &self.tree,
            soft: soft.as_deref(),
        };
        let students = distill_and_choose(
            &data,
            &opts.train,
            &opts.try_temperatures,
            opts.student_fallback,
            opts.min_length,
            &provenance,
            progress,
        )?;
        drop(soft);
        let student = students.model.student()?;
        let thresholds = student.meta.thresholds;
        let student_preds = annotate(&student, features, opts.min_length, &thresholds, progress)?;
        let evidence = evidence.filter(|_| opts.open_set);
        let corrected = correct(
            &self.voters,
            &student_preds,
            evidence.as_ref().map(|e| (e, &self.tree)),
        );
        let (written, outputs) =
            Outputs::for_run(corrected, &student_preds, opts.passthrough, opts.min_length);
        let summary = Summary::of(&self.loaded.labels.lineages, &written);
        Ok(RunOutput {
            students,
            student_preds,
            gates: evidence.map(|e| e.gates),
            written,
            outputs,
            summary,
        })
    }
}
