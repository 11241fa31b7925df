//! What a run reports while it goes: the events a TUI or a plain progress
//! printer shows. Events are sent through a [`ProgressSink`]; the pipeline
//! never waits on its reader.

use std::sync::Arc;

/// Something that happened during a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The run knows its size.
    Planned {
        /// Samples the run must end with.
        total: u64,
        /// Samples already in the file (resume).
        done: u64,
    },
    /// One tool call ran.
    ToolExecuted {
        /// The sample it belongs to.
        sample: u64,
        /// The tool.
        tool: String,
        /// A short view of the arguments (the first string argument).
        argument: String,
        /// `success` or the error type.
        outcome: String,
        /// Whether it succeeded.
        success: bool,
    },
    /// A sample attempt failed and will be tried again.
    SampleRetried {
        /// The sample.
        sample: u64,
        /// The attempt that failed (1-based).
        attempt: u32,
        /// Why.
        reason: String,
    },
    /// A sample was appended to the dataset.
    SampleWritten {
        /// The sample.
        sample: u64,
    },
    /// A sample failed for good and went to the failures file.
    SampleFailed {
        /// The sample.
        sample: u64,
        /// Why.
        reason: String,
    },
}

impl Event {
    /// The one-line log form: `T read_file("config.json") -> success`, with an
    /// `X ` in front of failed calls.
    pub fn log_line(&self) -> String {
        match self {
            Event::Planned { total, done } => format!("planned {total} samples ({done} already written)"),
            Event::ToolExecuted { tool, argument, outcome, success, .. } => {
                let mark = if *success { "" } else { "X " };
                if argument.is_empty() {
                    format!("{mark}T {tool}() -> {outcome}")
                } else {
                    format!("{mark}T {tool}({argument:?}) -> {outcome}")
                }
            }
            Event::SampleRetried { sample, attempt, reason } => {
                format!("sample {sample}: attempt {attempt} rejected: {reason}")
            }
            Event::SampleWritten { sample } => format!("sample {sample} written"),
            Event::SampleFailed { sample, reason } => format!("sample {sample} failed: {reason}"),
        }
    }
}

/// Where events go. Cheap to clone; must not block.
pub type ProgressSink = Arc<dyn Fn(Event) + Send + Sync>;

/// A sink that drops everything.
pub fn discard() -> ProgressSink {
    Arc::new(|_| {})
}

/// The argument that says most about a call (a path when there is one, else
/// the first string), shortened, for event lines.
pub fn argument_preview(arguments: &serde_json::Value) -> String {
    let Some(map) = arguments.as_object() else { return String::new() };
    let first = map
        .iter()
        .find(|(key, value)| key.contains("path") && value.is_string())
        .and_then(|(_, value)| value.as_str())
        .or_else(|| map.values().find_map(serde_json::Value::as_str));
    match first {
        Some(text) if text.chars().count() > 40 => {
            let mut short: String = text.chars().take(39).collect();
            short.push('…');
            short
        }
        Some(text) => text.to_owned(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_read_like_the_seed() {
        let ok = Event::ToolExecuted {
            sample: 0,
            tool: "read_file".into(),
            argument: "config.json".into(),
            outcome: "success".into(),
            success: true,
        };
        assert_eq!(ok.log_line(), r#"T read_file("config.json") -> success"#);
        let failed = Event::ToolExecuted {
            sample: 0,
            tool: "write_file".into(),
            argument: "output.txt".into(),
            outcome: "IOError".into(),
            success: false,
        };
        assert_eq!(failed.log_line(), r#"X T write_file("output.txt") -> IOError"#);
        assert_eq!(argument_preview(&serde_json::json!({"file_path": "a.txt", "content": "x"})), "a.txt");
    }
}
