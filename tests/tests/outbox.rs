//! The audit table is the outbox: a change's event travels in its audit item, and the
//! event publisher sends it on from the table's stream. These tests take SQS away
//! while changes commit and show that their events still arrive once it is back, and
//! that a refused change publishes nothing.

use gatehouse_devtools::pump::QueuePump;
use gatehouse_devtools::template::TemplateValue;
use gatehouse_integration_tests::TestStack;
use gatehouse_integration_tests::webhook_receiver::{Reply, official_verify, receiver, register};
use serde_json::{Value, json};

fn events_queue(stack: &TestStack) -> (aws_sdk_sqs::Client, String) {
    let url = stack
        .local
        .resolve(&TemplateValue::Ref("EventsQueue".into()))
        .unwrap();
    (aws_sdk_sqs::Client::new(&stack.sdk), url)
}

fn queue_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap()
}

#[tokio::test]
async fn events_of_changes_committed_while_sqs_fails_still_arrive() {
    let rx = receiver(vec![Reply::Status(204)]).await;
    let stack = TestStack::with_params(&[
        ("AuthCacheTtlSeconds", "0"),
        ("WebhookAllowHosts", &format!("127.0.0.1:{}", rx.port)),
        ("WebhookRetrySchedule", "1"),
    ])
    .await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let (_, secret) = register(&stack, &admin, &rx, json!(["api_key.created"])).await;
    let pump = QueuePump::new(&stack.template, &stack.local, &stack.sdk).unwrap();
    pump.pump_once(0).await.unwrap();

    // SQS loses the events queue: every send to it fails.
    let (sqs, url) = events_queue(&stack);
    sqs.delete_queue().queue_url(&url).send().await.unwrap();
    let (_, key_id) = stack
        .create_key(
            &admin,
            json!({"name": "during the outage", "scopes": ["keys:read"]}),
        )
        .await;
    // The change committed without SQS; its event waits in the outbox, and the
    // publisher's failures bring it back round after round.
    for _ in 0..3 {
        assert!(pump.pump_once(0).await.is_err(), "the events queue is gone");
    }
    assert!(rx.received.lock().unwrap().is_empty());

    // The queue is back (same name, same URL).
    let recreated = sqs
        .create_queue()
        .queue_name(queue_name(&url))
        .send()
        .await
        .unwrap();
    assert_eq!(recreated.queue_url(), Some(url.as_str()));
    for _ in 0..20 {
        pump.pump_once(1).await.unwrap();
        if !rx.received.lock().unwrap().is_empty() {
            break;
        }
    }
    let received = rx.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "exactly the one event arrives");
    let body: Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!(body["type"], "api_key.created");
    assert_eq!(body["data"]["key"]["key_id"], key_id.as_str());
    official_verify(&secret, &received[0]).expect("signed");
}

#[tokio::test]
async fn a_refused_change_publishes_nothing_and_a_committed_one_exactly_once() {
    let stack = TestStack::new().await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    stack
        .send(
            "POST",
            "/v2/api-keys",
            &admin,
            Some(json!({"name": "x", "scopes": ["no-such:scope"]})),
        )
        .await
        .assert_status(400);
    assert!(
        stack.events().await.is_empty(),
        "a refusal is audited but publishes no event"
    );
    let (_, key_id) = stack
        .create_key(&admin, json!({"name": "k", "scopes": ["keys:read"]}))
        .await;
    let events = stack.events().await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "api_key.created");
    assert_eq!(events[0]["data"]["key"]["key_id"], key_id.as_str());
    // Reading the outbox again finds nothing new.
    assert!(stack.events().await.is_empty());
}
