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
        ..stack.function_app("AuthorizerFunction")
    }
}

async fn decide(app: &App, key: &str, route: &str) -> Decision {
    let request = auth::RequestFacts {
        source_ip: Some("192.0.2.10"),
        route,
        origin: None,
        referer: None,
        at: app.clock.now(),
    };
    auth::authorize(
        app,
        auth::authenticate(app, Some(key)).await,
        &request,
        gatehouse_functions::ROUTES,
    )
    .await
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
    let authorizer = stack.function_app("AuthorizerFunction");
    let (_, key, _) = limited_key(&stack, json!({ "all_routes": { "per_day": 100 } })).await;
    let clients = (0..20).map(|_| {
        let (app, key) = (authorizer.clone(), key.clone());
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
    let authorizer = stack.function_app("AuthorizerFunction");
    let (_, key, _) = limited_key(
        &stack,
        json!({ "all_routes": { "per_day": 10 }, "counter_shards": 4 }),
    )
    .await;
    let clients = (0..6).map(|_| {
        let (app, key) = (authorizer.clone(), key.clone());
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

fn http_event(
    route: &str,
    key: &str,
) -> aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request {
    serde_json::from_value(json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeKey": route,
        "headers": { "authorization": format!("Bearer {key}") },
        "requestContext": {
            "http": { "method": "GET", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "test" },
            "requestId": "req-1",
            "routeKey": route
        }
    }))
    .unwrap()
}

#[tokio::test]
async fn a_tenant_guards_its_own_routes_with_its_access_policy() {
    let stack = TestStack::new().await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    stack
        .send(
            "POST",
            "/v2/scopes",
            &admin,
            Some(json!({"name": "orders:read", "description": "Read orders"})),
        )
        .await
        .assert_status(201);
    let (reader, _) = stack
        .create_key(&admin, json!({"name": "reader", "scopes": ["orders:read"]}))
        .await;
    let (other, _) = stack
        .create_key(&admin, json!({"name": "other", "scopes": ["keys:read"]}))
        .await;
    let allowed = |key: &str, route: &str| {
        let event = http_event(route, key);
        let app = stack.app.clone();
        async move {
            gatehouse_functions::authorizer::handle(&app, event)
                .await
                .is_authorized
        }
    };
    // No policy yet: a tenant's routes are left to its backend.
    assert!(allowed(&other, "GET /orders/{id}").await);

    let policy = json!({
        "route_scopes": { "GET /orders/{id}": "orders:read" },
        "deny_unlisted_routes": true
    });
    stack
        .send("PUT", "/v2/access-policy", &admin, Some(policy))
        .await
        .assert_status(200);
    assert!(allowed(&reader, "GET /orders/{id}").await);
    assert!(!allowed(&other, "GET /orders/{id}").await);
    assert!(!allowed(&reader, "DELETE /orders/{id}").await, "unlisted");
    // Gatehouse's own routes keep their declared scopes.
    assert!(allowed(&other, "GET /v2/api-keys").await);
    let refusals = stack.audit(&admin, "action=access.denied").await;
    assert_eq!(refusals.len(), 2, "{refusals:?}");

    let bad = stack
        .send(
            "PUT",
            "/v2/access-policy",
            &admin,
            Some(json!({ "route_scopes": { "GET /v2/api-keys": "orders:read" } })),
        )
        .await;
    bad.assert_problem(400, "invalid-body");
}

#[tokio::test]
async fn keys_inherit_the_plan_window_by_window() {
    let stack = TestStack::new().await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let plan = json!({ "plan": { "all_routes": { "per_minute": 2, "per_day": 1000 } } });
    stack
        .send("PUT", "/v2/access-policy", &admin, Some(plan))
        .await
        .assert_status(200);
    let (plain, _) = stack
        .create_key(&admin, json!({"name": "plain", "scopes": ["keys:read"]}))
        .await;
    let (own, _) = stack
        .create_key(
            &admin,
            json!({"name": "own", "scopes": ["keys:read"], "limits": {"all_routes": {"per_minute": 4}}}),
        )
        .await;
    let app = app_at(&stack, datetime!(2026-11-25 10:00:10 UTC));
    let mut plain_decisions = Vec::new();
    let mut own_decisions = Vec::new();
    for _ in 0..5 {
        plain_decisions.push(decide(&app, &plain, "GET /orders").await);
        own_decisions.push(decide(&app, &own, "GET /orders").await);
    }
    assert_eq!(allowed(&plain_decisions), 2);
    assert_eq!(allowed(&own_decisions), 4);
    assert_eq!(plain_decisions[4].reason_code(), Some("rate_limited"));
}

#[tokio::test]
async fn a_rest_deny_carries_the_reason_and_when_to_retry() {
    let stack = TestStack::new().await;
    let authorizer = stack.function_app("AuthorizerFunction");
    let (_, key, key_id) = limited_key(&stack, json!({ "all_routes": { "per_month": 1 } })).await;
    let event = json!({
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/orders/7",
        "resource": "/orders/{id}",
        "httpMethod": "GET",
        "headers": { "Authorization": format!("Bearer {key}") },
        "requestContext": { "requestId": "r1", "identity": { "sourceIp": "203.0.113.7" } }
    });
    let first = gatehouse_functions::authorizer::handle_event(&authorizer, event.clone()).await;
    let gatehouse_functions::authorizer::Outcome::Response(first) = first else {
        panic!("a response")
    };
    assert_eq!(first["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(first["usageIdentifierKey"], key_id.as_str());
    let gatehouse_functions::authorizer::Outcome::Response(second) =
        gatehouse_functions::authorizer::handle_event(&authorizer, event).await
    else {
        panic!("a response")
    };
    assert_eq!(second["policyDocument"]["Statement"][0]["Effect"], "Deny");
    assert_eq!(second["context"]["reason"], "quota_exhausted");
    assert_eq!(second["context"]["keyId"], key_id.as_str());
    let retry: u64 = second["context"]["retryAfter"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=31 * 86_400).contains(&retry), "{retry}");
}

#[tokio::test]
async fn resetting_counters_restores_the_quota_and_is_audited() {
    let stack = TestStack::new().await;
    let authorizer = stack.function_app("AuthorizerFunction");
    let (admin, key, key_id) = limited_key(
        &stack,
        json!({ "all_routes": { "per_day": 2 }, "routes": { "POST /orders": { "per_day": 1 } } }),
    )
    .await;
    for _ in 0..2 {
        assert!(matches!(
            decide(&authorizer, &key, "GET /orders").await,
            Decision::Allow(_)
        ));
    }
    assert_eq!(
        decide(&authorizer, &key, "GET /orders").await.reason_code(),
        Some("quota_exhausted")
    );
    let usage = stack
        .send("GET", &format!("/v2/api-keys/{key_id}/usage"), &admin, None)
        .await;
    usage.assert_status(200);
    let day = usage.json()["limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["scope"] == "*" && l["window"] == "day")
        .cloned()
        .unwrap();
    assert_eq!(
        (day["used"].as_u64(), day["remaining"].as_u64()),
        (Some(2), Some(0))
    );

    let reset = stack
        .send(
            "POST",
            &format!("/v2/api-keys/{key_id}/usage/reset"),
            &admin,
            Some(json!({ "windows": ["day"] })),
        )
        .await;
    reset.assert_status(200);
    assert_eq!(
        reset.json()["reset"].as_array().unwrap().len(),
        2,
        "all routes and POST /orders"
    );
    assert!(matches!(
        decide(&authorizer, &key, "GET /orders").await,
        Decision::Allow(_)
    ));
    let audited = stack.audit(&admin, "action=api_key.usage_reset").await;
    assert_eq!(audited.len(), 1);
}

#[tokio::test]
async fn a_plan_never_locks_a_tenant_out_of_gatehouse_routes() {
    let stack = TestStack::new().await;
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let (policy_writer, _) = stack
        .create_key(
            &admin,
            json!({"name": "policy", "scopes": ["policy:write"]}),
        )
        .await;
    let tight = json!({ "plan": { "all_routes": { "per_day": 2, "per_second": 1 } } });
    stack
        .send("PUT", "/v2/access-policy", &policy_writer, Some(tight))
        .await
        .assert_status(200);
    // Gatehouse's own routes ignore the plan, so the admin key keeps working...
    for _ in 0..4 {
        stack
            .send("GET", "/v2/api-keys", &admin, None)
            .await
            .assert_status(200);
    }
    // ...and so does the route that lifts the plan again.
    stack
        .send("PUT", "/v2/access-policy", &admin, Some(json!({})))
        .await
        .assert_status(200);
    // The plan still governs the tenant's own APIs.
    stack
        .send(
            "PUT",
            "/v2/access-policy",
            &admin,
            Some(json!({ "plan": { "all_routes": { "per_day": 2 } } })),
        )
        .await
        .assert_status(200);
    let app = app_at(&stack, datetime!(2026-11-25 10:00:00 UTC));
    let mut decisions = Vec::new();
    for _ in 0..3 {
        decisions.push(decide(&app, &admin, "GET /orders").await);
    }
    assert_eq!(allowed(&decisions), 2);
    assert_eq!(decisions[2].reason_code(), Some("quota_exhausted"));
}
