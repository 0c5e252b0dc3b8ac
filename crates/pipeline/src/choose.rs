//! Choosing: `taxdistill run` trains the distilled students of several
//! temperatures and the student on the labels alone, and keeps the one that
//! scores best on the held-out labels (the same hold-out split, the same
//! noisy labels, never truth). The benchmark scores its own students with
//! the same [`Choice`].

use crate::distill::{train_student, BuiltModel, TrainingData};
use crate::progress::Progress;
use crate::Result;
use taxdistill_train::TrainConfig;

/// The further temperatures `run` tries by default next to the configured
/// one (also what `bench`'s `taxdistill_run` method tries).
pub const DEFAULT_TRY_TEMPERATURES: [f32; 1] = [1.0];

/// A student `run` may keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Candidate {
    /// Distilled with (α, T).
    Distilled(f32, f32),
    /// Trained on the noisy labels alone.
    LabelsOnly,
}

impl Candidate {
    /// The distillation weight α (`None` for the labels-only student).
    pub fn alpha(&self) -> Option<f32> {
        match self {
            Candidate::Distilled(a, _) => Some(*a),
            Candidate::LabelsOnly => None,
        }
    }
    /// The distillation temperature (`None` for the labels-only student).
    pub fn temperature(&self) -> Option<f32> {
        match self {
            Candidate::Distilled(_, t) => Some(*t),
            Candidate::LabelsOnly => None,
        }
    }
}

impl std::fmt::Display for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Candidate::Distilled(a, t) => write!(f, "distilled student (alpha {a}, T {t})"),
            Candidate::LabelsOnly => write!(f, "student trained on the labels alone"),
        }
    }
}

/// One candidate and its held-out scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub candidate: Candidate,
    /// Held-out F1 against the labels per rank (domain … species).
    pub holdout_f1: [Option<f64>; 7],
    /// The mean over the ranks every candidate reaches (`None` when they share none).
    pub mean: Option<f64>,
}

/// The candidates, their scores and the one kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub candidates: Vec<Scored>,
    /// Index of the kept candidate.
    pub kept: usize,
}

impl Choice {
    /// Scores `candidates` (each with its per-rank held-out F1) and picks
    /// one by [`choose`].
    pub fn of(candidates: &[(Candidate, [Option<f64>; 7])]) -> Choice {
        let (kept, means) = choose(candidates);
        Choice {
            candidates: candidates
                .iter()
                .zip(means)
                .map(|(&(candidate, holdout_f1), mean)| Scored {
                    candidate,
                    holdout_f1,
                    mean,
                })
                .collect(),
            kept,
        }
    }

    /// The kept candidate.
    pub fn kept(&self) -> &Scored {
        &self.candidates[self.kept]
    }

    /// The choice as recorded in the kept model's provenance (`student_fallback`).
    pub fn provenance(&self) -> serde_json::Value {
        serde_json::json!({
            "candidates": self.candidates.iter().map(|c| serde_json::json!({
                "student": c.candidate.to_string(),
                "alpha": c.candidate.alpha(),
                "temperature": c.candidate.temperature(),
                "holdout_f1": c.holdout_f1,
                "holdout_f1_mean": c.mean,
            })).collect::<Vec<_>>(),
            "kept": self.kept().candidate.to_string(),
        })
    }
}

/// The candidate to keep and each one's score: the mean per-rank held-out F1
/// over the ranks every candidate reaches (`None` for all when they share
/// none). The highest mean wins; ties go to the earlier candidate, so with
/// equal scores the first distilled student is kept.
pub fn choose(scored: &[(Candidate, [Option<f64>; 7])]) -> (usize, Vec<Option<f64>>) {
    let shared: Vec<usize> = (0..7)
        .filter(|&r| scored.iter().all(|(_, f)| f[r].is_some()))
        .collect();
    if shared.is_empty() {
        return (0, vec![None; scored.len()]);
    }
    let scores: Vec<Option<f64>> = scored
        .iter()
        .map(|(_, f)| {
            Some(shared.iter().map(|&r| f[r].unwrap_or(0.0)).sum::<f64>() / shared.len() as f64)
        })
        .collect();
    let mut best = 0;
    for (i, s) in scores.iter().enumerate() {
        if s > &scores[best] {
            best = i;
        }
    }
    (best, scores)
}

/// The distillation temperatures of `run`'s candidates: `first`, then each
/// of `further` not already in the list.
pub fn candidate_temperatures(first: f32, further: impl IntoIterator<Item = f32>) -> Vec<f32> {
    let mut out = vec![first];
    for t in further {
        if out.iter().all(|u| (u - t).abs() > 1e-6) {
            out.push(t);
        }
    }
    out
}

/// [`candidate_temperatures`] with [`DEFAULT_TRY_TEMPERATURES`].
pub fn default_candidate_temperatures(first: f32) -> Vec<f32> {
    candidate_temperatures(first, DEFAULT_TRY_TEMPERATURES)
}

/// The kept student and, where there was a choice, the choice.
#[derive(Debug, Clone)]
pub struct Students {
    /// The kept model; with a choice, its provenance records it.
    pub model: BuiltModel,
    pub choice: Option<Choice>,
}

/// Trains `run`'s students: the distilled student of `cfg` (its α and
/// temperature) and, with soft labels and `fallback`, the distilled students
/// of each further temperature of `temperatures` (duplicates dropped) and
/// the student on the labels alone; keeps the best by [`choose`].
///
/// # Errors
/// A failing training run.
pub fn distill_and_choose(
    data: &TrainingData,
    cfg: &TrainConfig,
    temperatures: &[f32],
    fallback: bool,
    min_length: usize,
    provenance: &serde_json::Value,
    progress: &dyn Progress,
) -> Result<Students> {
    let configs: Vec<TrainConfig> =
        candidate_temperatures(cfg.temperature, temperatures.iter().copied())
            .into_iter()
            .map(|temperature| TrainConfig {
                temperature,
                ..cfg.clone()
            })
            .collect();
    let first = train_student(data, &configs[0], min_length, provenance.clone(), progress)?;
    if data.soft.is_none() || !fallback {
        return Ok(Students {
            model: first,
            choice: None,
        });
    }
    let mut scored = vec![(
        Candidate::Distilled(configs[0].alpha, configs[0].temperature),
        first.report.holdout_f1,
    )];
    let mut models = vec![first];
    for c in &configs[1..] {
        let m = train_student(data, c, min_length, provenance.clone(), progress)?;
        scored.push((
            Candidate::Distilled(c.alpha, c.temperature),
            m.report.holdout_f1,
        ));
        models.push(m);
    }
    let plain = TrainingData {
        soft: None,
        ..*data
    };
    let m = train_student(&plain, cfg, min_length, provenance.clone(), progress)?;
    scored.push((Candidate::LabelsOnly, m.report.holdout_f1));
    models.push(m);
    let choice = Choice::of(&scored);
    let mut model = models.swap_remove(choice.kept);
    model.meta.provenance["student_fallback"] = choice.provenance();
    Ok(Students {
        model,
        choice: Some(choice),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_compares_the_ranks_every_student_reaches() {
        let a = [Some(1.0), Some(0.8), Some(0.6), None, None, None, None];
        let b = [Some(1.0), Some(0.9), None, None, None, None, None];
        let c = [Some(1.0), Some(0.7), Some(0.99), None, None, None, None];
        let d = Candidate::Distilled(0.3, 4.0);
        let (best, s) = choose(&[(d, a), (Candidate::LabelsOnly, b)]);
        assert_eq!(best, 1);
        assert!((s[0].unwrap() - 0.9).abs() < 1e-12 && (s[1].unwrap() - 0.95).abs() < 1e-12);
        // rank 3 is not shared, so c's 0.99 does not count
        let (best, _) = choose(&[(d, a), (Candidate::Distilled(0.3, 1.0), c), (d, b)]);
        assert_eq!(best, 2);
        // ties keep the first
        let (best, _) = choose(&[(d, a), (Candidate::LabelsOnly, a)]);
        assert_eq!(best, 0);
        let (best, s) = choose(&[(d, [None; 7]), (Candidate::LabelsOnly, b)]);
        assert_eq!((best, s), (0, vec![None, None]));
    }

    #[test]
    fn a_choice_records_every_candidate_and_the_kept_one() {
        let a = [Some(1.0), Some(0.8), None, None, None, None, None];
        let b = [Some(1.0), Some(0.9), None, None, None, None, None];
        let c = Choice::of(&[
            (Candidate::Distilled(0.3, 4.0), a),
            (Candidate::LabelsOnly, b),
        ]);
        assert_eq!(c.kept().candidate, Candidate::LabelsOnly);
        let p = c.provenance();
        assert_eq!(p["kept"], "student trained on the labels alone");
        assert_eq!(p["candidates"][0]["temperature"], 4.0);
        assert_eq!(p["candidates"][1]["alpha"], serde_json::Value::Null);
    }

    #[test]
    fn further_temperatures_are_added_once() {
        assert_eq!(
            candidate_temperatures(4.0, [2.0, 1.0, 2.0]),
            vec![4.0, 2.0, 1.0]
        );
        assert_eq!(default_candidate_temperatures(1.0), vec![1.0]);
        assert_eq!(default_candidate_temperatures(4.0), vec![4.0, 1.0]);
    }
}
