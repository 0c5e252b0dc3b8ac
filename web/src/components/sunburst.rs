//! Zoomable sunburst of the output taxonomy (Krona-like), by contigs or bp:
//! the student's lineages and the input labels kept for contigs too short
//! for it.

use super::charts::{arc_path, ChartFrame};
use crate::client::Shown;
use crate::results::{TreeNode, RANKS};
use leptos::prelude::*;
use std::sync::Arc;

/// Rings drawn below the focused node (every rank from the root).
const RINGS: usize = 7;
const SIZE: f64 = 440.0;
/// Radius of the centre disc (click: zoom out).
const HOLE: f64 = 34.0;

/// Krona-like colours: the hue follows a node's place around the full
/// circle (so neighbours differ and a clade's members look alike), the
/// lightness its depth. Computed once on the unzoomed tree, so colours stay
/// put while zooming.
fn hues(tree: &[TreeNode]) -> Vec<f64> {
    let mut hue = vec![0.0; tree.len()];
    let mut stack = vec![(0usize, 0.0f64, 1.0f64)];
    while let Some((v, a0, a1)) = stack.pop() {
        hue[v] = 360.0 * (a0 + a1) / 2.0;
        let total = tree[v].contigs.max(1) as f64;
        let mut a = a0;
        for &c in &tree[v].children {
            let span = (a1 - a0) * tree[c].contigs as f64 / total;
            stack.push((c, a, a + span));
            a += span;
        }
    }
    hue
}

fn fill(hue: f64, depth: usize) -> (String, &'static str) {
    let light = 40.0 + 5.0 * depth as f64;
    let text = if light < 58.0 { "#fff" } else { "#1d2733" };
    (format!("hsl({hue:.0}, 58%, {light:.0}%)"), text)
}

struct Arc2 {
    node: usize,
    path: String,
    fill: String,
    title: String,
    /// Label colour.
    ink: &'static str,
    /// Label position, rotation (degrees: along the arc, kept upright) and
    /// text, for sectors long enough to hold one.
    label: Option<(f64, f64, f64, String)>,
}

fn layout(tree: &[TreeNode], hue: &[f64], focus: usize, by_bp: bool) -> Vec<Arc2> {
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
    let ring = (c - HOLE - 6.0) / RINGS as f64;
    // (node, a0, a1, ring index)
    let mut stack = vec![(focus, 0.0f64, std::f64::consts::TAU, 0usize)];
    while let Some((v, a0, a1, depth)) = stack.pop() {
        if depth > 0 {
            let n = &tree[v];
            let rank = RANKS.get(n.depth.saturating_sub(1)).copied().unwrap_or("");
            let share = 100.0 * w(v) / total;
            let (r0, r1) = (
                HOLE + 2.0 + ring * (depth - 1) as f64,
                HOLE + 2.0 + ring * depth as f64 - 1.0,
            );
            let rm = (r0 + r1) / 2.0;
            // labels follow the arc: its length at mid-radius must hold them
            let room = (a1 - a0) * rm - 6.0;
            let label = (room > 24.0).then(|| {
                let am = (a0 + a1) / 2.0;
                let max = (room / 5.2) as usize;
                let text: String = if n.name.chars().count() > max {
                    n.name
                        .chars()
                        .take(max.saturating_sub(1))
                        .chain(['…'])
                        .collect()
                } else {
                    n.name.clone()
                };
                let deg = am.to_degrees();
                let deg = if deg > 90.0 && deg < 270.0 {
                    deg - 180.0
                } else {
                    deg
                };
                (c + rm * am.sin(), c - rm * am.cos(), deg, text)
            });
            let (fill, ink) = fill(hue[v], n.depth);
            out.push(Arc2 {
                node: v,
                label,
                ink,
                path: arc_path(c, c, r0, r1, a0, a1),
                fill,
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
    result: Arc<Shown>,
) -> impl IntoView {
    let tree = Arc::new(result.summary.tree.clone());
    let hue = Arc::new(hues(&tree));
    let focus = RwSignal::new(0usize);
    let by_bp = RwSignal::new(false);
    let (t2, h2) = (tree.clone(), hue.clone());
    let arcs = move || layout(&t2, &h2, focus.get(), by_bp.get());
    let t3 = tree.clone();
    let centre = move || {
        let f = focus.get();
        if f == 0 {
            "all".to_string()
        } else {
            let n = &t3[f].name;
            if n.chars().count() > 12 {
                n.chars().take(11).chain(['…']).collect()
            } else {
                n.clone()
            }
        }
    };
    let t4 = tree.clone();
    let up = move |_| {
        if let Some(p) = t4[focus.get_untracked()].parent {
            focus.set(p);
        }
    };
    // the focused node's lineage, each name a way back up
    let t5 = tree.clone();
    let crumbs = move || {
        let mut path = Vec::new();
        let mut v = Some(focus.get());
        while let Some(x) = v {
            path.push(x);
            v = t5[x].parent;
        }
        path.reverse();
        path.into_iter()
            .map(|x| {
                let name = if x == 0 { "all".to_string() } else { t5[x].name.clone() };
                let sep = if x == 0 { "" } else { " › " };
                view! { {sep}<a href="#" on:click=move |ev| { ev.prevent_default(); focus.set(x); }>{name}</a> }
            })
            .collect_view()
    };
    view! {
        <ChartFrame title="Output taxonomy" svg_id="sunburst" caption="The lineages of the output (the student's, and the input labels kept for contigs too short for it); each ring is one rank; click a sector to zoom in, the centre to zoom out.">
            <div class="controls">
                <label><input type="radio" name="sb-weight" checked=move || !by_bp.get() on:change=move |_| by_bp.set(false) />"by contigs"</label>
                <label><input type="radio" name="sb-weight" checked=move || by_bp.get() on:change=move |_| by_bp.set(true) />"by bp"</label>
                <span class="crumbs">{crumbs}</span>
            </div>
            <svg id="sunburst" role="img" aria-label="Sunburst of the refined taxonomy" width=SIZE height=SIZE viewBox=format!("0 0 {SIZE} {SIZE}") font-family="sans-serif">
                {move || {
                    arcs()
                        .into_iter()
                        .map(|a| {
                            let node = a.node;
                            let ink = a.ink;
                            let label = a.label.map(|(x, y, deg, t)| {
                                let turn = format!("rotate({deg:.1} {x:.1} {y:.1})");
                                view! {
                                    <text x=x y=y transform=turn text-anchor="middle" dominant-baseline="central" font-size="9" fill=ink pointer-events="none">{t}</text>
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
                <circle cx=SIZE / 2.0 cy=SIZE / 2.0 r=HOLE fill="#f4f4f4" class="centre" on:click=up>
                    <title>"zoom out"</title>
                </circle>
                <text x=SIZE / 2.0 y=SIZE / 2.0 + 4.0 text-anchor="middle" font-size="10" pointer-events="none">
                    {centre}
                </text>
            </svg>
        </ChartFrame>
    }
}
