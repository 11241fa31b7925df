//! Requests to the GitHub REST API through the host's outbound HTTP, and
//! GitHub's failures turned into outcomes a model can act on.

use serde_json::Value;

use crate::Failure;
use crate::settings::Settings;
use crate::time::iso8601;
use crate::weft::tool::outbound_http::{self, HttpError, Request, Response};
use crate::weft::tool::types::ErrorType;

/// A successful answer: the JSON body and whether a next page exists.
pub(crate) struct Page {
    pub(crate) body: Value,
    pub(crate) next_page: Option<u64>,
}

pub(crate) fn get(settings: &Settings, path: &str, query: &[(&str, String)]) -> Result<Page, Failure> {
    send(settings, "GET", path, query, None)
}

pub(crate) fn post(settings: &Settings, path: &str, body: &Value) -> Result<Page, Failure> {
    send(settings, "POST", path, &[], Some(body.to_string().into_bytes()))
}

fn send(
    settings: &Settings,
    method: &str,
    path: &str,
    query: &[(&str, String)],
    body: Option<Vec<u8>>,
) -> Result<Page, Failure> {
    let mut url = format!("{}{path}", settings.api_url);
    for (at, (name, value)) in query.iter().enumerate() {
        url.push(if at == 0 { '?' } else { '&' });
        url.push_str(name);
        url.push('=');
        url.push_str(&encode(value));
    }
    let mut headers = vec![
        ("user-agent".to_owned(), "weft".to_owned()),
        ("accept".to_owned(), "application/vnd.github+json".to_owned()),
        ("x-github-api-version".to_owned(), "2022-11-28".to_owned()),
    ];
    if let Some(token) = &settings.token {
        headers.push(("authorization".to_owned(), format!("Bearer {token}")));
    }
    if body.is_some() {
        headers.push(("content-type".to_owned(), "application/json".to_owned()));
    }
    let request = Request { method: method.to_owned(), url, headers, body };
    let response = outbound_http::send(&request).map_err(transport_failure)?;
    if (200..300).contains(&response.status) {
        let body = match response.body.is_empty() {
            true => Value::Null,
            false => serde_json::from_slice(&response.body).map_err(|err| {
                Failure::new(ErrorType::UpstreamError, format!("GitHub answered with invalid JSON: {err}"))
            })?,
        };
        return Ok(Page { next_page: next_page(&response), body });
    }
    Err(api_failure(&response))
}

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
}

/// GitHub's error: rate limits apart, the status and GitHub's own message.
fn api_failure(response: &Response) -> Failure {
    let status = response.status;
    let exhausted = header(response, "x-ratelimit-remaining").is_some_and(|left| left.trim() == "0");
    if status == 429 || (status == 403 && exhausted) {
        let reset = header(response, "x-ratelimit-reset")
            .and_then(|reset| reset.trim().parse::<i64>().ok())
            .map(iso8601);
        let message = match reset {
            Some(reset) => format!("GitHub API rate limit exceeded. The limit resets at {reset}"),
            None => "GitHub API rate limit exceeded. Try again later".to_owned(),
        };
        return Failure::new(ErrorType::RateLimited, message);
    }
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let message = match body["message"].as_str() {
        Some(message) => message.to_owned(),
        None => String::from_utf8_lossy(&response.body).chars().take(300).collect(),
    };
    let mut text = format!("GitHub API error {status}: {message}");
    if let Some(errors) = body["errors"].as_array() {
        let details: Vec<String> = errors
            .iter()
            .filter_map(|error| {
                error["message"].as_str().or_else(|| error["code"].as_str()).map(str::to_owned)
            })
            .collect();
        if !details.is_empty() {
            text.push_str(&format!(" ({})", details.join("; ")));
        }
    }
    Failure::new(ErrorType::UpstreamError, text)
}

fn transport_failure(err: HttpError) -> Failure {
    match err {
        HttpError::NotAllowed(message) => Failure::new(ErrorType::NotAllowed, message),
        HttpError::Timeout(message) => {
            Failure::new(ErrorType::Timeout, format!("GitHub did not answer in time: {message}"))
        }
        HttpError::TooLarge(message) => Failure::new(ErrorType::ResourceExhausted, message),
        HttpError::InvalidRequest(message) | HttpError::Transport(message) => {
            Failure::new(ErrorType::UpstreamError, format!("Cannot reach GitHub: {message}"))
        }
    }
}

/// The `page` of the `rel="next"` link of a `Link` header, if any.
fn next_page(response: &Response) -> Option<u64> {
    let link = header(response, "link")?;
    link.split(',').find(|part| part.contains("rel=\"next\"")).and_then(|part| {
        let url = part.split(['<', '>']).nth(1)?;
        let query = url.split_once('?')?.1;
        query.split('&').find_map(|pair| pair.strip_prefix("page=")).and_then(|page| page.parse().ok())
    })
}

/// Percent-encodes a query value or one path segment.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Decodes GitHub's base64 file content (standard alphabet, line breaks).
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' | b' ' => continue,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_with_line_breaks() {
        assert_eq!(decode_base64("aGVsbG8g\nd29ybGQ=\n").as_deref(), Some(&b"hello world"[..]));
        assert_eq!(decode_base64("YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(decode_base64("!!"), None);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("fn main repo:a/b"), "fn%20main%20repo%3Aa%2Fb");
    }
}
