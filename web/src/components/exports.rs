//! Export buttons for the text outputs (written in the worker by the core's
//! writers, so they equal what the CLI writes).

use crate::download;
use crate::results::RunResult;
use leptos::prelude::*;
use std::sync::Arc;

/// Taxometer TSV (`data-testid="export-tsv"`), CAMI and Kraken-style report.
#[component]
pub fn Exports(
    /// The run whose outputs are saved.
    result: Arc<RunResult>,
) -> impl IntoView {
    let err = RwSignal::new(String::new());
    let save = move |text: String, name: &'static str| {
        err.set(
            download::save_text(&text, name, "text/tab-separated-values")
                .err()
                .unwrap_or_default(),
        );
    };
    let (a, b, c) = (result.clone(), result.clone(), result.clone());
    view! {
        <div class="exports">
            <strong>"Export: "</strong>
            <button data-testid="export-tsv" on:click=move |_| save(a.taxometer_tsv.clone(), "predictions.tsv")>
                "Taxometer TSV"
            </button>
            <button data-testid="export-cami" on:click=move |_| save(b.cami.clone(), "predictions.cami")>"CAMI"</button>
            <button data-testid="export-kraken" on:click=move |_| save(c.kraken_report.clone(), "report.kraken.txt")>
                "Kraken report"
            </button>
            <span class="hint">"Charts: SVG/PNG buttons on each chart."</span>
            <Show when=move || !err.get().is_empty()>
                <span class="error">{move || err.get()}</span>
            </Show>
        </div>
    }
}
