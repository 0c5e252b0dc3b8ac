//! Zoomable sunburst of the predicted taxonomy (Krona-like), by contigs or bp.

use super::charts::{arc_path, color, ChartFrame};
use crate::results::{prediction_tree, RunResult, TreeNode, RANKS};
use leptos::prelude::*;
use std::sync::Arc;

/// Rings drawn below the focused node.
const RINGS: usize = 4;
const SIZE: f64 = 420.0;

struct Arc2 {
    node: usize,
    path: String,
    fill: String,
    title: String,
    /// Label position and text, for sectors wide enough to hold one.
    label: Option<(f64, f64, String)>,
}

fn layout(tree: &[TreeNode], focus: usize, by_bp: bool) -> Vec<Arc2> {
    let w = |n: usize| {
        if by_bp {
            tree[n].bp as f64
        } else {
            tree[n].contigs as f64
        }
    };
    let mut out = Vec::new();
    let total = w(focus).max(1.0);
    let c = SIZE / 2.0;
    let ring = (c - 40.0) / RINGS as f64;
    // (node, a0, a1, ring index)
    let mut stack = vec![(focus, 0.0f64, std::f64::consts::TAU, 0usize)];
    while let Some((v, a0, a1, depth)) = stack.pop() {
        if depth > 0 {
            let n = &tree[v];
            let rank = RANKS.get(n.depth.saturating_sub(1)).copied().unwrap_or("");
            let share = 100.0 * w(v) / total;
            let (r0, r1) = (
                40.0 + ring * (depth - 1) as f64,
                40.0 + ring * depth as f64 - 1.0,
            );
            let rm = (r0 + r1) / 2.0;
            let room = ((a1 - a0) * rm).min(ring * 1.6);
            let label = (room > 28.0).then(|| {
                let am = (a0 + a1) / 2.0;
                let max = (room / 5.5) as usize;
                let text: String = if n.name.chars().count() > max {
                    n.name
                        .chars()
                        .take(max.saturating_sub(1))
                        .chain(['…'])
                        .collect()
                } else {
                    n.name.clone()
                };
                (c + rm * am.sin(), c - rm * am.cos() + 3.0, text)
            });
            out.push(Arc2 {
                node: v,
                label,
                path: arc_path(c, c, r0, r1, a0, a1),
                fill: color(&n.name),
                title: format!(
                    "{} ({rank}): {} contigs, {} bp, {share:.1}%",
                    n.name, n.contigs, n.bp
                ),
            });
        }
        if depth == RINGS {
            continue;
        }
        let mut a = a0;
        for &ch in &tree[v].children {
            let span = (a1 - a0) * w(ch) / w(v).max(1.0);
            if span > 0.004 {
                stack.push((ch, a, a + span, depth + 1));
            }
            a += span;
        }
    }
    out
}

/// The sunburst view; click a sector to zoom in, the centre to zoom out.
#[component]
pub fn Sunburst(
    /// The run to draw.
    result: Arc<RunResult>,
) -> impl IntoView {
    let tree = Arc::new(prediction_tree(&result.rows));
    let focus = RwSignal::new(0usize);
    let by_bp = RwSignal::new(false);
    let t2 = tree.clone();
    let arcs = move || layout(&t2, focus.get(), by_bp.get());
    let t3 = tree.clone();
    let centre = move || {
        let f = focus.get();
        let n = &t3[f];
        if f == 0 {
            "all annotated".to_string()
        } else {
            n.name.clone()
        }
    };
    let t4 = tree.clone();
    let up = move |_| {
        if let Some(p) = t4[focus.get_untracked()].parent {
            focus.set(p);
        }
    };
    view! {
        <ChartFrame title="Annotated taxonomy" svg_id="sunburst" caption="Each ring is one rank; click a sector to zoom in, the centre to zoom out.">
            <div class="controls">
                <label><input type="radio" name="sb-weight" checked=move || !by_bp.get() on:change=move |_| by_bp.set(false) />"by contigs"</label>
                <label><input type="radio" name="sb-weight" checked=move || by_bp.get() on:change=move |_| by_bp.set(true) />"by bp"</label>
            </div>
            <svg id="sunburst" width=SIZE height=SIZE viewBox=format!("0 0 {SIZE} {SIZE}") font-family="sans-serif">
                {move || {
                    arcs()
                        .into_iter()
                        .map(|a| {
                            let node = a.node;
                            let label = a.label.map(|(x, y, t)| {
                                view! {
                                    <text x=x y=y text-anchor="middle" font-size="9" fill="#fff" pointer-events="none">{t}</text>
                                }
                            });
                            view! {
                                <path d=a.path fill=a.fill stroke="#fff" stroke-width="0.7" class="sector" on:click=move |_| focus.set(node)>
                                    <title>{a.title}</title>
                                </path>
                                {label}
                            }
                        })
                        .collect_view()
                }}
                <circle cx=SIZE / 2.0 cy=SIZE / 2.0 r="38" fill="#f4f4f4" class="centre" on:click=up />
                <text x=SIZE / 2.0 y=SIZE / 2.0 + 4.0 text-anchor="middle" font-size="11" pointer-events="none">
                    {centre}
                </text>
            </svg>
        </ChartFrame>
    }
}
