//! `taxdistill run`: the whole pipeline — features → teacher soft labels →
//! distill → annotate — writing into one directory:
//! `predictions.tsv` (Taxometer output), `predictions.cami`,
//! `report.kraken.txt`, `soft_labels.safetensors` (with a teacher), `model/`,
//! and `summary.tsv` (per rank, how the predictions relate to the input labels).

use crate::cmd::annotate::{annotate, write_outputs};
use crate::cmd::distill::{
    label_tree, sparse_soft, train_model, write_model, InputArgs, TrainArgs,
};
use crate::cmd::teach::{soft_labels_for, TeachOptions, TeacherKind};
use crate::util;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use taxdistill_core::model::Prediction;
use taxdistill_core::taxonomy::{Lineage, Rank};

/// Which teacher `run` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RunTeacher {
    /// The genome-aware kNN graph teacher (CPU).
    Graph,
    /// No teacher: plain Taxometer-equivalent training on the labels.
    None,
}

/// Arguments of `taxdistill run`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  taxdistill simulate --out demo
  taxdistill run --contigs demo/contigs.fna.gz --abundance demo/abundance.tsv --labels demo/labels.tsv --out demo/out
  taxdistill run --contigs contigs.fna --labels kraken2.out --format kraken2 --taxonomy taxdump/ --teacher none --out out/")]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// GenomeOcean model directory: its embeddings join the teacher's graph.
    #[arg(long, value_name = "GENOMEOCEAN_DIR")]
    pub model: Option<PathBuf>,
    /// Teacher giving the soft labels.
    #[arg(long, value_enum, default_value = "graph")]
    pub teacher: RunTeacher,
    /// Keep the distilled student even when the student trained on the labels
    /// alone scores better on the held-out labels (by default `run` trains
    /// both and keeps the better one; this skips the second training).
    #[arg(long)]
    pub no_student_fallback: bool,
    #[command(flatten)]
    pub train: TrainArgs,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Per-rank comparison of predictions with the input labels.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RankChange {
    /// Label and prediction name the same taxon.
    pub confirmed: usize,
    /// Both name a taxon, different ones.
    pub changed: usize,
    /// The label names a taxon, the prediction stops above the rank.
    pub removed: usize,
    /// The label stops above the rank, the prediction names a taxon.
    pub gained: usize,
}

/// Compares predictions with labels rank by rank; also counts the contigs
/// whose prediction extends their label deeper (`deepened`).
pub fn summarize(labels: &[Lineage], preds: &[Option<Prediction>]) -> ([RankChange; 7], usize) {
    let mut out = [RankChange::default(); 7];
    let mut deepened = 0;
    let empty = Lineage::unclassified();
    for (l, p) in labels.iter().zip(preds) {
        let p = p.as_ref().map_or(&empty, |p| &p.lineage);
        for r in Rank::ALL {
            let c = &mut out[r.index()];
            match (l.at(r), p.at(r)) {
                (Some(a), Some(b)) if a == b => c.confirmed += 1,
                (Some(_), Some(_)) => c.changed += 1,
                (Some(_), None) => c.removed += 1,
                (None, Some(_)) => c.gained += 1,
                (None, None) => {}
            }
        }
        if p.depth() > l.depth() && p.truncated(l.depth()) == *l {
            deepened += 1;
        }
    }
    (out, deepened)
}

pub fn run(args: Args) -> Result<()> {
    let t0 = std::time::Instant::now();
    if args.model.is_some() && args.teacher == RunTeacher::None {
        bail!("--model (GenomeOcean) needs a teacher; drop --teacher none");
    }
    let min_length = args.train.min_length;
    let (features, lineages) = args.input.load(min_length, args.train.no_abundance)?;
    // the teacher and the student learn from `training`; the summary compares
    // the predictions with the labels as given
    let training = args.train.training_labels(&lineages, &features.lengths);
    let tree = label_tree(&training, &features.lengths, min_length, &args.input.labels)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create directory", args.out.display()))?;

    let soft = match args.teacher {
        RunTeacher::None => None,
        RunTeacher::Graph => {
            let extra = match &args.model {
                Some(dir) => Some(embed(dir, &args.input.contigs, &features.ids, 8)?),
                None => None,
            };
            let opts = TeachOptions {
                teacher: TeacherKind::Graph,
                min_length,
                seed: args.train.seed,
            };
            let pb = util::spinner("teacher");
            let tt = std::time::Instant::now();
            let (soft, _report) = soft_labels_for(
                &features,
                &training,
                &tree,
                extra.as_ref().map(|(e, d, _)| (e.as_slice(), *d)),
                extra.as_ref().map(|(_, _, h)| h.as_slice()),
                &opts,
            )?;
            pb.finish_and_clear();
            tracing::info!("teacher: {:.1} s", tt.elapsed().as_secs_f64());
            let bytes = soft.to_bytes(Some(32.min(soft.n_leaves())))?;
            util::write_atomic(&args.out.join("soft_labels.safetensors"), |w| {
                Ok(w.write_all(&bytes)?)
            })?;
            Some(sparse_soft(&soft, &features.ids, &tree)?)
        }
    };
    let prov = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>(),
        "teacher": format!("{:?}", args.teacher).to_lowercase(),
    });
    let mut model = train_model(
        &features,
        &training,
        &tree,
        soft.as_deref(),
        &args.train,
        prov.clone(),
    )?;
    if soft.is_some() && !args.no_student_fallback {
        // The guard: the same hold-out split, the same noisy labels, never truth.
        let plain = train_model(&features, &training, &tree, None, &args.train, prov)?;
        let (d, p) = (&model.report.holdout_f1, &plain.report.holdout_f1);
        if let Some((fd, fp)) = mean_shared(d, p) {
            let keep_plain = fp > fd;
            eprintln!(
                "held-out F1 against the labels (mean over ranks): distilled {fd:.4}, labels alone {fp:.4}: keeping the {}",
                if keep_plain { "student trained on the labels alone" } else { "distilled student" }
            );
            let note = serde_json::json!({
                "distilled_holdout_f1": fd,
                "labels_only_holdout_f1": fp,
                "kept": if keep_plain { "labels_only" } else { "distilled" },
            });
            if keep_plain {
                model = plain;
            }
            model.meta.provenance["student_fallback"] = note;
        }
    }
    write_model(&args.out.join("model"), &model)?;
    let student = taxdistill_core::model::Student::from_meta_and_bytes(
        model.meta.clone(),
        &model.safetensors,
    )?;
    let preds = annotate(&student, &features, min_length, &student.meta.thresholds)?;
    let sample = args
        .input
        .contigs
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    write_outputs(
        &features,
        &preds,
        &args.out.join("predictions.tsv"),
        Some(&args.out.join("predictions.cami")),
        Some(&args.out.join("report.kraken.txt")),
        args.input.taxonomy.as_deref(),
        &sample,
    )?;
    let (changes, deepened) = summarize(&lineages, &preds);
    let mut table = String::from("rank\tconfirmed\tchanged\tremoved\tgained\n");
    for r in Rank::ALL {
        let c = changes[r.index()];
        table.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            r.name(),
            c.confirmed,
            c.changed,
            c.removed,
            c.gained
        ));
    }
    util::write_atomic(&args.out.join("summary.tsv"), |w| {
        Ok(w.write_all(table.as_bytes())?)
    })?;
    let n_labelled = lineages.iter().filter(|l| l.depth() > 0).count();
    let n_annot = preds
        .iter()
        .flatten()
        .filter(|p| p.lineage.depth() > 0)
        .count();
    eprintln!(
        "{} contigs: {} labelled in the input, {} annotated by the student ({} deepened their label); {:.1} s",
        features.n_rows(),
        n_labelled,
        n_annot,
        deepened,
        t0.elapsed().as_secs_f64()
    );
    eprint!("{}", table.replace('\t', "  "));
    eprintln!("outputs in {}", args.out.display());
    Ok(())
}

/// Means of two per-rank score lists over the ranks both have.
fn mean_shared(a: &[Option<f64>; 7], b: &[Option<f64>; 7]) -> Option<(f64, f64)> {
    let both: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some(((*x)?, (*y)?)))
        .collect();
    if both.is_empty() {
        return None;
    }
    let n = both.len() as f64;
    Some((
        both.iter().map(|p| p.0).sum::<f64>() / n,
        both.iter().map(|p| p.1).sum::<f64>() / n,
    ))
}

/// GenomeOcean embeddings of the FASTA's contigs, aligned to `ids`:
/// (n × d values, d, whether each contig has a row). Also used by `bench`.
pub fn embed(
    dir: &std::path::Path,
    contigs: &std::path::Path,
    ids: &[String],
    batch_size: usize,
) -> Result<(Vec<f32>, usize, Vec<bool>)> {
    let seqs =
        taxdistill_core::fasta::read_contigs(util::open_text(contigs)?, &util::name(contigs))?;
    if seqs.len() != ids.len() {
        bail!("{}: contig count changed while reading", contigs.display());
    }
    let go = taxdistill_teacher::genomeocean::GenomeOcean::load(dir, &Default::default())
        .with_context(|| format!("loading GenomeOcean from {}", dir.display()))?;
    let s: Vec<&[u8]> = seqs.iter().map(|c| c.seq.as_slice()).collect();
    let pb = util::spinner("embedding");
    let rows = go.embed(&s, batch_size.max(1))?;
    pb.finish_and_clear();
    let d = go.hidden_size();
    let has: Vec<bool> = rows.iter().map(|r| r.tokens > 0).collect();
    Ok((rows.into_iter().flat_map(|r| r.row).collect(), d, has))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallback_compares_the_ranks_both_students_reach() {
        let a = [Some(1.0), Some(0.8), Some(0.6), None, None, None, None];
        let b = [Some(1.0), Some(0.9), None, None, None, None, None];
        let (x, y) = mean_shared(&a, &b).unwrap();
        assert!((x - 0.9).abs() < 1e-12 && (y - 0.95).abs() < 1e-12);
        assert_eq!(mean_shared(&[None; 7], &b), None);
    }

    #[test]
    fn summary_counts_confirmed_changed_removed_gained_and_deepened() {
        let l = |s: &str| Lineage::parse(s).unwrap();
        let labels = vec![l("A;B"), l("A;C;D"), l("")];
        let p = |s: &str| {
            Some(Prediction {
                lineage: l(s),
                scores: vec![0.9; l(s).depth()],
            })
        };
        let preds = vec![p("A;B;X"), p("A;E"), p("A")];
        let (c, deep) = summarize(&labels, &preds);
        assert_eq!(
            c[0],
            RankChange {
                confirmed: 2,
                changed: 0,
                removed: 0,
                gained: 1
            }
        );
        assert_eq!(
            c[1],
            RankChange {
                confirmed: 1,
                changed: 1,
                removed: 0,
                gained: 0
            }
        );
        assert_eq!(
            c[2],
            RankChange {
                confirmed: 0,
                changed: 0,
                removed: 1,
                gained: 1
            }
        );
        assert_eq!(deep, 2);
    }
}
