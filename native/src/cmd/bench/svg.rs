//! Plain SVG charts for the bench report, written by hand (no JS, no
//! plotting crate): grouped bars with error bars, lines with error bars,
//! stacked 100 % bars and a reliability diagram. Every chart is a complete
//! standalone `<svg>` document that also inlines into HTML.

use std::fmt::Write as _;

/// Colour-blind safe palette (Okabe–Ito, then two extra tones).
pub const PALETTE: [&str; 10] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#999999", "#000000",
    "#882255", "#F0E442",
];

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

struct Canvas {
    out: String,
    w: f64,
    h: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

fn f(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.1}")
    } else {
        "0".to_string()
    }
}

impl Canvas {
    fn new(w: f64, h: f64, left: f64, right: f64, top: f64, bottom: f64, title: &str) -> Canvas {
        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
        );
        let _ = write!(
            out,
            r#"<title>{t}</title><rect width="{w}" height="{h}" fill="white"/><text x="{x}" y="18" text-anchor="middle" font-size="14" font-weight="bold">{t}</text>"#,
            t = esc(title),
            x = f(w / 2.0)
        );
        Canvas {
            out,
            w,
            h,
            left,
            right,
            top,
            bottom,
        }
    }

    fn plot_w(&self) -> f64 {
        self.w - self.left - self.right
    }
    fn plot_h(&self) -> f64 {
        self.h - self.top - self.bottom
    }
    /// y pixel of a value in [y0, y1].
    fn y(&self, v: f64, y0: f64, y1: f64) -> f64 {
        let t = ((v - y0) / (y1 - y0)).clamp(0.0, 1.0);
        self.top + self.plot_h() * (1.0 - t)
    }
    fn x(&self, v: f64, x0: f64, x1: f64) -> f64 {
        let t = if x1 > x0 {
            ((v - x0) / (x1 - x0)).clamp(0.0, 1.0)
        } else {
            0.5
        };
        self.left + self.plot_w() * t
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64) {
        let _ = write!(
            self.out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{stroke}" stroke-width="{width}"/>"#,
            f(x1),
            f(y1),
            f(x2),
            f(y2)
        );
    }

    fn text(&mut self, x: f64, y: f64, anchor: &str, s: &str) {
        let _ = write!(
            self.out,
            r#"<text x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
            f(x),
            f(y),
            esc(s)
        );
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, tip: &str) {
        let _ = write!(
            self.out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}"><title>{}</title></rect>"#,
            f(x),
            f(y),
            f(w.max(0.0)),
            f(h.max(0.0)),
            esc(tip)
        );
    }

    /// Horizontal grid and y tick labels over [y0, y1] every `step`.
    fn y_axis(&mut self, y0: f64, y1: f64, step: f64, label: &str) {
        let n = ((y1 - y0) / step).round() as i64;
        for i in 0..=n {
            let v = y0 + i as f64 * step;
            let y = self.y(v, y0, y1);
            let (l, r) = (self.left, self.w - self.right);
            self.line(l, y, r, y, "#dddddd", 1.0);
            self.text(l - 6.0, y + 4.0, "end", &format!("{v:.1}"));
        }
        let (l, t, b) = (self.left, self.top, self.h - self.bottom);
        self.line(l, t, l, b, "#333333", 1.0);
        let cy = self.top + self.plot_h() / 2.0;
        let _ = write!(
            self.out,
            r#"<text x="14" y="{y}" text-anchor="middle" transform="rotate(-90 14 {y})">{}</text>"#,
            esc(label),
            y = f(cy)
        );
    }

    fn x_label(&mut self, label: &str) {
        let x = self.left + self.plot_w() / 2.0;
        let y = self.h - 8.0;
        self.text(x, y, "middle", label);
    }

    /// Legend in a column right of the plot area.
    fn legend(&mut self, names: &[(String, usize)]) {
        let x = self.w - self.right + 12.0;
        for (i, (n, color)) in names.iter().enumerate() {
            let y = self.top + 6.0 + i as f64 * 18.0;
            let c = PALETTE[color % PALETTE.len()];
            self.rect(x, y - 9.0, 12.0, 12.0, c, n);
            self.text(x + 17.0, y + 1.0, "start", n);
        }
    }

    fn error_bar(&mut self, x: f64, lo: f64, hi: f64) {
        self.line(x, lo, x, hi, "#222222", 1.2);
        self.line(x - 3.0, lo, x + 3.0, lo, "#222222", 1.2);
        self.line(x - 3.0, hi, x + 3.0, hi, "#222222", 1.2);
    }

    fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

/// Grouped vertical bars (one group per category, one bar per series) on
/// [0, `y_max`], with ±sd error bars where given.
pub fn grouped_bars(
    title: &str,
    y_label: &str,
    categories: &[String],
    series: &[BarSeries],
    y_max: f64,
) -> String {
    let group_w = (series.len().max(1) as f64 * 11.0 + 16.0).max(60.0);
    let w = 70.0 + categories.len().max(1) as f64 * group_w + 230.0;
    let mut c = Canvas::new(w, 330.0, 60.0, 230.0, 32.0, 48.0, title);
    c.y_axis(0.0, y_max, y_max / 5.0, y_label);
    let bar_w = (group_w - 16.0) / series.len().max(1) as f64;
    for (ci, cat) in categories.iter().enumerate() {
        let gx = c.left + ci as f64 * group_w + 8.0;
        for (si, s) in series.iter().enumerate() {
            let Some(v) = s.values.get(ci).copied().flatten() else {
                continue;
            };
            let x = gx + si as f64 * bar_w;
            let y = c.y(v.mean, 0.0, y_max);
            let base = c.y(0.0, 0.0, y_max);
            let tip = match v.sd {
                Some(sd) => format!("{} · {cat}: {:.3} ± {:.3}", s.name, v.mean, sd),
                None => format!("{} · {cat}: {:.3}", s.name, v.mean),
            };
            c.rect(
                x,
                y,
                bar_w - 1.0,
                base - y,
                PALETTE[si % PALETTE.len()],
                &tip,
            );
            if let Some(sd) = v.sd {
                let xm = x + (bar_w - 1.0) / 2.0;
                let lo = c.y(v.mean - sd, 0.0, y_max);
                let hi = c.y(v.mean + sd, 0.0, y_max);
                c.error_bar(xm, lo, hi);
            }
        }
        let tx = gx + (group_w - 16.0) / 2.0;
        let ty = c.h - c.bottom + 16.0;
        c.text(tx, ty, "middle", cat);
    }
    let (l, r, b) = (c.left, c.w - c.right, c.h - c.bottom);
    c.line(l, b, r, b, "#333333", 1.0);
    let names: Vec<(String, usize)> = series.iter().map(|s| (s.name.clone(), s.color)).collect();
    c.legend(&names);
    c.finish()
}

/// Lines with points and ±sd error bars on y ∈ [0, `y_max`]. `x_ticks`
/// names tick positions (categorical x); without it ticks are numeric.
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[LineSeries],
    x_ticks: Option<&[(f64, String)]>,
    y_max: f64,
) -> String {
    let mut c = Canvas::new(720.0, 340.0, 60.0, 230.0, 32.0, 56.0, title);
    c.y_axis(0.0, y_max, y_max / 5.0, y_label);
    let xs: Vec<f64> = match x_ticks {
        Some(t) => t.iter().map(|(x, _)| *x).collect(),
        None => series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect(),
    };
    let (mut x0, mut x1) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    let pad = if x1 > x0 { (x1 - x0) * 0.05 } else { 0.5 };
    let (x0, x1) = (x0 - pad, x1 + pad);
    let ticks: Vec<(f64, String)> = match x_ticks {
        Some(t) => t.to_vec(),
        None => {
            let mut v: Vec<f64> = xs.clone();
            v.sort_by(|a, b| a.total_cmp(b));
            v.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
            v.into_iter().map(|x| (x, format!("{x:.2}"))).collect()
        }
    };
    for (x, label) in &ticks {
        let px = c.x(*x, x0, x1);
        let y = c.h - c.bottom;
        c.line(px, y, px, y + 4.0, "#333333", 1.0);
        c.text(px, y + 17.0, "middle", label);
    }
    let (l, r, b) = (c.left, c.w - c.right, c.h - c.bottom);
    c.line(l, b, r, b, "#333333", 1.0);
    for s in series {
        let col = PALETTE[s.color % PALETTE.len()];
        let mut pts: Vec<(f64, Value)> = s.points.clone();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let path: Vec<String> = pts
            .iter()
            .map(|(x, v)| format!("{},{}", f(c.x(*x, x0, x1)), f(c.y(v.mean, 0.0, y_max))))
            .collect();
        if path.len() > 1 {
            let _ = write!(
                c.out,
                r#"<polyline points="{}" fill="none" stroke="{col}" stroke-width="2"/>"#,
                path.join(" ")
            );
        }
        for (x, v) in &pts {
            let px = c.x(*x, x0, x1);
            let py = c.y(v.mean, 0.0, y_max);
            if let Some(sd) = v.sd {
                let lo = c.y(v.mean - sd, 0.0, y_max);
                let hi = c.y(v.mean + sd, 0.0, y_max);
                c.error_bar(px, lo, hi);
            }
            let tip = match v.sd {
                Some(sd) => format!("{}: {:.3} ± {:.3}", s.name, v.mean, sd),
                None => format!("{}: {:.3}", s.name, v.mean),
            };
            let _ = write!(
                c.out,
                r#"<circle cx="{}" cy="{}" r="3.5" fill="{col}"><title>{}</title></circle>"#,
                f(px),
                f(py),
                esc(&tip)
            );
        }
    }
    c.x_label(x_label);
    let names: Vec<(String, usize)> = series.iter().map(|s| (s.name.clone(), s.color)).collect();
    c.legend(&names);
    c.finish()
}

/// Horizontal 100 % stacked bars: one bar per row, one colour per category;
/// each category's "right" part is drawn solid and its "wrong" part hatched
/// lighter. Shares are of the row's total.
pub fn stacked_bars(title: &str, categories: &[String], rows: &[StackRow]) -> String {
    let h = 70.0 + rows.len().max(1) as f64 * 28.0 + 40.0;
    let mut c = Canvas::new(820.0, h, 190.0, 200.0, 36.0, 40.0, title);
    let pw = c.plot_w();
    for (ri, row) in rows.iter().enumerate() {
        let y = c.top + ri as f64 * 28.0;
        c.text(c.left - 8.0, y + 15.0, "end", &row.name);
        let total: f64 = row.parts.iter().map(|(a, b)| a + b).sum();
        if total <= 0.0 {
            continue;
        }
        let mut x = c.left;
        for (ci, &(good, bad)) in row.parts.iter().enumerate() {
            let col = PALETTE[ci % PALETTE.len()];
            let name = categories.get(ci).map_or("", String::as_str);
            for (v, opacity, what) in [(good, 1.0, "right"), (bad, 0.35, "wrong")] {
                if v <= 0.0 {
                    continue;
                }
                let wpx = pw * v / total;
                let _ = write!(
                    c.out,
                    r#"<rect x="{}" y="{}" width="{}" height="20" fill="{col}" fill-opacity="{opacity}"><title>{}</title></rect>"#,
                    f(x),
                    f(y),
                    f(wpx),
                    esc(&format!(
                        "{} · {name}, {what}: {v:.0} ({:.1} %)",
                        row.name,
                        100.0 * v / total
                    ))
                );
                x += wpx;
            }
        }
    }
    let y = c.top + rows.len() as f64 * 28.0 + 14.0;
    let (l, r) = (c.left, c.left + pw);
    c.line(l, y, r, y, "#333333", 1.0);
    for i in 0..=4 {
        let px = c.left + pw * i as f64 / 4.0;
        c.text(px, y + 15.0, "middle", &format!("{} %", i * 25));
    }
    let mut legend: Vec<String> = categories.to_vec();
    legend.push("(light = prediction wrong)".to_string());
    let x = c.w - c.right + 12.0;
    for (i, n) in legend.iter().enumerate() {
        let yy = c.top + 6.0 + i as f64 * 18.0;
        if i < categories.len() {
            c.rect(x, yy - 9.0, 12.0, 12.0, PALETTE[i % PALETTE.len()], n);
        }
        c.text(x + 17.0, yy + 1.0, "start", n);
    }
    c.finish()
}

/// Reliability diagram: accuracy against mean confidence per bin, the
/// diagonal as perfect calibration; point areas grow with the bin's count.
pub fn reliability_diagram(title: &str, curves: &[ReliabilityCurve]) -> String {
    let mut c = Canvas::new(620.0, 420.0, 60.0, 230.0, 32.0, 48.0, title);
    c.y_axis(0.0, 1.0, 0.2, "accuracy");
    for i in 0..=5 {
        let v = i as f64 * 0.2;
        let px = c.x(v, 0.0, 1.0);
        let y = c.h - c.bottom;
        c.line(px, y, px, y + 4.0, "#333333", 1.0);
        c.text(px, y + 17.0, "middle", &format!("{v:.1}"));
    }
    let (x0, y0, x1, y1) = (
        c.x(0.0, 0.0, 1.0),
        c.y(0.0, 0.0, 1.0),
        c.x(1.0, 0.0, 1.0),
        c.y(1.0, 0.0, 1.0),
    );
    c.line(x0, y0, x1, y0, "#333333", 1.0);
    let _ = write!(
        c.out,
        r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#888888" stroke-dasharray="4 3"/>"##,
        f(x0),
        f(y0),
        f(x1),
        f(y1)
    );
    let max_n = curves
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.2))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    for s in curves {
        let col = PALETTE[s.color % PALETTE.len()];
        let path: Vec<String> = s
            .points
            .iter()
            .map(|(x, y, _)| format!("{},{}", f(c.x(*x, 0.0, 1.0)), f(c.y(*y, 0.0, 1.0))))
            .collect();
        if path.len() > 1 {
            let _ = write!(
                c.out,
                r#"<polyline points="{}" fill="none" stroke="{col}" stroke-width="1.6"/>"#,
                path.join(" ")
            );
        }
        for (x, y, n) in &s.points {
            let r = 2.0 + 5.0 * (*n as f64 / max_n).sqrt();
            let _ = write!(
                c.out,
                r#"<circle cx="{}" cy="{}" r="{}" fill="{col}" fill-opacity="0.7"><title>{}</title></circle>"#,
                f(c.x(*x, 0.0, 1.0)),
                f(c.y(*y, 0.0, 1.0)),
                f(r),
                esc(&format!(
                    "{}: confidence {x:.3}, accuracy {y:.3}, n = {n}",
                    s.name
                ))
            );
        }
    }
    c.x_label("mean confidence (score of the predicted taxon)");
    let names: Vec<(String, usize)> = curves.iter().map(|s| (s.name.clone(), s.color)).collect();
    c.legend(&names);
    c.finish()
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
        let s = grouped_bars("F1", "F1", &cats, &series, 1.0);
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert!(balanced(&s), "{s}");
        // 3 bars + 2 legend swatches + the white background
        assert_eq!(count(&s, "<rect"), 3 + 2 + 1);
        // each error bar is 3 lines
        let lines = count(&s, "stroke=\"#222222\"");
        assert_eq!(lines, 2 * 3);
        assert!(s.contains("raw &lt;labels&gt; &amp; co"));
        assert!(!s.contains("NaN") && !s.contains("inf"));
    }

    #[test]
    fn bar_heights_are_proportional_to_values() {
        let cats = vec!["x".to_string()];
        let series = vec![BarSeries {
            name: "a".into(),
            color: 0,
            values: vec![v(0.5, None)],
        }];
        let s = grouped_bars("t", "y", &cats, &series, 1.0);
        // plot height = 330 − 32 − 48 = 250; 0.5 → 125 px
        assert!(s.contains("height=\"125.0\" fill=\"#0072B2\""), "{s}");
    }

    #[test]
    fn line_chart_draws_a_polyline_per_series_and_categorical_ticks() {
        let series = vec![
            LineSeries {
                name: "a".into(),
                color: 0,
                points: vec![
                    (
                        0.0,
                        Value {
                            mean: 0.5,
                            sd: Some(0.1),
                        },
                    ),
                    (
                        1.0,
                        Value {
                            mean: 0.7,
                            sd: None,
                        },
                    ),
                ],
            },
            LineSeries {
                name: "b".into(),
                color: 1,
                points: vec![(
                    1.0,
                    Value {
                        mean: 0.2,
                        sd: None,
                    },
                )],
            },
        ];
        let ticks = vec![(0.0, "<2 kbp".to_string()), (1.0, "2-5 kbp".to_string())];
        let s = line_chart("t", "length", "F1", &series, Some(&ticks), 1.0);
        assert!(balanced(&s), "{s}");
        assert_eq!(count(&s, "<polyline"), 1);
        assert_eq!(count(&s, "<circle"), 3);
        assert!(s.contains("&lt;2 kbp"));
    }

    #[test]
    fn stacked_bars_fill_the_plot_width_per_row() {
        let cats: Vec<String> = ["confirmed", "changed"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let rows = vec![StackRow {
            name: "m".into(),
            parts: vec![(30.0, 10.0), (20.0, 40.0)],
        }];
        let s = stacked_bars("t", &cats, &rows);
        assert!(balanced(&s), "{s}");
        // widths: plot width 820 − 190 − 200 = 430; shares 0.3, 0.1, 0.2, 0.4
        for w in ["129.0", "43.0", "86.0", "172.0"] {
            assert!(
                s.contains(&format!("width=\"{w}\" height=\"20\"")),
                "{w}: {s}"
            );
        }
    }

    #[test]
    fn reliability_diagram_has_a_diagonal_and_a_point_per_bin() {
        let curves = vec![ReliabilityCurve {
            name: "student".into(),
            color: 2,
            points: vec![(0.55, 0.5, 10), (0.95, 0.97, 100)],
        }];
        let s = reliability_diagram("calibration", &curves);
        assert!(balanced(&s), "{s}");
        assert_eq!(count(&s, "stroke-dasharray"), 1);
        assert_eq!(count(&s, "<circle"), 2);
    }
}
