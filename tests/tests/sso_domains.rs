//! Verified email domains and home-realm discovery, against a real DNS server
//! (`dnsmasq` on loopback, serving the TXT records the test publishes): a domain sends
//! people to a connection only once its DNS proves it, one tenant cannot take another's
//! domain while the holder's record is there, and a domain that changed hands follows
//! its new record.

use gatehouse_integration_tests::dns::Dns;
use gatehouse_integration_tests::oidc::{CLIENT_ID, CLIENT_SECRET, OidcProvider};
use gatehouse_integration_tests::{TestRequest, TestResponse, TestStack};
use serde_json::{Value, json};

const BASE: &str = "http://gatehouse.test";

async fn discover(stack: &TestStack, email: &str) -> TestResponse {
    stack
        .call(TestRequest::post("/v2/sso/discover").json(&json!({ "email": email })))
        .await
}

/// Each domain's status in a verification answer.
fn statuses(answer: &Value) -> Vec<(String, String)> {
    answer["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["domain"].as_str().unwrap().to_owned(),
                d["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(domain: &str, status: &str) -> (String, String) {
    (domain.to_owned(), status.to_owned())
}

#[tokio::test]
async fn only_a_domain_proven_in_dns_routes_its_users_and_a_stale_claim_moves() {
    let provider =
        OidcProvider::start("", &format!("{BASE}/v2/sso/callback"), json!({}), json!({})).await;
    let mut dns = Dns::reserve();
    dns.publish(&[]);
    let host = provider.host_port();
    let address = dns.address();
    let stack = TestStack::with_params(&[
        ("IntegrationAllowHosts", host.as_str()),
        ("PublicBaseUrl", BASE),
        ("DnsNameservers", address.as_str()),
    ])
    .await;
    let connect = |admin: String, name: &'static str, domains: Value| {
        let stack = &stack;
        let issuer = provider.issuer.clone();
        async move {
            let created = stack
                .send(
                    "POST",
                    "/v2/integrations/sso",
                    &admin,
                    Some(json!({
                        "name": name, "preset": "custom", "issuer": issuer,
                        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                        "domains": domains, "default_scopes": ["keys:read"],
                    })),
                )
                .await;
            created.assert_status(201);
            created.json()
        }
    };
    let acme = stack.tenant("Acme").await;
    let acme_admin = acme.admin_key.expose().to_owned();
    let evil = stack.tenant("Evil").await;
    let evil_admin = evil.admin_key.expose().to_owned();

    let ours = connect(
        acme_admin.clone(),
        "Acme IdP",
        json!(["acme.example", "acme-labs.example"]),
    )
    .await;
    let proof = &ours["domain_verification"][0];
    assert_eq!(proof["domain"], "acme.example");
    assert_eq!(proof["verified"], false);
    assert_eq!(proof["txt_name"], "_gatehouse-challenge.acme.example");
    let acme_value = proof["txt_value"].as_str().unwrap().to_owned();
    assert!(acme_value.starts_with("gatehouse-domain-verification="));
    let ours_id = ours["connection_id"].as_str().unwrap().to_owned();
    let verify = |admin: String, id: String| {
        let stack = &stack;
        async move {
            let answer = stack
                .send(
                    "POST",
                    &format!("/v2/integrations/sso/{id}/verify-domains"),
                    &admin,
                    None,
                )
                .await;
            answer.assert_status(200);
            answer.json()
        }
    };

    // Listed but not proven: discovery does not send anyone.
    discover(&stack, "alice@acme.example")
        .await
        .assert_problem(404, "not-found");
    let checked = verify(acme_admin.clone(), ours_id.clone()).await;
    assert_eq!(
        statuses(&checked),
        vec![
            pair("acme.example", "record_missing"),
            pair("acme-labs.example", "record_missing")
        ]
    );
    assert!(
        checked["domains"][0]["detail"]
            .as_str()
            .unwrap()
            .contains(&acme_value)
    );

    // The record is published: the domain is Acme's.
    dns.publish(&[
        ("_gatehouse-challenge.acme.example", "v=unrelated"),
        ("_gatehouse-challenge.acme.example", &acme_value),
    ]);
    let checked = verify(acme_admin.clone(), ours_id.clone()).await;
    assert_eq!(
        statuses(&checked),
        vec![
            pair("acme.example", "verified"),
            pair("acme-labs.example", "record_missing")
        ]
    );
    assert_eq!(
        checked["connection"]["domain_verification"][0]["verified"],
        true
    );
    let found = discover(&stack, "Alice@ACME.example").await;
    found.assert_status(200);
    let found = found.json();
    assert_eq!(found["tenant_id"], acme.tenant.tenant_id.as_str());
    assert_eq!(found["connection_id"], ours_id.as_str());
    assert_eq!(
        found["login_url"],
        format!(
            "{BASE}/v2/sso/{}/{ours_id}/login?login_hint=Alice%40ACME.example",
            acme.tenant.tenant_id
        )
    );
    discover(&stack, "alice@acme-labs.example")
        .await
        .assert_problem(404, "not-found");
    discover(&stack, "not an email")
        .await
        .assert_problem(400, "invalid-body");
    // Shaped like an address, but no domain name: nothing can have verified it.
    discover(&stack, "alice@-bad-.example")
        .await
        .assert_problem(404, "not-found");

    // Another tenant names the same domain: without its own record nothing changes,
    // and with its record beside Acme's, Acme keeps the domain.
    let theirs = connect(evil_admin.clone(), "Evil IdP", json!(["acme.example"])).await;
    let theirs_id = theirs["connection_id"].as_str().unwrap().to_owned();
    let evil_value = theirs["domain_verification"][0]["txt_value"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(evil_value, acme_value);
    let checked = verify(evil_admin.clone(), theirs_id.clone()).await;
    assert_eq!(
        statuses(&checked),
        vec![pair("acme.example", "record_missing")]
    );
    dns.publish(&[
        ("_gatehouse-challenge.acme.example", &acme_value),
        ("_gatehouse-challenge.acme.example", &evil_value),
    ]);
    let checked = verify(evil_admin.clone(), theirs_id.clone()).await;
    assert_eq!(
        statuses(&checked),
        vec![pair("acme.example", "claimed_elsewhere")]
    );
    assert_eq!(
        discover(&stack, "bob@acme.example").await.json()["connection_id"],
        ours_id.as_str()
    );

    // The domain changes hands: only the new owner's record is left, so the claim moves.
    dns.publish(&[("_gatehouse-challenge.acme.example", &evil_value)]);
    let checked = verify(evil_admin.clone(), theirs_id.clone()).await;
    assert_eq!(statuses(&checked), vec![pair("acme.example", "verified")]);
    assert_eq!(
        discover(&stack, "bob@acme.example").await.json()["connection_id"],
        theirs_id.as_str()
    );
    // Acme's next check sees its record gone; the domain stays with the new holder.
    let checked = verify(acme_admin.clone(), ours_id.clone()).await;
    assert_eq!(
        statuses(&checked)[0],
        pair("acme.example", "record_missing")
    );
    assert_eq!(
        discover(&stack, "bob@acme.example").await.json()["connection_id"],
        theirs_id.as_str()
    );

    // Dropping the domain from the connection lets it go.
    let mut update = theirs.clone();
    for field in [
        "connection_id",
        "client_secret",
        "redirect_uri",
        "login_url",
        "created_at",
        "updated_at",
        "hosted_domain",
        "entra_tenant_id",
        "domain_verification",
    ] {
        update.as_object_mut().unwrap().remove(field);
    }
    update["domains"] = json!(["evil.example"]);
    stack
        .send(
            "PUT",
            &format!("/v2/integrations/sso/{theirs_id}"),
            &evil_admin,
            Some(update),
        )
        .await
        .assert_status(200);
    discover(&stack, "bob@acme.example")
        .await
        .assert_problem(404, "not-found");

    // Deleting a connection lets its domains go too.
    dns.publish(&[("_gatehouse-challenge.acme.example", &acme_value)]);
    let checked = verify(acme_admin.clone(), ours_id.clone()).await;
    assert_eq!(statuses(&checked)[0], pair("acme.example", "verified"));
    discover(&stack, "bob@acme.example")
        .await
        .assert_status(200);
    stack
        .send(
            "DELETE",
            &format!("/v2/integrations/sso/{ours_id}"),
            &acme_admin,
            None,
        )
        .await
        .assert_status(200);
    discover(&stack, "bob@acme.example")
        .await
        .assert_problem(404, "not-found");

    // A DNS outage changes nothing: a verified domain stays verified.
    dns.publish(&[("_gatehouse-challenge.evil.example", &evil_value)]);
    let checked = verify(evil_admin.clone(), theirs_id.clone()).await;
    assert_eq!(statuses(&checked), vec![pair("evil.example", "verified")]);
    dns.stop();
    let checked = verify(evil_admin.clone(), theirs_id.clone()).await;
    assert_eq!(statuses(&checked), vec![pair("evil.example", "dns_error")]);
    assert_eq!(
        checked["connection"]["domain_verification"][0]["verified"],
        true
    );
    discover(&stack, "mallory@evil.example")
        .await
        .assert_status(200);

    // Every verification is audited with what DNS showed.
    let audit = stack
        .send(
            "GET",
            "/v2/audit?action=sso.connection.verify_domains",
            &acme_admin,
            None,
        )
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 4, "{audit}");
}
