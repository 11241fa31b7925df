//! `allowed_outbound_hosts` patterns, Spin style: `scheme://host[:port]`
//! where the scheme, the host (or a leading `*.` label) and the port may be
//! `*`. A pattern without a port allows the scheme's default port only.

use std::fmt;

use reqwest::Url;

/// One parsed `allowed_outbound_hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    scheme: Option<String>,
    host: HostMatch,
    port: PortMatch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostMatch {
    Any,
    Exact(String),
    /// `*.example.com` is stored as `.example.com`: any subdomain, not the apex.
    Subdomain(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PortMatch {
    Any,
    Exact(u16),
    /// No port written: the default port of the request's scheme.
    SchemeDefault,
}

/// The scheme, host and port a request goes to: what patterns are matched
/// against, and all that is ever logged of a refused URL (never a path or a
/// query, which may carry secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `http` or `https`.
    pub scheme: String,
    /// The host, in lower case.
    pub host: String,
    /// The port (the scheme's default when the URL names none).
    pub port: u16,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

impl Origin {
    /// The origin of an absolute `http`/`https` URL.
    pub fn of(url: &Url) -> Result<Self, String> {
        let scheme = url.scheme();
        if scheme != "http" && scheme != "https" {
            return Err(format!("unsupported URL scheme '{scheme}' (http and https only)"));
        }
        let host = url.host_str().filter(|host| !host.is_empty()).ok_or("the URL has no host")?;
        let port = url.port_or_known_default().ok_or("the URL has no port")?;
        Ok(Self { scheme: scheme.to_owned(), host: host.to_ascii_lowercase(), port })
    }

    /// The host as an IP address, when it is one (`[::1]` included).
    pub fn ip(&self) -> Option<std::net::IpAddr> {
        self.host.trim_start_matches('[').trim_end_matches(']').parse().ok()
    }
}

impl HostPattern {
    /// Parses one entry; a path after the authority is ignored, so a
    /// variable holding an API base URL (`https://ghe.example.com/api/v3`)
    /// can be used as is.
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = |why: &str| format!("allowed_outbound_hosts entry '{text}': {why}");
        let (scheme, rest) =
            text.split_once("://").ok_or_else(|| invalid("expected scheme://host[:port]"))?;
        let scheme = match scheme {
            "*" => None,
            "http" | "https" => Some(scheme.to_owned()),
            _ => return Err(invalid("the scheme must be http, https or *")),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let (host, port) = split_port(authority).map_err(|why| invalid(&why))?;
        let host = host.to_ascii_lowercase();
        let host = match host.as_str() {
            "" => return Err(invalid("the host is empty")),
            "*" => HostMatch::Any,
            _ if host.starts_with("*.") && !host[2..].contains('*') && host.len() > 2 => {
                HostMatch::Subdomain(host[1..].to_owned())
            }
            _ if host.contains('*') => {
                return Err(invalid("'*' may only be the whole host or its first label"));
            }
            _ => HostMatch::Exact(host),
        };
        Ok(Self { scheme, host, port })
    }

    /// Whether the pattern names one host (no `*`): the operator vouches for
    /// wherever that name leads, private addresses included.
    pub fn names_host(&self) -> bool {
        matches!(self.host, HostMatch::Exact(_))
    }

    /// Whether a request to `origin` is allowed by this pattern.
    pub fn allows(&self, origin: &Origin) -> bool {
        let scheme_ok = self.scheme.as_deref().is_none_or(|scheme| scheme == origin.scheme);
        let host_ok = match &self.host {
            HostMatch::Any => true,
            HostMatch::Exact(host) => *host == origin.host,
            HostMatch::Subdomain(suffix) => origin.host.ends_with(suffix.as_str()),
        };
        let port_ok = match self.port {
            PortMatch::Any => true,
            PortMatch::Exact(port) => port == origin.port,
            PortMatch::SchemeDefault => default_port(&origin.scheme) == Some(origin.port),
        };
        scheme_ok && host_ok && port_ok
    }
}

fn split_port(authority: &str) -> Result<(&str, PortMatch), String> {
    // `[::1]:8080`: the port follows the closing bracket.
    let colon = match authority.rfind(']') {
        Some(bracket) => authority[bracket..].find(':').map(|at| bracket + at),
        None => authority.rfind(':'),
    };
    let Some(colon) = colon else {
        return Ok((authority, PortMatch::SchemeDefault));
    };
    let (host, port) = (&authority[..colon], &authority[colon + 1..]);
    let port = match port {
        "*" => PortMatch::Any,
        digits => PortMatch::Exact(digits.parse().map_err(|_| format!("invalid port '{digits}'"))?),
    };
    Ok((host, port))
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(pattern: &str, url: &str) -> bool {
        let pattern = HostPattern::parse(pattern).expect("pattern parses");
        let origin = Origin::of(&Url::parse(url).expect("url parses")).expect("http url");
        pattern.allows(&origin)
    }

    #[test]
    fn exact_host_allows_only_its_scheme_and_default_port() {
        assert!(allowed("https://api.github.com", "https://api.github.com/repos/a/b"));
        assert!(allowed("https://api.github.com", "https://API.github.com:443/x"));
        assert!(!allowed("https://api.github.com", "http://api.github.com/x"));
        assert!(!allowed("https://api.github.com", "https://api.github.com:8443/x"));
        assert!(!allowed("https://api.github.com", "https://api.github.com.evil.net/x"));
        assert!(!allowed("https://api.github.com", "https://evil.net/?h=api.github.com"));
    }

    #[test]
    fn wildcards_cover_port_subdomain_scheme_and_host() {
        assert!(allowed("http://127.0.0.1:*", "http://127.0.0.1:38211/x"));
        assert!(!allowed("http://127.0.0.1:*", "http://127.0.0.2:38211/x"));
        assert!(allowed("https://*.example.com", "https://a.b.example.com/"));
        assert!(!allowed("https://*.example.com", "https://example.com/"));
        assert!(!allowed("https://*.example.com", "https://badexample.com/"));
        assert!(allowed("*://*:*", "http://anything:1/"));
        assert!(allowed("*://api.x.org", "http://api.x.org/"));
        assert!(!allowed("*://api.x.org", "http://api.x.org:8080/"));
    }

    #[test]
    fn a_base_url_with_a_path_is_a_pattern_for_its_origin() {
        assert!(allowed("http://127.0.0.1:4000/api/v3", "http://127.0.0.1:4000/repos"));
        assert!(!allowed("http://127.0.0.1:4000/api/v3", "http://127.0.0.1:4001/repos"));
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in ["api.github.com", "ftp://x", "https://", "https://a*b.com", "https://x:99999"] {
            assert!(HostPattern::parse(bad).is_err(), "{bad} parsed");
        }
    }
}
