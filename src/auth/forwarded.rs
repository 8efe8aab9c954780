//! The client address of a request behind reverse proxies.
//!
//! `X-Forwarded-For` is written by everyone on the way: the client writes its left end, each
//! proxy appends the address it received the request from. Only entries added by proxies we
//! trust are believed, so the client is the right-most address that is not a trusted proxy
//! (what nginx's `real_ip_recursive` and the common reverse-proxy modules do).

use ipnet::IpNet;
use std::net::IpAddr;

/// The loopback proxies `SWITCHBOARD_TRUST_FORWARDED_FOR=1` stands for.
pub fn loopback() -> Vec<IpNet> {
    ["127.0.0.0/8", "::1/128"]
        .iter()
        .filter_map(|n| n.parse().ok())
        .collect()
}

/// The client of an HTTP request (its connection's peer and `X-Forwarded-For`).
pub fn of_request(req: &actix_web::HttpRequest, trusted: &[IpNet]) -> IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok());
    client_address(peer, forwarded, trusted)
}

/// The client of a connection from `peer` carrying the `X-Forwarded-For` header values
/// `forwarded` (in order), with `trusted` the proxies allowed to add entries.
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded: impl IntoIterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&canonical(*ip)));
    if !is_trusted(&peer) {
        return peer;
    }
    let entries: Vec<&str> = forwarded
        .into_iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in entries.iter().rev() {
        // Something a trusted proxy would not write: the hop before it is all we know.
        let Some(ip) = parse_entry(entry) else {
            return client;
        };
        client = ip;
        if !is_trusted(&ip) {
            return ip;
        }
    }
    client
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:80`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    entry
        .parse::<std::net::SocketAddr>()
        .ok()
        .map(|s| canonical(s.ip()))
}

/// IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client() {
        let trusted: Vec<IpNet> = vec![
            "10.0.0.0/8".parse().unwrap(),
            "127.0.0.1/32".parse().unwrap(),
        ];
        let client =
            |peer: &str, xff: &[&str]| client_address(ip(peer), xff.iter().copied(), &trusted);
        // The client wrote the first entry itself: it does not count.
        assert_eq!(
            client("127.0.0.1", &["10.1.2.3, 203.0.113.9"]),
            ip("203.0.113.9")
        );
        // Chains of trusted proxies are walked back; several headers are one list.
        assert_eq!(
            client("127.0.0.1", &["198.51.100.7, 203.0.113.9, 10.0.0.5"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            client("127.0.0.1", &["198.51.100.7", "203.0.113.9:4711, 10.0.0.5"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            client("127.0.0.1", &["[2001:db8::1]:443"]),
            ip("2001:db8::1")
        );
        // An untrusted peer's header is ignored.
        assert_eq!(client("192.0.2.1", &["10.1.2.3"]), ip("192.0.2.1"));
        // Only trusted hops: the left-most; garbage: the last hop that parsed.
        assert_eq!(client("127.0.0.1", &["10.0.0.7, 10.0.0.5"]), ip("10.0.0.7"));
        assert_eq!(
            client("127.0.0.1", &["203.0.113.9, junk, 10.0.0.5"]),
            ip("10.0.0.5")
        );
        assert_eq!(client("127.0.0.1", &[]), ip("127.0.0.1"));
        assert_eq!(
            client("::ffff:127.0.0.1", &["203.0.113.9"]),
            ip("203.0.113.9")
        );
    }
}
