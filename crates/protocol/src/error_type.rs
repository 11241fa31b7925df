use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a tool call failed, as the `error_type` field of the Spin envelope.
///
/// The set is closed for everything weft produces. A remote Spin service may
/// answer with a name weft does not know; it is kept verbatim in
/// [`ErrorType::Other`] so that nothing a real service said is lost.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorType {
    /// The named file does not exist in the session.
    FileNotFound,
    /// The path escapes the session root or lies under a protected directory.
    PermissionDenied,
    /// Arguments are missing, ill-typed or violate the tool's `inputSchema`.
    InvalidArguments,
    /// No component offers a tool of that name.
    UnknownTool,
    /// The storage behind the tool failed.
    IOError,
    /// The call ran past its deadline.
    Timeout,
    /// The call exceeded its memory or another resource cap.
    ResourceExhausted,
    /// A capability the component was not granted (a host, a repository, a write).
    NotAllowed,
    /// The upstream API answered with an error.
    UpstreamError,
    /// The request to the tool service itself failed at the HTTP level.
    HTTPError,
    /// The upstream API refused the call for rate limiting.
    RateLimited,
    /// The request to the tool service was malformed (bad JSON, missing fields).
    InvalidRequest,
    /// The component trapped or broke its contract.
    ComponentError,
    /// A name from a remote service that weft does not know.
    Other(String),
}

impl ErrorType {
    /// The wire name, e.g. `"FileNotFound"`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::FileNotFound => "FileNotFound",
            Self::PermissionDenied => "PermissionDenied",
            Self::InvalidArguments => "InvalidArguments",
            Self::UnknownTool => "UnknownTool",
            Self::IOError => "IOError",
            Self::Timeout => "Timeout",
            Self::ResourceExhausted => "ResourceExhausted",
            Self::NotAllowed => "NotAllowed",
            Self::UpstreamError => "UpstreamError",
            Self::HTTPError => "HTTPError",
            Self::RateLimited => "RateLimited",
            Self::InvalidRequest => "InvalidRequest",
            Self::ComponentError => "ComponentError",
            Self::Other(name) => name,
        }
    }

    /// Every name of the closed set, in a stable order (metrics pre-register these).
    pub const KNOWN: [&'static str; 13] = [
        "FileNotFound",
        "PermissionDenied",
        "InvalidArguments",
        "UnknownTool",
        "IOError",
        "Timeout",
        "ResourceExhausted",
        "NotAllowed",
        "UpstreamError",
        "HTTPError",
        "RateLimited",
        "InvalidRequest",
        "ComponentError",
    ];
}

impl FromStr for ErrorType {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "FileNotFound" => Self::FileNotFound,
            "PermissionDenied" => Self::PermissionDenied,
            "InvalidArguments" => Self::InvalidArguments,
            "UnknownTool" => Self::UnknownTool,
            "IOError" => Self::IOError,
            "Timeout" => Self::Timeout,
            "ResourceExhausted" => Self::ResourceExhausted,
            "NotAllowed" => Self::NotAllowed,
            "UpstreamError" => Self::UpstreamError,
            "HTTPError" => Self::HTTPError,
            "RateLimited" => Self::RateLimited,
            "InvalidRequest" => Self::InvalidRequest,
            "ComponentError" => Self::ComponentError,
            other => Self::Other(other.to_owned()),
        })
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(name.parse().unwrap_or_else(|never| match never {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_round_trip() {
        for name in ErrorType::KNOWN {
            let parsed: ErrorType = name.parse().unwrap_or_else(|never| match never {});
            assert_eq!(parsed.as_str(), name);
            assert!(!matches!(parsed, ErrorType::Other(_)), "{name} fell through to Other");
        }
    }

    #[test]
    fn unknown_names_are_kept() {
        let parsed: ErrorType = serde_json::from_str("\"QuotaExceeded\"").expect("a string");
        assert_eq!(parsed, ErrorType::Other("QuotaExceeded".into()));
        assert_eq!(serde_json::to_string(&parsed).expect("serialises"), "\"QuotaExceeded\"");
    }
}
