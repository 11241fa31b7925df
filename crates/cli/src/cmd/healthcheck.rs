//! `weft healthcheck [--url URL]`: exit 0 when a tool service answers
//! `GET /health` with HTTP 200 within the timeout, 1 when it does not (2 for
//! a URL it cannot use).
//!
//! It exists for images without a shell or curl: a container's
//! `HEALTHCHECK CMD ["weft", "healthcheck"]` or a Kubernetes exec probe runs
//! the binary the image already holds. It is one HTTP/1.1 request over a
//! plain `TcpStream`, with no runtime and no HTTP client, and the whole
//! exchange — connect, send, status line — shares one deadline, so a service
//! that accepts and then hangs is unhealthy rather than a stuck probe.
//!
//! Without `--url` it asks the service this container runs: `/health` on
//! the port of `WEFT_LISTEN` (what `weft serve` listens on), on loopback
//! when that address is a wildcard, else `http://127.0.0.1:3000/health`.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Where a service listens when `WEFT_LISTEN` does not say (`weft serve`'s default port).
const DEFAULT_PORT: u16 = 3000;

/// The most of an answer read while looking for its status line.
const STATUS_LINE_LIMIT: usize = 8 * 1024;

/// Arguments of `weft healthcheck`.
#[derive(clap::Args)]
pub struct Args {
    /// The URL to ask (`http://HOST[:PORT][/PATH]`; no path asks `/health`).
    /// Default: `/health` on the port of WEFT_LISTEN, on loopback.
    #[arg(long, env = "WEFT_HEALTHCHECK_URL")]
    pub url: Option<String>,
    /// Seconds the whole check may take: connecting, sending, the status line.
    #[arg(long, value_name = "SECS", default_value_t = 2)]
    pub timeout: u64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let url = args.url.unwrap_or_else(|| default_url(std::env::var("WEFT_LISTEN").ok().as_deref()));
    let target = match HealthUrl::parse(&url) {
        Ok(target) => target,
        Err(reason) => {
            eprintln!("error: {reason}");
            return Ok(ExitCode::from(2));
        }
    };
    match check(&target, Duration::from_secs(args.timeout.max(1))) {
        Ok(()) => {
            println!("healthy: {url}");
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => {
            eprintln!("unhealthy: {url}: {reason}");
            Ok(ExitCode::from(1))
        }
    }
}

/// `/health` of the service `weft serve` would start from `listen` (the
/// value of `WEFT_LISTEN`): a wildcard address is asked on loopback of the
/// same family; anything unreadable falls back to port 3000.
fn default_url(listen: Option<&str>) -> String {
    let addr = listen
        .and_then(|text| text.trim().parse::<SocketAddr>().ok())
        .unwrap_or_else(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), DEFAULT_PORT));
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/health", SocketAddr::new(ip, addr.port()))
}

/// An `http://` URL taken apart for one request.
#[derive(Debug, PartialEq, Eq)]
struct HealthUrl {
    /// The host as resolved: a name, an IPv4 address or an IPv6 address without brackets.
    host: String,
    port: u16,
    /// The request target, starting with `/`.
    path: String,
}

impl HealthUrl {
    fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("`{url}` is not an http:// URL (the health check speaks plain HTTP)"))?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, "/health"),
        };
        if authority.contains('@') {
            return Err(format!("`{url}`: credentials in the URL are not supported"));
        }
        let (host, port) = split_authority(authority).ok_or_else(|| format!("`{url}` has no usable host"))?;
        let port = match port {
            None => 80,
            Some(port) => port.parse().map_err(|_| format!("`{url}` has a bad port `{port}`"))?,
        };
        Ok(Self { host: host.to_owned(), port, path: path.to_owned() })
    }

    /// The `Host` header: the authority as written, brackets and port included.
    fn host_header(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// `host[:port]` or `[v6][:port]` → (host, port text).
fn split_authority(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    (!host.is_empty()).then_some((host, port))
}

/// One `GET` to `target`, all of it within `timeout`: Ok when the status
/// line says 200, else why not.
fn check(target: &HealthUrl, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let mut stream = connect(target, deadline)?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: weft-healthcheck\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        target.path,
        target.host_header()
    );
    stream.set_write_timeout(Some(left(deadline, timeout)?)).map_err(|err| err.to_string())?;
    stream.write_all(request.as_bytes()).map_err(|err| format!("cannot send the request: {err}"))?;
    let head = read_status_line(&mut stream, deadline, timeout)?;
    match parse_status(&head) {
        Some(200) => Ok(()),
        Some(status) => Err(format!("HTTP {status}")),
        None => Err(format!("not an HTTP answer: {:?}", String::from_utf8_lossy(&head))),
    }
}

/// A connection to the first of the host's addresses that accepts one.
fn connect(target: &HealthUrl, deadline: Instant) -> Result<TcpStream, String> {
    // Name resolution has no timeout of its own; the usual target is a
    // loopback address, which resolves without asking anyone.
    let addrs = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map_err(|err| format!("cannot resolve {}: {err}", target.host))?;
    let mut last = format!("{} has no address", target.host);
    for addr in addrs {
        let budget = deadline.saturating_duration_since(Instant::now());
        if budget.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(&addr, budget) {
            Ok(stream) => return Ok(stream),
            Err(err) => last = format!("cannot connect to {addr}: {err}"),
        }
    }
    Err(last)
}

/// Bytes of the answer up to the end of its status line (or the limit, or EOF).
fn read_status_line(stream: &mut TcpStream, deadline: Instant, timeout: Duration) -> Result<Vec<u8>, String> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    while !head.windows(2).any(|pair| pair == b"\r\n") && head.len() < STATUS_LINE_LIMIT {
        stream.set_read_timeout(Some(left(deadline, timeout)?)).map_err(|err| err.to_string())?;
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => head.extend_from_slice(&chunk[..read]),
            Err(err) if is_timeout(&err) => return Err(timed_out(timeout)),
            Err(err) => return Err(format!("cannot read the answer: {err}")),
        }
    }
    Ok(head)
}

/// The status code of `HTTP/1.x NNN ...`.
fn parse_status(head: &[u8]) -> Option<u16> {
    let line = head.split(|&byte| byte == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    let version = parts.next()?;
    let code = parts.next()?;
    (version.starts_with("HTTP/1.") && code.len() == 3).then(|| code.parse().ok())?
}

/// What is left of the deadline, or the timeout error once it has passed
/// (a zero socket timeout would mean "none" to the OS, so it is never set).
fn left(deadline: Instant, timeout: Duration) -> Result<Duration, String> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() { Err(timed_out(timeout)) } else { Ok(left) }
}

fn is_timeout(err: &std::io::Error) -> bool {
    matches!(err.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
}

fn timed_out(timeout: Duration) -> String {
    format!("no answer within {}s", timeout.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::thread;

    use super::*;

    /// A one-connection server on loopback that reads the request head and
    /// answers `reply` (or holds the connection open when it is `None`).
    /// Gives back the URL and the request it received.
    fn serve_once(reply: Option<&'static str>) -> (String, thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/health", listener.local_addr().expect("addr"));
        let server = thread::spawn(move || {
            let (mut conn, _) = listener.accept().expect("accept");
            let mut request = Vec::new();
            let mut chunk = [0u8; 512];
            while !request.ends_with(b"\r\n\r\n") {
                let read = conn.read(&mut chunk).expect("read");
                if read == 0 {
                    break;
                }
                request.extend_from_slice(&chunk[..read]);
            }
            match reply {
                Some(reply) => conn.write_all(reply.as_bytes()).expect("write"),
                None => thread::sleep(Duration::from_millis(1500)),
            }
            String::from_utf8(request).expect("utf-8")
        });
        (url, server)
    }

    fn check_url(url: &str, timeout: Duration) -> Result<(), String> {
        check(&HealthUrl::parse(url).expect("url"), timeout)
    }

    #[test]
    fn a_200_is_healthy_and_the_request_is_a_plain_get() {
        let (url, server) = serve_once(Some("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"));
        assert_eq!(check_url(&url, Duration::from_secs(2)), Ok(()));
        let request = server.join().expect("server");
        let port = url.trim_start_matches("http://127.0.0.1:").trim_end_matches("/health");
        assert!(request.starts_with("GET /health HTTP/1.1\r\n"), "{request}");
        assert!(request.contains(&format!("\r\nHost: 127.0.0.1:{port}\r\n")), "{request}");
        assert!(request.contains("\r\nConnection: close\r\n"), "{request}");
    }

    #[test]
    fn any_other_status_is_unhealthy_and_named() {
        let (url, server) = serve_once(Some("HTTP/1.1 503 Service Unavailable\r\n\r\n"));
        assert_eq!(check_url(&url, Duration::from_secs(2)), Err("HTTP 503".to_owned()));
        server.join().expect("server");
    }

    #[test]
    fn an_answer_that_is_not_http_is_unhealthy() {
        let (url, server) = serve_once(Some("SSH-2.0-OpenSSH\r\n"));
        let err = check_url(&url, Duration::from_secs(2)).expect_err("not http");
        assert!(err.starts_with("not an HTTP answer"), "{err}");
        server.join().expect("server");
    }

    #[test]
    fn a_service_that_accepts_and_hangs_is_unhealthy_within_the_timeout() {
        let (url, server) = serve_once(None);
        let started = Instant::now();
        let err = check_url(&url, Duration::from_millis(300)).expect_err("hangs");
        assert!(started.elapsed() < Duration::from_millis(1200), "took {:?}", started.elapsed());
        assert!(err.starts_with("no answer within 0.3s"), "{err}");
        server.join().expect("server");
    }

    #[test]
    fn a_closed_port_is_unhealthy() {
        let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let err = check_url(&format!("http://127.0.0.1:{port}/health"), Duration::from_secs(2))
            .expect_err("nothing listens");
        assert!(err.starts_with(&format!("cannot connect to 127.0.0.1:{port}")), "{err}");
    }

    #[test]
    fn urls_are_taken_apart_or_refused() {
        let parsed = |url: &str| HealthUrl::parse(url).map(|u| (u.host, u.port, u.path));
        assert_eq!(parsed("http://weft:3000/health"), Ok(("weft".into(), 3000, "/health".into())));
        assert_eq!(parsed("http://weft:3000"), Ok(("weft".into(), 3000, "/health".into())));
        assert_eq!(parsed("http://weft/vfs/health"), Ok(("weft".into(), 80, "/vfs/health".into())));
        assert_eq!(parsed("http://[::1]:8080/health"), Ok(("::1".into(), 8080, "/health".into())));
        assert!(parsed("https://weft:3000").expect_err("tls").contains("not an http:// URL"));
        assert!(parsed("weft:3000").expect_err("no scheme").contains("not an http:// URL"));
        assert!(parsed("http://weft:30x0").expect_err("port").contains("bad port `30x0`"));
        assert!(parsed("http://:3000").expect_err("no host").contains("no usable host"));
        assert!(parsed("http://u:p@weft").expect_err("credentials").contains("credentials"));
        assert_eq!(HealthUrl::parse("http://[::1]:8080").expect("v6").host_header(), "[::1]:8080");
    }

    #[test]
    fn the_default_url_follows_weft_listen() {
        assert_eq!(default_url(None), "http://127.0.0.1:3000/health");
        assert_eq!(default_url(Some("0.0.0.0:8080")), "http://127.0.0.1:8080/health");
        assert_eq!(default_url(Some("[::]:9000")), "http://[::1]:9000/health");
        assert_eq!(default_url(Some("10.1.2.3:3001")), "http://10.1.2.3:3001/health");
        assert_eq!(default_url(Some("not an address")), "http://127.0.0.1:3000/health");
    }

    #[test]
    fn status_lines_are_read_strictly() {
        assert_eq!(parse_status(b"HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(parse_status(b"HTTP/1.0 404 Not Found\r\n"), Some(404));
        assert_eq!(parse_status(b"HTTP/1.1 200"), Some(200));
        assert_eq!(parse_status(b"HTTP/2 200\r\n"), None);
        assert_eq!(parse_status(b"HTTP/1.1 20\r\n"), None);
        assert_eq!(parse_status(b""), None);
    }
}
