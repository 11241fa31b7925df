//! The head of a request on the tool-call fast path.
//!
//! `weft serve` answers `POST /execute` and `POST /{component}/execute`
//! straight off the socket when the request is of the plain kind: HTTP/1.1,
//! one `Content-Length` within the body limit, no `Transfer-Encoding`,
//! `Expect` or `Upgrade`. [`parse_head`] says whether the bytes read so far
//! hold such a head. Anything else is [`Head::Other`] and goes to hyper,
//! which answers malformed requests itself.

/// What the bytes read so far hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head<'a> {
    /// A complete head of a plain `POST`.
    Call(ToolCallHead<'a>),
    /// The head is not complete yet.
    Partial,
    /// Not a plain `POST` (or not a valid head at all): hyper's.
    Other,
}

/// A complete head of a plain `POST` over HTTP/1.1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCallHead<'a> {
    /// Bytes of the head, the blank line included; the body starts here.
    pub head_len: usize,
    /// The body's length from `Content-Length`.
    pub body_len: usize,
    /// The request target as sent.
    pub path: &'a str,
    /// The client sent `Connection: close`.
    pub close: bool,
    /// `Host`, when sent (twice is [`Head::Other`]).
    pub host: Option<&'a [u8]>,
    /// `Origin`, when sent.
    pub origin: Option<&'a [u8]>,
    /// `Content-Type`, when sent.
    pub content_type: Option<&'a [u8]>,
}

impl<'a> ToolCallHead<'a> {
    /// The value of one of the headers the policy reads (`host`, `origin`,
    /// `content-type`; lower case).
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        match name {
            "host" => self.host,
            "origin" => self.origin,
            "content-type" => self.content_type,
            _ => None,
        }
    }
}

/// Headers read from one head; a head with more is hyper's.
const MAX_HEADERS: usize = 32;

/// Reads a request head from the start of `buf`. A `Content-Length` above
/// `body_limit`, a repeated one, or none at all makes the request
/// [`Head::Other`].
pub fn parse_head(buf: &[u8], body_limit: usize) -> Head<'_> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let head_len = match request.parse(buf) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Head::Partial,
        Err(_) => return Head::Other,
    };
    let (Some("POST"), Some(1), Some(path)) = (request.method, request.version, request.path) else {
        return Head::Other;
    };
    let mut call = ToolCallHead {
        head_len,
        body_len: 0,
        path,
        close: false,
        host: None,
        origin: None,
        content_type: None,
    };
    let mut body_len = None;
    for header in request.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("host") {
            if call.host.replace(header.value).is_some() {
                // Two `Host` headers: which one a proxy read is anyone's guess.
                return Head::Other;
            }
        } else if name.eq_ignore_ascii_case("origin") {
            call.origin = Some(header.value);
        } else if name.eq_ignore_ascii_case("content-type") {
            call.content_type = Some(header.value);
        } else if name.eq_ignore_ascii_case("content-length") {
            match (body_len, content_length(header.value)) {
                (None, Some(length)) if length <= body_limit => body_len = Some(length),
                _ => return Head::Other,
            }
        } else if name.eq_ignore_ascii_case("connection") {
            for token in header.value.split(|&byte| byte == b',') {
                let token = token.trim_ascii();
                if token.eq_ignore_ascii_case(b"close") {
                    call.close = true;
                } else if token.eq_ignore_ascii_case(b"upgrade") {
                    return Head::Other;
                }
            }
        } else if ["transfer-encoding", "expect", "upgrade"]
            .iter()
            .any(|other| name.eq_ignore_ascii_case(other))
        {
            return Head::Other;
        }
    }
    let Some(body_len) = body_len else { return Head::Other };
    call.body_len = body_len;
    Head::Call(call)
}

/// `1*DIGIT`, nothing else.
fn content_length(value: &[u8]) -> Option<usize> {
    let value = value.trim_ascii();
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALL: &[u8] = b"POST /vfs/execute HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n\
        Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

    #[test]
    fn a_plain_call_is_read_with_its_body_length() {
        let Head::Call(call) = parse_head(CALL, 1024) else { panic!("not a call") };
        assert_eq!(call.path, "/vfs/execute");
        assert_eq!(call.body_len, 2);
        assert_eq!(&CALL[call.head_len..], b"{}");
        assert_eq!(call.header("host"), Some(&b"127.0.0.1:3000"[..]));
        assert!(!call.close);
    }

    #[test]
    fn every_prefix_of_a_head_is_partial() {
        let head_len = CALL.len() - 2;
        for end in 0..head_len {
            assert_eq!(parse_head(&CALL[..end], 1024), Head::Partial, "{end}");
        }
    }

    #[test]
    fn anything_but_a_plain_post_is_hyper_s() {
        let other = |head: &str| parse_head(head.as_bytes(), 1024) == Head::Other;
        assert!(other("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(other("POST /execute HTTP/1.0\r\nContent-Length: 2\r\n\r\n"));
        assert!(other("POST /execute HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
        assert!(other("POST /execute HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n"));
        assert!(other("POST /execute HTTP/1.1\r\nContent-Length: 2048\r\n\r\n"));
        assert!(other("POST /execute HTTP/1.1\r\nContent-Length: +2\r\n\r\n"));
        assert!(other("POST /execute HTTP/1.1\r\n\r\n"));
        assert!(other("POST /execute HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
        assert!(other(
            "POST /execute HTTP/1.1\r\nContent-Length: 2\r\nConnection: keep-alive, Upgrade\r\n\r\n"
        ));
        assert!(other("POST /execute HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 2\r\n\r\n"));
        assert!(other("POST /execute HTTP/1.1\r\nBad Header\r\n\r\n"));
    }

    #[test]
    fn content_length_is_digits_only() {
        assert_eq!(content_length(b"42"), Some(42));
        assert_eq!(content_length(b" 7 "), Some(7));
        for bad in [&b""[..], b"+5", b"-1", b"4 2", b"0x10", b"99999999999999999999999"] {
            assert_eq!(content_length(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn connection_close_is_seen_among_tokens() {
        let head = b"POST /execute HTTP/1.1\r\nConnection: keep-alive , CLOSE\r\nContent-Length: 0\r\n\r\n";
        let Head::Call(call) = parse_head(head, 1024) else { panic!("not a call") };
        assert!(call.close);
    }
}
