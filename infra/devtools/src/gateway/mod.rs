//! A local stand-in for API Gateway HTTP APIs: the routes of template.yaml, the Lambda
//! authorizer in front of them, and each route served by its function's handler.
//!
//! It reproduces what API Gateway does for clients and functions: 404 `Not Found` for
//! unknown routes, 401 `Unauthorized` without calling the authorizer when an identity
//! header is missing, 403 `Forbidden` when the authorizer denies, the payload 2.0 event
//! shapes (built as JSON and decoded by the same code the Lambda runtime uses), and the
//! authorizer context handed to the backend in `requestContext.authorizer.lambda`.

mod access_log;
mod events;
mod routes;

pub use access_log::AccessFacts;

pub use routes::{RouteMatch, RouteTable};

use crate::bootstrap::{BootstrapError, LocalStack};
use crate::template::{self, Template};
use bytes::Bytes;
use gatehouse::App;
use gatehouse_functions::Function;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;

/// API Gateway's own payload limit.
const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Bootstrap(#[from] BootstrapError),
    #[error("function {function}: {message}")]
    Function { function: String, message: String },
}

struct Backend {
    app: App,
    function: Function,
}

struct AuthorizerBackend {
    app: App,
    identity_headers: Vec<String>,
}

pub struct Gateway {
    routes: RouteTable,
    backends: HashMap<String, Backend>,
    authorizer: Option<AuthorizerBackend>,
    access_log: access_log::AccessLog,
    /// Where `make dev` keeps requests and metric lines for `make metrics`.
    local_metrics: Option<crate::local_metrics::LocalMetrics>,
}

impl Gateway {
    /// Builds every function of the template with its own environment, exactly as
    /// Lambda would configure it, and fails if any function has no handler.
    pub fn new(
        template: &Template,
        stack: &LocalStack,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, GatewayError> {
        let app_for = |function: &str| -> Result<App, GatewayError> {
            crate::pump::function_app(template, stack, sdk, function).map_err(|message| {
                GatewayError::Function {
                    function: function.to_owned(),
                    message,
                }
            })
        };
        let mut backends = HashMap::new();
        let mut authorizer = None;
        let mut ingest = None;
        for (id, function) in &template.functions {
            let unknown = || GatewayError::Function {
                function: id.clone(),
                message: format!(
                    "no function is declared with handler `{}`",
                    function.handler
                ),
            };
            match gatehouse_functions::function(&function.handler).ok_or_else(unknown)? {
                served @ Function::Http { .. } => {
                    backends.insert(
                        id.clone(),
                        Backend {
                            app: app_for(id)?,
                            function: served,
                        },
                    );
                }
                Function::Authorizer => {
                    let def = template.authorizer.as_ref().filter(|a| a.function == *id);
                    if let Some(def) = def {
                        if def.payload_version != "2.0" || !def.simple_responses {
                            return Err(GatewayError::Function {
                                function: id.clone(),
                                message: "the local gateway serves payload 2.0 simple-response authorizers".into(),
                            });
                        }
                        authorizer = Some(AuthorizerBackend {
                            app: app_for(id)?,
                            identity_headers: def
                                .identity_headers
                                .iter()
                                .map(|h| h.to_ascii_lowercase())
                                .collect(),
                        });
                    }
                }
                Function::UsageIngest => ingest = Some(app_for(id)?),
                // Queue consumers and the schedule: run by the dev server beside the
                // gateway, not by requests. The rotation function: invoked by Secrets
                // Manager, step by step (`make invoke`, or its tests).
                Function::ServiceSecretRotation
                | Function::Scheduled { .. }
                | Function::EventPublisher
                | Function::WebhookFanout
                | Function::WebhookDispatcher
                | Function::SiemForwarder => {}
            }
        }
        Ok(Self {
            routes: RouteTable::new(&declared_routes(template)?),
            backends,
            authorizer,
            access_log: access_log::AccessLog::new(ingest),
            local_metrics: None,
        })
    }

    /// Keeps every request and the functions' metric lines under `dir`.
    pub fn with_local_metrics(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.local_metrics = Some(crate::local_metrics::LocalMetrics::new(dir));
        self
    }

    pub fn routes(&self) -> &RouteTable {
        &self.routes
    }

    /// Serves one request the way API Gateway would.
    pub async fn handle(
        &self,
        request: http::Request<Bytes>,
        source: SocketAddr,
    ) -> http::Response<Bytes> {
        let started = Instant::now();
        let request_id = events::request_id();
        let method = request.method().as_str().to_owned();
        let path = request.uri().path().to_owned();
        let user_agent = request
            .headers()
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let (mut response, route_key, authorizer) = self.route(request, source, &request_id).await;
        if let Some(local) = &self.local_metrics {
            local.request(
                &route_key,
                response.status().as_u16(),
                started.elapsed().as_millis(),
            );
        }
        self.access_log.record(&AccessFacts {
            request_id: request_id.clone(),
            route_key,
            method: method.clone(),
            status: response.status().as_u16(),
            latency_ms: started.elapsed().as_millis(),
            source_ip: source.ip().to_string(),
            user_agent,
            authorizer,
        });
        if let Ok(id) = request_id.parse() {
            response.headers_mut().insert("apigw-requestid", id);
        }
        tracing::info!(
            target: "gateway",
            "{method} {path} -> {} ({} ms)",
            response.status().as_u16(),
            started.elapsed().as_millis()
        );
        response
    }

    /// Delivers the access log buffered so far to usage ingest (the server does this
    /// every second; tests call it to see usage at once).
    pub async fn flush_access_log(
        &self,
    ) -> Result<gatehouse::usage::ingest::IngestSummary, String> {
        self.access_log.flush().await
    }

    /// The response, the route key matched (empty if none) and the authorizer context.
    async fn route(
        &self,
        request: http::Request<Bytes>,
        source: SocketAddr,
        request_id: &str,
    ) -> (http::Response<Bytes>, String, Option<serde_json::Value>) {
        let Some(matched) = self
            .routes
            .find(request.method().as_str(), request.uri().path())
        else {
            return (message(404, "Not Found"), String::new(), None);
        };
        let route_key = matched.route.key();
        let mut authorizer_context = None;
        let response = self
            .route_matched(
                request,
                source,
                request_id,
                &matched,
                &mut authorizer_context,
            )
            .await;
        (response, route_key, authorizer_context)
    }

    async fn route_matched(
        &self,
        request: http::Request<Bytes>,
        source: SocketAddr,
        request_id: &str,
        matched: &RouteMatch,
        authorizer_context: &mut Option<serde_json::Value>,
    ) -> http::Response<Bytes> {
        let Some(backend) = self.backends.get(&matched.route.function) else {
            return message(500, "Internal Server Error");
        };
        let context = events::RequestContext::new(&request, matched, source, request_id);
        if matched.route.authorized
            && let Some(auth) = &self.authorizer
        {
            let identity: Option<Vec<String>> = auth
                .identity_headers
                .iter()
                .map(|h| {
                    request
                        .headers()
                        .get(h)
                        .and_then(|v| v.to_str().ok())
                        .filter(|v| !v.trim().is_empty())
                        .map(str::to_owned)
                })
                .collect();
            let Some(identity) = identity else {
                return message(401, "Unauthorized");
            };
            let event = context.authorizer_event(identity);
            let decided = match serde_json::from_value(event) {
                // Boxed: keeps this future small; debug builds otherwise need deep stacks.
                Ok(event) => {
                    Box::pin(gatehouse_functions::authorizer::handle(&auth.app, event)).await
                }
                Err(e) => {
                    tracing::error!(target: "gateway", "authorizer event did not decode: {e}");
                    return message(500, "Internal Server Error");
                }
            };
            // Read the response as API Gateway does: from its JSON.
            let decided = serde_json::to_value(&decided).unwrap_or_default();
            if decided
                .get("isAuthorized")
                .and_then(serde_json::Value::as_bool)
                != Some(true)
            {
                return message(403, "Forbidden");
            }
            *authorizer_context = Some(decided.get("context").cloned().unwrap_or_default());
        }

        let event = context.proxy_event(authorizer_context.clone());
        let lambda_request = match lambda_http::request::from_str(&event.to_string()) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(target: "gateway", "proxy event did not decode: {e}");
                return message(500, "Internal Server Error");
            }
        };
        let response =
            gatehouse_functions::serve_http(&backend.app, backend.function, lambda_request).await;
        let (parts, body) = response.into_parts();
        let bytes = match body {
            lambda_http::Body::Text(t) => Bytes::from(t),
            lambda_http::Body::Binary(b) => Bytes::from(b),
            _ => Bytes::new(),
        };
        http::Response::from_parts(parts, bytes)
    }

    /// Accepts connections until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        let flusher = Arc::clone(&self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tick.tick().await;
                if let Err(e) = flusher.flush_access_log().await {
                    tracing::error!(target: "gateway", "{e}");
                }
                if let Some(local) = &flusher.local_metrics {
                    local.flush();
                }
            }
        });
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let gateway = Arc::clone(&self);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
                    let gateway = Arc::clone(&gateway);
                    async move { Ok::<_, Infallible>(gateway.handle_incoming(req, peer).await) }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    }

    async fn handle_incoming(
        &self,
        req: http::Request<Incoming>,
        peer: SocketAddr,
    ) -> http::Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let response = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
            Ok(collected) => {
                self.handle(http::Request::from_parts(parts, collected.to_bytes()), peer)
                    .await
            }
            Err(_) => message(413, "Request Entity Too Large"),
        };
        response.map(Full::new)
    }
}

/// The routes to serve: the declaration (`gatehouse_functions::ROUTES`), each served by
/// the template function whose Handler names it. The template must route exactly the
/// declared routes to those functions, with the authorizer in front of every route
/// but the public ones; otherwise the gateway refuses to start, naming the difference.
fn declared_routes(template: &Template) -> Result<Vec<template::Route>, GatewayError> {
    let disagree = |route: String, message: String| GatewayError::Function {
        function: route,
        message: format!("template.yaml and the route declaration disagree: {message}"),
    };
    let mut routes = Vec::new();
    for declared in gatehouse_functions::ROUTES.iter() {
        let key = declared.key();
        let function = template
            .functions
            .values()
            .find(|f| f.handler == declared.function)
            .ok_or_else(|| {
                disagree(
                    key.clone(),
                    format!("no function has Handler `{}`", declared.function),
                )
            })?;
        let route = template::Route {
            method: declared.method.to_owned(),
            path: declared.path.to_owned(),
            function: function.logical_id.clone(),
            authorized: declared.access != gatehouse::routes::Access::Public,
        };
        if !template.routes.contains(&route) {
            return Err(disagree(
                key,
                format!(
                    "the template should route it to {} ({})",
                    route.function,
                    if route.authorized {
                        "authorized"
                    } else {
                        "Auth: NONE"
                    }
                ),
            ));
        }
        routes.push(route);
    }
    if let Some(extra) = template.routes.iter().find(|r| !routes.contains(r)) {
        return Err(disagree(
            extra.key(),
            "the template routes it, but it is not declared".into(),
        ));
    }
    Ok(routes)
}

/// API Gateway's own `{"message": ...}` responses.
fn message(status: u16, text: &str) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Bytes::from(
            serde_json::json!({ "message": text }).to_string(),
        ))
        .unwrap_or_default()
}
