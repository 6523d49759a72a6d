//! The SP-initiated login's AuthnRequest, sent by the HTTP-Redirect binding
//! (SAML Bindings 3.4.4): raw DEFLATE, base64, URL-encoded as `SAMLRequest`. A
//! connection with `sign_requests` signs it as that binding says (3.4.4.1): RSA-SHA256
//! over the exact `SAMLRequest=...&RelayState=...&SigAlg=...` octets, with a key of its
//! own whose certificate is in its SP metadata. Signed or not, the response's
//! InResponseTo is what ties a login to its request.

use super::xml::{self, SAML, SAMLP};
use base64::Engine;
use std::io::Write;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A new request id: an NCName (`_` and 40 base62 characters).
pub fn new_request_id() -> Result<String, String> {
    gatehouse_domain::keys::base62::random_string(40)
        .map(|r| format!("_{r}"))
        .map_err(|e| format!("random: {e}"))
}

/// Whether `id` has the shape [`new_request_id`] gives.
pub fn is_request_id(id: &str) -> bool {
    id.len() == 41 && id.starts_with('_') && id[1..].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The AuthnRequest XML.
pub fn authn_request(
    id: &str,
    issue_instant: OffsetDateTime,
    destination: &str,
    sp_entity_id: &str,
    acs_url: &str,
    name_id_format: &str,
) -> String {
    let instant = issue_instant
        .replace_nanosecond(0)
        .unwrap_or(issue_instant)
        .format(&Rfc3339)
        .unwrap_or_default();
    format!(
        concat!(
            r#"<samlp:AuthnRequest xmlns:samlp="{samlp}" xmlns:saml="{saml}" ID="{id}" Version="2.0" "#,
            r#"IssueInstant="{instant}" Destination="{destination}" AssertionConsumerServiceURL="{acs}" "#,
            r#"ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">"#,
            "<saml:Issuer>{issuer}</saml:Issuer>",
            r#"<samlp:NameIDPolicy Format="{format}" AllowCreate="true"/>"#,
            "</samlp:AuthnRequest>"
        ),
        samlp = SAMLP,
        saml = SAML,
        id = xml::escape(id),
        instant = instant,
        destination = xml::escape(destination),
        acs = xml::escape(acs_url),
        issuer = xml::escape(sp_entity_id),
        format = xml::escape(name_id_format),
    )
}

/// The signature algorithm of signed AuthnRequests.
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

/// A new key for signing a connection's AuthnRequests: its self-signed certificate
/// and its private key, both PEM. RSA-2048, which every IdP accepts (Entra ID takes
/// RSA only).
pub fn new_signing_key(common_name: &str) -> Result<(String, zeroize::Zeroizing<String>), String> {
    let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .map_err(|e| format!("key generation: {e}"))?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|e| format!("certificate: {e}"))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(10 * 365);
    let certificate = params
        .self_signed(&key)
        .map_err(|e| format!("certificate: {e}"))?;
    Ok((
        certificate.pem(),
        zeroize::Zeroizing::new(key.serialize_pem()),
    ))
}

/// The IdP URL the browser is sent to with `request` (and `relay_state`, if any),
/// signed with `signing_key` (PKCS#8 PEM) when given.
pub fn redirect_url(
    sso_url: &str,
    request: &str,
    relay_state: Option<&str>,
    signing_key: Option<&str>,
) -> Result<String, String> {
    let mut deflate =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflate
        .write_all(request.as_bytes())
        .map_err(|e| format!("deflate: {e}"))?;
    let compressed = deflate.finish().map_err(|e| format!("deflate: {e}"))?;
    let encode = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    // The signed octets are exactly the query as sent, so it is built by hand in the
    // binding's order rather than by a URL library that may re-encode it.
    let mut query = format!(
        "SAMLRequest={}",
        encode(&base64::engine::general_purpose::STANDARD.encode(compressed))
    );
    if let Some(relay) = relay_state {
        query.push_str(&format!("&RelayState={}", encode(relay)));
    }
    if let Some(pem) = signing_key {
        use rcgen::SigningKey;
        query.push_str(&format!("&SigAlg={}", encode(RSA_SHA256)));
        let key = rcgen::KeyPair::from_pem_and_sign_algo(pem, &rcgen::PKCS_RSA_SHA256)
            .map_err(|e| format!("the request signing key: {e}"))?;
        let signature = key
            .sign(query.as_bytes())
            .map_err(|e| format!("signing the request: {e}"))?;
        query.push_str(&format!(
            "&Signature={}",
            encode(&base64::engine::general_purpose::STANDARD.encode(signature))
        ));
    }
    let url = url::Url::parse(sso_url).map_err(|e| format!("the IdP's SSO URL: {e}"))?;
    let separator = if url.query().is_some() { '&' } else { '?' };
    let mut base = url.to_string();
    if let Some(fragment) = url.fragment() {
        base.truncate(base.len() - fragment.len() - 1);
    }
    Ok(format!("{base}{separator}{query}"))
}
