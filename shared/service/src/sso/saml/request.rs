//! The SP-initiated login's AuthnRequest, sent by the HTTP-Redirect binding
//! (SAML Bindings 3.4.4): raw DEFLATE, base64, URL-encoded as `SAMLRequest`. It is
//! not signed: Gatehouse holds no SP signing key, and says so in its metadata
//! (`AuthnRequestsSigned="false"`); the response's InResponseTo is what ties a login
//! to its request.

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

/// The IdP URL the browser is sent to with `request` (and `relay_state`, if any).
pub fn redirect_url(
    sso_url: &str,
    request: &str,
    relay_state: Option<&str>,
) -> Result<String, String> {
    let mut deflate =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflate
        .write_all(request.as_bytes())
        .and_then(|_| deflate.finish())
        .map_err(|e| format!("deflate: {e}"))
        .and_then(|compressed| {
            let mut url =
                url::Url::parse(sso_url).map_err(|e| format!("the IdP's SSO URL: {e}"))?;
            url.query_pairs_mut().append_pair(
                "SAMLRequest",
                &base64::engine::general_purpose::STANDARD.encode(compressed),
            );
            if let Some(relay) = relay_state {
                url.query_pairs_mut().append_pair("RelayState", relay);
            }
            Ok(url.to_string())
        })
}
