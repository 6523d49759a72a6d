//! Tenant secrets through the routes (the AWS backend: Secrets Manager, DynamoDB and
//! KMS in moto, through the real SDK): Vault KV v2 semantics, values only to
//! `secrets:read` and never in the audit trail, crypto-shredding on destroy, delete-all
//! with restore, and the limits.

use gatehouse::clock::ManualClock;
use gatehouse_integration_tests::TestStack;
use serde_json::{Value, json};
use std::sync::Arc;

fn data_path(path: &str) -> String {
    format!("/v2/secrets/data/{path}")
}

async fn write(
    stack: &TestStack,
    key: &str,
    path: &str,
    body: Value,
) -> gatehouse_integration_tests::TestResponse {
    stack.send("POST", &data_path(path), key, Some(body)).await
}

async fn read(
    stack: &TestStack,
    key: &str,
    path: &str,
) -> gatehouse_integration_tests::TestResponse {
    stack.send("GET", &data_path(path), key, None).await
}

/// Versions, check-and-set, settings and pruning, delete / undelete / destroy,
/// delete-all with restore (Gatehouse's own store; refused, with the reason, on Vault)
/// and listing: the behaviour every backend must show, through the routes.
async fn kv2_behaviour(stack: &TestStack, admin: &str, on_vault: bool) {
    let path = "payments/db";
    let first = write(
        stack,
        admin,
        path,
        json!({"data": {"user": "app", "password": "one"}}),
    )
    .await;
    first.assert_status(201);
    assert_eq!(first.json()["version"], 1);
    let second = write(
        stack,
        admin,
        path,
        json!({"data": {"password": "two"}, "cas": 1}),
    )
    .await;
    second.assert_status(200);
    assert_eq!(second.json()["version"], 2);
    // cas: a stale version and create-only both refuse, and nothing is written.
    let stale = write(
        stack,
        admin,
        path,
        json!({"data": {"password": "x"}, "cas": 1}),
    )
    .await;
    assert!(
        stale.assert_problem(409, "conflict")["detail"]
            .as_str()
            .unwrap()
            .contains("current version is 2")
    );
    write(
        stack,
        admin,
        path,
        json!({"data": {"password": "x"}, "cas": 0}),
    )
    .await
    .assert_problem(409, "conflict");
    let current = read(stack, admin, path).await.json();
    assert_eq!(current["version"], 2);
    assert_eq!(current["data"], json!({"password": "two"}));
    let old = stack
        .send(
            "GET",
            &format!("{}?version=1", data_path(path)),
            admin,
            None,
        )
        .await
        .json();
    assert_eq!(old["data"], json!({"user": "app", "password": "one"}));
    stack
        .send(
            "GET",
            &format!("{}?version=7", data_path(path)),
            admin,
            None,
        )
        .await
        .assert_problem(404, "not-found");

    // cas_required, and max_versions pruning at the next write.
    stack
        .send(
            "PUT",
            &format!("/v2/secrets/metadata/{path}"),
            admin,
            Some(json!({"cas_required": true, "max_versions": 2})),
        )
        .await
        .assert_status(200);
    write(stack, admin, path, json!({"data": {"password": "three"}}))
        .await
        .assert_problem(409, "conflict");
    write(
        stack,
        admin,
        path,
        json!({"data": {"password": "three"}, "cas": 2}),
    )
    .await
    .assert_status(200);
    let meta = stack
        .send("GET", &format!("/v2/secrets/metadata/{path}"), admin, None)
        .await
        .json();
    assert_eq!(meta["current_version"], 3);
    assert_eq!(meta["oldest_version"], 2);
    assert_eq!(meta["versions"].as_array().unwrap().len(), 2);
    stack
        .send(
            "GET",
            &format!("{}?version=1", data_path(path)),
            admin,
            None,
        )
        .await
        .assert_problem(404, "not-found");

    // Soft delete, undelete, destroy.
    let op = |name: &str, versions: Value| {
        let uri = format!("/v2/secrets/{name}/{path}");
        async move {
            stack
                .send("POST", &uri, admin, Some(json!({ "versions": versions })))
                .await
        }
    };
    op("delete", json!([3])).await.assert_status(200);
    read(stack, admin, path)
        .await
        .assert_problem(404, "not-found");
    op("undelete", json!([3])).await.assert_status(200);
    assert_eq!(
        read(stack, admin, path).await.json()["data"],
        json!({"password": "three"})
    );
    let destroyed = op("destroy", json!([2])).await;
    destroyed.assert_status(200);
    let versions = destroyed.json()["versions"].clone();
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[0]["destroyed"], true);
    stack
        .send(
            "GET",
            &format!("{}?version=2", data_path(path)),
            admin,
            None,
        )
        .await
        .assert_problem(410, "gone");
    // A destroyed version cannot come back.
    op("undelete", json!([2])).await.assert_status(200);
    stack
        .send(
            "GET",
            &format!("{}?version=2", data_path(path)),
            admin,
            None,
        )
        .await
        .assert_problem(410, "gone");

    // Delete-all: nothing reads or writes until restored, then all is as it was.
    if on_vault {
        let refused = stack
            .send(
                "DELETE",
                &format!("/v2/secrets/metadata/{path}?recovery_window_days=7"),
                admin,
                None,
            )
            .await;
        assert!(
            refused.assert_problem(409, "conflict")["detail"]
                .as_str()
                .unwrap()
                .contains("Vault")
        );
        assert_eq!(
            read(stack, admin, path).await.json()["data"],
            json!({"password": "three"})
        );
    } else {
        delete_all_and_restore(stack, admin, path).await;
    }
    listing(stack, admin).await;
}

async fn delete_all_and_restore(stack: &TestStack, admin: &str, path: &str) {
    let deleted = stack
        .send(
            "DELETE",
            &format!("/v2/secrets/metadata/{path}?recovery_window_days=7"),
            admin,
            None,
        )
        .await;
    deleted.assert_status(200);
    assert!(deleted.json()["deletion"]["purge_at"].is_string());
    read(stack, admin, path)
        .await
        .assert_problem(409, "conflict");
    write(
        stack,
        admin,
        path,
        json!({"data": {"password": "four"}, "cas": 3}),
    )
    .await
    .assert_problem(409, "conflict");
    stack
        .send("POST", &format!("/v2/secrets/restore/{path}"), admin, None)
        .await
        .assert_status(200);
    assert_eq!(
        read(stack, admin, path).await.json()["data"],
        json!({"password": "three"})
    );
    stack
        .send("POST", &format!("/v2/secrets/restore/{path}"), admin, None)
        .await
        .assert_problem(409, "conflict");
}

/// Listing, by prefix, page by page.
async fn listing(stack: &TestStack, admin: &str) {
    write(
        stack,
        admin,
        "payments/api",
        json!({"data": {"token": "t"}}),
    )
    .await
    .assert_status(201);
    write(
        stack,
        admin,
        "paymentsx/other",
        json!({"data": {"token": "t"}}),
    )
    .await
    .assert_status(201);
    let mut seen = Vec::new();
    let mut uri = "/v2/secrets?prefix=payments/&limit=1".to_owned();
    loop {
        let page = stack.send("GET", &uri, admin, None).await.json();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["path"].as_str().unwrap().to_owned());
            assert!(item.get("data").is_none(), "a listing shows no value");
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/v2/secrets?prefix=payments/&limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["payments/api", "payments/db"]);
}

#[tokio::test]
async fn the_aws_backend_has_kv2_semantics() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    Box::pin(kv2_behaviour(&stack, acme.admin_key.expose(), false)).await;
}

#[tokio::test]
async fn values_go_only_to_secrets_read_and_never_into_the_audit_trail() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let (writer, _) = stack
        .create_key(admin, json!({"name": "ci", "scopes": ["secrets:write"]}))
        .await;
    let (reader, _) = stack
        .create_key(admin, json!({"name": "app", "scopes": ["secrets:read"]}))
        .await;
    let value = "s3cr3t-value-that-must-not-leak";
    write(
        &stack,
        &writer,
        "app/token",
        json!({"data": {"token": value}}),
    )
    .await
    .assert_status(201);
    read(&stack, &writer, "app/token").await.assert_status(403);
    write(
        &stack,
        &reader,
        "app/token",
        json!({"data": {"token": "x"}}),
    )
    .await
    .assert_status(403);
    assert_eq!(
        read(&stack, &reader, "app/token").await.json()["data"]["token"],
        value
    );
    let trail = stack.audit(admin, "limit=200").await;
    let actions: Vec<&str> = trail.iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(
        actions.contains(&"secret.write") && actions.contains(&"secret.read"),
        "{actions:?}"
    );
    let read_event = trail
        .iter()
        .find(|e| e["action"] == "secret.read" && e["outcome"] == "success")
        .unwrap();
    assert_eq!(
        read_event["target"],
        json!({"kind": "secret", "id": "app/token"})
    );
    assert!(!serde_json::to_string(&trail).unwrap().contains(value));

    // The stored forms hold no plaintext either: the record, and the ciphertext in
    // Secrets Manager.
    let items = aws_sdk_dynamodb::Client::new(&stack.sdk)
        .scan()
        .table_name(&stack.app.config.secrets_table)
        .send()
        .await
        .unwrap();
    assert!(!format!("{:?}", items.items()).contains(value));
}

#[tokio::test]
async fn a_destroyed_version_is_crypto_shredded() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    write(&stack, admin, "db", json!({"data": {"password": "one"}}))
        .await
        .assert_status(201);
    write(&stack, admin, "db", json!({"data": {"password": "two"}}))
        .await
        .assert_status(200);
    let path = gatehouse::secrets::SecretPath::parse("db").unwrap();
    let before = stack
        .app
        .secrets
        .aws
        .load(
            &acme.tenant.tenant_id,
            &path,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let shredded = before.keys[&1].clone();
    stack
        .send(
            "POST",
            "/v2/secrets/destroy/db",
            admin,
            Some(json!({"versions": [1]})),
        )
        .await
        .assert_status(200);
    let after = stack
        .app
        .secrets
        .aws
        .load(
            &acme.tenant.tenant_id,
            &path,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert!(!after.keys.contains_key(&1), "the data key is gone");
    assert!(after.keys.contains_key(&2));
    assert!(after.meta.versions[&1].destroyed);
    // The ciphertext is still in Secrets Manager, and useless without its key.
    let name = gatehouse::store::secret_versions::SecretVersions::new(
        aws_sdk_secretsmanager::Client::new(&stack.sdk),
        stack.app.config.secrets_name_prefix.clone(),
    )
    .name(acme.tenant.tenant_id.as_str(), "db");
    let stored = aws_sdk_secretsmanager::Client::new(&stack.sdk)
        .get_secret_value()
        .secret_id(&name)
        .version_id(&shredded.sm_version_id)
        .send()
        .await
        .unwrap();
    assert!(stored.secret_binary().is_some());
    assert_eq!(
        read(&stack, admin, "db").await.json()["data"],
        json!({"password": "two"})
    );
}

#[tokio::test]
async fn bad_input_is_refused_clearly_and_writes_nothing() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    // (`a//b` is refused too, but the local gateway folds empty segments as it matches
    // routes; the path rules have unit tests.) A key without the route scope gets
    // API Gateway's own 403 above.
    for bad in ["a/..%2Fb", "%2Fa", "a%0Ab", "a/.hidden"] {
        write(&stack, admin, bad, json!({"data": {"k": "v"}}))
            .await
            .assert_problem(400, "invalid-parameter");
    }
    let long = "p".repeat(513);
    write(&stack, admin, &long, json!({"data": {"k": "v"}}))
        .await
        .assert_problem(400, "invalid-parameter");
    let big = "x".repeat(70_000);
    let too_big = write(&stack, admin, "big", json!({"data": {"blob": big}})).await;
    assert!(
        too_big.assert_problem(400, "invalid-body")["detail"]
            .as_str()
            .unwrap()
            .contains("65508")
    );
    let huge = "x".repeat(140_000);
    write(&stack, admin, "big", json!({"data": {"blob": huge}}))
        .await
        .assert_problem(413, "payload-too-large");
    write(
        &stack,
        admin,
        "big",
        json!({"data": {"k": "v"}, "extra": 1}),
    )
    .await
    .assert_problem(400, "invalid-body");
    stack
        .send("GET", "/v2/secrets/metadata/big", admin, None)
        .await
        .assert_problem(404, "not-found");
    // The largest value fits.
    let fits = "y".repeat(65_508 - r#"{"blob":""}"#.len());
    write(&stack, admin, "big", json!({"data": {"blob": fits}}))
        .await
        .assert_status(201);
    assert_eq!(
        read(&stack, admin, "big").await.json()["data"]["blob"]
            .as_str()
            .map(str::len),
        Some(65_508 - 11)
    );
}

/// A deleted secret past its recovery window is gone: its path starts afresh, even
/// before the table's TTL sweeps the record and while Secrets Manager still holds the
/// deleted secret (it is taken back).
#[tokio::test]
async fn a_purged_path_starts_afresh() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    write(&stack, admin, "old", json!({"data": {"v": "1"}}))
        .await
        .assert_status(201);
    write(&stack, admin, "conf", json!({"data": {"v": "1"}}))
        .await
        .assert_status(201);
    for path in ["old", "conf"] {
        stack
            .send(
                "DELETE",
                &format!("/v2/secrets/metadata/{path}?recovery_window_days=7"),
                admin,
                None,
            )
            .await
            .assert_status(200);
    }
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(8);
    let serve = |logical_id: &str, route: &str, uri: &str, body: &str| {
        let mut app = stack.function_app(logical_id);
        app.clock = Arc::new(ManualClock::new(later));
        let request =
            stack.lambda_request(route, uri, acme.tenant.tenant_id.as_str(), "admin", body);
        let function =
            gatehouse_functions::function(&stack.template.functions[logical_id].handler).unwrap();
        async move { gatehouse_functions::serve_http(&app, function, request).await }
    };
    let written = serve(
        "WriteSecretFunction",
        "POST /v2/secrets/data/{path+}",
        "/v2/secrets/data/old",
        r#"{"data": {"v": "new"}}"#,
    )
    .await;
    assert_eq!(written.status(), 201);
    let configured = serve(
        "ConfigureSecretFunction",
        "PUT /v2/secrets/metadata/{path+}",
        "/v2/secrets/metadata/conf",
        r#"{"max_versions": 3}"#,
    )
    .await;
    assert_eq!(configured.status(), 200);
    let app = stack.app.clone();
    let path = gatehouse::secrets::SecretPath::parse("old").unwrap();
    let record = app
        .secrets
        .aws
        .load(&acme.tenant.tenant_id, &path, later)
        .await
        .unwrap();
    assert_eq!(
        record.meta.current_version, 1,
        "a new secret, from version 1"
    );
    assert!(record.meta.deletion.is_none());
}

/// The same behaviour with the tenant's secrets in its own Vault: a real OpenBao
/// server (`bao server -dev`), configured through `POST /v2/integrations/vault`.
#[tokio::test]
async fn the_vault_backend_has_the_same_semantics() {
    let bao = gatehouse_integration_tests::openbao::OpenBao::start().await;
    let stack = TestStack::with_params(&[("IntegrationAllowHosts", bao.host_port())]).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    stack
        .send(
            "POST",
            "/v2/integrations/vault",
            admin,
            Some(json!({
                "address": bao.address,
                "auth": {"method": "token", "token": bao.root_token},
            })),
        )
        .await
        .assert_status(201);
    Box::pin(kv2_behaviour(&stack, admin, true)).await;
    // The values are in the Vault, not in Gatehouse's store.
    let stored = bao
        .admin("GET", "secret/data/payments/db", json!(null))
        .await;
    assert_eq!(stored["data"]["data"], json!({"password": "three"}));
    let items = aws_sdk_dynamodb::Client::new(&stack.sdk)
        .scan()
        .table_name(&stack.app.config.secrets_table)
        .send()
        .await
        .unwrap();
    assert_eq!(items.count(), 0);
}

/// The same behaviour again, the Vault logged in with AppRole whose secret id is not
/// given but referenced: a field of a secret in Gatehouse's own store, read at use.
/// A reference to nothing is refused when it is saved.
#[tokio::test]
async fn a_vault_credential_can_be_a_reference_to_a_secret() {
    let bao = gatehouse_integration_tests::openbao::OpenBao::start().await;
    let stack = TestStack::with_params(&[("IntegrationAllowHosts", bao.host_port())]).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let (role_id, secret_id) = bao
        .approle(
            "path \"secret/*\" { capabilities = [\"create\", \"read\", \"update\", \"delete\", \"list\"] }",
        )
        .await;
    let by_reference = |path: &str, key: &str| {
        json!({"address": bao.address, "auth": {"method": "approle", "role_id": role_id,
               "secret_id": {"secret_ref": {"path": path, "key": key}}}})
    };
    let refused = stack
        .send(
            "POST",
            "/v2/integrations/vault",
            admin,
            Some(by_reference("vault/approle", "secret_id")),
        )
        .await;
    assert!(
        refused.assert_problem(400, "invalid-body")["detail"]
            .as_str()
            .unwrap()
            .contains("vault/approle")
    );
    write(
        &stack,
        admin,
        "vault/approle",
        json!({"data": {"secret_id": secret_id}}),
    )
    .await
    .assert_status(201);
    stack
        .send(
            "POST",
            "/v2/integrations/vault",
            admin,
            Some(by_reference("vault/approle", "wrong")),
        )
        .await
        .assert_problem(400, "invalid-body");
    let created = stack
        .send(
            "POST",
            "/v2/integrations/vault",
            admin,
            Some(by_reference("vault/approle", "secret_id")),
        )
        .await;
    created.assert_status(201);
    let id = created.json()["integration_id"]
        .as_str()
        .unwrap()
        .to_owned();
    Box::pin(kv2_behaviour(&stack, admin, true)).await;
    stack
        .send(
            "PUT",
            "/v2/integrations/vault",
            admin,
            Some(by_reference("vault/approle", "secret_id")),
        )
        .await
        .assert_status(200);
    let tested = stack
        .send("POST", &format!("/v2/integrations/{id}/test"), admin, None)
        .await;
    assert_eq!(tested.json()["healthy"], true);
    let prober = stack.function_app("IntegrationProberFunction");
    let summary = gatehouse_functions::integrations::prober::handle(&prober)
        .await
        .unwrap();
    assert_eq!((summary.checked, summary.unhealthy), (1, 0));

    // Rotating the referenced secret rotates the credential: a new secret id written
    // to Gatehouse's own store (`store=gatehouse`, beside the Vault), the old one
    // destroyed in Vault, and the next login uses the new one.
    let fresh = bao
        .admin("POST", "auth/approle/role/gatehouse/secret-id", json!({}))
        .await["data"]["secret_id"]
        .as_str()
        .unwrap()
        .to_owned();
    stack
        .send(
            "POST",
            "/v2/secrets/data/vault/approle?store=gatehouse",
            admin,
            Some(json!({"data": {"secret_id": fresh}})),
        )
        .await
        .assert_status(200);
    bao.admin(
        "POST",
        "auth/approle/role/gatehouse/secret-id/destroy",
        json!({"secret_id": secret_id}),
    )
    .await;
    let rotated = stack
        .send("POST", &format!("/v2/integrations/{id}/test"), admin, None)
        .await;
    assert_eq!(rotated.json()["healthy"], true, "{}", rotated.json());
    let own = stack
        .send(
            "GET",
            "/v2/secrets/data/vault/approle?store=gatehouse",
            admin,
            None,
        )
        .await
        .json();
    assert_eq!(own["version"], 2);
    // Without `store`, the route is the tenant's Vault, which has no such secret.
    stack
        .send("GET", "/v2/secrets/data/vault/approle", admin, None)
        .await
        .assert_problem(404, "not-found");
    stack
        .send("GET", "/v2/secrets?store=elsewhere", admin, None)
        .await
        .assert_problem(400, "invalid-parameter");
}

/// The same behaviour with AWS IAM login: Gatehouse signs `sts:GetCallerIdentity` with
/// each function's own credentials, and Vault's aws method (served by the harness in
/// front of OpenBao, whose PyPI build lacks it) checks the signed server id and the
/// signature, asks STS (moto) who signed, and issues a token to the bound principal.
/// A Vault whose role is bound to another principal, or that expects another server
/// id (another tenant's), refuses.
#[tokio::test]
async fn the_vault_backend_logs_in_with_aws_iam() {
    use gatehouse_integration_tests::vault_aws_login::{AwsRole, VaultAwsLogin};
    let bao = gatehouse_integration_tests::openbao::OpenBao::start().await;
    bao.admin(
        "PUT",
        "sys/policies/acl/gatehouse",
        json!({"policy": "path \"secret/*\" { capabilities = [\"create\", \"read\", \"update\", \"delete\", \"list\"] }"}),
    )
    .await;
    // The functions sign with the local stack's credentials: their logical id, `local`.
    let secrets = gatehouse_integration_tests::template()
        .functions
        .keys()
        .map(|f| (f.clone(), "local".to_owned()))
        .collect();
    let sts = std::env::var("AWS_ENDPOINT_URL").expect("tests run against moto");
    let vault = VaultAwsLogin::start(&bao.address, &bao.root_token, "aws", &sts, secrets).await;
    let stack = TestStack::with_params(&[("IntegrationAllowHosts", vault.host_port())]).await;
    let acme = stack.tenant("Acme").await;
    let ours = gatehouse::integrations::aws_iam_server_id(&acme.tenant.tenant_id);
    // moto names every local access key `user/moto`: that is Gatehouse's principal here.
    let role = |name: &str, principal: &str, server_id: &str| AwsRole {
        name: name.into(),
        bound_principal: principal.into(),
        server_id: server_id.into(),
        policies: vec!["gatehouse".into()],
    };
    vault.add_role(role(
        "gatehouse",
        "arn:aws:sts::123456789012:user/moto",
        &ours,
    ));
    vault.add_role(role(
        "someone-else",
        "arn:aws:iam::123456789012:role/other",
        &ours,
    ));
    vault.add_role(role(
        "other-tenant",
        "arn:aws:sts::123456789012:user/moto",
        "gatehouse:OtherTnt01",
    ));
    let admin = acme.admin_key.expose();
    let configure =
        |role: &str| json!({"address": vault.address, "auth": {"method": "aws_iam", "role": role}});
    for (refused_role, why) in [
        ("someone-else", "does not belong to the role someone-else"),
        (
            "other-tenant",
            "expected X-Vault-AWS-IAM-Server-ID gatehouse:OtherTnt01",
        ),
        ("missing", "entry for role missing not found"),
    ] {
        let refused = stack
            .send(
                "POST",
                "/v2/integrations/vault",
                admin,
                Some(configure(refused_role)),
            )
            .await;
        let detail = refused.assert_problem(424, "integration-failed")["detail"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            detail.contains("refused the login") && detail.contains(why),
            "{refused_role}: {detail}"
        );
    }
    let created = stack
        .send(
            "POST",
            "/v2/integrations/vault",
            admin,
            Some(configure("gatehouse")),
        )
        .await;
    created.assert_status(201);
    assert_eq!(created.json()["auth_method"], "aws_iam");
    assert_eq!(
        created.json()["aws_iam_server_id"],
        format!("gatehouse:{}", acme.tenant.tenant_id)
    );
    Box::pin(kv2_behaviour(&stack, admin, true)).await;
    let stored = bao
        .admin("GET", "secret/data/payments/db", json!(null))
        .await;
    assert_eq!(stored["data"]["data"], json!({"password": "three"}));
}
