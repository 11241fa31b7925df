//! Tool calls answered straight off the socket.
//!
//! A connection starts here. While its requests are tool calls of the plain
//! kind — `POST /execute` or `POST /{component}/execute` for a loaded
//! component, HTTP/1.1, one `Content-Length` within the body limit, no
//! `Transfer-Encoding`, `Expect` or `Upgrade` — each is parsed by
//! [`weft_wire::parse_head`], answered by [`routes::execute_json`] and written back with a
//! fixed set of headers. At the first request that is anything else
//! (another route, a chunked body, a malformed head, HTTP/1.0, ...), the
//! connection and the bytes already read go to hyper and the router for
//! good. Measured under wrk against hyper's request/response machinery:
//! ~5 µs less server CPU per call (33.6 → 28.8 µs, sandbox included) and
//! ~13% more calls per second.

use std::io;
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use bytes::{Buf, Bytes, BytesMut};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::Watcher;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;

use weft_wire::Head;

use super::{Front, Target, tool_target};
use crate::AppState;
use crate::routes;

/// A head larger than this is not a plain tool call: hyper takes it (and
/// applies its own limits).
const MAX_HEAD: usize = 16 << 10;

/// Serves `stream` until the client closes it, `stop` turns true while it is
/// idle, or a request needs hyper.
///
/// A client has [`ConnectionLimits::header_timeout`](crate::ConnectionLimits)
/// to send a head once it has started one, and again for the body; an idle
/// connection is closed after the idle timeout (a second when the service
/// is near its connection cap, checked every second). `_slot` holds the
/// connection's place until it closes.
pub(super) async fn connection(
    mut stream: TcpStream,
    front: Front,
    watcher: Watcher,
    mut stop: watch::Receiver<bool>,
    _slot: crate::ConnectionSlot,
) {
    let connections = front.state.connections.clone();
    let header_timeout = connections.limits().header_timeout;
    let mut buf = BytesMut::with_capacity(4096);
    let mut out = Vec::with_capacity(512);
    let mut idle_since = Instant::now();
    loop {
        let mut head_started = None;
        let call = loop {
            match parse(&buf, &front.state) {
                Parsed::Call(call) => break call,
                Parsed::Partial if buf.len() <= MAX_HEAD => {}
                Parsed::Partial | Parsed::Other => {
                    return handoff(stream, buf.freeze(), front, watcher).await;
                }
            }
            let idle = buf.is_empty();
            let wake = if idle {
                (idle_since + connections.idle_timeout()).min(Instant::now() + PRESSURE_CHECK)
            } else {
                *head_started.get_or_insert_with(Instant::now) + header_timeout
            };
            tokio::select! {
                biased;
                _ = stop.wait_for(|stopping| *stopping), if idle => return,
                read = stream.read_buf(&mut buf) => match read {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                },
                () = tokio::time::sleep_until(wake.into()) => {
                    if !idle || idle_since.elapsed() >= connections.idle_timeout() {
                        return;
                    }
                }
            }
        };
        let body_deadline = Instant::now() + header_timeout;
        while buf.len() < call.head_len + call.body_len {
            match tokio::time::timeout_at(body_deadline.into(), stream.read_buf(&mut buf)).await {
                Ok(Ok(0) | Err(_)) | Err(_) => return,
                Ok(Ok(_)) => {}
            }
        }
        let request = buf.split_to(call.head_len + call.body_len).freeze();
        // The range was cut from a `&str`: it is UTF-8.
        let component = call.component.and_then(|name| std::str::from_utf8(&request[name]).ok());
        let (status, json) = routes::execute_json(&front.state, component, &request[call.head_len..]).await;
        out.clear();
        write_response(&mut out, status, &json, call.close, front.state.instance().as_bytes());
        if stream.write_all(&out).await.is_err() {
            return;
        }
        if call.close {
            let _ = stream.shutdown().await;
            return;
        }
        idle_since = Instant::now();
    }
}

/// How often an idle connection checks whether the service has come near
/// its connection cap (and it should close).
const PRESSURE_CHECK: Duration = Duration::from_secs(1);

/// Hands the connection to hyper, the bytes already read first.
/// hyper's header timeout covers an idle kept-alive connection and a slow
/// head alike, so it is the idle timeout (a client's connection pool keeps
/// connections idle while an LLM answers; a slow first head was bounded
/// here already).
async fn handoff(stream: TcpStream, read: Bytes, front: Front, watcher: Watcher) {
    let io = TokioIo::new(Rewind { read, stream });
    let limits = front.state.connections.limits();
    let header_timeout = limits.idle_timeout.max(limits.header_timeout);
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(io, front);
    if let Err(err) = watcher.watch(connection).await {
        tracing::debug!("connection ended: {err}");
    }
}

struct Call {
    head_len: usize,
    body_len: usize,
    /// Where the component's name is in the buffer; `None` for `/execute`
    /// (routed by tool name).
    component: Option<Range<usize>>,
    /// The client sent `Connection: close`.
    close: bool,
}

enum Parsed {
    Call(Call),
    /// The head is not complete yet.
    Partial,
    /// Not a plain tool call: hyper's.
    Other,
}

fn parse(buf: &[u8], state: &AppState) -> Parsed {
    let call = match weft_wire::parse_head(buf, state.body_limit) {
        Head::Call(call) => call,
        Head::Partial => return Parsed::Partial,
        Head::Other => return Parsed::Other,
    };
    let component = match tool_target(state, call.path) {
        Some(Target::Routed) => None,
        Some(Target::Component(name)) => {
            let start = name.as_ptr() as usize - buf.as_ptr() as usize;
            Some(start..start + name.len())
        }
        None => return Parsed::Other,
    };
    // A request the policy refuses is hyper's too: the router's answer says why.
    if state.policy.check("POST", call.path, |name| call.header(name), call.body_len > 0, false).is_err() {
        return Parsed::Other;
    }
    Parsed::Call(Call { head_len: call.head_len, body_len: call.body_len, component, close: call.close })
}

fn write_response(out: &mut Vec<u8>, status: StatusCode, json: &[u8], close: bool, instance: &[u8]) {
    use std::io::Write;
    let reason = status.canonical_reason().unwrap_or("");
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        "HTTP/1.1 {} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        status.as_u16(),
        json.len()
    );
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(crate::STORE_INSTANCE_HEADER.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(instance);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(b"date: ");
    date::now(|date| out.extend_from_slice(date));
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(json);
}

mod date {
    use std::cell::RefCell;
    use std::time::{SystemTime, UNIX_EPOCH};

    thread_local! {
        /// The `Date` value and the second it was rendered for.
        static CACHED: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }

    /// Calls `f` with the current IMF-fixdate, rendered once a second per thread.
    pub(super) fn now(f: impl FnOnce(&[u8])) {
        let now = SystemTime::now();
        let second = now.duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
        CACHED.with_borrow_mut(|(rendered_for, text)| {
            if *rendered_for != second {
                *text = httpdate::fmt_http_date(now);
                *rendered_for = second;
            }
            f(text.as_bytes());
        });
    }
}

/// A stream that yields `read` before reading from `stream`.
struct Rewind {
    read: Bytes,
    stream: TcpStream,
}

impl AsyncRead for Rewind {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.read.is_empty() {
            let n = self.read.len().min(buf.remaining());
            buf.put_slice(&self.read[..n]);
            self.read.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Rewind {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
