//! The Web Worker side: `worker.js` imports the same wasm module and calls
//! [`worker_run`] with one job (the user's `File`s / demo `Blob`s). Files are
//! streamed with `FileReaderSync` ([`crate::blob_reader`]), gzip is undone with
//! flate2 (pure Rust), progress is posted as `{type: "progress", …}`
//! messages, and the result comes back as typed arrays and a small JSON
//! (see [`crate::transfer`]); the charts' data are computed here, not on the page.

use crate::blob_reader::{read_all, BlobReader};
use crate::correct::{self, Settings};
use crate::errors::Error;
use crate::pipeline::{self, Output, RunInfo};
use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use taxdistill_core::features::FeatureBuilder;
use taxdistill_core::taxdump::TaxDump;
use taxdistill_pipeline::Stage;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, DedicatedWorkerGlobalScope};

fn field(job: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(job, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn blob(job: &JsValue, key: &str) -> Option<Blob> {
    field(job, key).dyn_into::<Blob>().ok()
}

fn string(job: &JsValue, key: &str) -> String {
    field(job, key).as_string().unwrap_or_default()
}

fn post(msg: &[(&str, JsValue)]) {
    let obj = js_sys::Object::new();
    for (k, v) in msg {
        let _ = js_sys::Reflect::set(&obj, &JsValue::from_str(k), v);
    }
    if let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() {
        let _ = scope.post_message(&obj);
    }
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// A text reader over a blob, gunzipping when the first bytes say gzip, and
/// a counter of the blob's bytes read so far.
fn open_counted(b: Blob, name: &str) -> Result<(Box<dyn BufRead + Send>, Arc<AtomicU64>), Error> {
    let read_error = |e: std::io::Error| Error::Read {
        name: name.to_string(),
        reason: e.to_string(),
    };
    let mut r = BlobReader::new(b).map_err(read_error)?;
    let counter = r.counter();
    let gz = r.fill_buf().map_err(read_error)?.starts_with(&[0x1f, 0x8b]);
    let r: Box<dyn BufRead + Send> = if gz {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(r),
        ))
    } else {
        Box::new(r)
    };
    Ok((r, counter))
}

fn open(b: Blob, name: &str) -> Result<Box<dyn BufRead + Send>, Error> {
    open_counted(b, name).map(|(r, _)| r)
}

/// Runs one job in the worker. `job` holds `fasta`, `fastaName`, optional
/// `abundance`/`abundanceName`, `labels`/`labelsName`, optional `taxNodes`,
/// `taxNames`, `taxMerged` (an NCBI taxdump), `modelJson`,
/// `modelSafetensors` (Blobs), `backend` (`auto`, `webgpu` or `cpu`) and
/// `settings` (`run`'s options as a URL query string), and optional
/// `softLabels`/`softLabelsName` (from the native `taxdistill teach`). Without a model the
/// worker runs `taxdistill run` (teacher, students, annotation) on the
/// labels; with one, it annotates with that model.
///
/// # Errors
/// Any input error, as one line naming the file, record and reason.
#[wasm_bindgen]
pub async fn worker_run(job: JsValue) -> Result<JsValue, JsError> {
    set_memory_cap(&job);
    let result = if blob(&job, "modelJson").is_none() && blob(&job, "modelSafetensors").is_none() {
        correct(&job)
    } else {
        annotate(&job).await
    };
    result.map_err(|e| JsError::new(&e.to_string()))
}

/// Caps the worker's heap at the job's `maxMemoryMb` (`?max_memory_mb=N`),
/// or lifts the cap.
fn set_memory_cap(job: &JsValue) {
    crate::memory::HEAP.set_limit(
        field(job, "maxMemoryMb")
            .as_f64()
            .filter(|mb| *mb > 0.0)
            .map(|mb| (mb * 1e6) as usize),
    );
}

/// The allocation the worker's heap last refused (bytes; 0: none), for
/// `worker.js` to report after a trap.
#[wasm_bindgen]
pub fn worker_refused_bytes() -> f64 {
    crate::memory::HEAP.refused() as f64
}

/// Posts a panic's message to the page before the module aborts (the
/// trap that follows is reported by `worker.js`).
pub fn post_panic(message: &str) {
    post(&[("type", "panic".into()), ("message", message.into())]);
}

/// Posts a progress message of `stage`.
fn progress(stage: &str, contigs: f64, secs: f64, fraction: Option<f64>) {
    let mut msg = vec![
        ("type", JsValue::from("progress")),
        ("stage", stage.into()),
        ("contigs", contigs.into()),
        ("secs", secs.into()),
    ];
    if let Some(f) = fraction {
        msg.push(("fraction", f.into()));
    }
    post(&msg);
}

/// The FASTA's features (streamed: sequences are dropped batch by batch),
/// with progress messages while parsing.
fn parse_fasta(job: &JsValue, t0: f64) -> Result<(FeatureBuilder, String), Error> {
    let fasta_name = string(job, "fastaName");
    let fasta = blob(job, "fasta").ok_or_else(|| Error::Inputs("no FASTA file given".into()))?;
    let total_bytes = fasta.size();
    let mut last = 0.0;
    let again = fasta.clone();
    progress("parsing", 0.0, (now() - t0) / 1000.0, Some(0.0));
    let (reader, read) = open_counted(fasta, &fasta_name)?;
    let parsed = pipeline::parse_contigs(reader, &fasta_name, |n, bp| {
        let t = now();
        if t - last > 100.0 {
            last = t;
            post(&[
                ("type", "progress".into()),
                ("stage", "parsing".into()),
                ("contigs", (n as f64).into()),
                ("bp", (bp as f64).into()),
                ("secs", ((t - t0) / 1000.0).into()),
                (
                    "fraction",
                    (read.load(Ordering::Relaxed) as f64 / total_bytes.max(1.0)).into(),
                ),
            ]);
        }
    });
    let builder = match parsed {
        Ok(b) => b,
        // a damaged gzip says so, whatever the parser saw first
        Err(e) => {
            let damage = BlobReader::new(again).ok().and_then(pipeline::gzip_damage);
            return Err(damage.map_or(e, |reason| Error::DamagedGzip {
                name: fasta_name.clone(),
                reason,
            }));
        }
    };
    progress(
        "features",
        builder.len() as f64,
        (now() - t0) / 1000.0,
        None,
    );
    Ok((builder, fasta_name))
}

/// The NCBI taxdump of the job, if it has one.
fn taxdump(job: &JsValue, n_contigs: f64, t0: f64) -> Result<Option<TaxDump>, Error> {
    match (blob(job, "taxNodes"), blob(job, "taxNames")) {
        (Some(nodes), Some(names)) => {
            progress("taxonomy", n_contigs, (now() - t0) / 1000.0, None);
            let merged = blob(job, "taxMerged")
                .map(|b| open(b, "merged.dmp"))
                .transpose()?;
            Ok(Some(pipeline::load_taxdump(
                open(nodes, "nodes.dmp")?,
                open(names, "names.dmp")?,
                merged,
            )?))
        }
        (None, None) => Ok(None),
        _ => Err(Error::Inputs(
            "taxonomy: give both nodes.dmp and names.dmp (merged.dmp is optional)".into(),
        )),
    }
}

/// CAMI's @SampleID: the FASTA's file name, as the CLI writes it.
fn sample_id(fasta_name: &str) -> String {
    fasta_name
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The demo's simulator truth, when the job brings it: the walkthrough
/// reports against it.
fn truth_check(job: &JsValue, out: &mut Output) -> Result<(), Error> {
    if let Some(b) = blob(job, "truth") {
        let name = string(job, "truthName");
        let truth = taxdistill_core::labels::read_labels(open(b, &name)?, &name, None, None)?;
        out.summary.truth = Some(crate::results::truth_check(&out.table, &truth.entries));
    }
    out.summary.wasm_memory_bytes = wasm_memory_bytes();
    Ok(())
}

/// The pipeline's progress as the worker's messages: a stage's steps as a
/// fraction, at most ten messages a second.
struct Posted {
    t0: f64,
    last: std::cell::Cell<f64>,
}

impl Posted {
    fn secs(&self) -> f64 {
        (now() - self.t0) / 1000.0
    }
}

impl taxdistill_pipeline::Progress for Posted {
    fn start(&self, stage: Stage, _len: Option<u64>) {
        self.last.set(now());
        progress(stage.label(), 0.0, self.secs(), Some(0.0));
    }
    fn update(&self, stage: Stage, pos: u64, len: u64) {
        let t = now();
        if t - self.last.get() > 100.0 {
            self.last.set(t);
            let fraction = pos as f64 / len.max(1) as f64;
            progress(stage.label(), pos as f64, self.secs(), Some(fraction));
        }
    }
    fn now(&self) -> Option<f64> {
        Some(now() / 1000.0)
    }
}

/// `taxdistill run` on the job's files: the teacher and the students train
/// here, on the CPU.
fn correct(job: &JsValue) -> Result<JsValue, Error> {
    let t0 = now();
    let settings = Settings::from_query(&string(job, "settings"))?;
    let labels_name = string(job, "labelsName");
    let labels = blob(job, "labels").ok_or_else(|| {
        Error::Inputs(
            "nothing to correct: choose the classifier's labels (or a model, to annotate with it)"
                .into(),
        )
    })?;
    let (builder, fasta_name) = parse_fasta(job, t0)?;
    let t1 = now();
    let taxdump = taxdump(job, builder.len() as f64, t0)?;
    let abundance_name = string(job, "abundanceName");
    let abundance = blob(job, "abundance")
        .map(|b| open(b, &abundance_name))
        .transpose()?;
    let soft_name = string(job, "softLabelsName");
    let soft = match blob(job, "softLabels") {
        Some(b) => Some(read_all(b).map_err(|e| Error::Read {
            name: soft_name.clone(),
            reason: e.to_string(),
        })?),
        None => None,
    };
    let inputs = correct::Inputs {
        contigs: builder,
        abundance: abundance.map(|r| (r, abundance_name.as_str())),
        labels: (open(labels, &labels_name)?, labels_name.as_str()),
        taxdump: taxdump.as_ref(),
        soft_labels: soft.map(|b| (b, soft_name.as_str())),
    };
    let provenance = serde_json::json!({
        "command": "taxdistill web (run in the browser)",
        "settings": &settings,
        "teacher": if settings.teacher { "graph" } else { "none" },
        "soft_labels": (!soft_name.is_empty()).then_some(&soft_name),
    });
    let posted = Posted {
        t0,
        last: std::cell::Cell::new(0.0),
    };
    let (mut out, mut training, files) = correct::run(
        inputs,
        &settings.options(),
        &sample_id(&fasta_name),
        provenance,
        &posted,
    )?;
    training.settings = Some(settings);
    out.summary.student = training.kept.clone();
    // for a trained run: parsing, then the rest (teacher, training, annotation)
    out.summary.secs_features = (t1 - t0) / 1000.0;
    out.summary.secs_inference = (now() - t1) / 1000.0;
    out.summary.training = Some(training);
    truth_check(job, &mut out)?;
    let msg = crate::transfer::encode(&out)?;
    crate::transfer::attach_model(&msg, &files);
    Ok(msg)
}

/// Annotation with the job's model (the student on WebGPU or the CPU).
async fn annotate(job: &JsValue) -> Result<JsValue, Error> {
    let t0 = now();
    let model_file = |key: &str, name: &str| -> Result<Vec<u8>, Error> {
        let b = blob(job, key).ok_or_else(|| {
            Error::Inputs(format!(
                "no {name} given (pick model.json and model.safetensors)"
            ))
        })?;
        read_all(b).map_err(|e| Error::Read {
            name: name.to_string(),
            reason: e.to_string(),
        })
    };
    let json = model_file("modelJson", "model.json")?;
    let st = model_file("modelSafetensors", "model.safetensors")?;
    let meta = taxdistill_core::model::ModelMeta::from_json(&json)?;
    let backend = string(job, "backend");
    let (builder, fasta_name) = parse_fasta(job, t0)?;
    let taxdump = taxdump(job, builder.len() as f64, t0)?;
    let abundance_name = string(job, "abundanceName");
    let labels_name = string(job, "labelsName");
    let abundance = blob(job, "abundance")
        .map(|b| open(b, &abundance_name))
        .transpose()?;
    let labels = blob(job, "labels")
        .map(|b| open(b, &labels_name))
        .transpose()?;
    let prepared = pipeline::prepare(
        builder,
        abundance.map(|r| (r, abundance_name.as_str())),
        labels.map(|r| (r, labels_name.as_str())),
        taxdump.as_ref(),
        &meta,
    )?;
    let t1 = now();
    progress("inference", 0.0, 0.0, Some(0.0));
    let x = pipeline::selected_features(&prepared);
    let n_rows = prepared.annotated.len().max(1) as f64;
    let mut last = 0.0;
    let (preds, backend, note) = crate::infer::predict(&st, &json, &x, &backend, |done| {
        let t = now();
        if t - last > 100.0 {
            last = t;
            let secs = (t - t1) / 1000.0;
            progress("inference", done as f64, secs, Some(done as f64 / n_rows));
        }
    })
    .await?;
    drop(x);
    let t2 = now();
    let info = RunInfo {
        backend,
        backend_note: note,
        secs_features: (t1 - t0) / 1000.0,
        secs_inference: (t2 - t1) / 1000.0,
    };
    let mut out = pipeline::finish(
        prepared,
        preds,
        &sample_id(&fasta_name),
        info,
        taxdump.as_ref(),
    )?;
    // `run` records the student it kept in the model's provenance
    out.summary.student = meta.provenance["student_fallback"]["kept"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    truth_check(job, &mut out)?;
    crate::transfer::encode(&out)
}

/// Current size of this module's linear memory.
fn wasm_memory_bytes() -> f64 {
    let mem: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    mem.buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}
