//! Shared pieces of the charts: a frame with SVG/PNG export, colours, arcs.

use crate::download;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use taxdistill_core::openset::Change;

/// Colour of the input labels kept for contigs too short for the student
/// (the rank bars, the Sankey; style.css's `src-input` badge matches it).
pub const KEPT_INPUT: &str = "#9d8ac7";
/// Colour of the contigs in no change category at a rank (no taxon there in
/// the input label or the output).
pub const UNASSIGNED: &str = "#d4d4d4";

/// The layout the horizontal stacked-bar charts share (rank bars and
/// per-sample composition): width, bar height and gap, legend entries per
/// row and the height of a legend row.
pub mod bars {
    pub const W: f64 = 520.0;
    pub const BAR_H: f64 = 22.0;
    pub const BAR_GAP: f64 = 6.0;
    pub const LEGEND_COLS: usize = 3;
    pub const LEGEND_ROW_H: f64 = 18.0;
}

/// Colour of a change category, in the rank bars and the Sankey's bands.
pub fn change_color(c: Change) -> &'static str {
    match c {
        Change::Confirmed => "#5b8bb8",
        Change::Changed => "#e08a5a",
        Change::Removed => "#c25b6e",
        Change::Deepened => "#6bb38a",
        Change::NewlyLabelled => "#b5d99c",
        Change::LeftNovel => "#d9b84a",
        Change::KeptInput => KEPT_INPUT,
    }
}

/// A change category in words: its `summary.tsv` column, spaced.
pub fn change_words(c: Change) -> String {
    c.name().replace('_', " ")
}

/// A stable colour for a taxon name.
pub fn color(name: &str) -> String {
    let mut h: u32 = 2166136261;
    for b in name.bytes() {
        h = (h ^ b as u32).wrapping_mul(16777619);
    }
    format!("hsl({}, 55%, {}%)", h % 360, 52 + (h / 360) % 16)
}

/// Whether a key press activates the focused chart element (Enter or
/// Space, as a button); if so, its default (Space scrolling the page) is
/// prevented.
pub fn on_activate_keys(ev: &KeyboardEvent) -> bool {
    if ev.key() == "Enter" || ev.key() == " " {
        ev.prevent_default();
        true
    } else {
        false
    }
}

/// A chart card: title, the chart's `<svg id=…>` (given as children), and
/// SVG/PNG download buttons.
#[component]
pub fn ChartFrame(
    /// Heading.
    title: &'static str,
    /// Id of the chart's `<svg>` (also the export file stem).
    svg_id: &'static str,
    /// One sentence under the heading.
    caption: &'static str,
    /// Controls and the `<svg>` itself.
    children: Children,
) -> impl IntoView {
    let err = RwSignal::new(String::new());
    let save = move |png: bool| {
        let r = if png {
            download::save_png(svg_id, title, &format!("{svg_id}.png"))
        } else {
            download::save_svg(svg_id, title, &format!("{svg_id}.svg"))
        };
        err.set(r.err().map(|e| e.to_string()).unwrap_or_default());
    };
    view! {
        <div class="chart" data-testid=format!("view-{svg_id}")>
            <div class="chart-head">
                <h2>{title}</h2>
                <span class="chart-exports">
                    <button on:click=move |_| save(false) data-testid=format!("export-{svg_id}-svg")>"SVG"</button>
                    <button on:click=move |_| save(true) data-testid=format!("export-{svg_id}-png")>"PNG"</button>
                </span>
            </div>
            <p class="caption">{caption}</p>
            {children()}
            <Show when=move || !err.get().is_empty()>
                <p class="error">{move || err.get()}</p>
            </Show>
        </div>
    }
}

/// SVG path of an annular sector (angles in radians, 0 = 12 o'clock, clockwise).
pub fn arc_path(cx: f64, cy: f64, r0: f64, r1: f64, a0: f64, a1: f64) -> String {
    let full = a1 - a0 >= std::f64::consts::TAU - 1e-6;
    let (a0, a1) = if full {
        (0.0, std::f64::consts::TAU - 1e-4)
    } else {
        (a0, a1)
    };
    let p = |r: f64, a: f64| (cx + r * a.sin(), cy - r * a.cos());
    let large = if a1 - a0 > std::f64::consts::PI { 1 } else { 0 };
    let (x0, y0) = p(r1, a0);
    let (x1, y1) = p(r1, a1);
    let (x2, y2) = p(r0, a1);
    let (x3, y3) = p(r0, a0);
    format!(
        "M{x0:.2},{y0:.2}A{r1:.2},{r1:.2} 0 {large} 1 {x1:.2},{y1:.2}L{x2:.2},{y2:.2}A{r0:.2},{r0:.2} 0 {large} 0 {x3:.2},{y3:.2}Z"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_stable_per_name() {
        assert_eq!(color("Bacteria"), color("Bacteria"));
        assert_ne!(color("Bacteria"), color("Archaea"));
    }

    #[test]
    fn a_quarter_arc_starts_at_twelve_o_clock() {
        let p = arc_path(0.0, 0.0, 1.0, 2.0, 0.0, std::f64::consts::FRAC_PI_2);
        assert!(p.starts_with("M0.00,-2.00A2.00,2.00 0 0 1 2.00,"), "{p}");
    }
}
