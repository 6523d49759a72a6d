//! Per-key restrictions through the local gateway against moto: source addresses
//! (IPv4 and IPv6, the gateway's own view, never `X-Forwarded-For`), route patterns,
//! web origins and hours; each refusal is audited with its reason code, a REST deny
//! carries it, and a warm authorizer cache applies them to every request.

use gatehouse_functions::authorizer::{Outcome, handle_event};
use gatehouse_integration_tests::{TestRequest, TestResponse, TestStack};
use serde_json::{Value, json};
use std::net::SocketAddr;
use time::{Duration, OffsetDateTime};

/// A key of a fresh tenant that can read keys, with these restrictions; returns
/// (admin key, key, key id).
async fn restricted_key(stack: &TestStack, restrictions: Value) -> (String, String, String) {
    let tenant = stack.tenant("Acme").await;
    let admin = tenant.admin_key.expose().to_owned();
    let (key, key_id) = stack
        .create_key(
            &admin,
            json!({ "name": "restricted", "scopes": ["keys:read"], "restrictions": restrictions }),
        )
        .await;
    (admin, key, key_id)
}

/// `GET /v2/api-keys/{key_id}` with `key`, from `peer`, with extra headers.
async fn get_self(
    stack: &TestStack,
    key: &str,
    key_id: &str,
    peer: &str,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut request = TestRequest::get(&format!("/v2/api-keys/{key_id}"))
        .header("authorization", &format!("Bearer {key}"));
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let peer: SocketAddr = peer.parse().unwrap();
    TestResponse::from(stack.gateway.handle(request.build(), peer).await)
}

/// The details of the tenant's `access.denied` events, newest first.
async fn denials(stack: &TestStack, admin: &str) -> Vec<String> {
    stack
        .audit(admin, "action=access.denied")
        .await
        .iter()
        .map(|e| e["detail"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn source_addresses_are_the_gateways_view_of_the_caller() {
    let stack = TestStack::new().await;
    let (admin, key, key_id) = restricted_key(
        &stack,
        json!({ "source_ips": ["127.0.0.0/8", "2001:db8::/32"] }),
    )
    .await;
    get_self(&stack, &key, &key_id, "127.0.0.1:4000", &[])
        .await
        .assert_status(200);
    get_self(&stack, &key, &key_id, "[2001:db8:7::1]:4000", &[])
        .await
        .assert_status(200);
    get_self(&stack, &key, &key_id, "[2001:db9::1]:4000", &[])
        .await
        .assert_status(403);
    // A client header naming an allowed address changes nothing.
    get_self(
        &stack,
        &key,
        &key_id,
        "198.51.100.4:4000",
        &[("x-forwarded-for", "127.0.0.1"), ("x-real-ip", "127.0.0.1")],
    )
    .await
    .assert_status(403);

    let details = denials(&stack, &admin).await;
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(
        details.iter().any(
            |d| d == "ip_not_allowed: the key's restrictions refuse requests from 198.51.100.4"
        ),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("ip_not_allowed:") && d.ends_with("from 2001:db9::1")),
        "{details:?}"
    );
}

#[tokio::test]
async fn route_patterns_limit_what_the_key_calls() {
    let stack = TestStack::new().await;
    let (admin, key, key_id) =
        restricted_key(&stack, json!({ "routes": ["GET /v2/api-keys/*"] })).await;
    get_self(&stack, &key, &key_id, "127.0.0.1:4000", &[])
        .await
        .assert_status(200);
    // Its scope allows listing keys; its restrictions do not.
    stack
        .send("GET", "/v2/api-keys", &key, None)
        .await
        .assert_status(403);
    stack
        .send("GET", &format!("/v2/api-keys/{key_id}/usage"), &key, None)
        .await
        .assert_status(403);
    let details = denials(&stack, &admin).await;
    assert!(
        details.iter().any(|d| d
            == "route_not_allowed: the key's restrictions refuse requests to GET /v2/api-keys"),
        "{details:?}"
    );
}

#[tokio::test]
async fn browser_keys_are_held_to_their_origins() {
    let stack = TestStack::new().await;
    let (admin, key, key_id) = restricted_key(
        &stack,
        json!({ "origins": ["https://app.example.com", "https://*.example.org"] }),
    )
    .await;
    let from = |headers: &'static [(&'static str, &'static str)]| {
        let (stack, key, key_id) = (&stack, key.clone(), key_id.clone());
        async move {
            get_self(stack, &key, &key_id, "127.0.0.1:4000", headers)
                .await
                .status
        }
    };
    assert_eq!(from(&[("origin", "https://app.example.com")]).await, 200);
    assert_eq!(
        from(&[("origin", "https://eu.shop.example.org")]).await,
        200
    );
    assert_eq!(
        from(&[("referer", "https://app.example.com/settings?tab=1")]).await,
        200
    );
    assert_eq!(
        from(&[("origin", "https://app.example.com.evil.net")]).await,
        403
    );
    assert_eq!(from(&[("origin", "http://app.example.com")]).await, 403);
    assert_eq!(from(&[("origin", "null")]).await, 403);
    assert_eq!(from(&[]).await, 403, "a server-side call names no origin");
    let details = denials(&stack, &admin).await;
    assert!(
        details.iter().any(|d| d
            == "origin_not_allowed: the key's restrictions refuse requests from origin https://app.example.com.evil.net"),
        "{details:?}"
    );
}

#[tokio::test]
async fn hours_open_and_close_the_key() {
    let stack = TestStack::new().await;
    let now = OffsetDateTime::now_utc();
    let hhmm = |t: OffsetDateTime| format!("{:02}:{:02}", t.hour(), t.minute());
    // A window from an hour ago to an hour ahead (spanning midnight if need be) holds
    // now; one starting two hours ahead does not.
    let open = json!({ "hours": { "from": hhmm(now - Duration::hours(1)), "to": hhmm(now + Duration::hours(1)) } });
    let (_, key, key_id) = restricted_key(&stack, open).await;
    get_self(&stack, &key, &key_id, "127.0.0.1:4000", &[])
        .await
        .assert_status(200);
    // Shifted by an offset, the same local window is elsewhere in the day.
    let shifted = json!({ "hours": {
        "from": hhmm(now - Duration::hours(1)),
        "to": hhmm(now + Duration::hours(1)),
        "utc_offset": "+06:00",
    } });
    let (admin, key, key_id) = restricted_key(&stack, shifted).await;
    get_self(&stack, &key, &key_id, "127.0.0.1:4000", &[])
        .await
        .assert_status(403);
    assert!(denials(&stack, &admin).await[0].starts_with("outside_allowed_hours:"));
}

#[tokio::test]
async fn a_warm_cache_applies_restrictions_to_every_request() {
    // A long cache TTL: the second and third requests use the cached record.
    let stack = TestStack::with_params(&[("AuthCacheTtlSeconds", "300")]).await;
    let (_, key, key_id) = restricted_key(&stack, json!({ "source_ips": ["127.0.0.1"] })).await;
    get_self(&stack, &key, &key_id, "127.0.0.1:4000", &[])
        .await
        .assert_status(200);
    get_self(&stack, &key, &key_id, "192.0.2.1:4000", &[])
        .await
        .assert_status(403);
    get_self(&stack, &key, &key_id, "127.0.0.1:4001", &[])
        .await
        .assert_status(200);
}

fn rest_event(key: &str, source_ip: Option<&str>, token: bool) -> Value {
    let arn = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/orders/7";
    if token {
        return json!({ "type": "TOKEN", "methodArn": arn, "authorizationToken": format!("Bearer {key}") });
    }
    json!({
        "type": "REQUEST",
        "methodArn": arn,
        "resource": "/orders/{id}",
        "httpMethod": "GET",
        "headers": { "Authorization": format!("Bearer {key}") },
        "requestContext": { "requestId": "r1", "identity": { "sourceIp": source_ip } }
    })
}

#[tokio::test]
async fn rest_denials_carry_the_reason_code() {
    let stack = TestStack::new().await;
    let authorizer = stack.function_app("AuthorizerFunction");
    let (_, key, key_id) = restricted_key(
        &stack,
        json!({ "source_ips": ["203.0.113.0/24"], "routes": ["GET /orders/*"] }),
    )
    .await;
    let decide = |event: Value| {
        let authorizer = &authorizer;
        async move {
            match handle_event(authorizer, event).await {
                Outcome::Response(response) => response,
                Outcome::Unauthorized => panic!("a response"),
            }
        }
    };
    let allowed = decide(rest_event(&key, Some("203.0.113.7"), false)).await;
    assert_eq!(allowed["policyDocument"]["Statement"][0]["Effect"], "Allow");

    let elsewhere = decide(rest_event(&key, Some("192.0.2.7"), false)).await;
    assert_eq!(
        elsewhere["policyDocument"]["Statement"][0]["Effect"],
        "Deny"
    );
    assert_eq!(elsewhere["context"]["reason"], "ip_not_allowed");
    assert_eq!(elsewhere["context"]["keyId"], key_id.as_str());

    // A TOKEN event has no source address: the restriction cannot be met.
    let token = decide(rest_event(&key, None, true)).await;
    assert_eq!(token["context"]["reason"], "ip_not_allowed");

    let mut other_route = rest_event(&key, Some("203.0.113.7"), false);
    other_route["resource"] = json!("/invoices/{id}");
    let other_route = decide(other_route).await;
    assert_eq!(other_route["context"]["reason"], "route_not_allowed");
}

#[tokio::test]
async fn restrictions_are_validated_kept_on_rotation_and_removable() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose().to_owned();
    for (bad, says) in [
        (
            json!({ "source_ips": ["10.1.2.3/8"] }),
            "did you mean `10.0.0.0/8`",
        ),
        (json!({ "routes": ["FETCH /x"] }), "routes:"),
        (
            json!({ "origins": ["https://app.example.com/path"] }),
            "origins:",
        ),
        (
            json!({ "hours": { "from": "09:00", "to": "09:00" } }),
            "hours:",
        ),
        (
            json!({ "hours": { "from": "09:00", "to": "17:00", "utc_offset": "+15:00" } }),
            "utc_offset",
        ),
        (json!({ "ips": ["10.0.0.0/8"] }), "ips"),
    ] {
        let response = stack
            .send(
                "POST",
                "/v2/api-keys",
                &admin,
                Some(json!({ "name": "k", "scopes": ["keys:read"], "restrictions": bad })),
            )
            .await;
        let problem = response.assert_problem(400, "invalid-body");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{bad}: {detail}");
    }
    assert_eq!(stack.key_count(&acme.tenant).await, 1, "nothing was stored");

    let restrictions = json!({ "source_ips": ["10.0.0.0/8"], "routes": ["ANY /v2/**"] });
    let (_, key_id) = stack
        .create_key(
            &admin,
            json!({ "name": "k", "scopes": ["keys:read"], "restrictions": restrictions }),
        )
        .await;
    let view = stack
        .send("GET", &format!("/v2/api-keys/{key_id}"), &admin, None)
        .await
        .json();
    assert_eq!(view["restrictions"], restrictions);

    let rotated = stack
        .send(
            "POST",
            &format!("/v2/api-keys/{key_id}/rotate"),
            &admin,
            Some(json!({})),
        )
        .await;
    rotated.assert_status(201);
    assert_eq!(rotated.json()["restrictions"], restrictions);
    let new_id = rotated.json()["key_id"].as_str().unwrap().to_owned();

    let cleared = stack
        .send(
            "PUT",
            &format!("/v2/api-keys/{new_id}"),
            &admin,
            Some(json!({ "restrictions": null })),
        )
        .await;
    cleared.assert_status(200);
    assert!(cleared.json().get("restrictions").is_none());
    let audit = stack
        .audit(&admin, &format!("key_id={new_id}&action=api_key.update"))
        .await;
    let changed: Vec<&str> = audit[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["restrictions"]);
}
