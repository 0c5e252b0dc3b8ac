//! Student inference in the worker through the GPU crate: WebGPU when asked
//! for and usable, else the core's CPU forward pass. Says which ran, and why
//! the CPU ran.

use crate::errors::Error;
use taxdistill_core::model::Prediction;
use taxdistill_gpu::{init_device, Backend, Engine, DEFAULT_BATCH_ROWS};
use wasm_bindgen::{JsCast, JsValue};

/// The worker's WebGPU adapter when it is a software one (SwiftShader or a
/// fallback adapter): its name, else `None`. Such an adapter runs the student
/// far slower than the CPU path (measured here: ~60×), so `auto` skips it.
async fn software_adapter() -> Option<String> {
    let get = |v: &JsValue, k: &str| {
        js_sys::Reflect::get(v, &JsValue::from_str(k))
            .ok()
            .filter(|x| !x.is_undefined() && !x.is_null())
    };
    let gpu = get(&js_sys::global(), "navigator").and_then(|n| get(&n, "gpu"))?;
    let request: js_sys::Function = get(&gpu, "requestAdapter")?.dyn_into().ok()?;
    let promise: js_sys::Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    let adapter = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .ok()
        .filter(|a| !a.is_null())?;
    let fallback = get(&adapter, "isFallbackAdapter")
        .and_then(|x| x.as_bool())
        .unwrap_or(false);
    let arch = get(&adapter, "info")
        .and_then(|i| get(&i, "architecture"))
        .and_then(|x| x.as_string())
        .unwrap_or_default();
    (fallback || arch.contains("swiftshader")).then(|| {
        if arch.is_empty() {
            "fallback adapter".to_string()
        } else {
            arch
        }
    })
}

/// Rows per [`Engine::predict`] call, so progress can be reported between calls.
const PROGRESS_ROWS: usize = 16 * 1024;

/// Predictions for raw row-major features, the backend that ran (`webgpu` or
/// `cpu`) and a note when the CPU ran; `progress(rows_done)` is called after
/// each slice of [`PROGRESS_ROWS`] rows.
///
/// `backend`: `webgpu` (any adapter), `auto` (a hardware adapter, else the
/// CPU) or `cpu`.
///
/// # Errors
/// A model that does not load, or features the model rejects.
pub async fn predict(
    st: &[u8],
    json: &[u8],
    x: &[f32],
    backend: &str,
    mut progress: impl FnMut(usize),
) -> Result<(Vec<Prediction>, String, String), Error> {
    crate::log::init();
    crate::log::take();
    let mut why = String::new();
    let mut prefer_gpu = backend != "cpu";
    if backend == "auto" {
        if let Some(name) = software_adapter().await {
            why = format!(
                "the only WebGPU adapter is a software one ({name}), slower than the CPU path; \
                 open the page with ?backend=webgpu to use it anyway"
            );
            prefer_gpu = false;
        }
    }
    let ctx = if prefer_gpu {
        match init_device().await {
            Ok(Some(ctx)) => Some(ctx),
            Ok(None) => {
                why = "no WebGPU adapter".into();
                None
            }
            Err(e) => {
                why = e.to_string();
                None
            }
        }
    } else {
        None
    };
    let engine = Engine::with_context(ctx, st, json, DEFAULT_BATCH_ROWS)
        .map_err(|e| Error::Inference(e.to_string()))?;
    let f = engine.meta().n_features().max(1);
    let mut preds = Vec::with_capacity(x.len() / f);
    for chunk in x.chunks(PROGRESS_ROWS * f) {
        preds.extend(
            engine
                .predict(chunk)
                .await
                .map_err(|e| Error::Inference(e.to_string()))?,
        );
        progress(preds.len());
    }
    // read after predict: a device lost mid-run falls back to the CPU
    let warnings = crate::log::take();
    if why.is_empty() {
        why = warnings.join("; ");
    }
    let ran = engine.backend();
    let note = match (prefer_gpu, ran) {
        (true, Backend::Cpu) => format!("WebGPU could not run the student ({why}); the CPU ran it."),
        (false, _) if !why.is_empty() => format!("The CPU ran the student: {why}."),
        (false, _) => {
            "WebGPU was switched off (?backend=cpu) or is missing in this browser; the CPU ran the student.".to_string()
        }
        _ => String::new(),
    };
    Ok((preds, ran.name().to_string(), note))
}
