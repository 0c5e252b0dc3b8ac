//! `taxdistill run`: the whole pipeline — features → teacher soft labels →
//! distill → annotate — writing into one directory:
//! `predictions.tsv` (Taxometer output), `predictions.cami`,
//! `report.kraken.txt`, `soft_labels.safetensors` (with a teacher), `model/`,
//! and `summary.tsv` (per rank, how the predictions relate to the input labels).
//! The stages are the pipeline's ([`taxdistill_pipeline::run`]); this module
//! maps the flags onto them and writes the files.

use crate::args::{parse_temperature, InputArgs, KnnArgs, TrainArgs, DEFAULT_TRY_TEMPERATURES};
use crate::inputs::embed;
use crate::outputs::{sample_id, write_model, write_outputs};
use crate::report::{report_choice, report_summary, report_weak};
use crate::util::{self, Bars};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use taxdistill_core::openset;
use taxdistill_pipeline::run::{prepare, RunOptions};

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
    #[command(flatten)]
    pub knn: KnnArgs,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

impl Args {
    /// The pipeline's options these flags describe.
    fn options(&self) -> RunOptions {
        RunOptions {
            teacher: self.teacher == RunTeacher::Graph,
            train: self.train.config(),
            min_length: self.train.min_length,
            unresolved_leaves: !self.train.no_unresolved_leaves,
            try_temperatures: self.try_temperatures.iter().flatten().copied().collect(),
            student_fallback: !self.no_student_fallback,
            open_set: !self.no_open_set,
            passthrough: !self.no_passthrough,
            min_support: self.min_support,
            exact_knn_max_contigs: self.knn.exact_knn_max_contigs,
        }
    }
}

pub fn run(args: Args) -> Result<()> {
    let t0 = std::time::Instant::now();
    if args.genomeocean.is_some() && args.teacher == RunTeacher::None {
        bail!("--genomeocean needs a teacher; drop --teacher none");
    }
    let opts = args.options();
    let loaded = args.input.load(opts.min_length, args.train.no_abundance)?;
    let prepared = prepare(loaded, &opts, &util::name(&args.input.labels))?;
    report_weak(prepared.n_weak, args.min_support);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create directory", args.out.display()))?;
    let features = &prepared.loaded.features;
    let embeddings = match (&args.genomeocean, opts.teacher) {
        (Some(dir), true) => Some(embed(dir, &args.input.contigs, &features.ids, 8)?),
        _ => None,
    };
    let bars = Bars::default();
    let taught = prepared.teach(embeddings.as_ref(), &bars)?;
    drop(embeddings);
    if let Some(t) = &taught {
        let bytes = t.soft.to_bytes(Some(32.min(t.soft.n_leaves())))?;
        util::write_atomic(&args.out.join("soft_labels.safetensors"), |w| {
            Ok(w.write_all(&bytes)?)
        })?;
    }
    let prov = serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>(),
        "teacher": format!("{:?}", args.teacher).to_lowercase(),
    });
    let out = prepared.finish(taught, prov, &bars)?;
    report_choice(&out);
    write_model(&args.out.join("model"), &out.students.model)?;
    write_outputs(
        features,
        &out.outputs,
        &args.out.join("predictions.tsv"),
        Some(&args.out.join("predictions.cami")),
        Some(&args.out.join("report.kraken.txt")),
        args.input.taxonomy.as_deref(),
        &sample_id(&args.input.contigs),
    )?;
    let table = out.summary.to_tsv();
    util::write_atomic(&args.out.join("summary.tsv"), |w| {
        Ok(w.write_all(table.as_bytes())?)
    })?;
    report_summary(
        &prepared.loaded,
        &out,
        &table,
        opts.min_length,
        t0,
        &args.out,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use taxdistill_pipeline::choose::candidate_temperatures;

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
            let o = Cli::try_parse_from(v).unwrap().run.options();
            let temps = candidate_temperatures(o.train.temperature, o.try_temperatures);
            temps
                .iter()
                .map(|&t| (o.train.alpha, t))
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

    /// `run`'s flags give the pipeline's defaults where they are not given
    /// (the exact-search threshold included), and set them where they are.
    #[test]
    fn the_flags_defaults_are_the_pipelines() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            run: Args,
        }
        let base = ["x", "--contigs", "c.fna", "--labels", "l.tsv", "--out", "o"];
        let o = Cli::try_parse_from(base).unwrap().run.options();
        let d = RunOptions::default();
        assert_eq!(
            (o.train.max_holdout, o.train.epoch_rows),
            (d.train.max_holdout, d.train.epoch_rows)
        );
        assert_eq!(
            (
                o.exact_knn_max_contigs,
                o.min_length,
                o.min_support,
                o.teacher
            ),
            (
                d.exact_knn_max_contigs,
                d.min_length,
                d.min_support,
                d.teacher
            )
        );
        let v: Vec<&str> = base
            .iter()
            .chain(&["--exact-knn-max-contigs", "0"])
            .copied()
            .collect();
        assert_eq!(
            Cli::try_parse_from(v)
                .unwrap()
                .run
                .options()
                .exact_knn_max_contigs,
            0
        );
    }
}
