//! Output files of `taxdistill-bench`, each written atomically:
//! `results.json` (plan, settings, every run record, the summary),
//! `results.tsv` (one row per scenario × seed × method × subset × rank),
//! `summary.tsv` (mean ± sd over seeds), `tests.tsv` (paired tests),
//! `report.md` and `report.html` (tables + plots), `plots/*.svg`.
//!
//! The report is built once as a list of blocks (`overview`: the
//! cross-scenario sections; `scenario`: one section per scenario) and
//! rendered twice (`render`: Markdown with linked SVG images, HTML with the
//! SVGs inline).

mod overview;
mod render;
mod scenario;

use crate::errors::{Error, Result};
use crate::plots::Value;
use crate::record::RunRecord;
use crate::summary::{find_test, MeanSd, Summary};
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

/// One piece of the report.
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

/// Writes `bytes` to `path` atomically (the CLI's writer: a temporary
/// file renamed into place).
fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    taxdistill::util::write_atomic(path, |w| Ok(w.write_all(bytes)?)).map_err(|e| Error::Io {
        path: path.display().to_string(),
        reason: format!("{e:#}"),
    })
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    write_bytes(path, text.as_bytes())
}

/// Writes every output file into `out`.
///
/// # Errors
/// [`Error::Io`]: a file that cannot be written; [`Error::Plot`]: a chart
/// that cannot be drawn.
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
    write_bytes(&out.join("results.json"), &bytes)?;
    write_text(&out.join("results.tsv"), &results_tsv(runs))?;
    write_text(&out.join("summary.tsv"), &summary_tsv(summary))?;
    write_text(&out.join("tests.tsv"), &tests_tsv(summary))?;

    let bl = blocks(runs, summary, descriptions, title, min_length)?;
    for b in &bl {
        if let Block::Svg(file, _, s) = b {
            write_text(&out.join("plots").join(file), s)?;
        }
    }
    write_text(&out.join("report.md"), &render::markdown(&bl))?;
    write_text(&out.join("report.html"), &render::html(&bl, title))?;
    Ok(())
}

/// `results.tsv`: one row per run × method × subset × rank (one per failed method).
fn results_tsv(runs: &[RunRecord]) -> String {
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
    tsv
}

/// `summary.tsv`: mean ± sd over seeds per scenario × method × subset × rank.
fn summary_tsv(summary: &Summary) -> String {
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
    st
}

/// `tests.tsv`: every paired test.
fn tests_tsv(summary: &Summary) -> String {
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
    tt
}

/// The report's blocks: title, rules, the overview, one section per
/// scenario, then the novelty curves of each scenario group.
fn blocks(
    runs: &[RunRecord],
    s: &Summary,
    descriptions: &[(String, String)],
    title: &str,
    min_length: usize,
) -> Result<Vec<Block>> {
    let mut b = vec![
        Block::Heading(1, title.to_string()),
        Block::Para(rules_text(min_length)),
    ];
    overview::tables(&mut b, s, min_length);
    for sc in &s.scenarios {
        let desc = descriptions
            .iter()
            .find(|(n, _)| n == sc)
            .map_or("", |(_, d)| d.as_str());
        scenario::section(&mut b, runs, s, sc, desc, min_length)?;
    }
    overview::novelty_curves(&mut b, s, min_length)?;
    Ok(b)
}
