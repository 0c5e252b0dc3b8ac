//! Export buttons for the text outputs (written in the worker by the core's
//! writers, so they equal what the CLI writes).

use crate::client::Shown;
use crate::download;
use leptos::prelude::*;
use std::sync::Arc;

/// Taxometer TSV (`data-testid="export-tsv"`), CAMI and Kraken-style
/// report by contigs and by base pairs; after a run trained in the page, the model, the soft labels and
/// `summary.tsv` as `taxdistill run` writes them.
#[component]
pub fn Exports(
    /// The run whose outputs are saved.
    result: Arc<Shown>,
) -> impl IntoView {
    let err = RwSignal::new(String::new());
    let shown = result.clone();
    let save = move |which: usize, name: &'static str, mime: &'static str| {
        let e = &shown.exports;
        let text = [&e.tsv, &e.cami, &e.kraken, &e.kraken_bp][which];
        err.set(
            download::save_js_text(text, name, mime)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default(),
        );
    };
    let (s0, s1, s2, s3) = (save.clone(), save.clone(), save.clone(), save);
    // a run trained in the page also exports its model (what `taxdistill
    // annotate --model` reads), soft labels and summary.tsv
    let trained = result.summary.training.is_some();
    view! {
        <div class="exports">
            <strong>"Export: "</strong>
            <button data-testid="export-tsv" on:click=move |_| s0(0, "predictions.tsv", "text/tab-separated-values")>
                "Taxometer TSV"
            </button>
            <button data-testid="export-cami" on:click=move |_| s1(1, "predictions.cami", "text/plain")>"CAMI"</button>
            <button data-testid="export-kraken" on:click=move |_| s2(2, "report.kraken.txt", "text/plain")>
                "Kraken report"
            </button>
            <button data-testid="export-kraken-bp" on:click=move |_| s3(3, "report.kraken.bp.txt", "text/plain")>
                "Kraken report (bp)"
            </button>
            {trained.then(|| {
                let r = result.clone();
                let bytes = move |which: usize, name: &'static str| {
                    let e = &r.exports;
                    let b = [&e.model_json, &e.model_safetensors, &e.soft_labels][which];
                    let mime = if which == 0 { "application/json" } else { "application/octet-stream" };
                    err.set(download::save_js_bytes(b, name, mime).err().map(|e| e.to_string()).unwrap_or_default());
                };
                let (b0, b1, b2) = (bytes.clone(), bytes.clone(), bytes);
                let summary = result.summary.training.as_ref().map(|t| t.summary_tsv.clone()).unwrap_or_default();
                let has_soft = !result.exports.soft_labels.is_undefined();
                view! {
                    <button data-testid="export-model-json" on:click=move |_| b0(0, "model.json")>"model.json"</button>
                    <button data-testid="export-model-safetensors" on:click=move |_| b1(1, "model.safetensors")>"model.safetensors"</button>
                    <Show when=move || has_soft>
                        <button data-testid="export-soft-labels" on:click={let b2 = b2.clone(); move |_| b2(2, "soft_labels.safetensors")}>"soft labels"</button>
                    </Show>
                    <button data-testid="export-summary" on:click=move |_| {
                        err.set(download::save_text(&summary, "summary.tsv", "text/tab-separated-values").err().map(|e| e.to_string()).unwrap_or_default());
                    }>"summary.tsv"</button>
                }
            })}
            <span class="hint">"Charts: SVG/PNG buttons on each chart."</span>
            <Show when=move || !err.get().is_empty()>
                <span class="error">{move || err.get()}</span>
            </Show>
        </div>
    }
}
