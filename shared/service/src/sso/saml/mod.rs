//! SAML 2.0 logins (Web Browser SSO profile): an SP-initiated login sends an
//! AuthnRequest by HTTP-Redirect and remembers it; the IdP POSTs a Response to the
//! connection's ACS URL, which is verified by [`verify::verify_response`], its
//! assertion id claimed once (replay cache), and the identity it names opens the same
//! session as an OpenID Connect or LDAP login.
//!
//! The connection is always the one the ACS URL names (`/v2/sso/{tenant}/{id}/...`),
//! never one found from the response's unverified Issuer.

pub mod metadata;
pub mod request;
pub mod upkeep;
pub mod verify;
pub mod xml;

use super::login::{LoggedIn, Sso, SsoError, refused};
use crate::secrets::TenantSecrets;
use crate::store::envelope::SealContext;
use crate::store::sso_table::{LOGIN_STATE_SECONDS, SamlRequest};
use gatehouse_domain::ids::{IntegrationId, TenantId};
use gatehouse_domain::saml::{EMAIL_ATTRIBUTES, NAME_ATTRIBUTES, SamlConfig};
use gatehouse_domain::sso::{Identity, LoginRefusal, SsoConnection, check_domains, return_allowed};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use verify::{AcsPolicy, SamlRefusal, VerifiedAssertion};

/// The envelope purpose of a connection's AuthnRequest signing key.
pub const REQUEST_KEY_PURPOSE: &str = "sso-saml-request-key";

pub fn request_key_context(tenant: &TenantId, connection: &IntegrationId) -> SealContext {
    SealContext::new(REQUEST_KEY_PURPOSE)
        .with("tenant", tenant.as_str())
        .with("integration", connection.as_str())
}

/// This SP's entity id for a connection: its metadata URL (unique per connection).
pub fn sp_entity_id(base_url: &str, tenant: &TenantId, id: &IntegrationId) -> String {
    format!("{base_url}/v2/sso/{tenant}/{id}/saml/metadata")
}

/// Where the IdP POSTs its responses for a connection.
pub fn acs_url(base_url: &str, tenant: &TenantId, id: &IntegrationId) -> String {
    format!("{base_url}/v2/sso/{tenant}/{id}/saml/acs")
}

impl From<SamlRefusal> for SsoError {
    fn from(r: SamlRefusal) -> Self {
        refused(r.reason, r.detail)
    }
}

/// The SAML settings of `connection`, which must be a SAML one.
pub fn saml_of(connection: &SsoConnection) -> Result<&SamlConfig, SsoError> {
    connection.saml().ok_or(SsoError::OtherProtocol(
        "another protocol than SAML (see the connection's login_url)",
    ))
}

fn enabled(connection: &SsoConnection) -> Result<(), SsoError> {
    if connection.enabled {
        Ok(())
    } else {
        Err(refused(
            LoginRefusal::ConnectionDisabled,
            "the connection is disabled",
        ))
    }
}

impl Sso {
    /// Starts an SP-initiated login: the IdP URL carrying a new AuthnRequest (signed
    /// when the connection signs its requests), which is remembered for ten minutes,
    /// for one response.
    pub async fn saml_begin(
        &self,
        secrets: &TenantSecrets,
        connection: &SsoConnection,
        base_url: &str,
        return_to: Option<String>,
        now: OffsetDateTime,
    ) -> Result<String, SsoError> {
        enabled(connection)?;
        let saml = saml_of(connection)?;
        let (tenant, id) = (&connection.tenant_id, &connection.connection_id);
        let request_id =
            request::new_request_id().map_err(|e| refused(LoginRefusal::ProviderError, e))?;
        let xml = request::authn_request(
            &request_id,
            now,
            &saml.sso_url,
            &sp_entity_id(base_url, tenant, id),
            &acs_url(base_url, tenant, id),
            &saml.name_id_format,
        );
        let signing_key = match &saml.request_signing {
            Some(signing) => Some(
                secrets
                    .credential(
                        tenant,
                        &signing.private_key,
                        &request_key_context(tenant, id),
                    )
                    .await?,
            ),
            None => None,
        };
        let url = request::redirect_url(
            &saml.sso_url,
            &xml,
            None,
            signing_key.as_ref().map(|k| k.as_str()),
        )
        .map_err(|e| refused(LoginRefusal::ProviderError, e))?;
        self.ephemeral
            .put_saml_request(&SamlRequest {
                request_id,
                tenant_id: tenant.clone(),
                connection_id: id.clone(),
                return_to,
                expires_at: now + time::Duration::seconds(LOGIN_STATE_SECONDS),
            })
            .await?;
        Ok(url)
    }

    /// Finishes a login from the IdP's POST to `connection`'s ACS URL: the response
    /// verified, its request taken, its assertion claimed once, the session opened.
    pub async fn saml_complete(
        &self,
        connection: &SsoConnection,
        base_url: &str,
        saml_response: &str,
        relay_state: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<LoggedIn, SsoError> {
        enabled(connection)?;
        let saml = saml_of(connection)?;
        let (tenant, id) = (&connection.tenant_id, &connection.connection_id);
        let response = verify::decode_post(saml_response)?;
        // The request is taken before the response is verified, as an OIDC state is:
        // whatever happens next, it answers no second response.
        let request = match verify::claimed_request(&response) {
            Some(request_id) => {
                // Only an id of Gatehouse's shape can be one of its requests; anything
                // else is refused without a read (and never becomes a storage key).
                let ours = request::is_request_id(&request_id);
                let taken = if ours {
                    self.ephemeral.take_saml_request(&request_id, now).await?
                } else {
                    None
                };
                let request = taken
                    .filter(|r| r.tenant_id == *tenant && r.connection_id == *id)
                    .ok_or_else(|| {
                        let shown: String = request_id.chars().take(64).collect();
                        refused(
                            LoginRefusal::RequestMismatch,
                            format!("InResponseTo {shown} is no pending request of this connection (unknown, used or expired)"),
                        )
                    })?;
                Some(request)
            }
            None => None,
        };
        if let Some(relay) = relay_state
            && !return_allowed(&connection.return_urls, relay)
        {
            return Err(refused(
                LoginRefusal::ReturnNotAllowed,
                "RelayState is not one of the connection's return URLs",
            ));
        }
        let sp_entity_id = sp_entity_id(base_url, tenant, id);
        let acs_url = acs_url(base_url, tenant, id);
        let assertion = verify::verify_response(
            &response,
            &AcsPolicy {
                idp_entity_id: &saml.idp_entity_id,
                certificates: &saml.certificates,
                sp_entity_id: &sp_entity_id,
                acs_url: &acs_url,
                request_id: request.as_ref().map(|r| r.request_id.as_str()),
                allow_unsolicited: saml.allow_idp_initiated,
                allow_sha1: saml.allow_sha1,
                now,
            },
        )?;
        let first_use = self
            .ephemeral
            .claim_assertion(
                tenant,
                id,
                &assertion.issuer,
                &assertion.assertion_id,
                assertion.valid_until,
            )
            .await?;
        if !first_use {
            return Err(refused(
                LoginRefusal::Replayed,
                format!("assertion {} was used before", assertion.assertion_id),
            ));
        }
        let identity = identity_of(connection, saml, &assertion)
            .map_err(|reason| refused(reason, "the identity is not allowed by the connection"))?;
        let mut logged_in = self
            .open_session(connection, identity, &saml.groups_attribute, now)
            .await?;
        logged_in.return_to = request
            .and_then(|r| r.return_to)
            .or_else(|| relay_state.map(str::to_owned));
        Ok(logged_in)
    }
}

/// Who a verified assertion names: the IdP's entity id and the NameID (never the
/// email), with the email, name and groups the connection's attributes give, held
/// to the connection's domains.
pub fn identity_of(
    connection: &SsoConnection,
    saml: &SamlConfig,
    assertion: &VerifiedAssertion,
) -> Result<Identity, LoginRefusal> {
    let first = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| assertion.attributes.get(*n).and_then(|v| v.first()))
            .cloned()
    };
    let email = match &saml.email_attribute {
        Some(name) => first(&[name.as_str()]),
        None => first(EMAIL_ATTRIBUTES),
    }
    .or_else(|| {
        let email_format = assertion
            .name_id_format
            .as_deref()
            .is_some_and(|f| f.ends_with(":emailAddress"));
        (email_format || assertion.name_id.contains('@')).then(|| assertion.name_id.clone())
    })
    .map(|e| e.to_lowercase());
    // An IdP vouches for the addresses it asserts: SAML has no email_verified.
    check_domains(connection, email.as_deref(), None)?;
    let name = match &saml.name_attribute {
        Some(n) => first(&[n.as_str()]),
        None => first(NAME_ATTRIBUTES),
    };
    let groups = assertion
        .attributes
        .get(&saml.groups_attribute)
        .cloned()
        .unwrap_or_default();
    let mut claims: Map<String, Value> = assertion
        .attributes
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.clone())))
        .collect();
    claims.insert("name_id".into(), Value::from(assertion.name_id.clone()));
    if let Some(format) = &assertion.name_id_format {
        claims.insert("name_id_format".into(), Value::from(format.clone()));
    }
    claims.insert("issuer".into(), Value::from(assertion.issuer.clone()));
    Ok(Identity {
        issuer: assertion.issuer.clone(),
        subject: assertion.name_id.clone(),
        email,
        name,
        groups,
        claims,
    })
}

impl Sso {
    /// An IdP's metadata from its URL, through the SSRF-safe outbound client.
    pub async fn fetch_idp_metadata(&self, url: &str) -> Result<metadata::IdpMetadata, String> {
        let http = self.oidc.http().map_err(|e| e.detail)?;
        let answer = http
            .send(
                reqwest::Method::GET,
                url,
                &[(
                    "accept",
                    "application/samlmetadata+xml, application/xml, text/xml",
                )],
                None,
                metadata::MAX_METADATA_BYTES,
            )
            .await
            .map_err(|e| e.detail)?;
        if answer.status != 200 {
            return Err(format!("the metadata URL answered {}", answer.status));
        }
        let text = String::from_utf8(answer.body).map_err(|_| "the metadata is not UTF-8")?;
        metadata::parse_idp_metadata(&text)
    }
}

#[cfg(test)]
#[path = "../tests/saml.rs"]
mod tests;
