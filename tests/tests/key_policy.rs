//! The tenant key policy through the local gateway against moto: each rule refuses the
//! key that breaks it with a problem naming the rule, replacements are brought into
//! line, and a policy change reports the keys it does not break.

use gatehouse_integration_tests::TestStack;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

fn in_days(days: i64) -> String {
    (OffsetDateTime::now_utc() + Duration::days(days))
        .format(&Rfc3339)
        .unwrap()
}

fn strict() -> Value {
    json!({
        "live": {
            "max_lifetime_days": 90,
            "require_expiry": true,
            "allowed_scopes": ["keys:read", "usage:*"],
        },
        "max_active_keys_per_principal": 2,
        "max_active_keys_per_tenant": 4,
    })
}

fn rules_of(view: &Value, key_id: &str) -> Vec<String> {
    view["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["key_id"] == key_id)
        .map(|v| v["rule"].as_str().unwrap().to_owned())
        .collect()
}

async fn refused(stack: &TestStack, method: &str, path: &str, key: &str, body: Value, rule: &str) {
    let response = stack.send(method, path, key, Some(body)).await;
    response.assert_problem(403, "key-policy");
    let detail = response.json()["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.starts_with(&format!("key policy rule `{rule}`")),
        "{method} {path}: expected `{rule}`, got: {detail}"
    );
}

#[tokio::test]
async fn each_rule_refuses_the_key_that_breaks_it() {
    let stack = TestStack::with_params(&[("AuthCacheTtlSeconds", "0")]).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose().to_owned();
    let admin_id = acme.admin_record.key_id.to_string();
    // Made before the policy: no expiry.
    let (_, old_id) = stack
        .create_key(&admin, json!({"name": "old", "scopes": ["keys:read"]}))
        .await;

    let put = stack
        .send("PUT", "/v2/key-policy", &admin, Some(strict()))
        .await;
    put.assert_status(200);
    let view = put.json();
    assert_eq!(view["version"], 1);
    // Existing keys are reported, not changed: the admin key (no expiry, `admin`) and
    // the old key (no expiry).
    assert_eq!(
        rules_of(&view, &admin_id),
        vec!["max_lifetime", "allowed_scopes"]
    );
    assert_eq!(rules_of(&view, &old_id), vec!["max_lifetime"]);
    assert!(
        view["violations"][0]["brought_into_line"]
            .as_str()
            .unwrap()
            .contains("rotation")
    );
    let got = stack
        .send("GET", "/v2/key-policy", &admin, None)
        .await
        .json();
    assert_eq!(got["live"], view["live"]);
    assert_eq!(got["violations"], view["violations"]);
    // The admin key still works.
    stack
        .send("GET", "/v2/api-keys", &admin, None)
        .await
        .assert_status(200);

    let keys = "/v2/api-keys";
    let create = |scopes: Value, expires: Option<String>| json!({"name": "k", "scopes": scopes, "expires_at": expires});
    refused(
        &stack,
        "POST",
        keys,
        &admin,
        create(json!(["keys:read"]), None),
        "max_lifetime",
    )
    .await;
    refused(
        &stack,
        "POST",
        keys,
        &admin,
        create(json!(["keys:read"]), Some(in_days(91))),
        "max_lifetime",
    )
    .await;
    refused(
        &stack,
        "POST",
        keys,
        &admin,
        create(json!(["keys:write"]), Some(in_days(30))),
        "allowed_scopes",
    )
    .await;
    // `usage:*` covers `usage:read`. The admin principal now holds the admin key, the
    // old key and... no room: two active keys already.
    refused(
        &stack,
        "POST",
        keys,
        &admin,
        create(json!(["usage:read"]), Some(in_days(30))),
        "max_active_keys_per_principal",
    )
    .await;
    // Service keys are their own principals; the tenant may hold four.
    for service in ["billing", "search"] {
        let created = stack
            .send(
                "POST",
                keys,
                &admin,
                Some(json!({"name": service, "scopes": ["usage:read"], "expires_at": in_days(30), "service": service})),
            )
            .await;
        created.assert_status(201);
    }
    refused(
        &stack,
        "POST",
        keys,
        &admin,
        json!({"name": "one more", "scopes": ["keys:read"], "expires_at": in_days(30), "service": "reports"}),
        "max_active_keys_per_tenant",
    )
    .await;

    // Updates are checked for what they change: renaming a key that breaks a rule is
    // fine; moving its expiry or scopes out of line is not.
    let old = format!("/v2/api-keys/{old_id}");
    stack
        .send("PUT", &old, &admin, Some(json!({"name": "renamed"})))
        .await
        .assert_status(200);
    refused(
        &stack,
        "PUT",
        &old,
        &admin,
        json!({"expires_at": in_days(120)}),
        "max_lifetime",
    )
    .await;
    refused(
        &stack,
        "PUT",
        &old,
        &admin,
        json!({"scopes": ["keys:read", "keys:write"]}),
        "allowed_scopes",
    )
    .await;
    // Disabled, it frees a place; enabled again, it needs one (its principal's, which is
    // checked before the tenant's).
    stack
        .send("PUT", &old, &admin, Some(json!({"status": "disabled"})))
        .await
        .assert_status(200);
    let fresh = stack
        .send(
            "POST",
            keys,
            &admin,
            Some(create(json!(["keys:read"]), Some(in_days(30)))),
        )
        .await;
    fresh.assert_status(201);
    refused(
        &stack,
        "PUT",
        &old,
        &admin,
        json!({"status": "active"}),
        "max_active_keys_per_principal",
    )
    .await;
}

#[tokio::test]
async fn replacements_are_brought_into_line() {
    let stack = TestStack::with_params(&[("AuthCacheTtlSeconds", "0")]).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose().to_owned();
    let (_, forever_id) = stack
        .create_key(&admin, json!({"name": "forever", "scopes": ["keys:read"]}))
        .await;
    let (_, broad_id) = stack
        .create_key(&admin, json!({"name": "broad", "scopes": ["keys:write"]}))
        .await;
    let (_, leaked_id) = stack
        .create_key(
            &admin,
            json!({"name": "leaked", "scopes": ["keys:read"], "expires_at": in_days(400)}),
        )
        .await;
    stack
        .send(
            "PUT",
            "/v2/key-policy",
            &admin,
            Some(json!({"live": {"max_lifetime_days": 90, "allowed_scopes": ["keys:read"]}})),
        )
        .await
        .assert_status(200);

    // Rotation gives the replacement an expiry within the longest lifetime.
    let rotated = stack
        .send(
            "POST",
            &format!("/v2/api-keys/{forever_id}/rotate"),
            &admin,
            None,
        )
        .await;
    rotated.assert_status(201);
    let expires =
        OffsetDateTime::parse(rotated.json()["expires_at"].as_str().unwrap(), &Rfc3339).unwrap();
    let ninety = OffsetDateTime::now_utc() + Duration::days(90);
    assert!((expires - ninety).abs() < Duration::minutes(1), "{expires}");

    // Scopes the policy no longer allows: no rotation, no replacement, until they are
    // updated; the compromise response without a replacement still revokes.
    refused(
        &stack,
        "POST",
        &format!("/v2/api-keys/{broad_id}/rotate"),
        &admin,
        json!({}),
        "allowed_scopes",
    )
    .await;
    let compromise = format!("/v2/api-keys/{broad_id}/compromise");
    refused(
        &stack,
        "POST",
        &compromise,
        &admin,
        json!({"description": "pasted in chat", "replace": true}),
        "allowed_scopes",
    )
    .await;
    let broad = stack
        .send("GET", &format!("/v2/api-keys/{broad_id}"), &admin, None)
        .await
        .json();
    assert_eq!(
        broad["status"], "active",
        "a refused replacement changes nothing"
    );
    stack
        .send(
            "POST",
            &compromise,
            &admin,
            Some(json!({"description": "pasted in chat"})),
        )
        .await
        .assert_status(200);

    // A compromise replacement is clamped like a rotation.
    let replaced = stack
        .send(
            "POST",
            &format!("/v2/api-keys/{leaked_id}/compromise"),
            &admin,
            Some(json!({"description": "in a public gist", "replace": true})),
        )
        .await;
    replaced.assert_status(200);
    let expires = OffsetDateTime::parse(
        replaced.json()["replacement"]["expires_at"]
            .as_str()
            .unwrap(),
        &Rfc3339,
    )
    .unwrap();
    assert!((expires - ninety).abs() < Duration::minutes(1), "{expires}");
}

#[tokio::test]
async fn policies_are_validated_and_kept_per_tenant() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let globex = stack.tenant("Globex").await;
    let admin = acme.admin_key.expose().to_owned();
    for bad in [
        json!({"max_idle_days": 30}),
        json!({"live": {"max_lifetime_days": 0}}),
        json!({"live": {"allowed_scopes": ["not a scope"]}}),
        json!({"max_active_keys_per_tenant": 0}),
    ] {
        stack
            .send("PUT", "/v2/key-policy", &admin, Some(bad))
            .await
            .assert_problem(400, "invalid-body");
    }
    stack
        .send("PUT", "/v2/key-policy", &admin, Some(strict()))
        .await
        .assert_status(200);
    let audit = stack.audit(&admin, "action=key_policy.update").await;
    let applied: Vec<&Value> = audit.iter().filter(|e| e["outcome"] == "success").collect();
    assert_eq!(applied.len(), 1, "{audit:?}");
    assert_eq!(applied[0]["target"]["kind"], "key_policy");
    assert_eq!(audit.len(), 5, "the refusals are audited too");
    // Another tenant's policy is its own: empty, and its keys unaffected.
    let other = stack
        .send("GET", "/v2/key-policy", globex.admin_key.expose(), None)
        .await
        .json();
    assert_eq!(other["version"], 0);
    assert_eq!(other["violations"], json!([]));
    stack
        .create_key(
            globex.admin_key.expose(),
            json!({"name": "no expiry", "scopes": ["keys:write"]}),
        )
        .await;
}

/// The scheduled key scan as it would run at `at`.
async fn scan_at(stack: &TestStack, at: OffsetDateTime) -> gatehouse::keys::expiry::ScanSummary {
    let notifier = gatehouse::App {
        clock: std::sync::Arc::new(gatehouse::clock::FixedClock(at)),
        ..stack.function_app("KeyExpiryNotifierFunction")
    };
    gatehouse_functions::keys::expiry_notifier::handle(&notifier)
        .await
        .unwrap()
}

async fn used_at(
    stack: &TestStack,
    tenant: &gatehouse::ids::TenantId,
    key_id: &str,
    at: OffsetDateTime,
) {
    let key_id = gatehouse::ids::KeyId::parse(key_id).unwrap();
    stack
        .app
        .keys
        .touch_last_used(tenant, &key_id, at)
        .await
        .unwrap();
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

#[tokio::test]
async fn idle_keys_are_warned_then_disabled_and_old_keys_fall_due_for_rotation() {
    let stack = TestStack::with_params(&[("AuthCacheTtlSeconds", "0")]).await;
    let acme = stack.tenant("Acme").await;
    let tenant = acme.tenant.tenant_id.clone();
    let admin = acme.admin_key.expose().to_owned();
    let (idle_key, idle) = stack
        .create_key(&admin, json!({"name": "idle", "scopes": ["keys:read"]}))
        .await;
    let (_, busy) = stack
        .create_key(&admin, json!({"name": "busy", "scopes": ["keys:read"]}))
        .await;
    let policy = json!({"live": {"max_idle_days": 30, "rotate_after_days": 90}});
    stack
        .send("PUT", "/v2/key-policy", &admin, Some(policy.clone()))
        .await
        .assert_status(200);
    assert_eq!(
        stack
            .send("GET", "/v2/key-policy", &admin, None)
            .await
            .json()["live"],
        policy["live"]
    );
    // The admin key is used all along; `busy` is used on day 24.
    let now = OffsetDateTime::now_utc();
    let admin_id = acme.admin_record.key_id.to_string();
    used_at(&stack, &tenant, &admin_id, now + Duration::days(100)).await;
    used_at(&stack, &tenant, &busy, now + Duration::days(24)).await;
    stack.events().await; // drain the lifecycle events

    // Day 25: `idle` is warned (disabled on day 30), once.
    let day25 = scan_at(&stack, now + Duration::days(25)).await;
    assert_eq!(
        (day25.upkeep.idle_warnings, day25.upkeep.disabled_idle),
        (1, 0),
        "{day25:?}"
    );
    let again = scan_at(&stack, now + Duration::days(25) + Duration::hours(6)).await;
    assert_eq!(
        (again.upkeep.idle_warnings, again.upkeep.skipped),
        (0, 1),
        "{again:?}"
    );
    let events = stack.events().await;
    let warnings = of_type(&events, "api_key.idle_warning");
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0]["data"]["key"]["key_id"], idle.as_str());
    let disable_at = OffsetDateTime::parse(
        warnings[0]["data"]["disable_at"].as_str().unwrap(),
        &Rfc3339,
    )
    .unwrap();
    assert!((disable_at - (now + Duration::days(30))).abs() < Duration::minutes(1));

    // Day 31: `idle` is disabled, audited and published; the authorizer refuses it.
    let day31 = scan_at(&stack, now + Duration::days(31)).await;
    assert_eq!(day31.upkeep.disabled_idle, 1, "{day31:?}");
    let events = stack.events().await;
    let disabled = of_type(&events, "api_key.disabled_idle");
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0]["data"]["key"]["key_id"], idle.as_str());
    assert_eq!(disabled[0]["data"]["key"]["status"], "disabled");
    assert_eq!(disabled[0]["data"]["max_idle_days"], 30);
    let view = stack
        .send("GET", &format!("/v2/api-keys/{idle}"), &admin, None)
        .await
        .json();
    assert_eq!(view["status"], "disabled");
    stack
        .send("GET", &format!("/v2/api-keys/{idle}"), &idle_key, None)
        .await
        .assert_status(403);
    let audit = stack
        .audit(
            &admin,
            &format!("key_id={idle}&action=api_key.disable_idle"),
        )
        .await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["actor"]["principal"], "system:key-expiry-notifier");
    assert_eq!(audit[0]["changes"][0]["field"], "status");

    // Day 91: both remaining keys are older than 90 days: each is due, once.
    used_at(&stack, &tenant, &busy, now + Duration::days(85)).await;
    let day91 = scan_at(&stack, now + Duration::days(91)).await;
    assert_eq!(day91.upkeep.rotation_due, 2, "{day91:?}");
    assert_eq!(
        scan_at(&stack, now + Duration::days(92))
            .await
            .upkeep
            .rotation_due,
        0
    );
    let events = stack.events().await;
    let mut due: Vec<&str> = of_type(&events, "api_key.rotation_due")
        .iter()
        .map(|e| e["data"]["key"]["key_id"].as_str().unwrap())
        .collect();
    due.sort_unstable();
    let mut expected = vec![busy.as_str(), admin_id.as_str()];
    expected.sort_unstable();
    assert_eq!(due, expected);
}
