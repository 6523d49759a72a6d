//! SAML connections as a request gives them (IdP metadata uploaded, a metadata URL,
//! or the IdP by hand) and as the API shows them (pinned certificates by fingerprint
//! and expiry, this SP's entity id, ACS and metadata URLs), and their checks.

use crate::http::Problem;
use crate::http::call::Call;
use crate::ids::IntegrationId;
use crate::integrations::Credential;
use gatehouse_service::saml_domain::RequestSigning;
use gatehouse_service::saml_domain::{
    DEFAULT_GROUPS_ATTRIBUTE, DEFAULT_NAME_ID_FORMAT, SamlConfig,
};
use gatehouse_service::sso::saml::metadata::{
    IdpMetadata, MAX_CERTIFICATES, certificate_info, check_certificate, der_of, parse_idp_metadata,
};
use gatehouse_service::sso::saml::request::new_signing_key;
use gatehouse_service::sso::saml::{acs_url, request_key_context, sp_entity_id};
use gatehouse_service::sso_domain::SsoConnection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The largest body of a connection's create or update: an IdP's metadata uploaded
/// inline (Entra ID's federation metadata, with its WS-Federation roles, runs to tens
/// of KB).
pub const MAX_CONNECTION_BODY: usize = 256 * 1024;

/// A SAML connection's IdP: exactly one of `metadata_xml`, `metadata_url`, or
/// `entity_id` with `sso_url` and `certificates`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SamlRequest")]
pub struct SamlRequest {
    /// The IdP's metadata XML (Entra ID: "Federation Metadata XML"; Okta: "IdP metadata").
    #[serde(default)]
    #[schemars(length(min = 1, max = 240000))]
    pub metadata_xml: Option<String>,
    /// Where the IdP publishes its metadata (https): fetched now through the outbound
    /// client, and again by the scheduled prober, which pins what it says.
    #[serde(default)]
    #[schemars(length(min = 1, max = 2048))]
    pub metadata_url: Option<String>,
    /// By hand: the IdP's entity id (every assertion's Issuer).
    #[serde(default)]
    #[schemars(length(min = 1, max = 1024))]
    pub entity_id: Option<String>,
    /// By hand: the IdP's SSO URL for HTTP-Redirect.
    #[serde(default)]
    #[schemars(length(min = 1, max = 2048))]
    pub sso_url: Option<String>,
    /// By hand: the IdP signing certificates (PEM, or the bare base64 IdP consoles
    /// show), several during a rollover.
    #[serde(default)]
    #[schemars(length(min = 1, max = 5))]
    pub certificates: Option<Vec<String>>,
    /// The NameID format asked for (default emailAddress).
    #[serde(default)]
    #[schemars(length(min = 1, max = 256))]
    pub name_id_format: Option<String>,
    /// The attribute holding the email (default: `email`, `mail`, the Entra/ADFS
    /// claim URI, the LDAP OID, then an email-shaped NameID).
    #[serde(default)]
    #[schemars(length(min = 1, max = 256))]
    pub email_attribute: Option<String>,
    #[serde(default)]
    #[schemars(length(min = 1, max = 256))]
    pub name_attribute: Option<String>,
    /// The attribute holding group names (default `groups`).
    #[serde(default)]
    #[schemars(length(min = 1, max = 256))]
    pub groups_attribute: Option<String>,
    /// Accept SHA-1 signatures and digests (default false).
    #[serde(default)]
    pub allow_sha1: bool,
    /// Accept responses that answer no request (IdP-initiated logins; default false).
    #[serde(default)]
    pub allow_idp_initiated: bool,
    /// Sign AuthnRequests (RSA-SHA256, with a key Gatehouse makes for the connection
    /// and keeps while this stays on; its certificate is in the SP metadata).
    #[serde(default)]
    pub sign_requests: bool,
}

/// A pinned IdP certificate as the API shows it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SamlCertificate")]
pub struct CertificateView {
    pub sha256_fingerprint: String,
    pub subject: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub not_after: OffsetDateTime,
}

/// A SAML connection's settings as the API shows them, with what to register at
/// the IdP.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SamlSettings")]
pub struct SamlView {
    pub idp_entity_id: String,
    pub sso_url: String,
    pub certificates: Vec<CertificateView>,
    pub metadata_url: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub metadata_fetched_at: Option<OffsetDateTime>,
    pub name_id_format: String,
    pub email_attribute: Option<String>,
    pub name_attribute: Option<String>,
    pub groups_attribute: String,
    pub allow_sha1: bool,
    pub allow_idp_initiated: bool,
    pub sign_requests: bool,
    /// The certificate signed AuthnRequests verify with (PEM): give it to the IdP, or
    /// let it import the SP metadata.
    pub request_signing_certificate: Option<String>,
    /// Register at the IdP: this SP's entity id (Entra: Identifier; Okta: Audience URI).
    pub sp_entity_id: String,
    /// Register at the IdP: the ACS URL (Entra: Reply URL; Okta: Single sign-on URL).
    pub acs_url: String,
    /// This SP's metadata, for IdPs that import it.
    pub sp_metadata_url: String,
}

impl SamlView {
    pub fn of(c: &SsoConnection, saml: &SamlConfig, base_url: &str) -> Self {
        let sp_entity_id = sp_entity_id(base_url, &c.tenant_id, &c.connection_id);
        Self {
            idp_entity_id: saml.idp_entity_id.clone(),
            sso_url: saml.sso_url.clone(),
            certificates: saml
                .certificates
                .iter()
                .filter_map(|pem| der_of(pem).ok())
                .filter_map(|der| certificate_info(&der).ok())
                .map(|i| CertificateView {
                    sha256_fingerprint: i.sha256_fingerprint,
                    subject: i.subject,
                    not_after: i.not_after,
                })
                .collect(),
            metadata_url: saml.metadata_url.clone(),
            metadata_fetched_at: saml.metadata_fetched_at,
            name_id_format: saml.name_id_format.clone(),
            email_attribute: saml.email_attribute.clone(),
            name_attribute: saml.name_attribute.clone(),
            groups_attribute: saml.groups_attribute.clone(),
            allow_sha1: saml.allow_sha1,
            allow_idp_initiated: saml.allow_idp_initiated,
            sign_requests: saml.request_signing.is_some(),
            request_signing_certificate: saml
                .request_signing
                .as_ref()
                .map(|s| s.certificate_pem.clone()),
            sp_metadata_url: sp_entity_id.clone(),
            sp_entity_id,
            acs_url: acs_url(base_url, &c.tenant_id, &c.connection_id),
        }
    }
}

fn invalid(detail: impl Into<String>) -> Problem {
    Problem::invalid_body(detail.into())
}

/// The IdP of a request, checked: from the metadata given or fetched, or by hand; and
/// the AuthnRequest signing key, kept from `current` or made and sealed.
pub async fn saml_config(
    call: &Call<'_>,
    id: &IntegrationId,
    request: SamlRequest,
    current: Option<&SamlConfig>,
) -> Result<SamlConfig, Problem> {
    let by_hand =
        request.entity_id.is_some() || request.sso_url.is_some() || request.certificates.is_some();
    let sources = usize::from(request.metadata_xml.is_some())
        + usize::from(request.metadata_url.is_some())
        + usize::from(by_hand);
    if sources != 1 {
        return Err(invalid(
            "give the IdP one way: `metadata_xml`, `metadata_url`, or `entity_id` with `sso_url` and `certificates`",
        ));
    }
    let (idp, fetched_at) = if let Some(xml) = &request.metadata_xml {
        (parse_idp_metadata(xml).map_err(invalid)?, None)
    } else if let Some(url) = &request.metadata_url {
        if !url.starts_with("https://") && !url.starts_with("http://127.0.0.1") {
            return Err(invalid("`metadata_url` must be https"));
        }
        let idp = call
            .app
            .sso
            .fetch_idp_metadata(url)
            .await
            .map_err(|e| invalid(format!("`metadata_url`: {e}")))?;
        (idp, Some(call.now))
    } else {
        let (Some(entity_id), Some(sso_url), Some(certificates)) =
            (request.entity_id, request.sso_url, request.certificates)
        else {
            return Err(invalid(
                "by hand, give `entity_id`, `sso_url` and `certificates`",
            ));
        };
        let idp = IdpMetadata {
            entity_id,
            sso_url,
            certificates,
        };
        (idp, None)
    };
    let certificates = pin(&idp.certificates)?;
    let sso_url = url::Url::parse(&idp.sso_url)
        .map_err(|_| invalid(format!("the IdP SSO URL `{}` is not a URL", idp.sso_url)))?;
    if sso_url.scheme() != "https" && sso_url.host_str() != Some("127.0.0.1") {
        return Err(invalid("the IdP SSO URL must be https"));
    }
    let request_signing = match (
        request.sign_requests,
        current.and_then(|c| c.request_signing.clone()),
    ) {
        (false, _) => None,
        (true, Some(kept)) => Some(kept),
        (true, None) => Some(new_request_signing(call, id).await?),
    };
    Ok(SamlConfig {
        request_signing,
        idp_entity_id: idp.entity_id,
        sso_url: idp.sso_url,
        certificates,
        metadata_url: request.metadata_url,
        metadata_fetched_at: fetched_at,
        name_id_format: request
            .name_id_format
            .unwrap_or_else(|| DEFAULT_NAME_ID_FORMAT.to_owned()),
        email_attribute: request.email_attribute,
        name_attribute: request.name_attribute,
        groups_attribute: request
            .groups_attribute
            .unwrap_or_else(|| DEFAULT_GROUPS_ATTRIBUTE.to_owned()),
        allow_sha1: request.allow_sha1,
        allow_idp_initiated: request.allow_idp_initiated,
    })
}

/// A new AuthnRequest signing key for connection `id`, its private key sealed.
async fn new_request_signing(
    call: &Call<'_>,
    id: &IntegrationId,
) -> Result<RequestSigning, Problem> {
    let tenant = &call.caller.tenant_id;
    let (certificate_pem, private_key) =
        new_signing_key(&format!("Gatehouse SAML SP {tenant}/{id}"))
            .map_err(|e| Problem::internal(&e))?;
    let sealed = call
        .app
        .secrets
        .envelope
        .seal(private_key.as_bytes(), &request_key_context(tenant, id))
        .await
        .map_err(|e| Problem::unavailable(&e))?;
    Ok(RequestSigning {
        certificate_pem,
        private_key: Credential::Sealed(sealed),
    })
}

/// The certificates to pin, each checked (a usable key), as PEM.
pub fn pin(certificates: &[String]) -> Result<Vec<String>, Problem> {
    if certificates.is_empty() || certificates.len() > MAX_CERTIFICATES {
        return Err(invalid(format!(
            "pin 1-{MAX_CERTIFICATES} IdP signing certificates"
        )));
    }
    certificates
        .iter()
        .map(|c| check_certificate(c).map(|(pem, _)| pem).map_err(invalid))
        .collect()
}
