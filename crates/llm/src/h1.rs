//! The client for plain `http://` endpoints over HTTP/1.1: vLLM, SGLang,
//! Ollama, llama.cpp's server, a gateway on the same network.
//!
//! HTTPS and HTTP/2 go through reqwest. Plain HTTP/1.1 does not, because of
//! what it costs at thousands of samples in flight: HTTP/1.1 carries one
//! request per connection, so 10,000 requests in flight hold 10,000
//! connections, and each of hyper's keeps a task, a channel and two 8 KB
//! buffers for its whole life, waiting or not (`bench/sweep.sh` measured 68 KB
//! per sample in flight, half of it connections). Here a request is its own
//! task's exchange on a bare socket: the head and body are written, the socket
//! is awaited with no buffer at all until the reply starts, the reply is read,
//! and the socket goes back on an idle stack. Between requests nothing runs.
//!
//! What it speaks:
//! - `POST` with `content-length`; replies framed by `content-length`, by
//!   `chunked` (trailers skipped), or by the end of the connection;
//!   informational (1xx) heads are skipped.
//! - Keep-alive unless the server says `connection: close` or answers
//!   HTTP/1.0. An idle connection the server has closed (its keep-alive
//!   timeout: uvicorn's is 5 s) is noticed when it is taken and dropped; if
//!   the server closes it just as the request goes out, so that not one byte
//!   of a reply comes back, the request is sent once more on a new
//!   connection, at once — the server never saw it.
//! - Redirects are not followed (an LLM endpoint does not redirect a POST):
//!   the status is the error. URLs with credentials in them, and processes
//!   with a proxy variable set, use reqwest (see [`suits`]).

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::Url;
use reqwest::header::HeaderMap;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Idle connections older than this are closed, not reused.
const IDLE_FOR: Duration = Duration::from_secs(60);
/// Reads start with this much room, and grow by doubling.
const READ_CHUNK: usize = 4096;
/// Header lines a reply head may have.
const MAX_HEADERS: usize = 100;
/// Bytes a reply head may take.
const MAX_HEAD: usize = 64 * 1024;
/// Bytes a reply body may take.
const MAX_BODY: usize = 256 * 1024 * 1024;

/// Whether `url` can go through this client in a process whose environment
/// `var` reads: plain `http`, no credentials in the URL, and no proxy
/// variable that reqwest would follow.
pub(crate) fn suits(url: &Url, var: impl Fn(&str) -> Option<String>) -> bool {
    let proxied = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
        .iter()
        .any(|name| var(name).is_some_and(|value| !value.trim().is_empty()));
    url.scheme() == "http"
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && !proxied
}

/// A reply: its status, how long the server asks a retry to wait, its body.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: Bytes,
}

/// Why an exchange failed.
#[derive(Debug)]
pub(crate) enum H1Error {
    /// No connection within the connect timeout.
    ConnectTimeout(Duration),
    /// The connection was refused, or the name did not resolve.
    Connect(io::Error),
    /// No complete reply within the call's timeout.
    Timeout(Duration),
    /// Reading or writing failed.
    Io(io::Error),
    /// The server closed the connection before the reply was complete.
    Closed,
    /// The reply is not HTTP/1.1 as the client understands it.
    Protocol(String),
}

impl H1Error {
    /// A timeout of the call or of connecting.
    pub(crate) fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::ConnectTimeout(_))
    }

    /// A failure to connect at all.
    pub(crate) fn is_connect(&self) -> bool {
        matches!(self, Self::Connect(_) | Self::ConnectTimeout(_))
    }
}

impl fmt::Display for H1Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ConnectTimeout(after) => write!(f, "no connection within {} s", after.as_secs_f32()),
            Self::Connect(err) => write!(f, "{err}"),
            Self::Timeout(after) => write!(f, "no complete reply within {} s", after.as_secs_f32()),
            Self::Io(err) => write!(f, "{err}"),
            Self::Closed => f.write_str("the server closed the connection before the reply was complete"),
            Self::Protocol(message) => f.write_str(message),
        }
    }
}

/// Where the client connects.
#[derive(Debug)]
enum Target {
    Address(SocketAddr),
    /// A host name, resolved at most once per [`RESOLVE_FOR`]: thousands of
    /// connections opened at once to `localhost` would otherwise each cost a
    /// lookup on the blocking pool (measured at 10,000 in flight: 2.3 CPU-s
    /// and 140 MB more than an address).
    Name {
        name: String,
        port: u16,
        resolved: tokio::sync::Mutex<Option<(Vec<SocketAddr>, Instant)>>,
    },
}

/// How long a name's addresses are used before it is looked up again.
const RESOLVE_FOR: Duration = Duration::from_secs(10);

/// An idle connection and when it went idle.
struct Idle {
    stream: TcpStream,
    since: Instant,
}

/// HTTP/1.1 POSTs to one URL, over a stack of kept-alive connections.
pub(crate) struct H1Client {
    target: Target,
    /// `host:port`, for `Debug`.
    authority: String,
    /// The request head up to its `content-length` line. It holds the
    /// provider's headers, API key included: never printed.
    head: Vec<u8>,
    connect_timeout: Duration,
    timeout: Duration,
    idle: Mutex<VecDeque<Idle>>,
}

impl fmt::Debug for H1Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("H1Client").field("authority", &self.authority).finish_non_exhaustive()
    }
}

impl H1Client {
    /// A client POSTing to `url` with `headers` (plus `host`, `user-agent`,
    /// `content-type` and `content-length`). `url` must [`suits`].
    pub(crate) fn new(
        url: &Url,
        headers: &HeaderMap,
        user_agent: &str,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<Self, String> {
        let port = url.port_or_known_default().ok_or_else(|| format!("{url} has no port"))?;
        let host = url.host_str().ok_or_else(|| format!("{url} has no host"))?;
        let target = match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
            Ok(ip) => Target::Address(SocketAddr::new(ip, port)),
            Err(_) => Target::Name { name: host.to_owned(), port, resolved: tokio::sync::Mutex::new(None) },
        };
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let mut path = url.path().to_owned();
        if let Some(query) = url.query() {
            path.push('?');
            path.push_str(query);
        }
        let mut head = format!("POST {path} HTTP/1.1\r\nhost: {authority}\r\n").into_bytes();
        let mut line = |name: &str, value: &[u8]| {
            head.extend_from_slice(name.as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value);
            head.extend_from_slice(b"\r\n");
        };
        for (name, value) in headers {
            // Framing is this client's to write.
            if !matches!(name.as_str(), "host" | "content-length" | "transfer-encoding" | "connection") {
                line(name.as_str(), value.as_bytes());
            }
        }
        if !headers.contains_key("user-agent") {
            line("user-agent", user_agent.as_bytes());
        }
        if !headers.contains_key("content-type") {
            line("content-type", b"application/json");
        }
        Ok(Self {
            target,
            authority: format!("{host}:{port}"),
            head,
            connect_timeout,
            timeout,
            idle: Mutex::new(VecDeque::new()),
        })
    }

    /// POSTs `body` and reads the whole reply, within the call's timeout.
    pub(crate) async fn post(&self, body: &[u8]) -> Result<Reply, H1Error> {
        tokio::time::timeout(self.timeout, self.send(body))
            .await
            .map_err(|_| H1Error::Timeout(self.timeout))?
    }

    async fn send(&self, body: &[u8]) -> Result<Reply, H1Error> {
        let length = format!("content-length: {}\r\n\r\n", body.len());
        loop {
            let (mut stream, reused) = match self.take_idle() {
                Some(stream) => (stream, true),
                None => (self.connect().await?, false),
            };
            match exchange(&mut stream, [&self.head, length.as_bytes(), body]).await {
                Ok((reply, keep_alive)) => {
                    if keep_alive {
                        self.put_idle(stream);
                    }
                    return Ok(reply);
                }
                // The server closed a kept-alive connection as the request
                // went out and never read it: send it again, on a new one.
                Err(Failed { untouched: true, .. }) if reused => continue,
                Err(Failed { error, .. }) => return Err(error),
            }
        }
    }

    async fn connect(&self) -> Result<TcpStream, H1Error> {
        let connecting = async {
            match &self.target {
                Target::Address(address) => TcpStream::connect(*address).await,
                Target::Name { name, port, resolved } => connect_by_name(name, *port, resolved).await,
            }
        };
        let stream = tokio::time::timeout(self.connect_timeout, connecting)
            .await
            .map_err(|_| H1Error::ConnectTimeout(self.connect_timeout))?
            .map_err(H1Error::Connect)?;
        // Requests go out in one write; replies should not wait on Nagle.
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }

    /// The most recently used idle connection that is still open.
    fn take_idle(&self) -> Option<TcpStream> {
        loop {
            let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop_back()?;
            if idle.since.elapsed() < IDLE_FOR && still_open(&idle.stream) {
                return Some(idle.stream);
            }
        }
    }

    fn put_idle(&self, stream: TcpStream) {
        let now = Instant::now();
        let stale: Vec<Idle> = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            let fresh_from = idle
                .iter()
                .position(|entry| now.duration_since(entry.since) < IDLE_FOR)
                .unwrap_or(idle.len());
            let stale = idle.drain(..fresh_from).collect();
            idle.push_back(Idle { stream, since: now });
            stale
        };
        // Closed outside the lock.
        drop(stale);
    }

    /// Connections kept idle now.
    #[cfg(test)]
    fn idle_count(&self) -> usize {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// Connects to the first of `name`'s addresses that answers, looking the
/// name up only when the last lookup is older than [`RESOLVE_FOR`]
/// (connections opened meanwhile wait for that one lookup). The address that
/// answered goes first for the next connections.
async fn connect_by_name(
    name: &str,
    port: u16,
    resolved: &tokio::sync::Mutex<Option<(Vec<SocketAddr>, Instant)>>,
) -> io::Result<TcpStream> {
    let addresses = {
        let mut cached = resolved.lock().await;
        match cached.as_ref() {
            Some((addresses, at)) if at.elapsed() < RESOLVE_FOR => addresses.clone(),
            _ => {
                let addresses: Vec<SocketAddr> = tokio::net::lookup_host((name, port)).await?.collect();
                *cached = Some((addresses.clone(), Instant::now()));
                addresses
            }
        }
    };
    let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{name} has no address"));
    for (index, address) in addresses.iter().enumerate() {
        match TcpStream::connect(address).await {
            Ok(stream) => {
                if index > 0
                    && let Some((cached, _)) = resolved.lock().await.as_mut()
                    && let Some(at) = cached.iter().position(|a| a == address)
                {
                    cached[..=at].rotate_right(1);
                }
                return Ok(stream);
            }
            Err(err) => last = err,
        }
    }
    Err(last)
}

/// An idle connection is open while nothing can be read from it: a closed
/// one reads its end, and a server has nothing to say between replies.
/// (Without a pending readiness event this costs no system call.)
fn still_open(stream: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    matches!(stream.try_read(&mut probe), Err(err) if err.kind() == io::ErrorKind::WouldBlock)
}

/// A failed exchange; `untouched` when not one byte of a reply arrived.
struct Failed {
    error: H1Error,
    untouched: bool,
}

impl Failed {
    fn after(error: H1Error, received: &[u8]) -> Self {
        Self { error, untouched: received.is_empty() }
    }
}

/// How a reply's body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(usize),
    Chunked,
    UntilClose,
}

/// What the head of a reply says.
struct Head {
    status: u16,
    framing: Framing,
    keep_alive: bool,
    retry_after: Option<Duration>,
}

/// Writes `request`, then reads the reply; `true` with it when the
/// connection may carry another request.
async fn exchange(stream: &mut TcpStream, request: [&[u8]; 3]) -> Result<(Reply, bool), Failed> {
    write_all(stream, request).await.map_err(|err| Failed::after(H1Error::Io(err), &[]))?;
    let mut buf = Vec::new();
    let mut start = 0;
    loop {
        if buf.len() > start {
            match parse_head(&buf[start..]).map_err(|error| Failed::after(error, &buf))? {
                Some((len, head)) if (100..200).contains(&head.status) => {
                    // Informational: the real head follows.
                    start += len;
                    continue;
                }
                Some((len, head)) => {
                    let (body, clean) = read_body(stream, buf, start + len, &head)
                        .await
                        .map_err(|error| Failed { error, untouched: false })?;
                    let reply = Reply { status: head.status, retry_after: head.retry_after, body };
                    return Ok((reply, head.keep_alive && clean));
                }
                None if buf.len() - start > MAX_HEAD => {
                    return Err(Failed::after(
                        H1Error::Protocol(format!("the reply's head is longer than {MAX_HEAD} bytes")),
                        &buf,
                    ));
                }
                None => {}
            }
        }
        match read_more(stream, &mut buf).await {
            Ok(0) => return Err(Failed::after(H1Error::Closed, &buf)),
            Ok(_) => {}
            Err(err) => return Err(Failed::after(H1Error::Io(err), &buf)),
        }
    }
}

/// Writes `parts` in order, as few writes as the socket allows (usually one).
async fn write_all(stream: &mut TcpStream, mut parts: [&[u8]; 3]) -> io::Result<()> {
    while parts.iter().any(|part| !part.is_empty()) {
        let slices = parts.map(io::IoSlice::new);
        let mut written = stream.write_vectored(&slices).await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        for part in &mut parts {
            let taken = written.min(part.len());
            *part = &part[taken..];
            written -= taken;
        }
    }
    Ok(())
}

/// The values of the header `name` in `headers`.
fn values<'h>(headers: &'h [httparse::Header<'h>], name: &str) -> impl Iterator<Item = &'h str> {
    headers
        .iter()
        .filter(move |header| header.name.eq_ignore_ascii_case(name))
        .filter_map(|header| std::str::from_utf8(header.value).ok())
}

/// The head at the start of `bytes` and its length, or `None` while it is
/// incomplete.
fn parse_head(bytes: &[u8]) -> Result<Option<(usize, Head)>, H1Error> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let len = match response.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(err) => return Err(H1Error::Protocol(format!("the reply is not HTTP/1.1 ({err})"))),
    };
    let status = response.code.unwrap_or(0);
    let headers: &[httparse::Header<'_>] = response.headers;
    let text = |name| values(headers, name);
    let close = text("connection")
        .any(|value| value.split(',').any(|token| token.trim().eq_ignore_ascii_case("close")));
    let keep_alive = response.version == Some(1) && !close;
    let chunked = text("transfer-encoding").last().map(|value| {
        value.rsplit(',').next().is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
    });
    let lengths: Vec<&str> =
        text("content-length").flat_map(|value| value.split(',')).map(str::trim).collect();
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Empty
    } else if let Some(chunked) = chunked {
        // A transfer coding that does not end in chunked runs to the close.
        if chunked { Framing::Chunked } else { Framing::UntilClose }
    } else if let Some(first) = lengths.first() {
        if lengths.iter().any(|other| other != first) {
            return Err(H1Error::Protocol(format!(
                "the reply has conflicting content-length values {lengths:?}"
            )));
        }
        let length = first.parse::<usize>().map_err(|_| {
            H1Error::Protocol(format!("the reply's content-length {first:?} is not a number"))
        })?;
        Framing::Length(length)
    } else {
        Framing::UntilClose
    };
    let retry_after = crate::http::retry_after_in(|name| values(headers, name).next());
    Ok(Some((
        len,
        Head { status, framing, keep_alive: keep_alive && framing != Framing::UntilClose, retry_after },
    )))
}

/// The body that starts at `from` in `buf` (reading the rest), and whether
/// the connection ended cleanly with it (nothing read past it).
async fn read_body(
    stream: &mut TcpStream,
    mut buf: Vec<u8>,
    from: usize,
    head: &Head,
) -> Result<(Bytes, bool), H1Error> {
    match head.framing {
        Framing::Empty => Ok((Bytes::new(), buf.len() == from)),
        Framing::Length(length) => {
            if length > MAX_BODY {
                return Err(too_long());
            }
            let end = from + length;
            while buf.len() < end {
                read_on(stream, &mut buf).await?;
            }
            let clean = buf.len() == end;
            Ok((Bytes::from(buf).slice(from..end), clean))
        }
        Framing::UntilClose => {
            while read_more(stream, &mut buf).await.map_err(H1Error::Io)? > 0 {
                if buf.len() - from > MAX_BODY {
                    return Err(too_long());
                }
            }
            Ok((Bytes::from(buf).slice(from..), false))
        }
        Framing::Chunked => read_chunked(stream, buf, from).await,
    }
}

async fn read_chunked(
    stream: &mut TcpStream,
    mut buf: Vec<u8>,
    from: usize,
) -> Result<(Bytes, bool), H1Error> {
    let mut body = Vec::new();
    let mut at = from;
    loop {
        let size = match httparse::parse_chunk_size(&buf[at..]) {
            Ok(httparse::Status::Complete((len, size))) => Some((len, size)),
            Ok(httparse::Status::Partial) => None,
            Err(_) => return Err(H1Error::Protocol("the reply's chunk size is not hexadecimal".to_owned())),
        };
        match size {
            Some((len, 0)) => {
                // The last chunk: trailer lines, if any, then an empty line.
                let trailers = at + len;
                loop {
                    let rest = &buf[trailers..];
                    let end = if rest.starts_with(b"\r\n") {
                        Some(trailers + 2)
                    } else {
                        rest.windows(4).position(|w| w == b"\r\n\r\n").map(|at| trailers + at + 4)
                    };
                    if let Some(end) = end {
                        return Ok((Bytes::from(body), buf.len() == end));
                    }
                    read_on(stream, &mut buf).await?;
                }
            }
            Some((len, size)) => {
                let size = usize::try_from(size).map_err(|_| too_long())?;
                if body.len().saturating_add(size) > MAX_BODY {
                    return Err(too_long());
                }
                let data = at + len;
                let end = data + size + 2;
                while buf.len() < end {
                    read_on(stream, &mut buf).await?;
                }
                if &buf[end - 2..end] != b"\r\n" {
                    return Err(H1Error::Protocol(
                        "a chunk of the reply does not end where its size says".to_owned(),
                    ));
                }
                body.extend_from_slice(&buf[data..data + size]);
                at = end;
            }
            None => {
                read_on(stream, &mut buf).await?;
            }
        }
    }
}

fn too_long() -> H1Error {
    H1Error::Protocol(format!("the reply's body is longer than {} MiB", MAX_BODY >> 20))
}

/// [`read_more`] inside a reply: the connection's end is an error there.
async fn read_on(stream: &TcpStream, buf: &mut Vec<u8>) -> Result<(), H1Error> {
    match read_more(stream, buf).await.map_err(H1Error::Io)? {
        0 => Err(H1Error::Closed),
        _ => Ok(()),
    }
}

/// Reads what has arrived into `buf` (waiting until something has), and
/// returns how much; 0 at the connection's end. `buf` gets room only once
/// there is something to read: a request waiting on a slow model holds none.
async fn read_more(stream: &TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    loop {
        stream.readable().await?;
        if buf.capacity() - buf.len() < READ_CHUNK / 4 {
            buf.reserve(READ_CHUNK.max(buf.len()));
        }
        match stream.try_read_buf(buf) {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => continue,
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn plain_http_without_a_proxy_suits() {
        let url = |text| Url::parse(text).unwrap();
        assert!(suits(&url("http://127.0.0.1:8000/v1/chat/completions"), env(&[])));
        assert!(suits(&url("http://gpu-7.cluster:8000/v1"), env(&[("http_proxy", " ")])));
        assert!(!suits(&url("https://api.openai.com/v1"), env(&[])));
        assert!(!suits(&url("http://user:secret@127.0.0.1:8000/v1"), env(&[])));
        for proxy in ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"] {
            assert!(
                !suits(&url("http://127.0.0.1:8000/v1"), env(&[(proxy, "http://proxy:3128")])),
                "{proxy}"
            );
        }
    }

    #[test]
    fn heads_are_framed_as_rfc_9112_says() {
        let framing = |head: &str| {
            parse_head(head.as_bytes()).unwrap().map(|(_, head)| (head.framing, head.keep_alive))
        };
        let cases = [
            ("HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n", Framing::Length(12), true),
            ("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n", Framing::Length(3), true),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\ncontent-length: 9\r\n\r\n",
                Framing::Chunked,
                true,
            ),
            ("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n", Framing::UntilClose, false),
            ("HTTP/1.1 200 OK\r\n\r\n", Framing::UntilClose, false),
            ("HTTP/1.1 204 No Content\r\n\r\n", Framing::Empty, true),
            (
                "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\ncontent-length: 0\r\n\r\n",
                Framing::Length(0),
                false,
            ),
            ("HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n", Framing::Length(2), false),
        ];
        for (head, framed, keep_alive) in cases {
            assert_eq!(framing(head), Some((framed, keep_alive)), "{head:?}");
        }
        assert_eq!(framing("HTTP/1.1 200 OK\r\ncontent-len"), None);
        for bad in [
            "SSH-2.0-OpenSSH\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
        ] {
            assert!(matches!(parse_head(bad.as_bytes()), Err(H1Error::Protocol(_))), "{bad}");
        }
    }

    #[test]
    fn retry_after_is_read_from_the_head() {
        let head = "HTTP/1.1 429 Too Many Requests\r\nretry-after-ms: 1500\r\ncontent-length: 0\r\n\r\n";
        let (_, head) = parse_head(head.as_bytes()).unwrap().unwrap();
        assert_eq!((head.status, head.retry_after), (429, Some(Duration::from_millis(1500))));
        let head = "HTTP/1.1 503 Busy\r\nRetry-After: 7\r\ncontent-length: 0\r\n\r\n";
        let (_, head) = parse_head(head.as_bytes()).unwrap().unwrap();
        assert_eq!(head.retry_after, Some(Duration::from_secs(7)));
    }

    #[test]
    fn the_head_carries_the_headers_once_and_the_key_is_not_printed() {
        let mut headers = HeaderMap::new();
        let (name, value) = crate::http::secret_header("authorization", "Bearer sk-secret").unwrap();
        headers.insert(name, value);
        headers.insert("content-length", "5".parse().unwrap());
        let url = Url::parse("http://[::1]:8000/v1/models/m:generate?alt=json").unwrap();
        let client =
            H1Client::new(&url, &headers, "weft/test", Duration::from_secs(1), Duration::from_secs(2))
                .unwrap();
        let head = String::from_utf8(client.head.clone()).unwrap();
        assert_eq!(
            head,
            "POST /v1/models/m:generate?alt=json HTTP/1.1\r\nhost: [::1]:8000\r\nauthorization: Bearer sk-secret\r\n\
             user-agent: weft/test\r\ncontent-type: application/json\r\n"
        );
        let printed = format!("{client:?}");
        assert!(printed.contains("[::1]:8000") && !printed.contains("sk-secret"), "{printed}");
        assert_eq!(client.idle_count(), 0);
    }

    #[tokio::test]
    async fn a_name_is_looked_up_once_and_the_address_that_answers_goes_first() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap();
        let closed = {
            let spare = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            spare.local_addr().unwrap()
        };
        // A fresh lookup result, as if the name had just resolved to both.
        let resolved = tokio::sync::Mutex::new(Some((vec![closed, open], Instant::now())));
        connect_by_name("no-such-host.invalid", 1, &resolved).await.unwrap();
        assert_eq!(resolved.lock().await.as_ref().unwrap().0, [open, closed]);
        // The cached addresses serve: the name itself does not resolve.
        connect_by_name("no-such-host.invalid", 1, &resolved).await.unwrap();
        // Once they are old, the name is looked up again, and fails.
        resolved.lock().await.as_mut().unwrap().1 -= RESOLVE_FOR;
        assert!(connect_by_name("no-such-host.invalid", 1, &resolved).await.is_err());
    }
}
