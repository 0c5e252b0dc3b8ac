//! Per-sample composition: one stacked bar per sample at a chosen rank, the
//! share of each taxon of the output weighted by abundance (depth × length,
//! see [`crate::results::composition`]). Clicking a segment (or Enter on
//! a focused one) lists the contigs of its taxon in the table.

use super::charts::bars::{BAR_GAP, BAR_H, LEGEND_COLS, LEGEND_ROW_H, W};
use super::charts::{color, on_activate_keys, ChartFrame};
use super::filters::Filters;
use crate::client::Shown;
use crate::results::filter::{name_index, Cat, Filter};
use crate::results::{Composition, OTHER, RANKS, UNCLASSIFIED};
use leptos::prelude::*;
use std::sync::Arc;

/// Left margin (the sample names).
const LEFT: f64 = 96.0;

fn fill(name: &str) -> String {
    match name {
        UNCLASSIFIED => "#d4d4d4".into(),
        OTHER => "#bcc3cb".into(),
        n => color(n),
    }
}

fn short(name: &str, max: usize) -> String {
    if name.chars().count() > max {
        name.chars().take(max - 1).chain(['…']).collect()
    } else {
        name.to_string()
    }
}

/// The composition view (`data-testid="composition"`).
#[component]
pub fn CompositionView(
    /// Shares per rank and sample (from the abundances).
    composition: Composition,
    /// The run (its table: the contigs a segment selects).
    result: Arc<Shown>,
) -> impl IntoView {
    let filters = expect_context::<Filters>();
    let comp = Arc::new(composition);
    // phylum: few enough taxa to tell apart
    let rank = RwSignal::new(1usize);
    let c2 = comp.clone();
    let body = move || {
        let r = rank.get();
        let Some(rc) = c2.ranks.get(r) else {
            return ().into_any();
        };
        let ix = name_index(&result.table);
        let bars = c2
            .samples
            .iter()
            .zip(&rc.shares)
            .enumerate()
            .map(|(k, (sample, shares))| {
                let y = 10.0 + k as f64 * (BAR_H + BAR_GAP);
                let mut x = LEFT;
                let segs = rc
                    .taxa
                    .iter()
                    .zip(shares)
                    .enumerate()
                    .filter(|(_, (_, &s))| s > 0.0)
                    .map(|(k, (taxon, &s))| {
                        let w = (W - LEFT - 10.0) * s;
                        let x0 = x;
                        x += w;
                        let title = format!("{sample}: {taxon} {:.1}% ({}); click to list its contigs", 100.0 * s, RANKS[r]);
                        let filter = Cat::of_side(&ix, &rc.taxa, k).map(|taxon| Filter::Taxon { rank: r, taxon });
                        let key_filter = filter.clone();
                        let aria = title.clone();
                        view! {
                            <rect
                                x=x0
                                y=y
                                width=w
                                height=BAR_H
                                fill=fill(taxon)
                                class="segment"
                                data-testid="composition-segment"
                                data-sample=sample.clone()
                                data-taxon=taxon.clone()
                                data-share=format!("{s:.6}")
                                tabindex="0"
                                role="button"
                                aria-label=aria
                                on:click=move |_| {
                                    if let Some(f) = filter.clone() {
                                        filters.set(f);
                                    }
                                }
                                on:keydown=move |ev| {
                                    if on_activate_keys(&ev) {
                                        if let Some(f) = key_filter.clone() {
                                            filters.set(f);
                                        }
                                    }
                                }
                            >
                                <title>{title}</title>
                            </rect>
                        }
                    })
                    .collect_view();
                view! {
                    <text x=LEFT - 6.0 y=y + 15.0 font-size="11" text-anchor="end">{short(sample, 14)}</text>
                    {segs}
                }
            })
            .collect_view();
        let legend_top = 10.0 + c2.samples.len() as f64 * (BAR_H + BAR_GAP) + 10.0;
        let legend = rc
            .taxa
            .iter()
            .enumerate()
            .map(|(i, taxon)| {
                let x = LEFT + (i % LEGEND_COLS) as f64 * 140.0;
                let y = legend_top + (i / LEGEND_COLS) as f64 * LEGEND_ROW_H;
                view! {
                    <rect x=x y=y width="12" height="12" fill=fill(taxon) />
                    <text x=x + 16.0 y=y + 10.0 font-size="11">{short(taxon, 20)}</text>
                }
            })
            .collect_view();
        let h = legend_top + rc.taxa.len().div_ceil(LEGEND_COLS) as f64 * LEGEND_ROW_H + 4.0;
        view! {
            <svg
                id="composition"
                data-testid="composition"
                role="group"
                aria-label=format!("Composition of each sample at {}", RANKS[r])
                data-export-subtitle=format!("rank: {} · each sample's share of depth × length", RANKS[r])
                width=W height=h viewBox=format!("0 0 {W} {h}") font-family="sans-serif">
                {bars}
                {legend}
            </svg>
        }
        .into_any()
    };
    view! {
        <ChartFrame title="Composition per sample" svg_id="composition" caption="Each sample's share of each taxon of the output at the chosen rank, weighted by abundance (mean depth × contig length: the bases the sample's reads put on the contig); the ten largest taxa, the rest as other; unclassified: no taxon at the rank. Click a segment to list its taxon's contigs in the table.">
            <div class="controls">
                <label>
                    "Rank: "
                    <select data-testid="composition-rank" on:change=move |ev| {
                        if let Ok(i) = event_target_value(&ev).parse::<usize>() {
                            rank.set(i);
                        }
                    }>
                        {RANKS
                            .iter()
                            .enumerate()
                            .map(|(i, n)| view! { <option value=i.to_string() selected=move || rank.get() == i>{*n}</option> })
                            .collect_view()}
                    </select>
                </label>
            </div>
            {body}
        </ChartFrame>
    }
}
