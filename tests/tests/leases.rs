//! Dynamic secrets and leases through the routes, on both backends:
//!
//! - the tenant's Vault: a real OpenBao whose database engine issues logins to a real
//!   PostgreSQL; the login works, renews, and stops working once the lease is revoked;
//! - Gatehouse's own store: STS AssumeRole into the template's `TenantLeaseRole` in
//!   moto, renewed by re-issuing, revoked by the role-wide `aws:TokenIssueTime` deny.
//!   moto does not evaluate policy conditions, so the AWS revocation is checked by the
//!   deny it writes, not by a refused call.
//!
//! Every lease operation is audited, and no credential reaches the audit trail.

use gatehouse_integration_tests::TestStack;
use gatehouse_integration_tests::openbao::OpenBao;
use gatehouse_integration_tests::postgres::Postgres;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn at(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().expect("a time"), &Rfc3339).expect("RFC 3339")
}

/// `POST /v2/leases/{lease_id}/<action>` (renew or revoke), with an optional body.
async fn lease_action(
    stack: &TestStack,
    key: &str,
    lease_id: &str,
    action: &str,
    body: Option<Value>,
) -> gatehouse_integration_tests::TestResponse {
    stack
        .send(
            "POST",
            &format!("/v2/leases/{lease_id}/{action}"),
            key,
            body,
        )
        .await
}

/// The audit trail's events for `action`, as text (to look for leaked credentials).
async fn audit_of(stack: &TestStack, admin: &str, action: &str) -> Vec<Value> {
    let page = stack
        .send("GET", &format!("/v2/audit?action={action}"), admin, None)
        .await;
    page.assert_status(200);
    page.json()["items"].as_array().cloned().unwrap_or_default()
}

/// OpenBao's database engine at `database/`, issuing logins of role `readonly` to
/// `pg` (created with a 10-minute lease, at most an hour).
async fn database_engine(bao: &OpenBao, pg: &Postgres) {
    bao.admin("POST", "sys/mounts/database", json!({"type": "database"}))
        .await;
    bao.admin(
        "POST",
        "database/config/pg",
        json!({
            "plugin_name": "postgresql-database-plugin",
            "connection_url": format!(
                "postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{}/postgres?sslmode=disable",
                pg.port
            ),
            "allowed_roles": "readonly",
            "username": "postgres",
            "password": pg.password,
        }),
    )
    .await;
    bao.admin(
        "POST",
        "database/roles/readonly",
        json!({
            "db_name": "pg",
            "creation_statements": [
                "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"
            ],
            "default_ttl": "10m",
            "max_ttl": "1h",
        }),
    )
    .await;
}

#[tokio::test]
async fn vault_leases_issue_renew_and_revoke_database_logins() {
    let pg = Postgres::start();
    let bao = OpenBao::start().await;
    database_engine(&bao, &pg).await;
    let (role_id, secret_id) = bao
        .approle(
            "path \"secret/config\" { capabilities = [\"read\"] }\n\
             path \"database/creds/readonly\" { capabilities = [\"read\"] }\n\
             path \"sys/leases/renew\" { capabilities = [\"update\"] }\n\
             path \"sys/leases/revoke\" { capabilities = [\"update\"] }",
        )
        .await;
    let stack = TestStack::with_params(&[("IntegrationAllowHosts", bao.host_port())]).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    // AppRole, its secret id referenced from Gatehouse's own store.
    stack
        .send(
            "POST",
            "/v2/secrets/data/vault/approle",
            admin,
            Some(json!({"data": {"secret_id": secret_id}})),
        )
        .await
        .assert_status(201);
    stack
        .send(
            "POST",
            "/v2/integrations/vault",
            admin,
            Some(
                json!({"address": bao.address, "auth": {"method": "approle", "role_id": role_id,
                "secret_id": {"secret_ref": {"path": "vault/approle", "key": "secret_id"}}}}),
            ),
        )
        .await
        .assert_status(201);

    let created = stack
        .send(
            "POST",
            "/v2/leases",
            admin,
            Some(json!({"role": "database/creds/readonly"})),
        )
        .await;
    created.assert_status(201);
    let body = created.json();
    let lease = &body["lease"];
    let lease_id = lease["lease_id"].as_str().unwrap().to_owned();
    assert_eq!(lease["backend"], "vault");
    assert_eq!(lease["state"], "active");
    assert_eq!(lease["renewable"], true);
    let vault_lease = lease["vault_lease_id"].as_str().unwrap().to_owned();
    assert!(
        vault_lease.starts_with("database/creds/readonly/"),
        "{vault_lease}"
    );
    let issued_for = (at(&lease["expires_at"]) - at(&lease["issued_at"])).whole_seconds();
    assert!(
        (590..=600).contains(&issued_for),
        "the role's 10 minutes: {issued_for}"
    );
    let user = body["credentials"]["username"].as_str().unwrap().to_owned();
    let password = body["credentials"]["password"].as_str().unwrap().to_owned();
    assert!(pg.can_log_in(&user, &password), "the issued login works");

    // Renewed by Vault, within the role's maximum.
    let renewed = lease_action(
        &stack,
        admin,
        &lease_id,
        "renew",
        Some(json!({"increment_seconds": 1800})),
    )
    .await;
    renewed.assert_status(200);
    let renewed = renewed.json();
    assert!(
        renewed.get("credentials").is_none(),
        "Vault extends; nothing re-issued"
    );
    let extended = (at(&renewed["lease"]["expires_at"]) - at(&lease["issued_at"])).whole_seconds();
    assert!((1790..=1810).contains(&extended), "{extended}");
    let looked_up = bao
        .admin("PUT", "sys/leases/lookup", json!({"lease_id": vault_lease}))
        .await;
    assert!(looked_up["data"]["ttl"].as_u64().unwrap() > 1700);
    assert!(pg.can_log_in(&user, &password));

    // The role sets a Vault lease's lifetime; the path must be a dynamic engine's.
    stack
        .send(
            "POST",
            "/v2/leases",
            admin,
            Some(json!({"role": "database/creds/readonly", "ttl_seconds": 900})),
        )
        .await
        .assert_problem(400, "invalid-body");
    stack
        .send(
            "POST",
            "/v2/leases",
            admin,
            Some(json!({"role": "sys/leases/lookup"})),
        )
        .await
        .assert_problem(400, "invalid-body");
    let not_permitted = stack
        .send(
            "POST",
            "/v2/leases",
            admin,
            Some(json!({"role": "database/creds/other"})),
        )
        .await;
    assert!(
        not_permitted.assert_problem(424, "integration-failed")["detail"]
            .as_str()
            .unwrap()
            .contains("database/creds/other"),
        "{}",
        not_permitted.json()
    );

    // A second lease, for the listing's pages.
    stack
        .send(
            "POST",
            "/v2/leases",
            admin,
            Some(json!({"role": "database/creds/readonly"})),
        )
        .await
        .assert_status(201);
    let first_page = stack.send("GET", "/v2/leases?limit=1", admin, None).await;
    first_page.assert_status(200);
    let cursor = first_page.json()["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let second_page = stack
        .send(
            "GET",
            &format!("/v2/leases?limit=1&cursor={cursor}"),
            admin,
            None,
        )
        .await
        .json();
    let listed: Vec<String> = [first_page.json(), second_page]
        .iter()
        .flat_map(|page| page["items"].as_array().unwrap().clone())
        .map(|item| item["lease_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&lease_id));

    // Revoked: Vault drops the login at its source.
    let revoked = lease_action(&stack, admin, &lease_id, "revoke", None).await;
    revoked.assert_status(200);
    assert_eq!(revoked.json()["state"], "revoked");
    assert!(
        !pg.can_log_in(&user, &password),
        "a revoked login no longer works"
    );
    let again = lease_action(&stack, admin, &lease_id, "revoke", None).await;
    again.assert_status(200);
    assert_eq!(again.json()["revoked_at"], revoked.json()["revoked_at"]);
    lease_action(&stack, admin, &lease_id, "renew", None)
        .await
        .assert_problem(409, "conflict");

    // Audited once each (refusals too), without a credential.
    for (action, count) in [("lease.create", 2), ("lease.renew", 1), ("lease.revoke", 1)] {
        let events = audit_of(&stack, admin, action).await;
        let succeeded = events.iter().filter(|e| e["outcome"] == "success").count();
        assert_eq!(succeeded, count, "{action}: {events:?}");
        let text = serde_json::to_string(&events).unwrap();
        assert!(!text.contains(&password) && !text.contains(&user), "{text}");
    }

    // The integration report counts it all, refusals with their reasons.
    let report = stack
        .send("GET", "/v2/integrations/report?days=1", admin, None)
        .await;
    report.assert_status(200);
    let report = report.json();
    assert_eq!(report["integrations"][0]["kind"], "vault");
    assert_eq!(report["integrations"][0]["auth_method"], "approle");
    assert_eq!(
        report["leases"],
        json!({"active": 1, "expired": 0, "revoked": 1, "by_backend": {"vault": 2}})
    );
    assert_eq!(
        report["operations"]["lease.create"],
        json!({"succeeded": 2, "refused": 3})
    );
    assert_eq!(report["operations"]["lease.revoke"]["succeeded"], 1);
    assert_eq!(report["operations"]["integration.create"]["succeeded"], 1);
    assert!(
        report["recent_refusals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("database/creds/other")),
        "{report}"
    );
    let text = report.to_string();
    assert!(
        !text.contains(&password) && !text.contains(&secret_id),
        "{text}"
    );

    // Another tenant sees none of it.
    let other = stack.tenant("Other").await;
    let other_key = other.admin_key.expose();
    lease_action(&stack, other_key, &lease_id, "renew", None)
        .await
        .assert_problem(404, "not-found");
    let theirs = stack
        .send("GET", "/v2/leases", other_key, None)
        .await
        .json();
    assert_eq!(theirs["items"], json!([]));
}

/// Credentials usable against STS, as a tenant's workload would use them.
async fn caller_arn(stack: &TestStack, credentials: &Value) -> String {
    let field = |name: &str| credentials[name].as_str().unwrap().to_owned();
    let config = aws_sdk_sts::config::Builder::from(&stack.sdk)
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            field("access_key_id"),
            field("secret_access_key"),
            Some(field("session_token")),
            None,
            "lease",
        ))
        .build();
    aws_sdk_sts::Client::from_conf(config)
        .get_caller_identity()
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn aws_leases_assume_the_declared_role_and_revoke_role_wide() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();

    let created = stack
        .send(
            "POST",
            "/v2/leases",
            admin,
            Some(json!({"role": "tenant-files", "ttl_seconds": 900})),
        )
        .await;
    created.assert_status(201);
    let body = created.json();
    let lease_id = body["lease"]["lease_id"].as_str().unwrap().to_owned();
    assert_eq!(body["lease"]["backend"], "aws");
    let lifetime =
        (at(&body["lease"]["expires_at"]) - at(&body["lease"]["issued_at"])).whole_seconds();
    assert!((899..=901).contains(&lifetime), "{lifetime}");
    let max =
        (at(&body["lease"]["max_expires_at"]) - at(&body["lease"]["issued_at"])).whole_hours();
    assert_eq!(max, 24);
    let arn = caller_arn(&stack, &body["credentials"]).await;
    assert!(
        arn.contains("TenantLeaseRole/gatehouse-") && arn.ends_with(&lease_id),
        "the session is the lease's: {arn}"
    );

    for (request, why) in [
        (
            json!({"role": "tenant-files", "ttl_seconds": 60}),
            "900 to 43200",
        ),
        (json!({"role": "nope"}), "tenant-files"),
    ] {
        let refused = stack.send("POST", "/v2/leases", admin, Some(request)).await;
        assert!(
            refused.assert_problem(400, "invalid-body")["detail"]
                .as_str()
                .unwrap()
                .contains(why)
        );
    }

    // Renewing re-issues credentials (STS cannot extend a session).
    let renewed = lease_action(
        &stack,
        admin,
        &lease_id,
        "renew",
        Some(json!({"increment_seconds": 1200})),
    )
    .await;
    renewed.assert_status(200);
    let renewed = renewed.json();
    assert_ne!(
        renewed["credentials"]["access_key_id"],
        body["credentials"]["access_key_id"]
    );
    assert!(
        caller_arn(&stack, &renewed["credentials"])
            .await
            .ends_with(&lease_id)
    );

    // Revoking writes the deny of every session issued before now.
    let revoked = lease_action(&stack, admin, &lease_id, "revoke", None).await;
    revoked.assert_status(200);
    let revoked_at = at(&revoked.json()["revoked_at"]);
    let iam = aws_sdk_iam::Client::new(&stack.sdk);
    let policy = iam
        .get_role_policy()
        .role_name(stack.local.physical_name("TenantLeaseRole"))
        .policy_name(gatehouse::leases::REVOCATION_POLICY_NAME)
        .send()
        .await
        .expect("the revocation policy is on the role");
    let document = percent_encoding::percent_decode_str(policy.policy_document())
        .decode_utf8_lossy()
        .into_owned();
    let statement = &serde_json::from_str::<Value>(&document).unwrap()["Statement"][0];
    assert_eq!(statement["Effect"], "Deny");
    assert_eq!(statement["Action"], "*");
    let cutoff = at(&statement["Condition"]["DateLessThan"]["aws:TokenIssueTime"]);
    assert!(
        cutoff > revoked_at - time::Duration::SECOND,
        "{cutoff} vs {revoked_at}"
    );
    assert!(
        cutoff > at(&renewed["lease"]["renewed_at"]),
        "the re-issued session is covered"
    );
    lease_action(&stack, admin, &lease_id, "renew", None)
        .await
        .assert_problem(409, "conflict");

    // A later lease is issued after the cutoff, and a later revocation moves it on.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let later = stack
        .send(
            "POST",
            "/v2/leases",
            admin,
            Some(json!({"role": "tenant-files"})),
        )
        .await
        .json();
    assert!(at(&later["lease"]["issued_at"]) >= cutoff);
    let later_id = later["lease"]["lease_id"].as_str().unwrap();
    lease_action(&stack, admin, later_id, "revoke", None)
        .await
        .assert_status(200);
    let moved = iam
        .get_role_policy()
        .role_name(stack.local.physical_name("TenantLeaseRole"))
        .policy_name(gatehouse::leases::REVOCATION_POLICY_NAME)
        .send()
        .await
        .unwrap();
    let moved = percent_encoding::percent_decode_str(moved.policy_document())
        .decode_utf8_lossy()
        .into_owned();
    assert_eq!(
        gatehouse::leases::revocation_cutoff(&moved).map(|c| c > cutoff),
        Some(true)
    );

    for action in ["lease.create", "lease.renew", "lease.revoke"] {
        let text = serde_json::to_string(&audit_of(&stack, admin, action).await).unwrap();
        for secret in ["secret_access_key", "session_token"] {
            let value = body["credentials"][secret].as_str().unwrap();
            assert!(!text.contains(value), "{action} leaks {secret}");
        }
    }
}
