//! Per-sample composition: at each rank, the share of each taxon of the
//! output in each sample, weighted by abundance. A contig's weight in a
//! sample is its mean depth there times its length (the bases the sample's
//! reads put on it), so a taxon's share estimates the fraction of the
//! sample's assembled reads that come from it.
//!
//! Runtime-free: tested natively.

use super::{Table, NO_NAME, NR, OTHER, UNCLASSIFIED};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Named taxa per rank (the rest pooled as [`OTHER`]).
pub const COMPOSITION_TOP: usize = 10;

/// The taxa of one rank and their share in each sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RankComposition {
    /// Taxa by mean share over the samples, largest first; then [`OTHER`]
    /// (the smaller ones) and [`UNCLASSIFIED`] (no taxon at the rank, or no
    /// output), where there are any.
    pub taxa: Vec<String>,
    /// `shares[s][k]`: the share of taxon `k` in sample `s` (each sample's
    /// shares add up to 1; all 0 for a sample with no reads on any contig).
    pub shares: Vec<Vec<f64>>,
}

/// The composition of every sample at every rank.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Composition {
    /// Sample names, as the abundance file gives them.
    pub samples: Vec<String>,
    /// Per rank, domain … species.
    pub ranks: Vec<RankComposition>,
}

/// The composition of `t`'s contigs in each sample; `depth` holds each
/// contig's mean depth per sample (`t.len() × samples.len()`, row-major,
/// rows in table order). `None` when the sizes disagree or there is no sample.
pub fn composition(t: &Table, samples: &[String], depth: &[f32]) -> Option<Composition> {
    let s = samples.len();
    if s == 0 || depth.len() != t.len() * s {
        return None;
    }
    let ranks = (0..NR)
        .map(|r| {
            // taxon (NO_NAME: unclassified) → bases per sample
            let mut bases: HashMap<u32, Vec<f64>> = HashMap::new();
            for i in 0..t.len() {
                let taxon = t.pred(i).and_then(|p| p.get(r)).copied().unwrap_or(NO_NAME);
                let row = bases.entry(taxon).or_insert_with(|| vec![0.0; s]);
                for (b, &d) in row.iter_mut().zip(&depth[i * s..(i + 1) * s]) {
                    *b += f64::from(d.max(0.0)) * t.lens[i];
                }
            }
            let totals: Vec<f64> = (0..s).map(|k| bases.values().map(|v| v[k]).sum()).collect();
            let share = |v: &[f64]| -> Vec<f64> {
                v.iter()
                    .zip(&totals)
                    .map(|(&b, &tot)| if tot > 0.0 { b / tot } else { 0.0 })
                    .collect()
            };
            let mean = |v: &[f64]| share(v).iter().sum::<f64>() / s as f64;
            let mut named: Vec<(u32, f64)> = bases
                .iter()
                .filter(|(&k, _)| k != NO_NAME)
                .map(|(&k, v)| (k, mean(v)))
                .collect();
            named.sort_by(|a, b| b.1.total_cmp(&a.1).then(t.name(a.0).cmp(t.name(b.0))));
            let mut taxa: Vec<String> = Vec::new();
            let mut cols: Vec<Vec<f64>> = Vec::new();
            for &(k, _) in named.iter().take(COMPOSITION_TOP) {
                taxa.push(t.name(k).to_string());
                cols.push(share(&bases[&k]));
            }
            if named.len() > COMPOSITION_TOP {
                let mut rest = vec![0.0; s];
                for &(k, _) in &named[COMPOSITION_TOP..] {
                    for (r, x) in rest.iter_mut().zip(share(&bases[&k])) {
                        *r += x;
                    }
                }
                taxa.push(OTHER.into());
                cols.push(rest);
            }
            if let Some(v) = bases.get(&NO_NAME) {
                taxa.push(UNCLASSIFIED.into());
                cols.push(share(v));
            }
            // per sample, per taxon
            let shares = (0..s)
                .map(|k| cols.iter().map(|c| c[k]).collect())
                .collect();
            RankComposition { taxa, shares }
        })
        .collect();
    Some(Composition {
        samples: samples.to_vec(),
        ranks,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::table;
    use super::*;

    #[test]
    fn shares_weigh_each_contig_by_depth_times_length() {
        let t = table(&[
            ("a", 100, "", Some("B;X"), &[1.0, 1.0]),
            ("b", 300, "", Some("B;Y"), &[1.0, 1.0]),
            ("c", 100, "", Some("B"), &[1.0]),
            ("d", 100, "", None, &[]),
        ]);
        let samples = vec!["s1".to_string(), "s2".to_string()];
        // s1: a 2×100, b 1×300, c 0, d 5×100; s2: only b
        let depth = [2.0, 0.0, 1.0, 4.0, 0.0, 0.0, 5.0, 0.0];
        let c = composition(&t, &samples, &depth).unwrap();
        let phylum = &c.ranks[1];
        assert_eq!(phylum.taxa, vec!["Y", "X", UNCLASSIFIED]);
        let s1 = &phylum.shares[0];
        assert!(
            (s1[0] - 0.3).abs() < 1e-12
                && (s1[1] - 0.2).abs() < 1e-12
                && (s1[2] - 0.5).abs() < 1e-12
        );
        assert_eq!(phylum.shares[1], vec![1.0, 0.0, 0.0]);
        for r in &c.ranks {
            for s in &r.shares {
                assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            }
        }
        assert!(composition(&t, &samples, &depth[..4]).is_none());
    }

    #[test]
    fn small_taxa_are_pooled_as_other() {
        let rows: Vec<(String, String)> = (0..COMPOSITION_TOP + 2)
            .map(|k| (format!("c{k}"), format!("B;P{k:02}")))
            .collect();
        let spec: Vec<_> = rows
            .iter()
            .map(|(id, l)| {
                (
                    id.as_str(),
                    100u64,
                    "",
                    Some(l.as_str()),
                    &[1.0f32, 1.0][..],
                )
            })
            .collect();
        let t = table(&spec);
        let depth: Vec<f32> = (0..rows.len()).map(|k| 1.0 + k as f32).collect();
        let c = composition(&t, &["s".into()], &depth).unwrap();
        let phylum = &c.ranks[1];
        assert_eq!(phylum.taxa.len(), COMPOSITION_TOP + 1);
        assert_eq!(phylum.taxa[0], format!("P{:02}", COMPOSITION_TOP + 1));
        assert_eq!(phylum.taxa.last().unwrap(), OTHER);
    }
}
