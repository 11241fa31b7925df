//! One HTTP client for an upload: the token on requests to the Hub's own
//! origin only, retries with backoff, and the Hub's errors made readable.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::{HfToken, HubError};

/// The public Hub, when `HF_ENDPOINT` is unset.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// Attempts per request, the first included.
const ATTEMPTS: u32 = 4;

/// `HF_ENDPOINT` (trailing `/` removed), or [`DEFAULT_ENDPOINT`].
pub fn endpoint_from_env() -> String {
    std::env::var("HF_ENDPOINT")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .map_or_else(|| DEFAULT_ENDPOINT.to_owned(), |e| e.trim().trim_end_matches('/').to_owned())
}

/// Which failures a request may be sent again after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Safe to repeat (reads, preupload, LFS batch and transfers): 429,
    /// 5xx, and any transport error.
    Always,
    /// Not safe to repeat once the Hub may have acted (commit, repo and
    /// tag creation): only 429 and a connection that never opened.
    Unsent,
}

pub(crate) struct HubClient {
    http: reqwest::Client,
    /// `https://huggingface.co`, no trailing `/`.
    endpoint: String,
    /// The Hub's origin (`scheme://host:port`), to decide which URLs get
    /// the token.
    origin: String,
    token: HfToken,
}

impl HubClient {
    pub fn new(endpoint: &str, token: HfToken) -> Result<Self, HubError> {
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        let parsed = Url::parse(&endpoint)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                HubError::Invalid(format!("invalid Hub endpoint {:?}: not an http(s) URL", shown(&endpoint)))
            })?;
        // reqwest is built without a bundled crypto provider; ring is ours.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("weft/", env!("CARGO_PKG_VERSION"), "; hf_hub-compatible"))
            .connect_timeout(Duration::from_secs(15))
            // No total timeout: an LFS object may take long. A stalled
            // connection still ends.
            .read_timeout(Duration::from_secs(300))
            .build()
            .map_err(|err| HubError::Invalid(format!("cannot build an HTTP client: {err}")))?;
        Ok(Self { http, origin: parsed.origin().ascii_serialization(), endpoint, token })
    }

    /// `{endpoint}{path}`; `path` starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint)
    }

    /// The endpoint as messages show it (no credentials).
    pub fn shown_endpoint(&self) -> String {
        shown(&self.endpoint)
    }

    /// A request, with the token if `url` is on the Hub's own origin. LFS
    /// storage URLs are pre-signed and on other origins: they never see it.
    pub fn request(&self, method: Method, url: &str) -> RequestBuilder {
        let builder = self.http.request(method, url);
        match Url::parse(url) {
            Ok(parsed) if parsed.origin().ascii_serialization() == self.origin => {
                builder.header(AUTHORIZATION, self.token.authorization())
            }
            _ => builder,
        }
    }

    /// A request without the token, wherever it goes (LFS transfers).
    pub fn anonymous(&self, method: Method, url: &str) -> RequestBuilder {
        self.http.request(method, url)
    }

    /// Sends what `build` makes, again after a failure `retry` allows, with
    /// a backoff of 0.5 s, 1 s, 2 s (or the Hub's `Retry-After`, up to 30 s).
    /// Any answer that is not retried is returned, whatever its status.
    pub async fn send(
        &self,
        action: &str,
        retry: Retry,
        build: impl Fn() -> Result<RequestBuilder, HubError>,
    ) -> Result<Response, HubError> {
        let mut attempt = 1;
        loop {
            let request = build()?.build().map_err(|err| self.transport(action, None, &err))?;
            let url = request.url().clone();
            tracing::debug!(method = %request.method(), url = %shown(url.as_str()), attempt, "hub request");
            let wait = match self.http.execute(request).await {
                Ok(response) => {
                    let status = response.status();
                    tracing::debug!(status = status.as_u16(), url = %shown(url.as_str()), "hub answer");
                    let again = status == StatusCode::TOO_MANY_REQUESTS
                        || (retry == Retry::Always && status.is_server_error());
                    if !again || attempt == ATTEMPTS {
                        return Ok(response);
                    }
                    retry_after(&response).unwrap_or_else(|| backoff(attempt))
                }
                Err(err) => {
                    let again = retry == Retry::Always || err.is_connect();
                    if !again || attempt == ATTEMPTS {
                        return Err(self.transport(action, Some(&url), &err));
                    }
                    backoff(attempt)
                }
            };
            tracing::info!(attempt, "{action}: retrying in {:.1}s", wait.as_secs_f32());
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// [`Self::send`], with any answer but 2xx made an error.
    pub async fn send_ok(
        &self,
        action: &str,
        retry: Retry,
        build: impl Fn() -> Result<RequestBuilder, HubError>,
    ) -> Result<Response, HubError> {
        let response = self.send(action, retry, build).await?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(self.refusal(action, response).await)
    }

    /// An answer's JSON body as `T`.
    pub async fn json<T: DeserializeOwned>(&self, action: &str, response: Response) -> Result<T, HubError> {
        let url = response.url().clone();
        let bytes = response.bytes().await.map_err(|err| self.transport(action, Some(&url), &err))?;
        serde_json::from_slice(&bytes)
            .map_err(|err| HubError::protocol(action, format!("{err}: {}", self.mask(&excerpt(&bytes)))))
    }

    /// The error a non-2xx answer stands for, with the Hub's message.
    pub async fn refusal(&self, action: &str, response: Response) -> HubError {
        let status = response.status();
        let header_message =
            response.headers().get("x-error-message").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = response.bytes().await.unwrap_or_default();
        let message = self.mask(&hub_message(header_message, &body));
        let action = action.to_owned();
        match status {
            StatusCode::UNAUTHORIZED => HubError::Unauthorized {
                detail: format!("the Hub at {} refused it ({action}): {message}", self.shown_endpoint()),
            },
            StatusCode::FORBIDDEN => HubError::Forbidden { action, message },
            StatusCode::NOT_FOUND => HubError::NotFound { action, message },
            _ => HubError::Status { action, status: status.as_u16(), message },
        }
    }

    fn transport(&self, action: &str, url: Option<&Url>, err: &reqwest::Error) -> HubError {
        let endpoint = match url {
            Some(url) => shown(&url.origin().ascii_serialization()),
            None => self.shown_endpoint(),
        };
        HubError::Network { action: action.to_owned(), endpoint, reason: self.mask(&describe(err)) }
    }

    pub fn mask(&self, text: &str) -> String {
        self.token.mask(text)
    }
}

/// What the Hub said: `X-Error-Message`, else the body's `error`
/// (or `message`), else the body itself.
fn hub_message(header: Option<String>, body: &[u8]) -> String {
    let from_json = serde_json::from_slice::<serde_json::Value>(body).ok().and_then(|json| {
        let field = json.get("error").or_else(|| json.get("message"))?;
        Some(field.as_str().map_or_else(|| field.to_string(), str::to_owned))
    });
    match (header, from_json) {
        (Some(header), Some(body)) if body.contains(&header) => body,
        (Some(header), _) if !header.is_empty() => header,
        (_, Some(body)) => body,
        _ => excerpt(body),
    }
}

fn retry_after(response: &Response) -> Option<Duration> {
    let secs: u64 = response.headers().get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs.min(30)))
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500 << (attempt - 1).min(6))
}

/// A URL without `user:password@`.
fn shown(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.as_str().trim_end_matches('/').to_owned()
        }
        _ => url.to_owned(),
    }
}

/// At most 300 characters of a body.
fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".to_owned();
    }
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// reqwest's error text and its causes, any credentials in the URL removed.
fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if let Some(url) = err.url() {
        text = text.replace(url.as_str(), &shown(url.as_str()));
    }
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_prefer_the_hubs_words() {
        let body = br#"{"error": "Repository not found"}"#;
        assert_eq!(hub_message(None, body), "Repository not found");
        assert_eq!(hub_message(Some("Repository not found".into()), body), "Repository not found");
        assert_eq!(hub_message(Some("Nope".into()), b"<html>"), "Nope");
        assert_eq!(hub_message(None, b""), "(empty body)");
        assert_eq!(hub_message(None, br#"{"error": ["a", "b"]}"#), r#"["a","b"]"#);
    }

    #[test]
    fn endpoints_are_shown_without_credentials() {
        assert_eq!(shown("https://user:pw@hub.example.com/"), "https://hub.example.com");
        assert_eq!(shown("http://127.0.0.1:9"), "http://127.0.0.1:9");
    }

    #[test]
    fn a_bad_endpoint_is_refused() {
        let token = HfToken::new("hf_x").unwrap();
        for bad in ["huggingface.co", "ftp://hub", "http://"] {
            let err = HubClient::new(bad, token.clone()).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.starts_with("invalid Hub endpoint"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_token_goes_to_the_hubs_origin_only() {
        let client = HubClient::new("http://127.0.0.1:9", HfToken::new("hf_x").unwrap()).unwrap();
        let to_hub = client.request(Method::POST, "http://127.0.0.1:9/api/x").build().unwrap();
        assert!(to_hub.headers().contains_key(AUTHORIZATION));
        let to_storage = client.request(Method::PUT, "http://127.0.0.1:10/upload").build().unwrap();
        assert!(!to_storage.headers().contains_key(AUTHORIZATION));
    }
}
