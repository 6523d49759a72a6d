//! ArcSight Common Event Format (CEF:0), per "Implementing ArcSight CEF" (rev. 25):
//!
//! ```text
//! CEF:0|Vendor|Product|Version|Signature ID|Name|Severity|ext1=value ext2=value
//! ```
//!
//! Header fields escape `\` and `|`; CR and LF are not allowed there and become a
//! space. Extension values escape `\` and `=` and write CR / LF as `\r` / `\n`. Other
//! control characters (NUL among them) are dropped everywhere. Every limit is on the
//! escaped text. An IPv6 source goes in `c6a2` (`src` is IPv4 only).

use super::redact::Redacted;
use super::text::{Escaped, escaped, is_other_control};
use super::{PRODUCT, PRODUCT_VERSION, VENDOR};
use std::net::IpAddr;

/// Header limits (bytes of escaped text).
const VENDOR_MAX: usize = 63;
const PRODUCT_MAX: usize = 63;
const VERSION_MAX: usize = 31;
const SIGNATURE_MAX: usize = 1023;
const NAME_MAX: usize = 512;

fn header(value: &str, max: usize) -> String {
    escaped(value, max, |c| match c {
        '\\' => Some(Escaped::As("\\\\")),
        '|' => Some(Escaped::As("\\|")),
        '\r' | '\n' => Some(Escaped::As(" ")),
        c if is_other_control(c) => None,
        _ => Some(Escaped::Same),
    })
}

fn extension(value: &str, max: usize) -> String {
    escaped(value, max, |c| match c {
        '\\' => Some(Escaped::As("\\\\")),
        '=' => Some(Escaped::As("\\=")),
        '\r' => Some(Escaped::As("\\r")),
        '\n' => Some(Escaped::As("\\n")),
        c if is_other_control(c) => None,
        _ => Some(Escaped::Same),
    })
}

/// One CEF record (no syslog header: the transport adds it).
pub fn encode(event: &Redacted) -> String {
    let mut out = format!(
        "CEF:0|{}|{}|{}|{}|{}|{}|",
        header(VENDOR, VENDOR_MAX),
        header(PRODUCT, PRODUCT_MAX),
        header(PRODUCT_VERSION, VERSION_MAX),
        header(&event.action, SIGNATURE_MAX),
        header(&event.message, NAME_MAX),
        event.severity.ten(),
    );
    let mut ext: Vec<(&str, String)> = vec![
        ("rt", event.time_ms().to_string()),
        ("externalId", extension(&event.id, 40)),
        ("cat", extension(event.class.name(), 1023)),
        ("act", extension(&event.action, 63)),
        ("outcome", event.status.label().to_owned()),
        ("suser", extension(&event.actor, 1023)),
    ];
    let mut push = |key: &'static str, value: Option<&str>, max: usize| {
        if let Some(v) = value {
            ext.push((key, extension(v, max)));
        }
    };
    push("suid", event.actor_key_id.as_deref(), 1023);
    match event
        .source_ip
        .as_deref()
        .map(|ip| (ip, ip.parse::<IpAddr>()))
    {
        Some((ip, Ok(IpAddr::V4(_)))) => push("src", Some(ip), 15),
        Some((ip, Ok(IpAddr::V6(_)))) => {
            push("c6a2", Some(ip), 45);
            push("c6a2Label", Some("Source IPv6 Address"), 1023);
        }
        _ => {}
    }
    push(
        "requestClientApplication",
        event.user_agent.as_deref(),
        1023,
    );
    if let Some((method, path)) = event.route.as_deref().and_then(|r| r.split_once(' ')) {
        push("requestMethod", Some(method), 1023);
        push("request", Some(path), 1023);
    }
    push("msg", Some(&event.message), 1023);
    push("reason", event.detail.as_deref(), 1023);
    push("cs1Label", Some("tenantId"), 1023);
    push("cs1", Some(&event.tenant_id), 4000);
    push("cs2Label", Some("eventType"), 1023);
    push("cs2", event.event_type.as_deref(), 4000);
    let target = match (&event.target_kind, &event.target_id) {
        (Some(kind), Some(id)) => Some(format!("{kind}:{id}")),
        _ => None,
    };
    push("cs3Label", Some("target"), 1023);
    push("cs3", target.as_deref(), 4000);
    push("cs4Label", Some("requestId"), 1023);
    push("cs4", event.request_id.as_deref(), 4000);
    let type_uid = event.type_uid().to_string();
    push("cn1Label", Some("ocsfTypeUid"), 1023);
    push("cn1", Some(&type_uid), 20);
    let status = event.http_status.to_string();
    push("cn2Label", Some("httpStatus"), 1023);
    push("cn2", Some(&status), 20);
    // A label without its value says nothing.
    let present: Vec<&str> = ext
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| !k.ends_with("Label"))
        .collect();
    let fields: Vec<String> = ext
        .iter()
        .filter(|(k, _)| match k.strip_suffix("Label") {
            Some(base) => present.contains(&base),
            None => true,
        })
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    out.push_str(&fields.join(" "));
    out
}
