//! Malformed input gets a 4xx problem+json and writes nothing.

use gatehouse_integration_tests::{TestRequest, TestStack};
use serde_json::json;

#[tokio::test]
async fn bad_create_requests_are_4xx_problems_and_write_nothing() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let before = stack.key_count(&acme.tenant).await;
    let past = "2001-01-01T00:00:00Z";
    let post = || TestRequest::post("/v2/api-keys").bearer(&acme.admin_key);

    let cases: Vec<(&str, TestRequest, u16, &str)> = vec![
        ("empty body", post().raw_body("application/json", ""), 400, "invalid-body"),
        ("broken JSON", post().raw_body("application/json", "{\"name\":"), 400, "invalid-body"),
        ("JSON array", post().raw_body("application/json", "[]"), 400, "invalid-body"),
        ("wrong type", post().json(&json!({"name": 5, "scopes": ["keys:read"]})), 400, "invalid-body"),
        ("scopes not a list", post().json(&json!({"name": "a", "scopes": "keys:read"})), 400, "invalid-body"),
        ("missing scopes", post().json(&json!({"name": "a"})), 400, "invalid-body"),
        ("unknown field", post().json(&json!({"name": "a", "scopes": ["keys:read"], "tenant_id": "x"})), 400, "invalid-body"),
        ("no scopes", post().json(&json!({"name": "a", "scopes": []})), 400, "invalid-body"),
        ("invalid scope", post().json(&json!({"name": "a", "scopes": ["keys:READ"]})), 400, "invalid-body"),
        ("too many scopes", post().json(&json!({"name": "a", "scopes": (0..60).map(|i| format!("r{i}:read")).collect::<Vec<_>>()})), 400, "invalid-body"),
        ("past expiry", post().json(&json!({"name": "a", "scopes": ["keys:read"], "expires_at": past})), 400, "invalid-body"),
        ("not a date", post().json(&json!({"name": "a", "scopes": ["keys:read"], "expires_at": "tomorrow"})), 400, "invalid-body"),
        ("blank name", post().json(&json!({"name": "   ", "scopes": ["keys:read"]})), 400, "invalid-body"),
        ("huge name", post().json(&json!({"name": "n".repeat(5000), "scopes": ["keys:read"]})), 400, "invalid-body"),
        ("bidi override name", post().json(&json!({"name": "invoice\u{202E}fdp.exe", "scopes": ["keys:read"]})), 400, "invalid-body"),
        ("NUL in name", post().json(&json!({"name": "a\u{0}b", "scopes": ["keys:read"]})), 400, "invalid-body"),
        ("oversized body", post().raw_body("application/json", format!("{{\"name\":\"{}\"}}", "a".repeat(40_000))), 413, "payload-too-large"),
        ("form body", post().raw_body("application/x-www-form-urlencoded", "name=a"), 415, "unsupported-media-type"),
        ("invalid UTF-8", post().raw_body("application/json", vec![b'{', 0xff, 0xfe, b'}']), 400, "invalid-body"),
        ("escalation", post().json(&json!({"name": "a", "scopes": ["admin", "keys:read"]})), 201, ""),
    ];
    let mut created = 0;
    for (what, request, status, slug) in cases {
        let response = stack.call(request).await;
        if status == 201 {
            // An admin may grant admin; escalation by lesser keys is covered elsewhere.
            assert_eq!(response.status, 201, "{what}");
            created += 1;
            continue;
        }
        let problem = response.assert_problem(status, slug);
        assert!(
            problem["detail"].as_str().unwrap().len() < 400,
            "{what}: detail should be short"
        );
    }
    assert_eq!(stack.key_count(&acme.tenant).await, before + created);
}

#[tokio::test]
async fn lesser_keys_cannot_grant_what_they_do_not_hold() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let writer = stack
        .call(
            TestRequest::post("/v2/api-keys")
                .bearer(&acme.admin_key)
                .json(&json!({"name": "writer", "scopes": ["keys:write", "keys:read"]})),
        )
        .await
        .json()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = stack.key_count(&acme.tenant).await;
    for scopes in [
        json!(["admin"]),
        json!(["keys:*"]),
        json!(["audit:read"]),
        json!(["*:read"]),
    ] {
        let response = stack
            .call(
                TestRequest::post("/v2/api-keys")
                    .header("authorization", &format!("Bearer {writer}"))
                    .json(&json!({"name": "escalated", "scopes": scopes})),
            )
            .await;
        response.assert_problem(403, "insufficient-scope");
    }
    let allowed = stack
        .call(
            TestRequest::post("/v2/api-keys")
                .header("authorization", &format!("Bearer {writer}"))
                .json(&json!({"name": "reader", "scopes": ["keys:read"]})),
        )
        .await;
    assert_eq!(allowed.status, 201);
    assert_eq!(stack.key_count(&acme.tenant).await, before + 1);
}

#[tokio::test]
async fn bad_list_parameters_are_400_problems() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    for query in [
        "limit=0",
        "limit=101",
        "limit=ten",
        "limit=-1",
        "include_inactive=maybe",
        "cursor=%%%",
        "cursor=c2hvcnQ",
        "offset=10",
        "limit=5&limit=6",
    ] {
        let response = stack
            .call(TestRequest::get(&format!("/v2/api-keys?{query}")).bearer(&acme.admin_key))
            .await;
        response.assert_problem(400, "invalid-parameter");
    }
}

#[tokio::test]
async fn bad_lifecycle_requests_are_4xx_problems_and_change_nothing() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let (_, id) = stack
        .create_key(admin, json!({"name": "target", "scopes": ["keys:read"]}))
        .await;
    let before = stack.snapshot(&acme.tenant).await;
    let key = format!("/v2/api-keys/{id}");
    let rotate = format!("{key}/rotate");
    let compromise = format!("{key}/compromise");
    let long = "x".repeat(600);
    let past = "2001-01-01T00:00:00Z";

    let cases: Vec<(&str, &str, serde_json::Value, u16, &str)> = vec![
        ("PUT", &key, json!({}), 400, "invalid-body"),
        (
            "PUT",
            &key,
            json!({"name": null, "scopes": null}),
            400,
            "invalid-body",
        ),
        (
            "PUT",
            &key,
            json!({"status": "revoked"}),
            400,
            "invalid-body",
        ),
        ("PUT", &key, json!({"status": 1}), 400, "invalid-body"),
        (
            "PUT",
            &key,
            json!({"expires_at": past}),
            400,
            "invalid-body",
        ),
        (
            "PUT",
            &key,
            json!({"expires_at": "soon"}),
            400,
            "invalid-body",
        ),
        ("PUT", &key, json!({"scopes": []}), 400, "invalid-body"),
        (
            "PUT",
            &key,
            json!({"scopes": ["keys:Read"]}),
            400,
            "invalid-body",
        ),
        (
            "PUT",
            &key,
            json!({"scopes": ["nothing:here"]}),
            400,
            "invalid-body",
        ),
        (
            "PUT",
            &key,
            json!({"name": "\u{202E}evil"}),
            400,
            "invalid-body",
        ),
        (
            "PUT",
            &key,
            json!({"name": "ok", "tenant_id": "other"}),
            400,
            "invalid-body",
        ),
        ("DELETE", &key, json!({"reason": long}), 400, "invalid-body"),
        (
            "DELETE",
            &key,
            json!({"reason": "a\u{7}b"}),
            400,
            "invalid-body",
        ),
        (
            "DELETE",
            &key,
            json!({"reason": "x", "force": true}),
            400,
            "invalid-body",
        ),
        (
            "POST",
            &rotate,
            json!({"grace_period_seconds": -1}),
            400,
            "invalid-body",
        ),
        (
            "POST",
            &rotate,
            json!({"grace_period_seconds": "1h"}),
            400,
            "invalid-body",
        ),
        (
            "POST",
            &rotate,
            json!({"grace_period_seconds": 1e30}),
            400,
            "invalid-body",
        ),
        (
            "POST",
            &compromise,
            json!({"description": ""}),
            400,
            "invalid-body",
        ),
        (
            "POST",
            &compromise,
            json!({"description": "x", "replace": "yes"}),
            400,
            "invalid-body",
        ),
        (
            "POST",
            "/v2/scopes",
            json!({"name": "billing:read"}),
            400,
            "invalid-body",
        ),
        (
            "POST",
            "/v2/scopes",
            json!({"name": "billing:*", "description": "x"}),
            400,
            "invalid-body",
        ),
        (
            "POST",
            "/v2/scopes",
            json!({"name": "billing:read", "description": long}),
            400,
            "invalid-body",
        ),
        (
            "GET",
            "/v2/api-keys/..%2F..%2Fetc",
            json!(null),
            404,
            "not-found",
        ),
    ];
    for (method, path, body, status, slug) in cases {
        let body = (!body.is_null()).then_some(body);
        let response = stack.send(method, path, admin, body.clone()).await;
        assert!(response.status < 500, "{method} {path} {body:?}");
        response.assert_problem(status, slug);
    }
    // Bodies that are not JSON objects at all.
    for path in [&key, &rotate, &compromise] {
        for raw in ["", "{", "[1]", "null"] {
            if path == &rotate && raw.is_empty() {
                continue; // an empty rotate body asks for the default grace period
            }
            let method = if path == &key { "PUT" } else { "POST" };
            let response = stack
                .call(
                    TestRequest::new(method, path)
                        .bearer(&acme.admin_key)
                        .raw_body("application/json", raw),
                )
                .await;
            response.assert_problem(400, "invalid-body");
        }
    }
    assert_eq!(
        stack.snapshot(&acme.tenant).await,
        before,
        "a refused request changed stored data"
    );
}
