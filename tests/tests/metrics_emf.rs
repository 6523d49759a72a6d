//! Metrics as CloudWatch Embedded Metric Format: the authorizer, the key routes and
//! the event publisher, the webhook dispatcher, the secret store, the SIEM forwarder
//! and the integration prober write EMF lines that follow the format's rules, under
//! the names, units and dimensions `gatehouse::telemetry::metrics::CATALOGUE`
//! declares, with bounded dimension values and never a key, tenant or request id.
//! (SSO logins, webhook circuit changes, SIEM lag and secret-store errors are
//! checked where their tests drive them: sso_ldap, webhook_circuit,
//! siem_destinations, integrations.)

use gatehouse::ids::WebhookId;
use gatehouse::telemetry::metrics::CATALOGUE;
use gatehouse::webhooks::delivery::DeliveryStatus;
use gatehouse_devtools::pump::QueuePump;
use gatehouse_functions::authorizer::{Outcome, handle_event};
use gatehouse_integration_tests::TestStack;
use gatehouse_integration_tests::emf::{self, assert_emitted, emitted};
use gatehouse_integration_tests::webhook_receiver::{Reply, receiver, register};
use serde_json::json;

/// Metrics whose tests are elsewhere (see the module's comment).
const CHECKED_ELSEWHERE: &[&str] = &[
    "SsoLogins",
    "WebhookEndpointChanges",
    "SiemLag",
    "SecretStoreErrors",
];

#[tokio::test]
async fn every_function_writes_valid_emf_for_the_declared_metrics() {
    emf::init();
    let rx = receiver(vec![Reply::Status(204)]).await;
    // A cache TTL long enough that the second request is answered from the cache.
    let stack = TestStack::with_params(&[
        ("AuthCacheTtlSeconds", "60"),
        ("WebhookAllowHosts", &format!("127.0.0.1:{}", rx.port)),
    ])
    .await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();

    // The authorizer: an uncached allow, a cached one, and two denies.
    let authorizer = stack.function_app("AuthorizerFunction");
    let event = |token: &str| {
        json!({
            "type": "REQUEST",
            "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/v2/api-keys",
            "resource": "/v2/api-keys",
            "httpMethod": "GET",
            "headers": { "Authorization": format!("Bearer {token}") },
            "requestContext": { "requestId": "r1", "identity": { "sourceIp": "203.0.113.7" } }
        })
    };
    for token in [
        admin.as_str(),
        admin.as_str(),
        "gh_live_not-a-key",
        &format!("{admin}x"),
    ] {
        let Outcome::Response(_) = handle_event(&authorizer, event(token)).await else {
            panic!("a response");
        };
    }

    // Key changes, counted by the event publisher; one delivered to a webhook.
    let (hook, _) = register(&stack, &admin, &rx, json!(["api_key.created"])).await;
    let (_, key_id) = stack
        .create_key(&admin, json!({"name": "k", "scopes": ["keys:read"]}))
        .await;
    stack
        .send(
            "POST",
            &format!("/v2/api-keys/{key_id}/compromise"),
            &admin,
            Some(json!({"description": "pasted in a public issue"})),
        )
        .await
        .assert_status(200);
    let pump = QueuePump::new(&stack.template, &stack.local, &stack.sdk).unwrap();
    let hook = WebhookId::parse(&hook).unwrap();
    for _ in 0..30 {
        pump.pump_once(1).await.unwrap();
        let rows = stack.deliveries(&tenant.tenant.tenant_id, &hook).await;
        if !rows.is_empty() && rows.iter().all(|r| r.status != DeliveryStatus::Pending) {
            break;
        }
    }

    // A secret written and read in Gatehouse's own store.
    stack
        .send(
            "POST",
            "/v2/secrets/data/app/db",
            &admin,
            Some(json!({"data": {"password": "s3cret"}})),
        )
        .await
        .assert_status(201);
    stack
        .send("GET", "/v2/secrets/data/app/db", &admin, None)
        .await
        .assert_status(200);

    // The SIEM forwarder: an unreadable message, and one for a destination that is
    // gone.
    let forwarder = stack.function_app("SiemForwarderFunction");
    let now = time::OffsetDateTime::now_utc();
    let audit = gatehouse::audit::AuditEvent::system(
        &tenant.tenant.tenant_id,
        "api_key.create",
        "tests",
        now,
    );
    let gone = gatehouse::siem::delivery::SiemMessage {
        destination_tenant: tenant.tenant.tenant_id.clone(),
        destination_id: gatehouse::ids::IntegrationId::parse("siem000001").unwrap(),
        event: gatehouse::siem::event::SecurityEvent::from_audit(&audit),
        attempt: 1,
        first_queued_at: now,
        due_at: now,
    };
    let gone = serde_json::to_string(&gone).unwrap();
    let batch: aws_lambda_events::sqs::SqsEvent = serde_json::from_value(json!({
        "Records": [
            {"messageId": "m1", "body": "not json"},
            {"messageId": "m2", "body": gone},
        ]
    }))
    .unwrap();
    gatehouse_functions::siem::forwarder::handle(&forwarder, batch).await;

    // The integration prober, with no Vault configured.
    let prober = stack.function_app("IntegrationProberFunction");
    gatehouse_functions::integrations::prober::handle(&prober)
        .await
        .unwrap();

    let all = emitted();
    let text = format!("{all:?}");
    assert!(!text.contains(&admin), "no key in the metrics");
    assert!(
        !text.contains(tenant.tenant.tenant_id.as_str()),
        "no tenant id"
    );
    assert!(!text.contains(&key_id), "no key id");
    for (name, _, _) in CATALOGUE {
        assert!(
            CHECKED_ELSEWHERE.contains(name) || all.iter().any(|e| e.name == *name),
            "`{name}` was not emitted: {text}"
        );
    }
    for (outcome, reason) in [("allow", "none"), ("deny", "malformed")] {
        assert_emitted(
            "AuthorizerDecisions",
            &[("Outcome", outcome), ("Reason", reason)],
        );
    }
    for path in ["cached", "uncached"] {
        assert_emitted("AuthorizerLatency", &[("Path", path)]);
    }
    for result in ["hit", "miss"] {
        assert_emitted("AuthorizerKeyCache", &[("Result", result)]);
    }
    for action in ["create", "compromise"] {
        assert_emitted("KeyEvents", &[("Action", action)]);
    }
    assert_emitted("SecurityEvents", &[("Kind", "compromise")]);
    assert_emitted("WebhookAttempts", &[("Outcome", "delivered")]);
    assert_emitted("WebhookAttemptLatency", &[("Result", "success")]);
    for operation in ["write", "read"] {
        assert_emitted(
            "SecretStoreLatency",
            &[("Store", "aws"), ("Operation", operation)],
        );
    }
    assert_emitted("SiemEvents", &[("Outcome", "dropped")]);
    assert_emitted("Errors", &[("Class", "unreadable_message")]);
    assert_emitted("IntegrationsUnhealthy", &[("Kind", "vault")]);
}
