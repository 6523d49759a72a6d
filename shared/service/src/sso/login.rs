//! An SSO login from start to session: the authorization URL with a single-use state,
//! the callback's code exchange and ID token verification, the connection's rules for
//! who may log in and with which scopes, the principal record, and the session token.

use super::oidc::{ClientConfig, Oidc, OidcError};
use super::refresh::{RefreshToken, token_expiry};
use super::session::{AUDIENCE, SessionClaims, SessionError, SessionSigner};
use crate::secrets::{SecretStoreError, TenantSecrets};
use crate::store::envelope::SealContext;
use crate::store::sso_table::{
    LOGIN_STATE_SECONDS, LoginState, Principal, Principals, SessionRecord, SsoConnections,
    SsoEphemeral,
};
use crate::store::{StoreError, WriteBatch};
use gatehouse_domain::ids::{IntegrationId, KeyId, TenantId};
use gatehouse_domain::sso::{Identity, LoginRefusal, OidcConfig, SsoConnection, mapped_scopes};
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// The envelope purpose of OIDC client secrets.
pub const CLIENT_SECRET_PURPOSE: &str = "sso-client-secret";

pub fn client_secret_context(tenant: &TenantId, connection: &IntegrationId) -> SealContext {
    SealContext::new(CLIENT_SECRET_PURPOSE)
        .with("tenant", tenant.as_str())
        .with("integration", connection.as_str())
}

#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// A login refused: the reason code, and what was wrong (for the audit trail).
    #[error("{}: {detail}", reason.as_str())]
    Refused {
        reason: LoginRefusal,
        detail: String,
    },
    #[error("no such connection")]
    NoConnection,
    /// A connection asked to log in by another protocol than its own.
    #[error("this connection logs in with {0}")]
    OtherProtocol(&'static str),
    #[error(transparent)]
    Provider(OidcError),
    /// A directory that could not be used (unreachable, TLS, service account, timeout).
    #[error("the directory: {0}")]
    Directory(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretStoreError),
    #[error(transparent)]
    Session(#[from] SessionError),
}

impl From<OidcError> for SsoError {
    fn from(e: OidcError) -> Self {
        match e {
            OidcError::Refused { reason, detail } => Self::Refused { reason, detail },
            other => Self::Provider(other),
        }
    }
}

/// The OpenID Connect settings of `connection`, which must be an OIDC one.
pub fn oidc_of(connection: &SsoConnection) -> Result<&OidcConfig, SsoError> {
    connection.oidc().ok_or(SsoError::OtherProtocol(
        "LDAP (POST /v2/sso/{tenant}/{connection}/ldap-login)",
    ))
}

pub(crate) fn refused(reason: LoginRefusal, detail: impl Into<String>) -> SsoError {
    SsoError::Refused {
        reason,
        detail: detail.into(),
    }
}

/// A finished login: the session token and what it was made of, and the writes to
/// commit (principal and session, with the caller's audit event).
pub struct LoggedIn {
    pub token: String,
    pub refresh_token: super::refresh::RefreshToken,
    pub session: SessionRecord,
    pub principal: Principal,
    pub first_login: bool,
    pub return_to: Option<String>,
    pub batch: WriteBatch,
}

#[derive(Clone, Debug)]
pub struct Sso {
    pub connections: SsoConnections,
    pub ephemeral: SsoEphemeral,
    pub principals: Principals,
    /// Which connection holds each verified email domain.
    pub domains: crate::store::sso_domains_table::SsoDomains,
    pub dns: super::domains::DnsTxt,
    /// Directories reachable although internal (`INTEGRATION_ALLOW_HOSTS`).
    pub ldap_allow: gatehouse_domain::webhooks::ssrf::AllowList,
    pub oidc: Oidc,
    pub signer: SessionSigner,
    /// The API's own URL (`None`: the host each request came to).
    pub public_base_url: Option<String>,
}

/// The redirect URI of every connection: register it at the provider.
pub fn redirect_uri(base_url: &str) -> String {
    format!("{base_url}/v2/sso/callback")
}

fn random_token(len: usize) -> Result<String, SsoError> {
    gatehouse_domain::keys::base62::random_string(len)
        .map_err(|e| refused(LoginRefusal::ProviderError, format!("random: {e}")))
}

impl Sso {
    /// The connection's client secret, opened or read where it is referenced.
    pub async fn client_secret(
        &self,
        secrets: &TenantSecrets,
        connection: &SsoConnection,
    ) -> Result<Zeroizing<String>, SsoError> {
        Ok(secrets
            .credential(
                &connection.tenant_id,
                &oidc_of(connection)?.client_secret,
                &client_secret_context(&connection.tenant_id, &connection.connection_id),
            )
            .await?)
    }

    pub async fn connection(
        &self,
        tenant: &TenantId,
        id: &IntegrationId,
    ) -> Result<SsoConnection, SsoError> {
        self.connections
            .get(tenant, id)
            .await?
            .ok_or(SsoError::NoConnection)
    }

    /// Starts a login: the IdP's authorization URL. The state, nonce and PKCE verifier
    /// are kept for ten minutes, for one callback. A SAML connection's login is an
    /// AuthnRequest instead (`saml_begin`).
    pub async fn begin(
        &self,
        secrets: &TenantSecrets,
        connection: &SsoConnection,
        base_url: &str,
        login_hint: Option<&str>,
        return_to: Option<String>,
        now: OffsetDateTime,
    ) -> Result<String, SsoError> {
        if connection.saml().is_some() {
            return self
                .saml_begin(secrets, connection, base_url, return_to, now)
                .await;
        }
        let redirect_uri = redirect_uri(base_url);
        if !connection.enabled {
            return Err(refused(
                LoginRefusal::ConnectionDisabled,
                "the connection is disabled",
            ));
        }
        let oidc = oidc_of(connection)?;
        let secret = self.client_secret(secrets, connection).await?;
        // The state names its tenant, so a refused callback is audited where it belongs;
        // the random part is what makes it unguessable.
        let state = format!("{}{}", connection.tenant_id, random_token(32)?);
        let nonce = random_token(32)?;
        let mut scopes = vec!["openid".to_owned()];
        scopes.extend(oidc.scopes.iter().cloned());
        let mut hints: Vec<(&str, &str)> = Vec::new();
        if let Some(hint) = login_hint {
            hints.push(("login_hint", hint));
        }
        if let Some(hd) = &oidc.hosted_domain {
            // Only a hint for Google's account chooser; the `hd` claim is enforced.
            hints.push(("hd", hd));
        }
        let start = self
            .oidc
            .start(
                &ClientConfig {
                    issuer: &oidc.issuer,
                    client_id: &oidc.client_id,
                    client_secret: &secret,
                    redirect_uri: &redirect_uri,
                },
                &scopes,
                &state,
                &nonce,
                &hints,
            )
            .await?;
        self.ephemeral
            .put_state(
                &state,
                &LoginState {
                    tenant_id: connection.tenant_id.clone(),
                    connection_id: connection.connection_id.clone(),
                    nonce,
                    pkce_verifier: start.pkce_verifier,
                    redirect_uri,
                    return_to,
                    expires_at: now + time::Duration::seconds(LOGIN_STATE_SECONDS),
                },
            )
            .await?;
        Ok(start.url)
    }

    /// The state's login, taken (a second callback with it finds nothing).
    pub async fn take_state(
        &self,
        state: &str,
        now: OffsetDateTime,
    ) -> Result<LoginState, SsoError> {
        self.ephemeral.take_state(state, now).await?.ok_or_else(|| {
            refused(
                LoginRefusal::StateMismatch,
                "unknown, used or expired `state`",
            )
        })
    }

    /// Finishes the login `login` started, with the provider's `code`: the session.
    pub async fn complete(
        &self,
        secrets: &TenantSecrets,
        login: &LoginState,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<LoggedIn, SsoError> {
        let connection = self
            .connection(&login.tenant_id, &login.connection_id)
            .await?;
        if !connection.enabled {
            return Err(refused(
                LoginRefusal::ConnectionDisabled,
                "the connection is disabled",
            ));
        }
        let oidc = oidc_of(&connection)?;
        let secret = self.client_secret(secrets, &connection).await?;
        let claims = self
            .oidc
            .finish(
                &ClientConfig {
                    issuer: &oidc.issuer,
                    client_id: &oidc.client_id,
                    client_secret: &secret,
                    redirect_uri: &login.redirect_uri,
                },
                code,
                &login.pkce_verifier,
                &login.nonce,
                &[
                    "email",
                    "name",
                    "preferred_username",
                    oidc.groups_claim.as_str(),
                ],
                now,
            )
            .await?;
        let identity = Identity::from_claims(&connection, claims)
            .map_err(|reason| refused(reason, "the identity is not allowed by the connection"))?;
        let mut logged_in = self
            .open_session(&connection, identity, &oidc.groups_claim, now)
            .await?;
        logged_in.return_to = login.return_to.clone();
        Ok(logged_in)
    }

    /// A verified identity's session through `connection` (any protocol): the scopes
    /// its rules give, the principal created or updated (refused if disabled), the
    /// session record and token, and the writes to commit with the caller's audit
    /// event.
    pub async fn open_session(
        &self,
        connection: &SsoConnection,
        identity: Identity,
        groups_claim: &str,
        now: OffsetDateTime,
    ) -> Result<LoggedIn, SsoError> {
        let scopes = mapped_scopes(
            &connection.rules,
            &connection.default_scopes,
            groups_claim,
            &identity.claims,
            &identity.groups,
        );
        let existing = self
            .principals
            .by_identity(&connection.tenant_id, &identity.issuer, &identity.subject)
            .await?;
        let first_login = existing.is_none();
        let principal = match existing {
            Some(p) if p.disabled => {
                return Err(refused(
                    LoginRefusal::PrincipalDisabled,
                    "the principal is disabled",
                ));
            }
            Some(p) => Principal {
                email: identity.email.clone(),
                name: identity.name.clone(),
                groups: identity.groups.clone(),
                scopes: scopes.clone(),
                claims: identity.claims.clone(),
                connection_id: connection.connection_id.clone(),
                last_login: now,
                version: p.version + 1,
                ..p
            },
            None => Principal {
                tenant_id: connection.tenant_id.clone(),
                principal_id: gatehouse_domain::ids::PrincipalId::generate()
                    .map_err(|e| refused(LoginRefusal::ProviderError, format!("random: {e}")))?
                    .to_string(),
                issuer: identity.issuer.clone(),
                subject: identity.subject.clone(),
                connection_id: connection.connection_id.clone(),
                email: identity.email.clone(),
                name: identity.name.clone(),
                groups: identity.groups.clone(),
                scopes: scopes.clone(),
                claims: identity.claims.clone(),
                disabled: false,
                sessions: Vec::new(),
                first_login: now,
                last_login: now,
                version: 1,
            },
        };
        let mut principal = principal;
        let session_id = KeyId::generate()
            .map_err(|e| refused(LoginRefusal::ProviderError, format!("random: {e}")))?;
        let refreshable_until =
            now + time::Duration::hours(i64::from(connection.session_hours.max(1)));
        let refresh_token = RefreshToken::generate(&connection.tenant_id, &session_id)?;
        principal.opened(
            crate::store::sso_table::ActiveSession {
                session_id: session_id.to_string(),
                expires_at: refreshable_until,
            },
            now,
        );
        let mut batch = WriteBatch::default();
        self.principals.put(&mut batch, &principal)?;
        let session = SessionRecord {
            tenant_id: connection.tenant_id.clone(),
            session_id: session_id.to_string(),
            principal_id: principal.principal_id.clone(),
            connection_id: connection.connection_id.clone(),
            scopes,
            expires_at: token_expiry(now, refreshable_until),
            refreshable_until: Some(refreshable_until),
            refresh_digest: refresh_token.digest(),
            previous_refresh_digest: None,
            refreshes: 0,
            revoked_at: None,
            revision: 0,
        };
        // The session commits with the principal (and the caller's audit event).
        self.ephemeral.add_session(&mut batch, &session)?;
        let token = self.sign_session(&session, now).await?;
        Ok(LoggedIn {
            token,
            refresh_token,
            session,
            principal,
            first_login,
            return_to: None,
            batch,
        })
    }

    /// The session token of `session`: its principal, tenant, scopes and expiry.
    pub(crate) async fn sign_session(
        &self,
        session: &SessionRecord,
        issued_at: OffsetDateTime,
    ) -> Result<String, SsoError> {
        Ok(self
            .signer
            .sign(&SessionClaims {
                iss: self.signer.issuer().to_owned(),
                aud: AUDIENCE.to_owned(),
                sub: session.principal_id.clone(),
                tid: session.tenant_id.to_string(),
                sid: session.session_id.clone(),
                conn: session.connection_id.to_string(),
                scope: session.scopes.join(" "),
                iat: issued_at.unix_timestamp(),
                exp: session.expires_at.unix_timestamp(),
            })
            .await?)
    }
}
