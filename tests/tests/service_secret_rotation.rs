//! The rotation of the service secret (the cursor signing key), invoked step by step
//! as Secrets Manager would, against moto: each step is safe to repeat, a crash between
//! steps leaves a rotation that resumes, and no cursor is refused during or after it:
//! readers accept AWSCURRENT and AWSPREVIOUS, and a reader whose keys are stale reads
//! them again when a cursor fails.

use gatehouse::ids::TenantId;
use gatehouse::store::rotation::{RotationError, Step};
use gatehouse_devtools::template::TemplateValue;
use gatehouse_integration_tests::TestStack;

async fn stages(stack: &TestStack, arn: &str) -> std::collections::HashMap<String, Vec<String>> {
    aws_sdk_secretsmanager::Client::new(&stack.sdk)
        .describe_secret()
        .secret_id(arn)
        .send()
        .await
        .unwrap()
        .version_ids_to_stages
        .unwrap_or_default()
}

#[tokio::test]
async fn the_service_secret_rotates_step_by_step_and_no_cursor_is_refused() {
    let stack = TestStack::new().await;
    let arn = stack
        .local
        .resolve(&TemplateValue::Ref("ServiceSecret".into()))
        .unwrap();
    let tenant = TenantId::parse("rotTenant1").unwrap();
    // A warm reader, before the rotation: it signs with the old key and keeps it.
    let warm = stack.function_app("ListApiKeysFunction").cursors;
    let old_cursor = warm
        .encode(&tenant, "api-keys", "key0000001")
        .await
        .unwrap();
    let before = stages(&stack, &arn).await;
    let (old_version, _) = before
        .iter()
        .find(|(_, s)| s.iter().any(|s| s == "AWSCURRENT"))
        .unwrap();

    let rotator = stack.function_app("RotateServiceSecretFunction").cursors;
    let token = format!(
        "rotation-{}",
        gatehouse::keys::base62::random_string(24).unwrap()
    );
    // Steps for a token nobody staged, other than createSecret, are refused.
    assert!(matches!(
        rotator.rotate(&arn, &token, Step::Test).await,
        Err(RotationError::UnknownVersion(_))
    ));
    rotator.rotate(&arn, &token, Step::Create).await.unwrap();
    // Retried (Secrets Manager retries a step whose invocation failed): no second value.
    rotator.rotate(&arn, &token, Step::Create).await.unwrap();
    let pending = stages(&stack, &arn).await;
    assert_eq!(pending[&token], vec!["AWSPENDING"]);
    assert_eq!(pending.len(), 2);
    // Midway, readers still sign and verify with the current key.
    assert_eq!(
        warm.decode(&tenant, "api-keys", &old_cursor).await.unwrap(),
        "key0000001"
    );
    rotator.rotate(&arn, &token, Step::Set).await.unwrap();
    rotator.rotate(&arn, &token, Step::Test).await.unwrap();
    rotator.rotate(&arn, &token, Step::Test).await.unwrap();
    // A crash here, and the function starts afresh: the steps resume.
    let rotator = stack.function_app("RotateServiceSecretFunction").cursors;
    rotator.rotate(&arn, &token, Step::Finish).await.unwrap();
    rotator.rotate(&arn, &token, Step::Finish).await.unwrap();
    // Every step of a finished rotation is done already.
    rotator.rotate(&arn, &token, Step::Create).await.unwrap();
    let after = stages(&stack, &arn).await;
    assert!(
        after[&token].contains(&"AWSCURRENT".to_owned()),
        "{after:?}"
    );
    assert!(
        after[old_version].contains(&"AWSPREVIOUS".to_owned()),
        "{after:?}"
    );
    // A version that is neither current nor pending is refused.
    assert!(matches!(
        rotator.rotate(&arn, old_version, Step::Test).await,
        Err(RotationError::NotPending(_))
    ));

    // A new reader signs with the new key, and still accepts the old cursor.
    let fresh = stack.function_app("ListApiKeysFunction").cursors;
    let new_cursor = fresh
        .encode(&tenant, "api-keys", "key0000002")
        .await
        .unwrap();
    assert_ne!(
        new_cursor,
        warm.encode(&tenant, "api-keys", "key0000002")
            .await
            .unwrap()
    );
    assert_eq!(
        fresh
            .decode(&tenant, "api-keys", &old_cursor)
            .await
            .unwrap(),
        "key0000001"
    );
    // The warm reader still has the old keys: the new cursor fails with them, so it
    // reads the keys again (at most once a second) and accepts it.
    tokio::time::sleep(gatehouse::store::cursors::FORCED_REFRESH_GAP).await;
    assert_eq!(
        warm.decode(&tenant, "api-keys", &new_cursor).await.unwrap(),
        "key0000002"
    );
    // A forged cursor is still refused by both.
    let forged = gatehouse_integration_tests::with_last_char_changed(&new_cursor);
    assert!(fresh.decode(&tenant, "api-keys", &forged).await.is_err());
}

/// Through the gateway: a page's cursor, issued before a rotation, still turns the
/// page after it.
#[tokio::test]
async fn a_cursor_issued_before_a_rotation_still_pages_after_it() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    for n in 0..3 {
        stack
            .create_key(
                admin,
                serde_json::json!({"name": format!("k{n}"), "scopes": ["keys:read"]}),
            )
            .await;
    }
    let first = stack
        .send("GET", "/v2/api-keys?limit=2", admin, None)
        .await
        .json();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let arn = stack
        .local
        .resolve(&TemplateValue::Ref("ServiceSecret".into()))
        .unwrap();
    let rotator = stack.function_app("RotateServiceSecretFunction").cursors;
    let token = format!(
        "rotation-{}",
        gatehouse::keys::base62::random_string(24).unwrap()
    );
    for step in [Step::Create, Step::Set, Step::Test, Step::Finish] {
        rotator.rotate(&arn, &token, step).await.unwrap();
    }
    let next = stack
        .send(
            "GET",
            &format!("/v2/api-keys?limit=2&cursor={cursor}"),
            admin,
            None,
        )
        .await;
    next.assert_status(200);
    assert_eq!(next.json()["items"].as_array().unwrap().len(), 2);
}
