//! Custom scopes, the audit trail's filters and cursors, and idempotent POSTs.

use gatehouse_integration_tests::{TestRequest, TestStack};
use serde_json::json;

#[tokio::test]
async fn tenants_define_document_and_grant_custom_scopes() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();

    stack
        .send(
            "POST",
            "/v2/api-keys",
            admin,
            Some(json!({"name": "x", "scopes": ["billing:read"]})),
        )
        .await
        .assert_problem(400, "invalid-body");
    let created = stack
        .send(
            "POST",
            "/v2/scopes",
            admin,
            Some(
                json!({"name": "billing:read", "description": "Read invoices and payment status."}),
            ),
        )
        .await;
    created.assert_status(201);
    stack
        .send(
            "POST",
            "/v2/scopes",
            admin,
            Some(json!({"name": "billing:read", "description": "again"})),
        )
        .await
        .assert_problem(409, "conflict");
    for reserved in [
        "keys:destroy",
        "audit:write",
        "billing:*",
        "admin",
        "Billing:read",
    ] {
        stack
            .send(
                "POST",
                "/v2/scopes",
                admin,
                Some(json!({"name": reserved, "description": "x"})),
            )
            .await
            .assert_problem(400, "invalid-body");
    }
    let (billing, _) = stack
        .create_key(
            admin,
            json!({"name": "billing", "scopes": ["billing:read", "keys:read"]}),
        )
        .await;

    let listed = stack.send("GET", "/v2/scopes", &billing, None).await;
    assert_eq!(listed.status, 200);
    let items = listed.json()["items"].as_array().cloned().unwrap();
    let find = |name: &str| items.iter().find(|s| s["name"] == name).cloned().unwrap();
    assert_eq!(
        find("billing:read")["description"],
        "Read invoices and payment status."
    );
    assert_eq!(find("billing:read")["builtin"], false);
    assert_eq!(find("billing:read")["grantable"], true);
    assert_eq!(find("keys:write")["implies"], json!(["keys:read"]));
    assert_eq!(find("keys:write")["grantable"], false);
    assert_eq!(find("admin")["grantable"], false);
}

#[tokio::test]
async fn refusals_at_the_authorizer_and_in_handlers_are_audited() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let (reader, reader_id) = stack
        .create_key(admin, json!({"name": "r", "scopes": ["keys:read"]}))
        .await;

    // keys:read cannot create: refused by the authorizer before the function runs.
    let refused = stack
        .send(
            "POST",
            "/v2/api-keys",
            &reader,
            Some(json!({"name": "x", "scopes": ["keys:read"]})),
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json(), json!({"message": "Forbidden"}));
    let denied = stack
        .audit(admin, &format!("actor={reader_id}&action=access.denied"))
        .await;
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0]["outcome"], "refused");
    assert_eq!(denied[0]["target"]["id"], "POST /v2/api-keys");
    assert!(denied[0]["detail"].as_str().unwrap().contains("keys:write"));

    // A handler refusal (bad body) is audited too, with the problem type.
    stack
        .send("POST", "/v2/api-keys", admin, Some(json!({"name": 1})))
        .await
        .assert_problem(400, "invalid-body");
    let bad = stack.audit(admin, "action=api_key.create").await;
    assert!(
        bad.iter().any(|e| e["outcome"] == "refused"
            && e["detail"].as_str().unwrap().starts_with("invalid-body"))
    );
}

#[tokio::test]
async fn audit_filters_time_ranges_and_tamper_evident_cursors() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let globex = stack.tenant("Globex").await;
    let admin = acme.admin_key.expose();
    let started = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    for i in 0..5 {
        stack
            .create_key(
                admin,
                json!({"name": format!("k{i}"), "scopes": ["keys:read"]}),
            )
            .await;
    }
    let created = stack.audit(admin, "action=api_key.create").await;
    assert_eq!(created.len(), 5);
    let future = (time::OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    assert!(
        stack
            .audit(admin, &format!("from={}", future.replace('+', "%2B")))
            .await
            .is_empty()
    );
    let since = started
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    assert_eq!(
        stack
            .audit(
                admin,
                &format!("action=api_key.create&from={}", since.replace('+', "%2B"))
            )
            .await
            .len(),
        5
    );

    let page = stack
        .send(
            "GET",
            "/v2/audit?action=api_key.create&limit=2",
            admin,
            None,
        )
        .await
        .json();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let next = stack
        .send(
            "GET",
            &format!("/v2/audit?action=api_key.create&limit=2&cursor={cursor}"),
            admin,
            None,
        )
        .await;
    assert_eq!(next.status, 200);
    assert_ne!(
        next.json()["items"][0]["event_id"],
        page["items"][0]["event_id"]
    );
    // Walking the filtered pages returns each event once: a filtered read takes more
    // events from the table than a page holds, and the cursor resumes after the last
    // one returned, not after the last one read.
    let mut walked = Vec::new();
    let mut resume = None::<String>;
    loop {
        let query = match &resume {
            Some(c) => format!("/v2/audit?action=api_key.create&limit=2&cursor={c}"),
            None => "/v2/audit?action=api_key.create&limit=2".to_owned(),
        };
        let page = stack.send("GET", &query, admin, None).await.json();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        walked.extend(items.iter().map(|e| e["event_id"].clone()));
        match page["next_cursor"].as_str() {
            Some(next) => resume = Some(next.to_owned()),
            None => break,
        }
    }
    let expected: Vec<_> = created.iter().map(|e| e["event_id"].clone()).collect();
    assert_eq!(walked, expected);

    let mut tampered = cursor.clone().into_bytes();
    tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    stack
        .send("GET", &format!("/v2/audit?cursor={tampered}"), admin, None)
        .await
        .assert_problem(400, "invalid-parameter");
    // Another tenant's cursor, or a cursor from another listing, is refused.
    stack
        .send(
            "GET",
            &format!("/v2/audit?cursor={cursor}"),
            globex.admin_key.expose(),
            None,
        )
        .await
        .assert_problem(400, "invalid-parameter");
    stack
        .send("GET", &format!("/v2/api-keys?cursor={cursor}"), admin, None)
        .await
        .assert_problem(400, "invalid-parameter");
    for bad in [
        "from=yesterday",
        "limit=0",
        "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        "colour=red",
    ] {
        stack
            .send("GET", &format!("/v2/audit?{bad}"), admin, None)
            .await
            .assert_problem(400, "invalid-parameter");
    }
}

#[tokio::test]
async fn idempotent_creation_returns_the_first_result_without_the_key() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let before = stack.key_count(&acme.tenant).await;
    let request = |body: serde_json::Value, idem: &str| {
        TestRequest::post("/v2/api-keys")
            .bearer(&acme.admin_key)
            .header("idempotency-key", idem)
            .json(&body)
    };
    let body = json!({"name": "once", "scopes": ["keys:read"]});
    let first = stack.call(request(body.clone(), "req-1")).await;
    assert_eq!(first.status, 201);
    assert!(first.json()["key"].is_string());
    let replay = stack.call(request(body.clone(), "req-1")).await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(replay.json()["key"], serde_json::Value::Null);
    assert_eq!(replay.json()["key_id"], first.json()["key_id"]);
    assert_eq!(replay.headers["location"], first.headers["location"]);
    assert_eq!(stack.key_count(&acme.tenant).await, before + 1);

    stack
        .call(request(
            json!({"name": "different", "scopes": ["keys:read"]}),
            "req-1",
        ))
        .await
        .assert_problem(422, "idempotency-key-reused");
    stack
        .call(request(body.clone(), &"x".repeat(300)))
        .await
        .assert_problem(400, "invalid-parameter");
    // The same key from another tenant is a different request.
    let globex = stack.tenant("Globex").await;
    let other = stack
        .call(
            TestRequest::post("/v2/api-keys")
                .bearer(&globex.admin_key)
                .header("idempotency-key", "req-1")
                .json(&body),
        )
        .await;
    assert_eq!(other.status, 201);
    assert!(other.json()["key"].is_string());

    // A refused request is not remembered: the client fixes the body and retries.
    stack
        .call(request(
            json!({"name": "", "scopes": ["keys:read"]}),
            "req-2",
        ))
        .await
        .assert_problem(400, "invalid-body");
    let fixed = stack
        .call(request(
            json!({"name": "fixed", "scopes": ["keys:read"]}),
            "req-2",
        ))
        .await;
    assert_eq!(fixed.status, 201);
    assert!(fixed.headers.get("idempotent-replayed").is_none());
    let audited = stack
        .audit(acme.admin_key.expose(), "action=api_key.create")
        .await;
    assert!(audited.iter().any(|e| e["outcome"] == "refused"));

    // Rotation too: a retried rotate does not rotate twice.
    let id = first.json()["key_id"].as_str().unwrap().to_owned();
    let rotate = || {
        TestRequest::post(&format!("/v2/api-keys/{id}/rotate"))
            .bearer(&acme.admin_key)
            .header("idempotency-key", "rot-1")
            .json(&json!({"grace_period_seconds": 60}))
    };
    let r1 = stack.call(rotate()).await;
    let r2 = stack.call(rotate()).await;
    assert_eq!((r1.status, r2.status), (201, 201));
    assert_eq!(r1.json()["key_id"], r2.json()["key_id"]);
    assert_eq!(r2.json()["key"], serde_json::Value::Null);
}
