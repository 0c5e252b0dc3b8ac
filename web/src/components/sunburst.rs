//! Zoomable sunburst of the output taxonomy (Krona-like), by contigs or bp:
//! the student's lineages and the input labels kept for contigs too short
//! for it. Clicking a wedge (or Enter/Space on a focused one) zooms into it
//! and filters the table to its contigs; the centre, Escape or Backspace
//! zoom out. The geometry is in [`super::sunburst_layout`].

use super::charts::{on_activate_keys, ChartFrame};
use super::charts::{KEPT_INPUT, UNASSIGNED};
use super::filters::Filters;
use super::sunburst_layout::{
    clade_filter, hues, hues_like, layout, Colouring, Wedge, HOLE, OTHER_FILL, SCORE_SCALE, SIZE,
};
use crate::client::Shown;
use crate::results::filter::{Next, View};
use crate::results::{input_tree, TreeNode};
use leptos::prelude::*;
use std::sync::{Arc, OnceLock};
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
            data-score=w.mean_score.map(|s| format!("{s:.6}"))
            tabindex="0"
            role="button"
            aria-label=w.describe()
            on:click=move |_| activate(&wc)
            on:keydown=move |ev| {
                if on_activate_keys(&ev) {
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
        100.0 * w.centre.1 / (SIZE + LEGEND_H)
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

/// Height of the legend under the circle (in the drawing, so that the
/// exported SVG carries it).
const LEGEND_H: f64 = 58.0;

/// One tree the sunburst can draw, with its hues.
struct Drawn {
    tree: Vec<TreeNode>,
    hue: Vec<f64>,
}

/// The legend: what is drawn (labels, weight, zoom path) and what the
/// colours mean.
fn legend_view(input: bool, by_bp: bool, colouring: Colouring, path: String) -> impl IntoView {
    let what = format!(
        "{} · by {} · {path}",
        if input {
            "input labels (as given)"
        } else {
            "refined labels (output)"
        },
        if by_bp { "bp" } else { "contigs" }
    );
    let y0 = SIZE + 18.0;
    let swatch = |i: usize, fill: &'static str, text: String| {
        let x = 8.0 + (i % 4) as f64 * 108.0;
        let y = y0 + 8.0 + (i / 4) as f64 * 16.0;
        view! {
            <rect x=x y=y width="11" height="11" fill=fill stroke="#8a949e" stroke-width="0.5" />
            <text x=x + 15.0 y=y + 9.5 font-size="10">{text}</text>
        }
    };
    let mut items: Vec<(&'static str, String)> = Vec::new();
    match colouring {
        Colouring::Taxon => {
            items.push((OTHER_FILL, "[other]: too thin".into()));
        }
        Colouring::Score => {
            for (k, (least, fill, _)) in SCORE_SCALE.iter().enumerate() {
                let text = match SCORE_SCALE.get(k + 1) {
                    Some((next, _, _)) => format!("score {least:.2}–{next:.2}"),
                    None => format!("score ≥ {least:.2}"),
                };
                items.push((fill, text));
            }
            items.push((KEPT_INPUT, "no score: input kept".into()));
        }
    }
    items.push((UNASSIGNED, "unassigned".into()));
    let colours = match colouring {
        Colouring::Taxon => "colour: taxon (hue), rank (lighter outward)",
        Colouring::Score => "colour: the student's mean score at the wedge's rank",
    };
    view! {
        <g data-testid="sunburst-legend" class="legend">
            <text x="8" y=SIZE + 4.0 font-size="11" font-weight="bold">{what}</text>
            <text x="8" y=SIZE + 17.0 font-size="10">{colours}</text>
            {items
                .into_iter()
                .enumerate()
                .map(|(i, (fill, text))| swatch(i, fill, text))
                .collect_view()}
        </g>
    }
}

/// The trees the sunburst can draw: the refined one, and the input labels'
/// one, built on the page the first time it is shown.
#[derive(Clone)]
struct Trees {
    refined: Arc<Drawn>,
    input: Arc<OnceLock<Arc<Drawn>>>,
    result: Arc<Shown>,
}

impl Trees {
    fn new(result: Arc<Shown>) -> Trees {
        let tree = result.summary.tree.clone();
        let hue = hues(&tree);
        Trees {
            refined: Arc::new(Drawn { tree, hue }),
            input: Arc::new(OnceLock::new()),
            result,
        }
    }

    /// The input labels' tree (`input`) or the refined one.
    fn drawn(&self, input: bool) -> Arc<Drawn> {
        if !input {
            return self.refined.clone();
        }
        self.input
            .get_or_init(|| {
                let tree = input_tree(&self.result.table);
                let hue = hues_like(&tree, &self.refined.tree, &self.refined.hue);
                Arc::new(Drawn { tree, hue })
            })
            .clone()
    }
}

/// The sunburst's state: which tree, the zoom, the weight, the colouring,
/// the search and the tooltip's wedge.
#[derive(Clone, Copy)]
struct State {
    filters: Filters,
    /// The input labels' tree, not the refined one.
    input: RwSignal<bool>,
    /// The node zoomed into (0: the root).
    focus: RwSignal<usize>,
    by_bp: RwSignal<bool>,
    by_score: RwSignal<bool>,
    query: RwSignal<String>,
    /// The wedge under the pointer or the keyboard focus.
    tip: RwSignal<Option<Wedge>>,
}

impl State {
    fn colouring(self) -> Colouring {
        if self.by_score.get() && !self.input.get() {
            Colouring::Score
        } else {
            Colouring::Taxon
        }
    }

    /// Zooms to `v`, filtering the table to its clade (the root: no filter).
    fn zoom_to(self, trees: &Trees, v: usize) {
        self.focus.set(v);
        self.tip.set(None);
        let inp = self.input.get_untracked();
        let filter = clade_filter(
            &trees.drawn(inp).tree,
            &trees.result.table,
            v,
            Next::Any,
            inp,
        );
        match (v, filter) {
            (0, _) | (_, None) => self.filters.clear(View::Sunburst),
            (_, Some(f)) => self.filters.set(f),
        }
    }

    /// A wedge clicked: zooms into it, or filters the table to its contigs.
    fn activate(self, trees: &Trees, w: &Wedge) {
        let inp = self.input.get_untracked();
        let d = trees.drawn(inp);
        match w.zooms(&d.tree) {
            Some(v) => self.zoom_to(trees, v),
            None => {
                if let Some(f) = w.filter(&d.tree, &trees.result.table, inp) {
                    self.filters.set(f);
                }
            }
        }
    }

    fn zoom_out(self, trees: &Trees) {
        match trees.drawn(self.input.get_untracked()).tree[self.focus.get_untracked()].parent {
            Some(p) => self.zoom_to(trees, p),
            None => self.filters.clear(View::Sunburst),
        }
    }

    /// The other tree: back to its root, without the old tree's filter.
    fn show_input(self, v: bool) {
        if self.input.get_untracked() != v {
            self.focus.set(0);
            self.tip.set(None);
            self.filters.clear(View::Sunburst);
            self.input.set(v);
        }
    }

    /// The name in the centre: the focused node's.
    fn centre(self, trees: &Trees) -> String {
        let f = self.focus.get();
        if f == 0 {
            "all".to_string()
        } else {
            short(&trees.drawn(self.input.get()).tree[f].name, 12)
        }
    }

    /// The focused node's lineage.
    fn path(self, trees: &Trees) -> Vec<(usize, String)> {
        let d = trees.drawn(self.input.get());
        let mut path = Vec::new();
        let mut v = Some(self.focus.get());
        while let Some(x) = v {
            let name = if x == 0 {
                "all".to_string()
            } else {
                d.tree[x].name.clone()
            };
            path.push((x, name));
            v = d.tree[x].parent;
        }
        path.reverse();
        path
    }
}

/// The controls: which labels, the weight, the colouring and the search.
fn controls_view(st: State, wedges: Memo<Arc<Vec<Wedge>>>) -> impl IntoView {
    let State {
        input,
        by_bp,
        by_score,
        query,
        ..
    } = st;
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
    view! {
        <div class="controls">
            <fieldset class="inline">
                <legend>"Labels"</legend>
                <label><input type="radio" name="sb-labels" data-testid="sunburst-refined" checked=move || !input.get() on:change=move |_| st.show_input(false) />"refined"</label>
                <label><input type="radio" name="sb-labels" data-testid="sunburst-input" checked=move || input.get() on:change=move |_| st.show_input(true) />"input"</label>
            </fieldset>
            <fieldset class="inline">
                <legend>"Size"</legend>
                <label><input type="radio" name="sb-weight" checked=move || !by_bp.get() on:change=move |_| by_bp.set(false) />"by contigs"</label>
                <label><input type="radio" name="sb-weight" checked=move || by_bp.get() on:change=move |_| by_bp.set(true) />"by bp"</label>
            </fieldset>
            <fieldset class="inline">
                <legend>"Colour"</legend>
                <label><input type="radio" name="sb-colour" data-testid="sunburst-colour-taxon" checked=move || !by_score.get() || input.get() on:change=move |_| by_score.set(false) />"by taxon"</label>
                <label><input type="radio" name="sb-colour" data-testid="sunburst-colour-score" checked=move || by_score.get() && !input.get() disabled=move || input.get() on:change=move |_| by_score.set(true) />"by mean score"</label>
            </fieldset>
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
    }
}

/// The zoom path, each name a way back up.
fn crumbs_view(st: State, trees: Trees) -> impl IntoView {
    let crumbs = move || {
        st.path(&trees)
            .into_iter()
            .map(|(x, name)| {
                let sep = if x == 0 { "" } else { " › " };
                let t = trees.clone();
                view! { {sep}<a href="#" on:click=move |ev| { ev.prevent_default(); st.zoom_to(&t, x); }>{name}</a> }
            })
            .collect_view()
    };
    view! { <nav class="crumbs" aria-label="Sunburst zoom path" data-testid="breadcrumb">{crumbs}</nav> }
}

/// The drawing: the wedges, the centre (zoom out) and the legend.
fn svg_view(st: State, trees: Trees, wedges: Memo<Arc<Vec<Wedge>>>) -> impl IntoView {
    let State {
        input,
        by_bp,
        query,
        tip,
        ..
    } = st;
    let t1 = trees.clone();
    let activate = move |w: &Wedge| st.activate(&t1, w);
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
    let t2 = trees.clone();
    let legend = move || {
        let path: Vec<String> = st.path(&t2).into_iter().map(|(_, n)| n).collect();
        legend_view(input.get(), by_bp.get(), st.colouring(), path.join(" › "))
    };
    let (t3, t4, t5) = (trees.clone(), trees.clone(), trees);
    let height = SIZE + LEGEND_H;
    view! {
        <svg
            id="sunburst"
            role="group"
            aria-label=move || if input.get() { "Sunburst of the input labels" } else { "Sunburst of the refined taxonomy" }
            data-export-subtitle=move || format!("ranks domain … species from the centre out · {}", if input.get() { "input labels" } else { "refined labels" })
            width=SIZE
            height=height
            viewBox=format!("0 0 {SIZE} {height}")
            font-family="sans-serif"
            on:keydown=move |ev| {
                if ev.key() == "Escape" || ev.key() == "Backspace" {
                    ev.prevent_default();
                    st.zoom_out(&t3);
                    focus_first_wedge();
                }
            }
        >
            {draw}
            <circle cx=SIZE / 2.0 cy=SIZE / 2.0 r=HOLE fill="#f4f4f4" class="centre" data-testid="sunburst-centre" on:click=move |_| st.zoom_out(&t4)>
                <title>"zoom out"</title>
            </circle>
            <text x=SIZE / 2.0 y=SIZE / 2.0 + 4.0 text-anchor="middle" font-size="10" pointer-events="none">
                {move || st.centre(&t5)}
            </text>
            {legend}
        </svg>
    }
}

/// The sunburst view.
#[component]
pub fn Sunburst(
    /// The run to draw.
    result: Arc<Shown>,
) -> impl IntoView {
    let trees = Trees::new(result);
    let st = State {
        filters: expect_context::<Filters>(),
        input: RwSignal::new(false),
        focus: RwSignal::new(0usize),
        by_bp: RwSignal::new(false),
        by_score: RwSignal::new(false),
        query: RwSignal::new(String::new()),
        tip: RwSignal::new(None::<Wedge>),
    };
    let t = trees.clone();
    let wedges = Memo::new(move |_| {
        let d = t.drawn(st.input.get());
        Arc::new(layout(
            &d.tree,
            &d.hue,
            st.focus.get(),
            st.by_bp.get(),
            st.colouring(),
        ))
    });
    // clearing the chip zooms back out to the root
    Effect::new(move |_| {
        if st.filters.of(View::Sunburst).is_none() && st.focus.get_untracked() != 0 {
            st.focus.set(0);
        }
    });
    let tooltip = move || st.tip.get().map(tooltip_view);
    view! {
        <ChartFrame title="Output taxonomy" svg_id="sunburst" caption="The lineages of the output (the student's, and the input labels kept for contigs too short for it), or of the input labels as given; each ring is one rank, largest taxa first. Click a wedge (or Enter) to zoom in and list its contigs in the table; the centre, Escape or Backspace zoom out. Grey: contigs whose lineage stops above the ring; [other]: taxa too small to draw. Colour by taxon, or by the student's mean score (the output only).">
            {controls_view(st, wedges)}
            {crumbs_view(st, trees.clone())}
            <div class="sb-wrap">
                {svg_view(st, trees, wedges)}
                {tooltip}
            </div>
        </ChartFrame>
    }
}
