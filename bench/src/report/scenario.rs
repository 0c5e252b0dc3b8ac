//! One scenario's section of the report: its data, F1 and precision /
//! recall tables with the F1 plot, the key paired tests, time and memory,
//! calibration, label transitions, F1 by contig length, novel taxa and the
//! methods that failed.

use super::{color, file_safe, fmt_opt, mv, ranks, test_cell, Block, KEY_PAIRS};
use crate::errors::Result;
use crate::evaluate::TRANSITIONS;
use crate::plots::{self, BarSeries, LineSeries, ReliabilityCurve, StackRow};
use crate::record::{method_label, RunRecord};
use crate::summary::{find_test, Summary};
use std::fmt::Write as _;
use taxdistill_core::taxonomy::Rank;

/// What every part of a scenario's section reads.
struct Section<'a> {
    s: &'a Summary,
    sc: &'a String,
    /// Methods with results in this scenario.
    methods: Vec<&'a String>,
    rk: Vec<&'static str>,
    min_length: usize,
}

/// Appends the section of scenario `sc` (described by `desc`) to `b`.
///
/// # Errors
/// [`crate::Error::Plot`]: a chart that cannot be drawn.
pub(super) fn section(
    b: &mut Vec<Block>,
    runs: &[RunRecord],
    s: &Summary,
    sc: &String,
    desc: &str,
    min_length: usize,
) -> Result<()> {
    let sruns: Vec<&RunRecord> = runs.iter().filter(|r| &r.scenario == sc).collect();
    intro(b, &sruns, sc, desc);
    let methods: Vec<&String> = s
        .methods
        .iter()
        .filter(|m| {
            s.f1(sc, m, "annotated", "domain").is_some() || s.f1(sc, m, "all", "domain").is_some()
        })
        .collect();
    let c = Section {
        s,
        sc,
        methods,
        rk: ranks(),
        min_length,
    };
    f1(b, &c)?;
    tests(b, &c);
    costs(b, &c);
    calibration(b, &c)?;
    transitions(b, &c)?;
    lengths(b, &c)?;
    novelty(b, &c);
    failures(b, &sruns);
    Ok(())
}

/// The heading and what the data were (first seed).
fn intro(b: &mut Vec<Block>, sruns: &[&RunRecord], sc: &str, desc: &str) {
    b.push(Block::Heading(2, format!("Scenario `{sc}`")));
    let seeds: Vec<String> = sruns.iter().map(|r| r.seed.to_string()).collect();
    let d = &sruns[0].data;
    let mut info = format!(
        "{desc}{}Seeds {}; {} contigs, {} of at least {} bp ({} of those labelled), {} sample(s), {} leaves in the label tree",
        if desc.is_empty() { "" } else { ". " },
        seeds.join(", "),
        d.n_contigs,
        d.n_long,
        d.min_length,
        d.n_labelled_long,
        d.n_samples,
        d.n_leaves
    );
    if let Some(x) = d.novel_share {
        let _ = write!(
            info,
            "; {:.1} % of contigs from species absent from the reference",
            100.0 * x
        );
    }
    info.push_str(" (first seed).");
    b.push(Block::Para(info));
}

/// F1 (contigs ≥ min length, all contigs) and precision / recall per
/// method and rank, and the F1 plot.
fn f1(b: &mut Vec<Block>, c: &Section) -> Result<()> {
    let (s, sc, methods, rk, min_length) = (c.s, c.sc, &c.methods, c.rk.clone(), c.min_length);
    for (subset, what) in [
        ("annotated", format!("F1, contigs ≥ {min_length} bp")),
        ("all", "F1, all contigs".to_string()),
    ] {
        b.push(Block::Heading(3, format!("{what} (mean ± sd over seeds)")));
        let mut header = vec!["method".to_string()];
        header.extend(rk.iter().map(|r| r.to_string()));
        let rows = methods
            .iter()
            .map(|m| {
                let mut row = vec![method_label(m)];
                for r in &rk {
                    row.push(s.f1(sc, m, subset, r).map_or("–".into(), |x| x.f1.show(3)));
                }
                row
            })
            .collect();
        b.push(Block::Table(header, rows));
    }
    let mut header = vec!["method".to_string()];
    header.extend(rk.iter().map(|r| format!("P / R {r}")));
    let rows = methods
        .iter()
        .map(|m| {
            let mut row = vec![method_label(m)];
            for r in &rk {
                row.push(s.f1(sc, m, "annotated", r).map_or("–".into(), |x| {
                    format!("{:.3} / {:.3}", x.precision.mean, x.recall.mean)
                }));
            }
            row
        })
        .collect();
    b.push(Block::Heading(
        3,
        format!("Precision / recall, contigs ≥ {min_length} bp (means)"),
    ));
    b.push(Block::Table(header, rows));
    // plot: F1 per rank per method
    let series: Vec<BarSeries> = methods
        .iter()
        .map(|m| BarSeries {
            name: method_label(m),
            color: color(s, m),
            values: rk
                .iter()
                .map(|r| s.f1(sc, m, "annotated", r).map(|x| mv(&x.f1)))
                .collect(),
        })
        .collect();
    let cats: Vec<String> = rk.iter().map(|r| r.to_string()).collect();
    b.push(Block::Svg(
        format!("f1_{}.svg", file_safe(sc)),
        format!("F1 per rank, {sc}"),
        plots::grouped_bars(
            &format!("{sc}: F1 per rank (contigs ≥ {min_length} bp), mean ± sd"),
            "F1",
            &cats,
            &series,
            1.0,
        )?,
    ));
    Ok(())
}

/// The key paired tests at every rank.
fn tests(b: &mut Vec<Block>, c: &Section) {
    let (s, sc, rk) = (c.s, c.sc, c.rk.clone());
    let pairs: Vec<(&str, &str)> = KEY_PAIRS
        .iter()
        .copied()
        .filter(|(a, bb)| find_test(s, sc, "domain", a, bb).is_some())
        .collect();
    if !pairs.is_empty() {
        b.push(Block::Heading(
            3,
            "Paired tests: ΔF1 = a − b; p of the paired t-test over seeds / of the exact McNemar test over contigs".into(),
        ));
        let mut header = vec!["a vs b".to_string()];
        header.extend(rk.iter().map(|r| r.to_string()));
        let rows = pairs
            .iter()
            .map(|(a, bb)| {
                let mut row = vec![format!("{} vs {}", method_label(a), method_label(bb))];
                for r in &rk {
                    row.push(test_cell(s, sc, r, a, bb, "p "));
                }
                row
            })
            .collect();
        b.push(Block::Table(header, rows));
    }
}

/// Time and peak memory per method and per step.
fn costs(b: &mut Vec<Block>, c: &Section) {
    let (s, sc) = (c.s, c.sc);
    let costs: Vec<_> = s.costs.iter().filter(|c| &c.scenario == sc).collect();
    if !costs.is_empty() {
        b.push(Block::Heading(3, "Time and peak memory per method".into()));
        let rows = costs
            .iter()
            .map(|c| {
                vec![
                    method_label(&c.method),
                    c.seconds.show(1),
                    fmt_opt(c.peak_rss_mib_max, 0),
                ]
            })
            .collect();
        b.push(Block::Table(
            vec![
                "method".into(),
                "wall s".into(),
                "peak RSS MiB (max)".into(),
            ],
            rows,
        ));
        let steps: Vec<_> = s.steps.iter().filter(|c| &c.scenario == sc).collect();
        let rows = steps
            .iter()
            .map(|c| {
                vec![
                    c.step.clone(),
                    c.seconds.show(1),
                    fmt_opt(c.peak_rss_mib_max, 0),
                ]
            })
            .collect();
        b.push(Block::Table(
            vec!["step".into(), "wall s".into(), "peak RSS MiB (max)".into()],
            rows,
        ));
    }
}

/// ECE per method (pooled, per seed, per rank) and the reliability diagram.
fn calibration(b: &mut Vec<Block>, c: &Section) -> Result<()> {
    let (s, sc, rk) = (c.s, c.sc, c.rk.clone());
    let cals: Vec<_> = s.calibration.iter().filter(|c| &c.scenario == sc).collect();
    if !cals.is_empty() {
        b.push(Block::Heading(
            3,
            "Calibration of the scores (contigs ≥ min length)".into(),
        ));
        let mut header = vec!["method".into(), "ECE pooled".into(), "ECE per seed".into()];
        header.extend(rk.iter().map(|r| format!("ECE {r}")));
        let rows = cals
            .iter()
            .map(|c| {
                let mut row = vec![
                    method_label(&c.method),
                    fmt_opt(c.ece_pooled, 3),
                    c.ece.show(3),
                ];
                row.extend(c.ece_by_rank.iter().map(|x| fmt_opt(*x, 3)));
                row
            })
            .collect();
        b.push(Block::Table(header, rows));
        let curves: Vec<ReliabilityCurve> = cals
            .iter()
            .map(|c| ReliabilityCurve {
                name: method_label(&c.method),
                color: color(s, &c.method),
                points: c
                    .bins
                    .iter()
                    .filter_map(|bin| Some((bin.confidence()?, bin.accuracy()?, bin.n)))
                    .collect(),
            })
            .collect();
        b.push(Block::Svg(
            format!("reliability_{}.svg", file_safe(sc)),
            format!("reliability diagram, {sc}"),
            plots::reliability_diagram(
                &format!("{sc}: reliability of the scores (all ranks)"),
                &curves,
            )?,
        ));
    }
    Ok(())
}

/// What each method did to the input labels: table and stacked bars.
fn transitions(b: &mut Vec<Block>, c: &Section) -> Result<()> {
    let (s, sc) = (c.s, c.sc);
    let trs: Vec<_> = s
        .transitions
        .iter()
        .filter(|t| &t.scenario == sc && t.method != "raw_labels")
        .collect();
    if !trs.is_empty() {
        b.push(Block::Heading(
            3,
            "Label transitions: prediction vs input label (contigs ≥ min length, summed over seeds; right/wrong = prediction agrees with the truth at every rank it names)".into(),
        ));
        let mut header = vec!["method".to_string()];
        header.extend(TRANSITIONS.iter().map(|c| format!("{c} (right/wrong)")));
        let rows = trs
            .iter()
            .map(|t| {
                let mut row = vec![method_label(&t.method)];
                row.extend(t.counts.iter().map(|(_, r, w)| format!("{r} / {w}")));
                row
            })
            .collect();
        b.push(Block::Table(header, rows));
        let rows: Vec<StackRow> = trs
            .iter()
            .map(|t| StackRow {
                name: method_label(&t.method),
                parts: t
                    .counts
                    .iter()
                    .map(|(_, r, w)| (*r as f64, *w as f64))
                    .collect(),
            })
            .collect();
        let cats: Vec<String> = TRANSITIONS.iter().map(|c| c.to_string()).collect();
        b.push(Block::Svg(
            format!("transitions_{}.svg", file_safe(sc)),
            format!("label transitions, {sc}"),
            plots::stacked_bars(
                &format!("{sc}: what each method did to the input labels"),
                &cats,
                &rows,
            )?,
        ));
    }
    Ok(())
}

/// F1 at genus and species by contig length: tables and line charts.
fn lengths(b: &mut Vec<Block>, c: &Section) -> Result<()> {
    let (s, sc, methods) = (c.s, c.sc, &c.methods);
    let lens: Vec<_> = s.length_bins.iter().filter(|l| &l.scenario == sc).collect();
    if !lens.is_empty() {
        let mut edges: Vec<(usize, Option<usize>)> = Vec::new();
        for l in &lens {
            if !edges.contains(&(l.lo, l.hi)) {
                edges.push((l.lo, l.hi));
            }
        }
        let label = |(lo, hi): (usize, Option<usize>)| match hi {
            Some(h) if lo == 0 => format!("<{:.0}k", h as f64 / 1000.0),
            Some(h) => format!("{}-{}k", lo as f64 / 1000.0, h as f64 / 1000.0),
            None => format!("≥{}k", lo as f64 / 1000.0),
        };
        for rank in ["genus", "species"] {
            let k = Rank::parse(rank).expect("rank name").index();
            let mut header = vec!["method".to_string()];
            header.extend(edges.iter().map(|&e| label(e)));
            let rows = methods
                .iter()
                .map(|m| {
                    let mut row = vec![method_label(m)];
                    for e in &edges {
                        row.push(
                            lens.iter()
                                .find(|l| &&l.method == m && (l.lo, l.hi) == *e)
                                .map_or("–".into(), |l| l.f1[k].show(3)),
                        );
                    }
                    row
                })
                .collect();
            let ns: Vec<String> = edges
                .iter()
                .map(|e| {
                    lens.iter()
                        .find(|l| (l.lo, l.hi) == *e)
                        .map_or("–".into(), |l| format!("{:.0}", l.n.mean))
                })
                .collect();
            b.push(Block::Heading(
                3,
                format!(
                    "F1 at {rank} by contig length (all contigs; contigs per bin: {})",
                    ns.join(", ")
                ),
            ));
            b.push(Block::Table(header, rows));
            let ticks: Vec<(f64, String)> = edges
                .iter()
                .enumerate()
                .map(|(i, &e)| (i as f64, label(e)))
                .collect();
            let series: Vec<LineSeries> = methods
                .iter()
                .map(|m| LineSeries {
                    name: method_label(m),
                    color: color(s, m),
                    points: edges
                        .iter()
                        .enumerate()
                        .filter_map(|(i, e)| {
                            let l = lens
                                .iter()
                                .find(|l| &&l.method == m && (l.lo, l.hi) == *e)?;
                            Some((i as f64, mv(&l.f1[k])))
                        })
                        .collect(),
                })
                .collect();
            b.push(Block::Svg(
                format!("length_{}_{rank}.svg", file_safe(sc)),
                format!("F1 at {rank} by length, {sc}"),
                plots::line_chart(
                    &format!("{sc}: F1 at {rank} by contig length"),
                    "contig length (bp)",
                    "F1",
                    &series,
                    Some(&ticks),
                    1.0,
                )?,
            ));
        }
    }
    Ok(())
}

/// Novel taxa: over-classification per novelty class, F1 of known species.
fn novelty(b: &mut Vec<Block>, c: &Section) {
    let (s, sc, methods) = (c.s, c.sc, &c.methods);
    let nov: Vec<_> = s.novelty.iter().filter(|n| &n.scenario == sc).collect();
    if !nov.is_empty() {
        let mut classes: Vec<String> = Vec::new();
        for n in &nov {
            if !classes.contains(&n.class) {
                classes.push(n.class.clone());
            }
        }
        b.push(Block::Heading(
            3,
            "Novel taxa: share of contigs predicted at a rank their reference lacks (necessarily wrong), and species/genus F1 of known-species contigs".into(),
        ));
        let mut header = vec!["method".to_string()];
        for c in &classes {
            if c == "known species" {
                header.push("known species: F1 genus / species".into());
            } else {
                header.push(format!("{c}: over-classified"));
            }
        }
        let rows = methods
            .iter()
            .map(|m| {
                let mut row = vec![method_label(m)];
                for c in &classes {
                    let x = nov.iter().find(|n| &&n.method == m && &n.class == c);
                    row.push(match x {
                        None => "–".into(),
                        Some(n) if c == "known species" => {
                            format!("{:.3} / {:.3}", n.f1[5].mean, n.f1[6].mean)
                        }
                        Some(n) => n.over_classified.map_or("–".into(), |o| o.show(3)),
                    });
                }
                row
            })
            .collect();
        b.push(Block::Table(header, rows));
    }
}

/// The methods that were skipped or failed, per seed.
fn failures(b: &mut Vec<Block>, sruns: &[&RunRecord]) {
    let failed: Vec<String> = sruns
        .iter()
        .flat_map(|r| {
            r.methods
                .iter()
                .filter(|m| m.status != "ok")
                .map(move |m| format!("seed {}: {} — {}", r.seed, method_label(&m.id), m.status))
        })
        .collect();
    if !failed.is_empty() {
        b.push(Block::Para(format!(
            "Not run or failed: {}.",
            failed.join("; ")
        )));
    }
}
