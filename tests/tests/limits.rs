//! Rate limits and quotas in the authorizer, against moto through the real SDK:
//! exact quotas under concurrency, sharded counters, inheritance from the tenant's
//! plan, tenant route scopes, Retry-After, and counter resets.

use gatehouse::App;
use gatehouse::auth::{self, Decision};
use gatehouse::clock::FixedClock;
use gatehouse::limits::Window;
use gatehouse_integration_tests::TestStack;
use serde_json::{Value, json};
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

fn app_at(stack: &TestStack, now: OffsetDateTime) -> App {
    App {
        clock: Arc::new(FixedClock(now)),
        ..stack.app.clone()
    }
}

async fn decide(app: &App, key: &str, route: &str) -> Decision {
    auth::authorize(app, auth::authenticate(app, Some(key)).await, route).await
}

/// A key of a fresh tenant with the given limits; returns (admin key, key, key id).
async fn limited_key(stack: &TestStack, limits: Value) -> (String, String, String) {
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let (key, key_id) = stack
        .create_key(
            &admin,
            json!({ "name": "limited", "scopes": ["keys:read"], "limits": limits }),
        )
        .await;
    (admin, key, key_id)
}

fn allowed(decisions: &[Decision]) -> usize {
    decisions
        .iter()
        .filter(|d| matches!(d, Decision::Allow(_)))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_quota_is_exact_under_concurrent_load() {
    let stack = TestStack::new().await;
    let (_, key, _) = limited_key(&stack, json!({ "all_routes": { "per_day": 100 } })).await;
    let clients = (0..20).map(|_| {
        let (app, key) = (stack.app.clone(), key.clone());
        tokio::spawn(async move {
            let mut decisions = Vec::new();
            for _ in 0..8 {
                decisions.push(decide(&app, &key, "GET /orders").await);
            }
            decisions
        })
    });
    let mut decisions = Vec::new();
    for client in clients {
        decisions.extend(client.await.unwrap());
    }
    assert_eq!(decisions.len(), 160);
    assert_eq!(allowed(&decisions), 100);
    for refused in decisions
        .iter()
        .filter(|d| !matches!(d, Decision::Allow(_)))
    {
        assert_eq!(
            refused.reason_code(),
            Some("quota_exhausted"),
            "{refused:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sharded_counters_still_allow_exactly_the_limit() {
    let stack = TestStack::new().await;
    let (_, key, _) = limited_key(
        &stack,
        json!({ "all_routes": { "per_day": 10 }, "counter_shards": 4 }),
    )
    .await;
    let clients = (0..6).map(|_| {
        let (app, key) = (stack.app.clone(), key.clone());
        tokio::spawn(async move {
            let mut decisions = Vec::new();
            for _ in 0..5 {
                decisions.push(decide(&app, &key, "GET /orders").await);
            }
            decisions
        })
    });
    let mut decisions = Vec::new();
    for client in clients {
        decisions.extend(client.await.unwrap());
    }
    assert_eq!(allowed(&decisions), 10);
}

#[tokio::test]
async fn a_rate_limit_refuses_until_its_window_ends() {
    let stack = TestStack::new().await;
    let (_, key, _) = limited_key(&stack, json!({ "all_routes": { "per_second": 3 } })).await;
    let now = datetime!(2026-11-25 10:00:00.400 UTC);
    let app = app_at(&stack, now);
    for _ in 0..3 {
        assert!(matches!(
            decide(&app, &key, "GET /orders").await,
            Decision::Allow(_)
        ));
    }
    let Decision::Limited { refusal, .. } = decide(&app, &key, "GET /orders").await else {
        panic!("the fourth request in one second is refused");
    };
    assert_eq!(refusal.code(), "rate_limited");
    assert_eq!(refusal.window, Window::Second);
    assert_eq!(refusal.retry_after_seconds(now), 1);
    let next_second = app_at(&stack, now + Duration::milliseconds(600));
    assert!(matches!(
        decide(&next_second, &key, "GET /orders").await,
        Decision::Allow(_)
    ));
}

#[tokio::test]
async fn a_route_limit_counts_only_that_route() {
    let stack = TestStack::new().await;
    let (_, key, _) = limited_key(
        &stack,
        json!({ "routes": { "POST /orders": { "per_minute": 2 } } }),
    )
    .await;
    let app = app_at(&stack, datetime!(2026-11-25 10:00:30 UTC));
    let mut posts = Vec::new();
    for _ in 0..3 {
        posts.push(decide(&app, &key, "POST /orders").await);
    }
    assert_eq!(allowed(&posts), 2);
    assert!(matches!(
        decide(&app, &key, "GET /orders").await,
        Decision::Allow(_)
    ));
}
