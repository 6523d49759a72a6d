//! The OpenAPI 3.1 document, assembled from the route declaration ([`crate::ROUTES`]),
//! each handler's [`Operation`] and the JSON Schema of its request and response types.
//! `make openapi` writes it to `shared/openapi.json`, which the `openapi` function
//! serves; `tests/tests/openapi.rs` fails when the committed file is stale.

use super::operation::{Operation, RequestBody, Tag};
use crate::{ROUTES, operation};
use gatehouse::http::problem::Problem;
use gatehouse::http::schema::{SchemaFn, of};
use gatehouse::ids::{KeyId, WebhookId};
use gatehouse::routes::{Access, Route};
use gatehouse::secrets::SecretPath;
use gatehouse::webhooks::delivery::DeliveryIdText;
use schemars::SchemaGenerator;
use schemars::generate::{Contract, SchemaSettings};
use serde_json::{Map, Value, json};

/// Path parameters by name: the component each becomes, and its schema.
const PATH_PARAMETERS: &[(&str, &str, SchemaFn)] = &[
    ("key_id", "KeyId", of::<KeyId>()),
    ("webhook_id", "WebhookId", of::<WebhookId>()),
    ("delivery_id", "DeliveryId", of::<DeliveryIdText>()),
    ("path", "SecretPath", of::<SecretPath>()),
    (
        "integration_id",
        "IntegrationId",
        of::<gatehouse::ids::IntegrationId>(),
    ),
    ("lease_id", "LeaseId", of::<gatehouse::ids::LeaseId>()),
    (
        "destination_id",
        "DestinationId",
        of::<gatehouse::ids::IntegrationId>(),
    ),
    ("tenant_id", "TenantId", of::<gatehouse::ids::TenantId>()),
    (
        "principal_id",
        "PrincipalId",
        of::<gatehouse::ids::PrincipalId>(),
    ),
];

const IDEMPOTENCY_KEY_DESCRIPTION: &str = "Repeating a request with the same key and body returns the first response (with `Idempotent-Replayed: true`) for 24 hours. What an answer shows once is never stored: a replayed creation has `\"key\": null` (API keys), `\"secret\": null` (webhook signing secrets) or `\"credentials\": null` (leases).";

/// The document, as `shared/openapi.json` holds it (pretty-printed, keys sorted).
pub fn render() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

pub fn document() -> Value {
    // Requests are described as they are read, responses as they are written (a field
    // skipped when empty is optional in a response, a defaulted one in a request).
    let mut requests = generator(Contract::Deserialize);
    let mut responses = generator(Contract::Serialize);
    let mut paths = Map::new();
    for route in ROUTES.iter() {
        let operation = operation_of(route);
        let item = paths
            .entry(gatehouse::routes::openapi_path(route.path))
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .unwrap_or_else(|| unreachable!("path items are objects"));
        item.insert(
            route.method.to_lowercase(),
            describe(route, &operation, &mut requests, &mut responses),
        );
    }
    // Every error body; referenced by name below.
    responses.subschema_for::<Problem>();
    let mut schemas = merge(
        requests.take_definitions(true),
        responses.take_definitions(true),
    );
    schemas.insert("GatewayMessage".into(), gateway_message());
    close_objects(&mut schemas);
    let mut parameters = Map::new();
    let mut generator = generator(Contract::Deserialize);
    for (name, component, schema) in PATH_PARAMETERS {
        parameters.insert(
            (*component).into(),
            json!({"name": name, "in": "path", "required": true, "schema": schema(&mut generator)}),
        );
    }
    parameters.insert(
        "IdempotencyKey".into(),
        json!({
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
            "description": IDEMPOTENCY_KEY_DESCRIPTION,
        }),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Gatehouse API",
            "version": "2.0.0",
            "description": "API keys and their lifecycle for multi-tenant platforms on AWS. Every error from a function is RFC 9457 problem+json; refusals by API Gateway itself are `{\"message\": ...}`.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "http://127.0.0.1:3000", "description": "make dev"}],
        "tags": Tag::ALL.iter().map(|t| json!({"name": t.name(), "description": t.description()})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": parameters,
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <key>`"},
            },
        },
    })
}

fn generator(contract: Contract) -> SchemaGenerator {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas/".into();
    settings.meta_schema = None;
    settings.contract = contract;
    settings.into_generator()
}

/// The route's handler declaration.
fn operation_of(route: &Route) -> Operation {
    operation(route.function).unwrap_or_else(|| unreachable!("every route has a handler"))
}

/// One operation object.
fn describe(
    route: &Route,
    operation: &Operation,
    requests: &mut SchemaGenerator,
    responses: &mut SchemaGenerator,
) -> Value {
    let lead = if operation.description.is_empty() {
        operation.summary
    } else {
        operation.description
    };
    let mut op = json!({
        "operationId": operation_id(route.function),
        "summary": operation.summary,
        "tags": [operation.tag.name()],
    });
    let mut replies = Map::new();
    for reply in operation.replies {
        let answer = if reply.redirect {
            json!({
                "description": reply.description,
                "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
            })
        } else {
            json!({
                "description": reply.description,
                "content": {reply.media_type: {"schema": (reply.schema)(responses)}},
            })
        };
        replies.insert(reply.status.to_string(), answer);
    }
    let problem = |description: &str| {
        json!({
            "description": description,
            "content": {"application/problem+json": {"schema": json_ref("Problem")}},
        })
    };
    // Every `{name}` of the path must be declared above, or the operation would
    // describe a parameter it does not define.
    for segment in route.path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let name = name.trim_end_matches('+');
            assert!(
                PATH_PARAMETERS
                    .iter()
                    .any(|(declared, ..)| *declared == name),
                "path parameter `{name}` of {} is not in PATH_PARAMETERS",
                route.path
            );
        }
    }
    let mut parameters: Vec<Value> = PATH_PARAMETERS
        .iter()
        .filter(|(name, ..)| {
            route.path.contains(&format!("{{{name}}}"))
                || route.path.contains(&format!("{{{name}+}}"))
        })
        .map(|(_, component, _)| json!({"$ref": format!("#/components/parameters/{component}")}))
        .collect();
    for param in operation.query {
        parameters.push(json!({
            "name": param.name,
            "in": "query",
            "required": false,
            "schema": param.schema(requests),
            "description": param.description,
        }));
    }
    let body = match operation.body {
        RequestBody::None => None,
        RequestBody::Required(schema) => Some((true, "application/json", schema)),
        RequestBody::Optional(schema) => Some((false, "application/json", schema)),
        RequestBody::Form(schema) => Some((true, "application/x-www-form-urlencoded", schema)),
    };
    if let Some((required, media_type, schema)) = body {
        op["requestBody"] = json!({
            "required": required,
            "content": {media_type: {"schema": schema(requests)}},
        });
    }
    if route.access == Access::Public {
        op["description"] = lead.into();
        op["security"] = json!([]);
        if !parameters.is_empty() || body.is_some() {
            replies.insert("400".into(), problem("Invalid body or parameter"));
            if route.path.contains('{') {
                replies.insert("404".into(), problem("No such object"));
            }
            replies.insert(
                "503".into(),
                problem("A storage dependency did not answer; retry"),
            );
        }
        if body.is_some() {
            replies.insert("413".into(), problem("Body too large"));
            replies.insert("415".into(), problem("Body not sent as JSON"));
        }
        if !parameters.is_empty() {
            op["parameters"] = parameters.into();
        }
        if let Some(refused) = operation.refused {
            replies.insert("401".into(), problem(refused));
        }
        if let Some(not_found) = operation.not_found {
            replies.insert("404".into(), problem(not_found));
        }
        if let Some(dependency) = operation.dependency {
            replies.insert("424".into(), problem(dependency));
        }
        op["responses"] = replies.into();
        return op;
    }
    op["description"] = match route.access {
        Access::Scope(scope) => {
            op["x-gatehouse-scope"] = scope.into();
            format!("{lead}\n\nRequires the `{scope}` scope.")
        }
        _ => format!("{lead}\n\nAny key of the tenant may call it."),
    }
    .into();
    op["security"] = json!([{"apiKey": []}]);

    let posted = route.method == "POST";
    if posted {
        // After the path parameters, before the query's.
        let at = parameters
            .iter()
            .position(|p| p.get("$ref").is_none())
            .unwrap_or(parameters.len());
        parameters.insert(
            at,
            json!({"$ref": "#/components/parameters/IdempotencyKey"}),
        );
    }
    if !parameters.is_empty() {
        op["parameters"] = parameters.into();
    }

    let gateway_or_problem = |description: &str| {
        json!({
            "description": description,
            "content": {
                "application/json": {"schema": json_ref("GatewayMessage")},
                "application/problem+json": {"schema": json_ref("Problem")},
            },
        })
    };
    replies.insert(
        "401".into(),
        gateway_or_problem("No `Authorization` header (API Gateway), or no verified caller"),
    );
    replies.insert(
        "403".into(),
        gateway_or_problem("The authorizer denied the key, or the key lacks the route's scope"),
    );
    replies.insert(
        "404".into(),
        gateway_or_problem("No such route (API Gateway) or no such object in the caller's tenant"),
    );
    replies.insert(
        "503".into(),
        problem("A storage dependency did not answer; retry"),
    );
    // Every tenant route refuses a malformed parameter, header or body.
    replies.insert("400".into(), problem("Invalid body or parameter"));
    if body.is_some() {
        replies.insert("413".into(), problem("Body over 16 KiB"));
        replies.insert("415".into(), problem("Body not sent as JSON"));
    }
    if let Some(conflict) = operation.conflict {
        replies.insert("409".into(), problem(conflict));
    }
    if let Some(gone) = operation.gone {
        replies.insert("410".into(), problem(gone));
    }
    if let Some(dependency) = operation.dependency {
        replies.insert("424".into(), problem(dependency));
    }
    if posted {
        replies.insert(
            "422".into(),
            problem("Idempotency-Key reused for another request"),
        );
    }
    op["responses"] = replies.into();
    op
}

/// Client generators name methods after `operationId`: the function's name in camel
/// case (`create-api-key` -> `createApiKey`).
pub fn operation_id(function: &str) -> String {
    let mut words = function.split('-');
    let mut id = words.next().unwrap_or_default().to_owned();
    for word in words {
        let mut chars = word.chars();
        id.extend(chars.next().map(|c| c.to_ascii_uppercase()));
        id.push_str(chars.as_str());
    }
    id
}

fn json_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// API Gateway's own refusals, before any function runs.
fn gateway_message() -> Value {
    json!({
        "type": "object",
        "properties": {"message": {"type": "string", "enum": ["Unauthorized", "Forbidden", "Not Found"]}},
        "required": ["message"],
        "additionalProperties": false,
    })
}

/// One set of component schemas from the request and the response side. A type used
/// on both sides must read as it writes; if it does not, the two differ in which fields
/// are required, and the document cannot name both the same.
fn merge(requests: Map<String, Value>, responses: Map<String, Value>) -> Map<String, Value> {
    let mut schemas = responses;
    for (name, schema) in requests {
        match schemas.get(&name) {
            Some(existing) if *existing != schema => {
                panic!(
                    "schema `{name}` differs between requests and responses: rename one with #[schemars(rename)]"
                )
            }
            Some(_) => {}
            None => {
                schemas.insert(name, schema);
            }
        }
    }
    schemas
}

/// Every object with declared properties is closed: requests deny unknown fields, and
/// responses carry exactly what their types declare (the contract tests hold the
/// functions to it).
fn close_objects(schemas: &mut Map<String, Value>) {
    fn close(value: &mut Value) {
        match value {
            Value::Object(object) => {
                if object.contains_key("properties") && !object.contains_key("additionalProperties")
                {
                    object.insert("additionalProperties".into(), false.into());
                }
                object.values_mut().for_each(close);
            }
            Value::Array(items) => items.iter_mut().for_each(close),
            _ => {}
        }
    }
    schemas.values_mut().for_each(close);
}
