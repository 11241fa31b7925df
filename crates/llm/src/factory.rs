//! From a provider spec to a ready [`ChatModel`]: all checks (provider name,
//! model, URL, API key) happen here, before any work starts.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::http::{HttpModel, HttpSettings, WireFormat, secret_header};
use crate::key::ApiKey;
use crate::provider::anthropic::{API_VERSION, AnthropicWire};
use crate::provider::gemini::GeminiWire;
use crate::provider::ollama::OllamaWire;
use crate::provider::openai::OpenAiWire;
use crate::retry::RetryPolicy;
use crate::scripted::ScriptedModel;
use crate::{ChatModel, LlmError, ModelEnv};

/// The default per-call timeout.
pub const DEFAULT_TIMEOUT_SECS: u64 = 120;
/// Provider names [`build_model`] accepts (`google` is an alias of `gemini`).
pub const PROVIDERS: [&str; 6] = ["openai", "anthropic", "gemini", "ollama", "openrouter", "scripted"];

const OPENAI_BASE: &str = "https://api.openai.com/v1";
const OPENROUTER_BASE: &str = "https://openrouter.ai/api/v1";
const ANTHROPIC_BASE: &str = "https://api.anthropic.com";
const GEMINI_BASE: &str = "https://generativelanguage.googleapis.com/v1beta";
const OLLAMA_BASE: &str = "http://localhost:11434";

/// Which model to talk to and how: the validated form of a config's `llm` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProviderSpec {
    /// `openai`, `anthropic`, `gemini` (or `google`), `ollama`, `openrouter` or `scripted`.
    pub provider: String,
    /// The provider's model name (free for `scripted`).
    pub model: String,
    /// Another endpoint: an OpenAI-compatible server for `openai`, a proxy, a
    /// fake in tests. A local one (localhost, 127.0.0.1, ::1) needs no API key.
    pub base_url: Option<String>,
    /// Default temperature for requests that set none.
    pub temperature: Option<f32>,
    /// Default completion token cap for requests that set none.
    pub max_tokens: Option<u32>,
    /// Client-side limit on requests per minute.
    pub requests_per_minute: Option<u32>,
    /// Client-side limit on (estimated) tokens per minute.
    pub tokens_per_minute: Option<u32>,
    /// Retries of a failed attempt (429, 5xx, timeout, connection error).
    pub max_retries: u32,
    /// Per-call timeout in seconds (default [`DEFAULT_TIMEOUT_SECS`]).
    pub timeout_secs: Option<u64>,
    /// Seeds the `scripted` provider; remote providers do not send it (the
    /// same prompt twice should still give two different samples).
    pub seed: u64,
    /// Which HTTP to speak to the provider.
    pub http: HttpVersion,
}

/// Which HTTP a remote provider is spoken to with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum HttpVersion {
    /// HTTP/2 when an `https` server offers it (ALPN), HTTP/1.1 otherwise
    /// and for every `http` URL.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// HTTP/1.1 only: one request per connection.
    #[serde(rename = "1.1")]
    Http1,
    /// HTTP/2 only, also on an `http` URL (cleartext "h2c" with prior
    /// knowledge: a server or proxy that speaks HTTP/2 without TLS).
    #[serde(rename = "2")]
    Http2,
}

impl HttpVersion {
    /// The config spellings: `auto`, `1.1`, `2`.
    pub const NAMES: [&'static str; 3] = ["auto", "1.1", "2"];

    /// Parses a config spelling (`1` and `http/2` forms are accepted too).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().trim_start_matches("http/") {
            "auto" => Some(Self::Auto),
            "1" | "1.1" => Some(Self::Http1),
            "2" | "2.0" | "h2" | "h2c" => Some(Self::Http2),
            _ => None,
        }
    }
}

impl Default for ProviderSpec {
    fn default() -> Self {
        Self {
            provider: "scripted".to_owned(),
            model: "scripted".to_owned(),
            base_url: None,
            temperature: None,
            max_tokens: None,
            requests_per_minute: None,
            tokens_per_minute: None,
            max_retries: 3,
            timeout_secs: None,
            seed: 0,
            http: HttpVersion::Auto,
        }
    }
}

impl ProviderSpec {
    /// A spec for `provider` and `model` with every other field at its default.
    pub fn new(provider: impl Into<String>, model: impl Into<String>) -> Self {
        Self { provider: provider.into(), model: model.into(), ..Self::default() }
    }
}

/// Builds the model `spec` names, reading keys from the process environment
/// and counting usage into a fresh counter (see [`ChatModel::usage`]).
///
/// ```
/// use weft_llm::{ProviderSpec, build_model};
/// let model = build_model(&ProviderSpec::new("scripted", "demo")).unwrap();
/// assert_eq!(model.provider(), "scripted");
/// ```
pub fn build_model(spec: &ProviderSpec) -> Result<Arc<dyn ChatModel>, LlmError> {
    build_model_in(spec, &ModelEnv::from_process())
}

/// Builds the model `spec` names in `env`: its variables supply keys and
/// endpoints, and its usage counter receives the model's totals (share one
/// counter between several models to total a whole run).
pub fn build_model_in(spec: &ProviderSpec, env: &ModelEnv) -> Result<Arc<dyn ChatModel>, LlmError> {
    let provider = spec.provider.trim().to_ascii_lowercase();
    if provider == "scripted" {
        let model = if spec.model.trim().is_empty() { "scripted" } else { spec.model.trim() };
        return Ok(Arc::new(ScriptedModel::new(model, spec.seed, env.usage().clone())));
    }
    if spec.model.trim().is_empty() {
        return Err(LlmError::Config(format!("provider {provider} needs a model name")));
    }
    let model: Arc<dyn ChatModel> = match provider.as_str() {
        "openai" => {
            let base = spec.base_url.clone().or_else(|| env.var("OPENAI_BASE_URL"));
            let base = parse_base(base.as_deref().unwrap_or(OPENAI_BASE))?;
            let field = if base.host_str() == Some("api.openai.com") {
                "max_completion_tokens"
            } else {
                "max_tokens"
            };
            let key = api_key(env, "openai", &["OPENAI_API_KEY"], &base)?;
            let wire = OpenAiWire::new(provider.clone(), field);
            http_model(spec, env, "openai", base, key, bearer, wire)?
        }
        "openrouter" => {
            let base = parse_base(spec.base_url.as_deref().unwrap_or(OPENROUTER_BASE))?;
            let key = api_key(env, "openrouter", &["OPENROUTER_API_KEY"], &base)?;
            let wire = OpenAiWire::new(provider.clone(), "max_tokens");
            http_model(spec, env, "openrouter", base, key, openrouter_headers, wire)?
        }
        "anthropic" => {
            let base = parse_base(spec.base_url.as_deref().unwrap_or(ANTHROPIC_BASE))?;
            let key = api_key(env, "anthropic", &["ANTHROPIC_API_KEY"], &base)?;
            let path =
                if base.path().trim_end_matches('/').ends_with("/v1") { "/messages" } else { "/v1/messages" };
            let wire = AnthropicWire { path: path.to_owned() };
            http_model(spec, env, "anthropic", base, key, anthropic_headers, wire)?
        }
        "gemini" | "google" => {
            let base = parse_base(spec.base_url.as_deref().unwrap_or(GEMINI_BASE))?;
            let key = api_key(env, "gemini", &["GEMINI_API_KEY", "GOOGLE_API_KEY"], &base)?;
            http_model(spec, env, "gemini", base, key, gemini_headers, GeminiWire)?
        }
        "ollama" => {
            let base = spec.base_url.clone().or_else(|| env.var("OLLAMA_HOST").map(with_scheme));
            let base = parse_base(base.as_deref().unwrap_or(OLLAMA_BASE))?;
            // Accept the OpenAI-compatible URL people paste (`.../v1`) too.
            let trimmed = base.as_str().trim_end_matches('/').trim_end_matches("/v1").to_owned();
            let base = parse_base(&trimmed)?;
            http_model(spec, env, "ollama", base, None, bearer, OllamaWire)?
        }
        other => {
            return Err(LlmError::Config(format!(
                "unknown LLM provider '{other}': expected one of {}",
                PROVIDERS.join(", ")
            )));
        }
    };
    tracing::info!(provider = model.provider(), model = model.model(), "LLM ready");
    Ok(model)
}

/// Builds the auth headers of a provider from its key.
type AuthHeaders = fn(Option<&ApiKey>) -> Result<HeaderMap, LlmError>;

fn http_model<W: WireFormat + 'static>(
    spec: &ProviderSpec,
    env: &ModelEnv,
    provider: &str,
    base_url: Url,
    key: Option<ApiKey>,
    headers: AuthHeaders,
    wire: W,
) -> Result<Arc<dyn ChatModel>, LlmError> {
    let timeout = match spec.timeout_secs {
        Some(0) => {
            return Err(LlmError::Config("timeout_secs must be at least 1".to_owned()));
        }
        Some(secs) => Duration::from_secs(secs),
        None => Duration::from_secs(DEFAULT_TIMEOUT_SECS),
    };
    let settings = HttpSettings {
        provider: provider.to_owned(),
        model: spec.model.trim().to_owned(),
        headers: headers(key.as_ref())?,
        base_url,
        key,
        timeout,
        retry: RetryPolicy::new(spec.max_retries),
        temperature: spec.temperature,
        max_tokens: spec.max_tokens,
        requests_per_minute: spec.requests_per_minute,
        tokens_per_minute: spec.tokens_per_minute,
        http: spec.http,
    };
    Ok(Arc::new(HttpModel::new(settings, env.usage().clone(), wire)?))
}

fn bearer(key: Option<&ApiKey>) -> Result<HeaderMap, LlmError> {
    let mut headers = HeaderMap::new();
    if let Some(key) = key {
        let (name, value) = secret_header("authorization", &format!("Bearer {}", key.expose()))?;
        headers.insert(name, value);
    }
    Ok(headers)
}

fn openrouter_headers(key: Option<&ApiKey>) -> Result<HeaderMap, LlmError> {
    let mut headers = bearer(key)?;
    headers.insert("x-title", reqwest::header::HeaderValue::from_static("weft"));
    Ok(headers)
}

fn anthropic_headers(key: Option<&ApiKey>) -> Result<HeaderMap, LlmError> {
    let mut headers = HeaderMap::new();
    if let Some(key) = key {
        let (name, value) = secret_header("x-api-key", key.expose())?;
        headers.insert(name, value);
    }
    headers.insert("anthropic-version", reqwest::header::HeaderValue::from_static(API_VERSION));
    Ok(headers)
}

fn gemini_headers(key: Option<&ApiKey>) -> Result<HeaderMap, LlmError> {
    let mut headers = HeaderMap::new();
    if let Some(key) = key {
        let (name, value) = secret_header("x-goog-api-key", key.expose())?;
        headers.insert(name, value);
    }
    Ok(headers)
}

/// The first of `vars` that is set; a missing key is an error unless the
/// endpoint is local (a vLLM or LM Studio on this machine needs none).
fn api_key(env: &ModelEnv, provider: &str, vars: &[&str], base: &Url) -> Result<Option<ApiKey>, LlmError> {
    if let Some(key) = vars.iter().find_map(|var| env.var(var)) {
        return Ok(Some(ApiKey::new(key)));
    }
    if is_local(base) {
        return Ok(None);
    }
    Err(LlmError::Config(format!(
        "provider {provider} needs an API key: set {} (or point base_url at a local server)",
        vars.join(" or ")
    )))
}

fn is_local(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback() || ip.is_unspecified(),
        Err(_) => host == "localhost" || host.ends_with(".localhost"),
    }
}

fn parse_base(text: &str) -> Result<Url, LlmError> {
    let url = Url::parse(text.trim())
        .map_err(|err| LlmError::Config(format!("base_url '{text}' is not a URL: {err}")))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(LlmError::Config(format!("base_url '{text}' must be http or https, not {other}"))),
    }
}

/// `OLLAMA_HOST` is often `host:port` without a scheme.
fn with_scheme(host: String) -> String {
    if host.contains("://") { host } else { format!("http://{host}") }
}
