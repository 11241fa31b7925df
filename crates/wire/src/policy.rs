//! Who may talk to the service: one policy for every route.
//!
//! A tool service on loopback is a target for the pages a developer's
//! browser opens: DNS rebinding (`evil.example.com` resolving to 127.0.0.1)
//! and cross-origin "simple" requests (`Content-Type: text/plain`) could
//! otherwise write into sessions or load a mock tool that answers
//! attacker-chosen text into generated data. So every request is checked:
//!
//! - **`Host`** must be a loopback name (`localhost`, `127.0.0.0/8`, `[::1]`,
//!   any port) or one of the allowed hosts (`name` or `name:port`, from
//!   `--allowed-host`); `*` allows any. A `Host` with userinfo
//!   (`evil.example.com@127.0.0.1`) is never loopback.
//! - **`Origin`**, when sent, must name an allowed host the same way
//!   (`Origin: null` is refused).
//! - **A body** must be JSON (`Content-Type: application/json`; YAML types
//!   too, for the mock tier), except on a Spin component's own routes, which
//!   take what the component takes.
//!
//! `GET /health`, `GET /{component}/health` and `GET /metrics` are exempt:
//! probes and scrapers address a pod by its IP and read nothing a session
//! holds.

use std::net::{IpAddr, Ipv4Addr};

/// The hosts a request may name besides loopback ones.
#[derive(Debug, Clone, Default)]
pub struct HostPolicy {
    any: bool,
    /// Lower-cased, each `name` or `name:port`.
    names: Vec<String>,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `Host` (or its absence) is not allowed: 403 `Forbidden`.
    Host(String),
    /// `Origin` is not allowed: 403 `Forbidden`.
    Origin(String),
    /// A body that is not JSON: 415 `UnsupportedMediaType`.
    ContentType(String),
}

impl HostPolicy {
    /// Loopback names only (the default).
    pub fn loopback_only() -> Self {
        Self::default()
    }

    /// Loopback names and `hosts` (`name` or `name:port`); `*` allows any.
    pub fn allowing(hosts: &[String]) -> Self {
        let any = hosts.iter().any(|host| host.trim() == "*");
        let names = hosts
            .iter()
            .map(|host| host.trim().trim_end_matches('.').to_ascii_lowercase())
            .filter(|host| !host.is_empty() && host != "*")
            .collect();
        Self { any, names }
    }

    /// The extra names, as given (for rmcp's own guard on `/mcp`).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether any `Host` is accepted.
    pub fn allows_any(&self) -> bool {
        self.any
    }

    /// Whether a `Host` header value is allowed.
    pub fn host_allowed(&self, value: &[u8]) -> bool {
        if self.any {
            return true;
        }
        let Ok(value) = std::str::from_utf8(value) else { return false };
        let value = value.trim();
        let Some((host, port)) = split_authority(value) else { return false };
        if is_loopback(host) {
            return true;
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.names.iter().any(|name| match name.rsplit_once(':').filter(|(_, p)| is_port(p)) {
            Some((name_host, name_port)) => *name_host == host && Some(name_port) == port,
            None => *name == host,
        })
    }

    /// Whether an `Origin` header value is allowed: `scheme://authority`
    /// whose authority passes [`Self::host_allowed`].
    pub fn origin_allowed(&self, value: &[u8]) -> bool {
        if self.any {
            return true;
        }
        let Ok(value) = std::str::from_utf8(value) else { return false };
        let Some((scheme, authority)) = value.trim().split_once("://") else { return false };
        let authority = authority.strip_suffix('/').unwrap_or(authority);
        matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https")
            && !authority.contains('/')
            && self.host_allowed(authority.as_bytes())
    }

    /// Checks a request. `header` reads one header's value; `has_body`
    /// says a body follows (a positive length, or chunked); `component_route`
    /// says the path is a Spin component's own route.
    pub fn check<'h>(
        &self,
        method: &str,
        path: &str,
        header: impl Fn(&str) -> Option<&'h [u8]>,
        has_body: bool,
        component_route: bool,
    ) -> Result<(), Refusal> {
        if method == "GET" && is_probe(path) {
            return Ok(());
        }
        match header("host") {
            Some(host) if self.host_allowed(host) => {}
            Some(host) => {
                return Err(Refusal::Host(format!(
                    "Host '{}' is not allowed: only loopback names unless `weft serve --allowed-host` names it",
                    String::from_utf8_lossy(host)
                )));
            }
            None => return Err(Refusal::Host("a Host header is required".to_owned())),
        }
        if let Some(origin) = header("origin")
            && !self.origin_allowed(origin)
        {
            return Err(Refusal::Origin(format!(
                "Origin '{}' is not allowed: cross-origin requests are refused",
                String::from_utf8_lossy(origin)
            )));
        }
        if has_body && !component_route && !header("content-type").is_some_and(is_json) {
            return Err(Refusal::ContentType(
                "a request body must be JSON: send Content-Type: application/json".to_owned(),
            ));
        }
        Ok(())
    }
}

/// `GET` paths any prober may read: `/health`, `/{component}/health`, `/metrics`.
fn is_probe(path: &str) -> bool {
    if path == "/health" || path == "/metrics" {
        return true;
    }
    path.strip_prefix('/')
        .and_then(|rest| rest.strip_suffix("/health"))
        .is_some_and(|component| !component.is_empty() && !component.contains('/'))
}

/// JSON (`application/json`, `application/*+json`) or YAML (which the mock
/// tier also reads), any parameters: none of them is a type a browser may
/// send cross-origin without asking first.
pub fn is_json(value: &[u8]) -> bool {
    let essence = value.split(|&b| b == b';').next().unwrap_or_default().trim_ascii().to_ascii_lowercase();
    matches!(
        essence.as_slice(),
        b"application/json" | b"application/yaml" | b"application/x-yaml" | b"text/yaml" | b"text/x-yaml"
    ) || (essence.starts_with(b"application/") && essence.ends_with(b"+json"))
}

/// `host[:port]` or `[v6][:port]` → the host and the port. `None` for
/// anything else: userinfo, paths, spaces, empty names, bad ports.
fn split_authority(value: &str) -> Option<(&str, Option<&str>)> {
    if value.is_empty() || value.bytes().any(|b| matches!(b, b'@' | b'/' | b'\\' | b'?' | b'#') || b <= b' ')
    {
        return None;
    }
    let (host, port) = if let Some(rest) = value.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            after => Some(after.strip_prefix(':')?),
        };
        (inner, port)
    } else {
        match value.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (value, None),
        }
    };
    if host.is_empty() || port.is_some_and(|p| !is_port(p)) {
        return None;
    }
    Some((host, port))
}

fn is_port(port: &str) -> bool {
    !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit())
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    // Only the dotted-quad form: `127.1` or `0x7f.1` are not names a
    // browser sends for loopback, and refusing them costs nothing.
    if let Ok(v4) = host.parse::<Ipv4Addr>() {
        return v4.is_loopback();
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_pass_and_others_do_not() {
        let policy = HostPolicy::loopback_only();
        for ok in [
            "127.0.0.1:3000",
            "127.0.0.1",
            "localhost:8080",
            "LOCALHOST",
            "[::1]:3000",
            "[::1]",
            "127.9.9.9:1",
        ] {
            assert!(policy.host_allowed(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "evil.example.com",
            "evil.example.com:3000",
            "evil.example.com@127.0.0.1",
            "127.0.0.1@evil.example.com",
            "127.0.0.1.evil.example.com",
            "127.0.0.1:3000/x",
            "",
            " ",
            "[::1",
            "[::2]:3000",
            "127.0.0.1:port",
            "0.0.0.0:3000",
            "10.0.0.1:3000",
        ] {
            assert!(!policy.host_allowed(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn allowed_names_match_with_or_without_a_port() {
        let policy = HostPolicy::allowing(&["weft-serve".to_owned(), "tools.internal:8080".to_owned()]);
        assert!(policy.host_allowed(b"weft-serve:3000"));
        assert!(policy.host_allowed(b"WEFT-SERVE"));
        assert!(policy.host_allowed(b"tools.internal:8080"));
        assert!(!policy.host_allowed(b"tools.internal:9090"));
        assert!(!policy.host_allowed(b"tools.internal"));
        assert!(!policy.host_allowed(b"weft-serve.evil.example.com"));
        assert!(HostPolicy::allowing(&["*".to_owned()]).host_allowed(b"anything.example"));
    }

    #[test]
    fn origins_name_allowed_hosts() {
        let policy = HostPolicy::loopback_only();
        assert!(policy.origin_allowed(b"http://localhost:5173"));
        assert!(policy.origin_allowed(b"https://127.0.0.1"));
        for bad in ["null", "http://evil.example.com", "file://", "http://127.0.0.1/x", "ftp://localhost"] {
            assert!(!policy.origin_allowed(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn bodies_must_be_json_except_on_component_routes() {
        let policy = HostPolicy::loopback_only();
        let headers = |ct: Option<&'static str>| {
            move |name: &str| match name {
                "host" => Some(&b"127.0.0.1:3000"[..]),
                "content-type" => ct.map(str::as_bytes),
                _ => None,
            }
        };
        let check = |ct, body, component| policy.check("POST", "/mock/clear", headers(ct), body, component);
        assert!(check(Some("application/json; charset=utf-8"), true, false).is_ok());
        assert!(matches!(check(Some("text/plain"), true, false), Err(Refusal::ContentType(_))));
        assert!(matches!(check(None, true, false), Err(Refusal::ContentType(_))));
        assert!(check(None, false, false).is_ok());
        assert!(check(Some("text/plain"), true, true).is_ok());
        assert!(check(Some("application/yaml"), true, false).is_ok());
        for refused in ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/json5"]
        {
            assert!(matches!(check(Some(refused), true, false), Err(Refusal::ContentType(_))), "{refused}");
        }
    }

    #[test]
    fn probes_are_exempt_and_nothing_else_is() {
        let policy = HostPolicy::loopback_only();
        let foreign = |name: &str| (name == "host").then_some(&b"10.1.2.3:3000"[..]);
        for path in ["/health", "/vfs/health", "/metrics"] {
            assert!(policy.check("GET", path, foreign, false, false).is_ok(), "{path}");
        }
        for (method, path) in
            [("GET", "/tools"), ("POST", "/health"), ("GET", "/a/b/health"), ("DELETE", "/session/x")]
        {
            assert!(
                matches!(policy.check(method, path, foreign, false, false), Err(Refusal::Host(_))),
                "{path}"
            );
        }
        assert!(matches!(policy.check("GET", "/tools", |_| None, false, false), Err(Refusal::Host(_))));
    }
}
