//! The HTTP side shared by every remote provider: one POST of JSON with
//! rate limits, a per-call timeout, retries and usage counting. A provider
//! only says how a [`ChatRequest`] looks on its wire ([`WireFormat`]).

use std::fmt;
use std::sync::Once;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use serde_json::Value;

use crate::h1::{self, H1Client, H1Error, Reply};
use crate::key::ApiKey;
use crate::lanes::{Lanes, MAX_LANES, STREAMS_PER_LANE};
use crate::limiter::RateLimits;
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::{ChatModel, ChatRequest, ChatResponse, HttpVersion, LlmError, UsageCounter};

/// Connecting may take at most this long, whatever the call timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Error bodies are cut to this many characters in messages.
const MAX_ERROR_CHARS: usize = 600;

/// How one provider's wire format maps requests and replies.
pub(crate) trait WireFormat: Send + Sync + fmt::Debug {
    /// The path appended to the base URL for a chat call of `model`.
    fn path(&self, model: &str) -> String;
    /// The JSON body of a request, sampled as `sampling` says (the
    /// request's own settings, else the model's defaults).
    fn body(&self, model: &str, request: &ChatRequest, sampling: Sampling) -> Result<Value, LlmError>;
    /// [`WireFormat::body`] serialised: the bytes sent. A format may write
    /// them directly (borrowing the history instead of copying it into a
    /// JSON tree first); they must equal the serialised `body`.
    fn body_bytes(
        &self,
        model: &str,
        request: &ChatRequest,
        sampling: Sampling,
    ) -> Result<Vec<u8>, LlmError> {
        serialise(&self.body(model, request, sampling)?)
    }
    /// The reply body, understood.
    fn parse(&self, request: &ChatRequest, reply: Value) -> Result<ChatResponse, LlmError>;
    /// The reply body read straight into typed structs, skipping the JSON
    /// tree: `None` when the format has no such path or the body is not the
    /// usual shape, and [`WireFormat::parse`] decides. When it answers, it
    /// must answer what `parse` would.
    fn parse_bytes(&self, _request: &ChatRequest, _bytes: &[u8]) -> Option<Result<ChatResponse, LlmError>> {
        None
    }
}

/// Sampling settings of one request: its own, else the model's defaults.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sampling {
    /// Temperature.
    pub temperature: Option<f32>,
    /// Completion token cap.
    pub max_tokens: Option<u32>,
}

/// Settings every HTTP model shares, taken from the spec.
#[derive(Debug, Clone)]
pub(crate) struct HttpSettings {
    /// Provider name for errors and `ChatModel::provider`.
    pub(crate) provider: String,
    /// Model name.
    pub(crate) model: String,
    /// Base URL without a trailing slash.
    pub(crate) base_url: Url,
    /// Headers sent with every call (auth headers are marked sensitive).
    pub(crate) headers: HeaderMap,
    /// The key, when there is one, for redacting messages.
    pub(crate) key: Option<ApiKey>,
    /// Per-call timeout.
    pub(crate) timeout: Duration,
    /// Retries.
    pub(crate) retry: RetryPolicy,
    /// Defaults for requests that leave them unset.
    pub(crate) temperature: Option<f32>,
    /// Defaults for requests that leave them unset.
    pub(crate) max_tokens: Option<u32>,
    /// Requests and tokens per minute.
    pub(crate) requests_per_minute: Option<u32>,
    /// Requests and tokens per minute.
    pub(crate) tokens_per_minute: Option<u32>,
    /// Which HTTP to speak.
    pub(crate) http: HttpVersion,
}

/// A header value that `Debug` prints as `Sensitive`.
pub(crate) fn secret_header(name: &'static str, value: &str) -> Result<(HeaderName, HeaderValue), LlmError> {
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        LlmError::Config(format!("the API key for header {name} contains invalid characters"))
    })?;
    value.set_sensitive(true);
    Ok((HeaderName::from_static(name), value))
}

/// A chat model that speaks `W` over HTTP.
pub(crate) struct HttpModel<W> {
    settings: HttpSettings,
    /// The endpoint, parsed once (parsing a URL per call showed in profiles).
    url: Url,
    client: Client,
    limits: RateLimits,
    usage: UsageCounter,
    wire: W,
}

impl<W: WireFormat> HttpModel<W> {
    /// Builds the client; fails on TLS setup, never on the network.
    pub(crate) fn new(settings: HttpSettings, usage: UsageCounter, wire: W) -> Result<Self, LlmError> {
        install_crypto_provider();
        let connect_timeout = CONNECT_TIMEOUT.min(settings.timeout);
        let url = endpoint(&settings, &wire)?;
        // Plain HTTP/1.1 has a client of its own (see `h1` for why).
        let client =
            if settings.http != HttpVersion::Http2 && h1::suits(&url, |name| std::env::var(name).ok()) {
                let client =
                    H1Client::new(&url, &settings.headers, USER_AGENT, connect_timeout, settings.timeout)
                        .map_err(|message| LlmError::Config(format!("bad URL {url}: {message}")))?;
                Client::Plain(client)
            } else {
                Client::Lanes(reqwest_lanes(&settings, connect_timeout)?)
            };
        let limits = RateLimits::new(settings.requests_per_minute, settings.tokens_per_minute);
        Ok(Self { settings, url, client, limits, usage, wire })
    }

    fn sampling(&self, request: &ChatRequest) -> Sampling {
        Sampling {
            temperature: request.temperature.or(self.settings.temperature),
            max_tokens: request.max_tokens.or(self.settings.max_tokens),
        }
    }

    /// POSTs `body`, retrying what is worth retrying, and returns the reply
    /// as `parse` understands it. A reply that cannot be understood — a body
    /// cut off, empty or not JSON, or JSON without a reply in it, all with a
    /// 200 — is retried like a 5xx: the call failed, not the sample.
    async fn post<T>(
        &self,
        body: &bytes::Bytes,
        estimated_tokens: u64,
        parse: impl Fn(&[u8]) -> Result<T, LlmError>,
    ) -> Result<T, LlmError> {
        let mut attempt = 0u32;
        loop {
            self.limits.acquire(estimated_tokens).await;
            let failure = match self.attempt(body).await.and_then(|bytes| {
                parse(&bytes).map_err(|error| match error {
                    malformed @ LlmError::Malformed { .. } => Failure::retryable(malformed, None),
                    other => Failure::fatal(other),
                })
            }) {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            };
            if !failure.retryable || attempt >= self.settings.retry.max_retries {
                return Err(failure.error);
            }
            let delay = self.settings.retry.delay(attempt, failure.retry_after);
            tracing::warn!(
                provider = %self.settings.provider,
                attempt = attempt + 1,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = %failure.error,
                "retrying LLM call"
            );
            self.usage.record_retry();
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// One HTTP attempt: the body of a success.
    async fn attempt(&self, body: &bytes::Bytes) -> Result<bytes::Bytes, Failure> {
        let reply = match &self.client {
            Client::Plain(client) => {
                client.post(body).await.map_err(|err| Failure::retryable(self.plain_transport(&err), None))?
            }
            Client::Lanes(lanes) => self.through_reqwest(lanes, body).await?,
        };
        if (200..300).contains(&reply.status) {
            return Ok(reply.body);
        }
        let error = LlmError::Status {
            provider: self.settings.provider.clone(),
            status: reply.status,
            message: self.error_message(&reply.body),
        };
        Err(if is_retryable(reply.status) {
            Failure::retryable(error, reply.retry_after)
        } else {
            Failure::fatal(error)
        })
    }

    /// One exchange through reqwest (HTTPS, HTTP/2).
    async fn through_reqwest(&self, lanes: &Lanes, body: &bytes::Bytes) -> Result<Reply, Failure> {
        let lane = lanes.acquire().map_err(Failure::fatal)?;
        let response = lane
            .client()
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone())
            .send()
            .await
            .map_err(|err| Failure::retryable(self.transport(&err), None))?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let body = response.bytes().await.map_err(|err| Failure::retryable(self.transport(&err), None))?;
        // The client hands the connection back to its pool from tasks of its
        // own once the body is read (the connection's, then the pool's idle
        // watcher); letting them run first means the caller's next request
        // finds it idle instead of racing a new connection against it (at
        // 10,000 in flight over HTTP/1.1 that race held 16,800 connections,
        // two yields brought it to 12,300).
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        Ok(Reply { status, retry_after, body })
    }

    /// A success body, understood: straight into the wire's reply types when
    /// it can, else through a JSON tree (which names what is missing).
    fn parse_reply(&self, request: &ChatRequest, bytes: &[u8]) -> Result<ChatResponse, LlmError> {
        if let Some(parsed) = self.wire.parse_bytes(request, bytes) {
            return parsed;
        }
        let reply = serde_json::from_slice(bytes).map_err(|err| LlmError::Malformed {
            provider: self.settings.provider.clone(),
            message: format!("reply is not JSON ({err}): {}", self.excerpt(bytes)),
        })?;
        self.wire.parse(request, reply)
    }

    fn plain_transport(&self, err: &H1Error) -> LlmError {
        let message = format!("{}: {}: {err}", failure_kind(err.is_timeout(), err.is_connect()), self.url);
        LlmError::Transport { provider: self.settings.provider.clone(), message: self.redact(&message) }
    }

    fn transport(&self, err: &reqwest::Error) -> LlmError {
        let kind = failure_kind(err.is_timeout(), err.is_connect());
        // reqwest's message names the URL (never the key: keys travel in
        // headers); redact anyway in case a base URL embeds one.
        let mut message = format!("{kind}: {}", error_chain(err));
        if self.settings.http == HttpVersion::Http2 && !err.is_timeout() && !err.is_connect() {
            message.push_str(
                " (the client speaks only HTTP/2, as `llm.http: 2` asks: if this server speaks HTTP/1.1, \
                 set `llm.http: auto`)",
            );
        }
        LlmError::Transport { provider: self.settings.provider.clone(), message: self.redact(&message) }
    }

    /// The provider's own error message when the body has one, else the body.
    fn error_message(&self, bytes: &[u8]) -> String {
        let parsed: Option<Value> = serde_json::from_slice(bytes).ok();
        let message = parsed.as_ref().and_then(|body| {
            let error = body.get("error").unwrap_or(body);
            error.get("message").and_then(Value::as_str).or_else(|| error.as_str()).map(str::to_owned)
        });
        match message {
            Some(message) => self.redact(&truncate(&message, MAX_ERROR_CHARS)),
            None => self.excerpt(bytes),
        }
    }

    fn excerpt(&self, bytes: &[u8]) -> String {
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim();
        if text.is_empty() {
            return "(empty body)".to_owned();
        }
        self.redact(&truncate(text, MAX_ERROR_CHARS))
    }

    fn redact(&self, text: &str) -> String {
        match &self.settings.key {
            Some(key) => key.redact(text),
            None => text.to_owned(),
        }
    }
}

#[async_trait]
impl<W: WireFormat> ChatModel for HttpModel<W> {
    fn provider(&self) -> &str {
        &self.settings.provider
    }

    fn model(&self) -> &str {
        &self.settings.model
    }

    fn usage(&self) -> Option<UsageCounter> {
        Some(self.usage.clone())
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let sampling = self.sampling(request);
        let result = async {
            // Serialised once, before any wait: only these bytes are held
            // while the request is in flight, and a retry resends them.
            let body = bytes::Bytes::from(self.wire.body_bytes(&self.settings.model, request, sampling)?);
            let estimate = estimate_tokens(&body) + u64::from(sampling.max_tokens.unwrap_or(0));
            self.post(&body, estimate, |reply| self.parse_reply(request, reply)).await
        }
        .await;
        match &result {
            Ok(response) => self.usage.record_call(response.usage),
            Err(_) => self.usage.record_failure(),
        }
        result
    }
}

impl<W: fmt::Debug> fmt::Debug for HttpModel<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `settings.headers` prints sensitive values as "Sensitive" and the
        // key's own Debug is redacted, so this is safe to log.
        f.debug_struct("HttpModel")
            .field("settings", &self.settings)
            .field("limits", &self.limits)
            .field("wire", &self.wire)
            .finish_non_exhaustive()
    }
}

/// A request body's bytes.
pub(crate) fn serialise(body: &impl serde::Serialize) -> Result<Vec<u8>, LlmError> {
    serde_json::to_vec(body).map_err(|err| LlmError::Config(format!("cannot serialise the request: {err}")))
}

/// The URL a chat call of the settings' model is POSTed to.
fn endpoint(settings: &HttpSettings, wire: &impl WireFormat) -> Result<Url, LlmError> {
    let joined =
        format!("{}{}", settings.base_url.as_str().trim_end_matches('/'), wire.path(&settings.model));
    Url::parse(&joined).map_err(|err| LlmError::Config(format!("bad URL {joined}: {err}")))
}

/// The reqwest clients of `settings`' server. HTTPS over HTTP/1.1 carries
/// one request per connection: a single client's pool opens as many as are
/// in flight. HTTP/2 (always with `http: 2`, and whenever a TLS server picks
/// it) multiplexes, up to the server's stream limit per connection: lanes of
/// connections (see `lanes`).
fn reqwest_lanes(settings: &HttpSettings, connect_timeout: Duration) -> Result<Lanes, LlmError> {
    let http = settings.http;
    let (timeout, headers) = (settings.timeout, settings.headers.clone());
    let build = move || {
        let builder = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(timeout)
            .default_headers(headers.clone())
            .user_agent(USER_AGENT);
        let builder = match http {
            HttpVersion::Http1 => builder.http1_only(),
            HttpVersion::Http2 => builder.http2_prior_knowledge(),
            // HTTPS offers both through ALPN; plain HTTP is HTTP/1.1.
            HttpVersion::Auto => builder,
        };
        builder.build().map_err(|err| LlmError::Config(format!("could not build the HTTP client: {err}")))
    };
    let tls = settings.base_url.scheme() == "https";
    if http == HttpVersion::Http2 || (http == HttpVersion::Auto && tls) {
        Lanes::new(build, STREAMS_PER_LANE, MAX_LANES)
    } else {
        Lanes::new(build, usize::MAX, 1)
    }
}

/// How [`HttpModel`] reaches its server.
enum Client {
    /// Plain HTTP/1.1.
    Plain(H1Client),
    /// reqwest: HTTPS, HTTP/2, proxies.
    Lanes(Lanes),
}

/// The user agent every client sends.
const USER_AGENT: &str = concat!("weft/", env!("CARGO_PKG_VERSION"));

/// A failed attempt and whether another is worth making.
struct Failure {
    error: LlmError,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl Failure {
    fn retryable(error: LlmError, retry_after: Option<Duration>) -> Self {
        Self { error, retryable: true, retry_after }
    }
    fn fatal(error: LlmError) -> Self {
        Self { error, retryable: false, retry_after: None }
    }
}

/// 408, 409 (Anthropic's lock conflicts), 429 and every 5xx (incl. 529 overloaded).
fn is_retryable(status: u16) -> bool {
    matches!(status, 408 | 409 | 429 | 500..=599)
}

/// `retry-after-ms` (OpenAI) or `Retry-After` (seconds or an HTTP date).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_in(|name| headers.get(name).and_then(|value: &HeaderValue| value.to_str().ok()))
}

/// [`retry_after`] of the headers `text` looks up by (lowercase) name.
pub(crate) fn retry_after_in<'h>(text: impl Fn(&str) -> Option<&'h str>) -> Option<Duration> {
    if let Some(ms) = text("retry-after-ms").and_then(|ms| ms.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    text(RETRY_AFTER.as_str()).and_then(|value| parse_retry_after(value, SystemTime::now()))
}

/// How a transport error's message starts.
fn failure_kind(timeout: bool, connect: bool) -> &'static str {
    if timeout {
        "timed out"
    } else if connect {
        "could not connect"
    } else {
        "failed"
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// About four characters per token, counted over the serialized body.
pub(crate) fn estimate_tokens(body: &[u8]) -> u64 {
    // Characters of the UTF-8 text: every byte that does not continue one.
    let chars = body.iter().filter(|&&byte| (byte as i8) >= -0x40).count();
    u64::try_from(chars.div_ceil(4)).unwrap_or(u64::MAX)
}

/// Makes ring the process's rustls crypto provider: reqwest is built with
/// `rustls-no-provider` so that aws-lc (and cmake) stay out of the build.
pub(crate) fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // An error means another provider is installed already; that one serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
