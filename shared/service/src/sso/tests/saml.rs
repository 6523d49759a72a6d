//! The SAML pieces that need no signature: parsing, shape checks that come before
//! the signature, metadata, the AuthnRequest, identities. Signed responses and the
//! attacks on them are in tests/tests/sso_saml.rs (signed by xmlsec1).

use super::metadata::{parse_idp_metadata, sp_metadata};
use super::request::{authn_request, redirect_url};
use super::verify::{AcsPolicy, decode_post, verify_response};
use super::xml;
use super::*;
use gatehouse_domain::sso::LoginRefusal;
use std::io::Read;

const SAMLP: &str = r#"xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol""#;
const SAML: &str = r#"xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion""#;

fn reason(response: &str) -> LoginRefusal {
    let pins = vec!["a pin is present (it is loaded only to verify)".to_owned()];
    let policy = AcsPolicy {
        idp_entity_id: "https://idp.example",
        certificates: &pins,
        sp_entity_id: "https://sp.example",
        acs_url: "https://sp.example/acs",
        request_id: None,
        allow_unsolicited: true,
        allow_sha1: false,
        now: OffsetDateTime::now_utc(),
    };
    verify_response(response, &policy).unwrap_err().reason
}

fn response(body: &str) -> String {
    format!(
        r#"<samlp:Response {SAMLP} {SAML} ID="_r"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>{body}</samlp:Response>"#
    )
}

const ASSERTION: &str =
    r#"<saml:Assertion ID="_a"><saml:Issuer>https://idp.example</saml:Issuer></saml:Assertion>"#;

#[test]
fn what_is_refused_before_any_signature_is_looked_at() {
    let pins: Vec<String> = Vec::new();
    let policy = AcsPolicy {
        idp_entity_id: "i",
        certificates: &pins,
        sp_entity_id: "s",
        acs_url: "a",
        request_id: None,
        allow_unsolicited: false,
        allow_sha1: false,
        now: OffsetDateTime::now_utc(),
    };
    assert_eq!(
        verify_response(&response(ASSERTION), &policy)
            .unwrap_err()
            .reason,
        LoginRefusal::NoPinnedCertificate
    );
    assert_eq!(reason("<a/>"), LoginRefusal::MalformedResponse);
    assert_eq!(reason("not xml"), LoginRefusal::MalformedResponse);
    assert_eq!(
        reason(&format!(
            "<!DOCTYPE r [<!ENTITY x \"y\">]>{}",
            response(ASSERTION)
        )),
        LoginRefusal::MalformedResponse
    );
    let failed = response(ASSERTION).replace("status:Success", "status:Requester");
    assert_eq!(reason(&failed), LoginRefusal::StatusNotSuccess);
    assert_eq!(reason(&response("")), LoginRefusal::AssertionCount);
    assert_eq!(
        reason(&response(&format!("{ASSERTION}{ASSERTION}"))),
        LoginRefusal::AssertionCount
    );
    // Hidden under another namespace, it still counts.
    let hidden = format!(r#"<x:Assertion xmlns:x="urn:other"/>{ASSERTION}"#);
    assert_eq!(reason(&response(&hidden)), LoginRefusal::AssertionCount);
    assert_eq!(
        reason(&response("<saml:EncryptedAssertion/>")),
        LoginRefusal::EncryptedAssertion
    );
    assert_eq!(reason(&response(ASSERTION)), LoginRefusal::SignatureMissing);
    // A signature somewhere SAML puts none.
    let misplaced = format!(
        r#"<samlp:Extensions><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></samlp:Extensions>{ASSERTION}"#
    );
    assert_eq!(
        reason(&response(&misplaced)),
        LoginRefusal::ReferenceInvalid
    );
}

#[test]
fn a_post_must_be_base64_of_utf8() {
    assert_eq!(
        decode_post("%%%").unwrap_err().reason,
        LoginRefusal::MalformedResponse
    );
    assert_eq!(
        decode_post("/w==").unwrap_err().reason,
        LoginRefusal::MalformedResponse
    );
    assert_eq!(decode_post("PGEv\nPg==").unwrap(), "<a/>");
}

#[test]
fn text_with_a_comment_is_refused_not_read_around() {
    let doc = xml::parse("<n>alice@acme.example<!---->.evil.example</n>").unwrap();
    let root = doc.document_element().unwrap();
    assert_eq!(xml::text(&doc, root), Err(xml::TextError::Comment));
    let doc = xml::parse("<n> bob@acme.example </n>").unwrap();
    let root = doc.document_element().unwrap();
    assert_eq!(xml::text(&doc, root).unwrap(), "bob@acme.example");
}

#[test]
fn a_prefixed_attribute_is_not_read_for_saml_s_own() {
    let doc = xml::parse(r#"<r xmlns:x="urn:x" x:ID="evil" ID="good"/>"#).unwrap();
    let root = doc.document_element().unwrap();
    assert_eq!(xml::attr(&doc, root, "ID"), Some("good"));
    let doc = xml::parse(r#"<r xmlns:x="urn:x" x:ID="evil"/>"#).unwrap();
    let root = doc.document_element().unwrap();
    assert_eq!(xml::attr(&doc, root, "ID"), None);
}

const CERT: &str = "MIIBszCCAVmgAwIBAgIUJ2Gd2cfR0k1Vq2yJx8lbx4d4mS4wCgYIKoZIzj0EAwIwLzEtMCsGA1UEAwwkR2F0ZWhvdXNlIHVuaXQgdGVzdCBJZFAgY2VydGlmaWNhdGUwHhcNMjYxMjA3MDMwMDAwWhcNMzYxMjA0MDMwMDAwWjAvMS0wKwYDVQQDDCRHYXRlaG91c2UgdW5pdCB0ZXN0IElkUCBjZXJ0aWZpY2F0ZTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABGJv";

fn metadata(descriptors: &str, sso: &str) -> String {
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{descriptors}{sso}</md:IDPSSODescriptor></md:EntityDescriptor>"#
    )
}

fn key(usage: &str) -> String {
    format!(
        r#"<md:KeyDescriptor{usage}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{CERT}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#
    )
}

const REDIRECT: &str = r#"<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>"#;
const POST: &str = r#"<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example/post"/>"#;

#[test]
fn idp_metadata_gives_the_entity_the_redirect_endpoint_and_signing_keys() {
    let idp = parse_idp_metadata(&metadata(
        &key(r#" use="signing""#),
        &format!("{POST}{REDIRECT}"),
    ))
    .unwrap();
    assert_eq!(idp.entity_id, "https://idp.example");
    assert_eq!(idp.sso_url, "https://idp.example/sso");
    assert_eq!(idp.certificates.len(), 1);
    assert!(idp.certificates[0].starts_with("-----BEGIN CERTIFICATE-----\n"));
    // A key without `use` signs too; an encryption key does not.
    assert!(parse_idp_metadata(&metadata(&key(""), REDIRECT)).is_ok());
    let encryption_only = parse_idp_metadata(&metadata(&key(r#" use="encryption""#), REDIRECT));
    assert!(
        encryption_only
            .unwrap_err()
            .contains("no signing certificate")
    );
    let post_only = parse_idp_metadata(&metadata(&key(""), POST));
    assert!(post_only.unwrap_err().contains("HTTP-Redirect"));
    // In an EntitiesDescriptor, exactly one entity.
    let one = format!(
        r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">{}</md:EntitiesDescriptor>"#,
        metadata(&key(""), REDIRECT).replacen(
            r#" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata""#,
            "",
            1
        )
    );
    assert!(parse_idp_metadata(&one).is_ok(), "{one}");
    assert!(parse_idp_metadata("<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\"><md:SPSSODescriptor/></md:EntityDescriptor>").is_err());
}

#[test]
fn sp_metadata_names_the_acs_and_wants_signed_assertions() {
    let xml = sp_metadata(
        "https://api.example/v2/sso/t/c/saml/metadata",
        "https://api.example/v2/sso/t/c/saml/acs?a=1&b=2",
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        None,
    );
    assert!(xml.contains(r#"AuthnRequestsSigned="false""#));
    assert!(xml.contains(r#"entityID="https://api.example/v2/sso/t/c/saml/metadata""#));
    assert!(xml.contains("acs?a=1&amp;b=2"));
    assert!(xml.contains(r#"WantAssertionsSigned="true""#));
    assert_eq!(xml.matches("nameid-format:persistent").count(), 1);
    assert!(xml::parse(&xml).is_ok());
}

#[test]
fn the_authn_request_travels_deflated_in_the_redirect() {
    let request = authn_request(
        "_abc",
        OffsetDateTime::UNIX_EPOCH,
        "https://idp.example/sso?tenant=1",
        "https://sp.example",
        "https://sp.example/acs",
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    );
    let url = url::Url::parse(
        &redirect_url(
            "https://idp.example/sso?tenant=1",
            &request,
            Some("r"),
            None,
        )
        .unwrap(),
    )
    .unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    assert_eq!(pairs[0], ("tenant".into(), "1".into()));
    assert_eq!(pairs[2], ("RelayState".into(), "r".into()));
    use base64::Engine;
    let deflated = base64::engine::general_purpose::STANDARD
        .decode(&pairs[1].1)
        .unwrap();
    let mut xml_text = String::new();
    flate2::read::DeflateDecoder::new(&deflated[..])
        .read_to_string(&mut xml_text)
        .unwrap();
    assert_eq!(xml_text, request);
    assert!(xml_text.contains(r#"ID="_abc""#));
    assert!(xml_text.contains(r#"IssueInstant="1970-01-01T00:00:00Z""#));
    assert!(xml_text.contains(r#"Destination="https://idp.example/sso?tenant=1""#));
    assert!(xml::parse(&xml_text).is_ok());
    let id = super::request::new_request_id().unwrap();
    assert!(super::request::is_request_id(&id), "{id}");
    assert!(!super::request::is_request_id("_abc"));
    assert!(!super::request::is_request_id(&format!(
        "_{}",
        "a".repeat(5000)
    )));
}

#[test]
fn the_identity_is_the_issuer_and_name_id_and_the_email_is_held_to_the_domains() {
    use gatehouse_domain::saml::SamlConfig;
    use gatehouse_domain::sso::{Protocol, SsoConnection};
    let saml = SamlConfig {
        idp_entity_id: "https://idp.example".into(),
        sso_url: "https://idp.example/sso".into(),
        certificates: vec![],
        metadata_url: None,
        metadata_fetched_at: None,
        name_id_format: "persistent".into(),
        email_attribute: None,
        name_attribute: None,
        groups_attribute: "memberOf".into(),
        allow_sha1: false,
        allow_idp_initiated: false,
        request_signing: None,
    };
    let connection = SsoConnection {
        tenant_id: TenantId::parse("a1B2c3D4e5").unwrap(),
        connection_id: IntegrationId::parse("f6G7h8I9j0").unwrap(),
        name: "t".into(),
        protocol: Protocol::Saml(saml.clone()),
        domains: vec!["acme.example".into()],
        rules: vec![],
        default_scopes: vec![],
        return_urls: vec![],
        session_hours: 8,
        domain_token: String::new(),
        verified_domains: vec![],
        enabled: true,
        created_at: OffsetDateTime::UNIX_EPOCH,
        created_by: "t".into(),
        updated_at: None,
        version: 1,
    };
    let mut assertion = verify::VerifiedAssertion {
        assertion_id: "_a".into(),
        issuer: "https://idp.example".into(),
        name_id: "00u1abcd".into(),
        name_id_format: Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent".into()),
        session_index: None,
        in_response_to: None,
        attributes: [
            (
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress".to_owned(),
                vec!["Alice@Acme.example".to_owned()],
            ),
            (
                "memberOf".to_owned(),
                vec!["admins".to_owned(), "staff".to_owned()],
            ),
        ]
        .into(),
        valid_until: OffsetDateTime::UNIX_EPOCH,
    };
    let identity = identity_of(&connection, &saml, &assertion).unwrap();
    assert_eq!(identity.issuer, "https://idp.example");
    assert_eq!(identity.subject, "00u1abcd");
    assert_eq!(identity.email.as_deref(), Some("alice@acme.example"));
    assert_eq!(identity.groups, vec!["admins", "staff"]);
    assert_eq!(identity.claims["name_id"], "00u1abcd");
    // Another domain is refused; with no email attribute, an email NameID is used.
    assertion.attributes.clear();
    assertion.name_id = "mallory@evil.example".into();
    assert_eq!(
        identity_of(&connection, &saml, &assertion).unwrap_err(),
        LoginRefusal::DomainNotAllowed
    );
    assertion.name_id = "bob@acme.example".into();
    let bob = identity_of(&connection, &saml, &assertion).unwrap();
    assert_eq!(bob.email.as_deref(), Some("bob@acme.example"));
    assert!(bob.groups.is_empty());
}
