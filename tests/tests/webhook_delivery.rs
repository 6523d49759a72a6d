//! Webhook delivery end to end against moto and local receivers: domain events fan
//! out to subscribed endpoints, every attempt is signed (checked by the official
//! Standard Webhooks library), failures are retried on the configured schedule with
//! the same webhook-id, given up into the dead-letter queue with their reason, and a
//! 410 disables the endpoint.

use gatehouse::ids::WebhookId;
use gatehouse::webhooks::delivery::DeliveryStatus;
use gatehouse_devtools::pump::QueuePump;
use gatehouse_devtools::template::TemplateValue;
use gatehouse_integration_tests::TestStack;
use gatehouse_integration_tests::webhook_receiver::{
    Receiver, Reply, official_verify, receiver, register,
};
use serde_json::{Value, json};

async fn stack_for(receiver: &Receiver, schedule: &str) -> TestStack {
    TestStack::with_params(&[
        ("AuthCacheTtlSeconds", "0"),
        ("WebhookAllowHosts", &format!("127.0.0.1:{}", receiver.port)),
        ("WebhookRetrySchedule", schedule),
    ])
    .await
}

/// Pumps both queues until every delivery of the webhook has ended (or panics).
async fn pump_until_settled(
    stack: &TestStack,
    tenant: &gatehouse::ids::TenantId,
    webhook: &str,
    expected: usize,
) {
    let pump = QueuePump::new(&stack.template, &stack.local, &stack.sdk).unwrap();
    let id = WebhookId::parse(webhook).unwrap();
    for _ in 0..60 {
        pump.pump_once(1).await.unwrap();
        let rows = stack.deliveries(tenant, &id).await;
        if rows.len() >= expected && rows.iter().all(|r| r.status != DeliveryStatus::Pending) {
            return;
        }
    }
    panic!("deliveries did not settle");
}

#[tokio::test]
async fn subscribed_events_are_delivered_signed() {
    let rx = receiver(vec![Reply::Status(204)]).await;
    let stack = stack_for(&rx, "1").await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let (hook, secret) = register(
        &stack,
        &admin,
        &rx,
        json!(["api_key.created", "api_key.revoked"]),
    )
    .await;
    let (full_key, key_id) = stack
        .create_key(&admin, json!({"name": "k", "scopes": ["keys:read"]}))
        .await;
    stack
        .send(
            "PUT",
            &format!("/v2/api-keys/{key_id}"),
            &admin,
            Some(json!({"name": "renamed"})),
        )
        .await
        .assert_status(200); // api_key.updated: not subscribed
    stack
        .send(
            "DELETE",
            &format!("/v2/api-keys/{key_id}"),
            &admin,
            Some(json!({"reason": "done"})),
        )
        .await
        .assert_status(200);
    pump_until_settled(&stack, &tenant.tenant.tenant_id, &hook, 2).await;

    let received = rx.received.lock().unwrap().clone();
    let types: Vec<String> = received
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(&r.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(types.len(), 2, "{types:?}");
    assert!(
        types.contains(&"api_key.created".to_owned())
            && types.contains(&"api_key.revoked".to_owned())
    );
    for r in &received {
        official_verify(&secret, r).expect("the official verifier accepts the delivery");
        assert!(r.header("webhook-id").starts_with("evt_"));
        assert!(!r.body.contains(&full_key), "events never carry keys");
    }
}

#[tokio::test]
async fn failures_retry_with_one_webhook_id_until_delivered() {
    let rx = receiver(vec![
        Reply::RetryAfter,
        Reply::Drop,
        Reply::Status(500),
        Reply::Status(200),
    ])
    .await;
    let stack = stack_for(&rx, "1,1,1,1").await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let (hook, secret) = register(&stack, &admin, &rx, json!(["*"])).await;
    stack
        .create_key(&admin, json!({"name": "k", "scopes": ["keys:read"]}))
        .await;
    pump_until_settled(&stack, &tenant.tenant.tenant_id, &hook, 1).await;

    let received = rx.received.lock().unwrap().clone();
    assert_eq!(received.len(), 4, "three failures, then success");
    let ids: std::collections::BTreeSet<&str> =
        received.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(ids.len(), 1, "every attempt carries the same webhook-id");
    assert!(
        received.windows(2).all(|w| w[0].body == w[1].body),
        "byte-identical retries"
    );
    official_verify(&secret, &received[3]).unwrap();

    let rows = stack
        .deliveries(&tenant.tenant.tenant_id, &WebhookId::parse(&hook).unwrap())
        .await;
    let (delivery, attempts) = stack
        .app
        .deliveries
        .get(&tenant.tenant.tenant_id, &rows[0].delivery_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(delivery.status, DeliveryStatus::Delivered);
    let statuses: Vec<Option<u16>> = attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(503), None, Some(500), Some(200)]);
    assert!(
        attempts[1].error.is_some(),
        "the dropped connection is classified"
    );
}

#[tokio::test]
async fn exhausted_deliveries_go_to_the_dead_letter_queue_and_410_disables() {
    let rx = receiver(vec![Reply::Status(500)]).await;
    let stack = stack_for(&rx, "1,1").await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let (hook, _) = register(&stack, &admin, &rx, json!(["api_key.created"])).await;
    stack
        .create_key(&admin, json!({"name": "k", "scopes": ["keys:read"]}))
        .await;
    pump_until_settled(&stack, &tenant.tenant.tenant_id, &hook, 1).await;
    assert_eq!(
        rx.received.lock().unwrap().len(),
        3,
        "the first attempt and two retries"
    );

    let sqs = aws_sdk_sqs::Client::new(&stack.sdk);
    let dlq = stack
        .local
        .resolve(&TemplateValue::Ref("DeliveryDeadLetterQueue".into()))
        .unwrap();
    let out = sqs
        .receive_message()
        .queue_url(&dlq)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let messages = out.messages.unwrap_or_default();
    assert_eq!(messages.len(), 1);
    let dead: Value = serde_json::from_str(messages[0].body().unwrap()).unwrap();
    assert!(
        dead["reason"].as_str().unwrap().contains("3 attempts"),
        "{dead}"
    );
    let failed: Vec<Value> = stack
        .events()
        .await
        .into_iter()
        .filter(|e| e["type"] == "webhook.delivery_failed")
        .collect();
    assert_eq!(failed.len(), 1, "an operational event");

    // A 410 disables the endpoint at once.
    let gone = receiver(vec![Reply::Status(410)]).await;
    let stack = stack_for(&gone, "1,1").await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let (hook, _) = register(&stack, &admin, &gone, json!(["api_key.created"])).await;
    stack
        .create_key(&admin, json!({"name": "k", "scopes": ["keys:read"]}))
        .await;
    pump_until_settled(&stack, &tenant.tenant.tenant_id, &hook, 1).await;
    assert_eq!(gone.received.lock().unwrap().len(), 1, "no retry after 410");
    let endpoint = stack
        .send("GET", &format!("/v2/webhooks/{hook}"), &admin, None)
        .await
        .json();
    assert_eq!(endpoint["status"], "disabled", "{endpoint}");
    assert!(
        endpoint["disabled"]["reason"]
            .as_str()
            .unwrap()
            .contains("410")
    );
}

#[tokio::test]
async fn test_ping_rotation_disable_and_manual_retry() {
    let rx = receiver(vec![Reply::Status(200)]).await;
    let stack = stack_for(&rx, "1").await;
    let tenant = stack.tenant("Acme").await;
    let tenant_id = tenant.tenant.tenant_id.clone();
    let admin = tenant.admin_key.expose().to_owned();
    let (hook, old_secret) = register(&stack, &admin, &rx, json!(["*"])).await;
    let base = format!("/v2/webhooks/{hook}");

    // A test ping goes out at once, signed.
    let ping = stack
        .send("POST", &format!("{base}/test"), &admin, None)
        .await
        .json();
    assert_eq!(
        (ping["status_code"].as_u64(), ping["success"].as_bool()),
        (Some(200), Some(true)),
        "{ping}"
    );
    let first = rx.received.lock().unwrap()[0].clone();
    assert!(first.body.contains("webhook.test"));
    official_verify(&old_secret, &first).unwrap();

    // During a rotation's grace period, receivers holding either secret verify.
    let rotated = stack
        .send(
            "POST",
            &format!("{base}/rotate-secret"),
            &admin,
            Some(json!({"grace_period_seconds": 3600})),
        )
        .await
        .json();
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, old_secret);
    stack
        .create_key(&admin, json!({"name": "a", "scopes": ["keys:read"]}))
        .await;
    pump_until_settled(&stack, &tenant_id, &hook, 1).await;
    let delivered = rx.received.lock().unwrap().last().cloned().unwrap();
    official_verify(&old_secret, &delivered).unwrap();
    official_verify(&new_secret, &delivered).unwrap();

    // Disabled after a delivery was queued: it is skipped. Enabled again, the skipped
    // delivery can be retried. (Events while disabled make no deliveries at all.)
    stack
        .create_key(&admin, json!({"name": "b", "scopes": ["keys:read"]}))
        .await;
    for event in stack.events().await {
        let event: gatehouse::events::DomainEvent = serde_json::from_value(event).unwrap();
        gatehouse::webhooks::dispatch::fan_out(&stack.app, &event, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
    }
    stack
        .send(
            "POST",
            &format!("{base}/disable"),
            &admin,
            Some(json!({"reason": "maintenance"})),
        )
        .await
        .assert_status(200);
    pump_until_settled(&stack, &tenant_id, &hook, 2).await;
    let received_before = rx.received.lock().unwrap().len();
    let skipped = stack
        .send(
            "GET",
            &format!("{base}/deliveries?status=skipped"),
            &admin,
            None,
        )
        .await
        .json();
    let skipped_id = skipped["items"][0]["delivery_id"]
        .as_str()
        .expect("a skipped delivery")
        .to_owned();
    stack
        .send("POST", &format!("{base}/enable"), &admin, None)
        .await
        .assert_status(200);
    stack
        .send(
            "POST",
            &format!("/v2/webhooks/deliveries/{skipped_id}/retry"),
            &admin,
            None,
        )
        .await
        .assert_status(202);
    pump_until_settled(&stack, &tenant_id, &hook, 2).await;
    assert_eq!(rx.received.lock().unwrap().len(), received_before + 1);
    let detail = stack
        .send(
            "GET",
            &format!("/v2/webhooks/deliveries/{skipped_id}"),
            &admin,
            None,
        )
        .await
        .json();
    assert_eq!(detail["delivery"]["status"], "delivered", "{detail}");
    assert_eq!(detail["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(
        stack
            .audit(&admin, "action=webhook.rotate_secret")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn update_recover_and_report() {
    let rx = receiver(vec![
        Reply::Status(500),
        Reply::Status(500),
        Reply::Status(500),
        Reply::Status(500),
        Reply::Status(204),
    ])
    .await;
    let stack = stack_for(&rx, "1").await;
    let tenant = stack.tenant("Acme").await;
    let tenant_id = &tenant.tenant.tenant_id;
    let admin = tenant.admin_key.expose().to_owned();
    let (hook, _) = register(&stack, &admin, &rx, json!(["api_key.revoked"])).await;
    let one_hook = format!("/v2/webhooks/{hook}");

    // Update: checked before anything changes; a bad body leaves the endpoint as it was.
    let before = stack.send("GET", &one_hook, &admin, None).await.json();
    for (body, problem) in [
        (json!({"url": "https://169.254.169.254/x"}), "invalid-body"),
        (json!({"event_types": ["api_key.lost"]}), "invalid-body"),
        (json!({"rate_limit_per_second": 0}), "invalid-body"),
        (json!({"secret": "whsec_x"}), "invalid-body"),
        (json!({}), "invalid-body"),
    ] {
        stack
            .send("PUT", &one_hook, &admin, Some(body))
            .await
            .assert_problem(400, problem);
    }
    assert_eq!(
        stack.send("GET", &one_hook, &admin, None).await.json(),
        before
    );
    let updated = stack
        .send(
            "PUT",
            &one_hook,
            &admin,
            Some(json!({
                "event_types": ["api_key.created", "api_key.revoked"],
                "description": "  billing  ",
                "rate_limit_per_second": 50,
            })),
        )
        .await;
    updated.assert_status(200);
    let updated = updated.json();
    assert_eq!(
        updated["event_types"],
        json!(["api_key.created", "api_key.revoked"])
    );
    assert_eq!(updated["description"], "billing");
    assert_eq!(updated["rate_limit_per_second"], 50);
    let cleared = stack
        .send(
            "PUT",
            &one_hook,
            &admin,
            Some(json!({"rate_limit_per_second": null})),
        )
        .await
        .json();
    assert_eq!(cleared["rate_limit_per_second"], Value::Null);
    assert_eq!(cleared["description"], "billing", "left out: kept");
    let audit = stack
        .send("GET", "/v2/audit?action=webhook.update", &admin, None)
        .await
        .json();
    let changed: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["outcome"] == "success")
        .collect();
    assert_eq!(changed.len(), 2, "refusals are audited apart: {audit}");
    assert_eq!(
        changed[0]["changes"],
        json!([{"field": "rate_limit_per_second", "from": 50, "to": null}])
    );

    // Two deliveries fail (4 attempts answered 500); the report shows it.
    for name in ["a", "b"] {
        stack
            .create_key(&admin, json!({"name": name, "scopes": ["keys:read"]}))
            .await;
    }
    pump_until_settled(&stack, tenant_id, &hook, 2).await;
    let report = stack
        .send("GET", "/v2/webhooks/report", &admin, None)
        .await
        .json();
    let stats = &report["items"][0]["stats"];
    assert_eq!(
        (
            &stats["deliveries"],
            &stats["failed"],
            &stats["attempts"],
            &stats["retries"]
        ),
        (&json!(2), &json!(2), &json!(4), &json!(2)),
        "{report}"
    );
    assert_eq!(stats["success_rate"], 0.0);
    assert!(stats["latency_ms"]["max"].as_u64().is_some(), "{report}");

    // Recover re-sends both (the receiver answers 204 now), once.
    let since = (time::OffsetDateTime::now_utc() - time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let recovered = stack
        .send(
            "POST",
            &format!("{one_hook}/recover"),
            &admin,
            Some(json!({"since": since})),
        )
        .await;
    recovered.assert_status(202);
    assert_eq!(recovered.json(), json!({"queued": 2, "more": false}));
    let again = stack
        .send(
            "POST",
            &format!("{one_hook}/recover"),
            &admin,
            Some(json!({"since": since})),
        )
        .await
        .json();
    assert_eq!(again["queued"], 0, "pending now: not queued twice");
    pump_until_settled(&stack, tenant_id, &hook, 2).await;
    assert_eq!(rx.received.lock().unwrap().len(), 6);
    let report = stack
        .send("GET", "/v2/webhooks/report", &admin, None)
        .await
        .json();
    let stats = &report["items"][0]["stats"];
    assert_eq!(
        (&stats["delivered"], &stats["failed"], &stats["attempts"]),
        (&json!(2), &json!(0), &json!(6)),
        "{report}"
    );
    assert_eq!(stats["success_rate"], 100.0);
    assert_eq!(stats["attempts_per_delivery"], 3.0);

    // A disabled endpoint is not recovered into.
    stack
        .send(
            "POST",
            &format!("{one_hook}/disable"),
            &admin,
            Some(json!({"reason": "maintenance"})),
        )
        .await
        .assert_status(200);
    stack
        .send(
            "POST",
            &format!("{one_hook}/recover"),
            &admin,
            Some(json!({"since": since})),
        )
        .await
        .assert_problem(409, "conflict");
}

/// An endpoint's rate limit holds attempts back without using them: every delivery
/// still arrives, none is counted as a failure.
#[tokio::test]
async fn a_rate_limited_endpoint_still_gets_every_delivery() {
    let rx = receiver(vec![Reply::Status(204)]).await;
    let stack = stack_for(&rx, "1").await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let (hook, _) = register(&stack, &admin, &rx, json!(["api_key.created"])).await;
    stack
        .send(
            "PUT",
            &format!("/v2/webhooks/{hook}"),
            &admin,
            Some(json!({"rate_limit_per_second": 1})),
        )
        .await
        .assert_status(200);
    for n in 0..3 {
        stack
            .create_key(
                &admin,
                json!({"name": format!("k{n}"), "scopes": ["keys:read"]}),
            )
            .await;
    }
    pump_until_settled(&stack, &tenant.tenant.tenant_id, &hook, 3).await;
    let id = WebhookId::parse(&hook).unwrap();
    let rows = stack.deliveries(&tenant.tenant.tenant_id, &id).await;
    assert!(
        rows.iter().all(|r| r.status == DeliveryStatus::Delivered),
        "{rows:?}"
    );
    assert!(
        rows.iter().all(|r| r.attempts == 1),
        "held back, not retried: {rows:?}"
    );
    assert_eq!(rx.received.lock().unwrap().len(), 3);
}
