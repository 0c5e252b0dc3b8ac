//! The annotation pipeline over plain readers, as `taxdistill annotate` runs
//! it: contigs → features (103 TNF + S abundances + 1 log-abundance, f32) →
//! student on contigs of at least the model's minimum length → lineages; plus
//! the noisy labels aligned to the contigs, for the comparison views.
//!
//! Every contig keeps the best label there is (as `taxdistill run` writes
//! it): a contig too short for the student keeps its input label as given
//! (`source` `input` in the Taxometer TSV, a `#` note in the CAMI header).
//!
//! Runtime-free (no `web_sys`), so it is tested natively; the worker feeds it
//! `BlobReader`s and runs the student between [`prepare`] and [`finish`].

use crate::results::{composition, Summary, Table, TableBuilder};
use std::io::BufRead;
use taxdistill_core::abundance::Abundance;
use taxdistill_core::features::{FeatureBuilder, FeatureMatrix, FeatureOptions};
use taxdistill_core::model::{ModelMeta, Prediction};
use taxdistill_core::openset::{student_or_kept_all, Source};
use taxdistill_core::taxdump::TaxDump;
use taxdistill_core::taxonomy::Lineage;
use taxdistill_pipeline::annotate::Outputs;

pub use crate::errors::Error;

/// Contigs parsed, features built, labels aligned; ready for the student.
pub struct Prepared {
    pub features: FeatureMatrix,
    /// Rows (into `features`) the student annotates (length ≥ minimum length).
    pub annotated: Vec<usize>,
    /// The model's minimum contig length (bp).
    pub min_length: usize,
    /// Noisy label per contig (unclassified when not labelled).
    pub noisy: Vec<Lineage>,
    pub has_labels: bool,
    pub warnings: Vec<String>,
    /// The abundances read (for the per-sample composition).
    pub abundance: Option<Abundance>,
}

/// Streams contigs into a [`FeatureBuilder`] (the pipeline crate's
/// [`taxdistill_pipeline::load::stream_contigs`], as the CLI reads them),
/// calling `progress(contigs, bp)` after each batch.
///
/// # Errors
/// The core's FASTA errors (source, record, reason).
pub fn parse_contigs<R: std::io::Read + Send>(
    reader: R,
    source_name: &str,
    progress: impl FnMut(u64, u64),
) -> Result<FeatureBuilder, Error> {
    Ok(taxdistill_pipeline::load::stream_contigs(
        reader,
        source_name,
        progress,
    )?)
}

/// Why a gzip stream is damaged: `None` when it decompresses to its end
/// with its checksums right, or is not gzip. A damaged block can decompress
/// to text the FASTA parser rejects (a duplicate id, a bad byte) before the
/// gzip checksum says why, so a parse error of a gzip file is checked here.
pub fn gzip_damage<R: BufRead>(mut r: R) -> Option<String> {
    if !r.fill_buf().ok()?.starts_with(&[0x1f, 0x8b]) {
        return None;
    }
    std::io::copy(
        &mut flate2::read::MultiGzDecoder::new(r),
        &mut std::io::sink(),
    )
    .err()
    .map(|e| e.to_string())
}

/// Reads an NCBI taxdump (as `taxdistill --taxonomy DIR` does); messages
/// name the files `taxonomy/nodes.dmp` etc.
///
/// # Errors
/// The core's taxdump errors (file, line, reason).
pub fn load_taxdump<R: BufRead>(nodes: R, names: R, merged: Option<R>) -> Result<TaxDump, Error> {
    Ok(TaxDump::from_readers(nodes, names, merged, "taxonomy")?)
}

/// Builds features and aligns labels; `taxdump` resolves taxid-only label
/// formats (Kraken2, Centrifuge, Metabuli).
///
/// # Errors
/// Bad abundance or label files, taxid labels without a taxdump, or inputs
/// that do not fit the model (sample count, feature columns).
pub fn prepare<A: BufRead, L: BufRead>(
    builder: FeatureBuilder,
    abundance: Option<(A, &str)>,
    labels: Option<(L, &str)>,
    taxdump: Option<&TaxDump>,
    meta: &ModelMeta,
) -> Result<Prepared, Error> {
    let mut warnings = Vec::new();
    let abundance = match abundance {
        Some((r, name)) if meta.use_abundance => {
            let a = taxdistill_core::abundance::read_abundance(r, name)?;
            // checked before the features, where the error can name the file
            if a.n_samples() != meta.n_samples {
                return Err(Error::ModelSamples {
                    name: name.to_string(),
                    got: a.n_samples(),
                    want: meta.n_samples,
                    samples: a.samples.join(", "),
                });
            }
            Some((a, name))
        }
        Some((_, name)) => {
            warnings.push(format!("{name}: ignored, the model was trained without abundances"));
            None
        }
        None if meta.use_abundance => {
            return Err(Error::Inputs(format!(
                "the model expects abundances for {} sample(s): add the abundance file it was trained with",
                meta.n_samples
            )))
        }
        None => None,
    };
    let features = features_of(
        builder,
        abundance.as_ref().map(|(a, name)| (a, *name)),
        &feature_options(meta),
    )?;
    let abundance = abundance.map(|(a, _)| a);
    // the same checks as `taxdistill annotate`
    if features.n_samples != meta.n_samples || features.n_cols() != meta.n_features() {
        return Err(Error::Inputs(format!(
            "the model was trained with {} abundance sample(s) ({} feature columns) but the input has {} ({} columns)",
            meta.n_samples,
            meta.n_features(),
            features.n_samples,
            features.n_cols()
        )));
    }
    let annotated: Vec<usize> = (0..features.n_rows())
        .filter(|&i| features.lengths[i] >= meta.min_length)
        .collect();
    let (noisy, has_labels) = match labels {
        Some((r, name)) => {
            // a taxid format without a taxdump points at the Taxonomy input ([`Error::TaxonomyNeeded`])
            let l = taxdistill_core::labels::read_labels(r, name, None, taxdump)?;
            let (lineages, absent) = l.aligned_to(&features.ids);
            if absent > 0 {
                warnings.push(format!(
                    "{name}: {absent} labelled contig(s) are not in the FASTA"
                ));
            }
            warnings.extend(l.warnings.iter().cloned());
            (lineages, true)
        }
        None => (vec![Lineage::unclassified(); features.n_rows()], false),
    };
    Ok(Prepared {
        features,
        annotated,
        min_length: meta.min_length,
        noisy,
        has_labels,
        warnings,
        abundance,
    })
}

/// The features of the streamed contigs with their abundances; an
/// abundance table that does not fit the contigs (rows missing, a sample
/// without depth) is an error naming that file.
///
/// # Errors
/// [`Error::AbundanceMismatch`] naming the abundance file; the core's
/// errors otherwise.
pub fn features_of(
    builder: FeatureBuilder,
    abundance: Option<(&Abundance, &str)>,
    opts: &FeatureOptions,
) -> Result<FeatureMatrix, Error> {
    builder
        .finish(abundance.map(|(a, _)| a), opts)
        .map_err(|e| match (e, abundance) {
            (taxdistill_core::Error::Mismatch(reason), Some((_, name))) => {
                Error::AbundanceMismatch {
                    name: name.to_string(),
                    // the core's message starts with the word `abundance: `
                    reason: reason
                        .strip_prefix("abundance: ")
                        .unwrap_or(&reason)
                        .to_string(),
                }
            }
            (e, _) => e.into(),
        })
}

/// Feature normalisation as `taxdistill annotate` does it.
fn feature_options(meta: &ModelMeta) -> FeatureOptions {
    FeatureOptions {
        min_length: meta.min_length,
    }
}

/// Row-major raw features of the contigs the student annotates.
pub fn selected_features(p: &Prepared) -> Vec<f32> {
    let mut out = Vec::with_capacity(p.annotated.len() * p.features.n_cols());
    for &i in &p.annotated {
        out.extend_from_slice(p.features.row(i));
    }
    out
}

/// Timings and backend of a run.
pub struct RunInfo {
    pub backend: String,
    pub backend_note: String,
    pub secs_features: f64,
    pub secs_inference: f64,
}

/// What a run hands to the page: the contigs, the charts' data and the
/// exports (written by the core's writers, byte for byte what the CLI writes).
pub struct Output {
    pub summary: Summary,
    pub table: Table,
    pub taxometer_tsv: String,
    pub cami: String,
    pub kraken_report: String,
    /// The Kraken-style report counting base pairs (`taxdistill convert
    /// --to kraken-report --by-bp` on the Taxometer TSV).
    pub kraken_report_bp: String,
}

/// Assembles the result, computes the charts' data and writes the exports
/// with the core writers (`taxdump` puts taxids into the CAMI file and the
/// report, as `taxdistill annotate --taxonomy` does). Contigs the student
/// did not annotate keep their input label ([`Corrected::student_or_kept`]):
/// the Taxometer TSV says where each lineage comes from (`source`), the
/// CAMI header says how many were kept, and the report counts them.
///
/// # Errors
/// A prediction count that differs from the number of annotated contigs, or
/// a writer error.
pub fn finish(
    p: Prepared,
    preds: Vec<Prediction>,
    sample_id: &str,
    info: RunInfo,
    taxdump: Option<&TaxDump>,
) -> Result<Output, Error> {
    if preds.len() != p.annotated.len() {
        return Err(Error::Inference(format!(
            "{} predictions for {} annotated contigs",
            preds.len(),
            p.annotated.len()
        )));
    }
    let n = p.features.n_rows();
    let mut per_row: Vec<Option<Prediction>> = vec![None; n];
    for (&i, pred) in p.annotated.iter().zip(preds) {
        per_row[i] = Some(pred);
    }
    let corrected = student_or_kept_all(&p.noisy, &per_row);
    let outputs = Outputs::passed_through(&corrected, p.min_length);
    let run = Assembled {
        ids: &p.features.ids,
        lengths: &p.features.lengths,
        noisy: &p.noisy,
        has_labels: p.has_labels,
        warnings: p.warnings.clone(),
        outputs: &outputs,
        abundance: p.abundance.as_ref(),
    };
    run.output(sample_id, info, taxdump)
}

/// A finished annotation, as the writers and the table take it: rows in
/// FASTA order.
pub struct Assembled<'a> {
    pub ids: &'a [String],
    pub lengths: &'a [usize],
    /// The noisy label of each contig (unclassified when not labelled).
    pub noisy: &'a [Lineage],
    pub has_labels: bool,
    pub warnings: Vec<String>,
    /// What the CLI's writers get ([`Outputs`]).
    pub outputs: &'a Outputs,
    /// The abundances, for the per-sample composition.
    pub abundance: Option<&'a Abundance>,
}

impl Assembled<'_> {
    /// The table, the charts' data and the exports, written by the
    /// pipeline's writers (byte for byte what the CLI writes); `taxdump` puts
    /// taxids into the CAMI file and the report.
    ///
    /// # Errors
    /// A writer error.
    pub fn output(
        self,
        sample_id: &str,
        info: RunInfo,
        taxdump: Option<&TaxDump>,
    ) -> Result<Output, Error> {
        let (ids, outputs) = (self.ids, self.outputs);
        let text = |write: &dyn Fn(&mut Vec<u8>) -> taxdistill_pipeline::Result<()>,
                    what: &str|
         -> Result<String, Error> {
            let mut b = Vec::new();
            write(&mut b)?;
            String::from_utf8(b).map_err(|_| Error::Inputs(format!("{what}: not UTF-8")))
        };
        let taxometer_tsv = text(&|w| outputs.write_taxometer(w, ids), "Taxometer TSV")?;
        let cami = text(&|w| outputs.write_cami(w, ids, sample_id, taxdump), "CAMI")?;
        let kraken_report = text(
            &|w| outputs.write_kraken_report(w, ids, self.lengths, taxdump),
            "Kraken report",
        )?;
        let kraken_report_bp = {
            let rows: Vec<(String, u64, Option<taxdistill_core::model::Prediction>)> = outputs
                .rows(ids)
                .into_iter()
                .zip(self.lengths)
                .map(|((id, p), &n)| (id, n as u64, p))
                .collect();
            let mut b = Vec::new();
            taxdistill_core::writers::write_kraken_report(&mut b, &rows, true, taxdump)?;
            String::from_utf8(b)
                .map_err(|_| Error::Inputs("Kraken report (bp): not UTF-8".into()))?
        };
        let mut b = TableBuilder::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let source = match &outputs.sources {
                Some(s) => s[i],
                None if outputs.preds[i].is_some() => Source::Student,
                None => Source::None,
            };
            // no label and no prediction: listed unassigned
            let pred = outputs.preds[i].as_ref().filter(|_| source != Source::None);
            b.push(id, self.lengths[i] as u64, &self.noisy[i], pred, source);
        }
        let table = b.finish();
        // every contig is in the abundance table (the features need it)
        let composition = self.abundance.and_then(|a| {
            let depth = a.aligned_to(ids).ok()?;
            composition(&table, &a.samples, &depth)
        });
        let summary = Summary {
            backend: info.backend,
            backend_note: info.backend_note,
            has_labels: self.has_labels,
            secs_features: info.secs_features,
            secs_inference: info.secs_inference,
            warnings: self.warnings,
            composition,
            ..Summary::of(&table)
        };
        Ok(Output {
            summary,
            table,
            taxometer_tsv,
            cami,
            kraken_report,
            kraken_report_bp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use taxdistill_core::model::{write_safetensors, Student, FORMAT_VERSION};
    use taxdistill_core::taxonomy::LabelTree;

    /// A deterministic pseudo-random sequence (xorshift), no RNG crate needed.
    fn seq(len: usize, seed: u64) -> String {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b"ACGT"[(x % 4) as usize] as char
            })
            .collect()
    }

    fn fasta() -> String {
        let lens = [500, 2500, 3000, 1999, 2000, 8000, 4100, 900];
        lens.iter()
            .enumerate()
            .map(|(i, &l)| format!(">c{i} desc\n{}\n", seq(l, i as u64 + 1)))
            .collect()
    }

    fn model(n_features: usize) -> (Vec<u8>, Vec<u8>) {
        let ls: Vec<Lineage> = ["A;B;C", "A;B;D", "A;E", "F"]
            .iter()
            .map(|s| Lineage::parse(s).unwrap())
            .collect();
        let tree = LabelTree::from_lineages(ls.iter());
        let mut names: Vec<String> = (0..103).map(|i| format!("tnf{i}")).collect();
        names.truncate(n_features);
        let meta = ModelMeta {
            format_version: FORMAT_VERSION,
            n_samples: 0,
            use_abundance: false,
            feature_names: names,
            feature_mean: vec![0.0; n_features],
            feature_std: vec![1.0; n_features],
            hidden: vec![5],
            leaky_slope: 0.01,
            tree,
            min_length: 2000,
            thresholds: [0.3; 7],
            provenance: serde_json::Value::Null,
        };
        let w = |n: usize, k: u64| {
            (0..n)
                .map(|i| (((i as u64 * 2654435761 + k) % 1000) as f32 / 500.0) - 1.0)
                .collect::<Vec<f32>>()
        };
        let st = write_safetensors(&[
            (
                "layers.0.weight".into(),
                vec![5, n_features],
                w(5 * n_features, 1),
            ),
            ("layers.0.bias".into(), vec![5], w(5, 2)),
            ("output.weight".into(), vec![4, 5], w(20, 3)),
            ("output.bias".into(), vec![4], w(4, 4)),
        ])
        .unwrap();
        (st, meta.to_json().unwrap())
    }

    #[test]
    fn streamed_pipeline_writes_what_the_cli_path_writes() {
        let (st, json) = model(103);
        let student = Student::from_bytes(&st, &json).unwrap();
        let meta = student.meta.clone();
        let text = fasta();
        // c0 (500 bp) and c3 (1999 bp) are too short for the student: they keep their labels
        let labels = "contigs\tpredictions\nc1\tA;B;C\nc5\tF\nghost\tA\nc0\tA;E\nc3\tF\n";

        let builder = parse_contigs(text.as_bytes(), "t.fna", |_, _| {}).unwrap();
        let p = prepare::<&[u8], &[u8]>(
            builder,
            None,
            Some((labels.as_bytes(), "labels.tsv")),
            None,
            &meta,
        )
        .unwrap();
        assert_eq!(p.annotated, vec![1, 2, 4, 5, 6]);
        assert_eq!(p.noisy[1].0, vec!["A", "B", "C"]);
        assert_eq!(
            p.warnings,
            vec!["labels.tsv: 1 labelled contig(s) are not in the FASTA".to_string()]
        );
        let preds = student.predict(&selected_features(&p)).unwrap();
        let info = RunInfo {
            backend: "cpu".into(),
            backend_note: String::new(),
            secs_features: 0.0,
            secs_inference: 0.0,
        };
        let r = finish(p, preds, "t.fna", info, None).unwrap();

        // the CLI's path: every contig in memory, then build_features_with
        let contigs = taxdistill_core::fasta::read_contigs(text.as_bytes(), "t.fna").unwrap();
        let m = taxdistill_core::features::build_features_with(
            &contigs,
            None,
            &FeatureOptions { min_length: 2000 },
        )
        .unwrap();
        // …and the short labelled contigs keep their label, scores 1
        let kept = |s: &str| {
            let lineage = Lineage::parse(s).unwrap();
            let scores = vec![1.0; lineage.depth()];
            Some(Prediction { lineage, scores })
        };
        let (rows, sources): (Vec<(String, Option<Prediction>)>, Vec<Source>) = (0..m.n_rows())
            .map(|i| {
                let (pred, source) = match (m.lengths[i] >= 2000, i) {
                    (true, _) => (
                        Some(student.predict(m.row(i)).unwrap().remove(0)),
                        Source::Student,
                    ),
                    (false, 0) => (kept("A;E"), Source::Input),
                    (false, 3) => (kept("F"), Source::Input),
                    (false, _) => (None, Source::None),
                };
                ((m.ids[i].clone(), pred), source)
            })
            .unzip();
        let mut want = Vec::new();
        taxdistill_core::writers::write_taxometer_with_sources(&mut want, &rows, &sources).unwrap();
        assert_eq!(r.taxometer_tsv, String::from_utf8(want).unwrap());
        let lines: Vec<&str> = r.taxometer_tsv.lines().collect();
        assert_eq!(lines[0], "contigs\tpredictions\tscores\tsource");
        assert_eq!(lines[1], "c0\tA;E\t1.00000;1.00000\tinput");
        assert_eq!(lines[4], "c3\tF\t1.00000\tinput");
        assert_eq!(lines[8], "c7\t\t\tnone");
        assert!(lines[2].ends_with("\tstudent"), "{}", lines[2]);

        let note = "# 2 contig(s) shorter than 2000 bp are not annotated by the student: they keep their input label as given (source=input in the Taxometer TSV)\n";
        let mut want = Vec::new();
        taxdistill_core::writers::write_cami(
            &mut want,
            "t.fna",
            &rows,
            None,
            &[note[2..note.len() - 1].to_string()],
        )
        .unwrap();
        assert_eq!(r.cami, String::from_utf8(want).unwrap());
        assert!(r.cami.starts_with("@Version:0.9.1\n@SampleID:t.fna\n"));
        assert!(r.cami.contains(note), "{}", r.cami);
        assert!(r.cami.contains("\nc0\tE\tphylum\tA|E\tA|E\n"), "{}", r.cami);

        let with_len: Vec<(String, u64, Option<Prediction>)> = rows
            .iter()
            .zip(&m.lengths)
            .map(|((id, p), &n)| (id.clone(), n as u64, p.clone()))
            .collect();
        let mut want = Vec::new();
        taxdistill_core::writers::write_kraken_report(&mut want, &with_len, false, None).unwrap();
        assert_eq!(r.kraken_report, String::from_utf8(want).unwrap());
        // the kept labels are counted: without them the report differs
        let dropped: Vec<_> = with_len
            .iter()
            .zip(&sources)
            .map(|(r, s)| {
                (
                    r.0.clone(),
                    r.1,
                    r.2.clone().filter(|_| *s == Source::Student),
                )
            })
            .collect();
        let mut without = Vec::new();
        taxdistill_core::writers::write_kraken_report(&mut without, &dropped, false, None).unwrap();
        assert_ne!(r.kraken_report.as_bytes(), &without[..]);
        let mut by_bp = Vec::new();
        taxdistill_core::writers::write_kraken_report(&mut by_bp, &with_len, true, None).unwrap();
        assert_eq!(r.kraken_report_bp, String::from_utf8(by_bp).unwrap());
        assert_ne!(r.kraken_report_bp, r.kraken_report);

        let t = &r.table;
        assert_eq!(t.len(), 8);
        assert_eq!(t.source(0), Source::Input);
        assert_eq!(t.source[0], crate::results::SOURCE_INPUT);
        assert_eq!(t.pred(0), Some(t.noisy(0)));
        assert_eq!(t.lineage_text(t.pred(0).unwrap()), "A;E");
        assert_eq!(t.source(1), Source::Student);
        assert!(t.pred(7).is_none() && t.source(7) == Source::None);
        assert_eq!(t.lineage_text(t.noisy(1)), "A;B;C");
        assert_eq!(
            r.summary.total_bp,
            500 + 2500 + 3000 + 1999 + 2000 + 8000 + 4100 + 900
        );
        assert_eq!(
            (
                r.summary.n_annotated,
                r.summary.n_kept_input,
                r.summary.n_labelled
            ),
            (5, 2, 4)
        );
        assert_eq!(r.summary.rank_counts[0].kept_input, 2);
        assert_eq!(r.summary.rank_counts[1].kept_input, 1);
    }

    #[test]
    fn without_short_labelled_contigs_the_cami_header_has_no_note() {
        let (st, json) = model(103);
        let student = Student::from_bytes(&st, &json).unwrap();
        let builder = parse_contigs(fasta().as_bytes(), "t.fna", |_, _| {}).unwrap();
        let p = prepare::<&[u8], &[u8]>(builder, None, None, None, &student.meta).unwrap();
        let preds = student.predict(&selected_features(&p)).unwrap();
        let info = RunInfo {
            backend: "cpu".into(),
            backend_note: String::new(),
            secs_features: 0.0,
            secs_inference: 0.0,
        };
        let r = finish(p, preds, "t.fna", info, None).unwrap();
        assert!(!r.cami.contains("\n# "), "{}", r.cami);
        assert_eq!(r.summary.n_kept_input, 0);
        assert!(r.taxometer_tsv.contains("\nc0\t\t\tnone\n"));
    }

    fn fixture(name: &str) -> Vec<u8> {
        let p = format!("{}/../tests/data/labels/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn taxid_labels_need_the_taxonomy_and_resolve_with_it() {
        let (st, json) = model(103);
        let meta = Student::from_bytes(&st, &json).unwrap().meta;
        let kraken = fixture("kraken2.out");
        // the fixture's first contigs, so some labels land on FASTA records
        let text: String = fasta().replace(">c", ">contig_00");
        let builder = parse_contigs(text.as_bytes(), "t.fna", |_, _| {}).unwrap();
        let err = prepare::<&[u8], &[u8]>(builder, None, Some((&kraken[..], "k.out")), None, &meta)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.starts_with("k.out: ") && err.contains("Taxonomy input"),
            "{err}"
        );

        let (nodes, names, merged) = (
            fixture("taxonomy/nodes.dmp"),
            fixture("taxonomy/names.dmp"),
            fixture("taxonomy/merged.dmp"),
        );
        let td = load_taxdump(&nodes[..], &names[..], Some(&merged[..])).unwrap();
        let builder = parse_contigs(text.as_bytes(), "t.fna", |_, _| {}).unwrap();
        let p = prepare::<&[u8], &[u8]>(
            builder,
            None,
            Some((&kraken[..], "k.out")),
            Some(&td),
            &meta,
        )
        .unwrap();
        // contig_001 is E. coli (taxid 562) in the fixture
        let l = &p.noisy[1].0;
        assert_eq!(l.first().map(String::as_str), Some("Bacteria"), "{l:?}");
        assert!(l.iter().any(|n| n == "Escherichia coli"), "{l:?}");
    }

    #[test]
    fn a_bad_taxdump_is_an_error_naming_the_file() {
        let err = load_taxdump(&b"1\t|\tbad\n"[..], &b""[..], None)
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("taxonomy/nodes.dmp: line 1"), "{err}");
    }

    #[test]
    fn a_model_with_abundances_needs_the_abundance_file() {
        let (st, json) = model(103);
        let mut meta = Student::from_bytes(&st, &json).unwrap().meta;
        meta.use_abundance = true;
        meta.n_samples = 2;
        let builder = parse_contigs(fasta().as_bytes(), "t.fna", |_, _| {}).unwrap();
        let err = prepare::<&[u8], &[u8]>(builder, None, None, None, &meta)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("abundance"), "{err}");
    }

    fn abundance_of(ids: &[&str], samples: &[&str]) -> String {
        let mut t = format!("contigname\t{}\n", samples.join("\t"));
        for (i, id) in ids.iter().enumerate() {
            let depths: Vec<String> = (0..samples.len())
                .map(|k| format!("{}", 1 + i + k))
                .collect();
            t.push_str(&format!("{id}\t{}\n", depths.join("\t")));
        }
        t
    }

    fn abundance_model(n_samples: usize) -> ModelMeta {
        let (st, json) = model(103);
        let mut meta = Student::from_bytes(&st, &json).unwrap().meta;
        meta.use_abundance = true;
        meta.n_samples = n_samples;
        meta
    }

    #[test]
    fn an_abundance_table_for_other_contigs_is_an_error_naming_it() {
        let meta = abundance_model(2);
        let table = abundance_of(&["x1", "x2", "x3"], &["s1", "s2"]);
        let builder = parse_contigs(fasta().as_bytes(), "t.fna", |_, _| {}).unwrap();
        let e = prepare::<&[u8], &[u8]>(
            builder,
            Some((table.as_bytes(), "other.tsv")),
            None,
            None,
            &meta,
        )
        .err()
        .unwrap();
        assert!(matches!(e, Error::AbundanceMismatch { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "other.tsv: does not fit the contigs: 8 of 8 contigs have no abundance row, the first is 'c0'"
        );
    }

    #[test]
    fn a_model_for_another_number_of_samples_is_an_error_naming_the_abundance_file() {
        let meta = abundance_model(3);
        let ids: Vec<String> = (0..8).map(|i| format!("c{i}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let table = abundance_of(&ids, &["s1", "s2"]);
        let builder = parse_contigs(fasta().as_bytes(), "t.fna", |_, _| {}).unwrap();
        let e = prepare::<&[u8], &[u8]>(
            builder,
            Some((table.as_bytes(), "ab.tsv")),
            None,
            None,
            &meta,
        )
        .err()
        .unwrap();
        assert!(
            matches!(
                e,
                Error::ModelSamples {
                    got: 2,
                    want: 3,
                    ..
                }
            ),
            "{e:?}"
        );
        let text = e.to_string();
        assert!(
            text.starts_with("ab.tsv: 2 sample column(s) (s1, s2), but the model (model.json) was trained with 3"),
            "{text}"
        );
    }

    #[test]
    fn an_empty_fasta_is_an_empty_file_error_naming_it() {
        let e = parse_contigs(&b""[..], "empty.fna", |_, _| {})
            .err()
            .unwrap();
        assert_eq!(e.to_string(), "empty.fna: empty file: no FASTA records");
    }

    #[test]
    fn a_corrupt_gzip_is_an_error_naming_the_file() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(fasta().as_bytes()).unwrap();
        let mut bytes = gz.finish().unwrap();
        // flip bytes in the deflate stream (after the 10-byte header)
        let mid = bytes.len() / 2;
        for b in &mut bytes[mid..mid + 16] {
            *b ^= 0x5a;
        }
        let r = flate2::read::MultiGzDecoder::new(&bytes[..]);
        let e = parse_contigs(r, "c.fna.gz", |_, _| {}).err().unwrap();
        let text = e.to_string();
        assert!(text.starts_with("c.fna.gz: "), "{text}");
        // whatever the parser saw first, the gzip stream says what is wrong
        let why = gzip_damage(&bytes[..]).unwrap();
        assert!(why.contains("corrupt") || why.contains("invalid"), "{why}");
        // a truncated end too
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(fasta().as_bytes()).unwrap();
        let whole = gz.finish().unwrap();
        assert_eq!(gzip_damage(&whole[..]), None);
        assert!(gzip_damage(&whole[..whole.len() - 20]).is_some());
        // not gzip: nothing to say
        assert_eq!(gzip_damage(fasta().as_bytes()), None);
    }

    #[test]
    fn fastq_is_an_error_naming_the_file() {
        let err = parse_contigs(&b"@r1\nACGT\n+\nIIII\n"[..], "reads.fna", |_, _| {})
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("reads.fna"), "{err}");
    }
}
