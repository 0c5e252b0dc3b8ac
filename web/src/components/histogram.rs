//! Histogram of the student's confidence at one rank (over the contigs it
//! annotated: an input label kept for a shorter contig has no score).

use super::charts::{on_activate_keys, ChartFrame};
use super::filters::Filters;
use crate::client::Shown;
use crate::results::filter::Filter;
use crate::results::{HIST_BINS, RANKS};
use leptos::prelude::*;
use std::sync::Arc;

const W: f64 = 420.0;
const H: f64 = 260.0;
const BINS: usize = HIST_BINS;

/// The confidence histogram.
#[component]
pub fn Histogram(
    /// The run to draw.
    result: Arc<Shown>,
    /// Rank index (0 = domain … 6 = species).
    rank: RwSignal<usize>,
) -> impl IntoView {
    let filters = expect_context::<Filters>();
    let body = move || {
        let r = rank.get();
        let h = &result.summary.histograms[r];
        let n: u64 = h.iter().sum();
        let max = h.iter().copied().max().unwrap_or(0).max(1) as f64;
        let (left, bottom, top) = (40.0, H - 30.0, 10.0);
        let bw = (W - left - 10.0) / BINS as f64;
        let bars = h
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let bh = (bottom - top) * n as f64 / max;
                let title = format!(
                    "score {:.2}–{:.2}: {n} contigs",
                    i as f64 / BINS as f64,
                    (i + 1) as f64 / BINS as f64
                );
                // clicking a bin lists its contigs in the table
                let set = move || {
                    filters.set(Filter::Score {
                        rank: r,
                        bin: i,
                        bins: BINS,
                    })
                };
                let aria = title.clone();
                view! {
                    <rect
                        x=left + i as f64 * bw + 1.0
                        y=bottom - bh
                        width=bw - 2.0
                        height=bh
                        fill="#5b8bb8"
                        class="bin"
                        data-testid="hist-bin"
                        data-contigs=n
                        tabindex=(n > 0).then_some("0")
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
        let x_ticks = (0..=4)
            .map(|i| {
                let f = i as f64 / 4.0;
                let x = left + f * (W - left - 10.0);
                view! {
                    <line x1=x y1=bottom x2=x y2=bottom + 4.0 stroke="#333" />
                    <text x=x y=bottom + 15.0 font-size="10" text-anchor="middle">{format!("{f}")}</text>
                }
            })
            .collect_view();
        let y_ticks = [0.0, 0.5, 1.0]
            .iter()
            .map(|&f| {
                let y = bottom - (bottom - top) * f;
                view! {
                    <line x1=left - 4.0 y1=y x2=left y2=y stroke="#333" />
                    <text x=left - 6.0 y=y + 3.5 font-size="10" text-anchor="end">{format!("{:.0}", max * f)}</text>
                }
            })
            .collect_view();
        view! {
            {bars}
            <line x1=left y1=bottom x2=W - 10.0 y2=bottom stroke="#333" />
            <line x1=left y1=top x2=left y2=bottom stroke="#333" />
            {x_ticks}
            {y_ticks}
            <text x=(W + left) / 2.0 y=H - 2.0 font-size="11" text-anchor="middle">
                {format!("score at {} ({n} contigs reach it)", RANKS[r])}
            </text>
        }
    };
    view! {
        <ChartFrame title="Confidence" svg_id="histogram" caption="How sure the student is, over contigs it annotated down to the chosen rank (input labels kept for shorter contigs have no score). Click a bar to list its contigs in the table.">
            <svg
                id="histogram"
                role="group"
                aria-label="Histogram of the confidence of the student at the chosen rank"
                data-export-subtitle=move || format!("rank: {} · the student's score at the rank (x), contigs per bin (y); input labels kept have no score", RANKS[rank.get()])
                width=W height=H viewBox=format!("0 0 {W} {H}") font-family="sans-serif">
                {body}
            </svg>
        </ChartFrame>
    }
}
