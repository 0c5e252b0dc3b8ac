//! Linked views: the filters the charts set on the table, shared through the
//! results' context ([`Filters`]), and their chips.

use crate::client::Shown;
use crate::results::filter::{with_filter, without_view, Filter, View};
use leptos::prelude::*;
use std::sync::Arc;

/// The filters of the shown run, one per view at most (a view's new filter
/// replaces its old one); the table lists the rows every filter keeps.
#[derive(Debug, Clone, Copy)]
pub struct Filters(pub RwSignal<Vec<Filter>>);

impl Filters {
    /// No filter.
    pub fn new() -> Filters {
        Filters(RwSignal::new(Vec::new()))
    }

    /// Sets `f`, in place of the filter its view set before.
    pub fn set(&self, f: Filter) {
        self.0.update(|v| *v = with_filter(v, f));
    }

    /// Removes the filter `view` set.
    pub fn clear(&self, view: View) {
        if self
            .0
            .with_untracked(|v| v.iter().any(|f| f.view() == view))
        {
            self.0.update(|v| *v = without_view(v, view));
        }
    }

    /// The filter `view` set (tracked).
    pub fn of(&self, view: View) -> Option<Filter> {
        self.0
            .with(|v| v.iter().find(|f| f.view() == view).cloned())
    }
}

impl Default for Filters {
    fn default() -> Self {
        Filters::new()
    }
}

/// The active filters as chips (`data-testid="filter-chip"`), each with a
/// button that clears it.
#[component]
pub fn FilterChips(
    /// The run the filters select from (for the taxon names).
    result: Arc<Shown>,
) -> impl IntoView {
    let filters = expect_context::<Filters>();
    let chips = move || {
        filters
            .0
            .get()
            .into_iter()
            .map(|f| {
                let label = f.label(&result.table);
                let view = f.view();
                let clear = format!("Clear the filter {label}");
                view! {
                    <span class="chip" data-testid="filter-chip">
                        {label}
                        <button
                            class="chip-clear"
                            aria-label=clear
                            title="clear this filter"
                            data-testid="filter-chip-clear"
                            on:click=move |_| filters.clear(view)
                        >
                            "×"
                        </button>
                    </span>
                }
            })
            .collect_view()
    };
    view! {
        <div class="chips" aria-live="polite">
            <Show when=move || filters.0.with(|v| !v.is_empty())>
                <span class="chips-lead">"Filtered by: "</span>
            </Show>
            {chips}
        </div>
    }
}
