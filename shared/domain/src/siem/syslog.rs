//! RFC 5424 syslog messages, and their framing for TCP and TLS (octet counting,
//! RFC 6587 section 3.4.1 / RFC 5425 section 4.3):
//!
//! ```text
//! <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [gatehouse@32473 k="v" ...] MSG
//! ```
//!
//! PRI is facility * 8 + severity. Header fields are printable US-ASCII within their
//! limits (HOSTNAME 255, APP-NAME 48, PROCID 128, MSGID 32); anything else becomes `_`
//! and an empty field is the nil value `-`. SD-PARAM values escape `"`, `\` and `]`;
//! control characters in them and in MSG become a space, so a message is one line.
//! The SD-ID uses the documentation enterprise number 32473 (RFC 5612).

use super::redact::Redacted;
use super::text::{Escaped, escaped};
use time::macros::format_description;

pub const SD_ID: &str = "gatehouse@32473";

/// Where the header's fixed fields come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// 0-23; 13 is "log audit".
    pub facility: u8,
    pub hostname: String,
    pub app_name: String,
}

impl Default for Header {
    fn default() -> Self {
        Self {
            facility: 13,
            hostname: "gatehouse".into(),
            app_name: "gatehouse".into(),
        }
    }
}

/// How long an SD-PARAM value may be (bytes of escaped text): the whole message
/// must fit a receiver's limit (rsyslog's default is 8 KiB).
const PARAM_MAX: usize = 512;

/// Printable US-ASCII (33-126) of at most `max` characters, or `-`.
fn header_field(value: &str, max: usize) -> String {
    let field: String = value
        .chars()
        .take(max)
        .map(|c| if ('!'..='~').contains(&c) { c } else { '_' })
        .collect();
    if field.is_empty() { "-".into() } else { field }
}

fn param_value(value: &str) -> String {
    escaped(value, PARAM_MAX, |c| match c {
        '"' => Some(Escaped::As("\\\"")),
        '\\' => Some(Escaped::As("\\\\")),
        ']' => Some(Escaped::As("\\]")),
        c if c.is_control() => Some(Escaped::As(" ")),
        _ => Some(Escaped::Same),
    })
}

/// The structured data element describing `event`.
fn structured_data(event: &Redacted) -> String {
    let mut params: Vec<(&str, String)> = vec![
        ("eventId", event.id.clone()),
        ("tenant", event.tenant_id.clone()),
        ("classUid", event.class.uid().to_string()),
        ("typeUid", event.type_uid().to_string()),
        ("severity", event.severity.label().to_owned()),
        ("outcome", event.status.label().to_owned()),
        ("actor", event.actor.clone()),
    ];
    let optional = [
        ("keyId", &event.actor_key_id),
        ("src", &event.source_ip),
        ("userAgent", &event.user_agent),
        ("route", &event.route),
        ("requestId", &event.request_id),
        ("eventType", &event.event_type),
    ];
    for (name, value) in optional {
        if let Some(v) = value {
            params.push((name, v.clone()));
        }
    }
    if let (Some(kind), Some(id)) = (&event.target_kind, &event.target_id) {
        params.push(("target", format!("{kind}:{id}")));
    }
    let body: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", param_value(v)))
        .collect();
    format!("[{SD_ID} {}]", body.join(" "))
}

/// One RFC 5424 message carrying `msg` (a CEF or LEEF record, or the event's own
/// message), at most `max_len` bytes (MSG is cut on a character boundary).
pub fn encode(event: &Redacted, header: &Header, msg: &str, max_len: usize) -> String {
    let time = event
        .time
        .to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .unwrap_or_else(|_| "-".into());
    let pri = u16::from(header.facility.min(23)) * 8 + u16::from(event.severity.syslog());
    let head = format!(
        "<{pri}>1 {time} {} {} - {} {} ",
        header_field(&header.hostname, 255),
        header_field(&header.app_name, 48),
        header_field(&event.action, 32),
        structured_data(event),
    );
    let room = max_len.saturating_sub(head.len());
    let msg = escaped(msg, room, |c| {
        if c.is_control() {
            Some(Escaped::As(" "))
        } else {
            Some(Escaped::Same)
        }
    });
    head + &msg
}

/// The event's own message, for plain RFC 5424 destinations.
pub fn encode_plain(event: &Redacted, header: &Header, max_len: usize) -> String {
    let msg = match &event.detail {
        Some(detail) => format!("{}: {detail}", event.message),
        None => event.message.clone(),
    };
    encode(event, header, &msg, max_len)
}

/// Octet-counting framing for TCP and TLS: `<length> <message>`.
pub fn octet_counted(message: &str) -> Vec<u8> {
    let mut framed = format!("{} ", message.len()).into_bytes();
    framed.extend_from_slice(message.as_bytes());
    framed
}
