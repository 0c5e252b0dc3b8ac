//! Export buttons for the text outputs (written in the worker by the core's
//! writers, so they equal what the CLI writes).

use crate::client::Shown;
use crate::download;
use leptos::prelude::*;
use std::sync::Arc;

/// Taxometer TSV (`data-testid="export-tsv"`), CAMI and Kraken-style report.
#[component]
pub fn Exports(
    /// The run whose outputs are saved.
    result: Arc<Shown>,
) -> impl IntoView {
    let err = RwSignal::new(String::new());
    let save = move |which: usize, name: &'static str, mime: &'static str| {
        let e = &result.exports;
        let text = [&e.tsv, &e.cami, &e.kraken][which];
        err.set(
            download::save_js_text(text, name, mime)
                .err()
                .unwrap_or_default(),
        );
    };
    let (s0, s1, s2) = (save.clone(), save.clone(), save);
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
            <span class="hint">"Charts: SVG/PNG buttons on each chart."</span>
            <Show when=move || !err.get().is_empty()>
                <span class="error">{move || err.get()}</span>
            </Show>
        </div>
    }
}
