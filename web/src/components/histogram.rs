//! Histogram of the student's confidence at one rank.

use super::charts::ChartFrame;
use crate::results::{score_histogram, RunResult, RANKS};
use leptos::prelude::*;
use std::sync::Arc;

const W: f64 = 420.0;
const H: f64 = 260.0;
const BINS: usize = 20;

/// The confidence histogram.
#[component]
pub fn Histogram(
    /// The run to draw.
    result: Arc<RunResult>,
    /// Rank index (0 = domain … 6 = species).
    rank: RwSignal<usize>,
) -> impl IntoView {
    let body = move || {
        let r = rank.get();
        let h = score_histogram(&result.rows, r, BINS);
        let max = h.iter().copied().max().unwrap_or(0).max(1) as f64;
        let (left, bottom, top) = (40.0, H - 30.0, 10.0);
        let bw = (W - left - 10.0) / BINS as f64;
        let bars = h
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let bh = (bottom - top) * n as f64 / max;
                let title = format!("score {:.2}–{:.2}: {n} contigs", i as f64 / BINS as f64, (i + 1) as f64 / BINS as f64);
                view! {
                    <rect x=left + i as f64 * bw + 1.0 y=bottom - bh width=bw - 2.0 height=bh fill="#5b8bb8">
                        <title>{title}</title>
                    </rect>
                }
            })
            .collect_view();
        view! {
            {bars}
            <line x1=left y1=bottom x2=W - 10.0 y2=bottom stroke="#333" />
            <line x1=left y1=top x2=left y2=bottom stroke="#333" />
            <text x=left y=H - 12.0 font-size="10">"0"</text>
            <text x=W - 10.0 y=H - 12.0 font-size="10" text-anchor="end">"1"</text>
            <text x=(W + left) / 2.0 y=H - 2.0 font-size="11" text-anchor="middle">
                {format!("score at {}", RANKS[r])}
            </text>
            <text x=left - 4.0 y=top + 8.0 font-size="10" text-anchor="end">{format!("{max:.0}")}</text>
        }
    };
    view! {
        <ChartFrame title="Confidence" svg_id="histogram" caption="How sure the student is, over contigs it annotated down to the chosen rank.">
            <svg id="histogram" width=W height=H viewBox=format!("0 0 {W} {H}") font-family="sans-serif">
                {body}
            </svg>
        </ChartFrame>
    }
}
