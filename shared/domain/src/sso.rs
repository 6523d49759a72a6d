//! Single sign-on: a tenant's connections to its identity providers, how an IdP's
//! claims map to Gatehouse scopes, and who may log in. OpenID Connect now (Google
//! Workspace, Entra ID, Okta, Auth0, any OpenID Provider); SAML and LDAP join the same
//! connections later.

use crate::ids::{IntegrationId, TenantId};
use crate::integrations::Credential;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// The most mapping rules and verified domains a connection holds.
pub const MAX_RULES: usize = 50;
pub const MAX_DOMAINS: usize = 50;

/// Which kind of IdP a connection is: its preset decides the checks its claims get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    Google,
    AzureAd,
    Okta,
    Auth0,
    Custom,
    /// A directory: Active Directory, OpenLDAP or any LDAPv3 server.
    Ldap,
    /// A SAML 2.0 IdP: Entra ID, Okta, ADFS, Google Workspace, any other.
    Saml,
}

impl Preset {
    pub const ALL: [Preset; 7] = [
        Preset::Google,
        Preset::AzureAd,
        Preset::Okta,
        Preset::Auth0,
        Preset::Custom,
        Preset::Ldap,
        Preset::Saml,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Google => "google",
            Preset::AzureAd => "azure_ad",
            Preset::Okta => "okta",
            Preset::Auth0 => "auth0",
            Preset::Custom => "custom",
            Preset::Ldap => "ldap",
            Preset::Saml => "saml",
        }
    }
}

/// One rule: when `claim` (a claim name, or `groups` for the connection's groups
/// claim) holds `value` (equal, or one of its elements when it is a list), the login
/// gets `scopes`. Rules apply in order; a matching rule with `stop` ends the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingRule {
    pub claim: String,
    pub value: String,
    pub scopes: Vec<String>,
    #[serde(default)]
    pub stop: bool,
}

/// A tenant's OpenID Connect connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcConfig {
    pub preset: Preset,
    /// The issuer exactly as the provider publishes it (Auth0's trailing slash kept):
    /// ID tokens' `iss` is compared with it as a string.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Credential,
    /// Scopes asked for besides `openid` (`email profile` by default).
    pub scopes: Vec<String>,
    /// The claim holding group names (`groups`).
    pub groups_claim: String,
    /// Google Workspace: the `hd` claim every login must carry.
    pub hosted_domain: Option<String>,
    /// Entra ID: the directory (`tid`) every login must come from.
    pub entra_tenant_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoConnection {
    pub tenant_id: TenantId,
    pub connection_id: IntegrationId,
    pub name: String,
    /// How it logs people in: stored as `oidc` or `ldap`, beside the other fields.
    #[serde(flatten)]
    pub protocol: Protocol,
    /// Email domains whose users may log in through this connection (lowercase).
    pub domains: Vec<String>,
    pub rules: Vec<MappingRule>,
    /// The scopes of a login no rule matched.
    pub default_scopes: Vec<String>,
    /// Where a login may send the browser back to with its session (each a URL prefix;
    /// none: the callback answers with the session as JSON).
    #[serde(default)]
    pub return_urls: Vec<String>,
    /// How long a login's session may be refreshed for, in hours.
    #[serde(default = "default_session_hours")]
    pub session_hours: u8,
    /// The connection's value in its domains' DNS proof (`sso_domains`).
    #[serde(default)]
    pub domain_token: String,
    /// Domains of `domains` proven by DNS: home-realm discovery sends their users here.
    #[serde(default)]
    pub verified_domains: Vec<String>,
    pub enabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
    pub version: u64,
}

/// A connection's protocol and its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    Oidc(OidcConfig),
    Ldap(crate::ldap::LdapConfig),
    Saml(crate::saml::SamlConfig),
}

impl SsoConnection {
    pub fn oidc(&self) -> Option<&OidcConfig> {
        match &self.protocol {
            Protocol::Oidc(oidc) => Some(oidc),
            _ => None,
        }
    }

    pub fn ldap(&self) -> Option<&crate::ldap::LdapConfig> {
        match &self.protocol {
            Protocol::Ldap(ldap) => Some(ldap),
            _ => None,
        }
    }

    pub fn saml(&self) -> Option<&crate::saml::SamlConfig> {
        match &self.protocol {
            Protocol::Saml(saml) => Some(saml),
            _ => None,
        }
    }

    /// `oidc`, `ldap` or `saml`.
    pub fn protocol_name(&self) -> &'static str {
        match &self.protocol {
            Protocol::Oidc(_) => "oidc",
            Protocol::Ldap(_) => "ldap",
            Protocol::Saml(_) => "saml",
        }
    }

    pub fn preset(&self) -> Preset {
        match &self.protocol {
            Protocol::Oidc(oidc) => oidc.preset,
            Protocol::Ldap(_) => Preset::Ldap,
            Protocol::Saml(_) => Preset::Saml,
        }
    }
}

/// How long a session lasts by default: a working day.
pub const DEFAULT_SESSION_HOURS: u8 = 8;
/// The longest a connection may let a session last.
pub const MAX_SESSION_HOURS: u8 = 24;

fn default_session_hours() -> u8 {
    DEFAULT_SESSION_HOURS
}

/// Why a login is refused, as a stable reason code (audit and security events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoginRefusal {
    StateMismatch,
    ProviderError,
    CodeRejected,
    TokenInvalid,
    NonceMismatch,
    IssuerMismatch,
    AudienceMismatch,
    Expired,
    EmailUnverified,
    DomainNotAllowed,
    HostedDomainMismatch,
    DirectoryMismatch,
    ConnectionDisabled,
    PrincipalDisabled,
    /// A refresh of a session that was logged out, or ended by an admin.
    SessionEnded,
    /// A directory login whose username or password is wrong (which one is not said).
    InvalidCredentials,
    /// A directory search that found more than one entry for the username.
    AmbiguousUser,
    /// A refresh token used a second time: the session is ended, since one of the two
    /// holders is not its owner.
    RefreshReused,
    /// SAML: a response that is not a well-formed SAML Response (not base64, not
    /// UTF-8, too large, a DOCTYPE, not XML, a required element missing).
    MalformedResponse,
    /// SAML: the IdP answered with a status other than Success.
    StatusNotSuccess,
    /// SAML: not exactly one assertion (a second one is how signature wrapping hides).
    AssertionCount,
    /// SAML: an encrypted assertion, which Gatehouse does not decrypt.
    EncryptedAssertion,
    /// SAML: the assertion carries no signature of its own (stripped, or only the
    /// response is signed).
    SignatureMissing,
    /// SAML: a signature that no pinned certificate verifies, or a digest that does
    /// not match.
    SignatureInvalid,
    /// SAML: a signature whose reference is not exactly the element that holds it
    /// (another element, an ancestor, an XPointer) or that uses other transforms.
    ReferenceInvalid,
    /// SAML: SHA-1 (not allowed by the connection) or an unknown algorithm.
    WeakAlgorithm,
    /// SAML: a comment inside a signed value (`alice@acme.example<!---->.evil`).
    CommentInjection,
    /// SAML: the response's Destination is not this connection's ACS URL.
    DestinationMismatch,
    /// SAML: no bearer confirmation whose Recipient is this connection's ACS URL.
    RecipientMismatch,
    /// SAML: InResponseTo names no request this connection made, or another one.
    RequestMismatch,
    /// SAML: a response nobody asked for, and the connection does not accept
    /// IdP-initiated logins.
    Unsolicited,
    /// SAML: an assertion whose NotBefore is still ahead.
    NotYetValid,
    /// SAML: an assertion already used for a login.
    Replayed,
    /// SAML: the connection has no pinned IdP certificate, so nothing can verify.
    NoPinnedCertificate,
    /// A return URL (`return_to`, SAML RelayState) not among the connection's.
    ReturnNotAllowed,
}

impl LoginRefusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StateMismatch => "state_mismatch",
            Self::ProviderError => "provider_error",
            Self::CodeRejected => "code_rejected",
            Self::TokenInvalid => "token_invalid",
            Self::NonceMismatch => "nonce_mismatch",
            Self::IssuerMismatch => "issuer_mismatch",
            Self::AudienceMismatch => "audience_mismatch",
            Self::Expired => "expired",
            Self::EmailUnverified => "email_unverified",
            Self::DomainNotAllowed => "domain_not_allowed",
            Self::HostedDomainMismatch => "hosted_domain_mismatch",
            Self::DirectoryMismatch => "directory_mismatch",
            Self::ConnectionDisabled => "connection_disabled",
            Self::PrincipalDisabled => "principal_disabled",
            Self::SessionEnded => "session_ended",
            Self::InvalidCredentials => "invalid_credentials",
            Self::AmbiguousUser => "ambiguous_user",
            Self::RefreshReused => "refresh_reused",
            Self::MalformedResponse => "malformed_response",
            Self::StatusNotSuccess => "status_not_success",
            Self::AssertionCount => "assertion_count",
            Self::EncryptedAssertion => "encrypted_assertion",
            Self::SignatureMissing => "signature_missing",
            Self::SignatureInvalid => "signature_invalid",
            Self::ReferenceInvalid => "reference_invalid",
            Self::WeakAlgorithm => "weak_algorithm",
            Self::CommentInjection => "comment_injection",
            Self::DestinationMismatch => "destination_mismatch",
            Self::RecipientMismatch => "recipient_mismatch",
            Self::RequestMismatch => "request_mismatch",
            Self::Unsolicited => "unsolicited",
            Self::NotYetValid => "not_yet_valid",
            Self::Replayed => "replayed",
            Self::NoPinnedCertificate => "no_pinned_certificate",
            Self::ReturnNotAllowed => "return_not_allowed",
        }
    }
}

/// Who logged in, from verified ID token claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// What identifies the person at this IdP: `iss` and `sub`, or for Entra ID the
    /// directory and object ids (`tid`, `oid`), which stay the same across apps.
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub groups: Vec<String>,
    /// Every claim of the ID token, for the tenant's own use.
    pub claims: Map<String, Value>,
}

impl Identity {
    /// The identity in `claims` (already verified), per the connection's preset, and
    /// whether the connection lets it in.
    pub fn from_claims(
        connection: &SsoConnection,
        claims: Map<String, Value>,
    ) -> Result<Self, LoginRefusal> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let oidc = connection.oidc().ok_or(LoginRefusal::TokenInvalid)?;
        let issuer = text("iss").ok_or(LoginRefusal::TokenInvalid)?;
        let (issuer, subject) = match oidc.preset {
            Preset::AzureAd => {
                let tid = text("tid").ok_or(LoginRefusal::DirectoryMismatch)?;
                if oidc
                    .entra_tenant_id
                    .as_deref()
                    .is_some_and(|want| want != tid)
                {
                    return Err(LoginRefusal::DirectoryMismatch);
                }
                let oid = text("oid")
                    .or_else(|| text("sub"))
                    .ok_or(LoginRefusal::TokenInvalid)?;
                (format!("entra:{tid}"), oid)
            }
            _ => (issuer, text("sub").ok_or(LoginRefusal::TokenInvalid)?),
        };
        if let Some(hd) = &oidc.hosted_domain {
            // `hd` in the request is only a hint; the claim is what counts.
            if text("hd").as_deref() != Some(hd.as_str()) {
                return Err(LoginRefusal::HostedDomainMismatch);
            }
        }
        let email = text("email")
            .or_else(|| text("preferred_username").filter(|u| u.contains('@')))
            .map(|e| e.to_lowercase());
        check_domains(
            connection,
            email.as_deref(),
            claims.get("email_verified").and_then(Value::as_bool),
        )?;
        let groups = match claims.get(&oidc.groups_claim) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        Ok(Self {
            issuer,
            subject,
            email,
            name: text("name"),
            groups,
            claims,
        })
    }
}

/// Whether a login with `email` may come through `connection`: any, when it lists no
/// domains; else only an email in one of them, and not one its IdP calls unverified
/// (a claimed but unverified address proves nothing about its domain).
pub fn check_domains(
    connection: &SsoConnection,
    email: Option<&str>,
    email_verified: Option<bool>,
) -> Result<(), LoginRefusal> {
    if connection.domains.is_empty() {
        return Ok(());
    }
    let email = email.ok_or(LoginRefusal::DomainNotAllowed)?;
    if email_verified == Some(false) {
        return Err(LoginRefusal::EmailUnverified);
    }
    if !email_in_domains(email, &connection.domains) {
        return Err(LoginRefusal::DomainNotAllowed);
    }
    Ok(())
}

/// Whether `email`'s domain is one of `domains` (exactly: a subdomain is another).
pub fn email_in_domains(email: &str, domains: &[String]) -> bool {
    email
        .rsplit_once('@')
        .is_some_and(|(_, domain)| domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
}

/// The scopes `rules` give a login with these `claims` and `groups`: every matching
/// rule's scopes in order, up to the first matching rule with `stop`; the default when
/// none matched. Sorted, without repeats.
pub fn mapped_scopes(
    rules: &[MappingRule],
    default_scopes: &[String],
    groups_claim: &str,
    claims: &Map<String, Value>,
    groups: &[String],
) -> Vec<String> {
    let mut scopes = Vec::new();
    let mut matched = false;
    for rule in rules {
        let holds = if rule.claim == "groups" || rule.claim == groups_claim {
            groups.iter().any(|g| g == &rule.value)
        } else {
            match claims.get(&rule.claim) {
                Some(Value::Array(items)) => items.iter().any(|v| value_is(v, &rule.value)),
                Some(value) => value_is(value, &rule.value),
                None => false,
            }
        };
        if holds {
            matched = true;
            scopes.extend(rule.scopes.iter().cloned());
            if rule.stop {
                break;
            }
        }
    }
    if !matched {
        scopes.extend(default_scopes.iter().cloned());
    }
    scopes.sort();
    scopes.dedup();
    scopes
}

fn value_is(value: &Value, wanted: &str) -> bool {
    match value {
        Value::String(s) => s == wanted,
        Value::Bool(b) => b.to_string() == wanted,
        Value::Number(n) => n.to_string() == wanted,
        _ => false,
    }
}

/// An issuer a connection may name: an `https` URL (or `http` for a development
/// provider the allow list lets through), never Entra's multi-tenant `common`,
/// `organizations` or `consumers` endpoints or the template `{tenantid}`: a login must
/// be verified against one directory's issuer.
pub fn check_issuer(preset: Preset, issuer: &str) -> Result<String, String> {
    let url = url::Url::parse(issuer).map_err(|e| format!("`issuer` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err("`issuer` must be an https URL".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("`issuer` has no query or fragment".into());
    }
    if preset == Preset::AzureAd {
        let multi = [
            "common",
            "organizations",
            "consumers",
            "{tenantid}",
            "%7btenantid%7d",
        ];
        if url
            .path_segments()
            .into_iter()
            .flatten()
            .any(|s| multi.contains(&s.to_ascii_lowercase().as_str()))
        {
            return Err(
                "`issuer`: use your directory's issuer (https://login.microsoftonline.com/<tenant id>/v2.0), not a multi-tenant endpoint"
                    .into(),
            );
        }
    }
    Ok(issuer.to_owned())
}

/// Whether `return_to` is one of the connection's return URLs (the same origin, under
/// its path): anything else would make the login an open redirect.
pub fn return_allowed(return_urls: &[String], return_to: &str) -> bool {
    let Ok(to) = url::Url::parse(return_to) else {
        return false;
    };
    return_urls.iter().any(|allowed| {
        url::Url::parse(allowed).is_ok_and(|a| {
            a.origin() == to.origin() && to.path().starts_with(a.path()) && to.fragment().is_none()
        })
    })
}

/// An email domain to verify logins against (`acme.example`, lowercase).
pub fn check_domain(domain: &str) -> Result<String, String> {
    let d = domain.trim().to_ascii_lowercase();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if d.len() <= 253 && d.contains('.') && d.split('.').all(label_ok) {
        Ok(d)
    } else {
        Err(format!("`{domain}` is not an email domain"))
    }
}

#[cfg(test)]
#[path = "tests/sso.rs"]
mod tests;
