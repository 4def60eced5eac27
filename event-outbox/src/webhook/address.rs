//! Which addresses a webhook may be delivered to (the SSRF policy).
//!
//! Webhook URLs come from users, so a URL must not reach the machine's own services or
//! its private network: loopback, private, link-local, shared, reserved, multicast and
//! documentation ranges are refused, in both families, including IPv6 forms that carry an
//! IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible, NAT64, 6to4, Teredo). An
//! explicit allow-list of CIDRs lets tests and local setups through.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An address range: an address and a prefix length, e.g. `127.0.0.1/32`, `fc00::/7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// A text that is not a CIDR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a CIDR (an IP address, optionally followed by `/` and a prefix length)")]
pub struct InvalidCidr(String);

impl Cidr {
    /// The range of `address`'s first `prefix` bits, or `None` when the prefix is longer
    /// than the address (32 bits for IPv4, 128 for IPv6).
    pub fn new(address: IpAddr, prefix: u8) -> Option<Self> {
        let bits = match address {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        (prefix <= bits).then_some(Self {
            network: address,
            prefix,
        })
    }

    /// Whether `address` is in the range (never across families).
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_matches(net.to_bits().into(), ip.to_bits().into(), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_matches(net.to_bits(), ip.to_bits(), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_matches(network: u128, address: u128, bits: u8, prefix: u8) -> bool {
    let shift = bits - prefix;
    // A shift by the full width would overflow: a zero prefix matches everything.
    shift >= bits || (network >> shift) == (address >> shift)
}

impl FromStr for Cidr {
    type Err = InvalidCidr;

    fn from_str(text: &str) -> Result<Self, InvalidCidr> {
        let invalid = || InvalidCidr(text.to_owned());
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address.parse().map_err(|_| invalid())?;
        let prefix = match prefix {
            Some(prefix) => prefix.parse().map_err(|_| invalid())?,
            None if address.is_ipv4() => 32,
            None => 128,
        };
        Self::new(address, prefix).ok_or_else(invalid)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// An address the policy refuses, and why. Its message is generic ("not allowed"): it
/// reaches the attempt log, which users read, and must not tell them what a name
/// resolves to inside the network; the address and range are for the operator's logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused: the webhook's address is not allowed (only public addresses are)")]
pub struct RefusedAddress {
    /// The address.
    pub address: IpAddr,
    /// The range it is in, e.g. `loopback`.
    pub range: &'static str,
}

/// A port the policy refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("port {0} is not in the allowed ports")]
pub struct RefusedPort(pub u16);

/// The addresses webhooks may be delivered to: every public unicast address, plus those
/// of the allow-list; on any port, or only on the allowed ports when they are set.
///
/// Any port by default: the address check is what keeps requests off the machine's own
/// services and its private network, receivers often listen on ports of their own
/// (`:3000`, `:8080`), and the Standard Webhooks senders (Svix) accept any. A deployment
/// that allows private ranges, or wants requests only on web ports, sets
/// [`AddressPolicy::allow_ports`] (e.g. `[443]`, or `[80, 443, 8080, 8443]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    allow: Vec<Cidr>,
    ports: Option<Vec<u16>>,
}

impl AddressPolicy {
    /// Public addresses only.
    pub fn public_only() -> Self {
        Self::default()
    }

    /// Also allows the addresses of `range` (e.g. `127.0.0.1/32` for tests).
    pub fn allow(mut self, range: Cidr) -> Self {
        self.allow.push(range);
        self
    }

    /// The allow-list.
    pub fn allowed(&self) -> &[Cidr] {
        &self.allow
    }

    /// Allows requests only on `ports` (added to those allowed already); a URL without a
    /// port is on its scheme's (80 or 443).
    pub fn allow_ports(mut self, ports: impl IntoIterator<Item = u16>) -> Self {
        self.ports.get_or_insert_with(Vec::new).extend(ports);
        self
    }

    /// The allowed ports; `None`: any port.
    pub fn ports(&self) -> Option<&[u16]> {
        self.ports.as_deref()
    }

    /// Whether a webhook may be delivered on `port`.
    pub fn check_port(&self, port: u16) -> Result<(), RefusedPort> {
        match &self.ports {
            Some(ports) if !ports.contains(&port) => Err(RefusedPort(port)),
            _ => Ok(()),
        }
    }

    /// Whether a webhook may be delivered to `address`.
    pub fn check(&self, address: IpAddr) -> Result<(), RefusedAddress> {
        // An IPv4-mapped address is its IPv4 address on the wire: judge that one only, so
        // that `::ffff:127.0.0.1` is loopback, an allowed `127.0.0.1/32` allows it too, and
        // an IPv6 entry (`::/0`) never lets a mapped private address through.
        let canonical = address.to_canonical();
        if self.allow.iter().any(|range| range.contains(canonical)) {
            // Nor one a gateway extracts from NAT64, IPv4-compatible or 6to4 forms: the
            // IPv4 address they carry is judged too.
            return match embedded_v4(canonical) {
                Some(v4) => self
                    .check(IpAddr::V4(v4))
                    .map_err(|refused| RefusedAddress {
                        address,
                        range: refused.range,
                    }),
                None => Ok(()),
            };
        }
        match refused_range(canonical) {
            Some(range) => Err(RefusedAddress { address, range }),
            None => Ok(()),
        }
    }
}

/// The IPv4 address carried by an IPv6 address that a gateway turns into it: NAT64
/// (`64:ff9b::/96`), IPv4-compatible (`::/96`, but `::` and `::1`) and 6to4
/// (`2002::/16`, bits 16 to 48).
fn embedded_v4(address: IpAddr) -> Option<Ipv4Addr> {
    let IpAddr::V6(ip) = address else {
        return None;
    };
    let bits = ip.to_bits();
    let segments = ip.segments();
    let low = Ipv4Addr::from_bits(bits as u32);
    match segments {
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        [0, 0, 0, 0, 0, 0, _, _] if bits > 1 => Some(low),
        [0x2002, ..] => Some(Ipv4Addr::from_bits((bits >> 80) as u32)),
        _ => None,
    }
}

/// The non-public range `address` is in, if any.
pub fn refused_range(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(ip) => refused_v4(ip),
        IpAddr::V6(ip) => refused_v6(ip),
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let by_std = [
        (ip.is_unspecified(), "unspecified"),
        (ip.is_loopback(), "loopback"),
        (ip.is_private(), "private"),
        (ip.is_link_local(), "link-local"),
        (ip.is_broadcast(), "broadcast"),
        (ip.is_multicast(), "multicast"),
        (ip.is_documentation(), "documentation"),
    ];
    by_std
        .into_iter()
        .find_map(|(is, range)| is.then_some(range))
        .or_else(|| in_table(IpAddr::V4(ip), V4_RANGES))
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let by_std = [
        (ip.is_unspecified(), "unspecified"),
        (ip.is_loopback(), "loopback"),
        (ip.is_multicast(), "multicast"),
        (ip.is_unique_local(), "unique local"),
        (ip.is_unicast_link_local(), "link-local"),
    ];
    by_std
        .into_iter()
        .find_map(|(is, range)| is.then_some(range))
        .or_else(|| in_table(IpAddr::V6(ip), V6_RANGES))
}

fn in_table(address: IpAddr, table: &[(Cidr, &'static str)]) -> Option<&'static str> {
    table
        .iter()
        .find(|(range, _)| range.contains(address))
        .map(|(_, name)| *name)
}

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Cidr {
    Cidr {
        network: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        prefix,
    }
}

const fn v6(segments: [u16; 8], prefix: u8) -> Cidr {
    let [a, b, c, d, e, f, g, h] = segments;
    Cidr {
        network: IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h)),
        prefix,
    }
}

/// IPv4 ranges that std has no stable method for (IANA special-purpose registry).
const V4_RANGES: &[(Cidr, &str)] = &[
    (v4(0, 0, 0, 0, 8), "\"this network\" (0.0.0.0/8)"),
    (
        v4(100, 64, 0, 0, 10),
        "shared address space (CGNAT, 100.64.0.0/10)",
    ),
    (
        v4(192, 0, 0, 0, 24),
        "IETF protocol assignments (192.0.0.0/24)",
    ),
    (
        v4(192, 88, 99, 0, 24),
        "6to4 relay anycast (192.88.99.0/24)",
    ),
    (v4(198, 18, 0, 0, 15), "benchmarking (198.18.0.0/15)"),
    (v4(240, 0, 0, 0, 4), "reserved (240.0.0.0/4)"),
];

/// IPv6 ranges that std has no stable method for. IPv4-mapped addresses never get here:
/// they are judged as IPv4. Forms that embed an IPv4 address are refused whole: their
/// IPv4 part could be anything.
const V6_RANGES: &[(Cidr, &str)] = &[
    (v6([0, 0, 0, 0, 0, 0, 0, 0], 96), "IPv4-compatible (::/96)"),
    (
        v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96),
        "IPv4-mapped (::ffff:0:0/96)",
    ),
    (
        v6([0, 0, 0, 0, 0xffff, 0, 0, 0], 96),
        "IPv4-translated (::ffff:0:0:0/96)",
    ),
    (
        v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96),
        "NAT64 (64:ff9b::/96)",
    ),
    (
        v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48),
        "local-use NAT64 (64:ff9b:1::/48)",
    ),
    (
        v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64),
        "discard-only (100::/64)",
    ),
    (
        v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23),
        "IETF protocol assignments, Teredo (2001::/23)",
    ),
    (
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32),
        "documentation (2001:db8::/32)",
    ),
    (v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16), "6to4 (2002::/16)"),
    (
        v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20),
        "documentation (3fff::/20)",
    ),
    (
        v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16),
        "segment routing (5f00::/16)",
    ),
    (
        v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10),
        "site-local (fec0::/10)",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// One address at each edge of every refused range, with the range's name.
    const REFUSED: &[(&str, &str)] = &[
        ("0.0.0.0", "unspecified"),
        ("0.255.255.255", "this network"),
        ("10.0.0.0", "private"),
        ("10.255.255.255", "private"),
        ("100.64.0.0", "CGNAT"),
        ("100.127.255.255", "CGNAT"),
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("169.254.0.1", "link-local"),
        ("169.254.169.254", "link-local"),
        ("172.16.0.0", "private"),
        ("172.31.255.255", "private"),
        ("192.0.0.8", "IETF"),
        ("192.0.2.1", "documentation"),
        ("192.88.99.1", "6to4 relay"),
        ("192.168.0.1", "private"),
        ("192.168.255.255", "private"),
        ("198.18.0.0", "benchmarking"),
        ("198.19.255.255", "benchmarking"),
        ("198.51.100.7", "documentation"),
        ("203.0.113.9", "documentation"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.255", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.254", "reserved"),
        ("255.255.255.255", "broadcast"),
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("::127.0.0.1", "IPv4-compatible"),
        ("::8.8.8.8", "IPv4-compatible"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.1.2.3", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("::ffff:0:8.8.8.8", "IPv4-translated"),
        ("64:ff9b::7f00:1", "NAT64"),
        ("64:ff9b::808:808", "NAT64"),
        ("64:ff9b:1::1", "local-use NAT64"),
        ("100::1", "discard-only"),
        ("2001::1", "Teredo"),
        ("2001:1ff:ffff::1", "IETF"),
        ("2001:db8::1", "documentation"),
        ("2002:7f00:1::1", "6to4"),
        ("3fff:fff::1", "documentation"),
        ("5f00::1", "segment routing"),
        ("fc00::1", "unique local"),
        ("fdff:ffff::1", "unique local"),
        ("fe80::1", "link-local"),
        ("febf:ffff::1", "link-local"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("ff0e::1", "multicast"),
    ];

    #[test]
    fn every_non_public_range_is_refused() {
        let policy = AddressPolicy::public_only();
        for (address, expected) in REFUSED {
            let refused = policy.check(ip(address)).expect_err(address);
            assert!(
                refused.range.contains(expected),
                "{address}: `{}` is not `{expected}`",
                refused.range
            );
            assert_eq!(refused.address, ip(address));
        }
    }

    #[test]
    fn public_addresses_pass() {
        let policy = AddressPolicy::public_only();
        for address in [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.1",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "::ffff:8.8.8.8",
            "2001:200::1",
            "2001:4860:4860::8888",
            "2606:4700::1111",
            "2a00:1450::1",
            "3fff:1000::1",
            "fbff::1",
        ] {
            assert_eq!(policy.check(ip(address)), Ok(()), "{address}");
        }
    }

    #[test]
    fn the_allow_list_lets_ranges_through() {
        let policy = AddressPolicy::public_only()
            .allow("127.0.0.1/32".parse().unwrap())
            .allow("fd00::/8".parse().unwrap());
        for address in ["127.0.0.1", "::ffff:127.0.0.1", "fd00::2", "8.8.8.8"] {
            assert_eq!(policy.check(ip(address)), Ok(()), "{address}");
        }
        for address in ["127.0.0.2", "::1", "10.0.0.1", "fc00::1"] {
            assert!(policy.check(ip(address)).is_err(), "{address}");
        }
        assert_eq!(policy.allowed().len(), 2);
    }

    #[test]
    fn cidrs_parse_and_match() {
        let cases = [
            ("127.0.0.1", "127.0.0.1/32"),
            ("10.0.0.0/8", "10.0.0.0/8"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("::1", "::1/128"),
            ("::/0", "::/0"),
            ("fe80::/10", "fe80::/10"),
        ];
        for (text, shown) in cases {
            assert_eq!(text.parse::<Cidr>().unwrap().to_string(), shown);
        }
        for bad in [
            "",
            "/8",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/x",
            "example.com",
            "10/8",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("255.1.2.3")) && !all.contains(ip("::1")));
        let all6: Cidr = "::/0".parse().unwrap();
        assert!(all6.contains(ip("ffff::1")) && !all6.contains(ip("1.2.3.4")));
        let net: Cidr = "172.16.0.0/12".parse().unwrap();
        assert!(net.contains(ip("172.31.0.1")) && !net.contains(ip("172.32.0.1")));
    }
}
