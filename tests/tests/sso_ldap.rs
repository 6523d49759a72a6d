//! LDAP logins through the routes against a real directory: Debian's `slapd` with TLS
//! (a CA the harness makes), the memberof overlay, a service account that may search,
//! and people who may only bind. A login searches with the service account, binds as
//! the one entry found, maps its groups, and ends in a session token the authorizer
//! accepts. Wrong, empty and injected credentials, ambiguous usernames and a directory
//! that stops answering are refused cleanly, with their reason audited.

use gatehouse_integration_tests::slapd::{SERVICE_DN, SERVICE_PASSWORD, Slapd};
use gatehouse_integration_tests::{TestRequest, TestResponse, TestStack};
use serde_json::{Value, json};

async fn ldap_login(stack: &TestStack, url: &str, username: &str, password: &str) -> TestResponse {
    stack
        .call(TestRequest::post(url).json(&json!({"username": username, "password": password})))
        .await
}

fn refused_with(answer: &TestResponse, reason: &str) {
    assert_eq!(answer.status, 401, "{}", answer.text());
    assert!(
        answer.text().contains(reason),
        "{reason}: {}",
        answer.text()
    );
}

#[tokio::test]
async fn directory_logins_work_and_fail_closed() {
    gatehouse_integration_tests::emf::init();
    let slapd = Slapd::start();
    let allow = format!(
        "localhost:{},localhost:{}",
        slapd.ldaps_port, slapd.ldap_port
    );
    let stack = TestStack::with_params(&[("IntegrationAllowHosts", allow.as_str())]).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose().to_owned();
    let tenant = acme.tenant.tenant_id.to_string();
    // The service account's password by reference, from Gatehouse's own store.
    stack
        .send(
            "POST",
            "/v2/secrets/data/ldap/service",
            &admin,
            Some(json!({"data": {"password": SERVICE_PASSWORD}})),
        )
        .await
        .assert_status(201);
    let connect = |ldap: Value, extra: Value| {
        let stack = &stack;
        let admin = admin.clone();
        async move {
            let mut body = json!({
                "name": "Acme directory", "preset": "ldap", "ldap": ldap,
                "domains": ["acme.example"],
                "rules": [{"claim": "groups", "value": "gatehouse-admins",
                           "scopes": ["keys:read", "audit:read"]}],
                "default_scopes": ["scopes:read"],
            });
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            stack
                .send("POST", "/v2/integrations/sso", &admin, Some(body))
                .await
        }
    };
    let created = connect(
        json!({
            "host": "localhost", "port": slapd.ldaps_port, "transport": "ldaps",
            "ca_certificate": slapd.ca_pem, "bind_dn": SERVICE_DN,
            "bind_password": {"secret_ref": {"path": "ldap/service", "key": "password"}},
            "user_base": "ou=people,dc=acme,dc=example", "directory": "openldap",
            "groups": {"source": "member_of"},
        }),
        json!({}),
    )
    .await;
    created.assert_status(201);
    let connection = created.json();
    assert_eq!(connection["preset"], "ldap");
    assert_eq!(connection["issuer"], Value::Null);
    assert!(!connection.to_string().contains(SERVICE_PASSWORD));
    let id = connection["connection_id"].as_str().unwrap().to_owned();
    let login_url = format!("/v2/sso/{tenant}/{id}/ldap-login");

    // The test route: TLS, the service bind and the search base.
    let tested = stack
        .send(
            "POST",
            "/v2/integrations/sso/test",
            &admin,
            Some(json!({"connection_id": id})),
        )
        .await;
    tested.assert_status(200);
    assert_eq!(tested.json()["healthy"], true, "{}", tested.text());

    // A good login: groups from memberOf, mapped; the session lists keys.
    let answer = ldap_login(&stack, &login_url, "alice", "alice-password").await;
    answer.assert_status(200);
    let session = answer.json();
    assert_eq!(session["scopes"], json!(["audit:read", "keys:read"]));
    let token = session["session_token"].as_str().unwrap();
    stack
        .send("GET", "/v2/api-keys", token, None)
        .await
        .assert_status(200);
    let principal_id = session["principal_id"].as_str().unwrap();
    let principal = stack
        .send(
            "GET",
            &format!("/v2/principals/{principal_id}"),
            &admin,
            None,
        )
        .await
        .json();
    assert_eq!(principal["email"], "alice@acme.example");
    assert_eq!(principal["name"], "Alice Archer");
    let mut groups: Vec<String> = serde_json::from_value(principal["groups"].clone()).unwrap();
    groups.sort();
    assert_eq!(groups, vec!["gatehouse-admins", "staff"]);
    // The same person again is the same principal (the entry's entryUUID).
    let again = ldap_login(&stack, &login_url, "alice", "alice-password").await;
    assert_eq!(again.json()["principal_id"], principal_id);

    // Refused: a wrong password, an empty one (an anonymous bind would succeed), and
    // filter injection in the username.
    refused_with(
        &ldap_login(&stack, &login_url, "alice", "wrong").await,
        "invalid_credentials",
    );
    refused_with(
        &ldap_login(&stack, &login_url, "alice", "").await,
        "invalid_credentials",
    );
    for injected in ["*)(uid=*", "admin)(|(uid=*", "*"] {
        refused_with(
            &ldap_login(&stack, &login_url, injected, "alice-password").await,
            "invalid_credentials",
        );
    }

    // Two entries for one username: refused, whoever's password it is.
    let by_cn = connect(
        json!({
            "host": "localhost", "port": slapd.ldap_port, "transport": "start_tls",
            "ca_certificate": slapd.ca_pem, "bind_dn": SERVICE_DN,
            "bind_password": SERVICE_PASSWORD,
            "user_base": "ou=people,dc=acme,dc=example",
            "user_filter": "(&(objectClass=inetOrgPerson)(cn={username}))",
            "groups": {"source": "search", "base": "ou=groups,dc=acme,dc=example"},
        }),
        json!({"name": "By common name, StartTLS"}),
    )
    .await;
    by_cn.assert_status(201);
    let by_cn_url = format!(
        "/v2/sso/{tenant}/{}/ldap-login",
        by_cn.json()["connection_id"].as_str().unwrap()
    );
    refused_with(
        &ldap_login(&stack, &by_cn_url, "Twin", "twin-password").await,
        "ambiguous_user",
    );
    // StartTLS, a sealed password, and groups from a group search.
    let bob = ldap_login(&stack, &by_cn_url, "Bob Baker", "bob-password").await;
    bob.assert_status(200);
    assert_eq!(bob.json()["scopes"], json!(["scopes:read"]));
    let bob_id = bob.json()["principal_id"].as_str().unwrap().to_owned();
    let bob = stack
        .send("GET", &format!("/v2/principals/{bob_id}"), &admin, None)
        .await
        .json();
    assert_eq!(bob["groups"], json!(["staff"]));

    // Without the directory's CA, TLS fails, and the test route says so.
    let no_ca = connect(
        json!({
            "host": "localhost", "port": slapd.ldaps_port, "bind_dn": SERVICE_DN,
            "bind_password": SERVICE_PASSWORD, "user_base": "ou=people,dc=acme,dc=example",
        }),
        json!({"name": "No CA"}),
    )
    .await;
    no_ca.assert_status(201);
    let tested = stack
        .send(
            "POST",
            "/v2/integrations/sso/test",
            &admin,
            Some(json!({"connection_id": no_ca.json()["connection_id"]})),
        )
        .await
        .json();
    assert_eq!(tested["healthy"], false);
    assert_eq!(tested["checks"][0]["check"], "tls");
    assert_eq!(tested["checks"][0]["ok"], false, "{tested}");
    // Plain LDAP only to a development host on the allow list.
    connect(
        json!({
            "host": "ldap.acme.example", "transport": "plain", "bind_dn": SERVICE_DN,
            "bind_password": SERVICE_PASSWORD, "user_base": "ou=people,dc=acme,dc=example",
        }),
        json!({"name": "Plain"}),
    )
    .await
    .assert_problem(400, "invalid-body");

    // A directory that stops answering mid-login: a clean 424 once the timeout has
    // passed, and nothing hangs.
    let slow = connect(
        json!({
            "host": "localhost", "port": slapd.ldaps_port, "ca_certificate": slapd.ca_pem,
            "bind_dn": SERVICE_DN, "bind_password": SERVICE_PASSWORD,
            "user_base": "ou=people,dc=acme,dc=example", "timeout_seconds": 1,
        }),
        json!({"name": "Impatient"}),
    )
    .await;
    slow.assert_status(201);
    let slow_url = format!(
        "/v2/sso/{tenant}/{}/ldap-login",
        slow.json()["connection_id"].as_str().unwrap()
    );
    slapd.pause();
    let started = std::time::Instant::now();
    let stalled = ldap_login(&stack, &slow_url, "alice", "alice-password").await;
    let waited = started.elapsed();
    slapd.resume();
    assert_eq!(stalled.status, 424, "{}", stalled.text());
    assert!(
        waited < std::time::Duration::from_secs(12),
        "waited {waited:?}"
    );
    ldap_login(&stack, &slow_url, "alice", "alice-password")
        .await
        .assert_status(200);

    // Every refusal is in the audit trail with its reason; no password is.
    let audit = stack
        .send("GET", "/v2/audit?action=sso.login", &admin, None)
        .await
        .json();
    let details: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["outcome"] == "refused")
        .filter_map(|e| e["detail"].as_str())
        .collect();
    for reason in ["invalid_credentials", "ambiguous_user", "empty password"] {
        assert!(
            details.iter().any(|d| d.contains(reason)),
            "{reason}: {details:?}"
        );
    }
    for secret in ["alice-password", "bob-password", SERVICE_PASSWORD] {
        assert!(!audit.to_string().contains(secret));
    }
    // Logins by outcome, with the refusals' reason codes.
    use gatehouse_integration_tests::emf::{assert_emitted, emitted};
    assert_emitted("SsoLogins", &[("Protocol", "ldap"), ("Outcome", "success")]);
    assert!(emitted().iter().any(|e| e.name == "SsoLogins"
        && e.dimensions["Protocol"] == "ldap"
        && e.dimensions["Outcome"] != "success"));
}
