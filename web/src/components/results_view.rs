//! The views of one run: exports, the training panel, the charts and the
//! table, linked by one set of filters ([`Filters`], in the context).

use super::composition::CompositionView;
use super::exports::Exports;
use super::filters::Filters;
use super::histogram::Histogram;
use super::rank_bars::RankBars;
use super::sankey::Sankey;
use super::sunburst::Sunburst;
use super::table::ResultsTable;
use super::training::TrainingView;
use crate::client::Shown;
use crate::results::RANKS;
use leptos::prelude::*;
use std::sync::Arc;

/// Everything shown for a finished run.
#[component]
pub fn Results(
    /// The run to show.
    result: Arc<Shown>,
) -> impl IntoView {
    // each run starts unfiltered
    provide_context(Filters::new());
    // rank shown by the Sankey and the histogram (default: genus)
    let rank = RwSignal::new(5usize);
    view! {
        <section class="results">
            <Exports result=result.clone() />
            {result.summary.training.clone().map(|t| view! { <TrainingView training=t /> })}
            <div class="rank-pick">
                <label>
                    "Rank for the Sankey and the histogram: "
                    <select
                        data-testid="rank-select"
                        on:change=move |ev| {
                            if let Ok(i) = event_target_value(&ev).parse::<usize>() {
                                rank.set(i);
                            }
                        }
                    >
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
                </label>
            </div>
            <div class="grid">
                <Sunburst result=result.clone() />
                <Sankey result=result.clone() rank=rank />
                <Histogram result=result.clone() rank=rank />
                <RankBars result=result.clone() />
                {result.summary.composition.clone().map(|c| view! { <CompositionView composition=c result=result.clone() /> })}
            </div>
            <ResultsTable result=result />
        </section>
    }
}
