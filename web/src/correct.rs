//! `taxdistill run` in the page: with no model chosen, the worker corrects
//! the labels itself — features → graph teacher → students (distilled and
//! labels-only, the best kept by held-out F1) → annotation → the open-set
//! rule → passthrough — through the same pipeline crate as the CLI
//! ([`taxdistill_pipeline::run`]), so the same files and seed give the same
//! predictions.
//!
//! Runtime-free (no `web_sys`): the worker feeds it readers and a
//! [`Progress`] that posts messages; tests run it natively.

use crate::pipeline::{Assembled, Error, Output, RunInfo};
use serde::{Deserialize, Serialize};
use std::io::BufRead;
use taxdistill_core::features::{FeatureBuilder, FeatureOptions};
use taxdistill_core::softlabels::SoftLabels;
use taxdistill_core::taxdump::TaxDump;
use taxdistill_pipeline::load::{read_labels, Loaded};
use taxdistill_pipeline::run::{prepare, RunOptions};
use taxdistill_pipeline::teach::Taught;
use taxdistill_pipeline::Progress;
use taxdistill_train::TrainConfig;

/// `run`'s options the page offers (as inputs and as URL query
/// parameters), with `run`'s defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// `--min-length`: contigs shorter than this (bp) are neither trained on nor annotated.
    pub min_length: usize,
    /// `--seed`.
    pub seed: u64,
    /// `--alpha`: the weight of the hierarchical loss on the labels.
    pub alpha: f32,
    /// `--temperature`: the distillation temperature.
    pub temperature: f32,
    /// `--teacher graph` (true) or `--teacher none`.
    pub teacher: bool,
    /// `--hidden`: the student's hidden layer widths.
    pub hidden: Vec<usize>,
}

impl Default for Settings {
    fn default() -> Self {
        let o = RunOptions::default();
        Settings {
            min_length: o.min_length,
            seed: o.train.seed,
            alpha: o.train.alpha,
            temperature: o.train.temperature,
            teacher: o.teacher,
            hidden: o.train.hidden,
        }
    }
}

impl Settings {
    /// The settings a URL query string gives
    /// (`?min_length=1000&seed=0&alpha=0.3&temperature=4&teacher=none&hidden=128,128`),
    /// `run`'s defaults for the others; unknown keys (e.g. `backend`) are ignored.
    ///
    /// # Errors
    /// A value that does not parse or is out of range, naming the parameter.
    pub fn from_query(query: &str) -> Result<Settings, Error> {
        let mut s = Settings::default();
        for pair in query.trim_start_matches('?').split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            s.set(k, v)?;
        }
        s.check()?;
        Ok(s)
    }

    /// The settings as a URL query string (without `?`), read back by [`Settings::from_query`].
    pub fn to_query(&self) -> String {
        let hidden: Vec<String> = self.hidden.iter().map(usize::to_string).collect();
        format!(
            "min_length={}&seed={}&alpha={}&temperature={}&teacher={}&hidden={}",
            self.min_length,
            self.seed,
            self.alpha,
            self.temperature,
            if self.teacher { "graph" } else { "none" },
            hidden.join(",")
        )
    }

    /// Sets one option by its query name; other names are ignored.
    ///
    /// # Errors
    /// A value that does not parse.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), Error> {
        let bad = |reason| Error::Setting {
            key: key.to_string(),
            value: value.to_string(),
            reason,
        };
        fn parse<T: std::str::FromStr>(v: &str) -> Option<T> {
            v.trim().parse().ok()
        }
        let number = || bad("not a valid value");
        match key {
            "min_length" => self.min_length = parse(value).ok_or_else(number)?,
            "seed" => self.seed = parse(value).ok_or_else(number)?,
            "alpha" => self.alpha = parse(value).ok_or_else(number)?,
            "temperature" => self.temperature = parse(value).ok_or_else(number)?,
            "hidden" => {
                self.hidden = value
                    .split(',')
                    .map(|w| match parse::<usize>(w) {
                        Some(w @ 1..=4096) => Ok(w),
                        _ => Err(bad("widths from 1 to 4096, comma-separated")),
                    })
                    .collect::<Result<_, _>>()?
            }
            "teacher" => {
                self.teacher = match value {
                    "graph" | "on" | "true" | "1" => true,
                    "none" | "off" | "false" | "0" => false,
                    _ => return Err(bad("use graph or none")),
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Checks the ranges `run` accepts.
    ///
    /// # Errors
    /// α outside 0…1, a temperature ≤ 0.
    pub fn check(&self) -> Result<(), Error> {
        if !(0.0..=1.0).contains(&self.alpha) {
            return Err(Error::Setting {
                key: "alpha".into(),
                value: self.alpha.to_string(),
                reason: "must be between 0 and 1",
            });
        }
        if !(self.temperature > 0.0 && self.temperature.is_finite()) {
            return Err(Error::Setting {
                key: "temperature".into(),
                value: self.temperature.to_string(),
                reason: "must be a number > 0",
            });
        }
        Ok(())
    }

    /// The pipeline's options: `run`'s defaults with these set.
    pub fn options(&self) -> RunOptions {
        let d = RunOptions::default();
        RunOptions {
            min_length: self.min_length,
            teacher: self.teacher,
            train: TrainConfig {
                seed: self.seed,
                alpha: self.alpha,
                temperature: self.temperature,
                hidden: self.hidden.clone(),
                ..d.train
            },
            ..d
        }
    }
}

/// What a run trained, for the page to show and export.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// The page's settings of the run (set by the worker).
    pub settings: Option<Settings>,
    /// The candidate students and their mean held-out F1 against the labels.
    pub candidates: Vec<(String, Option<f64>)>,
    /// The kept student.
    pub kept: String,
    /// Per epoch of the kept student: training loss, its hierarchical and
    /// distillation terms (as weighted in it), and the held-out loss.
    pub train_loss: Vec<f32>,
    pub hier_loss: Vec<f32>,
    pub kd_loss: Vec<Option<f32>>,
    pub val_loss: Vec<Option<f32>>,
    /// Per rank, the kept student's held-out F1 against the labels.
    pub holdout_f1: Vec<Option<f64>>,
    /// Labels trusted above the genus only (little k-mer support).
    pub n_weak: usize,
    /// The open-set gates per rank (domain … species; `None`: never named
    /// where the neighbourhood looks novel), with a teacher.
    pub gates: Option<Vec<Option<f32>>>,
    /// `summary.tsv` as `run` writes it.
    pub summary_tsv: String,
    /// A few contigs with their noisy label, the teacher's soft label (its
    /// likeliest taxon) and the output: first those where teacher and label
    /// disagree, then some where they agree.
    #[serde(default)]
    pub examples: Vec<Example>,
}

/// One contig as the teacher, the labels and the student see it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Example {
    pub id: String,
    /// The classifier's label (`;`-joined lineage).
    pub noisy: String,
    /// The teacher's likeliest leaf and its probability.
    pub teacher: String,
    pub teacher_p: f32,
    /// The run's output lineage.
    pub output: String,
}

/// Examples to show, with their row: up to 3 contigs (long enough for the
/// student, labelled) where the teacher's likeliest taxon is not the label,
/// then up to 2 where it is; in FASTA order. Their `output` is filled in
/// once the run is done.
fn pick_examples(
    ids: &[String],
    lengths: &[usize],
    min_length: usize,
    noisy: &[taxdistill_core::taxonomy::Lineage],
    soft: &SoftLabels,
) -> Vec<(usize, Example)> {
    let row_of: std::collections::HashMap<&str, usize> = soft
        .contigs
        .iter()
        .enumerate()
        .map(|(r, id)| (id.as_str(), r))
        .collect();
    let (mut differ, mut agree) = (Vec::new(), Vec::new());
    for (i, id) in ids.iter().enumerate() {
        if lengths[i] < min_length || noisy[i].depth() == 0 {
            continue;
        }
        let Some(&r) = row_of.get(id.as_str()) else {
            continue;
        };
        let row = soft.row(r);
        let Some((leaf, &p)) = row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)) else {
            continue;
        };
        let teacher = soft.leaves[leaf].0.join(";");
        let e = Example {
            id: id.clone(),
            noisy: noisy[i].0.join(";"),
            teacher_p: p,
            output: String::new(),
            teacher,
        };
        match e.teacher == e.noisy {
            false if differ.len() < 3 => differ.push((i, e)),
            true if agree.len() < 2 => agree.push((i, e)),
            _ => {}
        }
        if differ.len() == 3 && agree.len() == 2 {
            break;
        }
    }
    differ.extend(agree);
    differ
}

/// The exported files of a trained run.
pub struct TrainedFiles {
    pub model_json: Vec<u8>,
    pub model_safetensors: Vec<u8>,
    /// `soft_labels.safetensors` (the teacher's, top 32 per contig), with a teacher.
    pub soft_labels: Option<Vec<u8>>,
}

/// The inputs of a run in the page.
pub struct Inputs<'a, A: BufRead, L: BufRead> {
    /// The contigs' features, streamed in (sequences already dropped).
    pub contigs: FeatureBuilder,
    pub abundance: Option<(A, &'a str)>,
    pub labels: (L, &'a str),
    pub taxdump: Option<&'a TaxDump>,
    /// Soft labels written by the native `taxdistill teach` (e.g. the
    /// GenomeOcean teacher on a GPU): `soft_labels.safetensors`' bytes and
    /// name. They replace the graph teacher's soft labels as the students'
    /// targets; the graph teacher still runs (when on) for the open-set
    /// rule's evidence.
    pub soft_labels: Option<(Vec<u8>, &'a str)>,
}

/// Runs `taxdistill run` on `inputs` with `opts` (the page's
/// [`Settings::options`]); `sample_id` heads the CAMI file, `provenance`
/// goes into model.json.
///
/// # Errors
/// Bad abundance or label files, labels that give nothing to train on, a
/// failing teacher or training run — one line each, naming the file.
pub fn run<A: BufRead, L: BufRead>(
    inputs: Inputs<'_, A, L>,
    opts: &RunOptions,
    sample_id: &str,
    provenance: serde_json::Value,
    progress: &dyn Progress,
) -> Result<(Output, Training, TrainedFiles), Error> {
    let abundance = match inputs.abundance {
        Some((r, name)) => Some((taxdistill_core::abundance::read_abundance(r, name)?, name)),
        None => None,
    };
    let features = crate::pipeline::features_of(
        inputs.contigs,
        abundance.as_ref().map(|(a, name)| (a, *name)),
        &FeatureOptions {
            min_length: opts.min_length,
        },
    )?;
    let abundance = abundance.map(|(a, _)| a);
    let (reader, labels_name) = inputs.labels;
    let labels = read_labels(reader, labels_name, None, inputs.taxdump, &features.ids)?;
    let mut warnings = labels.warnings.clone();
    if labels.absent > 0 {
        warnings.push(format!(
            "{labels_name}: {} labelled contig(s) are not in the FASTA",
            labels.absent
        ));
    }
    let prepared = prepare(Loaded { features, labels }, opts, labels_name)?;
    let mut taught = prepared.teach(None, progress)?;
    if let Some((bytes, name)) = &inputs.soft_labels {
        let soft = SoftLabels::from_bytes(bytes, name)?;
        // checked here, where the error can name the file
        soft.aligned_to(&prepared.loaded.features.ids, &prepared.tree)
            .map_err(|e| Error::Inputs(format!("{name}: {e}")))?;
        taught = Some(match taught {
            Some(t) => Taught { soft, ..t },
            None => Taught {
                soft,
                report: Default::default(),
                open_set: None,
            },
        });
    }
    let soft_labels = taught
        .as_ref()
        .map(|t| t.soft.to_bytes(Some(32.min(t.soft.n_leaves()))))
        .transpose()?;
    // picked before the soft labels go into training (no copy of them is kept)
    let picked = match &taught {
        Some(t) => {
            let f = &prepared.loaded.features;
            let noisy = &prepared.loaded.labels.lineages;
            pick_examples(&f.ids, &f.lengths, opts.min_length, noisy, &t.soft)
        }
        None => Vec::new(),
    };
    let out = prepared.finish(taught, provenance, progress)?;
    let model = &out.students.model;
    let training = Training {
        settings: None,
        candidates: out
            .students
            .choice
            .iter()
            .flat_map(|c| &c.candidates)
            .map(|c| (c.candidate.to_string(), c.mean))
            .collect(),
        kept: out
            .students
            .choice
            .as_ref()
            .map(|c| c.kept().candidate.to_string())
            .unwrap_or_else(|| "the only student trained".into()),
        train_loss: model.report.history.iter().map(|e| e.train_loss).collect(),
        hier_loss: model.report.history.iter().map(|e| e.hier_loss).collect(),
        kd_loss: model.report.history.iter().map(|e| e.kd_loss).collect(),
        val_loss: model.report.history.iter().map(|e| e.val_loss).collect(),
        holdout_f1: model.report.holdout_f1.to_vec(),
        n_weak: prepared.n_weak,
        gates: out
            .gates
            .as_ref()
            .map(|g| g.iter().map(|g| g.threshold).collect()),
        summary_tsv: out.summary.to_tsv(),
        examples: picked
            .into_iter()
            .map(|(i, e)| Example {
                output: out.written[i].prediction.lineage.0.join(";"),
                ..e
            })
            .collect(),
    };
    let files = TrainedFiles {
        model_json: model.meta.to_json()?,
        model_safetensors: model.safetensors.clone(),
        soft_labels,
    };
    let features = &prepared.loaded.features;
    let assembled = Assembled {
        ids: &features.ids,
        lengths: &features.lengths,
        noisy: &prepared.loaded.labels.lineages,
        has_labels: true,
        warnings,
        outputs: &out.outputs,
        abundance: abundance.as_ref(),
    };
    let info = RunInfo {
        backend: "cpu".into(),
        backend_note: String::new(),
        secs_features: 0.0,
        secs_inference: 0.0,
    };
    let output = assembled.output(sample_id, info, inputs.taxdump)?;
    Ok((output, training, files))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use taxdistill_pipeline::load::read_features;
    use taxdistill_pipeline::Silent;
    use taxdistill_sim::{simulate, write, SimConfig};

    struct Files {
        fasta: Vec<u8>,
        abundance: Vec<u8>,
        labels: Vec<u8>,
    }

    fn community() -> Files {
        let c = simulate(&SimConfig {
            seed: 5,
            genomes: 10,
            contigs: 300,
            ..SimConfig::default()
        })
        .unwrap();
        let (mut fasta, mut abundance, mut labels) = (Vec::new(), Vec::new(), Vec::new());
        write::write_fasta(&c, &mut fasta).unwrap();
        write::write_abundance(&c, &mut abundance).unwrap();
        write::write_labels(&c, &mut labels).unwrap();
        Files {
            fasta,
            abundance,
            labels,
        }
    }

    fn small(settings: &Settings) -> RunOptions {
        let mut o = settings.options();
        o.train.hidden = vec![32];
        o.train.max_epochs = 3;
        o.train.min_steps = 0;
        o
    }

    /// The page's run (streamed features) against the CLI's (`taxdistill
    /// run`'s loading: the whole FASTA, then features) on the same files.
    #[test]
    fn the_page_runs_what_the_cli_runs() {
        let f = community();
        let settings = Settings {
            min_length: 1000,
            ..Settings::default()
        };
        let opts = small(&settings);
        let builder =
            crate::pipeline::parse_contigs(&f.fasta[..], "contigs.fna", |_, _| {}).unwrap();
        let (page, training, files) = run(
            Inputs {
                contigs: builder,
                abundance: Some((&f.abundance[..], "abundance.tsv")),
                labels: (&f.labels[..], "labels.tsv"),
                taxdump: None,
                soft_labels: None,
            },
            &opts,
            "contigs.fna",
            serde_json::json!({}),
            &Silent,
        )
        .unwrap();

        let mut ab = Cursor::new(&f.abundance);
        let features = read_features(
            &f.fasta[..],
            "contigs.fna",
            Some((&mut ab, "abundance.tsv")),
            1000,
            &Silent,
        )
        .unwrap();
        let labels = read_labels(&f.labels[..], "labels.tsv", None, None, &features.ids).unwrap();
        let prepared = prepare(Loaded { features, labels }, &opts, "labels.tsv").unwrap();
        let taught = prepared.teach(None, &Silent).unwrap();
        let cli = prepared
            .finish(taught, serde_json::json!({}), &Silent)
            .unwrap();
        let ids = &prepared.loaded.features.ids;
        let mut tsv = Vec::new();
        cli.outputs.write_taxometer(&mut tsv, ids).unwrap();
        assert_eq!(page.taxometer_tsv, String::from_utf8(tsv).unwrap());
        let mut cami = Vec::new();
        cli.outputs
            .write_cami(&mut cami, ids, "contigs.fna", None)
            .unwrap();
        assert_eq!(page.cami, String::from_utf8(cami).unwrap());
        assert_eq!(training.summary_tsv, cli.summary.to_tsv());
        assert_eq!(training.candidates.len(), 3, "{training:?}");
        assert!(training.gates.is_some());
        assert!(!training.train_loss.is_empty());
        assert!(!training.examples.is_empty() && training.examples.len() <= 5);
        for e in &training.examples {
            let i = ids.iter().position(|id| *id == e.id).unwrap();
            assert_eq!(e.output, cli.written[i].prediction.lineage.0.join(";"));
            assert!(e.teacher_p > 0.0 && e.teacher_p <= 1.0);
        }

        // the exported model is one `taxdistill annotate` loads, and it
        // predicts what the page shows
        let student = taxdistill_core::model::Student::from_bytes(
            &files.model_safetensors,
            &files.model_json,
        )
        .unwrap();
        assert_eq!(student.meta.min_length, 1000);
        assert!(files.soft_labels.is_some());
        let t = &page.table;
        assert_eq!(t.len(), ids.len());
        assert!((0..t.len()).any(|i| t.by_student(i)));
        assert_eq!(page.summary.n_contigs, ids.len());
    }

    fn run_with_soft(
        f: &Files,
        soft: Option<(Vec<u8>, &str)>,
        teacher: bool,
    ) -> Result<(Output, Training, TrainedFiles), Error> {
        let settings = Settings {
            teacher,
            ..Settings::default()
        };
        let builder =
            crate::pipeline::parse_contigs(&f.fasta[..], "contigs.fna", |_, _| {}).unwrap();
        run::<&[u8], &[u8]>(
            Inputs {
                contigs: builder,
                abundance: Some((&f.abundance[..], "abundance.tsv")),
                labels: (&f.labels[..], "labels.tsv"),
                taxdump: None,
                soft_labels: soft,
            },
            &small(&settings),
            "contigs.fna",
            serde_json::json!({}),
            &Silent,
        )
    }

    /// Soft labels from the native `teach` replace the graph teacher's as
    /// the students' targets: given back the ones a run exported, the run
    /// is reproduced; given without a teacher, they are distilled all the same.
    #[test]
    fn soft_labels_from_teach_are_the_students_targets() {
        let f = community();
        let (first, _, files) = run_with_soft(&f, None, true).unwrap();
        let soft = files.soft_labels.unwrap();
        let (again, training, _) =
            run_with_soft(&f, Some((soft.clone(), "soft_labels.safetensors")), true).unwrap();
        assert_eq!(again.taxometer_tsv, first.taxometer_tsv);
        assert_eq!(training.candidates.len(), 3);
        let (_, training, _) =
            run_with_soft(&f, Some((soft, "soft_labels.safetensors")), false).unwrap();
        // distilled and labels-only students to choose from, no open-set gates
        assert_eq!(training.candidates.len(), 3);
        assert!(training.gates.is_none());

        let err = run_with_soft(
            &f,
            Some((b"not safetensors".to_vec(), "soft.safetensors")),
            true,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.starts_with("soft.safetensors"), "{err}");
    }

    #[test]
    fn without_a_teacher_one_student_is_trained() {
        let (_, training, files) = run_with_soft(&community(), None, false).unwrap();
        assert!(training.candidates.is_empty() && training.gates.is_none());
        assert!(training.kd_loss.iter().all(Option::is_none));
        assert!(files.soft_labels.is_none());
    }

    #[test]
    fn labels_that_give_nothing_to_train_on_are_one_line_naming_the_file() {
        let mut f = community();
        f.labels = b"contigs\tpredictions\n".to_vec();
        let err = run_with_soft(&f, None, true).err().unwrap().to_string();
        assert!(err.starts_with("labels.tsv"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn settings_come_from_the_query_with_runs_defaults() {
        assert_eq!(Settings::from_query("").unwrap(), Settings::default());
        let odd = Settings {
            alpha: 0.25,
            temperature: 1.5,
            hidden: vec![64],
            teacher: false,
            ..Settings::default()
        };
        assert_eq!(Settings::from_query(&odd.to_query()).unwrap(), odd);
        let s = Settings::from_query(
            "?min_length=1000&seed=7&alpha=0.5&temperature=2&backend=cpu&teacher=none",
        )
        .unwrap();
        assert_eq!(
            s,
            Settings {
                min_length: 1000,
                seed: 7,
                alpha: 0.5,
                temperature: 2.0,
                teacher: false,
                hidden: vec![512; 4],
            }
        );
        let o = s.options();
        assert_eq!((o.min_length, o.train.seed, o.teacher), (1000, 7, false));
        assert_eq!(Settings::default().min_length, 2000);
        assert!(Settings::from_query("alpha=2")
            .unwrap_err()
            .to_string()
            .contains("alpha"));
        assert!(Settings::from_query("temperature=0").is_err());
        assert_eq!(
            Settings::from_query("hidden=128,64")
                .unwrap()
                .options()
                .train
                .hidden,
            vec![128, 64]
        );
        assert!(Settings::from_query("hidden=0").is_err());
        assert_eq!(
            Settings::from_query("hidden=512,512,512,512").unwrap(),
            Settings::default()
        );
        assert!(Settings::from_query("seed=x")
            .unwrap_err()
            .to_string()
            .starts_with("seed=x"));
    }
}
