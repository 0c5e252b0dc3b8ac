//! The worker → page message of a finished run. The table travels as typed
//! arrays (moved, not copied, by `postMessage`'s transfer list) and two
//! `\n`-joined strings; the charts' data as a small JSON; the exports as
//! plain strings that stay JavaScript strings on the page until downloaded.
//! So the page's main thread does no per-contig parsing.
//!
//! Message fields: `summary` (JSON), `ids`, `names` (strings), `lens`
//! (Float64Array), `noisy`, `pred` (Uint32Array, n × 7), `depth` (Int8Array),
//! `scores` (Float32Array, n × 7), `source` (Uint8Array: 0 student, 1 input
//! label kept, 2 none), `tsv`, `cami`, `kraken`, `krakenBp` (strings), for a run trained in the page
//! `modelJson`, `modelSafetensors`, `softLabels` (Uint8Array), and `transfer`
//! (the arrays' buffers, for the transfer list).

use crate::errors::Error;
use crate::pipeline::Output;
use crate::results::{Summary, Table};
use wasm_bindgen::{JsCast, JsValue};

fn set(obj: &js_sys::Object, k: &str, v: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str(k), v);
}

fn get(v: &JsValue, k: &str) -> JsValue {
    js_sys::Reflect::get(v, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

/// Packs a run's output into the message object (worker side).
///
/// # Errors
/// The summary does not serialise.
pub fn encode(out: &Output) -> Result<JsValue, Error> {
    let obj = js_sys::Object::new();
    let t = &out.table;
    let summary = serde_json::to_string(&out.summary)
        .map_err(|e| Error::Browser(format!("the run's summary: {e}")))?;
    set(&obj, "summary", &JsValue::from_str(&summary));
    set(&obj, "ids", &JsValue::from_str(&t.ids));
    set(&obj, "names", &JsValue::from_str(&t.names.join("\n")));
    let lens = js_sys::Float64Array::from(&t.lens[..]);
    let noisy = js_sys::Uint32Array::from(&t.noisy[..]);
    let pred = js_sys::Uint32Array::from(&t.pred[..]);
    let depth = js_sys::Int8Array::from(&t.depth[..]);
    let scores = js_sys::Float32Array::from(&t.scores[..]);
    let source = js_sys::Uint8Array::from(&t.source[..]);
    let transfer = js_sys::Array::new();
    for (k, a) in [
        ("lens", JsValue::from(lens)),
        ("noisy", noisy.into()),
        ("pred", pred.into()),
        ("depth", depth.into()),
        ("scores", scores.into()),
        ("source", source.into()),
    ] {
        transfer.push(&get(&a, "buffer"));
        set(&obj, k, &a);
    }
    set(&obj, "transfer", &transfer);
    set(&obj, "tsv", &JsValue::from_str(&out.taxometer_tsv));
    set(&obj, "cami", &JsValue::from_str(&out.cami));
    set(&obj, "kraken", &JsValue::from_str(&out.kraken_report));
    set(&obj, "krakenBp", &JsValue::from_str(&out.kraken_report_bp));
    Ok(obj.into())
}

/// Adds a trained run's files to the message (worker side): `modelJson`,
/// `modelSafetensors` and, with a teacher, `softLabels` (Uint8Arrays, their
/// buffers added to `transfer`).
pub fn attach_model(msg: &JsValue, files: &crate::correct::TrainedFiles) {
    let obj: &js_sys::Object = msg.unchecked_ref();
    let transfer: js_sys::Array = get(msg, "transfer").unchecked_into();
    let add = |k: &str, bytes: &[u8]| {
        let a = js_sys::Uint8Array::from(bytes);
        transfer.push(&a.buffer());
        set(obj, k, &a);
    };
    add("modelJson", &files.model_json);
    add("modelSafetensors", &files.model_safetensors);
    if let Some(soft) = &files.soft_labels {
        add("softLabels", soft);
    }
}

/// The exports, kept as JavaScript values: strings, and for a run trained
/// in the page, the model's and the soft labels' bytes (Uint8Arrays;
/// `undefined` otherwise).
pub struct Exports {
    pub tsv: JsValue,
    pub cami: JsValue,
    pub kraken: JsValue,
    /// The Kraken-style report by base pairs.
    pub kraken_bp: JsValue,
    pub model_json: JsValue,
    pub model_safetensors: JsValue,
    pub soft_labels: JsValue,
}

/// Unpacks the message (page side).
///
/// # Errors
/// A field is missing or of the wrong type, or the sizes disagree.
pub fn decode(msg: &JsValue) -> Result<(Summary, Table, Exports), Error> {
    let bad = |what: &str| Error::Browser(format!("unreadable result from the worker ({what})"));
    let summary: Summary = serde_json::from_str(
        &get(msg, "summary")
            .as_string()
            .ok_or_else(|| bad("summary"))?,
    )
    .map_err(|e| bad(&e.to_string()))?;
    let ids = get(msg, "ids").as_string().ok_or_else(|| bad("ids"))?;
    let names_joined = get(msg, "names").as_string().ok_or_else(|| bad("names"))?;
    let names: Vec<String> = if names_joined.is_empty() {
        Vec::new()
    } else {
        names_joined.split('\n').map(String::from).collect()
    };
    let lens = get(msg, "lens")
        .dyn_into::<js_sys::Float64Array>()
        .map_err(|_| bad("lens"))?
        .to_vec();
    let noisy = get(msg, "noisy")
        .dyn_into::<js_sys::Uint32Array>()
        .map_err(|_| bad("noisy"))?
        .to_vec();
    let pred = get(msg, "pred")
        .dyn_into::<js_sys::Uint32Array>()
        .map_err(|_| bad("pred"))?
        .to_vec();
    let depth = get(msg, "depth")
        .dyn_into::<js_sys::Int8Array>()
        .map_err(|_| bad("depth"))?
        .to_vec();
    let scores = get(msg, "scores")
        .dyn_into::<js_sys::Float32Array>()
        .map_err(|_| bad("scores"))?
        .to_vec();
    let source = get(msg, "source")
        .dyn_into::<js_sys::Uint8Array>()
        .map_err(|_| bad("source"))?
        .to_vec();
    let table = Table::from_parts(ids, names, lens, noisy, pred, depth, scores, source)
        .map_err(|e| bad(&e))?;
    let exports = Exports {
        tsv: get(msg, "tsv"),
        cami: get(msg, "cami"),
        kraken: get(msg, "kraken"),
        kraken_bp: get(msg, "krakenBp"),
        model_json: get(msg, "modelJson"),
        model_safetensors: get(msg, "modelSafetensors"),
        soft_labels: get(msg, "softLabels"),
    };
    Ok((summary, table, exports))
}
