//! The report's cross-scenario sections: the overview tables (F1 per
//! scenario × method, ranks below the raw labels, the key paired tests) and
//! the F1-vs-novelty curves of each scenario group.

use super::{color, file_safe, mv, ranks, signed, test_cell, Block, KEY_PAIRS};
use crate::errors::Result;
use crate::plots::{self, LineSeries};
use crate::record::method_label;
use crate::summary::{find_test, Summary};
use taxdistill_core::taxonomy::Rank;

/// Cross-scenario tables: F1 at genus and species per scenario × method,
/// the ranks where a method falls below the raw labels, and the key tests
/// at genus and species.
pub(super) fn tables(b: &mut Vec<Block>, s: &Summary, min_length: usize) {
    if s.scenarios.len() < 2 {
        return;
    }
    b.push(Block::Heading(2, "Overview".into()));
    for rank in ["family", "genus", "species"] {
        b.push(Block::Heading(
            3,
            format!("F1 at {rank}, contigs ≥ {min_length} bp (mean ± sd over seeds)"),
        ));
        let mut header = vec!["scenario".to_string()];
        header.extend(s.methods.iter().map(|m| method_label(m)));
        let rows = s
            .scenarios
            .iter()
            .map(|sc| {
                let mut row = vec![sc.clone()];
                for m in &s.methods {
                    row.push(
                        s.f1(sc, m, "annotated", rank)
                            .map_or("–".into(), |x| x.f1.show(3)),
                    );
                }
                row
            })
            .collect();
        b.push(Block::Table(header, rows));
    }
    b.push(Block::Heading(
        3,
        format!("Ranks where the mean F1 (contigs ≥ {min_length} bp) is below the raw labels' (by how much)"),
    ));
    let others: Vec<&String> = s.methods.iter().filter(|m| *m != "raw_labels").collect();
    let mut header = vec!["scenario".to_string()];
    header.extend(others.iter().map(|m| method_label(m)));
    let rows = s
        .scenarios
        .iter()
        .map(|sc| {
            let mut row = vec![sc.clone()];
            for m in &others {
                let below: Vec<String> = ranks()
                    .iter()
                    .filter_map(|r| {
                        let raw = s.f1(sc, "raw_labels", "annotated", r)?.f1.mean;
                        let x = s.f1(sc, m, "annotated", r)?.f1.mean;
                        (x < raw).then(|| format!("{r} {}", signed(x - raw)))
                    })
                    .collect();
                let ran = s.f1(sc, m, "annotated", "domain").is_some();
                row.push(if !ran {
                    "–".into()
                } else if below.is_empty() {
                    "none".into()
                } else {
                    below.join(", ")
                });
            }
            row
        })
        .collect();
    b.push(Block::Table(header, rows));
    for rank in ["genus", "species"] {
        b.push(Block::Heading(
            3,
            format!(
                "Key paired tests at {rank}: ΔF1 = a − b (p t-test over seeds / p exact McNemar)"
            ),
        ));
        let pairs: Vec<(&str, &str)> = KEY_PAIRS
            .iter()
            .copied()
            .filter(|(a, bb)| {
                s.scenarios
                    .iter()
                    .any(|sc| find_test(s, sc, rank, a, bb).is_some())
            })
            .collect();
        let mut header = vec!["scenario".to_string()];
        header.extend(
            pairs
                .iter()
                .map(|(a, bb)| format!("{} vs {}", method_label(a), method_label(bb))),
        );
        let rows = s
            .scenarios
            .iter()
            .map(|sc| {
                let mut row = vec![sc.clone()];
                for (a, bb) in &pairs {
                    row.push(test_cell(s, sc, rank, a, bb, ""));
                }
                row
            })
            .collect();
        b.push(Block::Table(header, rows));
    }
}

/// The F1-vs-novelty curves (genus, species) of each group of scenarios.
///
/// # Errors
/// [`crate::Error::Plot`]: a chart that cannot be drawn.
pub(super) fn novelty_curves(b: &mut Vec<Block>, s: &Summary, min_length: usize) -> Result<()> {
    let mut groups: Vec<String> = Vec::new();
    for p in &s.novelty_curves {
        if !groups.contains(&p.group) {
            groups.push(p.group.clone());
        }
    }
    for g in groups {
        let pts: Vec<_> = s.novelty_curves.iter().filter(|p| p.group == g).collect();
        b.push(Block::Heading(2, format!("F1 vs novelty (group `{g}`)")));
        let mut scs: Vec<(String, f64)> = Vec::new();
        for p in &pts {
            if !scs.iter().any(|(n, _)| n == &p.scenario) {
                scs.push((p.scenario.clone(), p.novel_share));
            }
        }
        b.push(Block::Para(format!(
            "x = share of contigs whose species is absent from the reference (mean over seeds): {}.",
            scs.iter()
                .map(|(n, x)| format!("`{n}` {:.1} %", 100.0 * x))
                .collect::<Vec<_>>()
                .join(", ")
        )));
        let mut methods: Vec<String> = Vec::new();
        for p in &pts {
            if !methods.contains(&p.method) {
                methods.push(p.method.clone());
            }
        }
        for rank in ["genus", "species"] {
            let k = Rank::parse(rank).expect("rank name").index();
            let series: Vec<LineSeries> = methods
                .iter()
                .map(|m| LineSeries {
                    name: method_label(m),
                    color: color(s, m),
                    points: pts
                        .iter()
                        .filter(|p| &p.method == m)
                        .map(|p| (p.novel_share, mv(&p.f1[k])))
                        .collect(),
                })
                .collect();
            b.push(Block::Svg(
                format!("novelty_{}_{rank}.svg", file_safe(&g)),
                format!("F1 at {rank} vs novelty"),
                plots::line_chart(
                    &format!("F1 at {rank} vs novelty (contigs ≥ {min_length} bp)"),
                    "share of contigs from species absent from the reference",
                    "F1",
                    &series,
                    None,
                    1.0,
                )?,
            ));
        }
    }
    Ok(())
}
