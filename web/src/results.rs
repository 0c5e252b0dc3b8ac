//! What one run produces, as sent from the worker to the page (JSON), and the
//! summaries the charts draw from it.

use serde::{Deserialize, Serialize};

/// Rank names, domain … species (the order of lineages).
pub const RANKS: [&str; 7] = [
    "domain", "phylum", "class", "order", "family", "genus", "species",
];

/// One contig of the results table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Contig id (FASTA header up to the first whitespace).
    pub id: String,
    /// Length in bp.
    pub len: u64,
    /// The noisy input label, domain first (empty: unlabelled).
    pub noisy: Vec<String>,
    /// The student's lineage (`None`: shorter than the model's minimum length, not annotated).
    pub pred: Option<Vec<String>>,
    /// One probability per rank of `pred`.
    pub scores: Vec<f32>,
}

/// Everything the page shows and exports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// Which backend ran the student (`webgpu` or `cpu`).
    pub backend: String,
    /// Why the CPU ran when WebGPU was asked for (empty otherwise).
    pub backend_note: String,
    pub rows: Vec<Row>,
    pub total_bp: u64,
    /// Whether noisy labels were given.
    pub has_labels: bool,
    /// Seconds spent parsing + features, and in inference.
    pub secs_features: f64,
    pub secs_inference: f64,
    /// Exports written by the core writers (byte-identical to the CLI's).
    /// (The three exports travel beside the JSON, as plain strings: parsing
    /// them as JSON on the page would cost a long main-thread task.)
    #[serde(skip)]
    pub taxometer_tsv: String,
    #[serde(skip)]
    pub cami: String,
    #[serde(skip)]
    pub kraken_report: String,
    /// Non-fatal problems (e.g. labels naming contigs absent from the FASTA).
    pub warnings: Vec<String>,
    /// Size of the worker's wasm memory at the end (it never shrinks: the peak).
    #[serde(default)]
    pub wasm_memory_bytes: f64,
}

/// How the student's call at one rank relates to the noisy label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Both reach the rank and agree.
    Confirmed,
    /// The label did not reach the rank; the student does.
    Deepened,
    /// Both reach the rank and disagree.
    Changed,
    /// The student does not reach the rank.
    Unclassified,
}

/// Classifies one annotated contig at rank index `r`.
pub fn change_at(noisy: &[String], pred: &[String], r: usize) -> Change {
    match (noisy.get(r), pred.get(r)) {
        (_, None) => Change::Unclassified,
        (None, Some(_)) => Change::Deepened,
        (Some(a), Some(b)) if a == b => Change::Confirmed,
        _ => Change::Changed,
    }
}

/// Per-rank counts of [`Change`] over annotated contigs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RankCounts {
    pub confirmed: u64,
    pub deepened: u64,
    pub changed: u64,
    pub unclassified: u64,
}

/// Counts per rank (domain … species) over annotated rows.
pub fn rank_counts(rows: &[Row]) -> [RankCounts; 7] {
    let mut out = [RankCounts::default(); 7];
    for row in rows {
        let Some(pred) = &row.pred else { continue };
        for (r, c) in out.iter_mut().enumerate() {
            match change_at(&row.noisy, pred, r) {
                Change::Confirmed => c.confirmed += 1,
                Change::Deepened => c.deepened += 1,
                Change::Changed => c.changed += 1,
                Change::Unclassified => c.unclassified += 1,
            }
        }
    }
    out
}

/// Histogram of the student's score at rank `r` over contigs predicted to
/// that rank: `bins` equal bins over [0, 1].
pub fn score_histogram(rows: &[Row], r: usize, bins: usize) -> Vec<u64> {
    let mut h = vec![0u64; bins.max(1)];
    for row in rows {
        if let (Some(_), Some(&s)) = (&row.pred, row.scores.get(r)) {
            let b = ((s.clamp(0.0, 1.0) * bins as f32) as usize).min(bins - 1);
            h[b] += 1;
        }
    }
    h
}

/// One node of the prediction tree (for the sunburst).
#[derive(Debug, Clone, PartialEq)]
pub struct TreeNode {
    pub name: String,
    pub depth: usize,
    pub contigs: u64,
    pub bp: u64,
    pub children: Vec<usize>,
    pub parent: Option<usize>,
}

/// Builds the tree of predicted lineages; node 0 is the root ("all annotated
/// contigs"); children sorted by name so the drawing is stable.
pub fn prediction_tree(rows: &[Row]) -> Vec<TreeNode> {
    use std::collections::HashMap;
    let mut nodes = vec![TreeNode {
        name: "all".into(),
        depth: 0,
        contigs: 0,
        bp: 0,
        children: vec![],
        parent: None,
    }];
    let mut index: HashMap<(usize, String), usize> = HashMap::new();
    for row in rows {
        let Some(pred) = &row.pred else { continue };
        let mut v = 0;
        nodes[0].contigs += 1;
        nodes[0].bp += row.len;
        for name in pred {
            let next = match index.get(&(v, name.clone())) {
                Some(&c) => c,
                None => {
                    let c = nodes.len();
                    let depth = nodes[v].depth + 1;
                    nodes.push(TreeNode {
                        name: name.clone(),
                        depth,
                        contigs: 0,
                        bp: 0,
                        children: vec![],
                        parent: Some(v),
                    });
                    nodes[v].children.push(c);
                    index.insert((v, name.clone()), c);
                    c
                }
            };
            nodes[next].contigs += 1;
            nodes[next].bp += row.len;
            v = next;
        }
    }
    let names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
    for n in &mut nodes {
        n.children.sort_by(|a, b| names[*a].cmp(&names[*b]));
    }
    nodes
}

/// Flows noisy label → student label at rank `r`, with at most `top` named
/// categories per side (the rest pooled as "other"). Returns
/// (left names, right names, flows (left, right, count)).
pub fn sankey_flows(
    rows: &[Row],
    r: usize,
    top: usize,
) -> (Vec<String>, Vec<String>, Vec<(usize, usize, u64)>) {
    use std::collections::HashMap;
    const NONE: &str = "unclassified";
    let name_at = |l: &[String]| l.get(r).cloned().unwrap_or_else(|| NONE.to_string());
    let mut pairs: HashMap<(String, String), u64> = HashMap::new();
    for row in rows {
        let Some(pred) = &row.pred else { continue };
        *pairs
            .entry((name_at(&row.noisy), name_at(pred)))
            .or_default() += 1;
    }
    let keep = |side: usize| -> Vec<String> {
        let mut tot: HashMap<&String, u64> = HashMap::new();
        for ((a, b), n) in &pairs {
            *tot.entry(if side == 0 { a } else { b }).or_default() += n;
        }
        let mut v: Vec<(&String, u64)> = tot.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut names: Vec<String> = v.iter().take(top).map(|(s, _)| (*s).clone()).collect();
        if v.len() > top {
            names.push("other".into());
        }
        names
    };
    let (left, right) = (keep(0), keep(1));
    let idx =
        |names: &[String], s: &String| names.iter().position(|n| n == s).unwrap_or(names.len() - 1);
    let mut flows: HashMap<(usize, usize), u64> = HashMap::new();
    for ((a, b), n) in &pairs {
        *flows.entry((idx(&left, a), idx(&right, b))).or_default() += n;
    }
    let mut flows: Vec<(usize, usize, u64)> =
        flows.into_iter().map(|((a, b), n)| (a, b, n)).collect();
    flows.sort();
    (left, right, flows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, len: u64, noisy: &str, pred: Option<&str>, scores: &[f32]) -> Row {
        let split = |s: &str| {
            if s.is_empty() {
                vec![]
            } else {
                s.split(';').map(String::from).collect()
            }
        };
        Row {
            id: id.into(),
            len,
            noisy: split(noisy),
            pred: pred.map(split),
            scores: scores.to_vec(),
        }
    }

    #[test]
    fn changes_are_classified_per_rank() {
        let rows = vec![
            row("a", 10, "B;P1", Some("B;P1;C1"), &[1.0, 0.9, 0.8]),
            row("b", 10, "B;P2", Some("B;P1"), &[1.0, 0.7]),
            row("c", 10, "", None, &[]),
        ];
        let c = rank_counts(&rows);
        assert_eq!(
            c[0],
            RankCounts {
                confirmed: 2,
                ..Default::default()
            }
        );
        assert_eq!(
            c[1],
            RankCounts {
                confirmed: 1,
                changed: 1,
                ..Default::default()
            }
        );
        assert_eq!(
            c[2],
            RankCounts {
                deepened: 1,
                unclassified: 1,
                ..Default::default()
            }
        );
    }

    #[test]
    fn histogram_counts_scores_at_the_rank() {
        let rows = vec![
            row("a", 1, "", Some("B;P"), &[1.0, 0.05]),
            row("b", 1, "", Some("B"), &[0.5]),
        ];
        assert_eq!(
            score_histogram(&rows, 1, 10),
            vec![1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(score_histogram(&rows, 0, 2), vec![0, 2]);
    }

    #[test]
    fn tree_sums_contigs_and_bp_along_lineages() {
        let rows = vec![
            row("a", 5, "", Some("B;P1"), &[1.0, 1.0]),
            row("b", 7, "", Some("B;P2"), &[1.0, 1.0]),
        ];
        let t = prediction_tree(&rows);
        assert_eq!((t[0].contigs, t[0].bp), (2, 12));
        assert_eq!(t[1].name, "B");
        assert_eq!(t[1].children.len(), 2);
        assert_eq!(t[t[1].children[1]].bp, 7);
    }

    #[test]
    fn sankey_pools_small_categories_into_other() {
        let rows = vec![
            row("a", 1, "B;X", Some("B;X"), &[]),
            row("b", 1, "B;X", Some("B;Y"), &[]),
            row("c", 1, "B;Z", Some("B;Y"), &[]),
            row("d", 1, "", Some("B"), &[]),
        ];
        let (l, r, f) = sankey_flows(&rows, 1, 1);
        assert_eq!(l, vec!["X".to_string(), "other".to_string()]);
        assert_eq!(r, vec!["Y".to_string(), "other".to_string()]);
        assert_eq!(f.iter().map(|x| x.2).sum::<u64>(), 4);
    }
}
