//! Which addresses a wildcard grant may reach: public ones only.
//!
//! `allowed_outbound_hosts = ["https://*.example.com"]` (or `*`) grants a
//! whole namespace, and a name in it can resolve anywhere — to loopback
//! (weft's own port, a local Redis), to the operator's private network, or
//! to a cloud metadata endpoint (`169.254.169.254`). So a request allowed
//! only by a wildcard entry connects to public addresses only; a private
//! address is reached through an entry that names its host exactly
//! (`http://127.0.0.1:8080`, `http://db.internal`), which is the operator
//! saying so.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether `ip` is on the public internet: not loopback, private,
/// link-local, shared (CGNAT), unspecified, multicast, broadcast,
/// documentation or otherwise reserved space.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // 100.64.0.0/10: carrier-grade NAT, often a provider's internal network.
        || (a == 100 && (64..128).contains(&b))
        // 192.0.0.0/24: IETF protocol assignments.
        || (a == 192 && b == 0 && c == 0)
        // 198.18.0.0/15: benchmarking.
        || (a == 198 && (b == 18 || b == 19))
        // 240.0.0.0/4: reserved.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 site-local.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        // 2001:db8::/32 documentation.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // 64:ff9b::/96 NAT64 embeds an IPv4 address: judge that one.
        || (first == 0x0064 && ip.segments()[1] == 0xff9b && !is_public_v4(embedded_v4(ip))))
}

fn embedded_v4(ip: Ipv6Addr) -> Ipv4Addr {
    let [.., a, b, c, d] = ip.octets();
    Ipv4Addr::new(a, b, c, d)
}

/// The name resolved only to non-public addresses: the request is refused.
#[derive(Debug, thiserror::Error)]
#[error("{0} resolves only to private addresses")]
pub struct PrivateOnly(pub String);

/// The system resolver, with every non-public address dropped.
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let lookup = host.clone();
            let addrs: Vec<SocketAddr> =
                tokio::task::spawn_blocking(move || (lookup.as_str(), 0).to_socket_addrs())
                    .await??
                    .filter(|addr| is_public(addr.ip()))
                    .collect();
            if addrs.is_empty() {
                return Err(PrivateOnly(host).into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().expect("an IP address"))
    }

    #[test]
    fn internal_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.0.8",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ] {
            assert!(!public(ip), "{ip} counted as public");
        }
    }

    #[test]
    fn internet_addresses_are_public() {
        for ip in [
            "140.82.112.6",
            "1.1.1.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(public(ip), "{ip} counted as private");
        }
    }
}
