//! Secret redaction: the values of variables marked `secret = true` never
//! leave the sandbox, even when a guest echoes them back.

use std::borrow::Cow;

use weft_protocol::ToolOutcome;

/// What replaces a secret value.
pub const REDACTED: &str = "[REDACTED]";

/// Secrets shorter than this are not redacted: replacing every `a` of an
/// output would destroy it and hide nothing.
const MIN_SECRET_LEN: usize = 4;

/// Replaces every known secret value in text with [`REDACTED`].
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so that a secret containing another is replaced whole.
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor for these values; empty and very short ones are ignored.
    pub fn new(values: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = values
            .into_iter()
            .filter(|value| {
                let long_enough = value.chars().count() >= MIN_SECRET_LEN;
                if !long_enough && !value.is_empty() {
                    tracing::warn!(
                        "a secret variable is shorter than {MIN_SECRET_LEN} characters and is not redacted"
                    );
                }
                long_enough
            })
            .collect();
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Self { secrets }
    }

    /// Whether there is anything to redact.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every secret replaced.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(text);
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = Cow::Owned(text.replace(secret.as_str(), REDACTED));
            }
        }
        text
    }

    /// `outcome` with its result text redacted.
    pub fn redact_outcome(&self, mut outcome: ToolOutcome) -> ToolOutcome {
        if let Cow::Owned(clean) = self.redact(&outcome.result) {
            outcome.result = clean;
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_of_every_secret_is_replaced_longest_first() {
        let redactor = Redactor::new(["ghp_abc".to_owned(), "ghp_abcdef".to_owned(), "x".to_owned()]);
        assert_eq!(redactor.redact("a ghp_abcdef b ghp_abc c x"), "a [REDACTED] b [REDACTED] c x");
        assert!(matches!(redactor.redact("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn outcomes_keep_their_kind() {
        let redactor = Redactor::new(["s3cret-token".to_owned()]);
        let outcome = ToolOutcome::error(weft_protocol::ErrorType::UpstreamError, "bad s3cret-token");
        let clean = redactor.redact_outcome(outcome);
        assert_eq!(clean.result, "bad [REDACTED]");
        assert_eq!(clean.error_type, Some(weft_protocol::ErrorType::UpstreamError));
    }
}
