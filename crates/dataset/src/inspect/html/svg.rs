//! Inline SVG charts: a histogram, a split bar and a meter. Plain shapes
//! with fill colours, sized in pixels, so they render the same everywhere
//! and need no script; each bar carries a `<title>` a pointer shows.

use std::fmt::Write;

use super::escape;
use crate::inspect::figures::Distribution;
use crate::inspect::numbers::count;

/// Bars of counts.
pub const BLUE: &str = "#4263eb";
/// Successes.
pub const GREEN: &str = "#2f9e6b";
/// Recovered by a shared argument.
pub(crate) const GREEN_MID: &str = "#51cf66";
/// Recovered by a discovery call.
pub(crate) const GREEN_LIGHT: &str = "#96e2a8";
/// Failures.
pub const RED: &str = "#d64545";
/// Warnings (duplicates, invalid arguments).
pub const AMBER: &str = "#f08c00";
/// The empty part of a meter.
pub const TRACK: &str = "#e9ecef";
const AXIS: &str = "#adb5bd";
const LABEL: &str = "#61707f";

/// Width of a histogram.
const HIST_WIDTH: u32 = 330;
/// Height of a histogram's plot area.
const HIST_PLOT: u32 = 120;

/// A histogram of `d`'s bins; `unit` names what is counted per sample.
pub(crate) fn histogram(d: &Distribution, unit: &str) -> String {
    let mut svg = String::new();
    let height = HIST_PLOT + 58;
    let _ = write!(
        svg,
        r#"<svg class="chart" width="{HIST_WIDTH}" height="{height}" viewBox="0 0 {HIST_WIDTH} {height}" role="img" aria-label="histogram of {}">"#,
        escape(unit)
    );
    if d.histogram.is_empty() {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" fill="{LABEL}" font-size="13" text-anchor="middle">no samples</text></svg>"#,
            HIST_WIDTH / 2,
            HIST_PLOT / 2
        );
        return svg;
    }
    let (left, top) = (8.0, 18.0);
    let plot_width = f64::from(HIST_WIDTH) - 2.0 * left;
    let peak = d.histogram.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64;
    let slot = plot_width / d.histogram.len() as f64;
    let gap = (slot * 0.15).min(4.0);
    let ranges: Vec<String> = d.histogram.iter().map(|b| bin_label(b.from, b.to)).collect();
    // Under the axis each bin is named by its first value; the tooltip
    // gives the whole range. Every k-th is labelled, so labels never meet.
    let labels: Vec<String> = d.histogram.iter().map(|b| short(b.from)).collect();
    let widest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1) as f64 * 6.4 + 8.0;
    let every = (widest / slot).ceil().max(1.0) as usize;
    let base = top + f64::from(HIST_PLOT);
    // Counts go over the bars when the widest fits in a bar's slot.
    let widest_count = d.histogram.iter().map(|b| count(b.count).len()).max().unwrap_or(1);
    let counts_fit = widest_count as f64 * 6.0 + 4.0 <= slot;
    for (i, ((bin, label), range)) in d.histogram.iter().zip(&labels).zip(&ranges).enumerate() {
        let h = (bin.count as f64 / peak * f64::from(HIST_PLOT)).max(if bin.count > 0 { 1.5 } else { 0.0 });
        let x = left + i as f64 * slot + gap / 2.0;
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{BLUE}" rx="1.5"><title>{}: {} {}</title></rect>"#,
            base - h,
            slot - gap,
            escape(range),
            count(bin.count),
            if bin.count == 1 { "sample" } else { "samples" }
        );
        if counts_fit && bin.count > 0 {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" fill="{LABEL}" font-size="10.5" text-anchor="middle">{}</text>"#,
                x + (slot - gap) / 2.0,
                base - h - 4.0,
                count(bin.count)
            );
        }
        if i % every == 0 {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" fill="{LABEL}" font-size="11" text-anchor="middle">{}</text>"#,
                x + (slot - gap) / 2.0,
                base + 15.0,
                escape(label)
            );
        }
    }
    let _ = write!(
        svg,
        r#"<line x1="{left}" y1="{base}" x2="{:.1}" y2="{base}" stroke="{AXIS}" stroke-width="1"/>"#,
        left + plot_width
    );
    let _ = write!(
        svg,
        r#"<text x="{left}" y="{}" fill="{LABEL}" font-size="11">{unit}</text>"#,
        base + 32.0,
        unit = escape(unit)
    );
    svg.push_str("</svg>");
    svg
}

fn bin_label(from: u64, to: u64) -> String {
    if from == to { short(from) } else { format!("{}–{}", short(from), short(to)) }
}

/// `12_500` as `12.5k`, `3_000_000` as `3M`.
fn short(n: u64) -> String {
    match n {
        0..10_000 => n.to_string(),
        10_000..1_000_000 => trim(n as f64 / 1e3, "k"),
        _ => trim(n as f64 / 1e6, "M"),
    }
}

fn trim(value: f64, suffix: &str) -> String {
    let text = format!("{value:.1}");
    format!("{}{suffix}", text.strip_suffix(".0").unwrap_or(&text))
}

/// One part of a [`split_bar`].
pub struct Part<'a> {
    /// Its size.
    pub value: u64,
    /// Its fill.
    pub colour: &'a str,
    /// What it counts (legend and pointer title).
    pub label: &'a str,
}

/// A full-width bar split into `parts` by value, with a legend under it.
pub fn split_bar(parts: &[Part<'_>], width: u32, height: u32) -> String {
    let total: u64 = parts.iter().map(|p| p.value).sum();
    let mut svg = format!(
        r#"<svg class="split" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="split bar">"#
    );
    if total == 0 {
        let _ = write!(svg, r#"<rect x="0" y="0" width="{width}" height="{height}" fill="{TRACK}" rx="4"/>"#);
    }
    let mut x = 0.0;
    for part in parts.iter().filter(|p| p.value > 0) {
        let w = part.value as f64 / total.max(1) as f64 * f64::from(width);
        let _ = write!(
            svg,
            r#"<rect x="{x:.2}" y="0" width="{w:.2}" height="{height}" fill="{}"><title>{}: {}</title></rect>"#,
            part.colour,
            escape(part.label),
            count(part.value)
        );
        x += w;
    }
    svg.push_str("</svg>");
    let mut legend = String::from(r#"<div class="legend">"#);
    for part in parts {
        let share = if total > 0 {
            format!(" ({:.1}%)", part.value as f64 / total as f64 * 100.0)
        } else {
            String::new()
        };
        let _ = write!(
            legend,
            r#"<span style="--c:{}">{} <b>{}</b>{share}</span>"#,
            part.colour,
            escape(part.label),
            count(part.value)
        );
    }
    legend.push_str("</div>");
    svg + &legend
}

/// A small horizontal meter: `value` of `max` filled in `colour`.
pub fn meter(value: u64, max: u64, colour: &str, width: u32) -> String {
    let filled = if max == 0 { 0.0 } else { value as f64 / max as f64 * f64::from(width) };
    format!(
        r#"<svg class="meter" width="{width}" height="10" viewBox="0 0 {width} 10"><rect x="0" y="0" width="{width}" height="10" rx="3" fill="{TRACK}"/><rect x="0" y="0" width="{filled:.1}" height="10" rx="3" fill="{colour}"/></svg>"#
    )
}

/// A small bar split into succeeded (green) and failed (red).
pub fn outcome_meter(succeeded: u64, failed: u64, width: u32) -> String {
    let total = succeeded + failed;
    let ok = if total == 0 { 0.0 } else { succeeded as f64 / total as f64 * f64::from(width) };
    format!(
        r#"<svg class="meter" width="{width}" height="10" viewBox="0 0 {width} 10"><rect x="0" y="0" width="{width}" height="10" rx="3" fill="{}"/><rect x="0" y="0" width="{ok:.1}" height="10" fill="{GREEN}"/></svg>"#,
        if failed > 0 { RED } else { TRACK }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_numbers() {
        assert_eq!(short(950), "950");
        assert_eq!(short(12_500), "12.5k");
        assert_eq!(short(20_000), "20k");
        assert_eq!(short(3_000_000), "3M");
        assert_eq!(bin_label(4, 4), "4");
        assert_eq!(bin_label(100, 199), "100–199");
    }
}
