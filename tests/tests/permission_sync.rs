//! Keys follow their holder's permissions, against a real directory (Debian's
//! `slapd`) and moto through the local gateway: a group change seen by the scheduled
//! directory check or at the next login narrows (or, per the key policy, disables)
//! the keys a person created, service keys included; a person gone from the directory,
//! or disabled here, loses them all; an administrator can sync at once.

use gatehouse::store::item;
use gatehouse_integration_tests::slapd::{SERVICE_DN, SERVICE_PASSWORD, SUFFIX, Slapd};
use gatehouse_integration_tests::{TestRequest, TestStack};
use serde_json::{Value, json};

struct Directory {
    stack: TestStack,
    slapd: Slapd,
    admin: String,
    login_url: String,
}

async fn directory() -> Directory {
    let slapd = Slapd::start();
    let allow = format!(
        "localhost:{},localhost:{}",
        slapd.ldaps_port, slapd.ldap_port
    );
    let stack = TestStack::with_params(&[
        ("IntegrationAllowHosts", allow.as_str()),
        ("AuthCacheTtlSeconds", "0"),
    ])
    .await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose().to_owned();
    stack
        .send(
            "POST",
            "/v2/secrets/data/ldap/service",
            &admin,
            Some(json!({"data": {"password": SERVICE_PASSWORD}})),
        )
        .await
        .assert_status(201);
    let created = stack
        .send(
            "POST",
            "/v2/integrations/sso",
            &admin,
            Some(json!({
                "name": "Acme directory", "preset": "ldap",
                "ldap": {
                    "host": "localhost", "port": slapd.ldaps_port, "transport": "ldaps",
                    "ca_certificate": slapd.ca_pem, "bind_dn": SERVICE_DN,
                    "bind_password": {"secret_ref": {"path": "ldap/service", "key": "password"}},
                    "user_base": format!("ou=people,{SUFFIX}"), "directory": "openldap",
                    "groups": {"source": "member_of"}, "timeout_seconds": 2,
                },
                "domains": ["acme.example"],
                "rules": [
                    {"claim": "groups", "value": "gatehouse-admins",
                     "scopes": ["keys:read", "keys:write", "audit:read"]},
                    {"claim": "groups", "value": "staff", "scopes": ["keys:read"]},
                ],
            })),
        )
        .await;
    created.assert_status(201);
    let id = created.json()["connection_id"].as_str().unwrap().to_owned();
    let login_url = format!("/v2/sso/{}/{id}/ldap-login", acme.tenant.tenant_id);
    Directory {
        stack,
        slapd,
        admin,
        login_url,
    }
}

impl Directory {
    /// Logs in; returns (session token, principal id, scopes).
    async fn login(&self, user: &str) -> (String, String, Value) {
        let answer = self
            .stack
            .call(
                TestRequest::post(&self.login_url)
                    .json(&json!({"username": user, "password": format!("{user}-password")})),
            )
            .await;
        answer.assert_status(200);
        let session = answer.json();
        (
            session["session_token"].as_str().unwrap().to_owned(),
            session["principal_id"].as_str().unwrap().to_owned(),
            session["scopes"].clone(),
        )
    }

    /// The members of `gatehouse-admins`, replaced.
    fn set_admins(&self, members: &[&str]) {
        let mut ldif = format!(
            "dn: cn=gatehouse-admins,ou=groups,{SUFFIX}\nchangetype: modify\nreplace: member\n"
        );
        for member in members {
            ldif.push_str(&format!("member: uid={member},ou=people,{SUFFIX}\n"));
        }
        self.slapd.modify(&ldif);
    }

    async fn key(&self, key_id: &str) -> Value {
        let found = self
            .stack
            .send("GET", &format!("/v2/api-keys/{key_id}"), &self.admin, None)
            .await;
        found.assert_status(200);
        found.json()
    }

    async fn check_directory(&self) -> gatehouse::sso_service::directory_check::DirectorySummary {
        let app = self.stack.function_app("DirectoryCheckFunction");
        gatehouse_functions::sso::directory_check::handle(&app)
            .await
            .unwrap()
    }
}

fn scopes_of(key: &Value) -> Vec<&str> {
    key["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn keys_follow_their_holders_permissions() {
    let d = directory().await;
    let stack = &d.stack;
    let (token, alice, scopes) = d.login("alice").await;
    assert_eq!(scopes, json!(["audit:read", "keys:read", "keys:write"]));
    let (reader_key, reader) = stack
        .create_key(
            &token,
            json!({"name": "reader", "scopes": ["keys:read", "audit:read"]}),
        )
        .await;
    let (_, plain) = stack
        .create_key(&token, json!({"name": "plain", "scopes": ["keys:read"]}))
        .await;
    let (_, service) = stack
        .create_key(
            &token,
            json!({"name": "reports", "service": "reports", "scopes": ["audit:read"]}),
        )
        .await;
    let service_view = d.key(&service).await;
    assert_eq!(service_view["principal"], "service:reports");
    assert_eq!(service_view["owner"], format!("sso:{alice}"));
    assert_eq!(d.key(&reader).await["principal"], format!("sso:{alice}"));
    stack
        .send("GET", "/v2/audit", &reader_key, None)
        .await
        .assert_status(200);
    stack.events().await; // drain the creations

    // Alice leaves gatehouse-admins (Bob stays, as a group needs a member). The
    // scheduled check sees it without her logging in.
    d.set_admins(&["bob"]);
    let checked = d.check_directory().await;
    assert_eq!(
        (
            checked.principals,
            checked.updated,
            checked.keys_narrowed,
            checked.keys_disabled
        ),
        (1, 1, 1, 1),
        "{checked:?}"
    );
    assert_eq!(scopes_of(&d.key(&reader).await), ["keys:read"]);
    assert_eq!(
        d.key(&service).await["status"],
        "disabled",
        "left with no scope"
    );
    assert_eq!(d.key(&plain).await["status"], "active");
    assert_eq!(scopes_of(&d.key(&plain).await), ["keys:read"]);
    stack
        .send("GET", "/v2/audit", &reader_key, None)
        .await
        .assert_status(403);
    let principal = stack
        .send("GET", &format!("/v2/principals/{alice}"), &d.admin, None)
        .await
        .json();
    assert_eq!(principal["scopes"], json!(["keys:read"]));
    let updates: Vec<Value> = stack
        .events()
        .await
        .into_iter()
        .filter(|e| e["type"] == "api_key.updated")
        .collect();
    assert_eq!(updates.len(), 2, "{updates:?}");
    assert!(
        updates
            .iter()
            .all(|e| e["data"]["reason"] == "permission_sync")
    );
    let audit = stack
        .audit(&d.admin, &format!("key_id={reader}&action=api_key.update"))
        .await;
    assert_eq!(audit[0]["actor"]["principal"], "system:permission-sync");
    assert!(
        audit[0]["detail"].as_str().unwrap().starts_with(
            "permission sync (directory_check): its principal no longer holds audit:read"
        ),
        "{}",
        audit[0]["detail"]
    );
    // Nothing changed since: the next run changes nothing.
    let again = d.check_directory().await;
    assert_eq!((again.updated, again.keys_narrowed), (0, 0), "{again:?}");

    // The tenant's policy now disables rather than narrows; a change seen at login.
    stack
        .send(
            "PUT",
            "/v2/key-policy",
            &d.admin,
            Some(json!({"on_permission_loss": "disable"})),
        )
        .await
        .assert_status(200);
    d.set_admins(&["alice", "bob"]);
    let (token, _, _) = d.login("alice").await;
    assert_eq!(
        scopes_of(&d.key(&reader).await),
        ["keys:read"],
        "scopes are never given back"
    );
    let (_, writer) = stack
        .create_key(
            &token,
            json!({"name": "writer", "scopes": ["keys:read", "keys:write"]}),
        )
        .await;
    d.set_admins(&["bob"]);
    let (_, _, scopes) = d.login("alice").await;
    assert_eq!(scopes, json!(["keys:read"]));
    assert_eq!(d.key(&writer).await["status"], "disabled");
    assert_eq!(d.key(&reader).await["status"], "active");

    // An administrator's sync: the disabled key is narrowed, so re-enabling it cannot
    // give back what Alice lost.
    let synced = stack
        .send(
            "POST",
            &format!("/v2/principals/{alice}/sync-keys"),
            &d.admin,
            None,
        )
        .await;
    synced.assert_status(200);
    let report = synced.json();
    assert_eq!(report["principal"], format!("sso:{alice}"));
    assert_eq!(report["narrowed"], json!([writer]));
    assert_eq!(report["disabled"], json!([]));
    assert_eq!(scopes_of(&d.key(&writer).await), ["keys:read"]);

    // Disabling Alice disables every key she holds.
    stack
        .send(
            "POST",
            &format!("/v2/principals/{alice}/disable"),
            &d.admin,
            None,
        )
        .await
        .assert_status(200);
    for key in [&reader, &plain] {
        assert_eq!(d.key(key).await["status"], "disabled", "{key}");
    }
}

#[tokio::test]
async fn a_person_gone_from_the_directory_loses_their_keys() {
    let d = directory().await;
    let stack = &d.stack;
    let (_, alice, _) = d.login("alice").await;
    d.set_admins(&["alice", "bob"]);
    let (token, bob, _) = d.login("bob").await;
    let (bob_key, bob_key_id) = stack
        .create_key(&token, json!({"name": "bob's", "scopes": ["keys:read"]}))
        .await;
    d.slapd.modify(&format!(
        "dn: uid=bob,ou=people,{SUFFIX}\nchangetype: delete\n"
    ));
    let checked = d.check_directory().await;
    assert_eq!(
        (checked.disabled, checked.keys_disabled),
        (1, 1),
        "{checked:?}"
    );
    let principal = stack
        .send("GET", &format!("/v2/principals/{bob}"), &d.admin, None)
        .await
        .json();
    assert_eq!(principal["disabled"], true);
    assert_eq!(d.key(&bob_key_id).await["status"], "disabled");
    stack
        .send("GET", "/v2/api-keys", &bob_key, None)
        .await
        .assert_status(403);
    stack
        .send("GET", "/v2/api-keys", &token, None)
        .await
        .assert_status(403);
    let audit = stack.audit(&d.admin, "action=principal.disable").await;
    assert_eq!(audit[0]["actor"]["principal"], "system:directory-check");
    assert_eq!(
        audit[0]["detail"],
        "directory check: no longer found in the directory"
    );

    // A directory that cannot be used changes nothing.
    d.slapd.pause();
    let unreachable = d.check_directory().await;
    d.slapd.resume();
    assert_eq!(
        (
            unreachable.unreachable,
            unreachable.disabled,
            unreachable.updated
        ),
        (1, 0, 0),
        "{unreachable:?}"
    );
    let principal = stack
        .send("GET", &format!("/v2/principals/{alice}"), &d.admin, None)
        .await
        .json();
    assert_eq!(principal["disabled"], false);
}

/// A key stored before the keys table had its `keys-by-sso-holder` index (it has no
/// `sso_holder`) is invisible to permission sync until the scheduled key scan adds it
/// to the index; from then on it follows its holder like any other.
#[tokio::test]
async fn keys_stored_before_the_holder_index_join_it_at_the_next_scan() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let tenant = &acme.tenant;
    let principal = stack
        .sso_principal(tenant, "carolP0001", &["keys:read"])
        .await;
    let older = stack
        .key_acting_as(tenant, "carolP0001", &["keys:read", "keys:write"])
        .await;
    let newer = stack
        .key_acting_as(tenant, "carolP0001", &["keys:read", "audit:read"])
        .await;
    aws_sdk_dynamodb::Client::new(&stack.sdk)
        .update_item()
        .table_name(stack.app.keys.table_name())
        .key("tenant_id", item::s(tenant.tenant_id.as_str()))
        .key("sk", item::s(format!("KEY#{}", older.key_id)))
        .update_expression("REMOVE sso_holder")
        .send()
        .await
        .unwrap();
    let bound = |keys: Vec<gatehouse::keys::KeyRecord>| -> Vec<String> {
        let mut ids: Vec<String> = keys.iter().map(|k| k.key_id.to_string()).collect();
        ids.sort();
        ids
    };
    let holder = "sso:carolP0001";
    let found = stack.app.keys.bound_to(&tenant.tenant_id, holder).await;
    assert_eq!(bound(found.unwrap()), vec![newer.key_id.to_string()]);

    let sync = format!("/v2/principals/{}/sync-keys", principal.principal_id);
    let report = stack.send("POST", &sync, admin, None).await;
    report.assert_status(200);
    assert_eq!(report.json()["narrowed"], json!([newer.key_id.to_string()]));

    let scan = gatehouse_functions::keys::expiry_notifier::handle(
        &stack.function_app("KeyExpiryNotifierFunction"),
    )
    .await
    .unwrap();
    assert_eq!(scan.indexed, 1, "{scan:?}");
    let mut both = vec![older.key_id.to_string(), newer.key_id.to_string()];
    both.sort();
    let found = stack.app.keys.bound_to(&tenant.tenant_id, holder).await;
    assert_eq!(bound(found.unwrap()), both);
    let again = gatehouse_functions::keys::expiry_notifier::handle(
        &stack.function_app("KeyExpiryNotifierFunction"),
    )
    .await
    .unwrap();
    assert_eq!(again.indexed, 0, "indexed once");

    let report = stack.send("POST", &sync, admin, None).await;
    report.assert_status(200);
    assert_eq!(report.json()["narrowed"], json!([older.key_id.to_string()]));
    let key = stack
        .send(
            "GET",
            &format!("/v2/api-keys/{}", older.key_id),
            admin,
            None,
        )
        .await
        .json();
    assert_eq!(scopes_of(&key), vec!["keys:read"]);
}

/// Enabling a key, or widening its scopes, cannot give back what its principal no
/// longer holds, even when no sync has narrowed the key yet.
#[tokio::test]
async fn a_key_is_not_enabled_or_widened_beyond_what_its_principal_holds() {
    let stack = TestStack::new().await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let tenant = &acme.tenant;
    let dave = stack
        .sso_principal(tenant, "daveP00001", &["keys:read"])
        .await;
    // Issued when dave still held keys:write; no sync has run since he lost it.
    let stale = stack
        .key_acting_as(tenant, "daveP00001", &["keys:read", "keys:write"])
        .await;
    let stale_path = format!("/v2/api-keys/{}", stale.key_id);
    stack
        .send(
            "PUT",
            &stale_path,
            admin,
            Some(json!({"status": "disabled"})),
        )
        .await
        .assert_status(200);
    let refused = stack
        .send("PUT", &stale_path, admin, Some(json!({"status": "active"})))
        .await;
    let problem = refused.assert_problem(409, "conflict");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("sso:daveP00001"), "{detail}");
    assert!(detail.contains("`keys:write`"), "{detail}");
    assert_eq!(
        stack
            .app
            .keys
            .get(&tenant.tenant_id, &stale.key_id)
            .await
            .unwrap()
            .unwrap()
            .status,
        gatehouse::keys::KeyStatus::Disabled
    );
    // Within what dave holds, it may be enabled.
    stack
        .send(
            "PUT",
            &stale_path,
            admin,
            Some(json!({"status": "active", "scopes": ["keys:read"]})),
        )
        .await
        .assert_status(200);

    // Widening an active key's scopes past dave's: refused the same way.
    let widened = stack
        .send(
            "PUT",
            &stale_path,
            admin,
            Some(json!({"scopes": ["keys:read", "audit:read"]})),
        )
        .await;
    let problem = widened.assert_problem(409, "conflict");
    assert!(
        problem["detail"].as_str().unwrap().contains("`audit:read`"),
        "{problem}"
    );
    // Renaming is not a widening.
    stack
        .send("PUT", &stale_path, admin, Some(json!({"name": "renamed"})))
        .await
        .assert_status(200);

    // A disabled principal holds nothing: its keys stay disabled.
    stack
        .send(
            "POST",
            &format!("/v2/principals/{}/disable", dave.principal_id),
            admin,
            None,
        )
        .await
        .assert_status(200);
    let refused = stack
        .send("PUT", &stale_path, admin, Some(json!({"status": "active"})))
        .await;
    let problem = refused.assert_problem(409, "conflict");
    assert!(
        problem["detail"].as_str().unwrap().contains("disabled"),
        "{problem}"
    );
}
