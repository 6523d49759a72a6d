//! Which destinations webhooks may be sent to. Registration checks the URL and what
//! its host resolves to; the outbound client checks every resolved address again at
//! connect time (its own resolver), so a name that later resolves somewhere internal
//! (DNS rebinding) is refused too.
//!
//! Refused: non-HTTPS URLs, URLs with credentials, and hosts that are or resolve to
//! loopback, private, link-local (cloud metadata), carrier-grade NAT, unique-local,
//! multicast, documentation, benchmarking, reserved or unspecified addresses, and
//! IPv4-mapped / translated IPv6 forms. The allow list (development and tests only)
//! names `host:port` pairs that skip the address checks and may use plain HTTP.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// `host:port` pairs exempt from the address checks, e.g. `127.0.0.1:9000`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<String>);

impl AllowList {
    /// A comma-separated list (the `WEBHOOK_ALLOW_HOSTS` setting).
    pub fn parse(text: &str) -> Self {
        Self(
            text.split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect(),
        )
    }

    /// Whether any entry names `host` (the connect-time resolver sees no port).
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.replace(['[', ']'], "").to_ascii_lowercase();
        self.0.iter().any(|entry| {
            let entry = entry.replace(['[', ']'], "");
            entry.rsplit_once(':').is_some_and(|(h, _)| h == host)
        })
    }

    /// Whether `host:port` is listed (IPv6 hosts with or without brackets).
    pub fn allows(&self, host: &str, port: u16) -> bool {
        let wanted = format!(
            "{}:{port}",
            host.replace(['[', ']'], "").to_ascii_lowercase()
        );
        self.0
            .iter()
            .any(|entry| entry.replace(['[', ']'], "") == wanted)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    #[error("`url` is not an absolute URL")]
    NotAUrl,
    #[error("`url` must use https")]
    NotHttps,
    #[error("`url` must not contain credentials")]
    Credentials,
    #[error("`url` has no host")]
    NoHost,
    #[error("`url` points at an internal address ({0})")]
    Internal(String),
    #[error("`url` names an internal host")]
    InternalName,
    #[error("`url` is longer than 2048 characters")]
    TooLong,
}

pub const MAX_URL_CHARS: usize = 2048;

/// Checks a webhook URL without resolving it: scheme, credentials, literal addresses
/// and internal names. Resolution is checked by the caller ([`check_resolved`]).
pub fn check_url(text: &str, allow: &AllowList) -> Result<Url, DestinationError> {
    if text.len() > MAX_URL_CHARS {
        return Err(DestinationError::TooLong);
    }
    let url = Url::parse(text).map_err(|_| DestinationError::NotAUrl)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(DestinationError::Credentials);
    }
    let host = url.host().ok_or(DestinationError::NoHost)?;
    let port = url.port_or_known_default().unwrap_or(443);
    let host_text = url.host_str().unwrap_or_default().to_owned();
    let allowed = allow.allows(&host_text, port);
    match url.scheme() {
        "https" => {}
        "http" if allowed => {}
        _ => return Err(DestinationError::NotHttps),
    }
    if allowed {
        return Ok(url);
    }
    match host {
        Host::Ipv4(ip) => check_address(IpAddr::V4(ip))?,
        Host::Ipv6(ip) => check_address(IpAddr::V6(ip))?,
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            let internal = name == "localhost"
                || name.ends_with(".localhost")
                || name.ends_with(".local")
                || name.ends_with(".internal")
                || name.ends_with(".home.arpa")
                || !name.contains('.');
            if internal {
                return Err(DestinationError::InternalName);
            }
        }
    }
    Ok(url)
}

/// Refuses an address webhooks must never reach.
pub fn check_address(ip: IpAddr) -> Result<(), DestinationError> {
    if is_forbidden(ip) {
        Err(DestinationError::Internal(ip.to_string()))
    } else {
        Ok(())
    }
}

/// Every address a host resolved to must be allowed (one internal answer is enough to
/// refuse: a resolver may hand out any of them).
pub fn check_resolved(addresses: &[IpAddr]) -> Result<(), DestinationError> {
    if addresses.is_empty() {
        return Err(DestinationError::NoHost);
    }
    addresses.iter().try_for_each(|ip| check_address(*ip))
}

pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    const NETS: &[([u8; 4], u32)] = &[
        ([0, 0, 0, 0], 8),       // "this network"
        ([10, 0, 0, 0], 8),      // private
        ([100, 64, 0, 0], 10),   // carrier-grade NAT
        ([127, 0, 0, 0], 8),     // loopback
        ([169, 254, 0, 0], 16),  // link-local, cloud metadata
        ([172, 16, 0, 0], 12),   // private
        ([192, 0, 0, 0], 24),    // IETF protocol assignments
        ([192, 0, 2, 0], 24),    // documentation
        ([192, 88, 99, 0], 24),  // 6to4 relay anycast
        ([192, 168, 0, 0], 16),  // private
        ([198, 18, 0, 0], 15),   // benchmarking
        ([198, 51, 100, 0], 24), // documentation
        ([203, 0, 113, 0], 24),  // documentation
        ([224, 0, 0, 0], 4),     // multicast
        ([240, 0, 0, 0], 4),     // reserved, broadcast
    ];
    NETS.iter().any(|(net, prefix)| in_v4(ip, *net, *prefix))
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96)
    // and 6to4 (2002::/16) embed an IPv4 address a stack may reach: refused outright.
    let mapped = s[..5] == [0, 0, 0, 0, 0] && s[5] == 0xffff;
    let compatible = s[..6] == [0; 6];
    let nat64 = s[..2] == [0x64, 0xff9b];
    let six_to_four = s[0] == 0x2002;
    ip.is_unspecified()
        || ip.is_loopback()
        || mapped
        || compatible
        || nat64
        || six_to_four
        || (s[0] & 0xfe00) == 0xfc00 // unique local, incl. fd00:ec2::254 (metadata)
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only
}

#[cfg(test)]
#[path = "tests/ssrf.rs"]
mod tests;
