//! The authorizer's warm cache: the revocation bound it documents, and the counting of
//! failed verifications into a security event.

use gatehouse::App;
use gatehouse::auth::{self, Decision, DenyReason};
use gatehouse::clock::ManualClock;
use gatehouse::ids::KeyId;
use gatehouse::keys::{ApiKey, KeyEnvironment, KeyPrefix};
use gatehouse_integration_tests::TestStack;
use serde_json::json;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

#[tokio::test]
async fn a_revoked_key_passes_for_at_most_the_cache_ttl() {
    let stack = TestStack::with_params(&[("AuthCacheTtlSeconds", "5")]).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let (key, id) = stack
        .create_key(admin, json!({"name": "cached", "scopes": ["keys:read"]}))
        .await;
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let authorizer = App {
        clock: clock.clone(),
        ..stack.app.clone()
    };
    assert_eq!(authorizer.config.auth_cache_ttl, Duration::seconds(5));

    assert!(matches!(
        auth::authenticate(&authorizer, Some(&key)).await,
        Decision::Allow(_)
    ));
    let revoked = stack
        .send(
            "DELETE",
            &format!("/v2/api-keys/{id}"),
            admin,
            Some(json!({"reason": "test"})),
        )
        .await;
    assert_eq!(revoked.status, 200);

    clock.advance(Duration::milliseconds(4_900));
    assert!(
        matches!(
            auth::authenticate(&authorizer, Some(&key)).await,
            Decision::Allow(_)
        ),
        "within the TTL the warm cache still answers: this is the documented bound"
    );
    clock.advance(Duration::milliseconds(100));
    assert_eq!(
        auth::authenticate(&authorizer, Some(&key)).await,
        Decision::Deny(DenyReason::Revoked)
    );
}

#[tokio::test]
async fn without_the_cache_a_revocation_is_seen_by_the_next_request() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let (key, id) = stack
        .create_key(admin, json!({"name": "uncached", "scopes": ["keys:read"]}))
        .await;
    assert!(matches!(
        auth::authenticate(&stack.app, Some(&key)).await,
        Decision::Allow(_)
    ));
    stack
        .send(
            "DELETE",
            &format!("/v2/api-keys/{id}"),
            admin,
            Some(json!({"reason": "test"})),
        )
        .await;
    assert_eq!(
        auth::authenticate(&stack.app, Some(&key)).await,
        Decision::Deny(DenyReason::Revoked)
    );
}

#[tokio::test]
async fn repeated_failed_verifications_raise_one_security_event() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let (_, id) = stack
        .create_key(admin, json!({"name": "target", "scopes": ["keys:read"]}))
        .await;
    stack.events().await; // drain the creation event
    let mut app = stack.function_app("AuthorizerFunction");
    app.config.failure_policy.threshold = 3;
    let guess = || {
        ApiKey::generate(
            &KeyPrefix::parse("gh").unwrap(),
            KeyEnvironment::Live,
            &acme.tenant.tenant_id,
            &KeyId::parse(&id).unwrap(),
        )
        .unwrap()
        .expose()
        .to_owned()
    };
    let first = guess();
    for _ in 0..5 {
        // The same wrong key again and again is refused from the negative cache and
        // counted once.
        assert_eq!(
            auth::authenticate(&app, Some(&first)).await,
            Decision::Deny(DenyReason::Unknown)
        );
    }
    assert!(
        stack.events().await.is_empty(),
        "one distinct failure is below the threshold"
    );
    for _ in 0..4 {
        assert_eq!(
            auth::authenticate(&app, Some(&guess())).await,
            Decision::Deny(DenyReason::Unknown)
        );
    }
    let events = stack.events().await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "api_key.verification_failures");
    assert_eq!(events[0]["category"], "security");
    assert_eq!(events[0]["data"]["key_id"], id.as_str());
    assert_eq!(events[0]["data"]["attempts"], 3);
    let started = events[0]["data"]["window_started_at"].as_str().unwrap();
    time::OffsetDateTime::parse(started, &time::format_description::well_known::Rfc3339)
        .expect("window_started_at is RFC 3339, like every published time");
    let audit = stack
        .audit(
            admin,
            &format!("action=api_key.verification_failures&key_id={id}"),
        )
        .await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["actor"]["principal"], "anonymous");
}
