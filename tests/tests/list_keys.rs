//! Listing: pagination, the inactive filter, and tenant isolation.

use gatehouse::keys::KeyStatus;
use gatehouse::keys::issue::{NewKey, issue_key};
use gatehouse::keys::model::{DisplayName, Principal};
use gatehouse::keys::{Scope, ScopeSet};
use gatehouse_integration_tests::{TestRequest, TestStack, TestTenant};
use std::collections::BTreeSet;
use time::{Duration, OffsetDateTime};

async fn add_key(
    stack: &TestStack,
    owner: &TestTenant,
    name: &str,
    expires_at: Option<OffsetDateTime>,
) -> String {
    let spec = NewKey {
        expires_at,
        ..NewKey::new(
            DisplayName::parse(name).unwrap(),
            ScopeSet::new(vec![Scope::parse("keys:read").unwrap()]).unwrap(),
            Principal::parse("user:test@example.com").unwrap(),
        )
    };
    let (_, record) = issue_key(&stack.app, &owner.tenant, spec).await.unwrap();
    record.key_id.to_string()
}

async fn list_all(stack: &TestStack, owner: &TestTenant, query: &str) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut uri = format!("/v2/api-keys?{query}");
        if let Some(c) = &cursor {
            uri.push_str(&format!("&cursor={c}"));
        }
        let response = stack
            .call(TestRequest::get(&uri).bearer(&owner.admin_key))
            .await;
        response.assert_status(200);
        let body = response.json();
        pages += 1;
        for item in body["items"].as_array().unwrap() {
            ids.push(item["key_id"].as_str().unwrap().to_owned());
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 50, "pagination does not end");
    }
    (ids, pages)
}

#[tokio::test]
async fn pages_cover_every_key_exactly_once() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    for i in 0..6 {
        add_key(&stack, &acme, &format!("key {i}"), None).await;
    }
    let (ids, pages) = list_all(&stack, &acme, "limit=2").await;
    assert_eq!(ids.len(), 7);
    assert_eq!(
        ids.iter().collect::<BTreeSet<_>>().len(),
        7,
        "no duplicates across pages"
    );
    assert!(pages >= 4);
}

#[tokio::test]
async fn inactive_and_expired_keys_are_listed_only_on_request() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let active = add_key(&stack, &acme, "active", None).await;
    let expired = add_key(
        &stack,
        &acme,
        "expired",
        Some(OffsetDateTime::now_utc() - Duration::hours(1)),
    )
    .await;
    let disabled = add_key(&stack, &acme, "disabled", None).await;
    set_status(&stack, &acme, &disabled, KeyStatus::Disabled).await;
    for _ in 0..4 {
        let id = add_key(&stack, &acme, "revoked", None).await;
        set_status(&stack, &acme, &id, KeyStatus::Revoked).await;
    }

    // Small pages with most keys filtered out must still find every active key.
    let (ids, _) = list_all(&stack, &acme, "limit=1").await;
    let ids: BTreeSet<_> = ids.into_iter().collect();
    assert!(ids.contains(&active));
    assert!(!ids.contains(&expired) && !ids.contains(&disabled));
    assert_eq!(ids.len(), 2, "the admin key and the active key");

    let (all, _) = list_all(&stack, &acme, "include_inactive=true&limit=3").await;
    assert_eq!(
        all.len(),
        8,
        "admin, active, expired, disabled and four revoked"
    );
}

#[tokio::test]
async fn a_tenant_never_sees_another_tenants_keys() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let globex = stack.tenant("Globex").await;
    let acme_key = add_key(&stack, &acme, "acme only", None).await;
    let (globex_ids, _) = list_all(&stack, &globex, "include_inactive=true").await;
    assert_eq!(globex_ids, vec![globex.admin_record.key_id.to_string()]);
    assert!(!globex_ids.contains(&acme_key));

    // A hand-made cursor naming another tenant's key is refused: cursors are signed.
    let forged =
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &acme_key);
    let response = stack
        .call(
            TestRequest::get(&format!(
                "/v2/api-keys?include_inactive=true&cursor={forged}"
            ))
            .bearer(&globex.admin_key),
        )
        .await;
    response.assert_problem(400, "invalid-parameter");
}

async fn set_status(stack: &TestStack, owner: &TestTenant, key_id: &str, status: KeyStatus) {
    use aws_sdk_dynamodb::types::AttributeValue;
    aws_sdk_dynamodb::Client::new(&stack.sdk)
        .update_item()
        .table_name(stack.app.keys.table_name())
        .key(
            "tenant_id",
            AttributeValue::S(owner.tenant.tenant_id.to_string()),
        )
        .key("sk", AttributeValue::S(format!("KEY#{key_id}")))
        .update_expression("SET #s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", AttributeValue::S(status.as_str().into()))
        .send()
        .await
        .unwrap();
}
