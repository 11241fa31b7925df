//! What the fake Hub's answers are made of: errors as the Hub sends them,
//! git and LFS hashes, the Hub's timestamps, path segments.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha1::Digest as _;

/// An error answer. `huggingface_hub` maps `X-Error-Code` to its exception
/// types (`RepoNotFound` → `RepositoryNotFoundError`, `EntryNotFound`,
/// `RevisionNotFound`) and shows `X-Error-Message` / the body's `error`.
#[derive(Debug)]
pub struct Fault {
    pub status: StatusCode,
    pub message: String,
    pub code: Option<&'static str>,
    pub headers: Vec<(&'static str, String)>,
}

impl Fault {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self { status, message: message.into(), code: None, headers: Vec::new() }
    }

    pub fn coded(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self { code: Some(code), ..Self::new(status, message) }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    pub fn not_found() -> Self {
        Self::new(404, "Not Found")
    }

    pub fn repo_not_found(status: u16) -> Self {
        Self::coded(status, "RepoNotFound", "Repository not found")
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

impl IntoResponse for Fault {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(json!({"error": self.message}))).into_response();
        let headers = response.headers_mut();
        // A header value cannot hold a line break; the body keeps the text.
        let one_line = self.message.replace(['\r', '\n'], " ");
        if let Ok(value) = HeaderValue::from_str(&one_line) {
            headers.insert("x-error-message", value);
        }
        if let Some(code) = self.code {
            headers.insert("x-error-code", HeaderValue::from_static(code));
        }
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        response
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sha256 an LFS object is named by.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&sha2::Sha256::digest(data))
}

/// Git's object id of a blob: `sha1("blob <len>\0" + data)`.
pub fn git_blob_oid(data: &[u8]) -> String {
    let mut hasher = sha1::Sha1::new();
    hasher.update(format!("blob {}\0", data.len()).as_bytes());
    hasher.update(data);
    hex(&hasher.finalize())
}

/// The pointer file git stores in place of an LFS object.
pub fn lfs_pointer(sha256: &str, size: u64) -> String {
    format!("version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n")
}

/// A sha1 of arbitrary text, for ids the fake makes up (commits, trees).
pub fn sha1_hex(text: &str) -> String {
    hex(&sha1::Sha1::digest(text.as_bytes()))
}

/// Now, as the Hub writes times: `2026-12-02T00:23:48.000Z`.
pub fn now_iso() -> String {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    let millis = since_epoch.subsec_millis();
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// One percent-encoded path segment, decoded.
pub fn decode(segment: &str) -> Result<String, Fault> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| Fault::bad_request(format!("path segment {segment:?} is not UTF-8")))
}

/// The value of `name` in a query string (`a=1&b=2`), decoded.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| decode(&value.replace('+', " ")).unwrap_or_default())
    })
}

/// A query flag the Hub treats as on: `1` or `true`.
pub fn query_flag(query: Option<&str>, name: &str) -> bool {
    query_param(query, name).is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_the_hubs_format() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        let now = now_iso();
        assert_eq!(now.len(), 24, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
    }

    #[test]
    fn git_blob_ids_match_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(git_blob_oid(b"hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
        assert_eq!(git_blob_oid(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }

    #[test]
    fn queries_are_decoded() {
        assert_eq!(query_param(Some("recursive=true&expand=false"), "expand").as_deref(), Some("false"));
        assert!(query_flag(Some("blobs=1"), "blobs"));
        assert!(!query_flag(None, "blobs"));
        assert_eq!(query_param(Some("a=x%2Fy"), "a").as_deref(), Some("x/y"));
    }
}
