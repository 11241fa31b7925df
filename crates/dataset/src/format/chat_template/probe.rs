//! The drop check: after a template rendered a sample, every call's name,
//! every argument, every result and every answer must be in the text.
//!
//! Looking for the values themselves proves little: a tool's name is also
//! in the tool definitions, an argument is often repeated in the
//! assistant's own words ("I'll read notes.txt"). So the record is rendered
//! a second time as a *probe*: each call's name, each argument key and each
//! string value, each result and each answer carries a marker that appears
//! nowhere else (numbers are replaced by unique numbers), and what is
//! missing from the probe's text was dropped by the template. Booleans and
//! nulls are checked through their key. The markers are ASCII letters and
//! digits, which every escaping leaves as they are.

use serde_json::{Map, Number, Value};

/// One thing the probe's text must contain.
pub(super) struct Expected {
    /// The marker (or unique number) to look for.
    needle: String,
    /// The call it belongs to (1-based), or none for an answer.
    call: Option<usize>,
    /// What it is, for the error.
    what: String,
}

/// A marked copy of a TRL record, and what its text must contain.
pub(super) fn probe(record: &Value) -> (Value, Vec<Expected>) {
    let mut probe = Probe { next: 0, expected: Vec::new() };
    let mut record = record.clone();
    let mut names: Vec<(String, String)> = Vec::new(); // call id -> "call N (name)"
    let mut calls = 0;
    let mut answers = 0;
    if let Some(messages) = record.get_mut("messages").and_then(Value::as_array_mut) {
        for message in messages {
            let role = message.get("role").and_then(Value::as_str).unwrap_or_default().to_owned();
            let has_calls =
                message.get("tool_calls").and_then(Value::as_array).is_some_and(|c| !c.is_empty());
            if let Some(entries) = message.get_mut("tool_calls").and_then(Value::as_array_mut) {
                for entry in entries {
                    calls += 1;
                    let id = entry.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
                    let Some(function) = entry.get_mut("function").and_then(Value::as_object_mut) else {
                        continue;
                    };
                    let name = function.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
                    names.push((id, format!("call {calls} ({name})")));
                    let marker = probe.expect(Some(calls), "name".into());
                    function.insert("name".into(), Value::String(format!("{name}{marker}")));
                    if let Some(Value::Object(arguments)) = function.get_mut("arguments") {
                        probe.mark_object(arguments, calls, "");
                    }
                }
            } else if role == "tool" {
                let id = message.get("tool_call_id").and_then(Value::as_str).unwrap_or_default();
                let call = names.iter().position(|(known, _)| known == id).map(|n| n + 1);
                let marker = probe.expect(call, "its result".into());
                prefix_content(message, &marker);
            } else if role == "assistant" && !has_calls {
                answers += 1;
                let marker = probe.expect(None, format!("answer {answers}"));
                prefix_content(message, &marker);
            }
        }
    }
    let labels = names.into_iter().map(|(_, label)| label).collect::<Vec<_>>();
    for expected in &mut probe.expected {
        if let Some(call) = expected.call {
            let label = labels.get(call - 1).cloned().unwrap_or_else(|| format!("call {call}"));
            expected.what = format!("{label}: {}", expected.what);
        }
    }
    (record, probe.expected)
}

/// What the probe's text lacks, one entry per call (or answer): `call 2
/// (read_file): name, argument file_path, its result`.
pub(super) fn missing(text: &str, expected: &[Expected]) -> Vec<String> {
    let mut out: Vec<(Option<usize>, String)> = Vec::new();
    for item in expected.iter().filter(|item| !text.contains(&item.needle)) {
        match out.last_mut() {
            Some((call, parts)) if item.call.is_some() && *call == item.call => {
                let detail = item.what.rsplit_once(": ").map_or(item.what.as_str(), |(_, d)| d);
                parts.push_str(", ");
                parts.push_str(detail);
            }
            _ => out.push((item.call, item.what.clone())),
        }
    }
    out.into_iter().map(|(_, parts)| parts).collect()
}

struct Probe {
    next: usize,
    expected: Vec<Expected>,
}

impl Probe {
    fn marker(&mut self) -> String {
        self.next += 1;
        format!("Zq{}Xw", self.next)
    }

    fn expect(&mut self, call: Option<usize>, what: String) -> String {
        let needle = self.marker();
        self.expected.push(Expected { needle: needle.clone(), call, what });
        needle
    }

    /// Marks every key and every leaf value of `object` (`path` names it).
    fn mark_object(&mut self, object: &mut Map<String, Value>, call: usize, path: &str) {
        let entries = std::mem::take(object);
        for (key, mut value) in entries {
            let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            let marker = self.expect(Some(call), format!("argument {path}"));
            self.mark_value(&mut value, call, &path);
            object.insert(format!("{key}{marker}"), value);
        }
    }

    fn mark_value(&mut self, value: &mut Value, call: usize, path: &str) {
        match value {
            Value::String(text) => {
                let marker = self.expect(Some(call), format!("value of {path}"));
                text.push_str(&marker);
            }
            Value::Number(number) => {
                // A number no text is likely to hold, of the same kind.
                self.next += 1;
                let unique = 7_340_000 + self.next as u64;
                let (replacement, needle) = if number.is_f64() {
                    let f = unique as f64 + 0.5;
                    (Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null), format!("{unique}.5"))
                } else {
                    (Value::Number(unique.into()), unique.to_string())
                };
                *value = replacement;
                self.expected.push(Expected { needle, call: Some(call), what: format!("value of {path}") });
            }
            Value::Array(items) => {
                for (index, item) in items.iter_mut().enumerate() {
                    self.mark_value(item, call, &format!("{path}[{index}]"));
                }
            }
            Value::Object(object) => self.mark_object(object, call, path),
            Value::Bool(_) | Value::Null => {}
        }
    }
}

fn prefix_content(message: &mut Value, marker: &str) {
    if let Some(Value::String(content)) = message.get_mut("content") {
        content.insert_str(0, marker);
    }
}
