//! The noisy labels and the student against a known truth (the demo ships
//! its simulator's truth).
//!
//! Runtime-free: tested natively.

use super::{Table, NR};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use taxdistill_core::taxonomy::Lineage;

/// Noisy labels and the student against a known truth, over the contigs the
/// student annotated (at least the model's minimum length) that the truth lists.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TruthCheck {
    /// Contigs compared.
    pub n: u64,
    /// Per rank: F1 of the noisy labels and of the student (Taxometer's definition).
    pub f1_labels: Vec<f64>,
    pub f1_student: Vec<f64>,
    /// Per rank, over changed labels: wrong labels the student made right…
    pub fixed: Vec<u64>,
    /// …and right labels it made wrong.
    pub broken: Vec<u64>,
}

/// Compares the noisy labels and the student's lineages with `truth`.
pub fn truth_check(t: &Table, truth: &[(String, Lineage)]) -> TruthCheck {
    use taxdistill_core::taxonomy::normalize_name;
    let by_id: HashMap<&str, &Lineage> = truth.iter().map(|(id, l)| (id.as_str(), l)).collect();
    let text = |l: &[u32]| Lineage(l.iter().map(|&n| t.name(n).to_string()).collect());
    let (mut truths, mut labels, mut student) = (Vec::new(), Vec::new(), Vec::new());
    let mut fixed = vec![0u64; NR];
    let mut broken = vec![0u64; NR];
    for i in 0..t.len() {
        // the student against the labels: kept input labels would only dilute it
        let (true, Some(pred), Some(&tl)) = (t.by_student(i), t.pred(i), by_id.get(t.id(i))) else {
            continue;
        };
        let (noisy, pred) = (text(t.noisy(i)), text(pred));
        for r in 0..NR {
            let (Some(a), Some(b), Some(want)) = (noisy.0.get(r), pred.0.get(r), tl.0.get(r))
            else {
                continue;
            };
            let (a, b, want) = (normalize_name(a), normalize_name(b), normalize_name(want));
            if a != b {
                fixed[r] += u64::from(b == want);
                broken[r] += u64::from(a == want);
            }
        }
        let id = t.id(i).to_string();
        truths.push((id.clone(), tl.clone()));
        labels.push((id.clone(), noisy));
        student.push((id, pred));
    }
    let f1 = |p: &[(String, Lineage)]| -> Vec<f64> {
        taxdistill_core::metrics::evaluate(&truths, p, None)
            .iter()
            .map(|m| m.f1)
            .collect()
    };
    TruthCheck {
        n: truths.len() as u64,
        f1_labels: f1(&labels),
        f1_student: f1(&student),
        fixed,
        broken,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{lineage, table};
    use super::*;

    #[test]
    fn truth_check_counts_fixed_and_broken_labels() {
        let t = table(&[
            ("a", 1, "B;X", Some("B;Y"), &[1.0, 0.9]),
            ("b", 1, "B;X", Some("B;Z"), &[1.0, 0.9]),
            ("c", 1, "B;X", Some("B;X"), &[1.0, 0.9]),
            ("d", 1, "B", None, &[]),
        ]);
        let truth: Vec<(String, Lineage)> =
            [("a", "B;Y"), ("b", "B;X"), ("c", "B;X"), ("d", "B;X")]
                .iter()
                .map(|(i, l)| (i.to_string(), lineage(l)))
                .collect();
        let c = truth_check(&t, &truth);
        assert_eq!(c.n, 3, "d is not annotated (it keeps its input label)");
        assert_eq!((c.fixed[1], c.broken[1]), (1, 1));
        assert!((c.f1_labels[1] - 2.0 / 3.0).abs() < 1e-9);
        assert!((c.f1_student[1] - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(c.f1_student[0], 1.0);
    }
}
