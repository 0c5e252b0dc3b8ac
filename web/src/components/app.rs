//! The root component.

use super::exports::Exports;
use super::histogram::Histogram;
use super::inputs::InputPanel;
use super::rank_bars::RankBars;
use super::sankey::Sankey;
use super::status::StatusBar;
use super::sunburst::Sunburst;
use super::table::ResultsTable;
use super::training::TrainingView;
use super::walkthrough::Walkthrough;
use crate::client::{Progress, Status, Ui};
use crate::results::RANKS;
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
    // rank shown by the Sankey and the histogram (default: genus)
    let rank = RwSignal::new(5usize);
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
            {move || {
                ui.result
                    .get()
                    .map(|r| {
                        let r2 = r.clone();
                        let r3 = r.clone();
                        let r4 = r.clone();
                        let r5 = r.clone();
                        let r6 = r.clone();
                        view! {
                            <section class="results">
                                <Exports result=r.clone() />
                                {r.summary.training.clone().map(|t| view! { <TrainingView training=t /> })}
                                <div class="rank-pick">
                                    "Rank for the Sankey and the histogram: "
                                    <select on:change=move |ev| {
                                        if let Ok(i) = event_target_value(&ev).parse::<usize>() {
                                            rank.set(i);
                                        }
                                    }>
                                        {RANKS
                                            .iter()
                                            .enumerate()
                                            .map(|(i, n)| {
                                                view! {
                                                    <option value=i.to_string() selected=move || rank.get() == i>
                                                        {*n}
                                                    </option>
                                                }
                                            })
                                            .collect_view()}
                                    </select>
                                </div>
                                <div class="grid">
                                    <Sunburst result=r2 />
                                    <Sankey result=r3 rank=rank />
                                    <Histogram result=r4 rank=rank />
                                    <RankBars result=r5 />
                                </div>
                                <ResultsTable result=r6 />
                            </section>
                        }
                    })
            }}
        </main>
        <footer>
            "TaxDistill runs entirely in this page (WebAssembly + a Web Worker); it works offline after the first visit."
        </footer>
    }
}
