//! The authorizer's decisions against stored keys: status, expiry to the second,
//! rehash on use, and no panic on any header.

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use gatehouse::App;
use gatehouse::auth::{self, Decision, DenyReason};
use gatehouse::clock::FixedClock;
use gatehouse::keys::issue::{NewKey, issue_key};
use gatehouse::keys::model::{DisplayName, Principal};
use gatehouse::keys::{Argon2Params, KeyVerifier, Scope, ScopeSet};
use gatehouse_integration_tests::TestStack;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

fn app_at(stack: &TestStack, now: OffsetDateTime) -> App {
    App {
        clock: Arc::new(FixedClock(now)),
        ..stack.app.clone()
    }
}

fn spec(expires_at: Option<OffsetDateTime>) -> NewKey {
    NewKey {
        expires_at,
        ..NewKey::new(
            DisplayName::parse("expiring").unwrap(),
            ScopeSet::new(vec![Scope::parse("keys:read").unwrap()]).unwrap(),
            Principal::parse("service:billing").unwrap(),
        )
    }
}

#[tokio::test]
async fn expiry_is_enforced_to_the_second() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let expires = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() + Duration::hours(1);
    let (key, _) = issue_key(&stack.app, &acme.tenant, spec(Some(expires)))
        .await
        .unwrap();

    let just_before = auth::authenticate(
        &app_at(&stack, expires - Duration::seconds(1)),
        Some(key.expose()),
    )
    .await;
    let Decision::Allow(grant) = just_before else {
        panic!("allowed one second before expiry: {just_before:?}")
    };
    assert_eq!(grant.principal, "service:billing");
    assert_eq!(grant.scopes.to_space_separated(), "keys:read");
    for at in [expires, expires + Duration::seconds(1)] {
        assert_eq!(
            auth::authenticate(&app_at(&stack, at), Some(key.expose())).await,
            Decision::Deny(DenyReason::Expired)
        );
    }
}

#[tokio::test]
async fn weak_verifiers_are_upgraded_on_successful_use() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let authorizer = stack.function_app("AuthorizerFunction");
    let weak = Argon2Params {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };
    let weak_app = App {
        verifier: KeyVerifier::new(weak).unwrap(),
        ..stack.app.clone()
    };
    let (key, record) = issue_key(&weak_app, &acme.tenant, spec(None))
        .await
        .unwrap();
    assert!(record.verifier.contains("m=1024"));

    assert!(matches!(
        auth::authenticate(&authorizer, Some(key.expose())).await,
        Decision::Allow(_)
    ));
    let stored = stack
        .app
        .keys
        .get(&record.tenant_id, &record.key_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored
            .verifier
            .contains(&format!("m={}", Argon2Params::DEFAULT.memory_kib)),
        "{}",
        stored.verifier
    );
    assert_ne!(stored.verifier, record.verifier);
    // The upgraded verifier still accepts the key, and a wrong secret is still refused.
    assert!(matches!(
        auth::authenticate(&authorizer, Some(key.expose())).await,
        Decision::Allow(_)
    ));
}

fn context() -> serde_json::Value {
    serde_json::json!({
        "http": {"method": "GET", "path": "/v2/api-keys", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "test"}
    })
}

#[tokio::test]
async fn odd_headers_are_denied_never_a_panic() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let good = acme.admin_key.expose().to_owned();
    let odd = [
        String::new(),
        " ".repeat(10),
        "Bearer".into(),
        "Bearer  ".into(),
        format!("Bearer {good} extra"),
        format!("Bearer {}", "x".repeat(100_000)),
        format!("Bearer {}", good.to_uppercase()),
        format!("Bearer {}é", &good[..good.len() - 2]),
        "Bearer ___".into(),
        "Bearer gh_live_".into(),
        "Bearer gh__".into(),
        format!("Bearer {}", good.replace('_', "")),
    ];
    let authorizer = stack.function_app("AuthorizerFunction");
    for value in odd {
        let event = serde_json::json!({
            "version": "2.0",
            "type": "REQUEST",
            "routeKey": "GET /v2/api-keys",
            "headers": { "authorization": value },
            "requestContext": context()
        });
        let event: ApiGatewayV2CustomAuthorizerV2Request = serde_json::from_value(event).unwrap();
        let response = gatehouse_functions::authorizer::handle(&authorizer, event).await;
        assert!(!response.is_authorized, "{value:.40}");
    }
    // x-api-key works for direct invocations and REST APIs.
    let event = serde_json::json!({
        "version": "2.0", "type": "REQUEST", "routeKey": "GET /v2/api-keys",
        "headers": { "x-api-key": good }, "requestContext": context()
    });
    let event: ApiGatewayV2CustomAuthorizerV2Request = serde_json::from_value(event).unwrap();
    assert!(
        gatehouse_functions::authorizer::handle(&authorizer, event)
            .await
            .is_authorized
    );
}

#[tokio::test]
async fn storage_failure_fails_closed() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let broken = App {
        keys: gatehouse::store::Keys::new(
            gatehouse::store::Dynamo::new(aws_sdk_dynamodb::Client::new(&stack.sdk))
                .table("no-such-table"),
        ),
        ..stack.app.clone()
    };
    assert_eq!(
        auth::authenticate(&broken, Some(acme.admin_key.expose())).await,
        Decision::Deny(DenyReason::Unavailable)
    );
}
