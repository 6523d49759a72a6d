//! OCSF 1.1 JSON: the base event, plus what each class requires (Authentication and
//! Account Change name the `user`, Authentication the `service`; API Activity the `api` operation, `actor` and
//! `src_endpoint`; Detection Finding the `finding_info`, with actor and source as its
//! evidence). The integration tests validate every event type against the OCSF 1.1
//! JSON Schema that the PyPI package `ocsf-json-schema` generates from the OCSF
//! schema, so any attribute a class does not define fails.

use super::event::EventClass;
use super::redact::Redacted;
use super::{PRODUCT, PRODUCT_VERSION, VENDOR};
use serde_json::{Map, Value, json};

pub const SCHEMA_VERSION: &str = "1.1.0";

pub fn encode(event: &Redacted) -> Value {
    let mut doc = json!({
        "class_uid": event.class.uid(),
        "class_name": event.class.name(),
        "category_uid": event.class.category_uid(),
        "category_name": event.class.category_name(),
        "activity_id": event.activity_id,
        "activity_name": event.activity_name,
        "type_uid": event.type_uid(),
        "type_name": event.type_name(),
        "severity_id": event.severity.id(),
        "severity": event.severity.name(),
        "status_id": event.status.id(),
        "status": event.status.name(),
        "status_code": event.http_status.to_string(),
        "time": event.time_ms(),
        "message": event.message,
        "metadata": {
            "version": SCHEMA_VERSION,
            "uid": event.id,
            "tenant_uid": event.tenant_id,
            "event_code": event.action,
            "log_name": "audit",
            "product": {
                "name": PRODUCT,
                "vendor_name": VENDOR,
                "version": PRODUCT_VERSION,
            },
        },
    });
    let obj = doc.as_object_mut().expect("an object");
    if let Some(detail) = &event.detail {
        obj.insert("status_detail".into(), json!(detail));
    }
    let actor = json!({ "user": user(&event.actor, event.actor_key_id.as_deref()) });
    let source = event.source_ip.as_ref().map(|ip| json!({ "ip": ip }));
    let mut request = Map::new();
    if let Some(ua) = &event.user_agent {
        request.insert("user_agent".into(), json!(ua));
    }
    if let Some(uid) = &event.request_id {
        request.insert("uid".into(), json!(uid));
    }
    if let Some((method, path)) = event.route.as_deref().and_then(|r| r.split_once(' ')) {
        request.insert("http_method".into(), json!(method));
        request.insert("url".into(), json!({ "path": path }));
    }
    if event.class == EventClass::DetectionFinding {
        // A finding carries who and where as its evidence.
        let mut evidence = json!({ "actor": actor });
        if let Some(source) = source {
            evidence["src_endpoint"] = source;
        }
        if !request.is_empty() {
            evidence["data"] = json!({ "http_request": request });
        }
        obj.insert("evidences".into(), json!([evidence]));
    } else {
        obj.insert("actor".into(), actor);
        if let Some(source) = source {
            obj.insert("src_endpoint".into(), source);
        }
        if !request.is_empty() {
            obj.insert("http_request".into(), Value::Object(request));
        }
    }
    match event.class {
        EventClass::Authentication => {
            obj.insert(
                "user".into(),
                user(&event.actor, event.actor_key_id.as_deref()),
            );
            // The class needs the service (or endpoint) authenticated to.
            obj.insert("service".into(), json!({ "name": PRODUCT }));
        }
        EventClass::AccountChange => {
            // The account changed is the key (or principal) acted on.
            let uid = event.target_id.as_deref().unwrap_or(&event.actor);
            obj.insert("user".into(), json!({ "uid": uid }));
        }
        EventClass::ApiActivity => {
            let mut api = json!({ "operation": event.action, "service": { "name": PRODUCT } });
            if let Some(uid) = &event.request_id {
                api["request"] = json!({ "uid": uid });
            }
            obj.insert("api".into(), api);
            // API Activity requires a source endpoint; Gatehouse's own work has none.
            obj.entry("src_endpoint")
                .or_insert_with(|| json!({ "name": "gatehouse" }));
        }
        EventClass::DetectionFinding => {
            let mut info = json!({
                "uid": event.id,
                "title": event.message,
                "types": [event.action],
            });
            if let Some(detail) = &event.detail {
                info["desc"] = json!(detail);
            }
            obj.insert("finding_info".into(), info);
        }
    }
    let mut unmapped = Map::new();
    if let Some(t) = &event.event_type {
        unmapped.insert("event_type".into(), json!(t));
    }
    if let (Some(kind), Some(id)) = (&event.target_kind, &event.target_id) {
        unmapped.insert("target".into(), json!({ "kind": kind, "id": id }));
    }
    if !event.changed.is_empty() {
        unmapped.insert("changed".into(), json!(event.changed));
    }
    if !unmapped.is_empty() {
        obj.insert("unmapped".into(), Value::Object(unmapped));
    }
    doc
}

fn user(name: &str, key_id: Option<&str>) -> Value {
    let mut user = json!({ "name": name });
    if let Some(key) = key_id {
        user["uid"] = json!(key);
    }
    user
}
