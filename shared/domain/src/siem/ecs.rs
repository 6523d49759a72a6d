//! Elastic Common Schema 8.x documents and `_bulk` bodies. Each document is written
//! with `create` and an `_id` that is the event's id, so a repeat is a 409 (already
//! delivered), not a duplicate.

use super::event::{EventClass, Status};
use super::redact::Redacted;
use super::{PRODUCT, PRODUCT_VERSION, VENDOR};
use serde_json::{Value, json};

pub const ECS_VERSION: &str = "8.11.0";

/// `event.category` and `event.type` for the event.
fn category_and_type(event: &Redacted) -> (&'static str, Vec<&'static str>) {
    let id = event.activity_id;
    match event.class {
        EventClass::Authentication => (
            "authentication",
            vec![match id {
                1 => "start",
                2 => "end",
                _ => "info",
            }],
        ),
        EventClass::AccountChange => (
            "iam",
            vec![match id {
                1 => "creation",
                6 => "deletion",
                2 | 3 | 5 | 7 | 8 => "change",
                _ => "info",
            }],
        ),
        EventClass::ApiActivity => {
            let mut types = vec![match id {
                1 => "creation",
                2 => "access",
                3 => "change",
                4 => "deletion",
                _ => "info",
            }];
            if event.status == Status::Failure {
                types.push("denied");
            }
            ("api", types)
        }
        EventClass::DetectionFinding => ("intrusion_detection", vec!["info"]),
    }
}

pub fn document(event: &Redacted) -> Value {
    let (category, types) = category_and_type(event);
    let mut doc = json!({
        "@timestamp": event
            .time
            .to_offset(time::UtcOffset::UTC)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        "ecs": { "version": ECS_VERSION },
        "message": event.message,
        "event": {
            "id": event.id,
            "kind": if event.class == EventClass::DetectionFinding { "alert" } else { "event" },
            "category": [category],
            "type": types,
            "action": event.action,
            "outcome": event.status.label(),
            "severity": event.severity.ten(),
            "code": event.type_uid().to_string(),
            "provider": "gatehouse",
            "dataset": "gatehouse.audit",
        },
        "user": { "name": event.actor },
        "organization": { "id": event.tenant_id },
        "http": { "response": { "status_code": event.http_status } },
        "observer": { "vendor": VENDOR, "product": PRODUCT, "version": PRODUCT_VERSION },
        "related": { "user": [event.actor] },
        "gatehouse": {
            "ocsf": {
                "class_uid": event.class.uid(),
                "activity_id": event.activity_id,
                "type_uid": event.type_uid(),
            },
        },
    });
    if let Some(detail) = &event.detail {
        doc["event"]["reason"] = json!(detail);
    }
    if let Some(key) = &event.actor_key_id {
        doc["user"]["id"] = json!(key);
    }
    if let Some(ip) = &event.source_ip {
        doc["source"] = json!({ "ip": ip });
        doc["related"]["ip"] = json!([ip]);
    }
    if let Some(ua) = &event.user_agent {
        doc["user_agent"] = json!({ "original": ua });
    }
    if let Some(id) = &event.request_id {
        doc["http"]["request"] = json!({ "id": id });
    }
    if let Some((method, path)) = event.route.as_deref().and_then(|r| r.split_once(' ')) {
        doc["http"]["request"]["method"] = json!(method);
        doc["url"] = json!({ "path": path });
    }
    if let Some(t) = &event.event_type {
        doc["gatehouse"]["event_type"] = json!(t);
    }
    if let (Some(kind), Some(id)) = (&event.target_kind, &event.target_id) {
        doc["gatehouse"]["target"] = json!({ "kind": kind, "id": id });
    }
    if !event.changed.is_empty() {
        doc["gatehouse"]["changed"] = json!(event.changed);
    }
    doc
}

/// The `_bulk` action line and document for one event, each ending in a newline.
pub fn bulk_lines(event: &Redacted, index: &str) -> String {
    let action = json!({ "create": { "_index": index, "_id": event.id } });
    format!("{action}\n{}\n", document(event))
}
