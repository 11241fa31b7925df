use serde::{Deserialize, Serialize};

use crate::ErrorType;

/// The result of executing one tool call: the Spin envelope.
///
/// `result` is the text the model observes — file contents, a JSON document
/// rendered as text, or an error message. On the wire `error_type` is omitted
/// on success, exactly as DeepFabric's components answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolOutcome {
    /// Whether the call did what it was asked.
    pub success: bool,
    /// What the model observes.
    #[serde(default, deserialize_with = "result_text")]
    pub result: String,
    /// Why it failed, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<ErrorType>,
}

/// The kind of an outcome the sandbox gives when a component's store
/// failed under it (Redis gone, a file unwritable): not the tool's answer
/// but the service's failure, which no sample may be built on. `weft serve`
/// answers it as HTTP 503 with `error_type: IOError`; the in-process
/// backend as [`crate::BackendError::Unavailable`].
pub const STORE_UNAVAILABLE: &str = "StoreUnavailable";

impl ToolOutcome {
    /// The outcome of a call whose store failed (see [`STORE_UNAVAILABLE`]).
    pub fn store_unavailable(message: impl Into<String>) -> Self {
        Self::error(ErrorType::Other(STORE_UNAVAILABLE.to_owned()), message)
    }

    /// Whether this is [`Self::store_unavailable`]'s outcome.
    pub fn is_store_unavailable(&self) -> bool {
        matches!(&self.error_type, Some(ErrorType::Other(kind)) if kind == STORE_UNAVAILABLE)
    }

    /// A successful outcome.
    pub fn ok(result: impl Into<String>) -> Self {
        Self { success: true, result: result.into(), error_type: None }
    }

    /// A failed outcome of the given kind.
    pub fn error(error_type: ErrorType, message: impl Into<String>) -> Self {
        Self { success: false, result: message.into(), error_type: Some(error_type) }
    }

    /// The error name, or `"success"` — the label used in events and metrics.
    pub fn label(&self) -> &str {
        match &self.error_type {
            Some(kind) => kind.as_str(),
            None if self.success => "success",
            None => "Error",
        }
    }
}

/// Remote services sometimes answer with a JSON value in `result` rather than
/// text; keep it, rendered compactly, instead of failing the whole call.
fn result_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(match value {
        serde_json::Value::String(text) => text,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_omits_error_type() {
        let wire = serde_json::to_string(&ToolOutcome::ok("hi")).expect("serialises");
        assert_eq!(wire, r#"{"success":true,"result":"hi"}"#);
    }

    #[test]
    fn json_results_from_remote_services_become_text() {
        let outcome: ToolOutcome =
            serde_json::from_str(r#"{"success":true,"result":["a.txt","b.txt"],"error_type":null}"#)
                .expect("parses");
        assert_eq!(outcome.result, r#"["a.txt","b.txt"]"#);
        assert_eq!(outcome.error_type, None);
        assert_eq!(outcome.label(), "success");
    }
}
