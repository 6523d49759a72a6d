//! What the SSO routes share: a connection as a request gives it and as the API shows
//! it (never its client secret), its checks, and how login refusals read as problems.

use crate::http::call::Call;
use crate::http::{Problem, ProblemType};
use crate::ids::{IntegrationId, TenantId};
use crate::integrations::{CredentialInput, credential};
use gatehouse_service::sso_domain::{
    DEFAULT_SESSION_HOURS, MAX_DOMAINS, MAX_RULES, MAX_SESSION_HOURS, MappingRule, OidcConfig,
    Preset, Protocol, SsoConnection, check_domain, check_issuer,
};
use gatehouse_service::sso_domains::{challenge_name, challenge_value};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use gatehouse_service::keys::permission_sync::{SyncCause, sync_key_permissions};
pub use gatehouse_service::sso::login::{LoggedIn, SsoError, client_secret_context, redirect_uri};
pub use gatehouse_service::sso::refresh::{RefreshToken, Refreshed};
pub use gatehouse_service::sso_domain::LoginRefusal;

/// One mapping rule, as a request gives it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SsoMappingRuleRequest")]
pub struct RuleRequest {
    /// A claim name, or `groups` for the connection's groups claim.
    #[schemars(length(min = 1, max = 128))]
    pub claim: String,
    /// The value the claim holds (or one of its values, for a list).
    #[schemars(length(min = 1, max = 256))]
    pub value: String,
    /// The Gatehouse scopes a match gives.
    #[schemars(length(max = 50))]
    pub scopes: Vec<crate::keys::Scope>,
    /// Stop at this rule when it matches.
    #[serde(default)]
    pub stop: bool,
}

/// One mapping rule, as the API shows it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "SsoMappingRule")]
pub struct RuleView {
    pub claim: String,
    pub value: String,
    pub scopes: Vec<String>,
    pub stop: bool,
}

/// A connection as a create gives it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SsoConnectionRequest", example = serde_json::json!({
    "name": "Acme Okta",
    "preset": "okta",
    "issuer": "https://acme.okta.com/oauth2/default",
    "client_id": "0oa1b2c3d4",
    "client_secret": {"secret_ref": {"path": "sso/okta", "key": "client_secret"}},
    "domains": ["acme.example"],
    "rules": [{"claim": "groups", "value": "gatehouse-admins", "scopes": ["admin"], "stop": true}],
    "default_scopes": ["keys:read"],
}))]
pub struct ConnectionRequest {
    #[schemars(length(min = 1, max = 100))]
    pub name: String,
    pub preset: Preset,
    /// OpenID Connect: the issuer exactly as the provider publishes it (`iss` is
    /// compared as a string). Required for every preset but `ldap`.
    #[serde(default)]
    #[schemars(length(min = 1, max = 512))]
    pub issuer: Option<String>,
    /// OpenID Connect: the client id. Required for every preset but `ldap`.
    #[serde(default)]
    #[schemars(length(min = 1, max = 256), regex(pattern = r"^[!-~]+$"))]
    pub client_id: Option<String>,
    /// LDAP (preset `ldap`): the directory and how to search it.
    #[serde(default)]
    pub ldap: Option<crate::sso_ldap::LdapRequest>,
    /// SAML 2.0 (preset `saml`): the IdP, by metadata or by hand.
    #[serde(default)]
    pub saml: Option<crate::sso_saml::SamlRequest>,
    /// OpenID Connect: required to create; absent in an update, the stored secret is kept.
    #[serde(default)]
    pub client_secret: Option<CredentialInput>,
    /// Scopes asked for besides `openid` (default `email profile`).
    #[serde(default)]
    pub scopes: Option<Vec<ScopeName>>,
    /// Email domains whose users may log in (none: any identity the IdP vouches for).
    #[serde(default)]
    #[schemars(length(max = 50))]
    pub domains: Vec<String>,
    /// The claim holding groups (default `groups`).
    #[serde(default)]
    #[schemars(length(min = 1, max = 128))]
    pub groups_claim: Option<String>,
    #[serde(default)]
    #[schemars(length(max = 50))]
    pub rules: Vec<RuleRequest>,
    #[serde(default)]
    #[schemars(length(max = 50))]
    pub default_scopes: Vec<crate::keys::Scope>,
    /// Where a login may return the browser to, with its session (URL prefixes).
    #[serde(default)]
    #[schemars(length(max = 20))]
    pub return_urls: Vec<String>,
    /// How long a login's session may be refreshed for, in hours (default 8).
    #[serde(default)]
    #[schemars(range(min = 1, max = 24))]
    pub session_hours: Option<u8>,
    /// Google Workspace: the `hd` claim every login must carry.
    #[serde(default)]
    pub hosted_domain: Option<String>,
    /// Entra ID: the directory (`tid`) every login must come from.
    #[serde(default)]
    #[schemars(length(min = 1, max = 64))]
    pub entra_tenant_id: Option<String>,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn enabled() -> bool {
    true
}

/// An OAuth scope name (`email`, `groups`, `offline_access`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ScopeName(
    #[schemars(length(min = 1, max = 128), regex(pattern = r"^[!#-\[\]-~]+$"))] pub String,
);

fn invalid(detail: impl Into<String>) -> Problem {
    Problem::invalid_body(detail.into())
}

/// A connection from a request: checked, the client secret sealed or its reference
/// checked.
pub async fn connection_from(
    call: &Call<'_>,
    id: &IntegrationId,
    request: ConnectionRequest,
    created: Option<&SsoConnection>,
) -> Result<SsoConnection, Problem> {
    let tenant = &call.caller.tenant_id;
    let domains = request
        .domains
        .iter()
        .map(|d| check_domain(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    if domains.len() > MAX_DOMAINS || request.rules.len() > MAX_RULES {
        return Err(invalid(format!(
            "at most {MAX_DOMAINS} domains and {MAX_RULES} rules"
        )));
    }
    for url in &request.return_urls {
        let parsed = url::Url::parse(url).map_err(|_| invalid(format!("`{url}` is not a URL")))?;
        if parsed.scheme() != "https" && parsed.host_str() != Some("127.0.0.1") {
            return Err(invalid(format!("`{url}`: return URLs are https")));
        }
    }
    let hosted_domain = request
        .hosted_domain
        .map(|d| check_domain(&d))
        .transpose()
        .map_err(invalid)?;
    if request.preset == Preset::Google && hosted_domain.is_none() && domains.is_empty() {
        return Err(invalid(
            "a Google connection needs `hosted_domain` or `domains`: any Google account can log in otherwise",
        ));
    }
    let oidc_fields =
        request.issuer.is_some() || request.client_id.is_some() || request.client_secret.is_some();
    if request.saml.is_some() && request.preset != Preset::Saml {
        return Err(invalid("`saml` is for connections of the `saml` preset"));
    }
    let protocol = if request.preset == Preset::Saml {
        if oidc_fields || request.ldap.is_some() {
            return Err(invalid(
                "a `saml` connection takes `saml`, not `issuer`, `client_id`, `client_secret` or `ldap`",
            ));
        }
        let saml = request
            .saml
            .ok_or_else(|| invalid("a `saml` connection needs `saml`"))?;
        Protocol::Saml(
            crate::sso_saml::saml_config(call, id, saml, created.and_then(SsoConnection::saml))
                .await?,
        )
    } else if request.preset == Preset::Ldap {
        if oidc_fields {
            return Err(invalid(
                "an `ldap` connection takes `ldap`, not `issuer`, `client_id` or `client_secret`",
            ));
        }
        let ldap = request
            .ldap
            .ok_or_else(|| invalid("an `ldap` connection needs `ldap`"))?;
        Protocol::Ldap(
            crate::sso_ldap::ldap_config(call, id, ldap, created.and_then(SsoConnection::ldap))
                .await?,
        )
    } else {
        if request.ldap.is_some() {
            return Err(invalid("`ldap` is for connections of the `ldap` preset"));
        }
        let issuer = check_issuer(
            request.preset,
            request
                .issuer
                .as_deref()
                .ok_or_else(|| invalid("`issuer` is required"))?,
        )
        .map_err(invalid)?;
        let client_id = request
            .client_id
            .ok_or_else(|| invalid("`client_id` is required"))?;
        let client_secret = match (request.client_secret, created.and_then(SsoConnection::oidc)) {
            (Some(input), _) => credential(call, input, &client_secret_context(tenant, id)).await?,
            (None, Some(current)) => current.client_secret.clone(),
            (None, None) => return Err(invalid("`client_secret` is required")),
        };
        Protocol::Oidc(OidcConfig {
            preset: request.preset,
            issuer,
            client_id,
            client_secret,
            scopes: request
                .scopes
                .map(|s| s.into_iter().map(|s| s.0).collect())
                .unwrap_or_else(|| vec!["email".into(), "profile".into()]),
            groups_claim: request.groups_claim.unwrap_or_else(|| "groups".into()),
            hosted_domain,
            entra_tenant_id: request.entra_tenant_id,
        })
    };
    let session_hours = match request.session_hours {
        None => DEFAULT_SESSION_HOURS,
        Some(h @ 1..=MAX_SESSION_HOURS) => h,
        Some(h) => {
            return Err(invalid(format!(
                "`session_hours` is 1-{MAX_SESSION_HOURS}, not {h}"
            )));
        }
    };
    // The DNS proof's value stays the connection's for its life; a new one for a new
    // connection (or one made before domains were verified).
    let domain_token = match created.map(|c| c.domain_token.clone()) {
        Some(token) if !token.is_empty() => token,
        _ => crate::keys::base62::random_string(32).map_err(|e| Problem::internal(&e))?,
    };
    let verified_domains = created
        .map(|c| {
            c.verified_domains
                .iter()
                .filter(|d| domains.contains(d))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let now = call.now;
    Ok(SsoConnection {
        tenant_id: tenant.clone(),
        connection_id: id.clone(),
        name: request.name,
        protocol,
        domains,
        rules: request
            .rules
            .into_iter()
            .map(|r| MappingRule {
                claim: r.claim,
                value: r.value,
                scopes: r.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
                stop: r.stop,
            })
            .collect(),
        default_scopes: request
            .default_scopes
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        return_urls: request.return_urls,
        session_hours,
        domain_token,
        verified_domains,
        enabled: request.enabled,
        created_at: created.map_or(now, |c| c.created_at),
        created_by: created.map_or_else(|| call.caller.principal.clone(), |c| c.created_by.clone()),
        updated_at: created.map(|_| now),
        version: created.map_or(1, |c| c.version + 1),
    })
}

/// A connection as the API shows it: never the client secret.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SsoConnection")]
pub struct ConnectionView {
    pub connection_id: IntegrationId,
    pub name: String,
    pub preset: Preset,
    /// OpenID Connect only (null for LDAP and SAML), as the next four.
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// Where the client secret is: `sealed`, or the secret it references.
    pub client_secret: Option<String>,
    pub scopes: Option<Vec<String>>,
    /// LDAP only (null otherwise).
    pub ldap: Option<crate::sso_ldap::LdapView>,
    /// SAML only (null otherwise): the pinned IdP and what to register there.
    pub saml: Option<crate::sso_saml::SamlView>,
    pub domains: Vec<String>,
    /// Each domain's DNS proof, and whether it is verified (`POST
    /// .../verify-domains`): discovery sends a verified domain's users here.
    pub domain_verification: Vec<DomainProofView>,
    pub groups_claim: Option<String>,
    pub rules: Vec<RuleView>,
    pub default_scopes: Vec<String>,
    pub return_urls: Vec<String>,
    /// How long a login's session may be refreshed for, in hours.
    pub session_hours: u8,
    pub hosted_domain: Option<String>,
    pub entra_tenant_id: Option<String>,
    pub enabled: bool,
    /// Register this redirect URI at the provider.
    pub redirect_uri: String,
    /// Where a user starts a login (public; `login_hint` and `return_to` optional).
    pub login_url: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub updated_at: Option<OffsetDateTime>,
}

/// A domain of a connection and the DNS record that proves it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SsoDomainProof")]
pub struct DomainProofView {
    pub domain: String,
    pub verified: bool,
    /// The TXT record's name: `_gatehouse-challenge.<domain>`.
    pub txt_name: String,
    /// Its text.
    pub txt_value: String,
}

/// Where a connection's logins start.
pub fn login_url(base: &str, tenant: &TenantId, id: &IntegrationId) -> String {
    format!("{base}/v2/sso/{tenant}/{id}/login")
}

/// The API's own URL: `PUBLIC_BASE_URL`, or `https://` and the host the request came to.
pub fn base_url(app: &crate::App, req: &lambda_http::Request) -> String {
    if let Some(base) = &app.sso.public_base_url {
        return base.clone();
    }
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    let host = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.domain_name.clone(),
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.domain_name.clone(),
        _ => None,
    };
    format!("https://{}", host.unwrap_or_default())
}

/// What a connection talks to: the issuer, the directory's `host:port`, or the SAML
/// IdP's entity id.
pub fn endpoint_of(connection: &SsoConnection) -> String {
    match &connection.protocol {
        Protocol::Oidc(oidc) => oidc.issuer.clone(),
        Protocol::Ldap(ldap) => format!("{}:{}", ldap.host, ldap.port),
        Protocol::Saml(saml) => saml.idp_entity_id.clone(),
    }
}

/// Where a stored credential is: `sealed`, or the secret it references.
pub fn credential_location(credential: &crate::integrations::Credential) -> String {
    match credential {
        crate::integrations::Credential::Sealed(_) => "sealed".into(),
        crate::integrations::Credential::Reference { secret_ref } => {
            format!("secret_ref: {} ({})", secret_ref.path, secret_ref.key)
        }
    }
}

impl ConnectionView {
    pub fn of(c: &SsoConnection, base_url: &str) -> Self {
        let oidc = c.oidc();
        Self {
            connection_id: c.connection_id.clone(),
            name: c.name.clone(),
            preset: c.preset(),
            issuer: oidc.map(|o| o.issuer.clone()),
            client_id: oidc.map(|o| o.client_id.clone()),
            client_secret: oidc.map(|o| credential_location(&o.client_secret)),
            scopes: oidc.map(|o| o.scopes.clone()),
            ldap: c.ldap().map(crate::sso_ldap::LdapView::of),
            saml: c
                .saml()
                .map(|s| crate::sso_saml::SamlView::of(c, s, base_url)),
            domains: c.domains.clone(),
            domain_verification: c
                .domains
                .iter()
                .map(|d| DomainProofView {
                    domain: d.clone(),
                    verified: c.verified_domains.contains(d),
                    txt_name: challenge_name(d),
                    txt_value: challenge_value(&c.domain_token),
                })
                .collect(),
            groups_claim: oidc.map(|o| o.groups_claim.clone()),
            rules: c
                .rules
                .iter()
                .map(|r| RuleView {
                    claim: r.claim.clone(),
                    value: r.value.clone(),
                    scopes: r.scopes.clone(),
                    stop: r.stop,
                })
                .collect(),
            default_scopes: c.default_scopes.clone(),
            return_urls: c.return_urls.clone(),
            session_hours: c.session_hours,
            hosted_domain: oidc.and_then(|o| o.hosted_domain.clone()),
            entra_tenant_id: oidc.and_then(|o| o.entra_tenant_id.clone()),
            enabled: c.enabled,
            redirect_uri: gatehouse_service::sso::login::redirect_uri(base_url),
            login_url: login_url(base_url, &c.tenant_id, &c.connection_id),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

impl From<SsoError> for Problem {
    fn from(err: SsoError) -> Self {
        match err {
            SsoError::Refused { reason, .. } => Problem::new(
                ProblemType::Unauthenticated,
                format!("the login was refused: {}", reason.as_str()),
            ),
            SsoError::NoConnection => Problem::new(ProblemType::NotFound, "no such connection"),
            SsoError::OtherProtocol(how) => {
                Problem::invalid_parameter(format!("this connection logs in with {how}"))
            }
            SsoError::Directory(detail) => Problem::new(
                ProblemType::IntegrationFailed,
                format!("the directory: {detail}"),
            ),
            SsoError::Provider(e) => Problem::new(
                ProblemType::IntegrationFailed,
                format!("the identity provider: {e}"),
            ),
            SsoError::Store(e) => e.into(),
            SsoError::Secret(e) => e.into(),
            SsoError::Session(e) => Problem::unavailable(&e),
        }
    }
}

/// A principal as the API shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PrincipalView {
    pub principal_id: crate::ids::PrincipalId,
    /// The identity: the IdP's issuer (Entra ID: `entra:<directory>`) and subject.
    pub issuer: String,
    pub subject: String,
    pub connection_id: IntegrationId,
    pub email: Option<String>,
    pub name: Option<String>,
    pub groups: Vec<String>,
    /// The scopes the connection's rules gave at the last login.
    pub scopes: Vec<String>,
    pub disabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub first_login: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub last_login: OffsetDateTime,
    /// The ID token's claims at the last login, for the tenant's own use.
    pub claims: serde_json::Map<String, serde_json::Value>,
}

impl PrincipalView {
    pub fn of(p: &crate::store::sso_table::Principal) -> Result<Self, Problem> {
        Ok(Self {
            principal_id: crate::ids::PrincipalId::parse(&p.principal_id)
                .map_err(|e| Problem::internal(&e))?,
            issuer: p.issuer.clone(),
            subject: p.subject.clone(),
            connection_id: p.connection_id.clone(),
            email: p.email.clone(),
            name: p.name.clone(),
            groups: p.groups.clone(),
            scopes: p.scopes.clone(),
            disabled: p.disabled,
            first_login: p.first_login,
            last_login: p.last_login,
            claims: p.claims.clone(),
        })
    }
}

/// The principal the `{principal_id}` path parameter names, in the caller's tenant.
pub async fn load_principal(
    call: &Call<'_>,
) -> Result<crate::store::sso_table::Principal, Problem> {
    let missing = || Problem::new(ProblemType::NotFound, "no such principal");
    let id = call
        .path_parameter("principal_id")
        .and_then(|id| crate::ids::PrincipalId::parse(&id).ok())
        .ok_or_else(missing)?;
    call.app
        .sso
        .principals
        .get(&call.caller.tenant_id, id.as_str())
        .await?
        .ok_or_else(missing)
}

/// Disables or enables a principal; disabling revokes its sessions. The principal
/// after, with its audit event committed.
pub async fn set_disabled(
    call: &Call<'_>,
    action: &str,
    disabled: bool,
) -> Result<crate::store::sso_table::Principal, Problem> {
    let mut principal = load_principal(call).await?;
    if principal.disabled == disabled {
        return Ok(principal);
    }
    principal.disabled = disabled;
    principal.version += 1;
    let mut batch = crate::store::WriteBatch::new();
    call.app.sso.principals.put(&mut batch, &principal)?;
    let audit = call
        .audit_event(action)
        .status(200)
        .detail(format!("principal {}", principal.principal_id));
    call.commit(batch, &audit, "the principal changed concurrently; retry")
        .await?;
    if disabled {
        end_sessions(call, &principal).await?;
        let cause = SyncCause {
            actor: call.actor(),
            origin: call.origin.clone(),
            trigger: "principal_disabled",
        };
        sync_key_permissions(call.app, &principal, &cause, call.now).await?;
    }
    Ok(principal)
}

/// Ends a principal's live sessions: the authorizer refuses their tokens within the
/// revocation bound.
async fn end_sessions(
    call: &Call<'_>,
    principal: &crate::store::sso_table::Principal,
) -> Result<(), Problem> {
    let sessions = &call.app.sso.ephemeral;
    for active in principal
        .sessions
        .iter()
        .filter(|s| s.expires_at > call.now)
    {
        if let Some(session) = sessions
            .session(&call.caller.tenant_id, &active.session_id)
            .await?
        {
            sessions.revoke_session(&session, call.now).await?;
        }
    }
    Ok(())
}

/// Ends the live sessions of every principal whose last login came through
/// `connection` (a connection disabled or deleted).
pub async fn end_connection_sessions(
    call: &Call<'_>,
    connection: &IntegrationId,
) -> Result<(), Problem> {
    for principal in call.app.sso.principals.list(&call.caller.tenant_id).await? {
        if principal.connection_id == *connection {
            end_sessions(call, &principal).await?;
        }
    }
    Ok(())
}
