//! `api_key.expiring` notices against moto: the scheduled scan publishes one notice
//! per key and period (7 days, then 1 day), never twice, and none for keys that are
//! disabled, rotated out or far from expiry; a moved expiry gets its own notices.

use gatehouse_integration_tests::TestStack;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

fn in_(d: Duration) -> String {
    (OffsetDateTime::now_utc() + d).format(&Rfc3339).unwrap()
}

async fn notices(stack: &TestStack) -> Vec<Value> {
    stack
        .events()
        .await
        .into_iter()
        .filter(|e| e["type"] == "api_key.expiring")
        .collect()
}

#[tokio::test]
async fn expiring_keys_are_noticed_once_per_period() {
    let stack = TestStack::new().await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let key = |name: &str, expires: Option<Duration>| {
        let mut body = json!({"name": name, "scopes": ["keys:read"]});
        if let Some(d) = expires {
            body["expires_at"] = json!(in_(d));
        }
        body
    };
    let (_, week) = stack
        .create_key(&admin, key("week", Some(Duration::days(3))))
        .await;
    let (_, day) = stack
        .create_key(&admin, key("day", Some(Duration::hours(12))))
        .await;
    stack
        .create_key(&admin, key("month", Some(Duration::days(30))))
        .await;
    stack.create_key(&admin, key("forever", None)).await;
    let (_, disabled) = stack
        .create_key(&admin, key("disabled", Some(Duration::days(2))))
        .await;
    stack
        .send(
            "PUT",
            &format!("/v2/api-keys/{disabled}"),
            &admin,
            Some(json!({"status": "disabled"})),
        )
        .await
        .assert_status(200);
    // Rotated: the old key expires at the end of its grace period, by design.
    let (_, rotated) = stack.create_key(&admin, key("rotated", None)).await;
    stack
        .send(
            "POST",
            &format!("/v2/api-keys/{rotated}/rotate"),
            &admin,
            Some(json!({"grace_period_seconds": 3600})),
        )
        .await
        .assert_status(201);
    stack.events().await; // drain the lifecycle events

    let notifier = stack.function_app("KeyExpiryNotifierFunction");
    let first = gatehouse_functions::keys::expiry_notifier::handle(&notifier)
        .await
        .unwrap();
    assert_eq!((first.expiring, first.notified), (2, 2), "{first:?}");
    let sent = notices(&stack).await;
    let mut seen: Vec<(String, String)> = sent
        .iter()
        .map(|e| {
            (
                e["data"]["key"]["key_id"].as_str().unwrap().to_owned(),
                e["data"]["notice"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let mut want = vec![(week.clone(), "7d".to_owned()), (day, "1d".to_owned())];
    want.sort();
    assert_eq!(seen, want);
    assert!(
        sent.iter()
            .all(|e| e["data"]["expires_in_seconds"].as_i64().unwrap() > 0
                && e["data"]["key"].get("verifier").is_none()),
        "{sent:?}"
    );

    let again = gatehouse_functions::keys::expiry_notifier::handle(&notifier)
        .await
        .unwrap();
    assert_eq!((again.notified, again.already), (0, 2), "never twice");
    assert!(notices(&stack).await.is_empty());

    // The week key's expiry moves inside a day: a notice for the new expiry.
    stack
        .send(
            "PUT",
            &format!("/v2/api-keys/{week}"),
            &admin,
            Some(json!({"expires_at": in_(Duration::hours(20))})),
        )
        .await
        .assert_status(200);
    stack.events().await;
    let moved = gatehouse_functions::keys::expiry_notifier::handle(&notifier)
        .await
        .unwrap();
    assert_eq!(moved.notified, 1, "{moved:?}");
    let sent = notices(&stack).await;
    assert_eq!(sent[0]["data"]["key"]["key_id"], week.as_str());
    assert_eq!(sent[0]["data"]["notice"], "1d");
}

/// A notice whose audit item (the outbox) cannot be written is released, so the next
/// run sends it.
#[tokio::test]
async fn a_notice_not_published_is_sent_by_the_next_run() {
    let stack = TestStack::new().await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let (_, soon) = stack
        .create_key(
            &admin,
            json!({"name": "soon", "scopes": ["keys:read"], "expires_at": in_(Duration::hours(3))}),
        )
        .await;
    stack.events().await;
    let notifier = stack.function_app("KeyExpiryNotifierFunction");
    // An audit table that does not exist (of no stack): every write fails.
    let dynamodb = aws_sdk_dynamodb::Client::new(&gatehouse_devtools::pump::function_sdk(
        &stack.sdk,
        "KeyExpiryNotifierFunction",
    ));
    let unreachable = gatehouse::App {
        audit: gatehouse::audit::AuditStore::new(dynamodb, "nostack-AuditTable", 30),
        ..notifier.clone()
    };
    let failed = gatehouse_functions::keys::expiry_notifier::handle(&unreachable).await;
    assert!(failed.is_err(), "{failed:?}");
    assert!(notices(&stack).await.is_empty());

    let next = gatehouse_functions::keys::expiry_notifier::handle(&notifier)
        .await
        .unwrap();
    assert_eq!(next.notified, 1, "{next:?}");
    let sent = notices(&stack).await;
    assert_eq!(sent[0]["data"]["key"]["key_id"], soon.as_str());
}
