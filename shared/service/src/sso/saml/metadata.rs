//! SAML metadata: reading an IdP's (entity id, HTTP-Redirect SSO URL, signing
//! certificates) and writing this SP's for one connection. An IdP's metadata is not
//! signature-checked: it comes from the tenant's admin (uploaded, or fetched over TLS
//! from the URL they gave), and what it yields is pinned and shown back to them.

use super::xml::{self, DSIG, MD};
use base64::Engine;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uppsala::{Document, NodeId};

pub const HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
pub const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
/// The largest metadata document read (Entra's and Okta's are a few KB; aggregates
/// of many entities are not accepted).
pub const MAX_METADATA_BYTES: usize = 512 * 1024;
/// The most signing certificates a connection pins at once.
pub const MAX_CERTIFICATES: usize = 5;

/// What an IdP's metadata says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpMetadata {
    pub entity_id: String,
    /// Where AuthnRequests go (HTTP-Redirect binding).
    pub sso_url: String,
    /// Signing certificates, PEM.
    pub certificates: Vec<String>,
}

/// A pinned certificate as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// SHA-256 of the DER, hex with colons (as IdP consoles show it).
    pub sha256_fingerprint: String,
    pub subject: String,
    pub not_after: OffsetDateTime,
}

/// Reads an IdP's metadata: one EntityDescriptor with an IDPSSODescriptor.
pub fn parse_idp_metadata(text: &str) -> Result<IdpMetadata, String> {
    if text.len() > MAX_METADATA_BYTES {
        return Err(format!("the metadata is over {MAX_METADATA_BYTES} bytes"));
    }
    let doc = xml::parse(text).map_err(|e| format!("the metadata: {e}"))?;
    let root = doc.document_element().ok_or("the metadata is empty")?;
    let entity = if xml::is(&doc, root, MD, "EntityDescriptor") {
        root
    } else if xml::is(&doc, root, MD, "EntitiesDescriptor") {
        xml::only_child(&doc, root, MD, "EntityDescriptor")
            .ok_or("the metadata describes several entities: give the IdP's own")?
    } else {
        return Err("the metadata is not an md:EntityDescriptor".into());
    };
    let entity_id = xml::attr(&doc, entity, "entityID")
        .filter(|e| !e.is_empty())
        .ok_or("the EntityDescriptor has no entityID")?
        .to_owned();
    let idp = xml::only_child(&doc, entity, MD, "IDPSSODescriptor")
        .ok_or("the metadata has no IDPSSODescriptor (is it an SP's?)")?;
    let sso_url = xml::children(&doc, idp, MD, "SingleSignOnService")
        .into_iter()
        .find(|&s| xml::attr(&doc, s, "Binding") == Some(HTTP_REDIRECT))
        .and_then(|s| xml::attr(&doc, s, "Location"))
        .ok_or("the IdP offers no HTTP-Redirect SingleSignOnService")?
        .to_owned();
    let mut certificates = Vec::new();
    for descriptor in xml::children(&doc, idp, MD, "KeyDescriptor") {
        if xml::attr(&doc, descriptor, "use").is_some_and(|u| u != "signing") {
            continue;
        }
        for der in certificates_in(&doc, descriptor)? {
            let pem = pem_of(&der);
            if !certificates.contains(&pem) {
                certificates.push(pem);
            }
        }
    }
    if certificates.is_empty() {
        return Err("the metadata has no signing certificate".into());
    }
    Ok(IdpMetadata {
        entity_id,
        sso_url,
        certificates,
    })
}

fn certificates_in(doc: &Document<'_>, descriptor: NodeId) -> Result<Vec<Vec<u8>>, String> {
    let mut found = Vec::new();
    let Some(key_info) = xml::only_child(doc, descriptor, DSIG, "KeyInfo") else {
        return Ok(found);
    };
    for data in xml::children(doc, key_info, DSIG, "X509Data") {
        for cert in xml::children(doc, data, DSIG, "X509Certificate") {
            let b64: String = xml::text(doc, cert)
                .map_err(|_| "an X509Certificate is not text")?
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            let der = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| format!("an X509Certificate is not base64: {e}"))?;
            found.push(der);
        }
    }
    Ok(found)
}

/// PEM text of a DER certificate.
pub fn pem_of(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// The DER inside one PEM certificate (or a bare base64 body, as IdP consoles often
/// give it).
pub fn der_of(pem: &str) -> Result<Vec<u8>, String> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if pem.matches("-----BEGIN").count() > 1 {
        return Err("give one certificate per entry".into());
    }
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| format!("the certificate is not PEM or base64: {e}"))
}

/// A certificate to pin: parsed, with a key the verifier can use; its PEM and what
/// the API shows of it.
pub fn check_certificate(text: &str) -> Result<(String, CertificateInfo), String> {
    let der = der_of(text)?;
    let pem = pem_of(&der);
    bergshamra::keys::loader::load_x509_cert_pem(pem.as_bytes())
        .map_err(|e| format!("the certificate's key cannot verify signatures: {e}"))?;
    let info = certificate_info(&der)?;
    Ok((pem, info))
}

pub fn certificate_info(der: &[u8]) -> Result<CertificateInfo, String> {
    use x509_cert::der::Decode;
    let cert = x509_cert::Certificate::from_der(der)
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let validity = &cert.tbs_certificate.validity;
    let not_after =
        OffsetDateTime::from_unix_timestamp(validity.not_after.to_unix_duration().as_secs() as i64)
            .map_err(|e| format!("the certificate's notAfter: {e}"))?;
    let digest = Sha256::digest(der);
    Ok(CertificateInfo {
        sha256_fingerprint: digest
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":"),
        subject: cert.tbs_certificate.subject.to_string(),
        not_after,
    })
}

/// This SP's metadata for one connection: its entity id, its ACS (HTTP-POST), the
/// NameID formats it takes, that it wants assertions signed, and, when it signs its
/// AuthnRequests, the certificate (PEM) they verify with.
pub fn sp_metadata(
    sp_entity_id: &str,
    acs_url: &str,
    name_id_format: &str,
    request_certificate: Option<&str>,
) -> String {
    let formats = [
        name_id_format,
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    ];
    let mut listed: Vec<&str> = Vec::new();
    for f in formats {
        if !listed.contains(&f) {
            listed.push(f);
        }
    }
    let name_ids: String = listed
        .iter()
        .map(|f| format!("<md:NameIDFormat>{}</md:NameIDFormat>", xml::escape(f)))
        .collect();
    let key = request_certificate
        .and_then(|pem| der_of(pem).ok())
        .map(|der| {
            format!(
                concat!(
                    r#"<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="{dsig}"><ds:X509Data>"#,
                    "<ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
                ),
                dsig = DSIG,
                cert = base64::engine::general_purpose::STANDARD.encode(der),
            )
        });
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<md:EntityDescriptor xmlns:md="{md}" entityID="{entity}">"#,
            r#"<md:SPSSODescriptor AuthnRequestsSigned="{signed}" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">"#,
            "{key}{name_ids}",
            r#"<md:AssertionConsumerService Binding="{post}" Location="{acs}" index="0" isDefault="true"/>"#,
            "</md:SPSSODescriptor></md:EntityDescriptor>"
        ),
        md = MD,
        entity = xml::escape(sp_entity_id),
        signed = key.is_some(),
        key = key.unwrap_or_default(),
        name_ids = name_ids,
        post = HTTP_POST,
        acs = xml::escape(acs_url),
    )
}
