//! The Web Worker side: `worker.js` imports the same wasm module and calls
//! [`worker_run`] with one job (the user's `File`s / demo `Blob`s). Files are
//! streamed with `FileReaderSync` ([`crate::blob_reader`]), gzip is undone with
//! flate2 (pure Rust), progress is posted as `{type: "progress", …}`
//! messages, and the result comes back as typed arrays and a small JSON
//! (see [`crate::transfer`]); the charts' data are computed here, not on the page.

use crate::blob_reader::{read_all, BlobReader};
use crate::pipeline::{self, RunInfo};
use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
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
fn open_counted(b: Blob) -> Result<(Box<dyn BufRead + Send>, Arc<AtomicU64>), String> {
    let mut r = BlobReader::new(b).map_err(|e| e.to_string())?;
    let counter = r.counter();
    let gz = r
        .fill_buf()
        .map_err(|e| e.to_string())?
        .starts_with(&[0x1f, 0x8b]);
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

fn open(b: Blob) -> Result<Box<dyn BufRead + Send>, String> {
    open_counted(b).map(|(r, _)| r)
}

/// Runs one job in the worker. `job` holds `fasta`, `fastaName`, optional
/// `abundance`/`abundanceName`, `labels`/`labelsName`, optional `taxNodes`,
/// `taxNames`, `taxMerged` (an NCBI taxdump), `modelJson`,
/// `modelSafetensors` (Blobs) and `backend` (`auto`, `webgpu` or `cpu`).
///
/// # Errors
/// Any input error, as one line naming the file, record and reason.
#[wasm_bindgen]
pub async fn worker_run(job: JsValue) -> Result<JsValue, JsError> {
    run(&job).await.map_err(|e| JsError::new(&e))
}

async fn run(job: &JsValue) -> Result<JsValue, String> {
    let t0 = now();
    let fasta_name = string(job, "fastaName");
    let fasta = blob(job, "fasta").ok_or("no FASTA file given")?;
    let json = read_all(
        blob(job, "modelJson")
            .ok_or("no model.json given (pick model.json and model.safetensors)")?,
    )
    .map_err(|e| format!("model.json: {e}"))?;
    let st = read_all(
        blob(job, "modelSafetensors")
            .ok_or("no model.safetensors given (pick model.json and model.safetensors)")?,
    )
    .map_err(|e| format!("model.safetensors: {e}"))?;
    let meta = taxdistill_core::model::ModelMeta::from_json(&json).map_err(|e| e.to_string())?;
    let backend = string(job, "backend");

    let total_bytes = fasta.size();
    let mut last = 0.0;
    let (reader, read) = open_counted(fasta)?;
    let builder = pipeline::parse_contigs(reader, &fasta_name, |n, bp| {
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
    })?;
    let n_contigs = builder.len() as f64;
    post(&[
        ("type", "progress".into()),
        ("stage", "features".into()),
        ("contigs", n_contigs.into()),
        ("secs", ((now() - t0) / 1000.0).into()),
    ]);
    let abundance_name = string(job, "abundanceName");
    let labels_name = string(job, "labelsName");
    let taxdump = match (blob(job, "taxNodes"), blob(job, "taxNames")) {
        (Some(nodes), Some(names)) => {
            post(&[
                ("type", "progress".into()),
                ("stage", "taxonomy".into()),
                ("contigs", n_contigs.into()),
                ("secs", ((now() - t0) / 1000.0).into()),
            ]);
            let merged = blob(job, "taxMerged").map(open).transpose()?;
            Some(pipeline::load_taxdump(open(nodes)?, open(names)?, merged)?)
        }
        (None, None) => None,
        _ => {
            return Err(
                "taxonomy: give both nodes.dmp and names.dmp (merged.dmp is optional)".into(),
            )
        }
    };
    let abundance = blob(job, "abundance").map(open).transpose()?;
    let labels = blob(job, "labels").map(open).transpose()?;
    let prepared = pipeline::prepare(
        builder,
        abundance.map(|r| (r, abundance_name.as_str())),
        labels.map(|r| (r, labels_name.as_str())),
        taxdump.as_ref(),
        &meta,
    )?;
    let t1 = now();
    post(&[
        ("type", "progress".into()),
        ("stage", "inference".into()),
        ("contigs", 0.0.into()),
        ("secs", 0.0.into()),
        ("fraction", 0.0.into()),
    ]);
    let x = pipeline::selected_features(&prepared);
    let n_rows = prepared.annotated.len().max(1) as f64;
    let mut last = 0.0;
    let (preds, backend, note) = crate::infer::predict(&st, &json, &x, &backend, |done| {
        let t = now();
        if t - last > 100.0 {
            last = t;
            post(&[
                ("type", "progress".into()),
                ("stage", "inference".into()),
                ("contigs", (done as f64).into()),
                ("secs", ((t - t1) / 1000.0).into()),
                ("fraction", (done as f64 / n_rows).into()),
            ]);
        }
    })
    .await?;
    drop(x);
    let t2 = now();
    // CAMI @SampleID: the FASTA's file name, as `taxdistill annotate` writes it
    let sample = fasta_name
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let info = RunInfo {
        backend,
        backend_note: note,
        secs_features: (t1 - t0) / 1000.0,
        secs_inference: (t2 - t1) / 1000.0,
    };
    let mut out = pipeline::finish(prepared, preds, &sample, info, taxdump.as_ref())?;
    // the demo brings its simulator's truth: the walkthrough reports against it
    if let Some(b) = blob(job, "truth") {
        let name = string(job, "truthName");
        let truth = taxdistill_core::labels::read_labels(open(b)?, &name, None, None)
            .map_err(|e| e.to_string())?;
        out.summary.truth = Some(crate::results::truth_check(&out.table, &truth.entries));
    }
    out.summary.wasm_memory_bytes = wasm_memory_bytes();
    crate::transfer::encode(&out)
}

/// Current size of this module's linear memory.
fn wasm_memory_bytes() -> f64 {
    let mem: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    mem.buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}
