//! What each management route costs: 20 requests per route through the local gateway
//! in-process (the authorizer answering from its warm cache, so the figures are the
//! route's own), each route's p50 and p99, and its AWS calls per request as the moto
//! server counted them: a figure that does not depend on the machine. Events the
//! routes publish leave through the audit table's stream, after the answer, and are
//! not counted here.
//!
//! Needs a moto server: run through `make bench`, which starts one.

use gatehouse_bench::{BenchResult, aws_calls, calls_per, quantile};
use gatehouse_integration_tests::TestStack;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const REQUESTS: usize = 20;

/// One route's request for its `i`th call.
type Request = Box<dyn Fn(usize) -> (&'static str, String, Option<Value>)>;

#[tokio::main]
async fn main() -> BenchResult {
    let stack = TestStack::with_params(&[
        ("AuthCacheTtlSeconds", "60"),
        ("WebhookAllowHosts", "127.0.0.1:8900"),
    ])
    .await;
    let tenant = stack.tenant("Bench").await;
    let admin = tenant.admin_key.expose().to_owned();
    // Keys for the routes that change or end one (each request gets its own).
    let mut keys = Vec::new();
    for i in 0..(REQUESTS + 1) * 3 {
        let (_, id) = stack
            .create_key(
                &admin,
                json!({"name": format!("k{i}"), "scopes": ["keys:read"]}),
            )
            .await;
        keys.push(id);
    }
    let hook = stack
        .send(
            "POST",
            "/v2/webhooks",
            &admin,
            Some(json!({"url": "http://127.0.0.1:8900/hooks", "event_types": ["*"]})),
        )
        .await
        .json()["webhook_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    stack
        .send(
            "POST",
            "/v2/secrets/data/bench/read",
            &admin,
            Some(json!({"data": {"password": "s3cret"}})),
        )
        .await
        .assert_status(201);

    // A principal with three keys bound to it among the tenant's many: one
    // permission sync should read its own keys, not the tenant's.
    let principal = stack
        .sso_principal(&tenant.tenant, "benchP0001", &["keys:read"])
        .await
        .principal_id;
    for _ in 0..3 {
        stack
            .key_acting_as(&tenant.tenant, &principal, &["keys:read"])
            .await;
    }
    for i in 0..200 {
        stack
            .create_key(
                &admin,
                json!({"name": format!("other{i}"), "scopes": ["keys:read"]}),
            )
            .await;
    }

    let key = |offset: usize| {
        let keys = keys.clone();
        move |i: usize| keys[offset * (REQUESTS + 1) + i].clone()
    };
    let (update, rotate, revoke) = (key(0), key(1), key(2));
    let read_key = keys[0].clone();
    let routes: Vec<(&str, Request)> = vec![
        (
            "POST /v2/api-keys",
            Box::new(|i| {
                let body = json!({"name": format!("new{i}"), "scopes": ["keys:read"]});
                ("POST", "/v2/api-keys".into(), Some(body))
            }),
        ),
        (
            "GET /v2/api-keys",
            Box::new(|_| ("GET", "/v2/api-keys".into(), None)),
        ),
        ("GET /v2/api-keys/{key_id}", {
            let id = read_key.clone();
            Box::new(move |_| ("GET", format!("/v2/api-keys/{id}"), None))
        }),
        (
            "PUT /v2/api-keys/{key_id}",
            Box::new(move |i| {
                let body = json!({"name": format!("renamed{i}")});
                ("PUT", format!("/v2/api-keys/{}", update(i)), Some(body))
            }),
        ),
        (
            "POST /v2/api-keys/{key_id}/rotate",
            Box::new(move |i| {
                let path = format!("/v2/api-keys/{}/rotate", rotate(i));
                ("POST", path, Some(json!({})))
            }),
        ),
        (
            "DELETE /v2/api-keys/{key_id}",
            Box::new(move |i| {
                let body = json!({"reason": "bench"});
                ("DELETE", format!("/v2/api-keys/{}", revoke(i)), Some(body))
            }),
        ),
        ("GET /v2/api-keys/{key_id}/usage", {
            let id = read_key.clone();
            Box::new(move |_| ("GET", format!("/v2/api-keys/{id}/usage"), None))
        }),
        (
            "GET /v2/audit",
            Box::new(|_| ("GET", "/v2/audit?limit=50".into(), None)),
        ),
        (
            "GET /v2/scopes",
            Box::new(|_| ("GET", "/v2/scopes".into(), None)),
        ),
        (
            "GET /v2/key-policy",
            Box::new(|_| ("GET", "/v2/key-policy".into(), None)),
        ),
        (
            "GET /v2/access-policy",
            Box::new(|_| ("GET", "/v2/access-policy".into(), None)),
        ),
        (
            "GET /v2/webhooks",
            Box::new(|_| ("GET", "/v2/webhooks".into(), None)),
        ),
        ("GET /v2/webhooks/{webhook_id}", {
            let hook = hook.clone();
            Box::new(move |_| ("GET", format!("/v2/webhooks/{hook}"), None))
        }),
        (
            "POST /v2/secrets/data/{path}",
            Box::new(|i| {
                let body = json!({"data": {"n": i.to_string()}});
                ("POST", format!("/v2/secrets/data/bench/w{i}"), Some(body))
            }),
        ),
        (
            "GET /v2/secrets/data/{path}",
            Box::new(|_| ("GET", "/v2/secrets/data/bench/read".into(), None)),
        ),
        (
            "GET /v2/secrets",
            Box::new(|_| ("GET", "/v2/secrets?prefix=bench/".into(), None)),
        ),
        (
            "GET /v2/integrations/siem",
            Box::new(|_| ("GET", "/v2/integrations/siem".into(), None)),
        ),
        (
            "GET /v2/integrations/sso",
            Box::new(|_| ("GET", "/v2/integrations/sso".into(), None)),
        ),
        (
            "GET /v2/principals",
            Box::new(|_| ("GET", "/v2/principals".into(), None)),
        ),
        (
            "POST /v2/principals/{id}/sync-keys",
            Box::new(move |_| {
                let path = format!("/v2/principals/{principal}/sync-keys");
                ("POST", path, Some(json!({})))
            }),
        ),
    ];

    println!(
        "{:<40} {:>10} {:>10} {:>10}  AWS calls by operation",
        "route (20 requests each)", "p50", "p99", "AWS calls"
    );
    for (label, request) in routes {
        // One request first: the authorizer's cache and the route's connections warm.
        let (method, uri, body) = request(0);
        let first = stack.send(method, &uri, &admin, body).await;
        let expected = first.status;
        assert!(expected < 300, "{label}: {}", first.text());
        let before = aws_calls().await?;
        let mut samples: Vec<Duration> = Vec::with_capacity(REQUESTS);
        // Routes that change a key or create a secret use a fresh one each time (the
        // first request above used number 0).
        for i in 1..=REQUESTS {
            let (method, uri, body) = request(i);
            let started = Instant::now();
            let response = stack.send(method, &uri, &admin, body).await;
            samples.push(started.elapsed());
            assert_eq!(response.status, expected, "{label}: {}", response.text());
        }
        let calls = calls_per(&before, &aws_calls().await?, REQUESTS);
        let total: f64 = calls.values().sum();
        samples.sort();
        let by_operation: Vec<String> = calls
            .iter()
            .map(|(operation, n)| format!("{operation} {n:.2}"))
            .collect();
        println!(
            "{label:<40} {:>10.2?} {:>10.2?} {total:>10.2}  {}",
            quantile(&samples, 0.5),
            quantile(&samples, 0.99),
            by_operation.join(", ")
        );
    }
    Ok(())
}
