//! Zoomable sunburst of the output taxonomy (Krona-like), by contigs or bp:
//! the student's lineages and the input labels kept for contigs too short
//! for it. Clicking a wedge (or Enter/Space on a focused one) zooms into it
//! and filters the table to its contigs; the centre, Escape or Backspace
//! zoom out. The geometry is in [`super::sunburst_layout`].

use super::charts::ChartFrame;
use super::filters::Filters;
use super::sunburst_layout::{clade_filter, hues, layout, Wedge, HOLE, SIZE};
use crate::client::Shown;
use crate::results::filter::{Next, View};
use crate::results::TreeNode;
use leptos::prelude::*;
use std::sync::Arc;
use wasm_bindgen::JsCast;

/// Moves the keyboard focus to the first wedge once the zoomed drawing is
/// in the page (the focused wedge was replaced by the redraw).
fn focus_first_wedge() {
    request_animation_frame(|| {
        let el = document().query_selector("#sunburst [data-testid=wedge]");
        if let Ok(Some(el)) = el {
            if let Ok(f) = js_sys::Reflect::get(&el, &"focus".into()) {
                if let Some(f) = f.dyn_ref::<js_sys::Function>() {
                    let _ = f.call0(&el);
                }
            }
        }
    });
}

/// A name cut to `max` characters.
fn short(name: &str, max: usize) -> String {
    if name.chars().count() > max {
        name.chars().take(max - 1).chain(['…']).collect()
    } else {
        name.to_string()
    }
}

/// One wedge: a focusable button (Enter/Space: `activate`) and its label;
/// hovering or focusing it shows its tooltip (`tip`).
fn wedge_view(
    w: &Wedge,
    hit: bool,
    activate: impl Fn(&Wedge) + Clone + 'static,
    tip: RwSignal<Option<Wedge>>,
) -> impl IntoView {
    let label = w.label.clone().map(|(x, y, deg, t)| {
        let turn = format!("rotate({deg:.1} {x:.1} {y:.1})");
        view! {
            <text x=x y=y transform=turn text-anchor="middle" dominant-baseline="central" font-size="9" fill=w.ink pointer-events="none">{t}</text>
        }
    });
    let (wc, wk, wh, wf) = (w.clone(), w.clone(), w.clone(), w.clone());
    let act_key = activate.clone();
    view! {
        <path
            d=w.path.clone()
            fill=w.fill.clone()
            stroke="#fff"
            stroke-width="0.7"
            class="sector"
            class:hit=hit
            data-testid="wedge"
            data-taxon=w.name.clone()
            data-ring=w.ring
            data-rank=w.rank
            data-contigs=w.contigs
            data-bp=w.bp
            tabindex="0"
            role="button"
            aria-label=w.describe()
            on:click=move |_| activate(&wc)
            on:keydown=move |ev| {
                if ev.key() == "Enter" || ev.key() == " " {
                    ev.prevent_default();
                    ev.stop_propagation();
                    act_key(&wk);
                    focus_first_wedge();
                }
            }
            on:mouseenter=move |_| tip.set(Some(wh.clone()))
            on:focus=move |_| tip.set(Some(wf.clone()))
            on:mouseleave=move |_| tip.set(None)
            on:blur=move |_| tip.set(None)
        />
        {label}
    }
}

/// The tooltip of a wedge: contigs, bp, share and the student's mean score.
fn tooltip_view(w: Wedge) -> impl IntoView {
    let style = format!(
        "left:{:.1}%;top:{:.1}%",
        100.0 * w.centre.0 / SIZE,
        100.0 * w.centre.1 / SIZE
    );
    let score = w
        .mean_score
        .map_or("no score (input labels kept)".to_string(), |s| {
            format!("{s:.2}")
        });
    view! {
        <div class="sb-tip" style=style data-testid="sunburst-tooltip" aria-hidden="true">
            <strong>{w.name.clone()}</strong>
            <span class="sb-tip-rank">{format!(" ({})", w.rank)}</span>
            <br />
            {format!("{} contigs · {} bp · {:.1}%", w.contigs, w.bp, w.share)}
            <br />
            {format!("mean score: {score}")}
        </div>
    }
}

/// The sunburst view.
#[component]
pub fn Sunburst(
    /// The run to draw.
    result: Arc<Shown>,
) -> impl IntoView {
    let filters = expect_context::<Filters>();
    let tree: Arc<Vec<TreeNode>> = Arc::new(result.summary.tree.clone());
    let hue = Arc::new(hues(&tree));
    let focus = RwSignal::new(0usize);
    let by_bp = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    // the wedge under the pointer or the keyboard focus
    let tip = RwSignal::new(None::<Wedge>);
    let (t2, h2) = (tree.clone(), hue.clone());
    let wedges = Memo::new(move |_| Arc::new(layout(&t2, &h2, focus.get(), by_bp.get())));
    // zooming to `v` filters the table to its clade (the root: no filter)
    let (t3, r3) = (tree.clone(), result.clone());
    let zoom_to = move |v: usize| {
        focus.set(v);
        tip.set(None);
        match (v, clade_filter(&t3, &r3.table, v, Next::Any)) {
            (0, _) | (_, None) => filters.clear(View::Sunburst),
            (_, Some(f)) => filters.set(f),
        }
    };
    let (t4, r4, z4) = (tree.clone(), result.clone(), zoom_to.clone());
    let activate = move |w: &Wedge| match w.zooms(&t4) {
        Some(v) => z4(v),
        None => {
            if let Some(f) = w.filter(&t4, &r4.table) {
                filters.set(f);
            }
        }
    };
    let (t5, z5) = (tree.clone(), zoom_to.clone());
    let zoom_out = move || match t5[focus.get_untracked()].parent {
        Some(p) => z5(p),
        None => filters.clear(View::Sunburst),
    };
    // clearing the chip zooms back out to the root
    Effect::new(move |_| {
        if filters.of(View::Sunburst).is_none() && focus.get_untracked() != 0 {
            focus.set(0);
        }
    });
    let t6 = tree.clone();
    let centre = move || {
        let f = focus.get();
        if f == 0 {
            "all".to_string()
        } else {
            short(&t6[f].name, 12)
        }
    };
    // the focused node's lineage, each name a way back up
    let t7 = tree.clone();
    let zoom_crumb = zoom_to.clone();
    let crumbs = move || {
        let mut path = Vec::new();
        let mut v = Some(focus.get());
        while let Some(x) = v {
            path.push(x);
            v = t7[x].parent;
        }
        path.reverse();
        path.into_iter()
            .map(|x| {
                let name = if x == 0 { "all".to_string() } else { t7[x].name.clone() };
                let sep = if x == 0 { "" } else { " › " };
                let z = zoom_crumb.clone();
                view! { {sep}<a href="#" on:click=move |ev| { ev.prevent_default(); z(x); }>{name}</a> }
            })
            .collect_view()
    };
    let hits = move || {
        let q = query.get().trim().to_lowercase();
        if q.is_empty() {
            return String::new();
        }
        let n = wedges
            .get()
            .iter()
            .filter(|w| w.name.to_lowercase().contains(&q))
            .count();
        format!("{n} matching")
    };
    let draw = move || {
        let q = query.get().trim().to_lowercase();
        wedges
            .get()
            .iter()
            .map(|w| {
                let hit = !q.is_empty() && w.name.to_lowercase().contains(&q);
                wedge_view(w, hit, activate.clone(), tip)
            })
            .collect_view()
    };
    let tooltip = move || tip.get().map(tooltip_view);
    let key_out = zoom_out.clone();
    view! {
        <ChartFrame title="Output taxonomy" svg_id="sunburst" caption="The lineages of the output (the student's, and the input labels kept for contigs too short for it); each ring is one rank, largest taxa first. Click a wedge (or Enter) to zoom in and list its contigs in the table; the centre, Escape or Backspace zoom out. Grey: contigs whose lineage stops above the ring; [other]: taxa too small to draw.">
            <div class="controls">
                <label><input type="radio" name="sb-weight" checked=move || !by_bp.get() on:change=move |_| by_bp.set(false) />"by contigs"</label>
                <label><input type="radio" name="sb-weight" checked=move || by_bp.get() on:change=move |_| by_bp.set(true) />"by bp"</label>
                <input
                    type="search"
                    class="sb-search"
                    placeholder="find a taxon…"
                    aria-label="Find a taxon in the sunburst"
                    data-testid="sunburst-search"
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
                <span class="count" data-testid="sunburst-hits">{hits}</span>
            </div>
            <nav class="crumbs" aria-label="Sunburst zoom path" data-testid="breadcrumb">{crumbs}</nav>
            <div class="sb-wrap">
                <svg
                    id="sunburst"
                    role="group"
                    aria-label="Sunburst of the refined taxonomy"
                    width=SIZE
                    height=SIZE
                    viewBox=format!("0 0 {SIZE} {SIZE}")
                    font-family="sans-serif"
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" || ev.key() == "Backspace" {
                            ev.prevent_default();
                            key_out();
                            focus_first_wedge();
                        }
                    }
                >
                    {draw}
                    <circle cx=SIZE / 2.0 cy=SIZE / 2.0 r=HOLE fill="#f4f4f4" class="centre" data-testid="sunburst-centre" on:click=move |_| zoom_out()>
                        <title>"zoom out"</title>
                    </circle>
                    <text x=SIZE / 2.0 y=SIZE / 2.0 + 4.0 text-anchor="middle" font-size="10" pointer-events="none">
                        {centre}
                    </text>
                </svg>
                {tooltip}
            </div>
        </ChartFrame>
    }
}
