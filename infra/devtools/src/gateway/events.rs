//! The JSON events API Gateway sends to Lambda (payload format 2.0), built from a local
//! HTTP request.

use super::RouteMatch;
use base64::Engine;
use bytes::Bytes;
use serde_json::{Map, Value, json};
use std::net::SocketAddr;
use time::OffsetDateTime;

pub fn request_id() -> String {
    let mut bytes = [0u8; 12];
    // A request id only needs to be unique enough to correlate logs.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the authorizer event and the proxy event share.
pub struct RequestContext {
    route_key: String,
    raw_path: String,
    raw_query: String,
    headers: Map<String, Value>,
    cookies: Vec<String>,
    query: Map<String, Value>,
    path_parameters: Map<String, Value>,
    context: Value,
    body: Bytes,
    method: String,
}

impl RequestContext {
    pub fn new(
        request: &http::Request<Bytes>,
        matched: &RouteMatch,
        source: SocketAddr,
        request_id: &str,
    ) -> Self {
        let mut headers = Map::new();
        let mut cookies = Vec::new();
        for name in request.headers().keys() {
            let values: Vec<&str> = request
                .headers()
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            if name == http::header::COOKIE {
                cookies.extend(
                    values
                        .iter()
                        .flat_map(|v| v.split(';'))
                        .map(|c| c.trim().to_owned()),
                );
            } else {
                headers.insert(name.as_str().to_owned(), Value::from(values.join(",")));
            }
        }
        let raw_query = request.uri().query().unwrap_or_default().to_owned();
        // HTTP APIs join repeated query parameters with commas.
        let mut query = Map::new();
        for (k, v) in url::form_urlencoded::parse(raw_query.as_bytes()) {
            match query.get_mut(k.as_ref()) {
                Some(Value::String(existing)) => {
                    existing.push(',');
                    existing.push_str(&v);
                }
                _ => {
                    query.insert(k.into_owned(), Value::from(v.into_owned()));
                }
            }
        }
        let now = OffsetDateTime::now_utc();
        let method = request.method().as_str().to_owned();
        let host = request
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
            .to_owned();
        let user_agent = request
            .headers()
            .get(http::header::USER_AGENT)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        let route_key = matched.route.key();
        let context = json!({
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap_or("local"),
            "http": {
                "method": method,
                "path": request.uri().path(),
                "protocol": "HTTP/1.1",
                "sourceIp": source.ip().to_string(),
                "userAgent": user_agent,
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": now.format(&time::macros::format_description!(
                "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
            )).unwrap_or_default(),
            "timeEpoch": now.unix_timestamp() * 1000 + i64::from(now.millisecond()),
        });
        Self {
            route_key,
            raw_path: request.uri().path().to_owned(),
            raw_query,
            headers,
            cookies,
            query,
            path_parameters: matched
                .path_parameters
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect(),
            context,
            body: request.body().clone(),
            method,
        }
    }

    /// The REQUEST authorizer event, payload format 2.0.
    pub fn authorizer_event(&self, identity_source: Vec<String>) -> Value {
        json!({
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": format!(
                "arn:aws:execute-api:us-east-1:000000000000:local/$default/{}{}",
                self.method, self.raw_path
            ),
            "identitySource": identity_source,
            "routeKey": self.route_key,
            "rawPath": self.raw_path,
            "rawQueryString": self.raw_query,
            "cookies": self.cookies,
            "headers": self.headers,
            "queryStringParameters": self.query,
            "requestContext": self.context,
            "pathParameters": self.path_parameters,
            "stageVariables": {},
        })
    }

    /// The proxy integration event, payload format 2.0, with the authorizer's context
    /// under `requestContext.authorizer.lambda`.
    pub fn proxy_event(&self, authorizer_context: Option<Value>) -> Value {
        let mut context = self.context.clone();
        if let (Some(lambda), Some(obj)) = (authorizer_context, context.as_object_mut()) {
            obj.insert("authorizer".into(), json!({ "lambda": lambda }));
        }
        let (body, encoded) = match std::str::from_utf8(&self.body) {
            Ok(text) => (text.to_owned(), false),
            Err(_) => (
                base64::engine::general_purpose::STANDARD.encode(&self.body),
                true,
            ),
        };
        let mut event = json!({
            "version": "2.0",
            "routeKey": self.route_key,
            "rawPath": self.raw_path,
            "rawQueryString": self.raw_query,
            "headers": self.headers,
            "requestContext": context,
            "isBase64Encoded": encoded,
        });
        if let Some(obj) = event.as_object_mut() {
            if !self.cookies.is_empty() {
                obj.insert("cookies".into(), json!(self.cookies));
            }
            if !self.query.is_empty() {
                obj.insert(
                    "queryStringParameters".into(),
                    Value::Object(self.query.clone()),
                );
            }
            if !self.path_parameters.is_empty() {
                obj.insert(
                    "pathParameters".into(),
                    Value::Object(self.path_parameters.clone()),
                );
            }
            if !self.body.is_empty() {
                obj.insert("body".into(), Value::from(body));
            }
        }
        event
    }
}
