//! The root component.

use super::inputs::InputPanel;
use super::results_view::Results;
use super::status::StatusBar;
use super::walkthrough::Walkthrough;
use crate::client::{Progress, Status, Ui};
use leptos::prelude::*;

/// The whole app: inputs on top, then status, then the views of the last run.
#[component]
pub fn App() -> impl IntoView {
    let ui = Ui {
        status: RwSignal::new(Status::Idle),
        progress: RwSignal::new(Progress::default()),
        result: RwSignal::new(None),
        names: RwSignal::new(Default::default()),
        demo: RwSignal::new(false),
        settings: RwSignal::new(Default::default()),
    };
    // `run`'s options from the URL query (`?min_length=1000&alpha=0.3…`)
    match crate::correct::Settings::from_query(&crate::client::query()) {
        Ok(s) => ui.settings.set(s),
        Err(e) => ui
            .status
            .set(Status::Error(format!("the page's address: {e}"))),
    }
    view! {
        <header>
            <h1>"TaxDistill"</h1>
            <p class="tagline">
                "Correct the taxonomic labels of metagenomic contigs, in your browser. Nothing you load leaves this machine."
            </p>
        </header>
        <main>
            <InputPanel ui=ui />
            <StatusBar ui=ui />
            <Show when=move || ui.demo.get()>
                <Walkthrough ui=ui />
            </Show>
            {move || ui.result.get().map(|r| view! { <Results result=r /> })}
        </main>
        <footer>
            "TaxDistill runs entirely in this page (WebAssembly + a Web Worker); it works offline after the first visit."
        </footer>
    }
}
