//! Single sign-on records:
//!
//! - connections, in the integrations table (`sk = INTEGRATION#sso#<id>`), client
//!   secrets only sealed or by reference;
//! - principals, in the keys table: `PRINCIPAL#<id>`, and `IDENTITY#<digest of issuer
//!   and subject>` naming it, written together so one identity is one principal;
//! - login states and sessions, in the ephemeral table (TTL'd): `SSOSTATE#<state>`
//!   and SAML's `SAMLREQUEST#<request id>`, each taken once by a delete, SAML's
//!   replay cache `SAMLASSERTION#<digest>`, and `SESSION#<tenant>#<session id>`.

use super::item::{self, Item, Reader};
use super::{StoreError, WriteBatch};
use crate::ids::TenantId;
use aws_sdk_dynamodb::types::ReturnValue;
use gatehouse_domain::ids::IntegrationId;
use gatehouse_domain::sso::SsoConnection;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

const CONNECTION_PREFIX: &str = "INTEGRATION#sso#";

fn connection_sk(id: &IntegrationId) -> String {
    format!("{CONNECTION_PREFIX}{id}")
}

crate::dynamo::repository!(
    /// A tenant's SSO connections (`sk = INTEGRATION#sso#<id>`).
    SsoConnections
);

impl SsoConnections {
    fn item(c: &SsoConnection) -> Result<Item, StoreError> {
        Ok(item::from_pairs([
            ("tenant_id", item::s(c.tenant_id.as_str())),
            ("sk", item::s(connection_sk(&c.connection_id))),
            ("kind", item::s("sso")),
            ("protocol", item::s(c.protocol_name())),
            ("connection", item::json(c)?),
            ("version", item::n(c.version as i64)),
        ]))
    }

    fn decode(item: &Item) -> Result<SsoConnection, StoreError> {
        Reader::new(item).json("connection")
    }

    pub async fn get(
        &self,
        tenant: &TenantId,
        id: &IntegrationId,
    ) -> Result<Option<SsoConnection>, StoreError> {
        self.table
            .get_item(tenant, connection_sk(id))
            .await?
            .map(|i| Self::decode(&i))
            .transpose()
    }

    pub async fn list(&self, tenant: &TenantId) -> Result<Vec<SsoConnection>, StoreError> {
        self.table
            .query_prefix(tenant, CONNECTION_PREFIX)
            .await?
            .iter()
            .map(Self::decode)
            .collect()
    }

    /// One page of every tenant's SAML connections (the scheduled upkeep's scan).
    pub async fn scan_saml(
        &self,
        start: Option<Item>,
    ) -> Result<(Vec<SsoConnection>, Option<Item>), StoreError> {
        self.scan_protocol("saml", start).await
    }

    /// One page of every tenant's LDAP connections (the scheduled directory check).
    pub async fn scan_ldap(
        &self,
        start: Option<Item>,
    ) -> Result<(Vec<SsoConnection>, Option<Item>), StoreError> {
        self.scan_protocol("ldap", start).await
    }

    async fn scan_protocol(
        &self,
        protocol: &str,
        start: Option<Item>,
    ) -> Result<(Vec<SsoConnection>, Option<Item>), StoreError> {
        let out = self
            .client()
            .scan()
            .table_name(self.table())
            .filter_expression("kind = :sso AND protocol = :protocol")
            .expression_attribute_values(":sso", item::s("sso"))
            .expression_attribute_values(":protocol", item::s(protocol))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let connections = out
            .items
            .unwrap_or_default()
            .iter()
            .map(Self::decode)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((connections, out.last_evaluated_key))
    }

    /// A new connection (`version` 1), or a changed one (`version` one more than stored).
    pub fn put(&self, batch: &mut WriteBatch, c: &SsoConnection) -> Result<(), StoreError> {
        batch.put_revision(self.table(), Self::item(c)?, c.version - 1)
    }

    pub fn delete(&self, batch: &mut WriteBatch, c: &SsoConnection) -> Result<(), StoreError> {
        let key = item::from_pairs([
            ("tenant_id", item::s(c.tenant_id.as_str())),
            ("sk", item::s(connection_sk(&c.connection_id))),
        ]);
        batch.delete_if_version(self.table(), key, c.version)
    }
}

/// A login between its start and its callback. Holds the PKCE verifier, so it lives
/// only in the ephemeral table, for [`LOGIN_STATE_SECONDS`], and is taken once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginState {
    pub tenant_id: TenantId,
    pub connection_id: IntegrationId,
    pub nonce: String,
    pub pkce_verifier: String,
    /// The redirect URI the authorization request named; the token request repeats it.
    pub redirect_uri: String,
    pub return_to: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// A SAML login between its AuthnRequest and the response (`SAMLREQUEST#<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlRequest {
    pub request_id: String,
    pub tenant_id: TenantId,
    pub connection_id: IntegrationId,
    pub return_to: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// How long a started login may take to come back.
pub const LOGIN_STATE_SECONDS: i64 = 600;

crate::dynamo::repository!(
    /// Logins in progress (`pk = SSOSTATE#<state>`), and sessions
    /// (`pk = SESSION#<tenant>#<session id>`), in the ephemeral table.
    SsoEphemeral
);

/// A session a login opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub tenant_id: TenantId,
    pub session_id: String,
    pub principal_id: String,
    pub connection_id: IntegrationId,
    pub scopes: Vec<String>,
    /// When the current session token expires.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Until when the session may be refreshed (none: not at all); the record lives
    /// until then.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub refreshable_until: Option<OffsetDateTime>,
    /// SHA-256 (hex) of the refresh token that may refresh the session now, and of the
    /// one it replaced (presented again, it shows a stolen token).
    #[serde(default)]
    pub refresh_digest: String,
    #[serde(default)]
    pub previous_refresh_digest: Option<String>,
    /// How many times the session was refreshed.
    #[serde(default)]
    pub refreshes: u32,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// One more at every write: a refresh replaces exactly the record it read, so it
    /// never undoes a logout that came between. Stored as the item's own `revision`
    /// attribute (conditions read it there), not in the JSON.
    #[serde(skip)]
    pub revision: u64,
}

fn session_pk(tenant: &TenantId, session_id: &str) -> String {
    format!("SESSION#{tenant}#{session_id}")
}

fn session_item(session: &SessionRecord) -> Result<Item, StoreError> {
    Ok(item::from_pairs([
        (
            "pk",
            item::s(session_pk(&session.tenant_id, &session.session_id)),
        ),
        ("session", item::json(session)?),
        ("revision", item::n(session.revision as i64)),
        // The TTL: the record outlives each token until the session can no longer be
        // refreshed.
        (
            "expires_at",
            item::time(session.refreshable_until.unwrap_or(session.expires_at)),
        ),
    ]))
}

impl SsoEphemeral {
    pub async fn put_state(&self, state: &str, login: &LoginState) -> Result<(), StoreError> {
        self.put_once(
            &format!("SSOSTATE#{state}"),
            "login",
            login,
            login.expires_at,
        )
        .await
    }

    /// The login `state` started, removed in the same call: a second callback with the
    /// same state finds nothing. An expired one (TTL deletion lags) counts as none.
    pub async fn take_state(
        &self,
        state: &str,
        now: OffsetDateTime,
    ) -> Result<Option<LoginState>, StoreError> {
        let login: Option<LoginState> = self.take(&format!("SSOSTATE#{state}"), "login").await?;
        Ok(login.filter(|l| l.expires_at > now))
    }

    /// Remembers a SAML AuthnRequest until its response comes back.
    pub async fn put_saml_request(&self, request: &SamlRequest) -> Result<(), StoreError> {
        self.put_once(
            &format!("SAMLREQUEST#{}", request.request_id),
            "request",
            request,
            request.expires_at,
        )
        .await
    }

    /// The AuthnRequest `request_id` names, removed in the same call (one response per
    /// request); an expired one counts as none.
    pub async fn take_saml_request(
        &self,
        request_id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<SamlRequest>, StoreError> {
        let request: Option<SamlRequest> = self
            .take(&format!("SAMLREQUEST#{request_id}"), "request")
            .await?;
        Ok(request.filter(|r| r.expires_at > now))
    }

    /// Claims a SAML assertion for one login until `keep_until` (past its validity, so
    /// the TTL never frees an id that could still be presented): `false` if it was
    /// claimed before, a replay. Keyed by a digest of the connection, the IdP and the
    /// assertion id.
    pub async fn claim_assertion(
        &self,
        tenant: &TenantId,
        connection: &IntegrationId,
        issuer: &str,
        assertion_id: &str,
        keep_until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut digest = Sha256::new();
        for part in [tenant.as_str(), connection.as_str(), issuer, assertion_id] {
            digest.update((part.len() as u64).to_be_bytes());
            digest.update(part.as_bytes());
        }
        let result = self
            .client()
            .put_item()
            .table_name(self.table())
            .item(
                "pk",
                item::s(format!("SAMLASSERTION#{}", item::hex(&digest.finalize()))),
            )
            .item("expires_at", item::time(keep_until))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        crate::applied(result)
    }

    /// Stores `value` (as JSON in attribute `field`) under `pk` until `expires_at`,
    /// never over an existing item.
    async fn put_once<T: Serialize>(
        &self,
        pk: &str,
        field: &str,
        value: &T,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.client()
            .put_item()
            .table_name(self.table())
            .item("pk", item::s(pk))
            .item(field, item::json(value)?)
            .item("expires_at", item::time(expires_at))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// The record under `pk` (attribute `field`), deleted in the same call.
    async fn take<T: serde::de::DeserializeOwned>(
        &self,
        pk: &str,
        field: &str,
    ) -> Result<Option<T>, StoreError> {
        let out = self
            .client()
            .delete_item()
            .table_name(self.table())
            .key("pk", item::s(pk))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        out.attributes
            .map(|old| Reader::new(&old).json(field))
            .transpose()
    }

    /// Stores a session on its own.
    pub async fn put_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        self.client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(session_item(session)?))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// Adds a new session to `batch` (a login's, with its principal and audit event).
    pub fn add_session(
        &self,
        batch: &mut WriteBatch,
        session: &SessionRecord,
    ) -> Result<(), StoreError> {
        batch.put_new(self.table(), session_item(session)?, "pk")
    }

    pub async fn session(
        &self,
        tenant: &TenantId,
        session_id: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(self.table())
            .key("pk", item::s(session_pk(tenant, session_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        out.item.map(|i| decode_session(&i)).transpose()
    }

    /// Adds to `batch` the replacement of `current` (as read) by `next`, a refresh:
    /// the commit fails (`Conflict`) if the record changed since it was read (another
    /// refresh, a logout).
    pub fn replace_session(
        &self,
        batch: &mut WriteBatch,
        current: &SessionRecord,
        next: &SessionRecord,
    ) -> Result<(), StoreError> {
        let mut next = next.clone();
        next.revision = current.revision + 1;
        batch.put_if(
            self.table(),
            session_item(&next)?,
            "revision = :read AND attribute_not_exists(revoked_at)",
            [(":read", item::n(current.revision as i64))],
        )
    }

    /// Marks a session revoked (logout, an admin ending it); `false` if there is no
    /// such session. One update, read nowhere: the revision it bumps makes a refresh
    /// that read the record before fail its condition, so it cannot undo this.
    pub async fn revoke_session(
        &self,
        session: &SessionRecord,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .key(
                "pk",
                item::s(session_pk(&session.tenant_id, &session.session_id)),
            )
            .update_expression(
                "SET revoked_at = if_not_exists(revoked_at, :now), revision = if_not_exists(revision, :zero) + :one",
            )
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", item::time(now))
            .expression_attribute_values(":zero", item::n(0))
            .expression_attribute_values(":one", item::n(1))
            .send()
            .await;
        crate::applied(result)
    }
}

/// A session item: its record, with the revocation the top-level `revoked_at` holds.
fn decode_session(item: &Item) -> Result<SessionRecord, StoreError> {
    let reader = Reader::new(item);
    let mut session: SessionRecord = reader.json("session")?;
    if let Some(at) = reader.opt_time("revoked_at")? {
        session.revoked_at.get_or_insert(at);
    }
    if let Some(revision) = reader.number("revision")? {
        session.revision = revision;
    }
    Ok(session)
}

/// A person known through SSO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub tenant_id: TenantId,
    pub principal_id: String,
    pub issuer: String,
    pub subject: String,
    pub connection_id: IntegrationId,
    pub email: Option<String>,
    pub name: Option<String>,
    pub groups: Vec<String>,
    pub scopes: Vec<String>,
    /// The ID token's claims at the last login, for the tenant's own use.
    pub claims: serde_json::Map<String, serde_json::Value>,
    pub disabled: bool,
    /// The sessions its logins opened that may still be live (disabling ends them).
    #[serde(default)]
    pub sessions: Vec<ActiveSession>,
    #[serde(with = "time::serde::rfc3339")]
    pub first_login: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_login: OffsetDateTime,
    pub version: u64,
}

/// A session a principal's login opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveSession {
    pub session_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// The most sessions a principal record remembers (the newest).
pub const MAX_ACTIVE_SESSIONS: usize = 50;

impl Principal {
    /// Remembers a new session, forgetting the ones expired by `now`.
    pub fn opened(&mut self, session: ActiveSession, now: OffsetDateTime) {
        self.sessions.retain(|s| s.expires_at > now);
        self.sessions.push(session);
        if self.sessions.len() > MAX_ACTIVE_SESSIONS {
            let extra = self.sessions.len() - MAX_ACTIVE_SESSIONS;
            self.sessions.drain(..extra);
        }
    }
}

/// The identity item's key: a digest, so issuers and subjects of any length fit.
fn identity_sk(issuer: &str, subject: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [issuer, subject] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    format!("IDENTITY#{}", item::hex(&hasher.finalize()))
}

fn principal_sk(id: &str) -> String {
    format!("PRINCIPAL#{id}")
}

crate::dynamo::repository!(
    /// Principals (`PRINCIPAL#<id>`) and their identities (`IDENTITY#<digest>`), in the
    /// keys table.
    Principals
);

impl Principals {
    pub async fn get(
        &self,
        tenant: &TenantId,
        principal_id: &str,
    ) -> Result<Option<Principal>, StoreError> {
        self.table
            .get_item(tenant, principal_sk(principal_id))
            .await?
            .map(|i| Reader::new(&i).json("principal"))
            .transpose()
    }

    /// The principal of an identity, if it logged in before.
    pub async fn by_identity(
        &self,
        tenant: &TenantId,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<Principal>, StoreError> {
        let Some(link) = self
            .table
            .get_item(tenant, identity_sk(issuer, subject))
            .await?
        else {
            return Ok(None);
        };
        let id = Reader::new(&link).str("principal_id")?.to_owned();
        self.get(tenant, &id).await
    }

    pub async fn list(&self, tenant: &TenantId) -> Result<Vec<Principal>, StoreError> {
        self.table
            .query_prefix(tenant, "PRINCIPAL#")
            .await?
            .iter()
            .map(|i| Reader::new(i).json("principal"))
            .collect()
    }

    /// A first login: the principal and its identity item, both new. A changed one:
    /// `version` one more than stored.
    pub fn put(&self, batch: &mut WriteBatch, p: &Principal) -> Result<(), StoreError> {
        let record = item::from_pairs([
            ("tenant_id", item::s(p.tenant_id.as_str())),
            ("sk", item::s(principal_sk(&p.principal_id))),
            ("principal", item::json(p)?),
            ("version", item::n(p.version as i64)),
        ]);
        if p.version == 1 {
            let link = item::from_pairs([
                ("tenant_id", item::s(p.tenant_id.as_str())),
                ("sk", item::s(identity_sk(&p.issuer, &p.subject))),
                ("principal_id", item::s(&p.principal_id)),
            ]);
            batch.put_new(self.table(), link, "tenant_id")?;
        }
        batch.put_revision(self.table(), record, p.version - 1)
    }
}
