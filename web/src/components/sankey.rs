//! Sankey of noisy label → refined label at one rank (as the paper's Fig. 5).
//! Contigs too short for the student flow too, keeping their label, in a
//! colour of their own.

use super::charts::{change_color, color, on_activate_keys, ChartFrame, UNASSIGNED};
use super::filters::Filters;
use crate::client::Shown;
use crate::results::filter::{name_index, Cat, Filter};
use crate::results::{OTHER, RANKS, UNCLASSIFIED};
use leptos::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use taxdistill_core::openset::Change;

const W: f64 = 520.0;
const H: f64 = 420.0;
const NODE_W: f64 = 12.0;
const GAP: f64 = 6.0;
const LABEL_W: f64 = 120.0;
/// Least vertical distance between two node labels (px); closer ones are
/// left to the tooltip.
const LABEL_GAP: f64 = 11.0;

/// Colour of the bands between pooled taxa, whose change the nodes do not tell.
const POOLED: &str = "#c9ced4";

/// Node colour: grey for the pooled and the unclassified categories.
fn node_color(name: &str) -> String {
    match name {
        UNCLASSIFIED => "#b9bec5".into(),
        OTHER => "#d5d9de".into(),
        n => color(n),
    }
}

/// Vertical extents (y0, height) of stacked nodes with the given totals.
fn stack(totals: &[u64], scale: f64) -> Vec<(f64, f64)> {
    let mut y = 10.0;
    totals
        .iter()
        .map(|&t| {
            let h = (t as f64 * scale).max(1.0);
            let r = (y, h);
            y += h + GAP;
            r
        })
        .collect()
}

/// One band: `n` contigs from left node `a` to right node `b` (`kept`: too
/// short for the student, their input label kept), from `ya` (left) to `yb`
/// (right), `h` high; clicking it (or Enter/Space) lists its contigs.
fn band_view(
    (left, right): (&[String], &[String]),
    ix: &HashMap<&str, u32>,
    r: usize,
    (a, b, kept, n): (usize, usize, bool, u64),
    (ya, yb, h): (f64, f64, f64),
    filters: Filters,
) -> impl IntoView {
    let (xa, xb) = (LABEL_W + NODE_W, W - LABEL_W);
    let xm = (xa + xb) / 2.0;
    let d = format!(
        "M{xa:.1},{ya:.1}C{xm:.1},{ya:.1} {xm:.1},{yb:.1} {xb:.1},{yb:.1}L{xb:.1},{:.1}C{xm:.1},{:.1} {xm:.1},{:.1} {xa:.1},{:.1}Z",
        yb + h,
        yb + h,
        ya + h,
        ya + h
    );
    // the rank bars' colours, where the nodes tell the category
    // (pooled taxa do not; a band from an unlabelled rank is
    // deepened or newly labelled, which the nodes cannot tell apart)
    let fill = match (left[a].as_str(), right[b].as_str()) {
        (UNCLASSIFIED, UNCLASSIFIED) => UNASSIGNED,
        _ if kept => change_color(Change::KeptInput),
        (OTHER, _) | (_, OTHER) => POOLED,
        (_, UNCLASSIFIED) => change_color(Change::Removed),
        (UNCLASSIFIED, _) => change_color(Change::Deepened),
        (l, r) if l == r => change_color(Change::Confirmed),
        _ => change_color(Change::Changed),
    };
    let how = if kept {
        " (too short for the student: input label kept)"
    } else {
        ""
    };
    let title = format!("{} → {}: {n} contigs{how}", left[a], right[b]);
    // clicking a band lists its contigs in the table
    let filter = Cat::of_side(ix, left, a)
        .zip(Cat::of_side(ix, right, b))
        .map(|(left, right)| Filter::Flow {
            rank: r,
            left,
            right,
            kept,
        });
    let key_filter = filter.clone();
    let aria = title.clone();
    view! {
        <path
            d=d
            fill=fill
            fill-opacity="0.55"
            stroke="none"
            class="band"
            data-testid="sankey-band"
            data-left=left[a].clone()
            data-right=right[b].clone()
            data-kept=kept.to_string()
            data-contigs=n
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
        </path>
    }
}

/// One column of nodes (`names`, stacked as `st`, `totals` contigs) at `x`,
/// labelled on the left of it (`left_side`) or on the right; labels closer
/// than [`LABEL_GAP`] to the one above are left out.
fn nodes_view(
    names: &[String],
    st: &[(f64, f64)],
    totals: &[u64],
    x: f64,
    left_side: bool,
) -> impl IntoView {
    let mut last_label = f64::NEG_INFINITY;
    names
        .iter()
        .zip(st)
        .zip(totals)
        .map(|((n, &(y, h)), t)| {
            let (tx, anchor) = if left_side {
                (x - 4.0, "end")
            } else {
                (x + NODE_W + 4.0, "start")
            };
            let ty = y + h / 2.0 + 4.0;
            let label = (ty - last_label >= LABEL_GAP).then(|| {
                last_label = ty;
                let text: String = if n.chars().count() > 18 {
                    n.chars().take(17).chain(['…']).collect()
                } else {
                    n.clone()
                };
                view! { <text x=tx y=ty text-anchor=anchor font-size="10">{text}</text> }
            });
            view! {
                <rect x=x y=y width=NODE_W height=h fill=node_color(n)>
                    <title>{format!("{n}: {t} contigs")}</title>
                </rect>
                {label}
            }
        })
        .collect_view()
}

/// The drawing at rank `r`: the bands, the nodes either side and their titles.
fn body_view(result: &Shown, r: usize, filters: Filters) -> impl IntoView {
    let f = &result.summary.sankey[r];
    let ix = name_index(&result.table);
    let (left, right) = (&f.left, &f.right);
    // (left, right, kept input label, contigs), stacked in this order
    let mut flows: Vec<(usize, usize, bool, u64)> = f
        .flows
        .iter()
        .map(|&(a, b, n)| (a, b, false, n))
        .chain(f.kept.iter().map(|&(a, b, n)| (a, b, true, n)))
        .collect();
    flows.sort();
    let mut lt = vec![0u64; left.len()];
    let mut rt = vec![0u64; right.len()];
    for &(a, b, _, n) in &flows {
        lt[a] += n;
        rt[b] += n;
    }
    let total: u64 = lt.iter().sum();
    let gaps = GAP * (left.len().max(right.len()) as f64);
    let scale = if total == 0 {
        0.0
    } else {
        (H - 20.0 - gaps) / total as f64
    };
    let ls = stack(&lt, scale);
    let rs = stack(&rt, scale);
    let (x0, x1) = (LABEL_W, W - LABEL_W);
    let mut lo: Vec<f64> = ls.iter().map(|s| s.0).collect();
    let mut ro: Vec<f64> = rs.iter().map(|s| s.0).collect();
    let bands = flows
        .iter()
        .map(|&(a, b, kept, n)| {
            let h = n as f64 * scale;
            let (ya, yb) = (lo[a], ro[b]);
            lo[a] += h;
            ro[b] += h;
            band_view((left, right), &ix, r, (a, b, kept, n), (ya, yb, h), filters)
        })
        .collect_view();
    view! {
        {bands}
        {nodes_view(left, &ls, &lt, x0, true)}
        {nodes_view(right, &rs, &rt, x1, false)}
        <text x=x0 y=H - 2.0 font-size="11" font-weight="bold">"noisy label"</text>
        <text x=x1 y=H - 2.0 font-size="11" font-weight="bold" text-anchor="end">"refined label"</text>
    }
}

/// The bands' colours, for the exported chart.
fn export_legend() -> String {
    [
        (change_color(Change::Confirmed), "confirmed"),
        (change_color(Change::Changed), "changed"),
        (change_color(Change::Removed), "removed"),
        (change_color(Change::Deepened), "deepened / new"),
        (change_color(Change::KeptInput), "input label kept"),
        (POOLED, "pooled taxa"),
        (UNASSIGNED, "unclassified"),
    ]
    .map(|(fill, what)| format!("{fill} {what}"))
    .join(";")
}

/// The Sankey view.
#[component]
pub fn Sankey(
    /// The run to draw.
    result: Arc<Shown>,
    /// Rank index (0 = domain … 6 = species).
    rank: RwSignal<usize>,
) -> impl IntoView {
    let filters = expect_context::<Filters>();
    let body = move || body_view(&result, rank.get(), filters);
    let legend = export_legend();
    view! {
        <ChartFrame title="Noisy → refined" svg_id="sankey" caption="Contigs from their input label to their output label at the chosen rank, coloured as the rank bars: blue confirmed, orange changed, red removed (the student stops above the rank), green deepened or newly labelled; purple contigs too short for the student, which keep their input label; grey no taxon on either side, or between pooled taxa. Click a band to list its contigs in the table.">
            <svg
                id="sankey"
                role="group"
                aria-label="Sankey diagram of noisy labels to refined labels at the chosen rank"
                data-export-subtitle=move || format!("rank: {} · noisy label (left) → refined label (right), band width: contigs", RANKS[rank.get()])
                data-export-legend=legend
                width=W height=H viewBox=format!("0 0 {W} {H}") font-family="sans-serif">
                {body}
            </svg>
        </ChartFrame>
    }
}
