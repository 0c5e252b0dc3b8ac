//! SVG charts of the bench report, drawn with plotters' SVG backend (text
//! stays `<text>`: no font files, no system libraries): grouped bars with
//! error bars, lines with error bars, stacked 100 % bars and a reliability
//! diagram. Every chart is a complete standalone `<svg>` document (with a
//! `<title>`) that also inlines into HTML.
//!
//! Layout: the plot on the left, the legend in a column right of it. Axes
//! carry their ticks exactly where the data are (categories, contig-length
//! bins, the novelty of each scenario), not at round numbers.

use crate::errors::{Error, Result};
use plotters::coord::ranged1d::{
    KeyPointHint, KeyPointWeight, NoDefaultFormatting, Ranged, ValueFormatter,
};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::series::LineSeries as Polyline;
use std::ops::Range;

/// Colour-blind safe palette (Okabe–Ito, then two extra tones).
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x99, 0x99, 0x99),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0x88, 0x22, 0x55),
    RGBColor(0xF0, 0xE4, 0x42),
];

/// Text sizes in px: plotters' SVG backend writes `font-size` as the
/// given size / 1.24 (its points-to-pixels convention), so ask for px × 1.24.
const TEXT: f64 = 12.0 * 1.24;
const CAPTION: f64 = 14.0 * 1.24;
const GRID: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);
const AXIS: RGBColor = RGBColor(0x33, 0x33, 0x33);
const ERROR_BAR: RGBColor = RGBColor(0x22, 0x22, 0x22);
const DIAGONAL: RGBColor = RGBColor(0x88, 0x88, 0x88);
/// Width of the legend column right of the plot, px.
const LEGEND_W: u32 = 230;

/// A value with an optional error half-width (standard deviation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Value {
    pub mean: f64,
    pub sd: Option<f64>,
}

/// One series of a grouped bar chart: a value (or a gap) per category.
#[derive(Debug, Clone, PartialEq)]
pub struct BarSeries {
    pub name: String,
    /// Index into [`PALETTE`] (so a method keeps its colour across plots).
    pub color: usize,
    pub values: Vec<Option<Value>>,
}

/// One line: points `(x, value)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LineSeries {
    pub name: String,
    /// Index into [`PALETTE`].
    pub color: usize,
    pub points: Vec<(f64, Value)>,
}

/// One horizontal bar of a stacked chart: per category, the part that
/// ended right and the part that ended wrong (drawn dark and light).
#[derive(Debug, Clone, PartialEq)]
pub struct StackRow {
    pub name: String,
    pub parts: Vec<(f64, f64)>,
}

/// One curve of a reliability diagram: `(mean confidence, accuracy, count)` per non-empty bin.
#[derive(Debug, Clone, PartialEq)]
pub struct ReliabilityCurve {
    pub name: String,
    /// Index into [`PALETTE`].
    pub color: usize,
    pub points: Vec<(f64, f64, u64)>,
}

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// An axis over `range` with bold ticks (and grid lines) exactly at `ticks`,
/// each with its label; values outside the range are drawn at its ends.
#[derive(Debug, Clone)]
struct Axis {
    range: Range<f64>,
    ticks: Vec<(f64, String)>,
}

impl Axis {
    /// Ticks every `step` from `lo` to `hi`, labelled with `decimals` decimals.
    fn numeric(lo: f64, hi: f64, step: f64, decimals: usize) -> Axis {
        let n = ((hi - lo) / step).round() as usize;
        let ticks = (0..=n)
            .map(|i| {
                let v = lo + i as f64 * step;
                (v, format!("{v:.decimals$}"))
            })
            .collect();
        Axis {
            range: lo..hi,
            ticks,
        }
    }
}

impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (lo, hi) = (self.range.start, self.range.end);
        let t = if hi > lo && value.is_finite() {
            ((value - lo) / (hi - lo)).clamp(0.0, 1.0)
        } else {
            0.5
        };
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        match hint.weight() {
            // labelled ticks only: no light grid between them
            KeyPointWeight::Bold => self.ticks.iter().map(|t| t.0).collect(),
            KeyPointWeight::Any => Vec::new(),
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

impl ValueFormatter<f64> for Axis {
    fn format_ext(&self, value: &f64) -> String {
        self.ticks
            .iter()
            .find(|(x, _)| (x - value).abs() < 1e-9)
            .map_or_else(String::new, |(_, l)| l.clone())
    }
}

type Root<'b> = DrawingArea<SVGBackend<'b>, Shift>;
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>;
type DrawResult = std::result::Result<(), DrawingAreaErrorKind<std::io::Error>>;

/// Escapes text for SVG/HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Renders one chart of `size` px: `draw` gets the whole white canvas; the
/// document gets `title` as its `<title>` (the tooltip and accessible name).
fn render(
    title: &str,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> DrawResult,
) -> Result<String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        root.fill(&WHITE)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present())
            .map_err(|e| Error::Plot {
                title: title.to_string(),
                reason: e.to_string(),
            })?;
    }
    // plotters writes no <title>: add it right after the opening tag
    let at = buf.find('>').map_or(0, |i| i + 1);
    buf.insert_str(at, &format!("\n<title>{}</title>", esc(title)));
    Ok(buf)
}

/// A chart on `root`: caption, the plot left of a legend column, the
/// label areas of the axes.
fn chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
    (x_area, y_area): (u32, u32),
    (x, y): (Axis, Axis),
) -> std::result::Result<Chart<'a, 'b>, DrawingAreaErrorKind<std::io::Error>> {
    ChartBuilder::on(root)
        .caption(
            title,
            ("sans-serif", CAPTION).into_font().style(FontStyle::Bold),
        )
        .margin(6)
        .margin_right(LEGEND_W)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x, y)
}

/// The mesh: grid lines at the ticks of the axes asked for, tick labels,
/// axis descriptions (none where empty).
fn mesh(c: &mut Chart, x_desc: &str, y_desc: &str, (x_grid, y_grid): (bool, bool)) -> DrawResult {
    let mut m = c.configure_mesh();
    m.bold_line_style(GRID)
        .axis_style(AXIS)
        .label_style(("sans-serif", TEXT))
        .axis_desc_style(("sans-serif", TEXT));
    if !x_desc.is_empty() {
        m.x_desc(x_desc);
    }
    if !y_desc.is_empty() {
        m.y_desc(y_desc);
    }
    if !x_grid {
        m.disable_x_mesh();
    }
    if !y_grid {
        m.disable_y_mesh();
    }
    m.draw()
}

/// One legend entry: a name and its swatch colour (none: a text-only line).
type Entry = (String, Option<RGBAColor>);

/// Legend entries of named series with palette indices.
fn entries<'s>(named: impl Iterator<Item = (&'s String, usize)>) -> Vec<Entry> {
    named
        .map(|(n, i)| (n.clone(), Some(color(i).to_rgba())))
        .collect()
}

/// The legend, in the column right of the plot (plotters' own series
/// labels are drawn inside the plot area: they would cover the data).
fn legend(root: &Root, c: &Chart, entries: &[Entry]) -> DrawResult {
    let x = (root.dim_in_pixel().0 - LEGEND_W) as i32 + 12;
    let top = c.plotting_area().get_base_pixel().1 + 6;
    for (i, (name, col)) in entries.iter().enumerate() {
        let y = top + 18 * i as i32;
        if let Some(col) = col {
            root.draw(&Rectangle::new([(x, y - 9), (x + 12, y + 3)], col.filled()))?;
        }
        root.draw(&Text::new(
            name.as_str(),
            (x + 17, y - 9),
            ("sans-serif", TEXT).into_font(),
        ))?;
    }
    Ok(())
}

/// Vertical ±sd error bars, with 6 px caps, at `(x, value)` points with an sd.
fn error_bars(c: &Chart, points: impl IntoIterator<Item = (f64, Value)>) -> DrawResult {
    let style = ERROR_BAR.stroke_width(1);
    let area = c.plotting_area();
    for (x, v) in points {
        let Some(sd) = v.sd else { continue };
        let (lo, hi) = (v.mean - sd, v.mean + sd);
        area.draw(&PathElement::new(vec![(x, lo), (x, hi)], style))?;
        for y in [lo, hi] {
            area.draw(
                &(EmptyElement::at((x, y)) + PathElement::new(vec![(-3, 0), (3, 0)], style)),
            )?;
        }
    }
    Ok(())
}

/// Grouped vertical bars (one group per category, one bar per series) on
/// [0, `y_max`], with ±sd error bars where given.
///
/// # Errors
/// [`Error::Plot`] when plotters fails to draw.
pub fn grouped_bars(
    title: &str,
    y_label: &str,
    categories: &[String],
    series: &[BarSeries],
    y_max: f64,
) -> Result<String> {
    let group_w = (series.len().max(1) as f64 * 11.0 + 16.0).max(60.0);
    let n = categories.len().max(1);
    let w = (70.0 + n as f64 * group_w) as u32 + LEGEND_W;
    let x = Axis {
        range: 0.0..n as f64,
        ticks: categories
            .iter()
            .enumerate()
            .map(|(i, c)| (i as f64 + 0.5, c.clone()))
            .collect(),
    };
    // each group leaves 8 px free on either side
    let pad = 8.0 / group_w;
    let bar_w = (1.0 - 2.0 * pad) / series.len().max(1) as f64;
    render(title, (w, 330), |root| {
        let y = Axis::numeric(0.0, y_max, y_max / 5.0, 1);
        let mut c = chart(root, title, (40, 56), (x, y))?;
        mesh(&mut c, "", y_label, (false, true))?;
        for (si, s) in series.iter().enumerate() {
            let col = color(s.color);
            let bars: Vec<(f64, Value)> = s
                .values
                .iter()
                .enumerate()
                .filter_map(|(ci, v)| Some((ci as f64 + pad + si as f64 * bar_w, (*v)?)))
                .collect();
            c.draw_series(bars.iter().map(|&(x0, v)| {
                let mut r = Rectangle::new([(x0, 0.0), (x0 + bar_w, v.mean)], col.filled());
                // 1 px between neighbouring bars
                r.set_margin(0, 0, 0, 1);
                r
            }))?;
            error_bars(&c, bars.iter().map(|&(x0, v)| (x0 + bar_w / 2.0, v)))?;
        }
        legend(
            root,
            &c,
            &entries(series.iter().map(|s| (&s.name, s.color))),
        )
    })
}

/// Lines with points and ±sd error bars on y ∈ [0, `y_max`]. `x_ticks`
/// names tick positions (categorical x); without it the ticks are the
/// points' x values (2 decimals).
///
/// # Errors
/// [`Error::Plot`] when plotters fails to draw.
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[LineSeries],
    x_ticks: Option<&[(f64, String)]>,
    y_max: f64,
) -> Result<String> {
    let ticks: Vec<(f64, String)> = match x_ticks {
        Some(t) => t.to_vec(),
        None => {
            let mut v: Vec<f64> = series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.0))
                .collect();
            v.sort_by(f64::total_cmp);
            v.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
            v.into_iter().map(|x| (x, format!("{x:.2}"))).collect()
        }
    };
    let (mut x0, mut x1) = ticks
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &(x, _)| {
            (a.min(x), b.max(x))
        });
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    let pad = if x1 > x0 { (x1 - x0) * 0.05 } else { 0.5 };
    let x = Axis {
        range: x0 - pad..x1 + pad,
        ticks,
    };
    render(title, (720, 340), |root| {
        let y = Axis::numeric(0.0, y_max, y_max / 5.0, 1);
        let mut c = chart(root, title, (48, 56), (x, y))?;
        mesh(&mut c, x_label, y_label, (false, true))?;
        for s in series {
            let col = color(s.color);
            let mut pts = s.points.clone();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            c.draw_series(Polyline::new(
                pts.iter().map(|(x, v)| (*x, v.mean)),
                col.stroke_width(2),
            ))?;
            error_bars(&c, pts.iter().copied())?;
            c.draw_series(
                pts.iter()
                    .map(|(x, v)| Circle::new((*x, v.mean), 3.5, col.filled())),
            )?;
        }
        legend(
            root,
            &c,
            &entries(series.iter().map(|s| (&s.name, s.color))),
        )
    })
}

/// Horizontal 100 % stacked bars: one bar per row, one colour per
/// category; each category's "right" part is drawn solid and its "wrong"
/// part lighter. Shares are of the row's total.
///
/// # Errors
/// [`Error::Plot`] when plotters fails to draw.
pub fn stacked_bars(title: &str, categories: &[String], rows: &[StackRow]) -> Result<String> {
    let n = rows.len().max(1);
    let h = (70 + n * 28 + 40) as u32;
    // row i from the top; its bar fills 20 of its 28 px
    let y = Axis {
        range: 0.0..n as f64,
        ticks: rows
            .iter()
            .enumerate()
            .map(|(i, r)| ((n - i) as f64 - 0.5, r.name.clone()))
            .collect(),
    };
    let x = Axis {
        range: 0.0..1.0,
        ticks: (0..=4)
            .map(|i| (i as f64 / 4.0, format!("{} %", i * 25)))
            .collect(),
    };
    render(title, (820, h), |root| {
        let mut c = chart(root, title, (40, 184), (x, y))?;
        mesh(&mut c, "", "", (false, false))?;
        for (ri, row) in rows.iter().enumerate() {
            let total: f64 = row.parts.iter().map(|(a, b)| a + b).sum();
            if total <= 0.0 {
                continue;
            }
            // the bar fills 20 of the row's 28 px
            let top = (n - ri) as f64 - 4.0 / 28.0;
            let bottom = top - 20.0 / 28.0;
            let mut left = 0.0;
            for (ci, &(good, bad)) in row.parts.iter().enumerate() {
                let col = color(ci);
                for (v, opacity) in [(good, 1.0), (bad, 0.35)] {
                    if v <= 0.0 {
                        continue;
                    }
                    let right = left + v / total;
                    c.draw_series(std::iter::once(Rectangle::new(
                        [(left, top), (right, bottom)],
                        col.mix(opacity).filled(),
                    )))?;
                    left = right;
                }
            }
        }
        let mut legend_entries = entries(categories.iter().zip(0..));
        legend_entries.push(("(light = prediction wrong)".into(), None));
        legend(root, &c, &legend_entries)
    })
}

/// Reliability diagram: accuracy against mean confidence per bin, the
/// diagonal (dashed) as perfect calibration; point areas grow with the
/// bin's count.
///
/// # Errors
/// [`Error::Plot`] when plotters fails to draw.
pub fn reliability_diagram(title: &str, curves: &[ReliabilityCurve]) -> Result<String> {
    let max_n = curves
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.2))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    render(title, (620, 420), |root| {
        let unit = || Axis::numeric(0.0, 1.0, 0.2, 1);
        let mut c = chart(root, title, (48, 56), (unit(), unit()))?;
        mesh(
            &mut c,
            "mean confidence (score of the predicted taxon)",
            "accuracy",
            (false, true),
        )?;
        c.draw_series(std::iter::once(DashedPathElement::new(
            [(0.0, 0.0), (1.0, 1.0)],
            4,
            3,
            DIAGONAL.stroke_width(1),
        )))?;
        for s in curves {
            let col = color(s.color);
            c.draw_series(Polyline::new(
                s.points.iter().map(|&(x, y, _)| (x, y)),
                col.stroke_width(2),
            ))?;
            c.draw_series(s.points.iter().map(|&(x, y, n)| {
                let r = 2.0 + 5.0 * (n as f64 / max_n).sqrt();
                Circle::new((x, y), r, col.mix(0.7).filled())
            }))?;
        }
        legend(
            root,
            &c,
            &entries(curves.iter().map(|s| (&s.name, s.color))),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(s: &str, pat: &str) -> usize {
        s.matches(pat).count()
    }

    /// Checks that every opened element is closed (a tiny XML well-formedness check).
    fn balanced(s: &str) -> bool {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = s;
        while let Some(i) = rest.find('<') {
            rest = &rest[i + 1..];
            let end = rest.find('>').expect("tag closes");
            let tag = &rest[..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                if stack.pop().as_deref() != Some(name) {
                    return false;
                }
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap_or("").to_string();
                stack.push(name);
            }
        }
        stack.is_empty()
    }

    /// The numeric attribute `name` of every element `<tag … fill="fill" …>`.
    fn attrs(s: &str, tag: &str, fill: &str, name: &str) -> Vec<f64> {
        s.split(&format!("<{tag} "))
            .skip(1)
            .map(|e| &e[..e.find('>').expect("tag closes")])
            .filter(|e| e.contains(&format!("fill=\"{fill}\"")))
            .map(|e| {
                let v = e.split(&format!(" {name}=\"")).nth(1).expect("attribute");
                v[..v.find('"').expect("quoted")].parse().expect("number")
            })
            .collect()
    }

    fn v(mean: f64, sd: Option<f64>) -> Option<Value> {
        Some(Value { mean, sd })
    }

    #[test]
    fn grouped_bars_draw_one_bar_per_value_and_one_error_bar_per_sd() {
        let cats: Vec<String> = ["genus", "species"].iter().map(|s| s.to_string()).collect();
        let series = vec![
            BarSeries {
                name: "raw <labels> & co".into(),
                color: 0,
                values: vec![v(0.8, Some(0.02)), v(0.6, None)],
            },
            BarSeries {
                name: "student".into(),
                color: 1,
                values: vec![v(0.85, Some(0.01)), None],
            },
        ];
        let s = grouped_bars("F1 <per rank>", "F1", &cats, &series, 1.0).unwrap();
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert!(balanced(&s), "{s}");
        assert!(s.contains("<title>F1 &lt;per rank&gt;</title>"), "{s}");
        // 2 + 1 bars and a legend swatch each, in the series' colours
        assert_eq!(attrs(&s, "rect", "#0072B2", "height").len(), 2 + 1);
        assert_eq!(attrs(&s, "rect", "#E69F00", "height").len(), 1 + 1);
        // an error bar is a vertical line and two caps
        assert_eq!(count(&s, "stroke=\"#222222\""), 2 * 3);
        for text in [
            "raw &lt;labels&gt; &amp; co",
            "student",
            "genus",
            "species",
            "F1",
        ] {
            assert!(s.contains(text), "{text}: {s}");
        }
        assert!(!s.contains("NaN") && !s.contains("inf"));
    }

    #[test]
    fn bar_heights_are_proportional_to_values() {
        let cats = vec!["x".to_string(), "y".to_string()];
        let series = vec![BarSeries {
            name: "a".into(),
            color: 2,
            values: vec![v(0.5, None), v(1.0, None)],
        }];
        let s = grouped_bars("t", "y", &cats, &series, 1.0).unwrap();
        // two bars, then the legend swatch (12 px)
        let h = attrs(&s, "rect", "#009E73", "height");
        assert_eq!(h.len(), 3, "{s}");
        assert!((h[1] - 2.0 * h[0]).abs() <= 1.0, "{h:?}");
        assert_eq!(h[2], 12.0);
    }

    #[test]
    fn line_chart_draws_every_point_and_names_its_ticks() {
        let series = vec![
            LineSeries {
                name: "a".into(),
                color: 0,
                points: vec![
                    (0.0, v(0.5, Some(0.1)).unwrap()),
                    (1.0, v(0.7, None).unwrap()),
                ],
            },
            LineSeries {
                name: "b".into(),
                color: 1,
                points: vec![(1.0, v(0.2, None).unwrap())],
            },
        ];
        let ticks = vec![(0.0, "<2 kbp".to_string()), (1.0, "2-5 kbp".to_string())];
        let s = line_chart("t", "length", "F1", &series, Some(&ticks), 1.0).unwrap();
        assert!(balanced(&s), "{s}");
        assert_eq!(attrs(&s, "circle", "#0072B2", "r").len(), 2);
        assert_eq!(attrs(&s, "circle", "#E69F00", "r").len(), 1);
        assert_eq!(count(&s, "stroke=\"#222222\""), 3);
        for text in ["&lt;2 kbp", "2-5 kbp", "length", "F1"] {
            assert!(s.contains(text), "{text}: {s}");
        }
        // without ticks, the points' x values are the ticks
        let s = line_chart("t", "novelty", "F1", &series, None, 1.0).unwrap();
        assert!(s.contains("0.00") && s.contains("1.00"), "{s}");
    }

    #[test]
    fn stacked_bars_share_the_plot_width_by_count() {
        let cats: Vec<String> = ["confirmed", "changed"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let rows = vec![StackRow {
            name: "m".into(),
            parts: vec![(30.0, 10.0), (20.0, 40.0)],
        }];
        let s = stacked_bars("t", &cats, &rows).unwrap();
        assert!(balanced(&s), "{s}");
        // right then wrong (lighter) per category, then the legend swatch
        let blue = attrs(&s, "rect", "#0072B2", "width");
        let orange = attrs(&s, "rect", "#E69F00", "width");
        assert_eq!((blue.len(), orange.len()), (3, 3), "{s}");
        let total: f64 = blue[..2].iter().chain(&orange[..2]).sum();
        for (w, share) in [
            (blue[0], 0.3),
            (blue[1], 0.1),
            (orange[0], 0.2),
            (orange[1], 0.4),
        ] {
            assert!(
                (w - share * total).abs() <= 1.5,
                "{w} vs {share} of {total}"
            );
        }
        assert!(s.contains("(light = prediction wrong)") && s.contains("25 %"));
    }

    #[test]
    fn reliability_diagram_has_a_dashed_diagonal_and_a_point_per_bin() {
        let curves = vec![ReliabilityCurve {
            name: "student".into(),
            color: 2,
            points: vec![(0.55, 0.5, 10), (0.95, 0.97, 100)],
        }];
        let s = reliability_diagram("calibration", &curves).unwrap();
        assert!(balanced(&s), "{s}");
        // dashes: many short grey segments along the diagonal
        assert!(count(&s, "stroke=\"#888888\"") > 10, "{s}");
        let r = attrs(&s, "circle", "#009E73", "r");
        assert_eq!(r.len(), 2);
        assert!(
            r[1] > r[0],
            "a bin with more contigs is a larger point: {r:?}"
        );
        assert!(s.contains("mean confidence") && s.contains("accuracy"));
    }
}
