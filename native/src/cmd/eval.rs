//! `taxdistill eval`: per-rank precision, recall and F1 of predictions against a truth.

use super::convert::{contig_lengths, load_labels};
use crate::util::load_taxdump;
use anyhow::Result;
use std::collections::HashMap;
use std::path::PathBuf;
use taxdistill_core::metrics::{evaluate, RankMetrics};

/// Arguments of `taxdistill eval`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  taxdistill eval --truth demo/truth.tsv --pred demo/out/predictions.tsv
  taxdistill eval --truth gsa_mapping.cami --pred sample.kraken2.out --taxonomy taxdump/ --contigs contigs.fna.gz --json
  taxdistill eval --truth demo/truth.tsv --baseline demo/labels.tsv --pred demo/out/predictions.tsv \
      --contigs demo/contigs.fna.gz --min-length 2000")]
pub struct Args {
    /// Truth labels (Taxometer TSV or CAMI binning; any format `convert` reads).
    #[arg(long)]
    pub truth: PathBuf,
    /// Predictions (Taxometer output TSV, or any label format `convert` reads).
    #[arg(long)]
    pub pred: PathBuf,
    /// Format of --truth (detected when omitted).
    #[arg(long)]
    pub truth_format: Option<String>,
    /// Format of --pred (detected when omitted).
    #[arg(long)]
    pub pred_format: Option<String>,
    /// NCBI taxdump directory (nodes.dmp, names.dmp, optional merged.dmp) for taxid-only inputs.
    #[arg(long, value_name = "DIR")]
    pub taxonomy: Option<PathBuf>,
    /// Contigs (FASTA): adds base-pair-weighted metrics.
    #[arg(long, value_name = "FASTA")]
    pub contigs: Option<PathBuf>,
    /// Score only the contigs of at least this many bp (needs --contigs): the set a
    /// student trained with `--min-length` annotates, so tools are compared on the
    /// same contigs.
    #[arg(long, value_name = "BP", requires = "contigs")]
    pub min_length: Option<u64>,
    /// Baseline labels (e.g. the classifier's raw output) to compare --pred
    /// with: prints F1 per rank of both and the difference, on all contigs
    /// and, with --min-length, on the contigs of at least that length.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Format of --baseline (detected when omitted).
    #[arg(long, requires = "baseline")]
    pub baseline_format: Option<String>,
    /// Names of the baseline and the predictions in the comparison table.
    #[arg(
        long,
        value_name = "BASE,PRED",
        value_delimiter = ',',
        num_args = 2,
        default_value = "raw labels,TaxDistill"
    )]
    pub names: Vec<String>,
    /// Print JSON: {"ranks":[{"rank":"domain","precision":…,"recall":…,"f1":…,"correct":…,"wrong":…,"missing":…,…},…]}.
    #[arg(long)]
    pub json: bool,
}

#[derive(serde::Serialize)]
struct Report<'a> {
    ranks: &'a [RankMetrics],
}

pub fn run(args: Args) -> Result<()> {
    let taxdump = args.taxonomy.as_deref().map(load_taxdump).transpose()?;
    let (mut truth, _) = load_labels(&args.truth, args.truth_format.as_deref(), taxdump.as_ref())?;
    let (pred, _) = load_labels(&args.pred, args.pred_format.as_deref(), taxdump.as_ref())?;
    let lengths: Option<HashMap<String, u64>> = args
        .contigs
        .as_deref()
        .map(contig_lengths)
        .transpose()?
        .map(|v| v.into_iter().collect());
    if let Some(len) = &lengths {
        let absent = truth
            .entries
            .iter()
            .filter(|(id, _)| !len.contains_key(id))
            .count();
        if absent > 0 {
            tracing::warn!("{absent} truth contigs are not in the FASTA; their bp weight is 0");
        }
    }
    let truth_ids: std::collections::HashSet<&str> =
        truth.entries.iter().map(|(id, _)| id.as_str()).collect();
    let extra = pred
        .entries
        .iter()
        .filter(|(id, _)| !truth_ids.contains(id.as_str()))
        .count();
    if extra > 0 {
        tracing::warn!(
            "{extra} predicted contigs of {} are not in the truth and are ignored",
            pred.source
        );
    }
    // the truth of the contigs of at least --min-length bp, when asked for
    let long_truth = match (args.min_length, &lengths) {
        (Some(min), Some(len)) => {
            let mut t = truth.entries.clone();
            t.retain(|(id, _)| len.get(id).is_some_and(|&l| l >= min));
            Some((min, t))
        }
        _ => None,
    };
    if let Some(base) = &args.baseline {
        if args.names.len() != 2 {
            anyhow::bail!(
                "--names takes two names, BASE,PRED; got {}",
                args.names.len()
            );
        }
        let (baseline, _) = load_labels(base, args.baseline_format.as_deref(), taxdump.as_ref())?;
        let all = [
            evaluate(&truth.entries, &baseline.entries, lengths.as_ref()),
            evaluate(&truth.entries, &pred.entries, lengths.as_ref()),
        ];
        let long = long_truth.as_ref().map(|(min, t)| {
            (
                *min,
                t.len(),
                [
                    evaluate(t, &baseline.entries, lengths.as_ref()),
                    evaluate(t, &pred.entries, lengths.as_ref()),
                ],
            )
        });
        let names = [args.names[0].as_str(), args.names[1].as_str()];
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "names": names,
                    "all": {"n": truth.entries.len(), "baseline": &all[0], "pred": &all[1]},
                    "min_length": long.as_ref().map(|(min, n, m)| serde_json::json!({
                        "bp": min, "n": n, "baseline": &m[0], "pred": &m[1],
                    })),
                })
            );
        } else {
            print!(
                "{}",
                comparison(names, (truth.entries.len(), &all), long.as_ref())
            );
        }
        return Ok(());
    }
    if let Some((min, t)) = long_truth {
        tracing::info!(
            "scoring {} of {} truth contigs (>= {min} bp)",
            t.len(),
            truth.entries.len()
        );
        truth.entries = t;
    }
    let metrics = evaluate(&truth.entries, &pred.entries, lengths.as_ref());
    if args.json {
        println!("{}", serde_json::to_string(&Report { ranks: &metrics })?);
    } else {
        print!("{}", table(&metrics, lengths.is_some()));
    }
    Ok(())
}

/// The comparison table: per rank, F1 of the baseline and the predictions
/// and their difference, on all contigs and (when given) on the contigs of
/// at least `min` bp.
fn comparison(
    names: [&str; 2],
    all: (usize, &[Vec<RankMetrics>; 2]),
    long: Option<&(u64, usize, [Vec<RankMetrics>; 2])>,
) -> String {
    let w = names.iter().map(|n| n.len()).max().unwrap_or(0).max(6);
    let group = |title: String| format!("  {title:<width$}", width = 2 * w + 9);
    let mut s = format!("{:<8}", "F1");
    s.push_str(&group(format!("all {} contigs", all.0)));
    if let Some((min, n, _)) = long {
        s.push_str(&group(format!("{n} contigs >= {min} bp")));
    }
    s.push('\n');
    let heads = format!("  {:>w$} {:>w$} {:>7}", names[0], names[1], "diff");
    s.push_str(&format!("{:<8}{heads}", "rank"));
    if long.is_some() {
        s.push_str(&heads);
    }
    s.push('\n');
    let cells = |m: &[Vec<RankMetrics>; 2], r: usize| {
        let (a, b) = (m[0][r].f1, m[1][r].f1);
        format!("  {a:>w$.4} {b:>w$.4} {:>+7.4}", b - a)
    };
    for (r, m) in all.1[0].iter().enumerate() {
        s.push_str(&format!("{:<8}{}", m.rank.name(), cells(all.1, r)));
        if let Some((_, _, lm)) = long {
            s.push_str(&cells(lm, r));
        }
        s.push('\n');
    }
    s
}

fn table(metrics: &[RankMetrics], bp: bool) -> String {
    let mut s = format!(
        "{:<8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>7} {:>7}",
        "rank", "truth", "correct", "wrong", "missing", "precision", "recall", "F1"
    );
    if bp {
        s.push_str(&format!(
            " {:>12} {:>9} {:>7}",
            "bp_precision", "bp_recall", "bp_F1"
        ));
    }
    s.push('\n');
    for m in metrics {
        s.push_str(&format!(
            "{:<8} {:>8} {:>8} {:>8} {:>8} {:>9.4} {:>7.4} {:>7.4}",
            m.rank.name(),
            m.n_truth,
            m.correct,
            m.wrong,
            m.missing,
            m.precision,
            m.recall,
            m.f1
        ));
        if bp {
            s.push_str(&format!(
                " {:>12.4} {:>9.4} {:>7.4}",
                m.bp_precision, m.bp_recall, m.bp_f1
            ));
        }
        s.push('\n');
    }
    s
}
