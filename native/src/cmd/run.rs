//! `taxdistill run`: the whole pipeline — features → teacher soft labels →
//! distill → annotate — writing into one directory:
//! `predictions.tsv` (Taxometer output), `predictions.cami`,
//! `report.kraken.txt`, `soft_labels.safetensors` (with a teacher), `model/`,
//! and `summary.tsv` (per rank, how the predictions relate to the input labels).

use crate::cmd::annotate::{annotate, write_outputs, Outputs};
use crate::cmd::distill::{
    label_tree, sparse_soft, train_model, write_model, InputArgs, TrainArgs,
};
use crate::cmd::teach::{soft_labels_for, TeachOptions, TeacherKind};
use crate::util;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use taxdistill_core::openset;
use taxdistill_core::taxonomy::Lineage;

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
    pub genomeocean: Option<PathBuf>,
    /// Teacher giving the soft labels.
    #[arg(long, value_enum, default_value = "graph")]
    pub teacher: RunTeacher,
    /// Train only the distilled student of --alpha/--temperature and keep it
    /// (by default `run` also trains the students of --try-temperatures and
    /// the student on the labels alone, and keeps the one that scores best on
    /// the held-out labels).
    #[arg(long)]
    pub no_student_fallback: bool,
    /// Further distillation temperatures tried next to --temperature (same
    /// --alpha); empty (`--try-temperatures ''`) tries none.
    #[arg(long, value_name = "T[,T…]", value_delimiter = ',', default_value = DEFAULT_TRY_TEMPERATURES, value_parser = parse_temperature)]
    pub try_temperatures: Vec<Option<f32>>,
    #[command(flatten)]
    pub train: TrainArgs,
    /// Write the student's predictions as they are, without the open-set
    /// rule (which keeps input labels unless the held-out neighbourhood
    /// contradicts them, and leaves contigs that look novel unassigned).
    #[arg(long)]
    pub no_open_set: bool,
    /// List contigs the student does not annotate (shorter than
    /// --min-length) unassigned, as earlier versions did, instead of keeping
    /// their input label (`source=input`).
    #[arg(long)]
    pub no_passthrough: bool,
    /// Labels that the classifier's raw output shows rest on less than this
    /// share of the contig (Kraken2: k-mers with a hit) come from a relative,
    /// not the species: they are trusted above the genus only (as training
    /// labels, as votes and as input labels); 0 trusts every label whole.
    /// Default: the 35-mer share at the species boundary, 0.95^35.
    #[arg(long, default_value_t = openset::SPECIES_KMER_SHARE, value_name = "SHARE")]
    pub min_support: f32,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// The default of `--try-temperatures` (also what `bench`'s `taxdistill_run`
/// method tries).
pub const DEFAULT_TRY_TEMPERATURES: &str = "1";

pub fn run(args: Args) -> Result<()> {
    let t0 = std::time::Instant::now();
    if args.genomeocean.is_some() && args.teacher == RunTeacher::None {
        bail!("--genomeocean needs a teacher; drop --teacher none");
    }
    let min_length = args.train.min_length;
    let (features, lineages, support) = args
        .input
        .load_with_support(min_length, args.train.no_abundance)?;
    // Labels the classifier made from a small part of the contig (a few
    // k-mers: typical of genomes its reference lacks) are trusted above the
    // genus only: as training labels, as votes and as the input of the rule.
    let voters: Vec<Lineage> = lineages
        .iter()
        .zip(&support)
        .map(|(l, s)| openset::trusted_label(l, *s, args.min_support))
        .collect();
    let weak = voters.iter().zip(&lineages).filter(|(v, l)| v != l).count();
    if weak > 0 {
        eprintln!(
            "{weak} label(s) rest on less than {:.1} % of their contig's k-mers: trusted above the genus only",
            args.min_support * 100.0
        );
    }
    // the teacher and the student learn from `training`; the summary compares
    // the predictions with the labels as given
    let training = args.train.training_labels(&voters, &features.lengths);
    let tree = label_tree(&training, &features.lengths, min_length, &args.input.labels)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create directory", args.out.display()))?;

    let mut open_set = None;
    let soft = match args.teacher {
        RunTeacher::None => None,
        RunTeacher::Graph => {
            let extra = match &args.genomeocean {
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
            let (soft, _report, evidence) = soft_labels_for(
                &features,
                &training,
                &tree,
                extra.as_ref().map(|(e, d, _)| (e.as_slice(), *d)),
                extra.as_ref().map(|(_, _, h)| h.as_slice()),
                &opts,
            )?;
            pb.finish_and_clear();
            tracing::info!("teacher: {:.1} s", tt.elapsed().as_secs_f64());
            open_set = evidence;
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
    let candidates = kd_candidates(&args);
    let mut model = train_model(
        &features,
        &training,
        &tree,
        soft.as_deref(),
        &candidates[0],
        prov.clone(),
    )?;
    if soft.is_some() && !args.no_student_fallback {
        // The choice: the same hold-out split (same seed), the same noisy
        // labels, never truth. Candidates: the distilled students of every
        // temperature and the student on the labels alone.
        let mut scored = vec![(
            Candidate::Distilled(candidates[0].alpha, candidates[0].temperature),
            model.report.holdout_f1,
        )];
        let mut models = vec![model];
        for c in &candidates[1..] {
            let m = train_model(
                &features,
                &training,
                &tree,
                soft.as_deref(),
                c,
                prov.clone(),
            )?;
            scored.push((
                Candidate::Distilled(c.alpha, c.temperature),
                m.report.holdout_f1,
            ));
            models.push(m);
        }
        let plain = train_model(&features, &training, &tree, None, &args.train, prov)?;
        scored.push((Candidate::LabelsOnly, plain.report.holdout_f1));
        models.push(plain);
        let (best, scores) = choose(&scored);
        for (c, sc) in scored.iter().zip(&scores) {
            eprintln!(
                "held-out F1 against the labels (mean over ranks), {}: {}",
                c.0,
                sc.map_or("-".to_string(), |v| format!("{v:.4}"))
            );
        }
        eprintln!("keeping the {}", scored[best].0);
        let note = serde_json::json!({
            "candidates": scored.iter().zip(&scores).map(|(c, sc)| serde_json::json!({
                "student": c.0.to_string(),
                "alpha": c.0.alpha(),
                "temperature": c.0.temperature(),
                "holdout_f1": c.1,
                "holdout_f1_mean": sc,
            })).collect::<Vec<_>>(),
            "kept": scored[best].0.to_string(),
        });
        model = models.swap_remove(best);
        model.meta.provenance["student_fallback"] = note;
    }
    write_model(&args.out.join("model"), &model)?;
    let student = taxdistill_core::model::Student::from_meta_and_bytes(
        model.meta.clone(),
        &model.safetensors,
    )?;
    let student_preds = annotate(&student, &features, min_length, &student.meta.thresholds)?;
    let corrected = match open_set.as_ref().filter(|_| !args.no_open_set) {
        Some(ev) => {
            let gate = |g: &taxdistill_teacher::novel::RankGate| {
                g.threshold.map_or("-".into(), |t| format!("{t:.2}"))
            };
            eprintln!(
                "open set: where the neighbourhood looks novel, a rank is named when the heads' probability reaches {} (domain … species; - never)",
                ev.gates.iter().map(gate).collect::<Vec<_>>().join(" "),
            );
            openset::correct_all(&voters, &student_preds, &ev.neighbours, |i| {
                ev.vouched_lineage(&tree, i)
            })
        }
        // contigs without a prediction keep their (trusted) input label
        None => openset::student_or_kept_all(&voters, &student_preds),
    };
    let sample = args
        .input
        .contigs
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    // without passthrough, contigs the student did not annotate are listed
    // (and summarised) as unclassified
    let (written, outputs) = if args.no_passthrough {
        let written: Vec<openset::Corrected> = corrected
            .into_iter()
            .map(|c| match c.source {
                openset::Source::Input => openset::Corrected::kept(&Lineage::unclassified()),
                _ => c,
            })
            .collect();
        let preds = written
            .iter()
            .zip(&student_preds)
            .map(|(c, s)| s.is_some().then(|| c.prediction.clone()))
            .collect();
        (written, Outputs::student_only(preds))
    } else {
        let outputs = Outputs::passed_through(&corrected, min_length);
        (corrected, outputs)
    };
    write_outputs(
        &features,
        &outputs,
        &args.out.join("predictions.tsv"),
        Some(&args.out.join("predictions.cami")),
        Some(&args.out.join("report.kraken.txt")),
        args.input.taxonomy.as_deref(),
        &sample,
    )?;
    let summary = openset::Summary::of(&lineages, &written);
    let table = summary.to_tsv();
    util::write_atomic(&args.out.join("summary.tsv"), |w| {
        Ok(w.write_all(table.as_bytes())?)
    })?;
    let n_labelled = lineages.iter().filter(|l| l.depth() > 0).count();
    let n_annot = written
        .iter()
        .filter(|c| c.prediction.lineage.depth() > 0)
        .count();
    eprintln!(
        "{} contigs: {} labelled in the input, {} labelled in the output; {} deepened, {} newly labelled (unclassified in the input), {} changed, {} left unassigned at some rank as novel, {} kept their input label (shorter than {} bp); {:.1} s",
        features.n_rows(),
        n_labelled,
        n_annot,
        summary.deepened,
        summary.newly_labelled,
        summary.changed,
        summary.left_novel,
        summary.kept_input,
        min_length,
        t0.elapsed().as_secs_f64()
    );
    eprint!("{}", table.replace('\t', "  "));
    eprintln!("outputs in {}", args.out.display());
    Ok(())
}

/// One `--try-temperatures` value: a temperature > 0 (an empty list allowed).
fn parse_temperature(s: &str) -> std::result::Result<Option<f32>, String> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    match s.trim().parse::<f32>() {
        Ok(t) if t > 0.0 && t.is_finite() => Ok(Some(t)),
        _ => Err(format!("'{s}' is not a temperature (a number > 0)")),
    }
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

/// [`candidate_temperatures`] with the default `--try-temperatures`
/// ([`DEFAULT_TRY_TEMPERATURES`]).
pub fn default_candidate_temperatures(first: f32) -> Vec<f32> {
    candidate_temperatures(
        first,
        DEFAULT_TRY_TEMPERATURES
            .split(',')
            .filter_map(|t| parse_temperature(t).ok().flatten()),
    )
}

/// The training flags of every distilled candidate: --alpha/--temperature
/// first, then each further temperature of --try-temperatures (duplicates
/// dropped).
fn kd_candidates(args: &Args) -> Vec<TrainArgs> {
    candidate_temperatures(
        args.train.temperature,
        args.try_temperatures.iter().flatten().copied(),
    )
    .into_iter()
    .map(|temperature| TrainArgs {
        temperature,
        ..args.train.clone()
    })
    .collect()
}

/// A student `run` may keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Candidate {
    /// Distilled with (α, T).
    Distilled(f32, f32),
    /// Trained on the noisy labels alone.
    LabelsOnly,
}

impl Candidate {
    fn alpha(&self) -> Option<f32> {
        match self {
            Candidate::Distilled(a, _) => Some(*a),
            Candidate::LabelsOnly => None,
        }
    }
    fn temperature(&self) -> Option<f32> {
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
    fn further_temperatures_become_candidates_without_duplicates() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            run: Args,
        }
        let base = ["x", "--contigs", "c.fna", "--labels", "l.tsv", "--out", "o"];
        let parse = |extra: &[&str]| {
            let v: Vec<&str> = base.iter().chain(extra).copied().collect();
            kd_candidates(&Cli::try_parse_from(v).unwrap().run)
                .iter()
                .map(|c| (c.alpha, c.temperature))
                .collect::<Vec<_>>()
        };
        assert_eq!(parse(&[]), vec![(0.3, 4.0), (0.3, 1.0)]);
        assert_eq!(parse(&["--temperature", "1"]), vec![(0.3, 1.0)]);
        assert_eq!(
            parse(&["--alpha", "0.5", "--try-temperatures", "2,1,2"]),
            vec![(0.5, 4.0), (0.5, 2.0), (0.5, 1.0)]
        );
        assert_eq!(parse(&["--try-temperatures", ""]), vec![(0.3, 4.0)]);
        let v: Vec<&str> = base
            .iter()
            .chain(&["--try-temperatures", "0"])
            .copied()
            .collect();
        assert!(Cli::try_parse_from(v).is_err());
    }
}
