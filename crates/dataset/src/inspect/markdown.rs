//! A short markdown summary, for a dataset card.

use std::fmt::Write;

use super::figures::Figures;
use super::numbers::{count, percent};

/// Tools and error types named.
const NAMED: usize = 8;

impl Figures {
    /// A markdown table of the headline figures, the most used tools and
    /// the most frequent error types: what a dataset card shows.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_markdown(&mut out);
        out
    }

    fn write_markdown(&self, out: &mut String) -> std::fmt::Result {
        let (e, r, a, q) = (&self.errors, &self.recovery, &self.arguments, &self.requests);
        let succeeded = e.calls - e.failed_calls;
        let wrong = a.invalid + a.not_json + a.unknown_tool;
        let rows = [
            ("Samples", count(self.samples)),
            (
                "Failed samples",
                if self.failures.present {
                    format!("{} (yield {})", count(self.failures.count), percent(self.failures.yield_rate))
                } else {
                    "no failures file".to_owned()
                },
            ),
            (
                "Tool calls",
                format!(
                    "{} ({} succeeded; median {} per sample)",
                    count(e.calls),
                    percent(super::distribution::rate(succeeded, e.calls)),
                    self.calls.p50
                ),
            ),
            (
                "Samples with an error",
                format!("{} ({})", count(e.samples_with_error), percent(e.share_of_samples_with_error)),
            ),
            (
                "Recovery",
                format!(
                    "{} of failed calls recovered ({} of {})",
                    percent(r.rate),
                    count(r.recovered_calls),
                    count(r.failed_calls)
                ),
            ),
            ("Invalid arguments", format!("{} of {} calls", count(wrong), count(a.calls))),
            (
                "Duplicate requests",
                format!(
                    "{} exact duplicates, {} in near-duplicate groups",
                    count(q.exact_duplicates.redundant),
                    count(q.near_duplicates.samples)
                ),
            ),
            ("Turns per sample", format!("median {}, max {}", self.turns.p50, self.turns.max)),
            ("Topics", count(self.topics.distinct)),
            (
                "Tokens",
                format!(
                    "{} (prompt {}, completion {}; median {} per sample)",
                    count(self.tokens.total),
                    count(self.tokens.prompt),
                    count(self.tokens.completion),
                    count(self.tokens.per_sample.p50)
                ),
            ),
        ];
        writeln!(out, "| Figure | Value |")?;
        writeln!(out, "|---|---|")?;
        for (name, value) in rows {
            writeln!(out, "| {name} | {} |", cell(&value))?;
        }
        if !self.tools.is_empty() {
            let tools: Vec<String> = self
                .tools
                .iter()
                .take(NAMED)
                .map(|t| format!("`{}` {} ({} ok)", cell(&t.name), count(t.calls), percent(t.success_rate)))
                .collect();
            writeln!(out, "\n**Tools:** {}", tools.join(", "))?;
        }
        if !e.types.is_empty() {
            let types: Vec<String> = e
                .types
                .iter()
                .take(NAMED)
                .map(|t| format!("`{}` {}", cell(&t.error_type), count(t.calls)))
                .collect();
            writeln!(out, "\n**Errors:** {}", types.join(", "))?;
        }
        Ok(())
    }
}

/// Text safe inside a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
