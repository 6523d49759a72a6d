//! The webhook circuit breaker against moto: concurrent attempts on one endpoint are
//! counted exactly by atomic updates, and a failing endpoint's circuit opens and holds
//! its deliveries back without using their attempts.

use futures_util::future::join_all;
use gatehouse::ids::WebhookId;
use gatehouse::webhooks::circuit::Policy;
use gatehouse::webhooks::delivery::DeliveryStatus;
use gatehouse_devtools::pump::QueuePump;
use gatehouse_integration_tests::TestStack;
use gatehouse_integration_tests::webhook_receiver::{Reply, receiver, register};
use serde_json::json;

#[tokio::test]
async fn concurrent_attempts_are_counted_exactly_and_windows_roll() {
    let stack = TestStack::new().await;
    let tenant = stack.tenant("Acme").await;
    let (tenant, hook) = (&tenant.tenant.tenant_id, WebhookId::generate().unwrap());
    let policy = Policy::DEFAULT;
    let now = gatehouse::webhooks::circuit::window_start(&policy, stack.app.clock.now()) + 10;
    let now = time::OffsetDateTime::from_unix_timestamp(now).unwrap();
    let counted = join_all((0..40).map(|i| {
        stack
            .app
            .deliveries
            .count_attempt(tenant, &hook, &policy, i % 4 == 0, now)
    }))
    .await;
    assert!(counted.iter().all(Result::is_ok), "{counted:?}");
    let counts = stack.app.deliveries.counts(tenant, &hook).await.unwrap();
    assert_eq!((counts.attempts, counts.failures), (40, 30));
    assert_eq!(counts.health_score(&policy, now), 25);

    let next = now + policy.window;
    let rolled = stack
        .app
        .deliveries
        .count_attempt(tenant, &hook, &policy, false, next)
        .await
        .unwrap();
    assert_eq!(
        (
            rolled.attempts,
            rolled.failures,
            rolled.last_attempts,
            rolled.last_failures
        ),
        (1, 1, 40, 30)
    );
    assert_eq!(
        rolled.health_score(&policy, next),
        25,
        "the last window until this one has volume"
    );
    let success = stack
        .app
        .deliveries
        .count_attempt(tenant, &hook, &policy, true, next)
        .await
        .unwrap();
    assert_eq!(
        success.failing_since, None,
        "a success ends the failing run"
    );
}

#[tokio::test]
async fn a_failing_endpoint_opens_its_circuit_and_holds_deliveries() {
    gatehouse_integration_tests::emf::init();
    let rx = receiver(vec![Reply::Status(500)]).await;
    let stack = TestStack::with_params(&[
        ("AuthCacheTtlSeconds", "0"),
        ("WebhookAllowHosts", &format!("127.0.0.1:{}", rx.port)),
        ("WebhookRetrySchedule", "1,1,1"),
        ("WebhookCircuitMinVolume", "5"),
    ])
    .await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let (hook, _) = register(&stack, &admin, &rx, json!(["api_key.updated"])).await;
    let (_, key_id) = stack
        .create_key(&admin, json!({"name": "k", "scopes": ["keys:read"]}))
        .await;
    for i in 0..8 {
        stack
            .send(
                "PUT",
                &format!("/v2/api-keys/{key_id}"),
                &admin,
                Some(json!({"name": format!("renamed {i}")})),
            )
            .await
            .assert_status(200);
    }
    let pump = QueuePump::new(&stack.template, &stack.local, &stack.sdk).unwrap();
    for _ in 0..8 {
        pump.pump_once(1).await.unwrap();
    }

    let hits = rx.received.lock().unwrap().len();
    let id = WebhookId::parse(&hook).unwrap();
    let tenant_id = &tenant.tenant.tenant_id;
    let counts = stack.app.deliveries.counts(tenant_id, &id).await.unwrap();
    assert_eq!(counts.attempts as usize, hits, "every attempt counted once");
    assert!(
        (5..=8).contains(&hits),
        "the circuit opened after 5 failures and held the retries: {hits} attempts"
    );
    let view = stack
        .send("GET", &format!("/v2/webhooks/{hook}"), &admin, None)
        .await
        .json();
    assert_eq!(view["circuit"], "open", "{view}");
    assert_eq!(view["health"], 0, "{view}");
    let rows = stack.deliveries(tenant_id, &id).await;
    assert_eq!(rows.len(), 8);
    assert!(
        rows.iter()
            .all(|r| r.status == DeliveryStatus::Pending && r.attempts <= 2),
        "held, not failed: {rows:?}"
    );
    gatehouse_integration_tests::emf::assert_emitted(
        "WebhookEndpointChanges",
        &[("State", "open")],
    );
}
