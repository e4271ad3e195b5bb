//! `NO_PROXY`: the hosts that are reached directly although a proxy is set, read as curl reads it.
//!
//! A comma- (or space-) separated list. `*` alone: no host uses the proxy. A name matches itself
//! and every host below it (`example.org` matches `example.org` and `www.example.org`, never
//! `notexample.org`); a leading dot changes nothing (`.example.org` is the same entry, as in curl)
//! and so does a trailing one; `*.example.org` is taken as `.example.org`, as Go and Python do. An
//! IP address matches only that address, or a range in CIDR form (`10.0.0.0/8`, `::1/128`);
//! IPv6 may be written with or without brackets. Names are compared without case. A host name is
//! never resolved to match an IP entry.
//!
//! Where arkiv differs from curl: an entry with a port (`intranet.example:8080`) matches that host
//! on that port only. curl never matches such entries (its comparison has no port), which no user
//! who wrote one meant; wget, Go and Python's requests match them as arkiv does.

use std::net::IpAddr;

/// A parsed `NO_PROXY` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    all: bool,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// Lower-cased, without leading or trailing dots.
    Domain { name: String, port: Option<u16> },
    Network {
        ip: IpAddr,
        bits: u8,
        port: Option<u16>,
    },
}

impl NoProxy {
    /// Parses the list; entries that are neither a name nor an address are ignored, as curl does.
    pub fn parse(list: &str) -> NoProxy {
        if list.trim() == "*" {
            return NoProxy {
                all: true,
                entries: Vec::new(),
            };
        }
        let entries = list
            .split([',', ' ', '\t'])
            .filter(|t| !t.is_empty())
            .filter_map(parse_entry)
            .collect();
        NoProxy {
            all: false,
            entries,
        }
    }

    /// Whether `host` (as in a URL: a name, an IPv4 address or a bracketed IPv6 address) on
    /// `port` is reached without the proxy.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        if self.all {
            return true;
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let ip = bare.parse::<IpAddr>().ok();
        let name = host.trim_end_matches('.').to_ascii_lowercase();
        self.entries.iter().any(|entry| match (entry, ip) {
            (
                Entry::Network {
                    ip: net,
                    bits,
                    port: p,
                },
                Some(ip),
            ) => p.is_none_or(|p| p == port) && in_network(ip, *net, *bits),
            (
                Entry::Domain {
                    name: domain,
                    port: p,
                },
                None,
            ) => {
                p.is_none_or(|p| p == port)
                    && (name == *domain
                        || name
                            .strip_suffix(domain.as_str())
                            .is_some_and(|rest| rest.ends_with('.')))
            }
            _ => false,
        })
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.entries.is_empty()
    }
}

fn parse_entry(token: &str) -> Option<Entry> {
    let token = token.trim();
    // Bracketed IPv6, with an optional port: `[::1]`, `[::1]:8080`, `[fd00::]/8`.
    if let Some(rest) = token.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let (inside, bits) = split_bits(inside, after)?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None => None,
        };
        let ip: IpAddr = inside.parse().ok()?;
        return Some(Entry::Network {
            bits: bits.unwrap_or(max_bits(ip)),
            ip,
            port,
        });
    }
    let (address, bits) = match token.split_once('/') {
        Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
        None => (token, None),
    };
    if let Ok(ip) = address.parse::<IpAddr>() {
        let max = max_bits(ip);
        let bits = bits.unwrap_or(max);
        if bits > max {
            return None;
        }
        return Some(Entry::Network {
            ip,
            bits,
            port: None,
        });
    }
    if bits.is_some() {
        return None;
    }
    let (host, port) = match token.rsplit_once(':') {
        Some((h, p)) => (h, Some(p.parse::<u16>().ok()?)),
        None => (token, None),
    };
    if let Ok(ip) = host.parse::<std::net::Ipv4Addr>() {
        return Some(Entry::Network {
            ip: IpAddr::V4(ip),
            bits: 32,
            port,
        });
    }
    let name = host
        .strip_prefix("*.")
        .unwrap_or(host)
        .trim_start_matches('.')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if name.is_empty() || name.contains(['*', '/', '[', ']']) {
        return None;
    }
    Some(Entry::Domain { name, port })
}

/// `[fd00::]/8`: the bits after the bracket.
fn split_bits<'a>(inside: &'a str, after: &str) -> Option<(&'a str, Option<u8>)> {
    match after.strip_prefix('/') {
        Some(bits) => Some((inside, Some(bits.parse().ok()?))),
        None => Some((inside, None)),
    }
}

fn max_bits(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 32 } else { 128 }
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_match_themselves_and_below_as_in_curl() {
        let list = NoProxy::parse("example.org, .intranet.example,*.corp.example ,Local.");
        for host in [
            "example.org",
            "www.example.org",
            "EXAMPLE.ORG",
            "example.org.",
            "intranet.example",
            "a.b.intranet.example",
            "corp.example",
            "x.corp.example",
            "local",
        ] {
            assert!(list.matches(host, 80), "{host}");
        }
        for host in [
            "notexample.org",
            "example.org.evil",
            "xintranet.example",
            "127.0.0.1",
        ] {
            assert!(!list.matches(host, 80), "{host}");
        }
    }

    #[test]
    fn star_alone_matches_everything_but_not_inside_a_list() {
        assert!(NoProxy::parse(" * ").matches("anything.example", 1));
        assert!(!NoProxy::parse("*, other").matches("anything.example", 1));
        assert!(NoProxy::parse("").is_empty());
    }

    #[test]
    fn addresses_and_cidr_ranges() {
        let list = NoProxy::parse("127.0.0.1 10.0.0.0/8, ::1, [fd00::]/8, 192.168.1.0/33");
        assert!(list.matches("127.0.0.1", 80));
        assert!(!list.matches("127.0.0.2", 80));
        assert!(list.matches("10.200.3.4", 443));
        assert!(list.matches("[::1]", 80));
        assert!(list.matches("[fd12::5]", 80));
        assert!(!list.matches("[fe80::1]", 80));
        assert!(!list.matches("192.168.1.1", 80), "/33 is not a range");
        assert!(!list.matches("localhost", 80), "names are never resolved");
        assert!(NoProxy::parse("0.0.0.0/0").matches("203.0.113.9", 1));
    }

    #[test]
    fn an_entry_with_a_port_matches_that_port_only() {
        let list = NoProxy::parse("intranet.example:8080,127.0.0.1:9000,[::1]:7000");
        assert!(list.matches("intranet.example", 8080));
        assert!(list.matches("www.intranet.example", 8080));
        assert!(!list.matches("intranet.example", 80));
        assert!(list.matches("127.0.0.1", 9000));
        assert!(!list.matches("127.0.0.1", 9001));
        assert!(list.matches("[::1]", 7000));
        assert!(!list.matches("[::1]", 7001));
        assert!(NoProxy::parse("bad:port, /8, [::1").is_empty());
    }
}
