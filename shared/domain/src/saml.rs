//! SAML 2.0 connections: the tenant's IdP as Gatehouse pins it. The checks of a
//! response live with the XML library, in the service crate (`sso::saml`).

use crate::integrations::Credential;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The NameID format asked for when the connection names none.
pub const DEFAULT_NAME_ID_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// Attribute names that carry an email, tried in order when the connection names
/// none: generic, Entra ID / ADFS claim URIs, and the LDAP `mail` OID.
pub const EMAIL_ATTRIBUTES: &[&str] = &[
    "email",
    "mail",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
];
/// The same for a display name.
pub const NAME_ATTRIBUTES: &[&str] = &[
    "name",
    "displayName",
    "http://schemas.microsoft.com/identity/claims/displayname",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
    "urn:oid:2.16.840.1.113730.3.1.241",
];
/// The groups attribute when the connection names none.
pub const DEFAULT_GROUPS_ATTRIBUTE: &str = "groups";

/// A tenant's SAML IdP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlConfig {
    /// The IdP's entity id: every assertion's Issuer must be exactly this.
    pub idp_entity_id: String,
    /// Where AuthnRequests go (HTTP-Redirect binding).
    pub sso_url: String,
    /// The IdP signing certificates (PEM) a signature may verify with; several
    /// during a rollover. None: no login can succeed.
    pub certificates: Vec<String>,
    /// Where the IdP publishes its metadata, when the connection follows it: the
    /// integration prober fetches it again and pins what it says.
    #[serde(default)]
    pub metadata_url: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub metadata_fetched_at: Option<OffsetDateTime>,
    pub name_id_format: String,
    /// The attribute holding the email (none: the usual names, then an email NameID).
    #[serde(default)]
    pub email_attribute: Option<String>,
    #[serde(default)]
    pub name_attribute: Option<String>,
    pub groups_attribute: String,
    /// SHA-1 signatures and digests (refused unless set, for IdPs that cannot do better).
    #[serde(default)]
    pub allow_sha1: bool,
    /// Responses that answer no request of ours (IdP-initiated logins).
    #[serde(default)]
    pub allow_idp_initiated: bool,
    /// Gatehouse's key for this connection's AuthnRequests, when it signs them.
    #[serde(default)]
    pub request_signing: Option<RequestSigning>,
}

/// The SP's own signing key for one connection: the certificate the IdP is given (in
/// the SP metadata), and the private key (PKCS#8 PEM), sealed with the envelope
/// helper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSigning {
    pub certificate_pem: String,
    pub private_key: Credential,
}
