//! Webhook endpoint registration through the local gateway: the secret once, sealed
//! at rest, destinations refused by URL and by what they resolve to, audit.

use gatehouse::ids::WebhookId;
use gatehouse::webhooks::sealed::Owner;
use gatehouse_integration_tests::TestStack;
use serde_json::json;

async fn stack() -> TestStack {
    TestStack::with_params(&[
        ("AuthCacheTtlSeconds", "0"),
        ("WebhookAllowHosts", "127.0.0.1:9"),
    ])
    .await
}

#[tokio::test]
async fn an_endpoint_is_registered_with_a_sealed_secret_shown_once() {
    let stack = stack().await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let created = stack
        .send(
            "POST",
            "/v2/webhooks",
            &admin,
            Some(json!({
                "url": "http://127.0.0.1:9/hooks",
                "event_types": ["api_key.revoked", "api_key.created", "api_key.revoked"],
                "description": "billing",
                "rate_limit_per_second": 5
            })),
        )
        .await;
    created.assert_status(201);
    let body = created.json();
    let secret = body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(
        body["event_types"],
        json!(["api_key.created", "api_key.revoked"])
    );
    assert_eq!(
        (
            body["status"].as_str(),
            body["circuit"].as_str(),
            body["health"].as_u64()
        ),
        (Some("active"), Some("closed"), Some(100))
    );
    let id = body["webhook_id"].as_str().unwrap().to_owned();

    // Never again: not in reads, not in the stored item, not in the audit trail.
    let read = stack
        .send("GET", &format!("/v2/webhooks/{id}"), &admin, None)
        .await;
    read.assert_status(200);
    assert!(read.json().get("secret").is_none());
    let raw = &secret["whsec_".len()..];
    let stored = stack.snapshot(&tenant.tenant).await;
    assert!(
        stored.values().all(|item| !item.contains(raw)),
        "stored in plaintext"
    );
    let audit = stack.audit(&admin, "action=webhook.create").await;
    assert_eq!(audit.len(), 1);
    assert!(!audit[0].to_string().contains(raw));

    // The sealed secret opens, for this tenant and webhook, to the one returned.
    let endpoint = stack
        .app
        .endpoints
        .get(&tenant.tenant.tenant_id, &WebhookId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    let opened = stack
        .app
        .sealer
        .open(
            &endpoint.secret,
            Owner {
                tenant_id: tenant.tenant.tenant_id.as_str(),
                webhook_id: &id,
            },
        )
        .await
        .unwrap();
    assert_eq!(opened.expose(), secret);

    let listed = stack.send("GET", "/v2/webhooks", &admin, None).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    stack
        .send("DELETE", &format!("/v2/webhooks/{id}"), &admin, None)
        .await
        .assert_status(200);
    stack
        .send("GET", &format!("/v2/webhooks/{id}"), &admin, None)
        .await
        .assert_problem(404, "not-found");
    assert_eq!(stack.audit(&admin, "action=webhook.delete").await.len(), 1);
}

#[tokio::test]
async fn internal_and_unusable_destinations_are_refused() {
    let stack = stack().await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    for url in [
        "http://hooks.example.com/",
        "https://user:pw@hooks.example.com/",
        "https://127.0.0.1/",
        "http://127.0.0.1:10/not-allow-listed",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/",
        "https://[::ffff:10.0.0.1]/",
        "https://localhost/",
        "https://metadata.google.internal/",
        "https://does-not-exist.invalid/",
    ] {
        let refused = stack
            .send(
                "POST",
                "/v2/webhooks",
                &admin,
                Some(json!({"url": url, "event_types": ["*"]})),
            )
            .await;
        refused.assert_problem(400, "invalid-body");
    }
    let unknown = stack
        .send(
            "POST",
            "/v2/webhooks",
            &admin,
            Some(json!({"url": "http://127.0.0.1:9/", "event_types": ["api_key.exploded"]})),
        )
        .await;
    unknown.assert_problem(400, "invalid-body");
    assert_eq!(
        stack.send("GET", "/v2/webhooks", &admin, None).await.json()["items"],
        json!([])
    );
}
