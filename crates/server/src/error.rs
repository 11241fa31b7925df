//! Error answers: the Spin envelope plus an `error` key, which DeepFabric's
//! client reads from non-200 replies.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A request the service will not serve.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// A mock-tier request named a tool that is not loaded.
    #[error("{0}")]
    UnknownTool(String),
    /// The storage behind the service failed (not the client's fault).
    #[error("{0}")]
    Storage(String),
    #[error("Request body exceeds the limit of {0} bytes")]
    PayloadTooLarge(usize),
    /// A server this request named (an MCP server to pull from) failed.
    #[error("{0}")]
    Upstream(String),
    /// The `Host` or `Origin` is not one the service answers.
    #[error("{0}")]
    Forbidden(String),
    /// A body that is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The store behind a call failed under it: the service's failure, not
    /// the tool's answer (503, `IOError`).
    #[error("{0}")]
    StoreUnavailable(String),
}

impl From<weft_wire::Refusal> for ApiError {
    fn from(refusal: weft_wire::Refusal) -> Self {
        use weft_wire::Refusal;
        match refusal {
            Refusal::Host(message) | Refusal::Origin(message) => Self::Forbidden(message),
            Refusal::ContentType(message) => Self::UnsupportedMediaType(message),
        }
    }
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) | Self::UnknownTool(_) => StatusCode::NOT_FOUND,
            Self::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::StoreUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub(crate) fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "InvalidRequest",
            Self::NotFound(_) => "NotFound",
            Self::UnknownTool(_) => "UnknownTool",
            Self::Storage(_) => "IOError",
            Self::PayloadTooLarge(_) => "PayloadTooLarge",
            Self::Upstream(_) => "UpstreamError",
            Self::Forbidden(_) => "Forbidden",
            Self::UnsupportedMediaType(_) => "UnsupportedMediaType",
            Self::StoreUnavailable(_) => "IOError",
        }
    }
}

impl ApiError {
    /// The status and the JSON body.
    pub(crate) fn to_json(&self) -> (StatusCode, Vec<u8>) {
        let message = self.to_string();
        let body = serde_json::json!({
            "success": false,
            "result": message,
            "error": message,
            "error_type": self.error_type(),
        });
        (self.status(), body.to_string().into_bytes())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = self.to_json();
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}
