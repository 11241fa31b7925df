//! Error answers: the Spin envelope plus an `error` key, which DeepFabric's
//! client reads from non-200 replies.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A request the service will not serve.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("Request body exceeds the limit of {0} bytes")]
    PayloadTooLarge(usize),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "InvalidRequest",
            Self::NotFound(_) => "NotFound",
            Self::PayloadTooLarge(_) => "PayloadTooLarge",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        let body = serde_json::json!({
            "success": false,
            "result": message,
            "error": message,
            "error_type": self.error_type(),
        });
        (self.status(), axum::Json(body)).into_response()
    }
}
