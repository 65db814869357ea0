//! Charts as inline SVG, written by hand: bars, paired bars, lines and an interval. Hand-written
//! rather than plotters' SVG backend: these few shapes need no font or raster dependencies, and
//! the output is byte-for-byte deterministic, so a report renders the same on every machine.
//! Every function returns one `<svg>` element; text is escaped.

use std::fmt::Write;

use super::escape;

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 42.0;
pub const BASELINE_COLOR: &str = "#8da0cb";
pub const CURRENT_COLOR: &str = "#fc8d62";

fn open(class: &str, extra: &str) -> String {
    format!(
        "<svg class=\"{class}\" {extra}viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\">"
    )
}

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

fn plot_height() -> f64 {
    HEIGHT - TOP - BOTTOM
}

/// The y axis from 0 to `max` with three gridlines.
fn y_axis(out: &mut String, max: f64, format: impl Fn(f64) -> String) {
    for k in 0..=3 {
        let v = max * f64::from(k) / 3.0;
        let y = TOP + plot_height() * (1.0 - f64::from(k) / 3.0);
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 4.0,
            y + 3.0,
            escape(&format(v))
        );
    }
}

/// Baseline vs current shares per bin or category, side by side. `labels` name the bars
/// (shortened to fit); `title` goes into the SVG's <title> for screen readers.
pub fn paired_bars(
    title: &str,
    data_key: &str,
    labels: &[String],
    baseline: &[f64],
    current: &[f64],
) -> String {
    let mut out = open(
        "chart feature-chart",
        &format!("data-feature=\"{}\" ", escape(data_key)),
    );
    let _ = write!(out, "<title>{}</title>", escape(title));
    let max = baseline
        .iter()
        .chain(current)
        .fold(0.0f64, |m, &v| m.max(v))
        .max(1e-9);
    y_axis(&mut out, max, |v| format!("{:.0}%", v * 100.0));
    let n = labels.len().max(1) as f64;
    let slot = plot_width() / n;
    let bar = (slot * 0.38).max(1.0);
    for (i, label) in labels.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot * 0.1;
        for (k, (values, color)) in [(baseline, BASELINE_COLOR), (current, CURRENT_COLOR)]
            .iter()
            .enumerate()
        {
            let v = values.get(i).copied().unwrap_or(0.0);
            let h = plot_height() * v / max;
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"{color}\"><title>{}: {:.2}%</title></rect>",
                x + bar * k as f64,
                TOP + plot_height() - h,
                escape(label),
                v * 100.0
            );
        }
        if labels.len() <= 16 {
            let short: String = label.chars().take(10).collect();
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"middle\">{}</text>",
                x + bar,
                HEIGHT - BOTTOM + 12.0,
                escape(&short)
            );
        }
    }
    legend(
        &mut out,
        &[("baseline", BASELINE_COLOR), ("current", CURRENT_COLOR)],
    );
    out.push_str("</svg>");
    out
}

fn legend(out: &mut String, items: &[(&str, &str)]) {
    for (i, (name, color)) in items.iter().enumerate() {
        let x = LEFT + 110.0 * i as f64;
        let y = HEIGHT - 10.0;
        let _ = write!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"{y:.1}\" font-size=\"10\">{}</text>",
            y - 9.0,
            x + 14.0,
            escape(name)
        );
    }
}

/// A named, coloured line: (legend name, colour, points).
pub type Series<'a> = (&'a str, &'a str, Vec<(f64, f64)>);

/// Lines on the unit square (ROC, precision-recall, calibration), with an optional diagonal.
pub fn unit_lines(
    title: &str,
    class: &str,
    series: &[Series<'_>],
    diagonal: bool,
    x_label: &str,
    y_label: &str,
) -> String {
    let mut out = open(&format!("chart {class}"), "");
    let _ = write!(out, "<title>{}</title>", escape(title));
    y_axis(&mut out, 1.0, |v| format!("{v:.2}"));
    let px = |x: f64| LEFT + plot_width() * x.clamp(0.0, 1.0);
    let py = |y: f64| TOP + plot_height() * (1.0 - y.clamp(0.0, 1.0));
    if diagonal {
        let _ = write!(
            out,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#aaa\" stroke-dasharray=\"4 3\"/>",
            px(0.0),
            py(0.0),
            px(1.0),
            py(1.0)
        );
    }
    let mut legend_items = Vec::new();
    for (name, color, points) in series {
        let path: Vec<String> = points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let _ = write!(
            out,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        );
        legend_items.push((*name, *color));
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>\
         <text x=\"{LEFT}\" y=\"{:.1}\" font-size=\"10\">{}</text>",
        WIDTH - RIGHT,
        HEIGHT - BOTTOM + 14.0,
        escape(x_label),
        TOP - 3.0,
        escape(y_label)
    );
    legend(&mut out, &legend_items);
    out.push_str("</svg>");
    out
}

/// A value against its bands (e.g. fleet drift vs OK/LOW/MEDIUM/HIGH), as a horizontal gauge.
pub fn band_gauge(title: &str, value: f64, bands: &[(f64, &str)], max: f64) -> String {
    let height = 60.0;
    let mut out = format!(
        "<svg class=\"chart gauge\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\"><title>{}</title>",
        escape(title)
    );
    let px = |v: f64| LEFT + plot_width() * (v / max).clamp(0.0, 1.0);
    let colors = ["#e5f5e0", "#fff7bc", "#fee391", "#fcbba1"];
    let mut from = 0.0;
    for (i, (upto, name)) in bands.iter().enumerate() {
        let _ = write!(
            out,
            "<rect x=\"{:.1}\" y=\"10\" width=\"{:.1}\" height=\"22\" fill=\"{}\"/><text x=\"{:.1}\" y=\"46\" font-size=\"9\">{}</text>",
            px(from),
            px(*upto) - px(from),
            colors[i % colors.len()],
            px(from) + 2.0,
            escape(name)
        );
        from = *upto;
    }
    let _ = write!(
        out,
        "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"6\" y2=\"36\" stroke=\"#333\" stroke-width=\"3\"/>\
         <text x=\"{0:.1}\" y=\"58\" font-size=\"10\" text-anchor=\"middle\">{1:.1}%</text></svg>",
        px(value),
        value * 100.0
    );
    out
}

/// An interval [low, high] with its point estimate, against zero (and an allowed margin).
pub fn interval_vs_zero(title: &str, low: f64, point: f64, high: f64, margin: f64) -> String {
    let height = 80.0;
    let span = [low.abs(), high.abs(), point.abs(), margin.abs()]
        .iter()
        .fold(0.0f64, |m, &v| m.max(v))
        .max(1e-9)
        * 1.2;
    let px = |v: f64| LEFT + plot_width() * (v + span) / (2.0 * span);
    let mut out = format!(
        "<svg class=\"chart interval\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\"><title>{}</title>",
        escape(title)
    );
    let _ = write!(
        out,
        "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"8\" y2=\"56\" stroke=\"#333\"/><text x=\"{0:.1}\" y=\"70\" font-size=\"10\" text-anchor=\"middle\">0</text>",
        px(0.0)
    );
    if margin > 0.0 {
        let _ = write!(
            out,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"8\" y2=\"56\" stroke=\"#d73027\" stroke-dasharray=\"4 3\"/><text x=\"{0:.1}\" y=\"70\" font-size=\"10\" text-anchor=\"middle\">-margin</text>",
            px(-margin)
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"32\" y2=\"32\" stroke=\"{CURRENT_COLOR}\" stroke-width=\"6\"/>\
         <circle cx=\"{:.1}\" cy=\"32\" r=\"6\" fill=\"#333\"/>\
         <text x=\"{:.1}\" y=\"20\" font-size=\"10\" text-anchor=\"end\">{low:.4}</text>\
         <text x=\"{:.1}\" y=\"20\" font-size=\"10\">{high:.4}</text></svg>",
        px(low),
        px(high),
        px(point),
        px(low),
        px(high)
    );
    out
}

/// A metric over versions (registry history): points joined by a line, x = version.
pub fn history(title: &str, points: &[(u32, f64)]) -> String {
    let mut out = open("chart history", "");
    let _ = write!(out, "<title>{}</title>", escape(title));
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &(_, v)| {
            (a.min(v), b.max(v))
        });
    let (lo, hi) = if points.is_empty() {
        (0.0, 1.0)
    } else if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    };
    let pad = (hi - lo) * 0.1;
    let (lo, hi) = (lo - pad, hi + pad);
    let n = points.len().max(2) as f64 - 1.0;
    let px = |i: usize| LEFT + plot_width() * i as f64 / n;
    let py = |v: f64| TOP + plot_height() * (1.0 - (v - lo) / (hi - lo));
    for k in 0..=3 {
        let v = lo + (hi - lo) * f64::from(k) / 3.0;
        let (right, y, label_x) = (WIDTH - RIGHT, py(v), LEFT - 4.0);
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{right:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{label_x:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{v:.3}</text>",
            y + 3.0
        );
    }
    let line: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, &(_, v))| format!("{:.1},{:.1}", px(i), py(v)))
        .collect();
    let _ = write!(
        out,
        "<polyline fill=\"none\" stroke=\"{BASELINE_COLOR}\" stroke-width=\"2\" points=\"{}\"/>",
        line.join(" ")
    );
    for (i, &(version, v)) in points.iter().enumerate() {
        let (x, y, label_y) = (px(i), py(v), HEIGHT - BOTTOM + 12.0);
        let _ = write!(
            out,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{CURRENT_COLOR}\"><title>v{version}: {v:.4}</title></circle><text x=\"{x:.1}\" y=\"{label_y:.1}\" font-size=\"9\" text-anchor=\"middle\">v{version}</text>"
        );
    }
    out.push_str("</svg>");
    out
}
