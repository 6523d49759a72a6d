//! A new user's journey over real TCP: the admin key creates a key, the new key lists
//! the tenant's keys through the authorizer, and bad credentials are refused.

use gatehouse::ids::{KeyId, TenantId};
use gatehouse::keys::{ApiKey, KeyEnvironment, KeyPrefix};
use gatehouse_integration_tests::{TestRequest, TestStack, http_over_tcp};
use serde_json::json;

#[tokio::test]
async fn admin_key_creates_a_key_that_lists_the_tenants_keys() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let addr = stack.serve().await;

    let expires_at = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let created = http_over_tcp(
        addr,
        &TestRequest::post("/v2/api-keys")
            .bearer(&acme.admin_key)
            .json(&json!({"name": "CI deploy", "scopes": ["keys:read"], "expires_at": expires_at})),
    )
    .await;
    created.assert_status(201);
    assert!(created.headers.contains_key("apigw-requestid"));
    let body = created.json();
    let new_key = body["key"].as_str().expect("full key returned once");
    let new_key_id = body["key_id"].as_str().expect("key id");
    assert!(new_key.starts_with("gh_live_"));
    assert_eq!(body["scopes"], json!(["keys:read"]));
    assert_eq!(body["expires_at"], expires_at);
    assert_eq!(body["created_by"], acme.admin_record.key_id.as_str());
    assert_eq!(
        created.headers["location"],
        format!("/v2/api-keys/{new_key_id}")
    );
    assert!(
        body["hint"]
            .as_str()
            .is_some_and(|h| new_key.ends_with(&h[h.len() - 4..]))
    );

    // The HTTP API's identity source is the Authorization header.
    let listed = http_over_tcp(
        addr,
        &TestRequest::get("/v2/api-keys").header("authorization", &format!("Bearer {new_key}")),
    )
    .await;
    assert_eq!(listed.status, 200);
    let items = listed.json()["items"].as_array().cloned().expect("items");
    assert_eq!(items.len(), 2);
    let text = String::from_utf8_lossy(&listed.body).into_owned();
    assert!(
        !text.contains(new_key),
        "listing must never show a full key"
    );
    assert!(
        !text.contains("argon2"),
        "listing must never show a verifier"
    );

    // A keys:read key cannot create keys: the authorizer refuses, as API Gateway shows.
    let refused = http_over_tcp(
        addr,
        &TestRequest::post("/v2/api-keys")
            .header("authorization", &format!("Bearer {new_key}"))
            .json(&json!({"name": "x", "scopes": ["keys:read"]})),
    )
    .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json(), json!({"message": "Forbidden"}));
}

#[tokio::test]
async fn bad_credentials_are_refused_as_api_gateway_would() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let addr = stack.serve().await;
    let good = acme.admin_key.expose().to_owned();

    let missing = http_over_tcp(addr, &TestRequest::get("/v2/api-keys")).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.json(), json!({"message": "Unauthorized"}));

    // A well-formed key for the same tenant whose secret differs.
    let wrong_secret = ApiKey::generate(
        &KeyPrefix::parse("gh").unwrap(),
        KeyEnvironment::Live,
        &acme.tenant.tenant_id,
        &acme.admin_record.key_id,
    )
    .unwrap();
    let unknown = ApiKey::generate(
        &KeyPrefix::parse("gh").unwrap(),
        KeyEnvironment::Live,
        &TenantId::generate().unwrap(),
        &KeyId::generate().unwrap(),
    )
    .unwrap();
    let mut wrong_checksum = good.clone();
    let last = wrong_checksum.pop().unwrap();
    wrong_checksum.push(if last == 'a' { 'b' } else { 'a' });
    let test_env = good.replacen("_live_", "_test_", 1);

    for (what, header) in [
        ("garbled", "Bearer not-a-key".to_owned()),
        ("wrong checksum", format!("Bearer {wrong_checksum}")),
        ("unknown key", format!("Bearer {}", unknown.expose())),
        ("wrong secret", format!("Bearer {}", wrong_secret.expose())),
        ("other environment", format!("Bearer {test_env}")),
        ("other scheme", format!("Basic {good}")),
        ("empty bearer", "Bearer".to_owned()),
    ] {
        let response = http_over_tcp(
            addr,
            &TestRequest::get("/v2/api-keys").header("authorization", &header),
        )
        .await;
        assert_eq!(response.status, 403, "{what}");
        assert_eq!(response.json(), json!({"message": "Forbidden"}), "{what}");
    }
}

#[tokio::test]
async fn unknown_routes_are_404_like_api_gateway() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let response = stack
        .call(TestRequest::get("/v2/nothing-here").bearer(&acme.admin_key))
        .await;
    assert_eq!(response.status, 404);
    assert_eq!(response.json(), json!({"message": "Not Found"}));
    let wrong_method = stack
        .call(TestRequest::new("DELETE", "/v2/api-keys").bearer(&acme.admin_key))
        .await;
    assert_eq!(wrong_method.status, 404);
}
