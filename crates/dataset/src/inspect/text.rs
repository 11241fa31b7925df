//! The plain-text summary `weft inspect` prints.

use std::fmt::Write;

use super::figures::{Distribution, Figures};
use super::numbers::{count, decimal, percent, plural};

/// Rows of a list shown in the text (tools, error types, groups).
const ROWS: usize = 10;

impl Figures {
    /// A summary for a terminal: the headline counts, per-sample
    /// distributions, tools, error types, recovery, arguments, duplicates,
    /// topics, tokens and failures.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_text(&mut out);
        out
    }

    fn write_text(&self, out: &mut String) -> std::fmt::Result {
        let f = &self.failures;
        write!(out, "{}", plural(self.samples, "sample", "samples"))?;
        if f.present {
            write!(out, ", {} (yield {})", plural(f.count, "failure", "failures"), percent(f.yield_rate))?;
        }
        writeln!(out, "\n")?;
        self.write_distributions(out)?;
        self.write_calls(out)?;
        self.write_requests(out)?;
        self.write_topics(out)?;
        let t = &self.tokens;
        writeln!(
            out,
            "Tokens: {} prompt + {} completion = {}",
            count(t.prompt),
            count(t.completion),
            count(t.total)
        )?;
        if f.count > 0 {
            writeln!(out, "\nFailure reasons")?;
            for reason in f.reasons.iter().take(ROWS) {
                writeln!(out, "  {:>6}  {}", count(reason.count), reason.reason)?;
            }
        }
        let mismatched = self.consistency.samples_with_mismatched_calls;
        if mismatched > 0 {
            writeln!(
                out,
                "\nWarning: metadata.calls disagrees with the messages in {}",
                plural(mismatched, "sample", "samples")
            )?;
        }
        Ok(())
    }

    fn write_distributions(&self, out: &mut String) -> std::fmt::Result {
        writeln!(out, "{:<22}{:>9}{:>9}{:>9}{:>9}{:>11}", "per sample", "min", "p50", "p90", "max", "mean")?;
        let rows: [(&str, &Distribution); 6] = [
            ("turns", &self.turns),
            ("steps", &self.steps),
            ("tool calls", &self.calls),
            ("tokens", &self.tokens.per_sample),
            ("message characters", &self.characters.per_sample),
            ("request characters", &self.characters.request),
        ];
        for (name, d) in rows {
            writeln!(
                out,
                "  {name:<20}{:>9}{:>9}{:>9}{:>9}{:>11}",
                count(d.min),
                count(d.p50),
                count(d.p90),
                count(d.max),
                decimal(d.mean)
            )?;
        }
        writeln!(out)
    }

    fn write_calls(&self, out: &mut String) -> std::fmt::Result {
        let e = &self.errors;
        let succeeded = e.calls - e.failed_calls;
        writeln!(
            out,
            "Calls: {} executed, {} succeeded ({}), {} failed in {} ({} of samples)",
            count(e.calls),
            count(succeeded),
            percent(super::distribution::rate(succeeded, e.calls)),
            count(e.failed_calls),
            plural(e.samples_with_error, "sample", "samples"),
            percent(e.share_of_samples_with_error)
        )?;
        let r = &self.recovery;
        writeln!(
            out,
            "Recovery: {} of {} failed calls recovered ({}): same tool {}, shared argument {}, discovery {}; \
             {} of {} samples with errors recovered from all (metadata.recovered says {})",
            count(r.recovered_calls),
            count(r.failed_calls),
            percent(r.rate),
            count(r.by_rule.same_tool),
            count(r.by_rule.shared_argument),
            count(r.by_rule.discovery),
            count(r.samples_fully_recovered),
            count(r.samples_with_error),
            count(r.samples_marked_recovered)
        )?;
        let a = &self.arguments;
        writeln!(
            out,
            "Arguments: {} checked, {} valid, {} invalid, {} not JSON, {} unknown tool, {} unchecked",
            count(a.calls),
            count(a.valid),
            count(a.invalid),
            count(a.not_json),
            count(a.unknown_tool),
            count(a.unchecked)
        )?;
        for problem in a.examples.iter().take(3) {
            writeln!(
                out,
                "  line {}: {} ({}): {}",
                problem.line, problem.tool, problem.kind, problem.message
            )?;
        }
        if !self.tools.is_empty() {
            writeln!(
                out,
                "\n{:<24}{:>9}{:>10}{:>9}{:>14}",
                "tool", "calls", "success", "failed", "invalid args"
            )?;
            for tool in self.tools.iter().take(ROWS * 2) {
                writeln!(
                    out,
                    "  {:<22}{:>9}{:>10}{:>9}{:>14}",
                    tool.name,
                    count(tool.calls),
                    percent(tool.success_rate),
                    count(tool.failed),
                    count(tool.invalid_arguments)
                )?;
            }
        }
        if !e.types.is_empty() {
            writeln!(out, "\n{:<24}{:>9}{:>10}", "error type", "calls", "samples")?;
            for t in e.types.iter().take(ROWS) {
                writeln!(out, "  {:<22}{:>9}{:>10}", t.error_type, count(t.calls), count(t.samples))?;
            }
        }
        writeln!(out)
    }

    fn write_requests(&self, out: &mut String) -> std::fmt::Result {
        let r = &self.requests;
        let (x, n) = (&r.exact_duplicates, &r.near_duplicates);
        writeln!(
            out,
            "Requests: {} distinct; exact duplicates: {} of {} ({} redundant); \
             near-duplicates (Jaccard ≥ {}): {} of {} requests, {}",
            count(r.distinct),
            plural(x.groups, "group", "groups"),
            plural(x.samples, "sample", "samples"),
            count(x.redundant),
            n.jaccard_threshold,
            plural(n.groups, "group", "groups"),
            count(n.requests),
            plural(n.samples, "sample", "samples")
        )?;
        for group in x.top.iter().take(3) {
            writeln!(out, "  {}× {}", group.samples, quote(&group.request))?;
        }
        for group in n.top.iter().take(3) {
            let first = group.examples.first().map_or_else(String::new, |e| quote(e));
            writeln!(
                out,
                "  ≈ {} in {} like {first}",
                plural(group.samples, "sample", "samples"),
                plural(group.requests, "request", "requests")
            )?;
        }
        writeln!(out)
    }

    fn write_topics(&self, out: &mut String) -> std::fmt::Result {
        let t = &self.topics;
        let d = &t.samples_per_topic;
        write!(
            out,
            "Topics: {} distinct, samples per topic min {} p50 {} max {}",
            count(t.distinct),
            d.min,
            d.p50,
            d.max
        )?;
        if let Some(file) = &t.file {
            write!(
                out,
                "; topics file: {} paths, {} used ({}), {} unused, {} off the file",
                count(file.paths),
                count(file.used),
                percent(file.coverage),
                count(file.unused),
                plural(file.samples_off_file, "sample", "samples")
            )?;
        }
        writeln!(out)
    }
}

/// `text` on one line, cut at 100 characters, in quotes.
fn quote(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = flat.chars().take(100).collect();
    if cut.len() < flat.len() {
        cut.push('…');
    }
    format!("\"{cut}\"")
}
