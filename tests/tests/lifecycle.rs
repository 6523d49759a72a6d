//! The key lifecycle through the gateway: read, update, rotate with grace, revoke,
//! compromise response, service keys, each with its audit trail.

use gatehouse::App;
use gatehouse::auth::{self, Decision, DenyReason};
use gatehouse::clock::FixedClock;
use gatehouse_integration_tests::TestStack;
use serde_json::{Value, json};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

fn key_uri(id: &str) -> String {
    format!("/v2/api-keys/{id}")
}

#[tokio::test]
async fn read_update_and_disable_a_key() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let (key, id) = stack
        .create_key(admin, json!({"name": "ci", "scopes": ["keys:read"]}))
        .await;

    let got = stack.send("GET", &key_uri(&id), admin, None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json()["name"], "ci");
    assert!(!String::from_utf8_lossy(&got.body).contains(&key));
    stack
        .send("GET", &key_uri("nope"), admin, None)
        .await
        .assert_problem(404, "not-found");
    stack
        .send("GET", &key_uri("AAAAAAAAAA"), admin, None)
        .await
        .assert_problem(404, "not-found");

    let updated = stack
        .send("PUT", &key_uri(&id), admin, Some(json!({"name": "ci-renamed", "scopes": ["keys:read", "audit:read"], "status": "disabled"})))
        .await;
    updated.assert_status(200);
    let body = updated.json();
    assert_eq!(body["status"], "disabled");
    assert_eq!(body["scopes"], json!(["audit:read", "keys:read"]));
    assert!(body["updated_at"].is_string());

    // Disabled keys are refused at once; enabling restores them.
    assert_eq!(
        stack.send("GET", "/v2/api-keys", &key, None).await.status,
        403
    );
    stack
        .send(
            "PUT",
            &key_uri(&id),
            admin,
            Some(json!({"status": "active"})),
        )
        .await;
    assert_eq!(
        stack.send("GET", "/v2/api-keys", &key, None).await.status,
        200
    );

    // Expiry can be set and removed.
    let soon = (OffsetDateTime::now_utc() + Duration::days(3))
        .replace_nanosecond(0)
        .unwrap();
    let soon_text = soon
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let with_expiry = stack
        .send(
            "PUT",
            &key_uri(&id),
            admin,
            Some(json!({"expires_at": soon_text})),
        )
        .await;
    assert_eq!(with_expiry.json()["expires_at"], soon_text);
    let expiring = stack
        .send("GET", "/v2/api-keys?expiring_within_days=7", admin, None)
        .await
        .json();
    let ids: Vec<&str> = expiring["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id.as_str()]);
    let cleared = stack
        .send(
            "PUT",
            &key_uri(&id),
            admin,
            Some(json!({"expires_at": null})),
        )
        .await;
    assert_eq!(cleared.json()["expires_at"], Value::Null);

    // Who changed what is in the audit trail.
    let events = stack
        .audit(admin, &format!("key_id={id}&action=api_key.update"))
        .await;
    assert_eq!(events.len(), 4);
    let first = events.last().unwrap();
    assert_eq!(first["actor"]["key_id"], acme.admin_record.key_id.as_str());
    assert_eq!(first["outcome"], "success");
    let fields: Vec<&str> = first["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "scopes", "status"]);
    assert_eq!(first["origin"]["source_ip"], "127.0.0.1");
}

#[tokio::test]
async fn lesser_keys_cannot_take_over_stronger_ones() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let (writer, _) = stack
        .create_key(
            admin,
            json!({"name": "w", "scopes": ["keys:write", "keys:rotate"]}),
        )
        .await;
    let admin_id = acme.admin_record.key_id.to_string();

    stack
        .send(
            "PUT",
            &key_uri(&admin_id),
            &writer,
            Some(json!({"name": "mine now"})),
        )
        .await
        .assert_problem(403, "insufficient-scope");
    stack
        .send(
            "POST",
            &format!("{}/rotate", key_uri(&admin_id)),
            &writer,
            Some(json!({})),
        )
        .await
        .assert_problem(403, "insufficient-scope");
    let (_, reader_id) = stack
        .create_key(admin, json!({"name": "r", "scopes": ["keys:read"]}))
        .await;
    stack
        .send(
            "PUT",
            &key_uri(&reader_id),
            &writer,
            Some(json!({"scopes": ["admin"]})),
        )
        .await
        .assert_problem(403, "insufficient-scope");
    // The refusals are audited.
    let refused = stack.audit(admin, "action=api_key.update").await;
    assert!(refused.iter().filter(|e| e["outcome"] == "refused").count() >= 2);
}

#[tokio::test]
async fn rotation_keeps_the_old_key_for_its_grace_period() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let (old_key, old_id) = stack
        .create_key(
            admin,
            json!({"name": "deploy", "scopes": ["keys:read"], "service": "deployer"}),
        )
        .await;

    let rotated = stack
        .send(
            "POST",
            &format!("{}/rotate", key_uri(&old_id)),
            admin,
            Some(json!({"grace_period_seconds": 3600})),
        )
        .await;
    rotated.assert_status(201);
    let body = rotated.json();
    let new_key = body["key"].as_str().unwrap().to_owned();
    let new_id = body["key_id"].as_str().unwrap().to_owned();
    assert_eq!(body["rotated_from"], old_id.as_str());
    assert_eq!(body["previous"]["rotated_to"], new_id.as_str());
    assert_eq!(body["scopes"], json!(["keys:read"]));
    assert_eq!(body["principal"], "service:deployer");
    assert_eq!(body["name"], "deploy");

    // Both keys work now; the old one stops when the grace period ends.
    assert_eq!(
        stack
            .send("GET", "/v2/api-keys", &new_key, None)
            .await
            .status,
        200
    );
    assert_eq!(
        stack
            .send("GET", "/v2/api-keys", &old_key, None)
            .await
            .status,
        200
    );
    let later = App {
        clock: Arc::new(FixedClock(
            OffsetDateTime::now_utc() + Duration::seconds(3601),
        )),
        ..stack.app.clone()
    };
    assert_eq!(
        auth::authenticate(&later, Some(&old_key)).await,
        Decision::Deny(DenyReason::Expired)
    );
    assert!(matches!(
        auth::authenticate(&later, Some(&new_key)).await,
        Decision::Allow(_)
    ));

    // A key is rotated once; grace periods are bounded.
    stack
        .send(
            "POST",
            &format!("{}/rotate", key_uri(&old_id)),
            admin,
            Some(json!({})),
        )
        .await
        .assert_problem(409, "conflict");
    stack
        .send(
            "POST",
            &format!("{}/rotate", key_uri(&new_id)),
            admin,
            Some(json!({"grace_period_seconds": 700000})),
        )
        .await
        .assert_problem(400, "invalid-body");

    // Zero grace revokes the old key at once.
    let again = stack
        .send(
            "POST",
            &format!("{}/rotate", key_uri(&new_id)),
            admin,
            Some(json!({"grace_period_seconds": 0})),
        )
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.json()["previous"]["status"], "revoked");
    assert_eq!(
        stack
            .send("GET", "/v2/api-keys", &new_key, None)
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn revocation_is_immediate_reasoned_and_repeatable() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let (key, id) = stack
        .create_key(admin, json!({"name": "temp", "scopes": ["keys:read"]}))
        .await;

    stack
        .send("DELETE", &key_uri(&id), admin, None)
        .await
        .assert_problem(400, "invalid-body");
    stack
        .send("DELETE", &key_uri(&id), admin, Some(json!({"reason": ""})))
        .await
        .assert_problem(400, "invalid-body");
    let revoked = stack
        .send(
            "DELETE",
            &key_uri(&id),
            admin,
            Some(json!({"reason": "contractor left"})),
        )
        .await;
    assert_eq!(revoked.status, 200);
    let body = revoked.json();
    assert_eq!(body["status"], "revoked");
    assert_eq!(body["revocation"]["reason"], "contractor left");
    assert_eq!(body["revocation"]["by"], "user:admin@example.com");
    assert_eq!(
        stack.send("GET", "/v2/api-keys", &key, None).await.status,
        403
    );

    let again = stack
        .send(
            "DELETE",
            &key_uri(&id),
            admin,
            Some(json!({"reason": "again"})),
        )
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["revocation"]["reason"], "contractor left");
    let events = stack
        .audit(admin, &format!("key_id={id}&action=api_key.revoke"))
        .await;
    let successes: Vec<_> = events
        .iter()
        .filter(|e| e["outcome"] == "success")
        .collect();
    assert_eq!(successes.len(), 1);
    assert_eq!(successes[0]["detail"], "contractor left");
    stack
        .send(
            "PUT",
            &key_uri(&id),
            admin,
            Some(json!({"status": "active"})),
        )
        .await
        .assert_problem(409, "conflict");
}

#[tokio::test]
async fn compromise_revokes_records_alerts_and_replaces() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let (key, id) = stack
        .create_key(
            admin,
            json!({"name": "leaky", "scopes": ["keys:read", "audit:read"]}),
        )
        .await;

    let response = stack
        .send(
            "POST",
            &format!("{}/compromise", key_uri(&id)),
            admin,
            Some(json!({"description": "found in a public repo", "replace": true})),
        )
        .await;
    response.assert_status(200);
    let body = response.json();
    assert_eq!(body["revoked"]["status"], "revoked");
    let replacement = body["replacement"]["key"].as_str().unwrap().to_owned();
    assert_eq!(
        body["replacement"]["scopes"],
        json!(["audit:read", "keys:read"])
    );
    assert_eq!(body["replacement"]["rotated_from"], id.as_str());
    assert_eq!(
        stack.send("GET", "/v2/api-keys", &key, None).await.status,
        403
    );
    assert_eq!(
        stack
            .send("GET", "/v2/api-keys", &replacement, None)
            .await
            .status,
        200
    );

    let incident = body["incident_id"].as_str().unwrap();
    let events = stack
        .audit(admin, &format!("action=api_key.compromise&key_id={id}"))
        .await;
    assert_eq!(events[0]["event_id"], incident);
    assert!(
        events[0]["detail"]
            .as_str()
            .unwrap()
            .contains("public repo")
    );

    let published = stack.events().await;
    let security: Vec<&Value> = published
        .iter()
        .filter(|e| e["type"] == "api_key.compromised")
        .collect();
    assert_eq!(security.len(), 1, "{published:?}");
    assert_eq!(security[0]["category"], "security");
    assert_eq!(security[0]["data"]["incident_id"], incident);
    assert!(
        !security[0].to_string().contains(&replacement),
        "events never carry full keys"
    );
    assert!(published.iter().any(|e| e["type"] == "api_key.created"));
}

#[tokio::test]
async fn a_compromised_key_with_a_custom_scope_is_replaced_with_it() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    stack
        .send(
            "POST",
            "/v2/scopes",
            admin,
            Some(json!({"name": "orders:read", "description": "Read orders"})),
        )
        .await
        .assert_status(201);
    let (_, id) = stack
        .create_key(admin, json!({"name": "orders", "scopes": ["orders:read"]}))
        .await;
    let response = stack
        .send(
            "POST",
            &format!("{}/compromise", key_uri(&id)),
            admin,
            Some(json!({"description": "pasted in a ticket", "replace": true})),
        )
        .await;
    response.assert_status(200);
    assert_eq!(
        response.json()["replacement"]["scopes"],
        json!(["orders:read"]),
        "the custom scope is still defined, so the replacement keeps it"
    );
}
