//! SAML 2.0 logins through the routes, with responses signed by Debian's `xmlsec1`
//! for a test IdP (`saml_idp`). A login started at the connection's login URL sends
//! an AuthnRequest; the IdP's signed response, posted to the ACS, opens a session the
//! authorizer accepts with the mapped scopes. Every known attack on a SAML service
//! provider is a fixture built from real signatures and refused with its reason,
//! which the audit trail keeps.

use base64::Engine;
use gatehouse_integration_tests::saml_idp::{Assertion, RSA_SHA1, SHA1, SamlIdp, element, form};
use gatehouse_integration_tests::{TestRequest, TestResponse, TestStack};
use serde_json::{Value, json};
use std::io::Read;
use time::OffsetDateTime;

const BASE: &str = "http://gatehouse.test";
const IDP: &str = "https://idp.acme.test/saml";
const IDP_SSO: &str = "https://idp.acme.test/sso";

struct Sp {
    tenant: String,
    id: String,
    entity_id: String,
    acs_url: String,
}

impl Sp {
    fn acs_path(&self) -> String {
        self.acs_url.strip_prefix(BASE).unwrap().to_owned()
    }
}

async fn connect(stack: &TestStack, admin: &str, tenant: &str, saml: Value, extra: Value) -> Sp {
    let mut body = json!({
        "name": "Acme SAML", "preset": "saml", "saml": saml,
        "domains": ["acme.example"],
        "rules": [{"claim": "groups", "value": "gatehouse-admins",
                   "scopes": ["keys:read", "audit:read"]}],
        "default_scopes": ["scopes:read"],
        "return_urls": ["https://app.acme.example/after-login"],
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let created = stack
        .send("POST", "/v2/integrations/sso", admin, Some(body))
        .await;
    created.assert_status(201);
    let connection = created.json();
    assert_eq!(connection["preset"], "saml");
    let saml = &connection["saml"];
    Sp {
        tenant: tenant.to_owned(),
        id: connection["connection_id"].as_str().unwrap().to_owned(),
        entity_id: saml["sp_entity_id"].as_str().unwrap().to_owned(),
        acs_url: saml["acs_url"].as_str().unwrap().to_owned(),
    }
}

async fn post(stack: &TestStack, sp: &Sp, response: &str, relay: Option<&str>) -> TestResponse {
    stack
        .call(
            TestRequest::post(&sp.acs_path())
                .raw_body("application/x-www-form-urlencoded", form(response, relay)),
        )
        .await
}

fn refused_with(answer: &TestResponse, reason: &str, what: &str) {
    assert_eq!(answer.status, 401, "{what}: {}", answer.text());
    assert!(
        answer.json()["detail"]
            .as_str()
            .unwrap()
            .ends_with(&format!(": {reason}")),
        "{what}: expected {reason}, got {}",
        answer.text()
    );
}

/// The AuthnRequest ID in an HTTP-Redirect URL (`SAMLRequest`: DEFLATE, base64).
fn request_id(location: &str) -> String {
    let url = url::Url::parse(location).unwrap();
    let encoded = url
        .query_pairs()
        .find(|(k, _)| k == "SAMLRequest")
        .unwrap()
        .1
        .into_owned();
    let deflated = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&deflated[..])
        .read_to_string(&mut xml)
        .unwrap();
    assert!(xml.contains("AssertionConsumerServiceURL"), "{xml}");
    let start = xml.find(" ID=\"").unwrap() + 5;
    xml[start..start + xml[start..].find('"').unwrap()].to_owned()
}

async fn start_login(stack: &TestStack, sp: &Sp, return_to: Option<&str>) -> String {
    let query = return_to
        .map(|r| {
            format!(
                "?return_to={}",
                url::form_urlencoded::byte_serialize(r.as_bytes()).collect::<String>()
            )
        })
        .unwrap_or_default();
    let started = stack
        .call(TestRequest::get(&format!(
            "/v2/sso/{}/{}/login{query}",
            sp.tenant, sp.id
        )))
        .await;
    assert_eq!(started.status, 302, "{}", started.text());
    let location = started.header("location");
    assert!(location.starts_with(IDP_SSO), "{location}");
    request_id(&location)
}

#[tokio::test]
async fn a_saml_login_opens_a_session_the_authorizer_accepts() {
    let stack = TestStack::with_params(&[("PublicBaseUrl", BASE)]).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose().to_owned();
    let tenant = acme.tenant.tenant_id.to_string();
    let idp = SamlIdp::new(IDP, IDP_SSO, 365);
    // Configured by metadata upload.
    let sp = connect(
        &stack,
        &admin,
        &tenant,
        json!({"metadata_xml": idp.metadata()}),
        json!({}),
    )
    .await;
    let shown = stack
        .send(
            "GET",
            &format!("/v2/integrations/sso/{}", sp.id),
            &admin,
            None,
        )
        .await
        .json();
    assert_eq!(shown["saml"]["idp_entity_id"], IDP);
    assert_eq!(shown["saml"]["sso_url"], IDP_SSO);
    assert_eq!(shown["saml"]["certificates"].as_array().unwrap().len(), 1);
    assert_eq!(shown["issuer"], Value::Null);

    // The SP metadata, served per connection at its entity id.
    let metadata = stack
        .call(TestRequest::get(sp.entity_id.strip_prefix(BASE).unwrap()))
        .await;
    metadata.assert_status(200);
    assert_eq!(metadata.content_type(), "application/samlmetadata+xml");
    let text = metadata.text();
    assert!(
        text.contains(&format!(r#"entityID="{}""#, sp.entity_id)),
        "{text}"
    );
    assert!(
        text.contains(&format!(r#"Location="{}""#, sp.acs_url)),
        "{text}"
    );
    assert!(text.contains(r#"WantAssertionsSigned="true""#));

    // SP-initiated: the login URL redirects with an AuthnRequest; the IdP answers it.
    let now = OffsetDateTime::now_utc();
    let request = start_login(&stack, &sp, None).await;
    let mut assertion = Assertion::new(&idp, &sp.entity_id, &sp.acs_url, "alice@acme.example", now);
    assertion.in_response_to = Some(request.clone());
    assertion.attributes = vec![
        (
            "groups".into(),
            vec!["gatehouse-admins".into(), "staff".into()],
        ),
        ("displayName".into(), vec!["Alice Archer".into()]),
    ];
    let response = idp.signed_response(&assertion, true);
    let answer = post(&stack, &sp, &response, None).await;
    answer.assert_status(200);
    let session = answer.json();
    assert_eq!(session["scopes"], json!(["audit:read", "keys:read"]));
    let token = session["session_token"].as_str().unwrap();
    stack
        .send("GET", "/v2/api-keys", token, None)
        .await
        .assert_status(200);
    // The mapped scopes bound it: scopes:write was not given.
    stack
        .send(
            "POST",
            "/v2/scopes",
            token,
            Some(json!({"name": "x:y", "description": "no"})),
        )
        .await
        .assert_status(403);
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
    assert_eq!(principal["issuer"], IDP);
    assert_eq!(principal["subject"], "alice@acme.example");
    assert_eq!(principal["email"], "alice@acme.example");
    assert_eq!(principal["name"], "Alice Archer");

    // The same response again: its request is used up.
    refused_with(
        &post(&stack, &sp, &response, None).await,
        "request_mismatch",
        "replay",
    );
    // An IdP-initiated response, which the connection does not accept.
    let mut unsolicited =
        Assertion::new(&idp, &sp.entity_id, &sp.acs_url, "alice@acme.example", now);
    unsolicited.in_response_to = None;
    refused_with(
        &post(&stack, &sp, &idp.signed_response(&unsolicited, false), None).await,
        "unsolicited",
        "IdP-initiated",
    );

    // With a return URL: a 303 there, the session in the fragment; RelayState must
    // be one of the connection's return URLs.
    let request = start_login(
        &stack,
        &sp,
        Some("https://app.acme.example/after-login/home"),
    )
    .await;
    let mut again = Assertion::new(&idp, &sp.entity_id, &sp.acs_url, "alice@acme.example", now);
    again.in_response_to = Some(request);
    let answer = post(&stack, &sp, &idp.signed_response(&again, false), None).await;
    assert_eq!(answer.status, 303, "{}", answer.text());
    let location = answer.header("location");
    assert!(
        location.starts_with("https://app.acme.example/after-login/home#session_token="),
        "{location}"
    );
    assert!(answer.body.is_empty(), "a redirect carries no body");
    let request = start_login(&stack, &sp, None).await;
    let mut evil_relay =
        Assertion::new(&idp, &sp.entity_id, &sp.acs_url, "alice@acme.example", now);
    evil_relay.in_response_to = Some(request);
    refused_with(
        &post(
            &stack,
            &sp,
            &idp.signed_response(&evil_relay, false),
            Some("https://evil.example/steal"),
        )
        .await,
        "return_not_allowed",
        "RelayState",
    );

    // By hand, with two certificates during a rollover: the new IdP key's
    // signatures verify, and so do the old one's.
    let rolled = SamlIdp::new(IDP, IDP_SSO, 365);
    let by_hand = connect(
        &stack,
        &admin,
        &tenant,
        json!({
            "entity_id": IDP, "sso_url": IDP_SSO,
            "certificates": [idp.certificate_pem, rolled.certificate_base64()],
            "allow_idp_initiated": true,
        }),
        json!({"name": "By hand"}),
    )
    .await;
    for signer in [&idp, &rolled] {
        let assertion = Assertion::new(
            signer,
            &by_hand.entity_id,
            &by_hand.acs_url,
            "bob@acme.example",
            now,
        );
        post(
            &stack,
            &by_hand,
            &signer.signed_response(&assertion, false),
            None,
        )
        .await
        .assert_status(200);
    }

    // The login and the refusals are in the audit trail, with reasons.
    let audit = stack.audit(&admin, "action=sso.login").await;
    let details: Vec<String> = audit
        .iter()
        .map(|e| e["detail"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        details.iter().any(|d| d.contains("logged in by SAML")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|d| d.contains("unsolicited")),
        "{details:?}"
    );
}

#[tokio::test]
async fn forged_and_replayed_responses_are_refused_with_their_reason() {
    let stack = TestStack::with_params(&[("PublicBaseUrl", BASE)]).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose().to_owned();
    let tenant = acme.tenant.tenant_id.to_string();
    let idp = SamlIdp::new(IDP, IDP_SSO, 365);
    let attacker = SamlIdp::new(IDP, IDP_SSO, 365);
    // IdP-initiated logins are on, so each fixture needs no request first.
    let sp = connect(
        &stack,
        &admin,
        &tenant,
        json!({"entity_id": IDP, "sso_url": IDP_SSO,
               "certificates": [idp.certificate_pem], "allow_idp_initiated": true}),
        json!({}),
    )
    .await;
    let now = OffsetDateTime::now_utc();
    let good = || Assertion::new(&idp, &sp.entity_id, &sp.acs_url, "alice@acme.example", now);
    let evil_name = "admin@acme.example";

    // The good one logs in; the same assertion again is a replay.
    let signed = idp.signed_response(&good(), false);
    post(&stack, &sp, &signed, None).await.assert_status(200);
    refused_with(
        &post(&stack, &sp, &signed, None).await,
        "replayed",
        "replay",
    );

    let mut cases: Vec<(&str, String, &str)> = Vec::new();
    // Signature wrapping, XSW1-8 (Somorovsky et al., "On Breaking SAML"): the signed
    // original stays somewhere the signature still finds it; an evil assertion is
    // where a naive reader looks.
    let base = good();
    let signed_both = idp.signed_response(&base, true);
    let response_signature = element(&signed_both, "<ds:Signature", "</ds:Signature>").to_owned();
    let mut evil = base.clone();
    evil.name_id = evil_name.into();
    evil.id = "_evil".into();
    let evil_assertion = evil.xml(None);
    let original_unsigned_response = signed_both.replacen(&response_signature, "", 1);
    let original_body = original_unsigned_response
        .trim_start_matches(|c| c != '<')
        .trim_start_matches("<?xml version=\"1.0\"?>")
        .trim()
        .to_owned();
    let mut evil_response = base.clone();
    evil_response.response_id = "_evilresponse".into();
    let xsw1 = evil_response.response_around(&evil_assertion).replacen(
        "</saml:Issuer>",
        &format!(
            "</saml:Issuer>{}",
            response_signature.replacen(
                "</ds:Signature>",
                &format!("{original_body}</ds:Signature>"),
                1
            )
        ),
        1,
    );
    cases.push(("XSW1", xsw1, "assertion_count"));
    let xsw2 = evil_response.response_around(&evil_assertion).replacen(
        "</saml:Issuer>",
        &format!("</saml:Issuer>{original_body}{response_signature}"),
        1,
    );
    cases.push(("XSW2", xsw2, "assertion_count"));
    let signed_one = idp.signed_response(&base, false);
    let only_assertion = element(&signed_one, "<saml:Assertion", "</saml:Assertion>").to_owned();
    let xsw3 = base.response_around(&format!("{evil_assertion}{only_assertion}"));
    cases.push(("XSW3", xsw3, "assertion_count"));
    let xsw4 = base.response_around(&evil_assertion.replacen(
        "</saml:Assertion>",
        &format!("{only_assertion}</saml:Assertion>"),
        1,
    ));
    cases.push(("XSW4", xsw4, "assertion_count"));
    let copied_signature = element(&only_assertion, "<ds:Signature", "</ds:Signature>").to_owned();
    let without_signature = only_assertion.replacen(&copied_signature, "", 1);
    let evil_with_copied = evil.xml(Some(&copied_signature));
    let xsw5 = base.response_around(&format!("{evil_with_copied}{without_signature}"));
    cases.push(("XSW5", xsw5, "assertion_count"));
    let xsw6 = base.response_around(&evil.xml(Some(&copied_signature.replacen(
        "</ds:Signature>",
        &format!("{without_signature}</ds:Signature>"),
        1,
    ))));
    cases.push(("XSW6", xsw6, "assertion_count"));
    let xsw7 = base.response_around(&format!(
        "<samlp:Extensions>{only_assertion}</samlp:Extensions>{evil_assertion}"
    ));
    cases.push(("XSW7", xsw7, "assertion_count"));
    let xsw8 = base.response_around(&evil.xml(Some(&copied_signature.replacen(
        "</ds:Signature>",
        &format!("<ds:Object>{without_signature}</ds:Object></ds:Signature>"),
        1,
    ))));
    cases.push(("XSW8", xsw8, "assertion_count"));

    // Comment injection (CVE-2017-11427): a comment splits a signed NameID.
    let mut split = good();
    split.name_id = "alice@acme.example.evil.example".into();
    let commented = idp.signed_response(&split, false).replacen(
        "alice@acme.example.evil.example",
        "alice@acme.example<!---->.evil.example",
        1,
    );
    cases.push(("comment in NameID", commented, "comment_injection"));

    // Signature stripping, and a signed response around an unsigned assertion.
    let stripped = signed_one.replacen(&copied_signature, "", 1);
    cases.push(("signature stripped", stripped, "signature_missing"));
    let unsigned_inside = idp.sign_response(&base.response_xml(None), &base.response_id);
    cases.push((
        "signed response, unsigned assertion",
        unsigned_inside,
        "signature_missing",
    ));

    // Two assertions, each validly signed.
    let mut second = good();
    second.id = "_second".into();
    let second_signed = idp.signed_response(&second, false);
    let two = base.response_around(&format!(
        "{only_assertion}{}",
        element(&second_signed, "<saml:Assertion", "</saml:Assertion>")
    ));
    cases.push(("two assertions", two, "assertion_count"));

    // A key that is not pinned, its certificate in KeyInfo.
    let mut forged = good();
    forged.name_id = evil_name.into();
    cases.push((
        "unpinned KeyInfo certificate",
        attacker.signed_response(&forged, false),
        "signature_invalid",
    ));

    // Expired, not yet valid, another audience, IdP, request, Destination or
    // Recipient, and an IdP's failure: each a good assertion bent one way, signed.
    type Bend = fn(&mut Assertion, OffsetDateTime);
    let bent: [(&str, &str, Bend); 9] = [
        ("expired", "expired", |a, now| {
            a.issued = now - time::Duration::hours(1);
            a.not_before = now - time::Duration::hours(1);
            a.not_on_or_after = now - time::Duration::minutes(10);
        }),
        ("not yet valid", "not_yet_valid", |a, now| {
            a.not_before = now + time::Duration::minutes(30);
            a.not_on_or_after = now + time::Duration::minutes(40);
        }),
        ("another audience", "audience_mismatch", |a, _| {
            a.audience = "https://another-sp.example/saml".into();
        }),
        ("another issuer", "issuer_mismatch", |a, _| {
            a.issuer = "https://other-idp.example".into();
        }),
        ("wrong InResponseTo", "request_mismatch", |a, _| {
            a.in_response_to = Some("_never-asked".into());
        }),
        // Longer than any storage key may be: refused without a read.
        ("oversized InResponseTo", "request_mismatch", |a, _| {
            a.in_response_to = Some(format!("_{}", "a".repeat(4000)));
        }),
        ("another Destination", "destination_mismatch", |a, _| {
            a.destination = Some("https://evil.example/acs".into());
        }),
        ("another Recipient", "recipient_mismatch", |a, _| {
            a.recipient = "https://evil.example/acs".into();
        }),
        ("IdP failure", "status_not_success", |a, _| {
            a.status = "urn:oasis:names:tc:SAML:2.0:status:Responder".into();
        }),
    ];
    for (what, reason, bend) in bent {
        let mut assertion = good();
        bend(&mut assertion, now);
        cases.push((what, idp.signed_response(&assertion, false), reason));
    }

    // DOCTYPE: external entities (XXE) and entity expansion (billion laughs).
    let xxe = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{}",
        base.response_xml(None).replacen(evil_name, "&x;", 1)
    );
    cases.push(("XXE", xxe, "malformed_response"));
    let laughs = format!(
        "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>{}",
        signed_one
            .trim_start_matches("<?xml version=\"1.0\"?>")
            .replacen("alice@acme.example", "&c;", 1)
    );
    cases.push(("billion laughs", laughs, "malformed_response"));

    // A digest over changed content, and signatures over the wrong reference.
    let tampered = signed_one.replacen("alice@acme.example", evil_name, 1);
    cases.push((
        "content changed after signing",
        tampered,
        "signature_invalid",
    ));
    let mut ancestor = good();
    ancestor.reference = Some(format!("#{}", ancestor.response_id));
    let ancestor_signed = idp.sign(&ancestor.response_xml(Some(&ancestor.signature())));
    cases.push((
        "reference to the Response (an ancestor)",
        ancestor_signed,
        "reference_invalid",
    ));
    let mut whole = good();
    whole.reference = Some(String::new());
    let whole_signed = idp.sign(&whole.response_xml(Some(&whole.signature())));
    cases.push((
        "reference to the whole document",
        whole_signed,
        "reference_invalid",
    ));
    let mut xpointer = good();
    xpointer.reference = Some(format!("#xpointer(id('{}'))", xpointer.id));
    let xpointer_signed = idp.sign(&xpointer.response_xml(Some(&xpointer.signature())));
    cases.push(("XPointer reference", xpointer_signed, "reference_invalid"));

    // SHA-1, refused unless the connection allows it.
    let mut sha1 = good();
    sha1.signature_method = RSA_SHA1.into();
    sha1.digest_method = SHA1.into();
    let sha1_signed = idp.signed_response(&sha1, false);
    cases.push(("SHA-1", sha1_signed.clone(), "weak_algorithm"));

    // An encrypted assertion is refused with a clear reason.
    let encrypted = base.response_around(
        "<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\"/></saml:EncryptedAssertion>",
    );
    cases.push(("encrypted assertion", encrypted, "encrypted_assertion"));

    for (what, response, reason) in &cases {
        refused_with(&post(&stack, &sp, response, None).await, reason, what);
    }

    // A connection that allows SHA-1 takes the same response.
    let legacy = connect(
        &stack,
        &admin,
        &tenant,
        json!({"entity_id": IDP, "sso_url": IDP_SSO, "certificates": [idp.certificate_pem],
               "allow_idp_initiated": true, "allow_sha1": true}),
        json!({"name": "Legacy IdP"}),
    )
    .await;
    let mut sha1_here = Assertion::new(
        &idp,
        &legacy.entity_id,
        &legacy.acs_url,
        "alice@acme.example",
        now,
    );
    sha1_here.signature_method = RSA_SHA1.into();
    sha1_here.digest_method = SHA1.into();
    post(
        &stack,
        &legacy,
        &idp.signed_response(&sha1_here, false),
        None,
    )
    .await
    .assert_status(200);

    // Each refusal is in the audit trail with its reason.
    let audit = stack.audit(&admin, "action=sso.login&limit=200").await;
    let text = serde_json::to_string(&audit).unwrap();
    for (what, _, reason) in &cases {
        assert!(text.contains(reason), "{what}: {reason} not audited");
    }
}

/// `gatehouse-admin saml-check` on a saved response: the ACS's own validation,
/// offline, at the time the response was captured.
#[test]
fn saml_check_explains_a_saved_response() {
    use gatehouse_devtools::cli::Args;
    use gatehouse_devtools::saml_check::run;
    let idp = SamlIdp::new(IDP, IDP_SSO, 365);
    let other = SamlIdp::new(IDP, IDP_SSO, 365);
    let sp_entity_id = "https://gatehouse.test/v2/sso/t/c/saml/metadata";
    let acs_url = "https://gatehouse.test/v2/sso/t/c/saml/acs";
    let captured = OffsetDateTime::parse(
        "2026-11-02T10:00:00Z",
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let mut assertion = Assertion::new(&idp, sp_entity_id, acs_url, "alice@acme.example", captured);
    assertion.in_response_to = Some("_request1".into());
    assertion.attributes = vec![("groups".into(), vec!["staff".into()])];
    let dir = std::env::temp_dir().join(format!("saml-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let signed = idp.signed_response(&assertion, false);
    let response = file("response.xml", &signed);
    let posted = file(
        "response.b64",
        &base64::engine::general_purpose::STANDARD.encode(&signed),
    );
    let metadata = file("idp.xml", &idp.metadata());
    let other_cert = file("other.pem", &other.certificate_pem);
    let check = |extra: &[&str]| {
        let mut argv: Vec<String> = [
            "saml-check",
            "--sp-entity-id",
            sp_entity_id,
            "--acs-url",
            acs_url,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        argv.extend(extra.iter().map(|s| s.to_string()));
        run(&Args::parse(argv, true).unwrap())
    };
    let at = "2026-11-02T10:01:00Z";
    let (accepted, report) = check(&[
        "--response",
        &response,
        "--metadata",
        &metadata,
        "--request-id",
        "_request1",
        "--now",
        at,
    ])
    .unwrap();
    assert!(accepted, "{report}");
    assert!(report.contains("name_id: alice@acme.example"), "{report}");
    assert!(report.contains("attribute groups: staff"), "{report}");
    // The form value as captured from the browser (base64) reads the same.
    let (accepted, _) = check(&[
        "--response",
        &posted,
        "--metadata",
        &metadata,
        "--request-id",
        "_request1",
        "--now",
        at,
    ])
    .unwrap();
    assert!(accepted);
    // Each refusal says precisely why.
    let refused = |extra: &[&str], reason: &str| {
        let (accepted, report) = check(extra).unwrap();
        assert!(!accepted, "{report}");
        assert!(
            report.starts_with(&format!("refused: {reason}\n")),
            "{reason}: {report}"
        );
    };
    refused(
        &[
            "--response",
            &response,
            "--metadata",
            &metadata,
            "--request-id",
            "_request1",
            "--now",
            "2026-11-02T11:00:00Z",
        ],
        "expired",
    );
    refused(
        &[
            "--response",
            &response,
            "--metadata",
            &metadata,
            "--request-id",
            "_request2",
            "--now",
            at,
        ],
        "request_mismatch",
    );
    refused(
        &[
            "--response",
            &response,
            "--certificate",
            &other_cert,
            "--idp-entity-id",
            IDP,
            "--request-id",
            "_request1",
            "--now",
            at,
        ],
        "signature_invalid",
    );
    assert!(
        check(&["--response", &response]).is_err(),
        "the IdP is required"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A connection that follows its IdP's metadata URL: pinned from it at creation,
/// re-pinned by the scheduled upkeep when the IdP rolls its key over
/// (`sso.certificates_changed`), and a certificate near its end announced once
/// (`sso.certificate_expiring`).
#[tokio::test]
async fn metadata_urls_are_followed_and_expiring_certificates_announced() {
    use gatehouse_integration_tests::saml_idp::MetadataServer;
    let idp = SamlIdp::new(IDP, IDP_SSO, 365);
    let server = MetadataServer::start(idp.metadata()).await;
    let allow = format!("127.0.0.1:{}", server.port);
    let stack = TestStack::with_params(&[
        ("PublicBaseUrl", BASE),
        ("IntegrationAllowHosts", allow.as_str()),
    ])
    .await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose().to_owned();
    let tenant = acme.tenant.tenant_id.to_string();
    let sp = connect(
        &stack,
        &admin,
        &tenant,
        json!({"metadata_url": server.url(), "allow_idp_initiated": true}),
        json!({}),
    )
    .await;
    let now = OffsetDateTime::now_utc();
    let login = |signer: &SamlIdp| {
        let assertion = Assertion::new(
            signer,
            &sp.entity_id,
            &sp.acs_url,
            "alice@acme.example",
            now,
        );
        signer.signed_response(&assertion, false)
    };
    post(&stack, &sp, &login(&idp), None)
        .await
        .assert_status(200);

    // The IdP rolls over to a key whose certificate ends in ten days.
    let rolled = SamlIdp::new(IDP, IDP_SSO, 10);
    server.set(rolled.metadata());
    refused_with(
        &post(&stack, &sp, &login(&rolled), None).await,
        "signature_invalid",
        "not pinned yet",
    );
    let prober = stack.function_app("IntegrationProberFunction");
    stack.events().await; // drain what came before
    // Not due yet: the metadata was fetched at creation.
    let early = gatehouse::integrations_probe::probe_all(&prober, now)
        .await
        .unwrap();
    assert_eq!((early.saml.connections, early.saml.refreshed), (1, 0));
    let later = now + time::Duration::hours(7);
    let due = gatehouse::integrations_probe::probe_all(&prober, later)
        .await
        .unwrap();
    assert_eq!((due.saml.refreshed, due.saml.expiring), (1, 1), "{due:?}");
    post(&stack, &sp, &login(&rolled), None)
        .await
        .assert_status(200);
    refused_with(
        &post(&stack, &sp, &login(&idp), None).await,
        "signature_invalid",
        "the old key is no longer pinned",
    );
    let events = stack.events().await;
    let of = |kind: &str| {
        events
            .iter()
            .filter(|e| e["type"] == kind)
            .cloned()
            .collect::<Vec<Value>>()
    };
    let changed = of("sso.certificates_changed");
    assert_eq!(changed.len(), 1, "{events:?}");
    assert_eq!(changed[0]["data"]["connection_id"], sp.id.as_str());
    let expiring = of("sso.certificate_expiring");
    assert_eq!(expiring.len(), 1, "{events:?}");
    let days_left = expiring[0]["data"]["days_left"].as_i64().unwrap();
    assert!((8..=10).contains(&days_left), "{}", expiring[0]);
    // Announced once per certificate.
    let again = gatehouse::integrations_probe::probe_all(&prober, later)
        .await
        .unwrap();
    assert_eq!(again.saml.expiring, 0);
    // What the API shows: the new pin and when the metadata was read.
    let shown = stack
        .send(
            "GET",
            &format!("/v2/integrations/sso/{}", sp.id),
            &admin,
            None,
        )
        .await
        .json();
    assert_eq!(shown["saml"]["metadata_url"], server.url());
    assert_eq!(shown["saml"]["certificates"].as_array().unwrap().len(), 1);
    // The test route: the pin and how long it lasts, the metadata URL answering, and
    // what sample attributes would get.
    let tested = stack
        .send(
            "POST",
            "/v2/integrations/sso/test",
            &admin,
            Some(json!({"connection_id": sp.id,
                        "claims": {"email": "bob@acme.example", "groups": ["gatehouse-admins"]}})),
        )
        .await
        .json();
    assert_eq!(tested["healthy"], true, "{tested}");
    assert_eq!(tested["checks"][0]["check"], "certificates");
    assert!(
        tested["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("ends in"),
        "{tested}"
    );
    assert_eq!(tested["checks"][1]["check"], "metadata");
    assert_eq!(
        tested["mapping"]["scopes"],
        json!(["audit:read", "keys:read"])
    );
}

/// A connection that signs its AuthnRequests: its own key and certificate (in its SP
/// metadata), an HTTP-Redirect signature that `openssl` verifies with that
/// certificate, the same key kept across an update, and none once turned off.
#[tokio::test]
async fn signed_authn_requests_verify_with_the_sp_certificate() {
    let stack = TestStack::with_params(&[("PublicBaseUrl", BASE)]).await;
    let acme = stack.tenant("Acme").await;
    let admin = acme.admin_key.expose().to_owned();
    let tenant = acme.tenant.tenant_id.to_string();
    let idp = SamlIdp::new(IDP, IDP_SSO, 365);
    let saml = json!({"metadata_xml": idp.metadata(), "sign_requests": true});
    let sp = connect(&stack, &admin, &tenant, saml.clone(), json!({})).await;
    let view = stack
        .send(
            "GET",
            &format!("/v2/integrations/sso/{}", sp.id),
            &admin,
            None,
        )
        .await
        .json();
    assert_eq!(view["saml"]["sign_requests"], true);
    let certificate = view["saml"]["request_signing_certificate"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!view.to_string().contains("PRIVATE KEY"));
    let metadata = stack
        .call(TestRequest::get(sp.entity_id.strip_prefix(BASE).unwrap()))
        .await
        .text();
    assert!(
        metadata.contains(r#"AuthnRequestsSigned="true""#),
        "{metadata}"
    );
    let body: String = certificate
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(
        metadata.contains(&body),
        "the certificate is in the SP metadata"
    );

    let started = stack
        .call(TestRequest::get(&format!(
            "/v2/sso/{}/{}/login",
            sp.tenant, sp.id
        )))
        .await;
    assert_eq!(started.status, 302, "{}", started.text());
    let location = started.header("location");
    request_id(&location);
    let query = location.split_once('?').unwrap().1;
    let (signed, signature) = query.split_once("&Signature=").unwrap();
    assert!(
        signed.ends_with("&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256"),
        "{signed}"
    );
    let signature: String = url::form_urlencoded::parse(format!("s={signature}").as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned();
    let signature = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("saml-redirect-{}", sp.id));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cert.pem"), &certificate).unwrap();
    std::fs::write(dir.join("signature.bin"), &signature).unwrap();
    std::fs::write(dir.join("signed.txt"), signed).unwrap();
    std::fs::write(
        dir.join("tampered.txt"),
        signed.replacen("SAMLRequest=", "SAMLRequest=x", 1),
    )
    .unwrap();
    let openssl = |args: &[&str]| {
        std::process::Command::new("openssl")
            .current_dir(&dir)
            .args(args)
            .output()
            .unwrap()
    };
    let public = openssl(&["x509", "-in", "cert.pem", "-pubkey", "-noout"]);
    std::fs::write(dir.join("public.pem"), &public.stdout).unwrap();
    let verify = |file: &str| {
        openssl(&[
            "dgst",
            "-sha256",
            "-verify",
            "public.pem",
            "-signature",
            "signature.bin",
            file,
        ])
        .status
        .success()
    };
    assert!(
        verify("signed.txt"),
        "openssl verifies the redirect signature"
    );
    assert!(!verify("tampered.txt"), "and refuses it over other octets");
    let _ = std::fs::remove_dir_all(&dir);

    // An update that keeps signing keeps the key; one that turns it off drops it.
    let connection_path = format!("/v2/integrations/sso/{}", sp.id);
    let update = |saml: Value| {
        stack.send(
            "PUT",
            &connection_path,
            &admin,
            Some(json!({"name": "Acme SAML", "preset": "saml", "saml": saml,
                        "default_scopes": ["scopes:read"]})),
        )
    };
    let kept = update(saml).await;
    kept.assert_status(200);
    assert_eq!(
        kept.json()["saml"]["request_signing_certificate"],
        certificate.as_str()
    );
    let off = update(json!({"metadata_xml": idp.metadata()})).await;
    off.assert_status(200);
    assert_eq!(
        off.json()["saml"]["request_signing_certificate"],
        Value::Null
    );
    let unsigned = stack
        .call(TestRequest::get(&format!(
            "/v2/sso/{}/{}/login",
            sp.tenant, sp.id
        )))
        .await
        .header("location");
    assert!(!unsigned.contains("Signature="), "{unsigned}");
}
