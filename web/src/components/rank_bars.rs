//! Per-rank bars: every contig, in the change categories of `taxdistill
//! run`'s `summary.tsv` (the core's `Change`: confirmed, changed, removed,
//! deepened, newly labelled, left novel, kept input), then the contigs in
//! none of them (no taxon at the rank in the input label or the output), so
//! that each bar is all the contigs and the bars compare across ranks.

use super::charts::bars::{BAR_GAP, BAR_H, LEGEND_COLS, LEGEND_ROW_H, W};
use super::charts::{change_color, change_words, on_activate_keys, ChartFrame, UNASSIGNED};
use super::filters::Filters;
use crate::client::Shown;
use crate::results::filter::Filter;
use crate::results::{RankCounts, RANKS};
use leptos::prelude::*;
use std::sync::Arc;
use taxdistill_core::openset::Change;

/// Left margin (the rank names).
const LEFT: f64 = 70.0;

/// The segments of a bar in drawing order: name, colour, count and
/// category (`None`: the unassigned).
fn segments(c: &RankCounts) -> Vec<(String, &'static str, u64, Option<Change>)> {
    Change::ALL
        .into_iter()
        .map(|k| (change_words(k), change_color(k), c.get(k), Some(k)))
        .chain([("unassigned".to_string(), UNASSIGNED, c.unassigned, None)])
        .collect()
}

/// The per-rank bars.
#[component]
pub fn RankBars(
    /// The run to draw.
    result: Arc<Shown>,
) -> impl IntoView {
    let filters = expect_context::<Filters>();
    let counts = result.summary.rank_counts;
    let rows = counts
        .iter()
        .enumerate()
        .map(|(r, c)| {
            let total = c.total().max(1) as f64;
            let y = 10.0 + r as f64 * (BAR_H + BAR_GAP);
            let mut x = LEFT;
            let segs = segments(c)
                .into_iter()
                .map(|(kind, fill, v, change)| {
                    let w = (W - LEFT - 10.0) * v as f64 / total;
                    let x0 = x;
                    x += w;
                    let title = format!(
                        "{}: {v} contigs {kind} ({:.1}%)",
                        RANKS[r],
                        100.0 * v as f64 / total
                    );
                    // clicking a segment lists its contigs in the table
                    let set = move || filters.set(Filter::Change { rank: r, change });
                    let aria = title.clone();
                    view! {
                        <rect
                            x=x0
                            y=y
                            width=w
                            height=BAR_H
                            fill=fill
                            class="segment"
                            data-testid="rankbar-segment"
                            tabindex=(v > 0).then_some("0")
                            role="button"
                            aria-label=aria
                            on:click=move |_| set()
                            on:keydown=move |ev| {
                                if on_activate_keys(&ev) {
                                    set();
                                }
                            }
                        >
                            <title>{title}</title>
                        </rect>
                    }
                })
                .collect_view();
            view! {
                <text x=LEFT - 6.0 y=y + 15.0 font-size="11" text-anchor="end">{RANKS[r]}</text>
                {segs}
            }
        })
        .collect_view();
    // only the categories this run has (the page runs no open-set rule, so
    // nothing is left novel)
    let kinds: Vec<(String, &'static str)> = segments(&RankCounts::default())
        .into_iter()
        .enumerate()
        .filter(|&(k, _)| counts.iter().any(|c| segments(c)[k].2 > 0))
        .map(|(_, (kind, fill, _, _))| (kind, fill))
        .collect();
    let legend_top = 10.0 + counts.len() as f64 * (BAR_H + BAR_GAP) + 16.0;
    let h = legend_top + kinds.len().div_ceil(LEGEND_COLS) as f64 * LEGEND_ROW_H + 4.0;
    let legend = kinds
        .into_iter()
        .enumerate()
        .map(|(i, (kind, fill))| {
            let x = LEFT + (i % LEGEND_COLS) as f64 * 130.0;
            let y = legend_top + (i / LEGEND_COLS) as f64 * LEGEND_ROW_H;
            view! {
                <rect x=x y=y width="12" height="12" fill=fill />
                <text x=x + 16.0 y=y + 10.0 font-size="11">{kind}</text>
            }
        })
        .collect_view();
    view! {
        <ChartFrame title="What the student changed" svg_id="rankbars" caption="Per rank, every contig: its output against its input label, in the categories of summary.tsv (taxdistill run). Confirmed, changed, or removed (the student stops above the label's rank); deepened (the classifier stopped above the rank) or newly labelled (the classifier left the contig unclassified); kept input: too short for the student, its input label kept as given. Unassigned: no taxon at the rank in either. Click a segment to list its contigs in the table.">
            <svg
                id="rankbars"
                role="group"
                aria-label="Per-rank bars of how the outputs relate to the input labels"
                data-export-subtitle="every rank, domain … species: each contig's output against its input label"
                width=W height=h viewBox=format!("0 0 {W} {h}") font-family="sans-serif">
                {rows}
                {legend}
            </svg>
        </ChartFrame>
    }
}
