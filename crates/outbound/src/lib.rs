//! Outbound HTTP for guests, one gate for every kind of component: weft's
//! world (`weft:tool/outbound-http`) and Spin HTTP components
//! (`wasi:http/outgoing-handler`) both send through [`OutboundHttp`].
//!
//! One client per component, every request checked against the
//! component's `allowed_outbound_hosts` (Spin patterns, see [`HostPattern`]),
//! with connect / first-byte / between-bytes timeouts and a response-size
//! cap ([`HttpLimits`]). Redirects are never followed. A request allowed
//! only by a wildcard entry reaches public addresses only (see [`network`]).
//! A refusal is logged with the origin only: a path or a query may carry a
//! secret.
//!
//! ```
//! # async fn demo() {
//! use weft_outbound::{HttpLimits, OutboundError, OutboundHttp, Request};
//! let gate = OutboundHttp::new("notes", &["https://api.example.com".to_owned()], HttpLimits::default())
//!     .expect("valid patterns");
//! let request = Request::get("https://evil.example.net/steal");
//! assert!(matches!(gate.send(request).await, Err(OutboundError::NotAllowed(_))));
//! # }
//! ```
#![deny(missing_docs)]

mod hosts;
pub mod network;

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;

pub use hosts::{HostPattern, Origin};

/// One request a guest wants sent. `url` is absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// `https://host[:port]/path?query`.
    pub url: String,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body, when there is one.
    pub body: Option<Vec<u8>>,
}

impl Request {
    /// A `GET` of `url` without headers.
    pub fn get(url: impl Into<String>) -> Self {
        Self { method: "GET".into(), url: url.into(), headers: Vec::new(), body: None }
    }
}

/// The whole response (the body is capped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Why no response came back. Each case carries a message for humans.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutboundError {
    /// The URL's scheme, host or port is not in `allowed_outbound_hosts`.
    #[error("{0}")]
    NotAllowed(String),
    /// The URL or method could not be understood.
    #[error("{0}")]
    InvalidRequest(String),
    /// Connecting, the first byte or a pause between bytes took too long.
    #[error("{0}")]
    Timeout(String),
    /// The response body is larger than the cap.
    #[error("{0}")]
    TooLarge(String),
    /// Connection refused, TLS failure, reset, ...
    #[error("{0}")]
    Transport(String),
}

use OutboundError as HttpError;
use Request as HttpRequest;
use Response as HttpResponse;

/// `[component.NAME.http]`: limits of one outbound request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpLimits {
    /// Budget to open the connection (TCP and TLS), in milliseconds.
    pub connect_timeout_ms: u64,
    /// Budget from sending the request to the response headers, in milliseconds.
    pub first_byte_timeout_ms: u64,
    /// Longest pause allowed while the body streams in, in milliseconds.
    pub between_bytes_timeout_ms: u64,
    /// Largest response body accepted, in bytes.
    pub max_response_bytes: u64,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            connect_timeout_ms: 5_000,
            first_byte_timeout_ms: 10_000,
            between_bytes_timeout_ms: 10_000,
            max_response_bytes: 8 << 20,
        }
    }
}

/// A component's network: its grant and the client that honours it.
pub struct OutboundHttp {
    component: String,
    allowed: Vec<HostPattern>,
    /// `None` when the component has no grant: nothing can be sent.
    client: Option<Clients>,
    limits: HttpLimits,
}

struct Clients {
    /// For hosts an entry names exactly: resolved as the system resolves them.
    named: reqwest::Client,
    /// For hosts only a wildcard entry allows: public addresses only.
    public: reqwest::Client,
}

impl OutboundHttp {
    /// Whether the component has a grant at all (without one nothing can be sent).
    pub fn is_granted(&self) -> bool {
        self.client.is_some()
    }

    /// The network of `component`, from its (already expanded) patterns.
    pub fn new(component: &str, patterns: &[String], limits: HttpLimits) -> Result<Self, String> {
        let allowed = patterns.iter().map(|text| HostPattern::parse(text)).collect::<Result<Vec<_>, _>>()?;
        let client = match allowed.is_empty() {
            true => None,
            false => {
                // reqwest is built without a bundled crypto provider; ring is ours.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let builder = || {
                    reqwest::Client::builder()
                        .connect_timeout(Duration::from_millis(limits.connect_timeout_ms))
                        .redirect(reqwest::redirect::Policy::none())
                };
                let built = |builder: reqwest::ClientBuilder| {
                    builder.build().map_err(|err| format!("cannot build an HTTP client: {err}"))
                };
                Some(Clients {
                    named: built(builder())?,
                    public: built(builder().dns_resolver(Arc::new(network::PublicOnly)))?,
                })
            }
        };
        Ok(Self { component: component.to_owned(), allowed, client, limits })
    }

    /// Sends one guest request, or says why not.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let url = Url::parse(&request.url)
            .map_err(|err| HttpError::InvalidRequest(format!("invalid URL: {err}")))?;
        let origin = Origin::of(&url).map_err(HttpError::InvalidRequest)?;
        let matching = || self.allowed.iter().filter(|pattern| pattern.allows(&origin));
        let client = match &self.client {
            Some(clients) if matching().any(HostPattern::names_host) => &clients.named,
            Some(clients) if matching().next().is_some() => {
                if origin.ip().is_some_and(|ip| !network::is_public(ip)) {
                    return Err(self.refuse_private(&origin));
                }
                &clients.public
            }
            _ => {
                // The origin only: a path or query may carry a secret.
                tracing::warn!(component = %self.component, destination = %origin, "outbound request refused: not in allowed_outbound_hosts");
                return Err(HttpError::NotAllowed(format!(
                    "Requests to {origin} are not allowed for this component"
                )));
            }
        };
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| HttpError::InvalidRequest(format!("invalid method '{}'", request.method)))?;
        let mut builder = client.request(method, url).headers(header_map(request.headers)?);
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let first_byte = Duration::from_millis(self.limits.first_byte_timeout_ms);
        let response = match tokio::time::timeout(first_byte, builder.send()).await {
            Err(_elapsed) => {
                return Err(HttpError::Timeout(format!(
                    "{origin} did not answer within {} ms",
                    first_byte.as_millis()
                )));
            }
            Ok(Err(err)) if resolved_private(&err) => return Err(self.refuse_private(&origin)),
            Ok(Err(err)) => return Err(transport_error(&origin, err)),
            Ok(Ok(response)) => response,
        };
        self.read(&origin, response).await
    }

    fn refuse_private(&self, origin: &Origin) -> HttpError {
        tracing::warn!(component = %self.component, destination = %origin, "outbound request refused: a private address, allowed only by a wildcard entry");
        HttpError::NotAllowed(format!(
            "Requests to {origin} are not allowed for this component: it is a private address, \
             reachable only through an allowed_outbound_hosts entry that names it"
        ))
    }

    async fn read(
        &self,
        origin: &Origin,
        mut response: reqwest::Response,
    ) -> Result<HttpResponse, HttpError> {
        let cap = self.limits.max_response_bytes;
        let too_large =
            || HttpError::TooLarge(format!("the response from {origin} is larger than {cap} bytes"));
        if response.content_length().is_some_and(|length| length > cap) {
            return Err(too_large());
        }
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned())
            })
            .collect();
        let idle = Duration::from_millis(self.limits.between_bytes_timeout_ms);
        let mut body = Vec::new();
        loop {
            match tokio::time::timeout(idle, response.chunk()).await {
                Err(_elapsed) => {
                    return Err(HttpError::Timeout(format!(
                        "{origin} paused for more than {} ms in the response body",
                        idle.as_millis()
                    )));
                }
                Ok(Err(err)) => return Err(transport_error(origin, err)),
                Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk))) => {
                    if (body.len() + chunk.len()) as u64 > cap {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
            }
        }
        Ok(HttpResponse { status, headers, body })
    }
}

fn header_map(headers: Vec<(String, String)>) -> Result<HeaderMap, HttpError> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| HttpError::InvalidRequest(format!("invalid header name '{name}'")))?;
        // The value is not echoed: it may be a credential.
        let value = HeaderValue::from_str(&value)
            .map_err(|_| HttpError::InvalidRequest(format!("invalid value for header '{name}'")))?;
        map.append(header, value);
    }
    Ok(map)
}

/// Whether the request failed because its host resolved only to private addresses.
fn resolved_private(err: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if cause.is::<network::PrivateOnly>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// reqwest's error and its causes, without the URL (which may carry a secret).
fn transport_error(origin: &Origin, err: reqwest::Error) -> HttpError {
    if err.is_timeout() {
        return HttpError::Timeout(format!("connecting to {origin} timed out"));
    }
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    HttpError::Transport(format!("request to {origin} failed: {text}"))
}
