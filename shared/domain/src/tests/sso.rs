use super::*;
use crate::integrations::Credential;
use serde_json::json;

fn connection(preset: Preset) -> SsoConnection {
    SsoConnection {
        tenant_id: TenantId::parse("T000000001").unwrap(),
        connection_id: IntegrationId::parse("C000000001").unwrap(),
        name: "Acme".into(),
        protocol: Protocol::Oidc(OidcConfig {
            preset,
            issuer: "https://idp.example/".into(),
            client_id: "gh".into(),
            client_secret: Credential::Reference {
                secret_ref: crate::integrations::SecretRef {
                    path: crate::secrets::SecretPath::parse("sso/acme").unwrap(),
                    key: "client_secret".into(),
                    version: None,
                },
            },
            scopes: vec!["email".into(), "profile".into()],
            groups_claim: "groups".into(),
            hosted_domain: None,
            entra_tenant_id: None,
        }),
        domains: vec!["acme.example".into()],
        rules: Vec::new(),
        default_scopes: vec!["keys:read".into()],
        return_urls: vec!["https://app.acme.example/sso/".into()],
        session_hours: 8,
        domain_token: String::new(),
        verified_domains: Vec::new(),
        enabled: true,
        created_at: OffsetDateTime::UNIX_EPOCH,
        created_by: "user:admin".into(),
        updated_at: None,
        version: 1,
    }
}

fn claims(value: serde_json::Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

#[test]
fn identity_is_issuer_and_subject_and_the_domain_is_enforced() {
    let c = connection(Preset::Custom);
    let id = Identity::from_claims(
        &c,
        claims(
            json!({"iss": "https://idp.example/", "sub": "u1", "email": "Alice@Acme.Example",
                      "email_verified": true, "groups": ["admins"]}),
        ),
    )
    .unwrap();
    assert_eq!(
        (id.issuer.as_str(), id.subject.as_str()),
        ("https://idp.example/", "u1")
    );
    assert_eq!(id.email.as_deref(), Some("alice@acme.example"));
    assert_eq!(id.groups, vec!["admins"]);
    for (bad, why) in [
        (
            json!({"iss": "i", "sub": "u", "email": "eve@evil.example"}),
            LoginRefusal::DomainNotAllowed,
        ),
        (
            json!({"iss": "i", "sub": "u", "email": "eve@sub.acme.example"}),
            LoginRefusal::DomainNotAllowed,
        ),
        (
            json!({"iss": "i", "sub": "u"}),
            LoginRefusal::DomainNotAllowed,
        ),
        (
            json!({"iss": "i", "sub": "u", "email": "a@acme.example", "email_verified": false}),
            LoginRefusal::EmailUnverified,
        ),
        (
            json!({"iss": "i", "email": "a@acme.example"}),
            LoginRefusal::TokenInvalid,
        ),
    ] {
        assert_eq!(
            Identity::from_claims(&c, claims(bad.clone())),
            Err(why),
            "{bad}"
        );
    }
}

#[test]
fn entra_identities_are_directory_and_object_and_google_needs_its_hd_claim() {
    let mut entra = connection(Preset::AzureAd);
    if let Protocol::Oidc(oidc) = &mut entra.protocol {
        oidc.entra_tenant_id = Some("tid-1".into());
    }
    let ok = claims(
        json!({"iss": "x", "sub": "pairwise", "tid": "tid-1", "oid": "obj-1", "email": "a@acme.example"}),
    );
    let id = Identity::from_claims(&entra, ok).unwrap();
    assert_eq!(
        (id.issuer.as_str(), id.subject.as_str()),
        ("entra:tid-1", "obj-1")
    );
    let other = claims(
        json!({"iss": "x", "sub": "s", "tid": "tid-2", "oid": "o", "email": "a@acme.example"}),
    );
    assert_eq!(
        Identity::from_claims(&entra, other),
        Err(LoginRefusal::DirectoryMismatch)
    );

    let mut google = connection(Preset::Google);
    if let Protocol::Oidc(oidc) = &mut google.protocol {
        oidc.hosted_domain = Some("acme.example".into());
    }
    let without = claims(json!({"iss": "x", "sub": "s", "email": "a@acme.example"}));
    assert_eq!(
        Identity::from_claims(&google, without),
        Err(LoginRefusal::HostedDomainMismatch)
    );
    let with =
        claims(json!({"iss": "x", "sub": "s", "email": "a@acme.example", "hd": "acme.example"}));
    assert!(Identity::from_claims(&google, with).is_ok());
}

#[test]
fn rules_apply_in_order_until_a_stop_and_the_default_is_for_no_match() {
    let rule = |claim: &str, value: &str, scopes: &[&str], stop: bool| MappingRule {
        claim: claim.into(),
        value: value.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        stop,
    };
    let rules = vec![
        rule("groups", "admins", &["keys:write", "keys:read"], true),
        rule("groups", "devs", &["keys:read"], false),
        rule("department", "billing", &["usage:read"], false),
    ];
    let default = vec!["scopes:read".to_owned()];
    let c = claims(json!({"department": "billing"}));
    let scopes = |groups: &[&str]| {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        mapped_scopes(&rules, &default, "groups", &c, &groups)
    };
    assert_eq!(
        scopes(&["admins", "devs"]),
        vec!["keys:read", "keys:write"],
        "admins stops"
    );
    assert_eq!(scopes(&["devs"]), vec!["keys:read", "usage:read"]);
    let none = mapped_scopes(&rules, &default, "groups", &Map::new(), &[]);
    assert_eq!(none, vec!["scopes:read"]);
}

#[test]
fn issuers_and_domains_are_checked() {
    assert!(check_issuer(Preset::Auth0, "https://acme.eu.auth0.com/").is_ok());
    for multi in ["common", "organizations", "{tenantid}"] {
        let issuer = format!("https://login.microsoftonline.com/{multi}/v2.0");
        assert!(check_issuer(Preset::AzureAd, &issuer).is_err(), "{issuer}");
    }
    assert!(
        check_issuer(
            Preset::AzureAd,
            "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
        )
        .is_ok()
    );
    assert!(check_issuer(Preset::Custom, "ftp://idp.example").is_err());
    assert!(check_issuer(Preset::Custom, "https://idp.example/?x=1").is_err());
    assert_eq!(
        check_domain(" Acme.Example ").as_deref(),
        Ok("acme.example")
    );
    for bad in ["localhost", "-a.example", "a..example", "a b.example"] {
        assert!(check_domain(bad).is_err(), "{bad}");
    }
}

#[test]
fn only_listed_return_urls_are_followed() {
    let allowed = vec!["https://app.acme.example/sso/".to_owned()];
    assert!(return_allowed(
        &allowed,
        "https://app.acme.example/sso/done?x=1"
    ));
    for bad in [
        "https://app.acme.example/other",
        "https://evil.example/sso/",
        "http://app.acme.example/sso/",
        "https://app.acme.example.evil.example/sso/",
        "https://app.acme.example/sso/#frag",
        "javascript:alert(1)",
    ] {
        assert!(!return_allowed(&allowed, bad), "{bad}");
    }
}
