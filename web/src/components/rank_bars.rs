//! Per-rank bars: confirmed / deepened / newly labelled / changed /
//! unclassified over the contigs the student annotated, and kept input
//! labels (contigs too short for it) as a segment of their own.

use super::charts::{ChartFrame, KEPT_INPUT};
use crate::client::Shown;
use crate::results::RANKS;
use leptos::prelude::*;
use std::sync::Arc;

const W: f64 = 520.0;
const H: f64 = 280.0;
/// Legend entries per row.
const LEGEND_COLS: usize = 3;
/// Segment names and colours, in drawing order; the kept input labels' colour
/// is also the table's `src-input` badge (style.css).
const KINDS: [(&str, &str); 6] = [
    ("confirmed", "#5b8bb8"),
    ("deepened", "#6bb38a"),
    ("newly labelled", "#b5d99c"),
    ("changed", "#e08a5a"),
    ("unclassified", "#c9c9c9"),
    ("kept input label", KEPT_INPUT),
];

/// The per-rank bars.
#[component]
pub fn RankBars(
    /// The run to draw.
    result: Arc<Shown>,
) -> impl IntoView {
    let counts = result.summary.rank_counts;
    let left = 70.0;
    let bar_h = 22.0;
    let rows = counts
        .iter()
        .enumerate()
        .map(|(r, c)| {
            let vals = [
                c.confirmed,
                c.deepened,
                c.newly_labelled,
                c.changed,
                c.unclassified,
                c.kept_input,
            ];
            let total = vals.iter().sum::<u64>().max(1) as f64;
            let y = 10.0 + r as f64 * (bar_h + 6.0);
            let mut x = left;
            let segs = vals
                .iter()
                .zip(KINDS)
                .map(|(&v, (kind, fill))| {
                    let w = (W - left - 10.0) * v as f64 / total;
                    let x0 = x;
                    x += w;
                    let title = format!(
                        "{}: {v} contigs {kind} ({:.1}%)",
                        RANKS[r],
                        100.0 * v as f64 / total
                    );
                    view! {
                        <rect x=x0 y=y width=w height=bar_h fill=fill>
                            <title>{title}</title>
                        </rect>
                    }
                })
                .collect_view();
            view! {
                <text x=left - 6.0 y=y + 15.0 font-size="11" text-anchor="end">{RANKS[r]}</text>
                {segs}
            }
        })
        .collect_view();
    let legend = KINDS
        .iter()
        .enumerate()
        .map(|(i, (k, fill))| {
            let x = left + (i % LEGEND_COLS) as f64 * 130.0;
            let y = H - 40.0 + (i / LEGEND_COLS) as f64 * 18.0;
            view! {
                <rect x=x y=y width="12" height="12" fill=*fill />
                <text x=x + 16.0 y=y + 10.0 font-size="11">{*k}</text>
            }
        })
        .collect_view();
    view! {
        <ChartFrame title="What the student changed" svg_id="rankbars" caption="Per rank, annotated contigs whose label the student confirmed, deepened (the classifier stopped above the rank), newly labelled (the classifier left the contig unclassified), changed, or left unclassified; and contigs too short for the student whose input label, kept as given, reaches the rank.">
            <svg id="rankbars" width=W height=H viewBox=format!("0 0 {W} {H}") font-family="sans-serif">
                {rows}
                {legend}
            </svg>
        </ChartFrame>
    }
}
