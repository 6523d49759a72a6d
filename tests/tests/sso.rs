//! SSO through the routes against a real OpenID Provider (npm `oidc-provider` on
//! loopback): a tenant configures a connection, a user logs in (authorization code +
//! PKCE, no browser), the session token lists keys through the authorizer, lacks what
//! its mapped scopes do not grant, and stops working after logout within the
//! revocation bound. Refused logins carry their reason into the audit trail.

use gatehouse_integration_tests::oidc::{CLIENT_ID, CLIENT_SECRET, OidcProvider, follow_login};
use gatehouse_integration_tests::{TestRequest, TestStack};
use serde_json::{Value, json};

const BASE: &str = "http://gatehouse.test";

fn accounts() -> Value {
    json!({
        "alice": {"email": "alice@acme.example", "email_verified": true, "name": "Alice",
                  "groups": ["gatehouse-admins"]},
        "bob": {"email": "bob@acme.example", "email_verified": true, "name": "Bob"},
        "eve": {"email": "eve@evil.example", "email_verified": true, "name": "Eve"},
        // The provider replaces these accounts' ID tokens with the attack they name.
        "attack-alg-none": {"email": "m1@acme.example", "email_verified": true},
        "attack-other-key": {"email": "m2@acme.example", "email_verified": true},
        "attack-hs256": {"email": "m3@acme.example", "email_verified": true},
        "attack-expired": {"email": "m4@acme.example", "email_verified": true},
        "attack-audience": {"email": "m5@acme.example", "email_verified": true},
        "attack-issuer": {"email": "m6@acme.example", "email_verified": true},
    })
}

fn claims() -> Value {
    json!({
        "openid": ["sub"],
        "email": ["email", "email_verified"],
        "profile": ["name"],
        "groups": ["groups"],
    })
}

/// A stack whose integrations may reach `provider`, served at [`BASE`].
async fn stack_for(provider: &OidcProvider) -> TestStack {
    let host = provider.host_port();
    TestStack::with_params(&[
        ("IntegrationAllowHosts", host.as_str()),
        ("PublicBaseUrl", BASE),
    ])
    .await
}

/// The path and query of a URL on Gatehouse (the stack is served without a socket).
fn local(url: &str) -> String {
    url.strip_prefix(BASE).unwrap_or(url).to_owned()
}

/// A login of `account` through the connection whose login URL is `login_url`: the
/// callback's answer.
async fn log_in(
    stack: &TestStack,
    login_url: &str,
    account: &str,
) -> (gatehouse_integration_tests::TestResponse, String) {
    let started = stack
        .call(TestRequest::get(&format!(
            "{}?login_hint={account}",
            local(login_url)
        )))
        .await;
    assert_eq!(started.status, 302, "{}", started.text());
    let authorize = started.header("location");
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    assert!(authorize.contains("nonce="), "{authorize}");
    let callback = follow_login(&authorize).await;
    let answer = stack.call(TestRequest::get(&local(&callback))).await;
    (answer, callback)
}

#[tokio::test]
async fn a_user_logs_in_lists_keys_with_the_session_and_logs_out() {
    let provider = OidcProvider::start(
        "/",
        &format!("{BASE}/v2/sso/callback"),
        accounts(),
        claims(),
    )
    .await;
    let stack = stack_for(&provider).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let created = stack
        .send(
            "POST",
            "/v2/integrations/sso",
            admin,
            Some(json!({
                "name": "Acme IdP",
                "preset": "custom",
                // Auth0-style: the issuer ends in a slash, kept exactly.
                "issuer": provider.issuer,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "scopes": ["email", "profile", "groups"],
                "domains": ["acme.example"],
                "rules": [{"claim": "groups", "value": "gatehouse-admins",
                           "scopes": ["keys:read", "audit:read"], "stop": true}],
                "default_scopes": ["scopes:read"],
            })),
        )
        .await;
    created.assert_status(201);
    let connection = created.json();
    assert!(!connection.to_string().contains(CLIENT_SECRET));
    assert_eq!(
        connection["redirect_uri"],
        format!("{BASE}/v2/sso/callback")
    );
    let login_url = connection["login_url"].as_str().unwrap().to_owned();

    let (answer, callback) = log_in(&stack, &login_url, "alice").await;
    answer.assert_status(200);
    let session = answer.json();
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["scopes"], json!(["audit:read", "keys:read"]));
    assert_eq!(session["first_login"], true);
    let token = session["session_token"].as_str().unwrap().to_owned();

    // The session token is a bearer credential the authorizer accepts.
    let keys = stack.send("GET", "/v2/api-keys", &token, None).await;
    keys.assert_status(200);
    // ... within its mapped scopes.
    let denied = stack
        .send(
            "POST",
            "/v2/api-keys",
            &token,
            Some(json!({"name": "k", "scopes": ["keys:read"]})),
        )
        .await;
    assert_eq!(denied.status, 403, "{}", denied.text());

    // The same callback again: the state was taken.
    let replayed = stack.call(TestRequest::get(&local(&callback))).await;
    assert_eq!(replayed.status, 401, "{}", replayed.text());
    assert!(replayed.text().contains("state_mismatch"));

    // A second login of the same person is the same principal.
    let (again, _) = log_in(&stack, &login_url, "alice").await;
    again.assert_status(200);
    assert_eq!(again.json()["principal_id"], session["principal_id"]);
    assert_eq!(again.json()["first_login"], false);
    // No rule matched: the default scopes.
    let (bob, _) = log_in(&stack, &login_url, "bob").await;
    assert_eq!(bob.json()["scopes"], json!(["scopes:read"]));

    // Outside the connection's domains: refused, with the reason audited.
    let (eve, _) = log_in(&stack, &login_url, "eve").await;
    assert_eq!(eve.status, 401, "{}", eve.text());
    assert!(eve.text().contains("domain_not_allowed"));
    let audit = stack
        .send("GET", "/v2/audit?action=sso.login", admin, None)
        .await
        .json();
    let events = audit["items"].as_array().unwrap();
    let refused: Vec<&str> = events
        .iter()
        .filter(|e| e["outcome"] == "refused")
        .filter_map(|e| e["detail"].as_str())
        .collect();
    assert!(
        refused.iter().any(|d| d.contains("domain_not_allowed")),
        "{refused:?}"
    );
    assert!(
        refused.iter().any(|d| d.contains("state_mismatch")),
        "{refused:?}"
    );
    assert_eq!(
        events.iter().filter(|e| e["outcome"] == "success").count(),
        3,
        "alice twice and bob: {events:?}"
    );
    assert!(!audit.to_string().contains(&token));

    // The principals: who logged in, with what.
    let principals = stack.send("GET", "/v2/principals", admin, None).await;
    principals.assert_status(200);
    let listed = principals.json();
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        2,
        "alice and bob"
    );
    let alice_id = session["principal_id"].as_str().unwrap();
    let alice = stack
        .send("GET", &format!("/v2/principals/{alice_id}"), admin, None)
        .await
        .json();
    assert_eq!(alice["email"], "alice@acme.example");
    assert_eq!(alice["groups"], json!(["gatehouse-admins"]));
    assert_eq!(alice["claims"]["name"], "Alice");
    // Disabling Alice ends her sessions (the second one here) and refuses her logins.
    let second_token = again.json()["session_token"].as_str().unwrap().to_owned();
    stack
        .send("GET", "/v2/api-keys", &second_token, None)
        .await
        .assert_status(200);
    stack
        .send(
            "POST",
            &format!("/v2/principals/{alice_id}/disable"),
            admin,
            None,
        )
        .await
        .assert_status(200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let cut = stack.send("GET", "/v2/api-keys", &second_token, None).await;
    assert_eq!(cut.status, 403, "{}", cut.text());
    let (blocked, _) = log_in(&stack, &login_url, "alice").await;
    assert_eq!(blocked.status, 401);
    assert!(
        blocked.text().contains("principal_disabled"),
        "{}",
        blocked.text()
    );
    stack
        .send(
            "POST",
            &format!("/v2/principals/{alice_id}/enable"),
            admin,
            None,
        )
        .await
        .assert_status(200);
    let (back, _) = log_in(&stack, &login_url, "alice").await;
    back.assert_status(200);
    // (Disabling ended the first session too.)
    let token = back.json()["session_token"].as_str().unwrap().to_owned();
    stack
        .send("GET", "/v2/api-keys", &token, None)
        .await
        .assert_status(200);

    // Logout (with an Idempotency-Key, as any POST may carry): refused by the
    // authorizer once the revocation bound has passed.
    stack
        .call(
            TestRequest::post("/v2/sso/logout")
                .header("authorization", &format!("Bearer {token}"))
                .header("idempotency-key", "logout-1"),
        )
        .await
        .assert_status(200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let after = stack.send("GET", "/v2/api-keys", &token, None).await;
    assert_eq!(after.status, 403, "{}", after.text());
    // An API key is not a session.
    stack
        .send("POST", "/v2/sso/logout", admin, None)
        .await
        .assert_problem(400, "invalid-parameter");

    // Disabling the connection ends its sessions within the bound and refuses logins.
    let (live, _) = log_in(&stack, &login_url, "bob").await;
    let live = live.json()["session_token"].as_str().unwrap().to_owned();
    stack
        .send("GET", "/v2/scopes", &live, None)
        .await
        .assert_status(200);
    let mut disabled = connection.clone();
    for field in [
        "connection_id",
        "client_secret",
        "redirect_uri",
        "login_url",
        "created_at",
        "updated_at",
        "hosted_domain",
        "entra_tenant_id",
        "return_urls",
        "domain_verification",
    ] {
        disabled.as_object_mut().unwrap().remove(field);
    }
    disabled["enabled"] = json!(false);
    let id = connection["connection_id"].as_str().unwrap();
    stack
        .send(
            "PUT",
            &format!("/v2/integrations/sso/{id}"),
            admin,
            Some(disabled),
        )
        .await
        .assert_status(200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let cut = stack.send("GET", "/v2/scopes", &live, None).await;
    assert_eq!(cut.status, 403, "{}", cut.text());
    let started = stack
        .call(TestRequest::get(&format!(
            "{}?login_hint=bob",
            local(&login_url)
        )))
        .await;
    assert_eq!(started.status, 401, "{}", started.text());
    assert!(started.text().contains("connection_disabled"));

    // The session keys are published.
    let jwks = stack
        .call(TestRequest::get("/v2/.well-known/jwks.json"))
        .await
        .json();
    assert_eq!(jwks["keys"][0]["kty"], "EC");
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
}

/// A provider, a stack and a tenant with one connection to it: the provider, the
/// stack, the admin key and the connection's login URL.
async fn connected() -> (OidcProvider, TestStack, String, String) {
    let provider =
        OidcProvider::start("", &format!("{BASE}/v2/sso/callback"), accounts(), claims()).await;
    let stack = stack_for(&provider).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose().to_owned();
    let created = stack
        .send(
            "POST",
            "/v2/integrations/sso",
            &admin,
            Some(json!({
                "name": "Acme IdP", "preset": "custom", "issuer": provider.issuer,
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "domains": ["acme.example"], "default_scopes": ["keys:read"],
            })),
        )
        .await;
    created.assert_status(201);
    let login_url = created.json()["login_url"].as_str().unwrap().to_owned();
    (provider, stack, admin, login_url)
}

fn query_param(url: &str, name: &str) -> String {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The callback with the code of one provider answer and the state of another is
/// refused for `reason`.
async fn assert_refused(stack: &TestStack, code_from: &str, state_from: &str, reason: &str) {
    let mixed = format!(
        "/v2/sso/callback?code={}&state={}",
        query_param(code_from, "code"),
        query_param(state_from, "state")
    );
    let answer = stack.call(TestRequest::get(&mixed)).await;
    assert_eq!(answer.status, 401, "{}", answer.text());
    assert!(answer.text().contains(reason), "{}", answer.text());
}

/// The provider's answer for `account`, not yet given to Gatehouse: the callback URL.
async fn provider_answer(stack: &TestStack, login_url: &str, account: &str) -> String {
    let started = stack
        .call(TestRequest::get(&format!(
            "{}?login_hint={account}",
            local(login_url)
        )))
        .await;
    follow_login(&started.header("location")).await
}

#[tokio::test]
async fn forged_and_replayed_logins_are_refused_with_their_reason() {
    let (_provider, stack, admin, login_url) = connected().await;
    let mut expected = Vec::new();
    // ID tokens the provider's key did not sign as they are, or signed wrongly.
    for (account, reason) in [
        ("attack-alg-none", "token_invalid"),
        ("attack-other-key", "token_invalid"),
        ("attack-hs256", "token_invalid"),
        ("attack-expired", "expired"),
        ("attack-audience", "audience_mismatch"),
        ("attack-issuer", "issuer_mismatch"),
    ] {
        let (answer, _) = log_in(&stack, &login_url, account).await;
        assert_eq!(answer.status, 401, "{account}: {}", answer.text());
        assert!(
            answer.text().contains(reason),
            "{account}: {}",
            answer.text()
        );
        expected.push(reason);
    }

    // A state Gatehouse never issued.
    let forged = stack
        .call(TestRequest::get("/v2/sso/callback?code=x&state=forged"))
        .await;
    assert_eq!(forged.status, 401);
    assert!(forged.text().contains("state_mismatch"));

    // A nonce other than the one the login stored (the stored state tampered with).
    let started = stack
        .call(TestRequest::get(&format!(
            "{}?login_hint=alice",
            local(&login_url)
        )))
        .await;
    let authorize = started.header("location");
    let state = query_param(&authorize, "state");
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.sdk);
    let table = &stack.app.config.ephemeral_table;
    let key = aws_sdk_dynamodb::types::AttributeValue::S(format!("SSOSTATE#{state}"));
    let item = dynamo
        .get_item()
        .table_name(table)
        .key("pk", key.clone())
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let mut login: Value = serde_json::from_str(item["login"].as_s().unwrap()).unwrap();
    login["nonce"] = json!("not-the-nonce-sent");
    dynamo
        .put_item()
        .table_name(table)
        .set_item(Some(item.clone()))
        .item(
            "login",
            aws_sdk_dynamodb::types::AttributeValue::S(login.to_string()),
        )
        .send()
        .await
        .unwrap();
    let callback = follow_login(&authorize).await;
    let answer = stack.call(TestRequest::get(&local(&callback))).await;
    assert_eq!(answer.status, 401, "{}", answer.text());
    assert!(
        answer.text().contains("nonce_mismatch"),
        "{}",
        answer.text()
    );
    expected.push("nonce_mismatch");

    // A code moved to another login's state: its PKCE verifier does not match.
    let first = provider_answer(&stack, &login_url, "alice").await;
    let second = provider_answer(&stack, &login_url, "alice").await;
    assert_refused(&stack, &first, &second, "code_rejected").await;
    // The code used as meant works once; used again, with a fresh state, it is refused.
    let used = stack.call(TestRequest::get(&local(&first))).await;
    used.assert_status(200);
    let third = provider_answer(&stack, &login_url, "alice").await;
    assert_refused(&stack, &first, &third, "code_rejected").await;
    // The first login's callback again: its state was taken.
    let replayed = stack.call(TestRequest::get(&local(&first))).await;
    assert_eq!(replayed.status, 401);
    expected.extend(["code_rejected", "state_mismatch"]);

    let audit = stack
        .send("GET", "/v2/audit?action=sso.login&limit=100", &admin, None)
        .await
        .json();
    let details: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["outcome"] == "refused")
        .filter_map(|e| e["detail"].as_str())
        .collect();
    for reason in expected {
        assert!(
            details.iter().any(|d| d.contains(reason)),
            "{reason} not in the audit trail: {details:?}"
        );
    }
}

/// The provider dressed as Entra ID and as Google Workspace: an Entra identity is its
/// directory and object ids (two app-specific `sub`s of one person are one principal),
/// a login from another directory is refused; a Google connection demands the `hd`
/// claim (the `hd` parameter is only a hint).
#[tokio::test]
async fn entra_and_google_quirks_are_enforced() {
    let provider = OidcProvider::start(
        "",
        &format!("{BASE}/v2/sso/callback"),
        json!({
            "entra-a": {"email": "pat@acme.example", "tid": "tid-acme", "oid": "obj-1"},
            "entra-b": {"email": "pat@acme.example", "tid": "tid-acme", "oid": "obj-1"},
            "entra-other": {"email": "pat@acme.example", "tid": "tid-other", "oid": "obj-9"},
            "g-work": {"email": "sam@acme.example", "email_verified": true, "hd": "acme.example"},
            "g-personal": {"email": "sam@acme.example", "email_verified": true},
        }),
        json!({"openid": ["sub", "tid", "oid", "hd"], "email": ["email", "email_verified"]}),
    )
    .await;
    let stack = stack_for(&provider).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let connect = |preset: &str, extra: Value| {
        let mut body = json!({
            "name": preset, "preset": preset, "issuer": provider.issuer,
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "default_scopes": ["keys:read"],
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        stack.send("POST", "/v2/integrations/sso", admin, Some(body))
    };
    let entra = connect(
        "azure_ad",
        json!({"entra_tenant_id": "tid-acme", "domains": ["acme.example"]}),
    )
    .await;
    entra.assert_status(201);
    let entra_login = entra.json()["login_url"].as_str().unwrap().to_owned();
    let (a, _) = log_in(&stack, &entra_login, "entra-a").await;
    a.assert_status(200);
    let (b, _) = log_in(&stack, &entra_login, "entra-b").await;
    b.assert_status(200);
    assert_eq!(
        a.json()["principal_id"],
        b.json()["principal_id"],
        "one person: tid + oid"
    );
    assert_eq!(b.json()["first_login"], false);
    let (other, _) = log_in(&stack, &entra_login, "entra-other").await;
    assert_eq!(other.status, 401);
    assert!(
        other.text().contains("directory_mismatch"),
        "{}",
        other.text()
    );

    let google = connect("google", json!({"hosted_domain": "acme.example"})).await;
    google.assert_status(201);
    let google_login = google.json()["login_url"].as_str().unwrap().to_owned();
    let started = stack
        .call(TestRequest::get(&format!(
            "{}?login_hint=g-work",
            local(&google_login)
        )))
        .await;
    assert!(started.header("location").contains("hd=acme.example"));
    let (work, _) = log_in(&stack, &google_login, "g-work").await;
    work.assert_status(200);
    let (personal, _) = log_in(&stack, &google_login, "g-personal").await;
    assert_eq!(personal.status, 401);
    assert!(
        personal.text().contains("hosted_domain_mismatch"),
        "{}",
        personal.text()
    );
    // A Google connection that names no domain would let any Google account in.
    connect("google", json!({}))
        .await
        .assert_problem(400, "invalid-body");
    // Entra's multi-tenant endpoints are refused as issuers.
    let mut multi = json!({"name": "x", "preset": "azure_ad", "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "issuer": "https://login.microsoftonline.com/common/v2.0"});
    stack
        .send("POST", "/v2/integrations/sso", admin, Some(multi.take()))
        .await
        .assert_problem(400, "invalid-body");
}

/// `POST /v2/sso/refresh` with `refresh_token`: the answer.
async fn refresh(
    stack: &TestStack,
    refresh_token: &str,
) -> gatehouse_integration_tests::TestResponse {
    stack
        .call(TestRequest::post("/v2/sso/refresh").json(&json!({"refresh_token": refresh_token})))
        .await
}

#[tokio::test]
async fn a_session_refreshes_with_rotation_and_a_reused_refresh_token_ends_it() {
    let (_provider, stack, admin, login_url) = connected().await;
    let (answer, _) = log_in(&stack, &login_url, "bob").await;
    answer.assert_status(200);
    let login = answer.json();
    let first_refresh = login["refresh_token"].as_str().unwrap().to_owned();
    assert!(first_refresh.starts_with("gsr_"), "{login}");
    let expires = |s: &Value| {
        time::OffsetDateTime::parse(
            s["refresh_expires_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    // The default session: eight hours.
    let lasts = expires(&login) - time::OffsetDateTime::now_utc();
    assert!(lasts > time::Duration::minutes(479) && lasts <= time::Duration::hours(8));

    // A refresh: a new pair; the new session token works through the authorizer.
    let refreshed = refresh(&stack, &first_refresh).await;
    refreshed.assert_status(200);
    assert_eq!(refreshed.header("cache-control"), "no-store");
    let refreshed = refreshed.json();
    let second_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first_refresh);
    assert_eq!(refreshed["principal_id"], login["principal_id"]);
    assert_eq!(refreshed["scopes"], json!(["keys:read"]));
    assert_eq!(
        expires(&refreshed),
        expires(&login),
        "a refresh never extends the session"
    );
    let token = refreshed["session_token"].as_str().unwrap().to_owned();
    stack
        .send("GET", "/v2/api-keys", &token, None)
        .await
        .assert_status(200);

    // Garbage and unknown tokens are refused without ending anything.
    for bad in [
        "nope",
        &gatehouse_integration_tests::with_last_char_changed(&second_refresh),
    ] {
        let answer = refresh(&stack, bad).await;
        assert_eq!(answer.status, 401, "{}", answer.text());
        assert!(answer.text().contains("token_invalid"), "{}", answer.text());
    }
    stack
        .send("GET", "/v2/api-keys", &token, None)
        .await
        .assert_status(200);

    // The retired refresh token again: someone else holds it, so the session ends.
    let reused = refresh(&stack, &first_refresh).await;
    assert_eq!(reused.status, 401, "{}", reused.text());
    assert!(
        reused.text().contains("refresh_reused"),
        "{}",
        reused.text()
    );
    let after = refresh(&stack, &second_refresh).await;
    assert_eq!(after.status, 401);
    assert!(after.text().contains("session_ended"), "{}", after.text());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let cut = stack.send("GET", "/v2/api-keys", &token, None).await;
    assert_eq!(cut.status, 403, "{}", cut.text());

    // A logout ends refreshing too.
    let (again, _) = log_in(&stack, &login_url, "bob").await;
    let again = again.json();
    let token = again["session_token"].as_str().unwrap();
    stack
        .send("POST", "/v2/sso/logout", token, None)
        .await
        .assert_status(200);
    let after_logout = refresh(&stack, again["refresh_token"].as_str().unwrap()).await;
    assert_eq!(after_logout.status, 401);
    assert!(after_logout.text().contains("session_ended"));

    // So does disabling the principal.
    let (third, _) = log_in(&stack, &login_url, "bob").await;
    let third = third.json();
    let principal = third["principal_id"].as_str().unwrap();
    stack
        .send(
            "POST",
            &format!("/v2/principals/{principal}/disable"),
            &admin,
            None,
        )
        .await
        .assert_status(200);
    let after_disable = refresh(&stack, third["refresh_token"].as_str().unwrap()).await;
    assert_eq!(after_disable.status, 401);

    // Every refresh is audited, refusals with their reason; no token is in the trail.
    let audit = stack
        .send("GET", "/v2/audit?action=sso.refresh", &admin, None)
        .await
        .json();
    let events = audit["items"].as_array().unwrap();
    assert_eq!(
        events.iter().filter(|e| e["outcome"] == "success").count(),
        1,
        "{events:?}"
    );
    let refused: Vec<&str> = events
        .iter()
        .filter(|e| e["outcome"] == "refused")
        .filter_map(|e| e["detail"].as_str())
        .collect();
    for reason in ["token_invalid", "refresh_reused", "session_ended"] {
        assert!(
            refused.iter().any(|d| d.contains(reason)),
            "{reason}: {refused:?}"
        );
    }
    for secret in [&first_refresh, &second_refresh] {
        assert!(!audit.to_string().contains(secret.as_str()));
    }
}

#[tokio::test]
async fn profile_claims_the_id_token_leaves_out_come_from_userinfo() {
    // ID tokens with nothing but `sub`: email, name and groups only at userinfo.
    let provider = OidcProvider::start_userinfo_only(
        "",
        &format!("{BASE}/v2/sso/callback"),
        json!({
            "alice": {"email": "alice@acme.example", "email_verified": true, "name": "Alice",
                      "groups": ["gatehouse-admins"]},
            "eve": {"email": "eve@evil.example", "email_verified": true},
            // The provider's userinfo answers for another subject for this one.
            "swap-userinfo": {"email": "swap@acme.example", "email_verified": true},
        }),
        claims(),
    )
    .await;
    let stack = stack_for(&provider).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose();
    let created = stack
        .send(
            "POST",
            "/v2/integrations/sso",
            admin,
            Some(json!({
                "name": "Userinfo IdP", "preset": "okta", "issuer": provider.issuer,
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "scopes": ["email", "profile", "groups"],
                "domains": ["acme.example"],
                "rules": [{"claim": "groups", "value": "gatehouse-admins",
                           "scopes": ["keys:write", "audit:read"]}],
                "default_scopes": ["scopes:read"],
            })),
        )
        .await;
    created.assert_status(201);
    let login_url = created.json()["login_url"].as_str().unwrap().to_owned();

    let (alice, _) = log_in(&stack, &login_url, "alice").await;
    alice.assert_status(200);
    assert_eq!(alice.json()["scopes"], json!(["audit:read", "keys:write"]));
    // A key made with the session names the principal as its owner and the session
    // as its creator.
    let session_token = alice.json()["session_token"].as_str().unwrap().to_owned();
    let key = stack
        .send(
            "POST",
            "/v2/api-keys",
            &session_token,
            Some(json!({"name": "alice's key", "scopes": ["keys:read"]})),
        )
        .await;
    key.assert_status(201);
    assert_eq!(
        key.json()["principal"],
        format!("sso:{}", alice.json()["principal_id"].as_str().unwrap())
    );
    let id = alice.json()["principal_id"].as_str().unwrap().to_owned();
    let principal = stack
        .send("GET", &format!("/v2/principals/{id}"), admin, None)
        .await
        .json();
    assert_eq!(principal["email"], "alice@acme.example");
    assert_eq!(principal["name"], "Alice");
    assert_eq!(principal["groups"], json!(["gatehouse-admins"]));

    // The domains hold for an email that came from userinfo.
    let (eve, _) = log_in(&stack, &login_url, "eve").await;
    assert_eq!(eve.status, 401);
    assert!(eve.text().contains("domain_not_allowed"), "{}", eve.text());
    // Userinfo about someone else: refused, not merged.
    let (swapped, _) = log_in(&stack, &login_url, "swap-userinfo").await;
    assert_eq!(swapped.status, 401, "{}", swapped.text());
    assert!(
        swapped.text().contains("token_invalid"),
        "{}",
        swapped.text()
    );
    let audit = stack
        .send("GET", "/v2/audit?action=sso.login", admin, None)
        .await
        .json();
    assert!(
        audit.to_string().contains("userinfo"),
        "the audit trail says userinfo was wrong: {audit}"
    );
}
