//! Test harness: every test gets its own stack (tables, queues, keys named after a
//! random stack id) on the moto server that `make test` started, so tests run in
//! parallel without seeing each other's data. Nothing in memory stands in for AWS.
#![forbid(unsafe_code)]

pub mod contract;
pub mod dns;
pub mod emf;
pub mod harness;
pub mod oidc;
pub mod openbao;
pub mod postgres;
pub mod rsyslog;
pub mod saml_idp;
pub mod secret_scanner;
pub mod siem_fixture;
pub mod siem_receivers;
pub mod slapd;
pub mod stub_server;
pub mod vault_aws_login;
pub mod webhook_receiver;

use bytes::Bytes;
use gatehouse::App;
use gatehouse::clock::SystemClock;
use gatehouse::config::Config;
use gatehouse::keys::issue::create_tenant;
use gatehouse::keys::model::{DisplayName, Principal};
use gatehouse::keys::{ApiKey, KeyRecord, Tenant};
use gatehouse_devtools::bootstrap::{LocalStack, bootstrap};
use gatehouse_devtools::gateway::Gateway;
use gatehouse_devtools::template::Template;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// `text` with its last character replaced by a different one, so a tampered token
/// can never equal the original (a fixed replacement letter matches it one time in
/// 62 and makes the test flaky).
pub fn with_last_char_changed(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let last = chars.last_mut().expect("a non-empty token");
    *last = if *last == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

pub fn template() -> Template {
    Template::load(&workspace_root().join("template.yaml")).expect("template.yaml loads")
}

pub async fn sdk_config() -> aws_config::SdkConfig {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| v.starts_with("http://127.0.0.1")),
        "integration tests need a local moto server: run them with `make test`"
    );
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// One isolated copy of the template's resources, with the gateway in front and a
/// tenant holding an admin key.
pub struct TestStack {
    pub template: Template,
    pub local: LocalStack,
    pub sdk: aws_config::SdkConfig,
    pub gateway: Arc<Gateway>,
    /// An App configured like the functions, for seeding and inspecting data.
    pub app: App,
    /// When set, [`TestStack::send`] sends every POST with a fresh `Idempotency-Key`
    /// and, when it succeeds, sends it again with the same key and checks the replay.
    pub replay_posts: std::sync::atomic::AtomicBool,
    /// The audit table's stream, read as Lambda's mapping would for the event
    /// publisher ([`TestStack::events`] runs it first).
    pub outbox: gatehouse_devtools::outbox_pump::OutboxPump,
}

pub struct TestTenant {
    pub tenant: Tenant,
    pub admin_key: ApiKey,
    pub admin_record: KeyRecord,
}

impl TestStack {
    /// A stack whose authorizer reads every key on every request (no warm cache), so
    /// tests see revocations at once. [`TestStack::with_params`] sets others.
    pub async fn new() -> Self {
        Self::with_params(&[("AuthCacheTtlSeconds", "0")]).await
    }

    /// A stack with template parameters overridden.
    pub async fn with_params(params: &[(&str, &str)]) -> Self {
        Self::on(sdk_config().await, params).await
    }

    /// A stack on the AWS endpoint `sdk` points at (a test's own moto server, say).
    pub async fn on(sdk: aws_config::SdkConfig, params: &[(&str, &str)]) -> Self {
        let params = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let template = template();
        let stack = format!(
            "t{}",
            gatehouse::keys::base62::random_string(8).expect("rng")
        );
        let local = bootstrap(&sdk, &template, &stack, &params)
            .await
            .expect("bootstrap the template on moto");
        let gateway = Arc::new(Gateway::new(&template, &local, &sdk).expect("gateway builds"));
        // The harness does everything: every function's variables together.
        let mut env = std::collections::BTreeMap::new();
        for function in template.functions.keys() {
            env.extend(
                local
                    .function_env(&template, function)
                    .expect("function env"),
            );
        }
        let config = Config::from_lookup(|k| env.get(k).cloned()).expect("config");
        let app = App::new(config, &sdk, Arc::new(SystemClock)).expect("app");
        let outbox = gatehouse_devtools::outbox_pump::OutboxPump::new(&template, &local, &sdk)
            .expect("the outbox pump");
        Self {
            template,
            local,
            sdk,
            gateway,
            app,
            replay_posts: std::sync::atomic::AtomicBool::new(false),
            outbox,
        }
    }

    /// Sets a template parameter after the stack exists (one that names something the
    /// test made, such as `PlatformTenantId`): the gateway and the outbox pump are
    /// built again with it; pumps and apps made afterwards see it too.
    pub fn set_parameter(&mut self, name: &str, value: &str) {
        self.local
            .parameters
            .insert(name.to_owned(), value.to_owned());
        self.gateway =
            Arc::new(Gateway::new(&self.template, &self.local, &self.sdk).expect("gateway builds"));
        self.outbox = gatehouse_devtools::outbox_pump::OutboxPump::new(
            &self.template,
            &self.local,
            &self.sdk,
        )
        .expect("the outbox pump");
    }

    /// The `App` function `logical_id` gets: its own environment and its own
    /// credentials, so the AWS calls a test makes through it are attributed to that
    /// function and held against its template policy (tests/tests/least_privilege.rs).
    /// [`TestStack::app`] is the harness's own, for seeding and reading back.
    pub fn function_app(&self, logical_id: &str) -> App {
        gatehouse_devtools::pump::function_app(&self.template, &self.local, &self.sdk, logical_id)
            .expect("the function's app")
    }

    pub async fn tenant(&self, name: &str) -> TestTenant {
        let (tenant, admin_key, admin_record) = create_tenant(
            &self.app,
            DisplayName::parse(name).expect("name"),
            None,
            Principal::parse("user:admin@example.com").expect("principal"),
        )
        .await
        .expect("create tenant");
        TestTenant {
            tenant,
            admin_key,
            admin_record,
        }
    }

    /// Sends a request through the gateway without a socket.
    /// Every response is held against the OpenAPI document ([`contract`]).
    pub async fn call(&self, request: TestRequest) -> TestResponse {
        let peer: SocketAddr = "127.0.0.1:50000".parse().expect("addr");
        let built = request.build();
        let route = self
            .gateway
            .routes()
            .find(built.method().as_str(), built.uri().path())
            .map(|m| (m.route.method.clone(), m.route.path.clone()));
        let response = TestResponse::from(self.gateway.handle(built, peer).await);
        if let Some((method, path)) = route {
            contract::check(
                &method,
                &path,
                response.status,
                response.content_type(),
                &response.body,
            );
        }
        response
    }

    /// A JSON request with a bearer key, through the gateway.
    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        key: &str,
        body: Option<Value>,
    ) -> TestResponse {
        let mut request =
            TestRequest::new(method, uri).header("authorization", &format!("Bearer {key}"));
        if let Some(body) = &body {
            request = request.json(body);
        }
        let replay =
            method == "POST" && self.replay_posts.load(std::sync::atomic::Ordering::Relaxed);
        if !replay {
            return self.call(request).await;
        }
        let idempotency_key = gatehouse::keys::base62::random_string(20).expect("rng");
        let request = request.header("idempotency-key", &idempotency_key);
        let first = self.call(request.clone()).await;
        if (200..300).contains(&first.status) {
            let again = self.call(request).await;
            assert_eq!(
                again.status, first.status,
                "{method} {uri}: replayed status"
            );
            assert_eq!(
                again
                    .headers
                    .get("idempotent-replayed")
                    .and_then(|v| v.to_str().ok()),
                Some("true"),
                "{method} {uri}: a repeated POST with its Idempotency-Key is a replay"
            );
        }
        first
    }

    /// A payload 2.0 request as API Gateway hands it to a function after the
    /// authorizer allowed it with `scopes` (space-separated) for `tenant`: for calling a
    /// function directly, without the gateway or the authorizer in front.
    pub fn lambda_request(
        &self,
        route_key: &str,
        path: &str,
        tenant: &str,
        scopes: &str,
        body: &str,
    ) -> lambda_http::Request {
        let method = route_key.split(' ').next().unwrap_or_default();
        // The route's `{name}` and `{name+}` parameters, read off `path`.
        let template = route_key.split_once(' ').map_or("", |(_, t)| t);
        let mut parameters = serde_json::Map::new();
        let mut parts = path.trim_start_matches('/').split('/');
        for segment in template.trim_start_matches('/').split('/') {
            let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
                parts.next();
                continue;
            };
            match name.strip_suffix('+') {
                Some(greedy) => {
                    let rest: Vec<&str> = parts.by_ref().collect();
                    parameters.insert(greedy.to_owned(), rest.join("/").into());
                }
                None => {
                    parameters.insert(name.to_owned(), parts.next().unwrap_or_default().into());
                }
            }
        }
        let event = serde_json::json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": path,
            "rawQueryString": "",
            "headers": { "content-type": "application/json" },
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "local",
                "http": { "method": method, "path": path, "protocol": "HTTP/1.1",
                          "sourceIp": "203.0.113.7", "userAgent": "tests" },
                "requestId": "direct",
                "routeKey": route_key,
                "stage": "$default",
                "time": "24/Nov/2026:12:00:00 +0000",
                "timeEpoch": 1795521600000_u64,
                "authorizer": { "lambda": {
                    "tenantId": tenant, "keyId": "directKey1",
                    "principal": "user:direct@example.com", "scopes": scopes
                } }
            },
            "isBase64Encoded": false,
            "pathParameters": parameters,
            "body": body
        });
        lambda_http::request::from_str(&event.to_string()).expect("a payload 2.0 request")
    }

    /// Creates a key through the API with `creator`; returns (full key, key id).
    pub async fn create_key(&self, creator: &str, body: Value) -> (String, String) {
        let response = self.send("POST", "/v2/api-keys", creator, Some(body)).await;
        response.assert_status(201);
        let json = response.json();
        (
            json["key"].as_str().expect("key").to_owned(),
            json["key_id"].as_str().expect("key id").to_owned(),
        )
    }

    /// An SSO principal holding `scopes`, stored as a first login would store it, with
    /// no identity provider involved (for tests and benchmarks of what follows a login).
    pub async fn sso_principal(
        &self,
        tenant: &Tenant,
        principal_id: &str,
        scopes: &[&str],
    ) -> gatehouse::store::sso_table::Principal {
        let now = self.app.clock.now();
        let principal = gatehouse::store::sso_table::Principal {
            tenant_id: tenant.tenant_id.clone(),
            principal_id: principal_id.to_owned(),
            issuer: "https://idp.example".to_owned(),
            subject: principal_id.to_owned(),
            connection_id: gatehouse::ids::IntegrationId::parse("idpConn001").expect("id"),
            email: None,
            name: None,
            groups: Vec::new(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            claims: Default::default(),
            disabled: false,
            sessions: Vec::new(),
            first_login: now,
            last_login: now,
            version: 1,
        };
        let mut batch = gatehouse::store::WriteBatch::new();
        self.app
            .sso
            .principals
            .put(&mut batch, &principal)
            .expect("a principal item");
        self.app
            .dynamo
            .commit(batch)
            .await
            .expect("store the principal");
        principal
    }

    /// A key acting as the SSO principal `principal_id`, as one created with its
    /// session token would be.
    pub async fn key_acting_as(
        &self,
        tenant: &Tenant,
        principal_id: &str,
        scopes: &[&str],
    ) -> KeyRecord {
        let spec = gatehouse::keys::issue::NewKey::new(
            DisplayName::parse(&format!("{principal_id}'s key")).expect("name"),
            gatehouse::keys::ScopeSet::new(
                scopes
                    .iter()
                    .map(|s| gatehouse::keys::Scope::parse(s).expect("scope"))
                    .collect(),
            )
            .expect("scopes"),
            Principal::parse(&format!("sso:{principal_id}")).expect("principal"),
        );
        gatehouse::keys::issue::issue_key(&self.app, tenant, spec)
            .await
            .expect("issue the key")
            .1
    }

    /// The tenant's audit events, newest first, for a query string.
    pub async fn audit(&self, admin: &str, query: &str) -> Vec<Value> {
        let response = self
            .send("GET", &format!("/v2/audit?{query}"), admin, None)
            .await;
        response.assert_status(200);
        response.json()["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Every event published so far: the event publisher is run over the outbox's new
    /// records, then the events queue is drained.
    pub async fn events(&self) -> Vec<Value> {
        self.outbox.pump_once().await.expect("the outbox pump");
        let sqs = aws_sdk_sqs::Client::new(&self.sdk);
        let url = self
            .local
            .resolve(&gatehouse_devtools::template::TemplateValue::Ref(
                "EventsQueue".into(),
            ))
            .expect("queue");
        let mut events = Vec::new();
        loop {
            let out = sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .expect("receive");
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return events;
            }
            for m in messages {
                events.push(serde_json::from_str(m.body().unwrap_or("null")).expect("event JSON"));
                sqs.delete_message()
                    .queue_url(&url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        }
    }

    /// Every delivery of a webhook so far (at most 100), newest first.
    pub async fn deliveries(
        &self,
        tenant: &gatehouse::ids::TenantId,
        webhook: &gatehouse::ids::WebhookId,
    ) -> Vec<gatehouse::store::deliveries::DeliverySummary> {
        let far = time::OffsetDateTime::now_utc() + time::Duration::days(1);
        self.app
            .deliveries
            .list(
                tenant,
                webhook,
                time::OffsetDateTime::UNIX_EPOCH,
                far,
                None,
                100,
            )
            .await
            .expect("list deliveries")
    }

    /// Every item of a tenant's partition in the keys table (tenant, keys, scopes), as
    /// comparable text: equal snapshots mean nothing of the tenant's changed.
    pub async fn snapshot(&self, tenant: &Tenant) -> std::collections::BTreeMap<String, String> {
        let out = aws_sdk_dynamodb::Client::new(&self.sdk)
            .query()
            .table_name(self.app.keys.table_name())
            .key_condition_expression("tenant_id = :t")
            .expression_attribute_values(
                ":t",
                aws_sdk_dynamodb::types::AttributeValue::S(tenant.tenant_id.to_string()),
            )
            .consistent_read(true)
            .send()
            .await
            .expect("query");
        out.items()
            .iter()
            .map(|item| {
                let sk = item
                    .get("sk")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                let mut fields: Vec<_> = item.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
                fields.sort();
                (sk, fields.join(";"))
            })
            .collect()
    }

    /// Serves the gateway on an ephemeral loopback port; returns its address.
    pub async fn serve(&self) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(Arc::clone(&self.gateway).serve(listener));
        addr
    }

    /// How many keys the tenant has, read straight from DynamoDB.
    pub async fn key_count(&self, tenant: &Tenant) -> usize {
        self.snapshot(tenant)
            .await
            .keys()
            .filter(|sk| sk.starts_with("KEY#"))
            .count()
    }
}

#[derive(Debug, Clone)]
pub struct TestRequest {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl TestRequest {
    pub fn new(method: &str, uri: &str) -> Self {
        Self {
            method: method.into(),
            uri: uri.into(),
            headers: vec![("host".into(), "127.0.0.1:3000".into())],
            body: Bytes::new(),
        }
    }

    pub fn get(uri: &str) -> Self {
        Self::new("GET", uri)
    }

    pub fn post(uri: &str) -> Self {
        Self::new("POST", uri)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn bearer(self, key: &ApiKey) -> Self {
        let value = format!("Bearer {}", key.expose());
        self.header("authorization", &value)
    }

    pub fn json(self, body: &Value) -> Self {
        self.raw_body("application/json", body.to_string())
    }

    pub fn raw_body(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.headers
            .push(("content-type".into(), content_type.into()));
        self.body = body.into();
        self
    }

    pub fn build(&self) -> http::Request<Bytes> {
        let mut builder = http::Request::builder()
            .method(self.method.as_str())
            .uri(&self.uri);
        for (k, v) in &self.headers {
            builder = builder.header(k, v);
        }
        builder.body(self.body.clone()).expect("request")
    }
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    /// The body as text (for messages).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value as text (empty when absent).
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn assert_status(&self, status: u16) {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
    }

    /// Asserts an RFC 9457 problem with the given status and type slug.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, slug: &str) -> Value {
        self.assert_status(status);
        assert_eq!(self.content_type(), "application/problem+json");
        let json = self.json();
        assert_eq!(
            json["type"],
            format!("tag:gatehouse.dev,2026:problem/{slug}")
        );
        assert_eq!(json["status"], status);
        assert!(json["detail"].as_str().is_some_and(|d| !d.is_empty()));
        json
    }
}

impl From<http::Response<Bytes>> for TestResponse {
    fn from(response: http::Response<Bytes>) -> Self {
        let (parts, body) = response.into_parts();
        Self {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }
}

/// A minimal HTTP/1.1 client over a real TCP connection (one request, then close).
pub async fn http_over_tcp(addr: SocketAddr, request: &TestRequest) -> TestResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let req = request.build();
    let mut head = format!("{} {} HTTP/1.1\r\n", req.method(), req.uri());
    for (k, v) in req.headers() {
        head.push_str(&format!("{k}: {}\r\n", v.to_str().expect("header")));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        req.body().len()
    ));
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(req.body()).await.expect("write body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let mut headers = http::HeaderMap::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            headers.append(
                http::HeaderName::from_bytes(k.trim().as_bytes()).expect("name"),
                http::HeaderValue::from_str(v.trim()).expect("value"),
            );
        }
    }
    TestResponse {
        status,
        headers,
        body: Bytes::copy_from_slice(&raw[split + 4..]),
    }
}
