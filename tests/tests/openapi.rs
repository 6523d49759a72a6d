//! The OpenAPI document describes exactly the template's routes, declares the same
//! scopes as the authorizer, and every real response of a full run through the gateway
//! matches the schema the document gives for its route, status and content type.

use gatehouse_integration_tests::{TestRequest, TestResponse, TestStack};
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn document() -> Value {
    serde_json::from_str(gatehouse::openapi::DOCUMENT).expect("openapi.json is JSON")
}

fn operations(doc: &Value) -> BTreeSet<String> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect()
}

/// The committed document is the one the declaration and the types generate today.
#[test]
fn committed_document_is_generated_from_the_code() {
    let generated = gatehouse_functions::openapi::document::render();
    assert!(
        generated == gatehouse::openapi::DOCUMENT,
        "shared/openapi.json is stale: run `make openapi` and commit the result"
    );
}

#[test]
fn documents_exactly_the_template_routes_and_their_scopes() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let template = gatehouse_integration_tests::template();
    let routes: BTreeSet<String> = template
        .routes
        .iter()
        .map(|r| gatehouse::routes::openapi_path(&r.key()))
        .collect();
    assert_eq!(operations(&doc), routes);
    for route in gatehouse_functions::ROUTES.iter() {
        let op = &doc["paths"][gatehouse::routes::openapi_path(route.path).as_str()]
            [route.method.to_lowercase()];
        // Client generators name methods after operationId: the function's name.
        let mut words = route.function.split('-');
        let first = words.next().unwrap_or_default().to_owned();
        let operation_id = words.fold(first, |mut id, word| {
            let mut chars = word.chars();
            id.extend(chars.next().map(|c| c.to_ascii_uppercase()));
            id.push_str(chars.as_str());
            id
        });
        assert_eq!(op["operationId"], operation_id.as_str(), "{}", route.key());
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{}",
            route.key()
        );
        assert!(op["tags"][0].is_string(), "{}: tags", route.key());
        assert_eq!(
            op["x-gatehouse-scope"].as_str(),
            route.scope(),
            "{}",
            route.key()
        );
        assert_eq!(
            op["security"] == json!([]),
            route.access == gatehouse::routes::Access::Public,
            "{}: security",
            route.key()
        );
    }
}

struct Checker {
    doc: Value,
    checked: BTreeSet<String>,
}

impl Checker {
    #[track_caller]
    fn check(&mut self, method: &str, path_template: &str, response: &TestResponse) {
        let status = response.status.to_string();
        let content_type = response.content_type().to_owned();
        let op = &self.doc["paths"][gatehouse::routes::openapi_path(path_template).as_str()]
            [method.to_lowercase()];
        if (300..400).contains(&response.status) {
            assert!(
                op["responses"][&status]["headers"]["Location"].is_object(),
                "{method} {path_template}: redirect {status} is not documented"
            );
            assert!(!response.header("location").is_empty());
            self.checked.insert(format!(
                "{method} {} {status}",
                gatehouse::routes::openapi_path(path_template)
            ));
            return;
        }
        let schema = &op["responses"][&status]["content"][&content_type]["schema"];
        assert!(
            !schema.is_null(),
            "{method} {path_template}: {status} {content_type} is not documented; body {}",
            String::from_utf8_lossy(&response.body)
        );
        let mut root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc["components"].clone(),
        });
        for (k, v) in schema.as_object().unwrap() {
            root[k] = v.clone();
        }
        let validator = jsonschema::validator_for(&root).expect("schema compiles");
        // A document of another kind (SAML metadata's XML) is a string to its schema.
        let body = if content_type.ends_with("json") {
            response.json()
        } else {
            Value::String(response.text())
        };
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path_template} {status}: {errors:?}\n{body}"
        );
        self.checked.insert(format!(
            "{method} {} {status}",
            gatehouse::routes::openapi_path(path_template)
        ));
    }
}

#[tokio::test]
async fn real_responses_match_the_document() {
    let bao = gatehouse_integration_tests::openbao::OpenBao::start().await;
    let idp = gatehouse_integration_tests::oidc::OidcProvider::start(
        "",
        "http://gatehouse.test/v2/sso/callback",
        json!({"alice": {"email": "alice@acme.example", "email_verified": true}}),
        json!({"openid": ["sub"], "email": ["email", "email_verified"]}),
    )
    .await;
    let slapd = gatehouse_integration_tests::slapd::Slapd::start();
    let rsyslog = gatehouse_integration_tests::rsyslog::Rsyslog::start();
    let scanner = gatehouse_integration_tests::secret_scanner::SecretScanner::start().await;
    let allow = format!(
        "{},{},localhost:{},127.0.0.1:{},{}",
        bao.host_port(),
        idp.host_port(),
        slapd.ldaps_port,
        rsyslog.tcp_port,
        scanner.host_port()
    );
    // The DNS of domain verification: it answers nothing until the walk publishes.
    let mut dns = gatehouse_integration_tests::dns::Dns::reserve();
    dns.publish(&[]);
    let nameservers = dns.address();
    let stack = TestStack::with_params(&[
        ("AuthCacheTtlSeconds", "0"),
        ("WebhookAllowHosts", "127.0.0.1:9"),
        ("IntegrationAllowHosts", allow.as_str()),
        ("PublicBaseUrl", "http://gatehouse.test"),
        ("DnsNameservers", nameservers.as_str()),
        ("SecretScanningKeysUrl", scanner.keys_url().as_str()),
    ])
    .await;
    // Every POST of this run is also sent with an Idempotency-Key and, when it
    // succeeds, replayed: each POST route honours the header.
    stack
        .replay_posts
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose().to_owned();
    let mut c = Checker {
        doc: document(),
        checked: BTreeSet::new(),
    };
    let keys = "/v2/api-keys";
    let one = "/v2/api-keys/{key_id}";

    let created = stack
        .send(
            "POST",
            keys,
            &admin,
            Some(json!({"name": "doc", "scopes": ["keys:read"], "service": "docs"})),
        )
        .await;
    c.check("POST", keys, &created);
    let id = created.json()["key_id"].as_str().unwrap().to_owned();
    let reader = created.json()["key"].as_str().unwrap().to_owned();
    c.check(
        "POST",
        keys,
        &stack
            .send("POST", keys, &admin, Some(json!({"name": 1})))
            .await,
    );
    c.check(
        "POST",
        keys,
        &stack
            .call(
                TestRequest::post(keys)
                    .bearer(&acme.admin_key)
                    .raw_body("text/plain", "x"),
            )
            .await,
    );
    c.check(
        "POST",
        keys,
        &stack
            .send(
                "POST",
                keys,
                &reader,
                Some(json!({"name": "x", "scopes": ["keys:read"]})),
            )
            .await,
    );
    c.check("GET", keys, &stack.call(TestRequest::get(keys)).await);
    c.check(
        "GET",
        keys,
        &stack
            .send("GET", &format!("{keys}?limit=1"), &admin, None)
            .await,
    );
    c.check(
        "GET",
        keys,
        &stack
            .send("GET", &format!("{keys}?limit=0"), &admin, None)
            .await,
    );

    let path = |suffix: &str| format!("{keys}/{id}{suffix}");
    c.check(
        "GET",
        one,
        &stack.send("GET", &path(""), &admin, None).await,
    );
    c.check(
        "GET",
        one,
        &stack
            .send("GET", &format!("{keys}/nope"), &admin, None)
            .await,
    );
    c.check(
        "PUT",
        one,
        &stack
            .send("PUT", &path(""), &admin, Some(json!({"name": "renamed"})))
            .await,
    );
    c.check(
        "PUT",
        one,
        &stack
            .send("PUT", &path(""), &admin, Some(json!({"status": "gone"})))
            .await,
    );
    let rotate = "/v2/api-keys/{key_id}/rotate";
    let rotated = stack
        .send(
            "POST",
            &path("/rotate"),
            &admin,
            Some(json!({"grace_period_seconds": 10})),
        )
        .await;
    c.check("POST", rotate, &rotated);
    c.check(
        "POST",
        rotate,
        &stack
            .send("POST", &path("/rotate"), &admin, Some(json!({})))
            .await,
    );
    let new_id = rotated.json()["key_id"].as_str().unwrap().to_owned();
    let compromise = "/v2/api-keys/{key_id}/compromise";
    c.check(
        "POST",
        compromise,
        &stack
            .send(
                "POST",
                &format!("{keys}/{new_id}/compromise"),
                &admin,
                Some(json!({"description": "leaked", "replace": true})),
            )
            .await,
    );
    c.check(
        "POST",
        compromise,
        &stack
            .send("POST", &path("/compromise"), &admin, Some(json!({})))
            .await,
    );
    c.check(
        "DELETE",
        one,
        &stack
            .send("DELETE", &path(""), &admin, Some(json!({"reason": "done"})))
            .await,
    );
    c.check(
        "DELETE",
        one,
        &stack
            .send("DELETE", &path(""), &admin, Some(json!({})))
            .await,
    );
    c.check(
        "PUT",
        one,
        &stack
            .send("PUT", &path(""), &admin, Some(json!({"name": "x"})))
            .await,
    );

    c.check(
        "POST",
        "/v2/scopes",
        &stack
            .send(
                "POST",
                "/v2/scopes",
                &admin,
                Some(json!({"name": "docs:read", "description": "Docs"})),
            )
            .await,
    );
    c.check(
        "POST",
        "/v2/scopes",
        &stack
            .send(
                "POST",
                "/v2/scopes",
                &admin,
                Some(json!({"name": "docs:read", "description": "Docs"})),
            )
            .await,
    );
    c.check(
        "GET",
        "/v2/scopes",
        &stack.send("GET", "/v2/scopes", &admin, None).await,
    );
    c.check(
        "GET",
        "/v2/audit",
        &stack.send("GET", "/v2/audit?limit=5", &admin, None).await,
    );
    c.check(
        "GET",
        "/v2/audit",
        &stack
            .send("GET", "/v2/audit?from=never", &admin, None)
            .await,
    );
    let idem = || {
        TestRequest::post(keys)
            .bearer(&acme.admin_key)
            .header("idempotency-key", "doc-1")
    };
    c.check(
        "POST",
        keys,
        &stack
            .call(idem().json(&json!({"name": "a", "scopes": ["keys:read"]})))
            .await,
    );
    c.check(
        "POST",
        keys,
        &stack
            .call(idem().json(&json!({"name": "a", "scopes": ["keys:read"]})))
            .await,
    );
    c.check(
        "POST",
        keys,
        &stack
            .call(idem().json(&json!({"name": "b", "scopes": ["keys:read"]})))
            .await,
    );

    // The key policy: set (loose enough for the rest of the walk), refused, cleared.
    let key_policy = "/v2/key-policy";
    c.check(
        "GET",
        key_policy,
        &stack.send("GET", key_policy, &admin, None).await,
    );
    for body in [
        json!({"max_active_keys_per_tenant": 100000, "test": {"max_lifetime_days": 3650}}),
        json!({"live": {"allowed_scopes": ["nope"]}}),
        json!({}),
    ] {
        c.check(
            "PUT",
            key_policy,
            &stack.send("PUT", key_policy, &admin, Some(body)).await,
        );
    }

    // Limits, the access policy and usage.
    let policy = "/v2/access-policy";
    c.check(
        "GET",
        policy,
        &stack.send("GET", policy, &admin, None).await,
    );
    let body = json!({
        "route_scopes": {"GET /orders/{id}": "orders:read"},
        "plan": {"all_routes": {"per_day": 1000}, "routes": {"POST /orders": {"per_minute": 5}}}
    });
    c.check(
        "PUT",
        policy,
        &stack.send("PUT", policy, &admin, Some(body)).await,
    );
    c.check(
        "PUT",
        policy,
        &stack
            .send(
                "PUT",
                policy,
                &admin,
                Some(json!({"plan": {"all_routes": {"per_day": 0}}})),
            )
            .await,
    );
    let limited = stack
        .send(
            "PUT",
            &format!("{keys}/{id}"),
            &admin,
            Some(json!({"limits": {"all_routes": {"per_second": 5}, "counter_shards": 2}})),
        )
        .await;
    c.check("PUT", one, &limited);
    c.check(
        "GET",
        one,
        &stack
            .send("GET", &format!("{keys}/{id}"), &admin, None)
            .await,
    );
    stack.gateway.flush_access_log().await.unwrap();
    let usage = "/v2/api-keys/{key_id}/usage";
    c.check(
        "GET",
        usage,
        &stack
            .send(
                "GET",
                &format!(
                    "{keys}/{}/usage?granularity=minute&time_range=90m",
                    acme.admin_record.key_id
                ),
                &admin,
                None,
            )
            .await,
    );
    c.check(
        "GET",
        usage,
        &stack
            .send(
                "GET",
                &format!("{keys}/{id}/usage?granularity=week"),
                &admin,
                None,
            )
            .await,
    );
    let reset = "/v2/api-keys/{key_id}/usage/reset";
    c.check(
        "POST",
        reset,
        &stack
            .send(
                "POST",
                &format!("{keys}/{id}/usage/reset"),
                &admin,
                Some(json!({"windows": ["second"]})),
            )
            .await,
    );
    let report = "/v2/usage/report";
    c.check(
        "GET",
        report,
        &stack.send("GET", report, &admin, None).await,
    );
    c.check(
        "GET",
        report,
        &stack
            .send("GET", &format!("{report}?period=2026"), &admin, None)
            .await,
    );

    // Boxed: the whole walk in one future overflows a test thread's stack in debug.
    Box::pin(webhook_routes(
        &stack,
        &mut c,
        &admin,
        &acme.tenant.tenant_id,
        &id,
    ))
    .await;

    Box::pin(secret_routes(&stack, &mut c, &admin)).await;
    Box::pin(lease_routes(&stack, &mut c, &admin)).await;
    Box::pin(sso_routes(&stack, &mut c, &admin, &idp, &mut dns)).await;
    let tenant = acme.tenant.tenant_id.to_string();
    Box::pin(ldap_routes(&stack, &mut c, &admin, &tenant, &slapd)).await;
    Box::pin(saml_routes(&stack, &mut c, &admin)).await;
    Box::pin(siem_routes(&stack, &mut c, &admin, &rsyslog)).await;
    Box::pin(integration_routes(&stack, &mut c, &admin, &bao)).await;
    Box::pin(secret_scanning_routes(&stack, &mut c, &admin, &scanner)).await;

    let served = stack.call(TestRequest::get("/v2/openapi.json")).await;
    assert_eq!(served.status, 200);
    assert_eq!(served.json(), document());

    // Every operation had at least its success response checked (a redirect, for the
    // operations whose success is one).
    for op in operations(&c.doc) {
        if op == "GET /v2/openapi.json" {
            continue;
        }
        assert!(
            c.checked
                .iter()
                .any(|done| done.starts_with(&format!("{op} 2"))
                    || done.starts_with(&format!("{op} 3"))),
            "{op} not exercised: {:?}",
            c.checked
        );
    }
}

/// The leaked-key intake: a signed report (one real key, one not), and the refusals.
async fn secret_scanning_routes(
    stack: &TestStack,
    c: &mut Checker,
    admin: &str,
    scanner: &gatehouse_integration_tests::secret_scanner::SecretScanner,
) {
    let intake = "/v2/secret-scanning/github";
    let (leaked, _) = stack
        .create_key(admin, json!({"name": "leaked", "scopes": ["keys:read"]}))
        .await;
    let post = |body: String, signature: Option<String>| {
        let mut request = TestRequest::post(intake).raw_body("application/json", body);
        if let Some(signature) = signature {
            request = request
                .header("github-public-key-identifier", &scanner.identifier)
                .header("github-public-key-signature", &signature);
        }
        stack.call(request)
    };
    let body = json!([
        {"token": leaked, "type": "gatehouse_api_key", "url": "https://github.com/o/r/blob/1/.env", "source": "content"},
        {"token": "gh_live_nope", "type": "gatehouse_api_key"},
    ])
    .to_string();
    let answer = post(body.clone(), Some(scanner.sign(body.as_bytes()))).await;
    c.check("POST", intake, &answer);
    assert_eq!(answer.json()[0]["label"], "true_positive");
    c.check("POST", intake, &post(body, None).await);
    let not_reports = "{}".to_owned();
    let signature = scanner.sign(not_reports.as_bytes());
    c.check("POST", intake, &post(not_reports, Some(signature)).await);

    // Other scanners: Standard Webhooks signatures with the scanner secret.
    let shared = "/v2/secret-scanning/reports";
    let arn = &stack.app.config.secret_scanning_secret_arn;
    let value = aws_sdk_secretsmanager::Client::new(&stack.sdk)
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .unwrap()
        .secret_string
        .unwrap();
    let secret = gatehouse::keys::leak_intake::scanner_secret(&value).unwrap();
    let body = json!([{"token": "gh_live_nope", "type": "x"}]).to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let signed = TestRequest::post(shared)
        .raw_body("application/json", body.clone())
        .header("webhook-id", "msg_doc")
        .header("webhook-timestamp", &now.to_string())
        .header(
            "webhook-signature",
            &secret.sign("msg_doc", now, body.as_bytes()),
        );
    c.check("POST", shared, &stack.call(signed).await);
    let unsigned = TestRequest::post(shared).raw_body("application/json", body);
    c.check("POST", shared, &stack.call(unsigned).await);
}

/// The integration routes against a real OpenBao, each answered for real and checked
/// against the document; a Vault-backed secret write and read on the way.
async fn integration_routes(
    stack: &TestStack,
    c: &mut Checker,
    admin: &str,
    bao: &gatehouse_integration_tests::openbao::OpenBao,
) {
    let vault = "/v2/integrations/vault";
    let good =
        json!({"address": bao.address, "auth": {"method": "token", "token": bao.root_token}});
    let bad = json!({"address": bao.address, "auth": {"method": "token", "token": "wrong"}});
    c.check("GET", vault, &stack.send("GET", vault, admin, None).await);
    c.check(
        "POST",
        vault,
        &stack.send("POST", vault, admin, Some(bad.clone())).await,
    );
    c.check(
        "POST",
        vault,
        &stack
            .send("POST", vault, admin, Some(json!({"address": "ftp://x"})))
            .await,
    );
    let created = stack.send("POST", vault, admin, Some(good.clone())).await;
    c.check("POST", vault, &created);
    let id = created.json()["integration_id"]
        .as_str()
        .unwrap()
        .to_owned();
    c.check(
        "POST",
        vault,
        &stack.send("POST", vault, admin, Some(good.clone())).await,
    );
    c.check("GET", vault, &stack.send("GET", vault, admin, None).await);
    c.check(
        "PUT",
        vault,
        &stack.send("PUT", vault, admin, Some(bad)).await,
    );
    c.check(
        "PUT",
        vault,
        &stack.send("PUT", vault, admin, Some(good)).await,
    );
    let test = "/v2/integrations/{integration_id}/test";
    c.check(
        "POST",
        test,
        &stack
            .send("POST", &format!("/v2/integrations/{id}/test"), admin, None)
            .await,
    );
    c.check(
        "POST",
        test,
        &stack
            .send("POST", "/v2/integrations/int0000000/test", admin, None)
            .await,
    );
    c.check(
        "POST",
        "/v2/secrets/data/{path+}",
        &stack
            .send(
                "POST",
                "/v2/secrets/data/doc/vault",
                admin,
                Some(json!({"data": {"k": "v"}})),
            )
            .await,
    );
    c.check(
        "DELETE",
        "/v2/secrets/metadata/{path+}",
        &stack
            .send("DELETE", "/v2/secrets/metadata/doc/vault", admin, None)
            .await,
    );
    let health = "/v2/integrations/health";
    c.check("GET", health, &stack.send("GET", health, admin, None).await);
    c.check(
        "GET",
        health,
        &stack
            .send("GET", "/v2/integrations/health?x=1", admin, None)
            .await,
    );
    let report = "/v2/integrations/report";
    c.check("GET", report, &stack.send("GET", report, admin, None).await);
    c.check(
        "GET",
        report,
        &stack
            .send("GET", "/v2/integrations/report?days=91", admin, None)
            .await,
    );
    c.check(
        "DELETE",
        vault,
        &stack.send("DELETE", vault, admin, None).await,
    );
    c.check(
        "DELETE",
        vault,
        &stack.send("DELETE", vault, admin, None).await,
    );
}

/// The SSO routes against a real OpenID Provider: connections, a login to its session
/// (JSON, then a redirect to a return URL), logout, the session keys.
async fn sso_routes(
    stack: &TestStack,
    c: &mut Checker,
    admin: &str,
    idp: &gatehouse_integration_tests::oidc::OidcProvider,
    dns: &mut gatehouse_integration_tests::dns::Dns,
) {
    use gatehouse_integration_tests::oidc::{CLIENT_ID, CLIENT_SECRET, follow_login};
    let base = "http://gatehouse.test";
    let local = |url: &str| url.strip_prefix(base).unwrap_or(url).to_owned();
    // The client secret by reference, from Gatehouse's own store.
    stack
        .send(
            "POST",
            "/v2/secrets/data/sso/idp",
            admin,
            Some(json!({"data": {"client_secret": CLIENT_SECRET}})),
        )
        .await
        .assert_status(201);
    let connections = "/v2/integrations/sso";
    let one = "/v2/integrations/sso/{integration_id}";
    let providers = "/v2/integrations/sso/providers";
    let presets = stack.send("GET", providers, admin, None).await;
    assert_eq!(presets.json()["items"].as_array().map(Vec::len), Some(7));
    c.check("GET", providers, &presets);
    c.check(
        "GET",
        providers,
        &stack
            .send("GET", "/v2/integrations/sso/providers?x=1", admin, None)
            .await,
    );
    let body = json!({
        "name": "Doc IdP", "preset": "custom", "issuer": idp.issuer, "client_id": CLIENT_ID,
        "client_secret": {"secret_ref": {"path": "sso/idp", "key": "client_secret"}},
        "domains": ["acme.example"], "default_scopes": ["keys:read"],
        "return_urls": ["https://app.acme.example/sso/"],
    });
    let created = stack.send("POST", connections, admin, Some(body)).await;
    c.check("POST", connections, &created);
    c.check(
        "POST",
        connections,
        &stack
            .send("POST", connections, admin, Some(json!({"name": "x"})))
            .await,
    );
    let id = created.json()["connection_id"].as_str().unwrap().to_owned();
    let login_url = created.json()["login_url"].as_str().unwrap().to_owned();
    c.check(
        "GET",
        connections,
        &stack.send("GET", connections, admin, None).await,
    );
    let path = format!("/v2/integrations/sso/{id}");
    c.check("GET", one, &stack.send("GET", &path, admin, None).await);
    // Domains: proven in DNS, then found by discovery.
    let verify = "/v2/integrations/sso/{integration_id}/verify-domains";
    let discover = "/v2/sso/discover";
    let discover_email =
        |email: &str| stack.call(TestRequest::post(discover).json(&json!({ "email": email })));
    c.check(
        "POST",
        discover,
        &discover_email("alice@acme.example").await,
    );
    let proof = created.json()["domain_verification"][0]["txt_value"]
        .as_str()
        .unwrap()
        .to_owned();
    dns.publish(&[("_gatehouse-challenge.acme.example", proof.as_str())]);
    let verified = stack
        .send("POST", &format!("{path}/verify-domains"), admin, None)
        .await;
    assert_eq!(verified.json()["domains"][0]["status"], "verified");
    c.check("POST", verify, &verified);
    c.check(
        "POST",
        verify,
        &stack
            .send(
                "POST",
                "/v2/integrations/sso/0000000000/verify-domains",
                admin,
                None,
            )
            .await,
    );
    c.check(
        "POST",
        discover,
        &discover_email("alice@acme.example").await,
    );
    c.check("POST", discover, &discover_email("alice").await);
    c.check(
        "GET",
        one,
        &stack
            .send("GET", "/v2/integrations/sso/0000000000", admin, None)
            .await,
    );
    let test = "/v2/integrations/sso/test";
    let tested = stack
        .send(
            "POST",
            test,
            admin,
            Some(json!({"connection_id": id, "claims": {"email": "eve@evil.example"}})),
        )
        .await;
    assert_eq!(tested.json()["healthy"], true, "{}", tested.text());
    assert_eq!(tested.json()["mapping"]["refusal"], "domain_not_allowed");
    c.check("POST", test, &tested);
    c.check(
        "POST",
        test,
        &stack
            .send(
                "POST",
                test,
                admin,
                Some(json!({"connection_id": "0000000000"})),
            )
            .await,
    );
    let login = "/v2/sso/{tenant_id}/{integration_id}/login";
    let callback = "/v2/sso/callback";
    let start =
        |query: String| stack.call(TestRequest::get(&format!("{}{query}", local(&login_url))));
    let started = start("?login_hint=alice".into()).await;
    c.check("GET", login, &started);
    c.check(
        "GET",
        login,
        &start("?return_to=https%3A%2F%2Fevil.example%2F".into()).await,
    );
    let back = follow_login(&started.header("location")).await;
    let session = stack.call(TestRequest::get(&local(&back))).await;
    c.check("GET", callback, &session);
    c.check(
        "GET",
        callback,
        &stack.call(TestRequest::get(&local(&back))).await,
    );
    let redirected =
        start("?login_hint=alice&return_to=https%3A%2F%2Fapp.acme.example%2Fsso%2Fdone".into())
            .await;
    let back = follow_login(&redirected.header("location")).await;
    let to_app = stack.call(TestRequest::get(&local(&back))).await;
    c.check("GET", callback, &to_app);
    assert!(
        to_app
            .header("location")
            .starts_with("https://app.acme.example/sso/done#session_token=")
    );
    let token = session.json()["session_token"].as_str().unwrap().to_owned();
    let refresh = "/v2/sso/refresh";
    let refresh_with = |token: &str| {
        stack.call(TestRequest::post(refresh).json(&json!({ "refresh_token": token })))
    };
    let refreshed = refresh_with(session.json()["refresh_token"].as_str().unwrap()).await;
    c.check("POST", refresh, &refreshed);
    c.check("POST", refresh, &refresh_with("gsr_not-one").await);
    c.check(
        "POST",
        refresh,
        &stack
            .call(TestRequest::post(refresh).json(&json!({"token": "x"})))
            .await,
    );
    let principals = "/v2/principals";
    let principal = "/v2/principals/{principal_id}";
    c.check(
        "GET",
        principals,
        &stack.send("GET", principals, admin, None).await,
    );
    let alice = session.json()["principal_id"].as_str().unwrap().to_owned();
    let principal_path = |suffix: &str| format!("/v2/principals/{alice}{suffix}");
    c.check(
        "GET",
        principal,
        &stack.send("GET", &principal_path(""), admin, None).await,
    );
    c.check(
        "GET",
        principal,
        &stack
            .send("GET", "/v2/principals/0000000000", admin, None)
            .await,
    );
    c.check(
        "POST",
        "/v2/principals/{principal_id}/enable",
        &stack
            .send("POST", &principal_path("/enable"), admin, None)
            .await,
    );
    c.check(
        "POST",
        "/v2/principals/{principal_id}/sync-keys",
        &stack
            .send("POST", &principal_path("/sync-keys"), admin, None)
            .await,
    );
    c.check(
        "POST",
        "/v2/principals/{principal_id}/sync-keys",
        &stack
            .send("POST", "/v2/principals/0000000000/sync-keys", admin, None)
            .await,
    );
    let logout = "/v2/sso/logout";
    c.check(
        "POST",
        logout,
        &stack.send("POST", logout, admin, None).await,
    );
    // A replayed logout cannot pass the authorizer: its session has ended.
    stack
        .replay_posts
        .store(false, std::sync::atomic::Ordering::Relaxed);
    c.check(
        "POST",
        logout,
        &stack.send("POST", logout, &token, None).await,
    );
    stack
        .replay_posts
        .store(true, std::sync::atomic::Ordering::Relaxed);
    c.check(
        "POST",
        "/v2/principals/{principal_id}/disable",
        &stack
            .send("POST", &principal_path("/disable"), admin, None)
            .await,
    );
    let jwks = "/v2/.well-known/jwks.json";
    c.check("GET", jwks, &stack.call(TestRequest::get(jwks)).await);
    let update = json!({
        "name": "Doc IdP, renamed", "preset": "custom", "issuer": idp.issuer,
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "domains": ["acme.example"],
    });
    c.check(
        "PUT",
        one,
        &stack.send("PUT", &path, admin, Some(update.clone())).await,
    );
    c.check(
        "PUT",
        one,
        &stack
            .send(
                "PUT",
                "/v2/integrations/sso/0000000000",
                admin,
                Some(update),
            )
            .await,
    );
    c.check(
        "DELETE",
        one,
        &stack.send("DELETE", &path, admin, None).await,
    );
}

/// The lease routes on Gatehouse's own store (STS into the template's lease role).
async fn lease_routes(stack: &TestStack, c: &mut Checker, admin: &str) {
    let create = |body: Value| stack.send("POST", "/v2/leases", admin, Some(body));
    let created = create(json!({"role": "tenant-files", "ttl_seconds": 900})).await;
    c.check("POST", "/v2/leases", &created);
    c.check("POST", "/v2/leases", &create(json!({"role": "nope"})).await);
    c.check(
        "POST",
        "/v2/leases",
        &create(json!({"ttl_seconds": 900})).await,
    );
    let id = created.json()["lease"]["lease_id"]
        .as_str()
        .unwrap()
        .to_owned();
    c.check(
        "GET",
        "/v2/leases",
        &stack.send("GET", "/v2/leases?limit=1", admin, None).await,
    );
    let renew = "/v2/leases/{lease_id}/renew";
    let revoke = "/v2/leases/{lease_id}/revoke";
    c.check(
        "POST",
        renew,
        &stack
            .send("POST", &format!("/v2/leases/{id}/renew"), admin, None)
            .await,
    );
    c.check(
        "POST",
        revoke,
        &stack
            .send("POST", &format!("/v2/leases/{id}/revoke"), admin, None)
            .await,
    );
    c.check(
        "POST",
        renew,
        &stack
            .send(
                "POST",
                &format!("/v2/leases/{id}/renew"),
                admin,
                Some(json!({"increment_seconds": 900})),
            )
            .await,
    );
    c.check(
        "POST",
        revoke,
        &stack
            .send("POST", "/v2/leases/0000000000/revoke", admin, None)
            .await,
    );
}

/// The secret routes, each answered for real and checked against the document.
async fn secret_routes(stack: &TestStack, c: &mut Checker, admin: &str) {
    let data = "/v2/secrets/data/{path+}";
    let meta = "/v2/secrets/metadata/{path+}";
    let write = |body: Value| stack.send("POST", "/v2/secrets/data/doc/db", admin, Some(body));
    c.check(
        "POST",
        data,
        &write(json!({"data": {"user": "app", "password": "pw1"}})).await,
    );
    c.check(
        "POST",
        data,
        &write(json!({"data": {"password": "pw2"}, "cas": 1})).await,
    );
    c.check(
        "POST",
        data,
        &write(json!({"data": {"password": "pw3"}, "cas": 1})).await,
    );
    c.check("POST", data, &write(json!({"data": {}})).await);
    c.check(
        "GET",
        data,
        &stack
            .send("GET", "/v2/secrets/data/doc/db", admin, None)
            .await,
    );
    c.check(
        "GET",
        data,
        &stack
            .send("GET", "/v2/secrets/data/doc/db?version=9", admin, None)
            .await,
    );
    c.check(
        "GET",
        data,
        &stack
            .send("GET", "/v2/secrets/data/doc/..%2Fx", admin, None)
            .await,
    );
    c.check(
        "GET",
        meta,
        &stack
            .send("GET", "/v2/secrets/metadata/doc/db", admin, None)
            .await,
    );
    c.check(
        "PUT",
        meta,
        &stack
            .send(
                "PUT",
                "/v2/secrets/metadata/doc/db",
                admin,
                Some(json!({"max_versions": 5, "custom_metadata": {"team": "docs"}})),
            )
            .await,
    );
    c.check(
        "PUT",
        meta,
        &stack
            .send(
                "PUT",
                "/v2/secrets/metadata/doc/db",
                admin,
                Some(json!({"max_versions": 0})),
            )
            .await,
    );
    // Each also refused once (no versions), which releases its Idempotency-Key claim.
    for (op, versions) in [
        ("delete", json!([1])),
        ("undelete", json!([1])),
        ("destroy", json!([1])),
        ("delete", json!([])),
        ("undelete", json!([])),
        ("destroy", json!([])),
    ] {
        let path = format!("/v2/secrets/{op}/{{path+}}");
        c.check(
            "POST",
            &path,
            &stack
                .send(
                    "POST",
                    &format!("/v2/secrets/{op}/doc/db"),
                    admin,
                    Some(json!({ "versions": versions })),
                )
                .await,
        );
    }
    c.check(
        "GET",
        data,
        &stack
            .send("GET", "/v2/secrets/data/doc/db?version=1", admin, None)
            .await,
    );
    c.check(
        "GET",
        "/v2/secrets",
        &stack
            .send("GET", "/v2/secrets?prefix=doc/&limit=1", admin, None)
            .await,
    );
    c.check(
        "GET",
        "/v2/secrets",
        &stack.send("GET", "/v2/secrets?limit=0", admin, None).await,
    );
    c.check(
        "DELETE",
        meta,
        &stack
            .send(
                "DELETE",
                "/v2/secrets/metadata/doc/db?recovery_window_days=7",
                admin,
                None,
            )
            .await,
    );
    c.check(
        "POST",
        data,
        &write(json!({"data": {"password": "pw4"}})).await,
    );
    c.check(
        "POST",
        "/v2/secrets/restore/{path+}",
        &stack
            .send("POST", "/v2/secrets/restore/doc/db", admin, None)
            .await,
    );
    c.check(
        "POST",
        "/v2/secrets/restore/{path+}",
        &stack
            .send("POST", "/v2/secrets/restore/doc/db", admin, None)
            .await,
    );
}

/// The webhook routes, each answered for real and checked against the document.
async fn webhook_routes(
    stack: &TestStack,
    c: &mut Checker,
    admin: &str,
    tenant: &gatehouse::ids::TenantId,
    key_id: &str,
) {
    // Webhook endpoints (the stack allow-lists a local receiver address).
    let hooks = "/v2/webhooks";
    // Refused POSTs release their Idempotency-Key, so a retry runs again.
    for action in ["disable", "enable", "rotate-secret", "test"] {
        let unknown = format!("{hooks}/not-a-webhook/{action}");
        let response = stack.send("POST", &unknown, admin, None).await;
        assert!((400..500).contains(&response.status), "{unknown}");
    }
    let hook = "/v2/webhooks/{webhook_id}";
    let created = stack
        .send(
            "POST",
            hooks,
            admin,
            Some(json!({"url": "http://127.0.0.1:9/hook", "event_types": ["api_key.revoked"]})),
        )
        .await;
    c.check("POST", hooks, &created);
    let hook_id = created.json()["webhook_id"].as_str().unwrap().to_owned();
    c.check(
        "POST",
        hooks,
        &stack
            .send(
                "POST",
                hooks,
                admin,
                Some(json!({"url": "https://10.0.0.1/", "event_types": ["*"]})),
            )
            .await,
    );
    c.check("GET", hooks, &stack.send("GET", hooks, admin, None).await);
    c.check(
        "GET",
        hook,
        &stack
            .send("GET", &format!("{hooks}/{hook_id}"), admin, None)
            .await,
    );
    c.check(
        "GET",
        hook,
        &stack
            .send("GET", &format!("{hooks}/nosuchhook"), admin, None)
            .await,
    );
    let one_hook = format!("{hooks}/{hook_id}");
    let op = |suffix: &str| format!("/v2/webhooks/{{webhook_id}}/{suffix}");
    c.check(
        "POST",
        &op("disable"),
        &stack
            .send(
                "POST",
                &format!("{one_hook}/disable"),
                admin,
                Some(json!({"reason": "maintenance"})),
            )
            .await,
    );
    c.check(
        "POST",
        &op("enable"),
        &stack
            .send("POST", &format!("{one_hook}/enable"), admin, None)
            .await,
    );
    c.check(
        "POST",
        &op("rotate-secret"),
        &stack
            .send(
                "POST",
                &format!("{one_hook}/rotate-secret"),
                admin,
                Some(json!({"grace_period_seconds": 60})),
            )
            .await,
    );
    c.check(
        "POST",
        &op("test"),
        &stack
            .send("POST", &format!("{one_hook}/test"), admin, None)
            .await,
    );
    let event = gatehouse::events::DomainEvent::new(
        "api_key.revoked",
        gatehouse::events::Category::Lifecycle,
        tenant,
        time::OffsetDateTime::now_utc(),
        json!({"key": {"key_id": key_id}}),
    );
    gatehouse::webhooks::dispatch::fan_out(&stack.app, &event, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let listed = stack
        .send("GET", &format!("{one_hook}/deliveries"), admin, None)
        .await;
    c.check("GET", &op("deliveries"), &listed);
    c.check(
        "GET",
        &op("deliveries"),
        &stack
            .send(
                "GET",
                &format!("{one_hook}/deliveries?status=lost"),
                admin,
                None,
            )
            .await,
    );
    let delivery_id = listed.json()["items"][0]["delivery_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let one_delivery = "/v2/webhooks/deliveries/{delivery_id}";
    let delivery_path = format!("/v2/webhooks/deliveries/{delivery_id}");
    c.check(
        "GET",
        one_delivery,
        &stack.send("GET", &delivery_path, admin, None).await,
    );
    let retry = "/v2/webhooks/deliveries/{delivery_id}/retry";
    c.check(
        "POST",
        retry,
        &stack
            .send("POST", &format!("{delivery_path}/retry"), admin, None)
            .await,
    );
    let (mut delivery, _) = stack
        .app
        .deliveries
        .get(tenant, &delivery_id)
        .await
        .unwrap()
        .unwrap();
    delivery.status = gatehouse::webhooks::delivery::DeliveryStatus::Failed;
    stack.app.deliveries.record(&delivery, None).await.unwrap();
    c.check(
        "POST",
        retry,
        &stack
            .send("POST", &format!("{delivery_path}/retry"), admin, None)
            .await,
    );
    // The delivery failed: recover queues it again; the report counts it.
    stack.app.deliveries.record(&delivery, None).await.unwrap();
    let since = (time::OffsetDateTime::now_utc() - time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    for body in [json!({"since": since}), json!({"since": "yesterday"})] {
        c.check(
            "POST",
            &op("recover"),
            &stack
                .send("POST", &format!("{one_hook}/recover"), admin, Some(body))
                .await,
        );
    }
    let report = "/v2/webhooks/report";
    for query in ["", "?from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z"] {
        c.check(
            "GET",
            report,
            &stack
                .send("GET", &format!("{report}{query}"), admin, None)
                .await,
        );
    }
    for body in [
        json!({"description": "billing", "rate_limit_per_second": null}),
        json!({"url": "http://127.0.0.1:9/moved"}),
        json!({"url": "https://169.254.169.254/latest"}),
    ] {
        c.check(
            "PUT",
            hook,
            &stack.send("PUT", &one_hook, admin, Some(body)).await,
        );
    }
    c.check(
        "DELETE",
        hook,
        &stack
            .send("DELETE", &format!("{hooks}/{hook_id}"), admin, None)
            .await,
    );
}

#[test]
fn the_checker_refuses_a_body_that_breaks_the_schema() {
    let doc = document();
    let mut root = json!({"components": doc["components"].clone()});
    root["$ref"] = json!("#/components/schemas/KeyView");
    let validator = jsonschema::validator_for(&root).unwrap();
    let wrong = json!({"key_id": "x", "status": "lost", "verifier": "$argon2id$..."});
    assert!(validator.iter_errors(&wrong).count() >= 3);
}

/// Every `event_types` enum of the document, and the audit target kinds, are the
/// code's own catalogues (the generator reads them from the code; this holds it to
/// that).
#[test]
fn the_documents_enums_are_the_codes_catalogues() {
    let doc = document();
    let mut event_types: Vec<String> = gatehouse::webhooks::endpoint::EVENT_TYPES
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .chain(["*".to_owned()])
        .collect();
    event_types.sort();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut checked = 0;
    for (name, schema) in schemas {
        let Some(items) = schema["properties"]["event_types"]["items"].as_object() else {
            continue;
        };
        let mut listed: Vec<String> = items["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}.event_types lists no enum"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        listed.sort();
        assert_eq!(listed, event_types, "{name}.event_types");
        checked += 1;
    }
    assert!(checked >= 5);
    let kinds = &doc["components"]["schemas"]["Target"]["properties"]["kind"]["enum"];
    let code: Vec<&str> = gatehouse::audit::TargetKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(kinds, &json!(code), "AuditEvent.target.kind");
}

/// Every example the document gives is valid against the schema it illustrates.
#[test]
fn the_documents_examples_match_their_schemas() {
    let doc = document();
    let mut checked = 0;
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let Some(examples) = schema["examples"].as_array() else {
            continue;
        };
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": doc["components"].clone(),
            "$ref": format!("#/components/schemas/{name}"),
        });
        let validator = jsonschema::validator_for(&root).expect("schema compiles");
        for example in examples {
            let errors: Vec<String> = validator
                .iter_errors(example)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{name}: {errors:?}");
            checked += 1;
        }
    }
    assert!(
        checked >= 4,
        "the request bodies of the main creations have examples"
    );
}

async fn ldap_routes(
    stack: &TestStack,
    c: &mut Checker,
    admin: &str,
    tenant: &str,
    slapd: &gatehouse_integration_tests::slapd::Slapd,
) {
    use gatehouse_integration_tests::slapd::{SERVICE_DN, SERVICE_PASSWORD};
    let created = stack
        .send(
            "POST",
            "/v2/integrations/sso",
            admin,
            Some(json!({
                "name": "Doc directory", "preset": "ldap",
                "ldap": {
                    "host": "localhost", "port": slapd.ldaps_port,
                    "ca_certificate": slapd.ca_pem, "bind_dn": SERVICE_DN,
                    "bind_password": SERVICE_PASSWORD,
                    "user_base": "ou=people,dc=acme,dc=example",
                },
                "default_scopes": ["keys:read"],
            })),
        )
        .await;
    c.check("POST", "/v2/integrations/sso", &created);
    let id = created.json()["connection_id"].as_str().unwrap().to_owned();
    let login = "/v2/sso/{tenant_id}/{integration_id}/ldap-login";
    let url = format!("/v2/sso/{tenant}/{id}/ldap-login");
    let with = |username: &str, password: &str| {
        stack.call(
            TestRequest::post(&url).json(&json!({"username": username, "password": password})),
        )
    };
    c.check("POST", login, &with("alice", "alice-password").await);
    c.check("POST", login, &with("alice", "wrong").await);
    c.check("POST", login, &with("", "").await);
    c.check(
        "POST",
        login,
        &stack
            .call(
                TestRequest::post("/v2/sso/0000000000/0000000000/ldap-login")
                    .json(&json!({"username": "a", "password": "b"})),
            )
            .await,
    );
}

/// The SIEM destination routes, a test delivery landing in a real rsyslog.
async fn siem_routes(
    stack: &TestStack,
    c: &mut Checker,
    admin: &str,
    rsyslog: &gatehouse_integration_tests::rsyslog::Rsyslog,
) {
    let collection = "/v2/integrations/siem";
    let body = |name: &str| {
        json!({
            "name": name, "preset": "custom",
            "transport": {"kind": "syslog", "host": "127.0.0.1", "port": rsyslog.tcp_port, "protocol": "tcp"},
            "filter": {"min_severity": "informational"},
            "redaction": {"emails": "mask", "ips": "truncate"},
        })
    };
    let created = stack
        .send("POST", collection, admin, Some(body("Doc syslog")))
        .await;
    c.check("POST", collection, &created);
    let id = created.json()["destination_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mismatched = json!({"name": "x", "preset": "elastic", "transport": {"kind": "syslog", "host": "127.0.0.1", "port": 514}});
    c.check(
        "POST",
        collection,
        &stack
            .send("POST", collection, admin, Some(mismatched))
            .await,
    );
    c.check(
        "GET",
        collection,
        &stack.send("GET", collection, admin, None).await,
    );
    let one = "/v2/integrations/siem/{destination_id}";
    let path = format!("{collection}/{id}");
    let unknown = format!("{collection}/0000000000");
    c.check("GET", one, &stack.send("GET", &path, admin, None).await);
    c.check("GET", one, &stack.send("GET", &unknown, admin, None).await);
    let mut renamed = body("Doc syslog, renamed");
    // A token (sealed) the transport does not use; the test below opens it.
    renamed["token"] = json!("doc-token");
    c.check(
        "PUT",
        one,
        &stack.send("PUT", &path, admin, Some(renamed)).await,
    );
    c.check(
        "PUT",
        one,
        &stack
            .send("PUT", &path, admin, Some(json!({"name": ""})))
            .await,
    );
    c.check(
        "PUT",
        one,
        &stack.send("PUT", &unknown, admin, Some(body("x"))).await,
    );
    let test = "/v2/integrations/siem/{destination_id}/test";
    let tested = stack
        .send("POST", &format!("{path}/test"), admin, None)
        .await;
    assert_eq!(tested.json()["healthy"], true, "{}", tested.json());
    c.check("POST", test, &tested);
    c.check(
        "POST",
        test,
        &stack
            .send("POST", &format!("{unknown}/test"), admin, None)
            .await,
    );
    let stats = "/v2/integrations/siem/{destination_id}/stats";
    c.check(
        "GET",
        stats,
        &stack
            .send("GET", &format!("{path}/stats?days=7"), admin, None)
            .await,
    );
    c.check(
        "GET",
        stats,
        &stack
            .send("GET", &format!("{path}/stats?days=99"), admin, None)
            .await,
    );
    c.check(
        "GET",
        stats,
        &stack
            .send("GET", &format!("{unknown}/stats"), admin, None)
            .await,
    );
    let preview = "/v2/integrations/siem/preview";
    let filter =
        json!({"filter": {"classes": ["api_activity"], "outcomes": ["success"]}, "limit": 20});
    c.check(
        "POST",
        preview,
        &stack.send("POST", preview, admin, Some(filter)).await,
    );
    c.check(
        "POST",
        preview,
        &stack
            .send(
                "POST",
                preview,
                admin,
                Some(json!({"filter": {"classes": ["nope"]}})),
            )
            .await,
    );
    c.check(
        "DELETE",
        one,
        &stack.send("DELETE", &path, admin, None).await,
    );
    c.check(
        "DELETE",
        one,
        &stack.send("DELETE", &path, admin, None).await,
    );
}

async fn saml_routes(stack: &TestStack, c: &mut Checker, admin: &str) {
    use gatehouse_integration_tests::saml_idp::{Assertion, SamlIdp, form};
    let idp = SamlIdp::new("https://idp.doc.test", "https://idp.doc.test/sso", 30);
    let created = stack
        .send(
            "POST",
            "/v2/integrations/sso",
            admin,
            Some(json!({
                "name": "Doc SAML", "preset": "saml",
                "saml": {"metadata_xml": idp.metadata(), "allow_idp_initiated": true},
                "default_scopes": ["keys:read"],
            })),
        )
        .await;
    c.check("POST", "/v2/integrations/sso", &created);
    let saml = created.json()["saml"].clone();
    let local = |url: &str| {
        url.strip_prefix("http://gatehouse.test")
            .unwrap()
            .to_owned()
    };
    let metadata = "/v2/sso/{tenant_id}/{integration_id}/saml/metadata";
    let metadata_url = local(saml["sp_entity_id"].as_str().unwrap());
    c.check(
        "GET",
        metadata,
        &stack.call(TestRequest::get(&metadata_url)).await,
    );
    c.check(
        "GET",
        metadata,
        &stack
            .call(TestRequest::get(
                "/v2/sso/0000000000/0000000000/saml/metadata",
            ))
            .await,
    );
    let acs = "/v2/sso/{tenant_id}/{integration_id}/saml/acs";
    let acs_url = saml["acs_url"].as_str().unwrap();
    let post = |body: String| {
        stack.call(
            TestRequest::post(&local(acs_url)).raw_body("application/x-www-form-urlencoded", body),
        )
    };
    let assertion = Assertion::new(
        &idp,
        saml["sp_entity_id"].as_str().unwrap(),
        acs_url,
        "doc@acme.example",
        time::OffsetDateTime::now_utc(),
    );
    let response = idp.signed_response(&assertion, false);
    c.check("POST", acs, &post(form(&response, None)).await);
    c.check("POST", acs, &post(form(&response, None)).await);
    c.check("POST", acs, &post("RelayState=x".into()).await);
    c.check(
        "POST",
        acs,
        &stack
            .call(TestRequest::post(&local(acs_url)).json(&json!({"SAMLResponse": "x"})))
            .await,
    );
}
