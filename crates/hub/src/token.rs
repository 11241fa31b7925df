//! The Hub token: read from `HF_TOKEN`, sent only as a sensitive header to
//! the Hub's own origin, never shown.

use reqwest::header::HeaderValue;

use crate::HubError;

/// A Hugging Face access token. Its `Debug` shows `[REDACTED]`; it has no
/// `Display`, and weft never writes it anywhere but the `Authorization`
/// header of requests to the Hub (not to LFS storage).
#[derive(Clone, PartialEq, Eq)]
pub struct HfToken(String);

impl HfToken {
    /// A token from its text (surrounding whitespace ignored).
    pub fn new(text: &str) -> Result<Self, HubError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(missing());
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            // Never quote it: the point is that it goes nowhere but the header.
            return Err(HubError::Unauthorized {
                detail: "the token holds spaces or characters that cannot be sent in a header".into(),
            });
        }
        Ok(Self(text.to_owned()))
    }

    /// `HF_TOKEN`, the variable the Hub's own tools read.
    pub fn from_env() -> Result<Self, HubError> {
        match std::env::var("HF_TOKEN") {
            Ok(text) => Self::new(&text),
            Err(_) => Err(missing()),
        }
    }

    /// `Bearer <token>`, marked sensitive (hyper and reqwest leave such
    /// values out of their logs).
    pub(crate) fn authorization(&self) -> HeaderValue {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.0))
            .unwrap_or_else(|_| HeaderValue::from_static(""));
        value.set_sensitive(true);
        value
    }

    /// `text` with every copy of the token masked.
    pub(crate) fn mask(&self, text: &str) -> String {
        text.replace(&self.0, "[REDACTED]")
    }
}

impl std::fmt::Debug for HfToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HfToken([REDACTED])")
    }
}

fn missing() -> HubError {
    HubError::Unauthorized {
        detail: "set HF_TOKEN to a Hugging Face access token with write access \
                 (https://huggingface.co/settings/tokens)"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let token = HfToken::new("hf_secret_value_123").unwrap();
        let shown = format!("{token:?} {:?}", Some(token.clone()));
        assert!(!shown.contains("hf_secret_value_123"), "{shown}");
        assert!(shown.contains("[REDACTED]"));
        assert!(token.authorization().is_sensitive());
    }

    #[test]
    fn empty_or_unsendable_tokens_are_refused_without_quoting_them() {
        let err = HfToken::new("  ").unwrap_err().to_string();
        assert!(err.starts_with("HF_TOKEN is missing or invalid"), "{err}");
        let err = HfToken::new("hf_a b").unwrap_err().to_string();
        assert!(!err.contains("hf_a b"), "{err}");
    }

    #[test]
    fn masking_hides_every_copy() {
        let token = HfToken::new("hf_xyz").unwrap();
        assert_eq!(token.mask("bad hf_xyz, really hf_xyz"), "bad [REDACTED], really [REDACTED]");
    }
}
