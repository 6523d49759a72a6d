//! The tenant's Vault as its secret store, through the routes, against a real OpenBao
//! server: configurations are checked before they are stored (and a failed check
//! says what is wrong and changes nothing), credentials are stored only sealed and
//! never shown, AppRole logs in, connectivity tests record health, and deleting the
//! integration brings back Gatehouse's own store.

use gatehouse_integration_tests::TestStack;
use gatehouse_integration_tests::openbao::OpenBao;
use serde_json::{Value, json};

async fn configure(
    stack: &TestStack,
    admin: &str,
    method: &str,
    body: Value,
) -> gatehouse_integration_tests::TestResponse {
    stack
        .send(method, "/v2/integrations/vault", admin, Some(body))
        .await
}

#[tokio::test]
async fn a_vault_is_checked_before_it_is_stored_and_its_credentials_never_show() {
    let bao = OpenBao::start().await;
    let stack = TestStack::with_params(&[
        ("WebhookAllowHosts", "127.0.0.1:9"),
        ("IntegrationAllowHosts", bao.host_port()),
        ("IntegrationTimeoutSeconds", "2"),
    ])
    .await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();

    let wrong_token = configure(
        &stack,
        admin,
        "POST",
        json!({"address": bao.address, "auth": {"method": "token", "token": "wrong"}}),
    )
    .await;
    assert!(
        wrong_token.assert_problem(424, "integration-failed")["detail"]
            .as_str()
            .unwrap()
            .contains("refused the token")
    );
    let no_mount = configure(
        &stack,
        admin,
        "POST",
        json!({"address": bao.address, "mount": "nowhere",
               "auth": {"method": "token", "token": bao.root_token}}),
    )
    .await;
    assert!(
        no_mount.assert_problem(424, "integration-failed")["detail"]
            .as_str()
            .unwrap()
            .contains("no KV v2 engine at `nowhere`")
    );
    let internal = configure(
        &stack,
        admin,
        "POST",
        json!({"address": "http://127.0.0.1:1", "auth": {"method": "token", "token": "t"}}),
    )
    .await;
    internal.assert_problem(424, "integration-failed");
    stack
        .send("GET", "/v2/integrations/vault", admin, None)
        .await
        .assert_problem(404, "not-found");

    let created = configure(
        &stack,
        admin,
        "POST",
        json!({"address": bao.address, "auth": {"method": "token", "token": bao.root_token}}),
    )
    .await;
    created.assert_status(201);
    let view = created.json();
    assert_eq!(view["auth_method"], "token");
    assert_eq!(view["health"]["healthy"], true);
    assert!(!created.json().to_string().contains(&bao.root_token));
    configure(
        &stack,
        admin,
        "POST",
        json!({"address": bao.address, "auth": {"method": "token", "token": bao.root_token}}),
    )
    .await
    .assert_problem(409, "conflict");
    let read = stack
        .send("GET", "/v2/integrations/vault", admin, None)
        .await;
    assert!(!read.json().to_string().contains(&bao.root_token));
    // Stored sealed: the token appears nowhere in the table.
    let items = aws_sdk_dynamodb::Client::new(&stack.sdk)
        .scan()
        .table_name(&stack.app.config.integrations_table)
        .send()
        .await
        .unwrap();
    assert!(!format!("{:?}", items.items()).contains(&bao.root_token));

    // A failed update changes nothing: the old credentials still work.
    configure(
        &stack,
        admin,
        "PUT",
        json!({"address": bao.address, "auth": {"method": "token", "token": "wrong"}}),
    )
    .await
    .assert_problem(424, "integration-failed");
    stack
        .send(
            "POST",
            "/v2/secrets/data/app/db",
            admin,
            Some(json!({"data": {"password": "in-vault"}})),
        )
        .await
        .assert_status(201);

    // Connectivity tests record health, and say what is wrong.
    let id = view["integration_id"].as_str().unwrap().to_owned();
    let test = stack
        .send("POST", &format!("/v2/integrations/{id}/test"), admin, None)
        .await;
    test.assert_status(200);
    assert_eq!(test.json()["healthy"], true);
    bao.signal("STOP");
    let stopped = stack
        .send("POST", &format!("/v2/integrations/{id}/test"), admin, None)
        .await;
    bao.signal("CONT");
    stopped.assert_status(200);
    assert_eq!(stopped.json()["healthy"], false);
    assert!(
        stopped.json()["last_error"]
            .as_str()
            .unwrap()
            .contains("did not answer")
    );
    assert!(stopped.json()["last_success"].is_string());
    let health = stack
        .send("GET", "/v2/integrations/vault", admin, None)
        .await
        .json();
    assert_eq!(health["health"]["healthy"], false);
    // One list of every integration's health: the Vault, and webhook endpoints.
    stack
        .send(
            "POST",
            "/v2/webhooks",
            admin,
            Some(json!({"url": "http://127.0.0.1:9/hooks", "event_types": ["*"]})),
        )
        .await
        .assert_status(201);
    let all = stack
        .send("GET", "/v2/integrations/health", admin, None)
        .await
        .json();
    let vault_line = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "vault")
        .unwrap();
    assert_eq!(vault_line["status"], "unhealthy");
    assert!(
        vault_line["detail"]
            .as_str()
            .unwrap()
            .contains("did not answer")
    );
    stack
        .send("GET", "/v2/integrations/health?verbose=1", admin, None)
        .await
        .assert_problem(400, "invalid-parameter");
    stack
        .send("POST", "/v2/integrations/int0000000/test", admin, None)
        .await
        .assert_problem(404, "not-found");

    // Deleting the integration brings back Gatehouse's own store (where this tenant
    // has nothing); the Vault's data is untouched.
    stack
        .send("DELETE", "/v2/integrations/vault", admin, None)
        .await
        .assert_status(200);
    stack
        .send("GET", "/v2/secrets/data/app/db", admin, None)
        .await
        .assert_problem(404, "not-found");
    let kept = bao.admin("GET", "secret/data/app/db", json!(null)).await;
    assert_eq!(kept["data"]["data"]["password"], "in-vault");
}

#[tokio::test]
async fn approle_logs_in_and_a_narrow_policy_reads_as_permission_denied() {
    let bao = OpenBao::start().await;
    let stack = TestStack::with_params(&[
        ("IntegrationAllowHosts", bao.host_port()),
        ("IntegrationTimeoutSeconds", "2"),
    ])
    .await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let (role_id, secret_id) = bao
        .approle(concat!(
            "path \"secret/data/app/*\" { capabilities = [\"create\", \"read\", \"update\"] }\n",
            "path \"secret/metadata/app/*\" { capabilities = [\"read\", \"list\"] }\n",
            "path \"secret/config\" { capabilities = [\"read\"] }\n",
        ))
        .await;
    let wrong = configure(
        &stack,
        admin,
        "POST",
        json!({"address": bao.address,
               "auth": {"method": "approle", "role_id": role_id, "secret_id": "wrong"}}),
    )
    .await;
    assert!(
        wrong.assert_problem(424, "integration-failed")["detail"]
            .as_str()
            .unwrap()
            .contains("refused")
    );
    let created = configure(
        &stack,
        admin,
        "POST",
        json!({"address": bao.address,
               "auth": {"method": "approle", "role_id": role_id, "secret_id": secret_id}}),
    )
    .await;
    created.assert_status(201);
    assert_eq!(created.json()["auth_method"], "approle");
    assert_eq!(created.json()["role_id"], role_id.as_str());
    assert!(!created.json().to_string().contains(&secret_id));
    stack
        .send(
            "POST",
            "/v2/secrets/data/app/key",
            admin,
            Some(json!({"data": {"k": "v"}})),
        )
        .await
        .assert_status(201);
    assert_eq!(
        stack
            .send("GET", "/v2/secrets/data/app/key", admin, None)
            .await
            .json()["data"],
        json!({"k": "v"})
    );
    // Outside its policy: Vault's refusal, named.
    let denied = stack
        .send(
            "POST",
            "/v2/secrets/data/other/key",
            admin,
            Some(json!({"data": {"k": "v"}})),
        )
        .await;
    assert!(
        denied.assert_problem(424, "integration-failed")["detail"]
            .as_str()
            .unwrap()
            .contains("may not write this path")
    );
    // An update that keeps the credentials (no `auth`) still logs in.
    configure(&stack, admin, "PUT", json!({"address": bao.address}))
        .await
        .assert_status(200);
}

/// A cached session whose token Vault revoked: the call that meets the refusal logs in
/// again and succeeds, instead of failing and leaving the retry to the caller.
#[tokio::test]
async fn a_revoked_session_logs_in_again_within_the_same_call() {
    let bao = OpenBao::start().await;
    let stack = TestStack::with_params(&[("IntegrationAllowHosts", bao.host_port())]).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let (role_id, secret_id) = bao
        .approle(
            "path \"secret/*\" { capabilities = [\"create\", \"read\", \"update\", \"list\"] }",
        )
        .await;
    configure(
        &stack,
        admin,
        "POST",
        json!({"address": bao.address,
               "auth": {"method": "approle", "role_id": role_id, "secret_id": secret_id}}),
    )
    .await
    .assert_status(201);
    let write = |value: &str| {
        stack.send(
            "POST",
            "/v2/secrets/data/app/key",
            admin,
            Some(json!({"data": {"k": value}})),
        )
    };
    write("one").await.assert_status(201);
    for round in ["two", "three"] {
        // Every token AppRole issued, the cached sessions' included, revoked.
        bao.admin(
            "PUT",
            "sys/leases/revoke-prefix/auth/approle/login",
            json!({}),
        )
        .await;
        write(round).await.assert_status(200);
        let read = stack
            .send("GET", "/v2/secrets/data/app/key", admin, None)
            .await;
        read.assert_status(200);
        assert_eq!(read.json()["data"], json!({"k": round}));
    }
}

/// The scheduled check: every tenant's Vault is checked, its health recorded, and a
/// change published as `integration.unhealthy`, then `integration.recovered`.
#[tokio::test]
async fn the_prober_records_health_and_publishes_changes() {
    gatehouse_integration_tests::emf::init();
    let bao = OpenBao::start().await;
    let stack = TestStack::with_params(&[
        ("IntegrationAllowHosts", bao.host_port()),
        ("IntegrationTimeoutSeconds", "1"),
    ])
    .await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    configure(
        &stack,
        admin,
        "POST",
        json!({"address": bao.address, "auth": {"method": "token", "token": bao.root_token}}),
    )
    .await
    .assert_status(201);
    let prober = stack.function_app("IntegrationProberFunction");
    stack.events().await; // drain what came before
    let healthy = gatehouse_functions::integrations::prober::handle(&prober)
        .await
        .unwrap();
    assert_eq!(
        (healthy.checked, healthy.unhealthy, healthy.changed),
        (1, 0, 0)
    );
    bao.signal("STOP");
    let down = gatehouse_functions::integrations::prober::handle(&prober).await;
    // A read while the Vault is down fails, and is counted as the store's failure.
    let read = stack
        .send("GET", "/v2/secrets/data/app/db", admin, None)
        .await;
    bao.signal("CONT");
    assert!(read.status >= 500, "{}", read.text());
    gatehouse_integration_tests::emf::assert_emitted(
        "SecretStoreErrors",
        &[("Store", "vault"), ("Operation", "read")],
    );
    gatehouse_integration_tests::emf::assert_emitted("IntegrationsUnhealthy", &[("Kind", "vault")]);
    let down = down.unwrap();
    assert_eq!((down.checked, down.unhealthy, down.changed), (1, 1, 1));
    let view = stack
        .send("GET", "/v2/integrations/vault", admin, None)
        .await
        .json();
    assert_eq!(view["health"]["healthy"], false);
    let recovered = gatehouse_functions::integrations::prober::handle(&prober)
        .await
        .unwrap();
    assert_eq!((recovered.unhealthy, recovered.changed), (0, 1));
    let types: Vec<String> = stack
        .events()
        .await
        .iter()
        .filter_map(|e| e["type"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(types, ["integration.unhealthy", "integration.recovered"]);
}

/// A token with a short lifetime keeps working: it is renewed before it expires.
#[tokio::test]
async fn a_renewable_token_is_renewed_before_it_expires() {
    let bao = OpenBao::start().await;
    let stack = TestStack::with_params(&[("IntegrationAllowHosts", bao.host_port())]).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let short = bao
        .admin(
            "POST",
            "auth/token/create",
            json!({"policies": ["root"], "ttl": "3s", "explicit_max_ttl": "2m", "renewable": true}),
        )
        .await["auth"]["client_token"]
        .as_str()
        .unwrap()
        .to_owned();
    configure(
        &stack,
        admin,
        "POST",
        json!({"address": bao.address, "auth": {"method": "token", "token": short}}),
    )
    .await
    .assert_status(201);
    stack
        .send(
            "POST",
            "/v2/secrets/data/app/db",
            admin,
            Some(json!({"data": {"k": "v"}})),
        )
        .await
        .assert_status(201);
    // Six seconds of reads: twice the token's lifetime.
    for _ in 0..12 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        stack
            .send("GET", "/v2/secrets/data/app/db", admin, None)
            .await
            .assert_status(200);
    }
}

/// A Vault that does not answer opens its circuit after three failures: calls then fail
/// at once (503) instead of each waiting out the timeout, until a trial after the
/// cooldown finds it back.
#[tokio::test]
async fn an_unreachable_vault_opens_its_circuit() {
    let bao = OpenBao::start().await;
    let stack = TestStack::with_params(&[
        ("IntegrationAllowHosts", bao.host_port()),
        ("IntegrationTimeoutSeconds", "1"),
    ])
    .await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    configure(
        &stack,
        admin,
        "POST",
        json!({"address": bao.address, "auth": {"method": "token", "token": bao.root_token}}),
    )
    .await
    .assert_status(201);
    let mut app = stack.function_app("ReadSecretFunction");
    app.secrets.circuit_cooldown = std::time::Duration::from_secs(2);
    let function = gatehouse_functions::function("read-secret").unwrap();
    let tenant = acme.tenant.tenant_id.to_string();
    let read = || {
        let request = stack.lambda_request(
            "GET /v2/secrets/data/{path+}",
            "/v2/secrets/data/app/db",
            &tenant,
            "secrets:read",
            "",
        );
        gatehouse_functions::serve_http(&app, function, request)
    };
    assert_eq!(read().await.status(), 404, "reachable: no such secret");
    bao.signal("STOP");
    for _ in 0..3 {
        assert_eq!(read().await.status(), 503);
    }
    let started = std::time::Instant::now();
    let open = read().await;
    assert_eq!(open.status(), 503);
    assert!(
        started.elapsed() < std::time::Duration::from_millis(500),
        "fails at once"
    );
    let body = String::from_utf8(open.body().to_vec()).unwrap();
    assert!(body.contains("calls resume in"), "{body}");
    bao.signal("CONT");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(read().await.status(), 404, "the trial finds Vault back");
}
