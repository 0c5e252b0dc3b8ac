//! The page side of the worker: holds the user's files (browser objects stay
//! on this thread; signals only carry their names), starts a job, turns the
//! worker's messages into signal updates, and cancels by terminating the
//! worker (a fresh one is started for the next run; so after any error or
//! crash of the worker, see [`crate::errors::crash_line`]).

use crate::components::TableIndex;
use crate::errors::{Crash, Error};
use crate::results::{Summary, Table};
use crate::transfer::Exports;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use std::cell::RefCell;
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, MessageEvent, Worker, WorkerOptions, WorkerType};

/// What the status line says (`data-testid="status"`).
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Idle,
    Loading(String),
    Running,
    Done,
    Cancelled,
    Error(String),
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Idle => write!(f, "ready"),
            Status::Loading(what) => write!(f, "loading {what}…"),
            Status::Running => write!(f, "running…"),
            Status::Done => write!(f, "done"),
            Status::Cancelled => write!(f, "cancelled"),
            Status::Error(e) => write!(f, "error: {e}"),
        }
    }
}

/// Progress reported by the worker.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    pub stage: String,
    pub contigs: f64,
    pub bp: f64,
    pub secs: f64,
    /// Share of the FASTA file read (0…1), while parsing.
    pub fraction: f64,
}

/// A finished run as the page holds it.
pub struct Shown {
    /// The charts' data (computed in the worker).
    pub summary: Summary,
    /// Every contig, for the table.
    pub table: Table,
    /// Search and sort keys of the table.
    pub index: TableIndex,
    /// Taxometer TSV, CAMI and Kraken report, still JavaScript strings.
    pub exports: SendWrapper<Exports>,
    /// The page's own wasm memory after taking the result in.
    pub page_memory_bytes: f64,
}

/// The signals the worker updates (all `Copy`).
#[derive(Clone, Copy)]
pub struct Ui {
    pub status: RwSignal<Status>,
    pub progress: RwSignal<Progress>,
    pub result: RwSignal<Option<Arc<Shown>>>,
    /// Names of the chosen files: fasta, abundance, labels, model, taxonomy, soft labels.
    pub names: RwSignal<[String; 6]>,
    /// Whether the demo data are loaded (shows the walkthrough).
    pub demo: RwSignal<bool>,
    /// `run`'s options for a run trained in the page (from the URL query, then the inputs).
    pub settings: RwSignal<crate::correct::Settings>,
}

/// Which input a file goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Fasta,
    Abundance,
    Labels,
    ModelJson,
    ModelSafetensors,
    TaxNodes,
    TaxNames,
    TaxMerged,
    /// Soft labels from the native `taxdistill teach` (GenomeOcean on a GPU).
    SoftLabels,
    /// The demo's known truth (not shown as an input).
    Truth,
}

#[derive(Default)]
struct Files {
    fasta: Option<(Blob, String)>,
    abundance: Option<(Blob, String)>,
    labels: Option<(Blob, String)>,
    model_json: Option<(Blob, String)>,
    model_st: Option<(Blob, String)>,
    tax_nodes: Option<(Blob, String)>,
    tax_names: Option<(Blob, String)>,
    tax_merged: Option<(Blob, String)>,
    soft_labels: Option<(Blob, String)>,
    truth: Option<(Blob, String)>,
}

/// The worker's message and error handlers (kept alive while the worker is).
type OnMessage = Closure<dyn FnMut(MessageEvent)>;
type OnError = Closure<dyn FnMut(web_sys::ErrorEvent)>;

thread_local! {
    static FILES: RefCell<Files> = RefCell::new(Files::default());
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
    static ON_MESSAGE: RefCell<Option<OnMessage>> = const { RefCell::new(None) };
    static ON_ERROR: RefCell<Option<OnError>> = const { RefCell::new(None) };
    /// The worker's panic message, posted before the trap that follows it.
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Stores a file for `slot` (or clears it) and updates the shown names.
pub fn set_file(ui: Ui, slot: Slot, file: Option<(Blob, String)>) {
    FILES.with(|f| {
        let mut f = f.borrow_mut();
        match slot {
            Slot::Fasta => f.fasta = file,
            Slot::Abundance => f.abundance = file,
            Slot::Labels => f.labels = file,
            Slot::ModelJson => f.model_json = file,
            Slot::ModelSafetensors => f.model_st = file,
            Slot::TaxNodes => f.tax_nodes = file,
            Slot::TaxNames => f.tax_names = file,
            Slot::TaxMerged => f.tax_merged = file,
            Slot::SoftLabels => f.soft_labels = file,
            Slot::Truth => f.truth = file,
        }
        let name =
            |x: &Option<(Blob, String)>| x.as_ref().map(|(_, n)| n.clone()).unwrap_or_default();
        let joined = |parts: &[String]| {
            parts
                .iter()
                .filter(|s| !s.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(" + ")
        };
        let model = joined(&[name(&f.model_json), name(&f.model_st)]);
        let taxonomy = joined(&[name(&f.tax_nodes), name(&f.tax_names), name(&f.tax_merged)]);
        ui.names.set([
            name(&f.fasta),
            name(&f.abundance),
            name(&f.labels),
            model,
            taxonomy,
            name(&f.soft_labels),
        ]);
    });
}

/// Whether a model is chosen (the run annotates with it; without one it trains).
pub fn has_model() -> bool {
    FILES.with(|f| {
        let f = f.borrow();
        f.model_json.is_some() || f.model_st.is_some()
    })
}

/// Forgets the chosen model: the next run trains one on the labels.
pub fn clear_model(ui: Ui) {
    set_file(ui, Slot::ModelJson, None);
    set_file(ui, Slot::ModelSafetensors, None);
}

/// The page's URL query (`?backend=cpu&min_length=1000`), empty without a window.
pub fn query() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// The value of `key` in the page's URL query (read at each run, so a
/// changed query applies without a reload).
fn query_value(key: &str) -> Option<String> {
    query()
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=').map(str::to_string))
}

/// The cap on the worker's heap (`?max_memory_mb=N`, N > 0), in MB.
fn memory_cap_mb() -> Option<f64> {
    query_value("max_memory_mb")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|mb| *mb > 0.0)
}

/// Forgets every chosen file (before the demo loads its own).
pub fn clear_files(ui: Ui) {
    FILES.with(|f| *f.borrow_mut() = Files::default());
    ui.names.set(Default::default());
}

/// The backend the page asks for: `?backend=cpu` (CPU only), `?backend=webgpu`
/// (WebGPU even on a software adapter) or `auto` (WebGPU on a hardware
/// adapter, else the CPU); `cpu` as well when the browser has no WebGPU.
pub fn backend_choice() -> &'static str {
    let Some(w) = web_sys::window() else {
        return "cpu";
    };
    let search = w.location().search().unwrap_or_default();
    let gpu = js_sys::Reflect::get(&w.navigator(), &JsValue::from_str("gpu"))
        .unwrap_or(JsValue::UNDEFINED);
    if search.contains("backend=cpu") || gpu.is_undefined() || gpu.is_null() {
        "cpu"
    } else if search.contains("backend=webgpu") {
        "webgpu"
    } else {
        "auto"
    }
}

/// Whether WebGPU may be tried at all.
pub fn prefer_gpu() -> bool {
    backend_choice() != "cpu"
}

fn worker(ui: Ui) -> Result<Worker, Error> {
    if let Some(w) = WORKER.with(|w| w.borrow().clone()) {
        return Ok(w);
    }
    let opts = WorkerOptions::new();
    opts.set_type(WorkerType::Module);
    let w = Worker::new_with_options("./worker.js", &opts)
        .map_err(|e| Error::Browser(format!("cannot start the worker: {e:?}")))?;
    let on_message = OnMessage::new(move |ev: MessageEvent| handle_message(ui, ev.data()));
    w.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // an error `worker.js` did not catch (it could not load, say)
    let on_error = OnError::new(move |ev: web_sys::ErrorEvent| {
        ev.prevent_default();
        crashed(
            ui,
            Crash {
                name: "Error".into(),
                message: ev.message(),
                ..Crash::default()
            },
        );
    });
    w.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    ON_MESSAGE.with(|c| *c.borrow_mut() = Some(on_message));
    ON_ERROR.with(|c| *c.borrow_mut() = Some(on_error));
    WORKER.with(|x| *x.borrow_mut() = Some(w.clone()));
    Ok(w)
}

/// The worker died (a trap, an uncaught error): the status says why in
/// words, and the worker is terminated so that the next run starts a fresh
/// one (a trapped wasm module is not safe to call again).
fn crashed(ui: Ui, mut crash: Crash) {
    drop_worker();
    crash.panic = PANIC.with(|p| p.borrow_mut().take());
    let stage = ui.progress.get_untracked().stage;
    let file = ui.names.with_untracked(|n| n[0].clone());
    ui.status.set(Status::Error(crate::errors::crash_line(
        &crash, &stage, &file,
    )));
}

fn drop_worker() {
    if let Some(w) = WORKER.with(|w| w.borrow_mut().take()) {
        w.terminate();
    }
}

fn get(v: &JsValue, k: &str) -> JsValue {
    js_sys::Reflect::get(v, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

fn handle_message(ui: Ui, data: JsValue) {
    match get(&data, "type").as_string().as_deref() {
        Some("progress") => ui.progress.set(Progress {
            stage: get(&data, "stage").as_string().unwrap_or_default(),
            contigs: get(&data, "contigs").as_f64().unwrap_or(0.0),
            bp: get(&data, "bp")
                .as_f64()
                .unwrap_or(ui.progress.get_untracked().bp),
            secs: get(&data, "secs").as_f64().unwrap_or(0.0),
            fraction: get(&data, "fraction").as_f64().unwrap_or(1.0),
        }),
        Some("done") => match crate::transfer::decode(&get(&data, "result")) {
            Ok((summary, table, exports)) => {
                let index = TableIndex::new(&table);
                ui.result.set(Some(Arc::new(Shown {
                    summary,
                    table,
                    index,
                    exports: SendWrapper::new(exports),
                    page_memory_bytes: wasm_memory_bytes(),
                })));
                ui.status.set(Status::Done);
            }
            Err(e) => ui.status.set(Status::Error(e.to_string())),
        },
        Some("error") => {
            // a fresh worker after any failure
            drop_worker();
            ui.status.set(Status::Error(
                get(&data, "message")
                    .as_string()
                    .unwrap_or_else(|| "unknown error".into()),
            ))
        }
        Some("panic") => PANIC.with(|p| *p.borrow_mut() = get(&data, "message").as_string()),
        Some("crash") => crashed(
            ui,
            Crash {
                name: get(&data, "name").as_string().unwrap_or_default(),
                message: get(&data, "message").as_string().unwrap_or_default(),
                panic: None,
                refused_bytes: get(&data, "refusedBytes").as_f64().unwrap_or(0.0),
                memory_bytes: get(&data, "memoryBytes").as_f64().unwrap_or(0.0),
                cap_mb: memory_cap_mb(),
            },
        ),
        _ => {}
    }
}

/// Starts a run with the chosen files; errors (missing inputs) go to the status.
pub fn run(ui: Ui) {
    if let Err(e) = try_run(ui) {
        ui.status.set(Status::Error(e.to_string()));
    }
}

fn try_run(ui: Ui) -> Result<(), Error> {
    let job = js_sys::Object::new();
    let set = |k: &str, v: &JsValue| {
        let _ = js_sys::Reflect::set(&job, &JsValue::from_str(k), v);
    };
    FILES.with(|f| -> Result<(), Error> {
        let f = f.borrow();
        let (fasta, name) = f
            .fasta
            .as_ref()
            .ok_or_else(|| Error::Inputs("choose a FASTA file first (or try the demo)".into()))?;
        set("fasta", fasta);
        set("fastaName", &JsValue::from_str(name));
        match (&f.model_json, &f.model_st) {
            (Some((mj, _)), Some((ms, _))) => {
                set("modelJson", mj);
                set("modelSafetensors", ms);
            }
            (None, None) if f.labels.is_some() => {
                // no model: the page trains one on the labels (`taxdistill run`)
            }
            (None, None) => {
                return Err(Error::Inputs(
                    "choose the classifier's labels to correct (or a model to annotate with)"
                        .into(),
                ))
            }
            _ => {
                return Err(Error::Inputs(
                    "choose the model files: model.json and model.safetensors together".into(),
                ))
            }
        }
        if let Some((b, n)) = &f.abundance {
            set("abundance", b);
            set("abundanceName", &JsValue::from_str(n));
        }
        if let Some((b, n)) = &f.labels {
            set("labels", b);
            set("labelsName", &JsValue::from_str(n));
        }
        if let Some((b, n)) = &f.soft_labels {
            set("softLabels", b);
            set("softLabelsName", &JsValue::from_str(n));
        }
        if let Some((b, n)) = &f.truth {
            set("truth", b);
            set("truthName", &JsValue::from_str(n));
        }
        match (&f.tax_nodes, &f.tax_names) {
            (Some((nodes, _)), Some((names, _))) => {
                set("taxNodes", nodes);
                set("taxNames", names);
                if let Some((b, _)) = &f.tax_merged {
                    set("taxMerged", b);
                }
            }
            (None, None) => {}
            _ => {
                return Err(Error::Inputs(
                    "taxonomy: give both nodes.dmp and names.dmp (merged.dmp is optional)".into(),
                ))
            }
        }
        Ok(())
    })?;
    set("backend", &JsValue::from_str(backend_choice()));
    if let Some(mb) = memory_cap_mb() {
        set("maxMemoryMb", &JsValue::from_f64(mb));
    }
    PANIC.with(|p| p.borrow_mut().take());
    set(
        "settings",
        &JsValue::from_str(&ui.settings.get_untracked().to_query()),
    );
    let w = worker(ui)?;
    ui.result.set(None);
    ui.progress.set(Progress::default());
    ui.status.set(Status::Running);
    w.post_message(&job)
        .map_err(|e| Error::Browser(format!("cannot send the job to the worker: {e:?}")))
}

/// Stops the running job (terminates the worker).
pub fn cancel(ui: Ui) {
    drop_worker();
    ui.status.set(Status::Cancelled);
}

async fn fetch_blob(url: &str) -> Result<Blob, Error> {
    let fail = |why: &str| Error::Browser(format!("{url}: {why}"));
    let w = web_sys::window().ok_or_else(|| fail("no window"))?;
    let resp = wasm_bindgen_futures::JsFuture::from(w.fetch_with_str(url))
        .await
        .map_err(|_| fail("cannot fetch"))?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| fail("not a response"))?;
    if !resp.ok() {
        return Err(fail(&format!("HTTP {}", resp.status())));
    }
    let b = wasm_bindgen_futures::JsFuture::from(resp.blob().map_err(|_| fail("no body"))?)
        .await
        .map_err(|_| fail("cannot read"))?;
    b.dyn_into().map_err(|_| fail("not a blob"))
}

/// The bytes of a (small) blob, on the page's thread.
async fn blob_bytes(b: &Blob) -> Result<Vec<u8>, Error> {
    let buf = wasm_bindgen_futures::JsFuture::from(b.array_buffer())
        .await
        .map_err(|e| Error::Browser(format!("{e:?}")))?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

/// Files of the bundled demo (see scripts/make_demo.sh), fetched from the
/// same origin (cached by the service worker).
const DEMO: [(Slot, &str); 6] = [
    (Slot::Fasta, "demo/contigs.fna.gz"),
    (Slot::Abundance, "demo/abundance.tsv"),
    (Slot::Labels, "demo/labels.tsv"),
    (Slot::ModelJson, "demo/model.json"),
    (Slot::ModelSafetensors, "demo/model.safetensors"),
    (Slot::Truth, "demo/truth.tsv"),
];

/// Current size of this module's linear memory (the page's, on the main thread).
pub fn wasm_memory_bytes() -> f64 {
    let mem: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    mem.buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

/// The demo's classifier output and the taxonomy it needs, for training in
/// the page ("train it here").
const DEMO_TRAIN: [(Slot, &str); 4] = [
    (Slot::Labels, "demo/kraken2.out.gz"),
    (Slot::TaxNodes, "demo/nodes.dmp"),
    (Slot::TaxNames, "demo/names.dmp"),
    (Slot::TaxMerged, "demo/merged.dmp"),
];

/// Trains the demo's student in the page: the demo's Kraken2 output (with
/// its taxonomy) replaces its labels, the bundled model is forgotten, and
/// the student gets the bundled one's widths and minimum length (as
/// `taxdistill run --hidden … --min-length …` made it).
pub async fn train_demo(ui: Ui) {
    let meta = match fetch_blob("demo/model.json").await {
        Ok(b) => blob_bytes(&b)
            .await
            .ok()
            .and_then(|bytes| taxdistill_core::model::ModelMeta::from_json(&bytes).ok()),
        Err(_) => None,
    };
    if !fetch_demo_files(ui, &DEMO_TRAIN).await {
        return;
    }
    clear_model(ui);
    if let Some(m) = meta {
        ui.settings.update(|s| {
            s.hidden = m.hidden.clone();
            s.min_length = m.min_length;
        });
    }
    run(ui);
}

/// Fetches demo files into their slots; `false` (and the status says why)
/// when one is missing from the build.
async fn fetch_demo_files(ui: Ui, files: &[(Slot, &str)]) -> bool {
    for &(slot, url) in files {
        match fetch_blob(url).await {
            Ok(b) => set_file(
                ui,
                slot,
                Some((b, url.trim_start_matches("demo/").to_string())),
            ),
            Err(e) => {
                ui.status.set(Status::Error(format!(
                    "the demo is missing from this build ({e}); run scripts/make_demo.sh"
                )));
                return false;
            }
        }
    }
    true
}

/// Loads the demo files and runs them.
pub async fn load_demo(ui: Ui) {
    ui.status.set(Status::Loading("the demo".into()));
    clear_files(ui);
    if !fetch_demo_files(ui, &DEMO).await {
        return;
    }
    ui.demo.set(true);
    run(ui);
}
