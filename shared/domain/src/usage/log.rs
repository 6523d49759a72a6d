//! API Gateway access-log lines: the format the template gives the HTTP API, and
//! their parsing. The local gateway writes lines with exactly these fields.

use serde::Deserialize;
use time::OffsetDateTime;

/// `AccessLogSettings.Format` of the HTTP API in template.yaml (a test checks the
/// two agree). Every value is a string; API Gateway writes `-` for an empty one.
pub const ACCESS_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","requestTimeEpoch":"$context.requestTimeEpoch","routeKey":"$context.routeKey","method":"$context.httpMethod","status":"$context.status","latencyMs":"$context.responseLatency","sourceIp":"$context.identity.sourceIp","userAgent":"$context.identity.userAgent","tenantId":"$context.authorizer.tenantId","keyId":"$context.authorizer.keyId"}"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLine {
    request_time_epoch: String,
    route_key: String,
    method: String,
    status: String,
    latency_ms: String,
    source_ip: String,
    user_agent: String,
    tenant_id: String,
    key_id: String,
}

/// One request, as recorded. Only requests a key was verified for carry a tenant and
/// key id (a refused request has no authorizer context).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecord {
    pub at: OffsetDateTime,
    pub tenant_id: String,
    pub key_id: String,
    pub route: String,
    pub method: String,
    pub status: u16,
    pub latency_ms: u64,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

fn present(value: String) -> Option<String> {
    (!value.is_empty() && value != "-").then_some(value)
}

/// The record of a line, or `None` for a line without a key or unreadable (skipped
/// and counted by the caller, never an error: one bad line must not block a batch).
pub fn parse_line(line: &str) -> Option<AccessRecord> {
    let raw: RawLine = serde_json::from_str(line).ok()?;
    let millis: i128 = raw.request_time_epoch.parse().ok()?;
    Some(AccessRecord {
        at: OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000).ok()?,
        tenant_id: present(raw.tenant_id)?,
        key_id: present(raw.key_id)?,
        route: present(raw.route_key).unwrap_or_else(|| "-".to_owned()),
        method: present(raw.method).unwrap_or_else(|| "-".to_owned()),
        status: raw.status.parse().ok()?,
        latency_ms: raw.latency_ms.parse().unwrap_or(0),
        source_ip: present(raw.source_ip),
        user_agent: present(raw.user_agent).map(|ua| ua.chars().take(200).collect()),
    })
}
