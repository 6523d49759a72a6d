//! Every response a test sees through the gateway is held against the OpenAPI
//! document: a Gatehouse response (2xx or problem+json) whose status or content type
//! the document does not give for its route, or whose body breaks the schema, fails
//! the test that saw it. API Gateway's own `{"message": ...}` answers (401, 403, 404,
//! 413) are the gateway's, not the API's, and are checked only where documented.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(gatehouse::openapi::DOCUMENT).expect("openapi.json"))
}

fn validators() -> &'static Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>> =
        OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Checks one response of `method path_template`; panics with the schema errors.
#[track_caller]
pub fn check(method: &str, path_template: &str, status: u16, content_type: &str, body: &[u8]) {
    let ours = (200..300).contains(&status) || content_type == "application/problem+json";
    let op = &document()["paths"][gatehouse::routes::openapi_path(path_template).as_str()]
        [method.to_lowercase()];
    if (300..400).contains(&status) {
        let documented = &op["responses"][status.to_string()];
        assert!(
            documented["headers"]["Location"].is_object(),
            "{method} {path_template}: redirect {status} is not documented"
        );
        return;
    }
    let schema = &op["responses"][status.to_string()]["content"][content_type]["schema"];
    if schema.is_null() {
        assert!(
            !ours || status == 204,
            "{method} {path_template}: {status} {content_type} is not documented; body {}",
            String::from_utf8_lossy(body)
        );
        return;
    }
    if !content_type.ends_with("json") {
        // A documented document of another kind (SAML metadata's XML).
        return;
    }
    let key = format!("{method} {path_template} {status} {content_type}");
    let validator = {
        let mut cache = validators().lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(key.clone())
            .or_insert_with(|| {
                let mut root = json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "components": document()["components"].clone(),
                });
                for (k, v) in schema.as_object().expect("a schema object") {
                    root[k] = v.clone();
                }
                std::sync::Arc::new(jsonschema::validator_for(&root).expect("schema compiles"))
            })
            .clone()
    };
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        panic!(
            "{key}: the body is not JSON: {}",
            String::from_utf8_lossy(body)
        );
    };
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{key}: {errors:?}\n{body}");
}
