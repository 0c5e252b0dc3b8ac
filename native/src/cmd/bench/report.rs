//! Output files of `taxdistill bench`, each written atomically:
//! `results.json` (plan, settings, every run record, the summary),
//! `results.tsv` (one row per scenario × seed × method × subset × rank),
//! `summary.tsv` (mean ± sd over seeds), `tests.tsv` (paired tests),
//! `report.md` and `report.html` (tables + plots), `plots/*.svg`.
//!
//! The report is built once as a list of blocks and rendered twice
//! (Markdown with linked SVG images, HTML with the SVGs inline).

use super::evaluate::TRANSITIONS;
use super::runner::{method_label, RunRecord};
use super::summary::{find_test, MeanSd, Summary};
use super::svg::{self, BarSeries, LineSeries, ReliabilityCurve, StackRow, Value};
use crate::util;
use anyhow::Result;
use std::fmt::Write as _;
use std::path::Path;
use taxdistill_core::taxonomy::Rank;

/// Pairs whose tests the report shows (all pairs are in `tests.tsv`).
pub const KEY_PAIRS: [(&str, &str); 9] = [
    ("taxdistill_run", "raw_labels"),
    ("taxdistill_run", "student_noisy"),
    ("student_soft", "raw_labels"),
    ("student_soft", "student_noisy"),
    ("student_soft", "student_hard"),
    ("student_hard", "student_noisy"),
    ("teacher", "raw_labels"),
    ("student_noisy", "vamb_taxometer"),
    ("student_soft", "vamb_taxometer"),
];

/// What the report says about how it evaluates (also in docs/bench.md).
pub fn rules_text(min_length: usize) -> String {
    format!(
        "Evaluation: per rank, over the contigs whose truth reaches the rank, a contig is correct when the \
         method names the true taxon there, wrong when it names another, missing when it stops above \
         (taxdistill eval's definitions); precision = correct / (correct + wrong), recall = correct / contigs. \
         The main tables use the contigs of at least {min_length} bp: those the student (and vamb taxometer, \
         run with -m {min_length}) annotate; shorter contigs are unannotated by design for the students and \
         vamb, while the raw labels and the teacher cover them, and taxdistill_run keeps their input labels \
         (as `run` writes them), so the all-contig tables show that cost too. \
         Mean ± sd over seeds (sample sd); a seed draws a new community and new training seeds. Paired tests, \
         on the contigs of at least {min_length} bp: a paired t-test of the per-seed F1 difference (two-sided, \
         n − 1 degrees of freedom; undefined with one seed) and an exact McNemar test (two-sided binomial sign \
         test on the contigs correct for only one of the two methods, pooled over seeds); McNemar compares how \
         often each method names the true taxon (a recall-like count), so a method that stops at a higher rank \
         instead of guessing loses it even where its precision and F1 are higher: read it with the t-test on F1. \
         Calibration: the \
         score of the predicted taxon at each rank against whether it is right, 10 equal-width bins, pooled \
         over ranks; ECE = sum over bins of (bin share) x |accuracy - mean confidence|. Time and peak memory: \
         each method's own steps plus the shared ones it needs (features; the teacher for teacher-based \
         methods); peak RSS of in-process steps includes the data the process already held."
    )
}

enum Block {
    Heading(usize, String),
    Para(String),
    Table(Vec<String>, Vec<Vec<String>>),
    /// (file name under plots/, alt text, svg)
    Svg(String, String, String),
}

fn fmt_p(p: Option<f64>) -> String {
    match p {
        None => "–".into(),
        Some(p) if p < 1e-4 => format!("{p:.1e}"),
        Some(p) => format!("{p:.4}"),
    }
}

/// One paired test as a table cell: `ΔF1 (PREFIXp_t / p_mcnemar)`, `–` when absent.
fn test_cell(s: &Summary, sc: &str, rank: &str, a: &str, b: &str, prefix: &str) -> String {
    find_test(s, sc, rank, a, b).map_or("–".into(), |t| {
        format!(
            "{} ({prefix}{} / {})",
            signed(t.mean_diff),
            fmt_p(t.p_t),
            fmt_p(Some(t.p_mcnemar))
        )
    })
}

/// A signed difference with 3 decimals, without a negative zero.
fn signed(x: f64) -> String {
    let s = format!("{x:+.3}");
    if s == "-0.000" {
        "+0.000".into()
    } else {
        s
    }
}

fn fmt_opt(x: Option<f64>, d: usize) -> String {
    x.map_or_else(|| "–".into(), |v| format!("{v:.d$}"))
}

fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn ranks() -> Vec<&'static str> {
    Rank::ALL.iter().map(|r| r.name()).collect()
}

/// Palette index of a method: its position among all methods of the run.
fn color(s: &Summary, method: &str) -> usize {
    s.methods.iter().position(|m| m == method).unwrap_or(0)
}

fn mv(m: &MeanSd) -> Value {
    Value {
        mean: m.mean,
        sd: m.sd,
    }
}

/// Cross-scenario tables: F1 at genus and species per scenario × method,
/// the ranks where a method falls below the raw labels, and the key tests
/// at genus and species.
fn overview(b: &mut Vec<Block>, s: &Summary, min_length: usize) {
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

/// Builds the report blocks.
fn blocks(
    runs: &[RunRecord],
    s: &Summary,
    descriptions: &[(String, String)],
    title: &str,
    min_length: usize,
) -> Vec<Block> {
    let mut b = Vec::new();
    b.push(Block::Heading(1, title.to_string()));
    b.push(Block::Para(rules_text(min_length)));
    let rk = ranks();
    overview(&mut b, s, min_length);
    for sc in &s.scenarios {
        let sruns: Vec<&RunRecord> = runs.iter().filter(|r| &r.scenario == sc).collect();
        let desc = descriptions
            .iter()
            .find(|(n, _)| n == sc)
            .map_or("", |(_, d)| d.as_str());
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
        let methods: Vec<&String> = s
            .methods
            .iter()
            .filter(|m| {
                s.f1(sc, m, "annotated", "domain").is_some()
                    || s.f1(sc, m, "all", "domain").is_some()
            })
            .collect();
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
            svg::grouped_bars(
                &format!("{sc}: F1 per rank (contigs ≥ {min_length} bp), mean ± sd"),
                "F1",
                &cats,
                &series,
                1.0,
            ),
        ));
        // paired tests
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
        // costs
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
        // calibration
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
                svg::reliability_diagram(
                    &format!("{sc}: reliability of the scores (all ranks)"),
                    &curves,
                ),
            ));
        }
        // transitions
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
                svg::stacked_bars(
                    &format!("{sc}: what each method did to the input labels"),
                    &cats,
                    &rows,
                ),
            ));
        }
        // length bins
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
                    svg::line_chart(
                        &format!("{sc}: F1 at {rank} by contig length"),
                        "contig length (bp)",
                        "F1",
                        &series,
                        Some(&ticks),
                        1.0,
                    ),
                ));
            }
        }
        // novelty classes
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
        // failures
        let failed: Vec<String> = sruns
            .iter()
            .flat_map(|r| {
                r.methods.iter().filter(|m| m.status != "ok").map(move |m| {
                    format!("seed {}: {} — {}", r.seed, method_label(&m.id), m.status)
                })
            })
            .collect();
        if !failed.is_empty() {
            b.push(Block::Para(format!(
                "Not run or failed: {}.",
                failed.join("; ")
            )));
        }
    }
    // novelty curves across scenarios
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
                svg::line_chart(
                    &format!("F1 at {rank} vs novelty (contigs ≥ {min_length} bp)"),
                    "share of contigs from species absent from the reference",
                    "F1",
                    &series,
                    None,
                    1.0,
                ),
            ));
        }
    }
    b
}

fn render_md(blocks: &[Block]) -> String {
    let mut o = String::new();
    for b in blocks {
        match b {
            Block::Heading(l, t) => {
                let _ = writeln!(o, "{} {t}\n", "#".repeat(*l));
            }
            Block::Para(t) => {
                let _ = writeln!(o, "{t}\n");
            }
            Block::Table(h, rows) => {
                let _ = writeln!(o, "| {} |", h.join(" | "));
                let _ = writeln!(o, "|{}", "---|".repeat(h.len()));
                for r in rows {
                    let _ = writeln!(o, "| {} |", r.join(" | "));
                }
                o.push('\n');
            }
            Block::Svg(file, alt, _) => {
                let _ = writeln!(o, "![{alt}](plots/{file})\n");
            }
        }
    }
    o
}

fn md_inline(t: &str) -> String {
    // `code` spans → <code>, the rest escaped
    let mut o = String::new();
    for (i, part) in t.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(o, "<code>{}</code>", svg::esc(part));
        } else {
            o.push_str(&svg::esc(part));
        }
    }
    o
}

fn render_html(blocks: &[Block], title: &str) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>\
         body{{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}}\
         table{{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:13px}}\
         th,td{{border:1px solid #ccc;padding:3px 7px;text-align:right}}th{{background:#f3f3f3}}\
         td:first-child,th:first-child{{text-align:left}}svg{{display:block;margin:0.5em 0 1.5em;max-width:100%;height:auto}}\
         code{{background:#f3f3f3;padding:0 3px}}</style></head><body>\n",
        svg::esc(title)
    );
    for b in blocks {
        match b {
            Block::Heading(l, t) => {
                let _ = writeln!(o, "<h{l}>{}</h{l}>", md_inline(t));
            }
            Block::Para(t) => {
                let _ = writeln!(o, "<p>{}</p>", md_inline(t));
            }
            Block::Table(h, rows) => {
                o.push_str("<table><tr>");
                for c in h {
                    let _ = write!(o, "<th>{}</th>", svg::esc(c));
                }
                o.push_str("</tr>\n");
                for r in rows {
                    o.push_str("<tr>");
                    for c in r {
                        let _ = write!(o, "<td>{}</td>", svg::esc(c));
                    }
                    o.push_str("</tr>\n");
                }
                o.push_str("</table>\n");
            }
            Block::Svg(_, _, s) => {
                o.push_str(s);
            }
        }
    }
    o.push_str("</body></html>\n");
    o
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    util::write_atomic(path, |w| Ok(w.write_all(text.as_bytes())?))
}

/// Writes every output file into `out`.
///
/// # Errors
/// A file that cannot be written.
pub fn write_all(
    out: &Path,
    runs: &[RunRecord],
    summary: &Summary,
    header: serde_json::Value,
    descriptions: &[(String, String)],
    title: &str,
    min_length: usize,
) -> Result<()> {
    let mut json = header;
    json["runs"] = serde_json::to_value(runs)?;
    json["summary"] = serde_json::to_value(summary)?;
    let bytes = serde_json::to_vec_pretty(&json)?;
    util::write_atomic(&out.join("results.json"), |w| Ok(w.write_all(&bytes)?))?;

    let mut tsv = String::from(
        "scenario\tseed\tmethod\tstatus\tsubset\trank\tprecision\trecall\tf1\tcorrect\twrong\tmissing\tn_truth\tseconds\tpeak_rss_mib\n",
    );
    for r in runs {
        for m in &r.methods {
            let secs = fmt_opt(m.seconds, 3);
            let rss = fmt_opt(m.peak_rss_mib, 1);
            match &m.eval {
                Some(e) => {
                    for (subset, rows) in [("annotated", &e.annotated), ("all", &e.all)] {
                        for x in rows.iter() {
                            let _ = writeln!(
                                tsv,
                                "{}\t{}\t{}\tok\t{subset}\t{}\t{:.6}\t{:.6}\t{:.6}\t{}\t{}\t{}\t{}\t{secs}\t{rss}",
                                r.scenario, r.seed, m.id, x.rank, x.precision, x.recall, x.f1, x.correct, x.wrong, x.missing, x.n_truth
                            );
                        }
                    }
                }
                None => {
                    let _ = writeln!(
                        tsv,
                        "{}\t{}\t{}\t{}\t\t\t\t\t\t\t\t\t\t\t",
                        r.scenario,
                        r.seed,
                        m.id,
                        m.status.replace(['\t', '\n'], " ")
                    );
                }
            }
        }
    }
    write_text(&out.join("results.tsv"), &tsv)?;

    let mut st = String::from(
        "scenario\tmethod\tsubset\trank\tn_seeds\tprecision_mean\tprecision_sd\trecall_mean\trecall_sd\tf1_mean\tf1_sd\n",
    );
    for m in &summary.metrics {
        let sd = |x: &MeanSd| fmt_opt(x.sd, 6);
        let _ = writeln!(
            st,
            "{}\t{}\t{}\t{}\t{}\t{:.6}\t{}\t{:.6}\t{}\t{:.6}\t{}",
            m.scenario,
            m.method,
            m.subset,
            m.rank,
            m.f1.n,
            m.precision.mean,
            sd(&m.precision),
            m.recall.mean,
            sd(&m.recall),
            m.f1.mean,
            sd(&m.f1)
        );
    }
    write_text(&out.join("summary.tsv"), &st)?;

    let mut tt = String::from(
        "scenario\trank\ta\tb\tn_seeds\tmean_f1_diff\tt\tp_ttest\tonly_a_correct\tonly_b_correct\tn_contigs\tp_mcnemar\n",
    );
    for t in &summary.tests {
        let _ = writeln!(
            tt,
            "{}\t{}\t{}\t{}\t{}\t{:.6}\t{}\t{}\t{}\t{}\t{}\t{:.6e}",
            t.scenario,
            t.rank,
            t.a,
            t.b,
            t.n_seeds,
            t.mean_diff,
            fmt_opt(t.t, 4),
            t.p_t.map_or("".into(), |p| format!("{p:.6e}")),
            t.only_a,
            t.only_b,
            t.n_contigs,
            t.p_mcnemar
        );
    }
    write_text(&out.join("tests.tsv"), &tt)?;

    let bl = blocks(runs, summary, descriptions, title, min_length);
    for b in &bl {
        if let Block::Svg(file, _, s) = b {
            write_text(&out.join("plots").join(file), s)?;
        }
    }
    write_text(&out.join("report.md"), &render_md(&bl))?;
    write_text(&out.join("report.html"), &render_html(&bl, title))?;
    Ok(())
}
