//! IBM QRadar Log Event Extended Format, 1.0 and 2.0:
//!
//! ```text
//! LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value
//! LEEF:2.0|Vendor|Product|Version|EventID|^|key=value^key=value
//! ```
//!
//! LEEF has no escaping. Gatehouse keeps values intact where it can:
//! - 2.0 declares its delimiter, so the encoder takes the first of `^`, tab (`x09`)
//!   and `~` that no value contains. Only if all three occur is `^` used and replaced
//!   in the values by a space.
//! - 1.0's delimiter is always a tab: tabs in values become a space.
//! - CR, LF and other control characters always become a space, since a record is
//!   one syslog line. `|` in the header fields (which are Gatehouse's own names) becomes `/`.
//!
//! `devTime` is always sent with `devTimeFormat` (Java `SimpleDateFormat`, UTC).

use super::redact::Redacted;
use super::{PRODUCT, PRODUCT_VERSION, VENDOR};
use time::macros::format_description;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

pub const DEV_TIME_FORMAT: &str = "yyyy-MM-dd'T'HH:mm:ss.SSSZ";

/// The 2.0 delimiters tried in order, with how the header writes each.
const CANDIDATES: [(char, &str); 3] = [('^', "^"), ('\t', "x09"), ('~', "~")];

/// Longest value kept (QRadar's payload limit is far larger, but a 10 KB reason helps
/// nobody in an offense).
const VALUE_MAX: usize = 4000;

fn attributes(event: &Redacted) -> Vec<(&'static str, String)> {
    let time = event
        .time
        .to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000"
        ))
        .unwrap_or_default();
    let mut out = vec![
        ("devTime", time),
        ("devTimeFormat", DEV_TIME_FORMAT.to_owned()),
        ("cat", event.class.name().to_owned()),
        ("sev", event.severity.ten().to_string()),
        ("usrName", event.actor.clone()),
        ("eventId", event.id.clone()),
        ("tenantId", event.tenant_id.clone()),
        ("action", event.action.clone()),
        ("outcome", event.status.label().to_owned()),
        ("ocsfTypeUid", event.type_uid().to_string()),
        ("httpStatus", event.http_status.to_string()),
        ("msg", event.message.clone()),
    ];
    let optional = [
        ("src", &event.source_ip),
        ("keyId", &event.actor_key_id),
        ("userAgent", &event.user_agent),
        ("route", &event.route),
        ("requestId", &event.request_id),
        ("eventType", &event.event_type),
        ("reason", &event.detail),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            out.push((key, v.clone()));
        }
    }
    if let (Some(kind), Some(id)) = (&event.target_kind, &event.target_id) {
        out.push(("target", format!("{kind}:{id}")));
    }
    out
}

/// A value fit for the record: control characters and `delimiter` become a space,
/// cut at [`VALUE_MAX`] bytes on a character boundary.
fn clean(value: &str, delimiter: char) -> String {
    let mut out = String::with_capacity(value.len().min(VALUE_MAX));
    for c in value.chars() {
        let c = if c == delimiter || c.is_control() {
            ' '
        } else {
            c
        };
        if out.len() + c.len_utf8() > VALUE_MAX {
            break;
        }
        out.push(c);
    }
    out
}

fn header_field(value: &str) -> String {
    value
        .chars()
        .map(|c| if c == '|' || c.is_control() { '/' } else { c })
        .collect()
}

pub fn encode(event: &Redacted, version: Version) -> String {
    let attrs = attributes(event);
    let (delimiter, declared) = match version {
        Version::V1 => ('\t', None),
        Version::V2 => {
            let (c, name) = CANDIDATES
                .iter()
                .find(|(c, _)| !attrs.iter().any(|(_, v)| v.contains(*c)))
                .copied()
                .unwrap_or(CANDIDATES[0]);
            (c, Some(name))
        }
    };
    let mut out = format!(
        "LEEF:{}|{}|{}|{}|{}|",
        if version == Version::V1 { "1.0" } else { "2.0" },
        header_field(VENDOR),
        header_field(PRODUCT),
        header_field(PRODUCT_VERSION),
        header_field(&event.action),
    );
    if let Some(name) = declared {
        out.push_str(name);
        out.push('|');
    }
    let fields: Vec<String> = attrs
        .iter()
        .map(|(k, v)| format!("{k}={}", clean(v, delimiter)))
        .collect();
    out.push_str(&fields.join(&delimiter.to_string()));
    out
}
