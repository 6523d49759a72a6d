//! Splunk HTTP Event Collector events for `/services/collector/event`: the OCSF
//! document as `event`, `time` in epoch seconds with milliseconds, and `fields`
//! (indexed fields) as a flat map of strings. A batch is the events' JSON objects
//! one after another.

use super::ocsf;
use super::redact::Redacted;
use serde_json::{Value, json};

/// Where the events are indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub host: String,
    pub source: String,
    pub sourcetype: String,
    pub index: Option<String>,
}

impl Default for Envelope {
    fn default() -> Self {
        Self {
            host: "gatehouse".into(),
            source: "gatehouse".into(),
            sourcetype: "gatehouse:ocsf".into(),
            index: None,
        }
    }
}

pub fn event(event: &Redacted, envelope: &Envelope) -> Value {
    let millis = event.time_ms();
    // Seconds with a three-digit fraction; 13 significant digits survive the f64.
    let time: Value = serde_json::from_str(&format!(
        "{}.{:03}",
        millis.div_euclid(1000),
        millis.rem_euclid(1000)
    ))
    .unwrap_or(Value::Null);
    let mut out = json!({
        "time": time,
        "host": envelope.host,
        "source": envelope.source,
        "sourcetype": envelope.sourcetype,
        "event": ocsf::encode(event),
        "fields": {
            "event_id": event.id,
            "tenant_id": event.tenant_id,
            "class_uid": event.class.uid().to_string(),
            "type_uid": event.type_uid().to_string(),
            "severity": event.severity.label(),
            "outcome": event.status.label(),
            "action": event.action,
        },
    });
    if let Some(index) = &envelope.index {
        out["index"] = json!(index);
    }
    out
}

/// The request body for a batch.
pub fn batch<'a>(events: impl IntoIterator<Item = &'a Redacted>, envelope: &Envelope) -> String {
    let mut body = String::new();
    for e in events {
        body.push_str(&event(e, envelope).to_string());
        body.push('\n');
    }
    body
}
