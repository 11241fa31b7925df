//! The report as one HTML page: inline CSS, inline SVG charts, no script
//! and no external resource, so it opens anywhere, offline, as it is.
//!
//! Top to bottom: headline tiles; tool calls (a succeeded/failed bar, the
//! tools, the error types); recovery; per-sample distributions; argument
//! validity; duplicate requests; topics; failures; example conversations;
//! the definitions of the figures.

mod conversation;
pub(crate) mod svg;

use std::fmt::Write;

use super::Inspection;
use super::figures::{Distribution, Figures};
use super::numbers::{count, percent, plural};
use svg::{AMBER, BLUE, GREEN, GREEN_LIGHT, GREEN_MID, Part, RED};

/// The report's stylesheet.
pub const STYLE: &str = include_str!("html/report.css");
/// Width of the full-width bars, inside a section.
const FULL_WIDTH: u32 = 1080;
/// Rows of the longer tables.
const ROWS: usize = 15;

/// `text` safe in HTML or XML (SVG) text and attribute values: markup
/// characters escaped, control characters XML forbids dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The whole page.
pub(crate) fn page(inspection: &Inspection, name: &str) -> String {
    let f = &inspection.figures;
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{} · weft inspect</title><style>{STYLE}</style></head><body><main>"#,
        escape(name)
    );
    out.push_str(&header(f, name));
    let mismatched = f.consistency.samples_with_mismatched_calls;
    if mismatched > 0 {
        let _ = write!(
            out,
            r#"<p class="notice">In {}, <code>metadata.calls</code> or <code>metadata.tool_calls</code> disagrees with the calls in the messages; the figures follow the messages.</p>"#,
            plural(mismatched, "sample", "samples")
        );
    }
    out.push_str(&tiles(f));
    out.push_str(&calls(f));
    out.push_str(&recovery(f));
    out.push_str(&distributions(f));
    out.push_str(&arguments(f));
    out.push_str(&requests(f));
    out.push_str(&topics(f));
    out.push_str(&failures(f));
    out.push_str(&examples(inspection));
    out.push_str(&definitions(f));
    out.push_str("</main></body></html>\n");
    out
}

fn header(f: &Figures, name: &str) -> String {
    format!(
        r##"<header class="top"><div class="kicker">weft inspect · {}</div><h1>{}</h1><p class="lede">{} · {} · {} tool calls, {} succeeded</p><nav><a href="#calls">Tool calls</a><a href="#recovery">Recovery</a><a href="#per-sample">Per sample</a><a href="#arguments">Arguments</a><a href="#requests">Requests</a><a href="#topics">Topics</a><a href="#failures">Failures</a><a href="#examples">Examples</a><a href="#definitions">Definitions</a></nav></header>"##,
        escape(&f.format),
        escape(name),
        plural(f.samples, "sample", "samples"),
        if f.failures.present {
            plural(f.failures.count, "failure", "failures")
        } else {
            "no failures file".to_owned()
        },
        count(f.errors.calls),
        percent(super::distribution::rate(f.errors.calls - f.errors.failed_calls, f.errors.calls)),
    )
}

/// A headline tile: a label, a big value, a note; `tone` is `good`, `warn`, `bad` or empty.
pub fn tile(label: &str, value: &str, note: &str, tone: &str) -> String {
    format!(
        r#"<div class="tile {tone}"><div class="label">{}</div><div class="value">{}</div><div class="note">{}</div></div>"#,
        escape(label),
        escape(value),
        escape(note)
    )
}

fn tiles(f: &Figures) -> String {
    let (e, r, a, q) = (&f.errors, &f.recovery, &f.arguments, &f.requests);
    let wrong = a.invalid + a.not_json + a.unknown_tool;
    let success = super::distribution::rate(e.calls - e.failed_calls, e.calls);
    let duplicates = q.exact_duplicates.redundant + q.near_duplicates.samples;
    let tone = |bad: bool, worst: &'static str| if bad { worst } else { "good" };
    let failures = if f.failures.present {
        format!("yield {}", percent(f.failures.yield_rate))
    } else {
        "no failures file".to_owned()
    };
    [
        tile("Samples", &count(f.samples), &format!("{} distinct requests", count(q.distinct)), ""),
        tile("Failed samples", &count(f.failures.count), &failures, tone(f.failures.count > 0, "bad")),
        tile("Tool calls", &count(e.calls), &format!("median {} per sample", f.calls.p50), ""),
        tile(
            "Calls succeeded",
            &percent(success),
            &format!("{} failed", count(e.failed_calls)),
            tone(e.failed_calls > 0, "warn"),
        ),
        tile(
            "Samples with an error",
            &percent(e.share_of_samples_with_error),
            &plural(e.samples_with_error, "sample", "samples"),
            "",
        ),
        tile(
            "Recovery rate",
            &percent(r.rate),
            &format!("{} of {} failed calls", count(r.recovered_calls), count(r.failed_calls)),
            tone(r.rate.is_some_and(|rate| rate < 0.5), "bad"),
        ),
        tile(
            "Invalid arguments",
            &count(wrong),
            &format!("of {} calls checked", count(a.calls)),
            tone(wrong > 0, "warn"),
        ),
        tile(
            "Duplicate requests",
            &count(duplicates),
            &format!(
                "{} exact · {} near",
                count(q.exact_duplicates.redundant),
                count(q.near_duplicates.samples)
            ),
            tone(duplicates > 0, "warn"),
        ),
    ]
    .into_iter()
    .fold(String::from(r#"<div class="tiles">"#), |out, t| out + &t)
        + "</div>"
}

fn calls(f: &Figures) -> String {
    let e = &f.errors;
    let mut out = String::from(r#"<section id="calls"><h2>Tool calls</h2>"#);
    out.push_str(&svg::split_bar(
        &[
            Part { value: e.calls - e.failed_calls, colour: GREEN, label: "succeeded" },
            Part { value: e.failed_calls, colour: RED, label: "failed" },
        ],
        FULL_WIDTH,
        26,
    ));
    out.push_str(r#"<div class="columns"><div><h3>Tools</h3>"#);
    if f.tools.is_empty() {
        out.push_str(r#"<p class="empty">No tool calls.</p>"#);
    } else {
        let most = f.tools.first().map_or(0, |t| t.calls);
        out.push_str(r#"<table><tr><th>tool</th><th class="num">calls</th><th></th><th class="num">success</th><th></th><th class="num">invalid args</th></tr>"#);
        for t in f.tools.iter().take(ROWS) {
            let _ = write!(
                out,
                r#"<tr><td><code>{}</code></td><td class="num">{}</td><td>{}</td><td class="num">{}</td><td>{}</td><td class="num{}">{}</td></tr>"#,
                escape(&t.name),
                count(t.calls),
                svg::meter(t.calls, most, BLUE, 110),
                percent(t.success_rate),
                svg::outcome_meter(t.succeeded, t.failed, 90),
                if t.invalid_arguments > 0 { " bad-text" } else { "" },
                count(t.invalid_arguments)
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</div><div><h3>Error types</h3>");
    if e.types.is_empty() {
        out.push_str(r#"<p class="empty">No call failed.</p>"#);
    } else {
        let most = e.types.first().map_or(0, |t| t.calls);
        out.push_str(r#"<table><tr><th>error type</th><th class="num">calls</th><th></th><th class="num">samples</th></tr>"#);
        for t in e.types.iter().take(ROWS) {
            let _ = write!(
                out,
                r#"<tr><td><code>{}</code></td><td class="num">{}</td><td>{}</td><td class="num">{}</td></tr>"#,
                escape(&t.error_type),
                count(t.calls),
                svg::meter(t.calls, most, RED, 120),
                count(t.samples)
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</div></div></section>");
    out
}

fn recovery(f: &Figures) -> String {
    let r = &f.recovery;
    let mut out = format!(
        r#"<section id="recovery"><h2>Recovery</h2><p class="definition">A failed call counts as recovered when a later call of the same sample succeeds and addresses it: the same tool, a shared argument value (such as the same path), or a listing or search right after a not-found. {} of {} samples with errors recovered from every error; weft's own <code>metadata.recovered</code> flag is set on {}.</p>"#,
        count(r.samples_fully_recovered),
        count(r.samples_with_error),
        plural(r.samples_marked_recovered, "sample", "samples")
    );
    if r.failed_calls == 0 {
        out.push_str(
            r#"<p class="empty">No call failed, so there was nothing to recover from.</p></section>"#,
        );
        return out;
    }
    out.push_str(&svg::split_bar(
        &[
            Part { value: r.by_rule.same_tool, colour: GREEN, label: "same tool" },
            Part { value: r.by_rule.shared_argument, colour: GREEN_MID, label: "shared argument" },
            Part { value: r.by_rule.discovery, colour: GREEN_LIGHT, label: "discovery" },
            Part { value: r.failed_calls - r.recovered_calls, colour: RED, label: "not recovered" },
        ],
        FULL_WIDTH,
        26,
    ));
    out.push_str("</section>");
    out
}

fn distribution_card(title: &str, unit: &str, d: &Distribution) -> String {
    format!(
        r#"<div class="card"><h3>{}</h3>{}<div class="stats">min <b>{}</b> · p50 <b>{}</b> · p90 <b>{}</b> · max <b>{}</b> · mean <b>{}</b></div></div>"#,
        escape(title),
        svg::histogram(d, unit),
        count(d.min),
        count(d.p50),
        count(d.p90),
        count(d.max),
        crate::inspect::numbers::decimal(d.mean)
    )
}

fn distributions(f: &Figures) -> String {
    let cards = [
        distribution_card("Tool calls", "calls per sample", &f.calls),
        distribution_card("Steps", "model calls per sample", &f.steps),
        distribution_card("Turns", "user turns per sample", &f.turns),
        distribution_card("Tokens", "prompt + completion tokens per sample", &f.tokens.per_sample),
        distribution_card("Conversation length", "message characters per sample", &f.characters.per_sample),
        distribution_card("Request length", "characters of the user request", &f.characters.request),
    ];
    format!(
        r#"<section id="per-sample"><h2>Per sample</h2><p class="definition">{} tokens in all: {} prompt, {} completion.</p><div class="cards">{}</div></section>"#,
        count(f.tokens.total),
        count(f.tokens.prompt),
        count(f.tokens.completion),
        cards.concat()
    )
}

fn arguments(f: &Figures) -> String {
    let a = &f.arguments;
    let mut out = String::from(
        r#"<section id="arguments"><h2>Argument validity</h2><p class="definition">Every call's arguments checked against the JSON Schema of the tool of that name in the sample's own <code>tools</code>.</p>"#,
    );
    out.push_str(&svg::split_bar(
        &[
            Part { value: a.valid, colour: GREEN, label: "valid" },
            Part { value: a.invalid, colour: AMBER, label: "violate the schema" },
            Part { value: a.not_json, colour: RED, label: "not JSON" },
            Part { value: a.unknown_tool, colour: "#862e9c", label: "unknown tool" },
            Part { value: a.unchecked, colour: "#adb5bd", label: "schema unusable" },
        ],
        FULL_WIDTH,
        14,
    ));
    if !a.examples.is_empty() {
        out.push_str(r#"<h3>First problems</h3><table><tr><th class="num">line</th><th class="num">sample</th><th>tool</th><th>problem</th></tr>"#);
        for p in &a.examples {
            let _ = write!(
                out,
                r#"<tr><td class="num">{}</td><td class="num">{}</td><td><code>{}</code></td><td class="bad-text">{}</td></tr>"#,
                p.line,
                p.sample_index,
                escape(&p.tool),
                escape(&p.message)
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");
    out
}

fn requests(f: &Figures) -> String {
    let (x, n) = (&f.requests.exact_duplicates, &f.requests.near_duplicates);
    let mut out = format!(
        r#"<section id="requests"><h2>Duplicate requests</h2><p class="definition">{} distinct requests (lowercased, punctuation and spacing ignored). Exact duplicates: {} holding {} ({} a dedupe would drop). Near-duplicates (estimated Jaccard similarity of character {}-grams ≥ {}): {} of {} distinct requests, {}.</p>"#,
        count(f.requests.distinct),
        plural(x.groups, "group", "groups"),
        plural(x.samples, "sample", "samples"),
        count(x.redundant),
        n.shingle_chars,
        n.jaccard_threshold,
        plural(n.groups, "group", "groups"),
        count(n.requests),
        plural(n.samples, "sample", "samples")
    );
    if !x.top.is_empty() {
        out.push_str(r#"<h3>Exact duplicates</h3><table><tr><th class="num">samples</th><th>request</th><th>sample_index</th></tr>"#);
        for g in &x.top {
            let _ = write!(
                out,
                r#"<tr><td class="num">{}</td><td class="request">{}</td><td>{}</td></tr>"#,
                count(g.samples),
                escape(&g.request),
                indices(&g.sample_indices, g.samples)
            );
        }
        out.push_str("</table>");
    }
    if !n.top.is_empty() {
        out.push_str(r#"<h3>Near-duplicate groups</h3><table><tr><th class="num">samples</th><th class="num">requests</th><th>first requests</th></tr>"#);
        for g in &n.top {
            let shown: Vec<String> = g
                .examples
                .iter()
                .zip(&g.sample_indices)
                .map(|(text, index)| format!("<div>#{index}: {}</div>", escape(text)))
                .collect();
            let _ = write!(
                out,
                r#"<tr><td class="num">{}</td><td class="num">{}</td><td class="request">{}</td></tr>"#,
                count(g.samples),
                count(g.requests),
                shown.concat()
            );
        }
        out.push_str("</table>");
    }
    if x.top.is_empty() && n.top.is_empty() {
        out.push_str(r#"<p class="empty">No duplicate or near-duplicate requests.</p>"#);
    }
    out.push_str("</section>");
    out
}

fn indices(shown: &[u64], total: u64) -> String {
    let list: Vec<String> = shown.iter().map(u64::to_string).collect();
    let more = if total > shown.len() as u64 { ", …" } else { "" };
    format!("{}{more}", list.join(", "))
}

fn topics(f: &Figures) -> String {
    let t = &f.topics;
    let d = &t.samples_per_topic;
    let mut out = format!(
        r#"<section id="topics"><h2>Topics</h2><p class="definition">{} distinct topic paths; samples per topic: min {}, median {}, max {}.</p>"#,
        count(t.distinct),
        d.min,
        d.p50,
        d.max
    );
    if let Some(file) = &t.file {
        out.push_str(&svg::split_bar(
            &[
                Part { value: file.used, colour: BLUE, label: "topics of the file used" },
                Part { value: file.unused, colour: "#ced4da", label: "never used" },
            ],
            FULL_WIDTH,
            14,
        ));
        if file.samples_off_file > 0 {
            let _ = write!(
                out,
                r#"<p class="bad-text">{} made from topics the file does not have.</p>"#,
                plural(file.samples_off_file, "sample", "samples")
            );
        }
    }
    out.push_str(r#"<div class="columns"><div><h3>Most used</h3><table><tr><th>topic path</th><th class="num">samples</th><th></th></tr>"#);
    let most = t.top.first().map_or(0, |c| c.samples);
    for c in &t.top {
        let _ = write!(
            out,
            r#"<tr><td>{}</td><td class="num">{}</td><td>{}</td></tr>"#,
            escape(&c.path.join(" › ")),
            count(c.samples),
            svg::meter(c.samples, most, BLUE, 120)
        );
    }
    out.push_str("</table></div><div>");
    out.push_str(&distribution_card("Samples per topic", "samples per topic path", &t.samples_per_topic));
    if let Some(file) = t.file.as_ref().filter(|file| !file.unused_paths.is_empty()) {
        out.push_str(r#"<h3>Never used</h3><table><tr><th>topic path</th></tr>"#);
        for path in file.unused_paths.iter().take(ROWS * 2) {
            let _ = write!(out, "<tr><td>{}</td></tr>", escape(&path.join(" › ")));
        }
        if file.unused > (ROWS * 2) as u64 {
            let _ = write!(
                out,
                r#"<tr><td class="empty">and {} more</td></tr>"#,
                count(file.unused - (ROWS * 2) as u64)
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</div></div></section>");
    out
}

fn failures(f: &Figures) -> String {
    let fl = &f.failures;
    let mut out = String::from(r#"<section id="failures"><h2>Failures</h2>"#);
    if !fl.present {
        out.push_str(r#"<p class="empty">No failures file beside the dataset.</p></section>"#);
        return out;
    }
    let _ = write!(
        out,
        r#"<p class="definition">{} in the failures file: samples that failed every attempt. {} of attempted samples made it into the dataset.</p>"#,
        plural(fl.count, "record", "records"),
        percent(fl.yield_rate)
    );
    if !fl.reasons.is_empty() {
        let most = fl.reasons.first().map_or(0, |r| r.count);
        out.push_str(
            r#"<table><tr><th class="num">records</th><th></th><th>reason</th><th>sample_index</th></tr>"#,
        );
        for r in fl.reasons.iter().take(ROWS) {
            let _ = write!(
                out,
                r#"<tr><td class="num">{}</td><td>{}</td><td title="{}">{}</td><td>{}</td></tr>"#,
                count(r.count),
                svg::meter(r.count, most, RED, 100),
                escape(&r.example),
                escape(&r.reason),
                indices(&r.sample_indices, r.count)
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");
    out
}

fn examples(inspection: &Inspection) -> String {
    let mut out = String::from(r#"<section id="examples"><h2>Example samples</h2>"#);
    if inspection.examples.is_empty() {
        out.push_str(r#"<p class="empty">No sample made a tool call.</p>"#);
    }
    for example in &inspection.examples {
        out.push_str(&conversation::render(example));
    }
    out.push_str("</section>");
    out
}

fn definitions(f: &Figures) -> String {
    let n = &f.requests.near_duplicates;
    format!(
        r#"<footer id="definitions"><dl>
<dt>Percentiles</dt><dd>Nearest rank: p50 is the smallest value at least half the samples do not exceed.</dd>
<dt>Recovery</dt><dd>A failed call is recovered when the earliest later successful call that addresses it calls the same tool; or shares a string argument value with it (trimmed, without leading <code>./</code> or <code>/</code>); or, after an error whose type contains <code>NotFound</code>, is the very next call and a discovery tool (a name with the word list, search, find, glob or ls). Rate: recovered failed calls over failed calls.</dd>
<dt>Duplicates</dt><dd>Requests are the samples' <code>question</code>, lowercased with every run of other characters than letters and digits made one space. Near-duplicates: one-permutation MinHash of {} slots over character {}-grams, LSH with {} bands of {} rows, pairs kept at an estimated Jaccard similarity of at least {}; groups are joined transitively.</dd>
<dt>Argument validity</dt><dd>Each call's <code>arguments</code> parsed as JSON (blank or <code>null</code> is <code>{{}}</code>) and validated against <code>function.parameters</code> of the sample's tool of that name.</dd>
<dt>Characters</dt><dd>Unicode scalar values of message contents (not of tool-call arguments).</dd>
</dl><p>Made by <code>weft inspect</code>; this page needs no network and no script.</p></footer>"#,
        n.minhash_size, n.shingle_chars, n.bands, n.rows, n.jaccard_threshold
    )
}
