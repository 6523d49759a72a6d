//! Refreshing a session: a login hands out a session token (15 minutes) and a refresh
//! token, good until the connection's `session_hours` have passed. Each refresh gives
//! a new pair and retires the old refresh token; the old one presented again means two
//! parties hold it, so the session ends (refresh token rotation with reuse detection,
//! as OAuth 2.0 Security BCP section 4.14 describes).
//!
//! Only a digest of the refresh token is stored. The token names its tenant and
//! session, so a refresh reads one record.

use super::login::{Sso, SsoError, refused};
use super::session::MAX_SESSION_SECONDS;
use crate::store::WriteBatch;
use crate::store::sso_table::SessionRecord;
use gatehouse_domain::ids::{ID_LEN, KeyId, TenantId};
use gatehouse_domain::keys::base62;
use gatehouse_domain::sso::LoginRefusal;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use zeroize::Zeroizing;

const PREFIX: &str = "gsr_";
/// The random part: 43 base62 characters, 256 bits.
const SECRET_LEN: usize = 43;
const TOKEN_LEN: usize = PREFIX.len() + 2 * ID_LEN + SECRET_LEN;

/// A refresh token: `gsr_`, the tenant id, the session id, and the random part.
#[derive(Clone)]
pub struct RefreshToken {
    text: Zeroizing<String>,
    tenant: TenantId,
    session_id: KeyId,
}

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshToken(..)")
    }
}

impl RefreshToken {
    pub fn generate(tenant: &TenantId, session_id: &KeyId) -> Result<Self, SsoError> {
        let secret = Zeroizing::new(
            base62::random_string(SECRET_LEN)
                .map_err(|e| refused(LoginRefusal::ProviderError, format!("random: {e}")))?,
        );
        Ok(Self {
            text: Zeroizing::new(format!("{PREFIX}{tenant}{session_id}{}", secret.as_str())),
            tenant: tenant.clone(),
            session_id: session_id.clone(),
        })
    }

    /// A token of the right shape; `None` for anything else (checked before any read).
    pub fn parse(text: &str) -> Option<Self> {
        let body = text.strip_prefix(PREFIX)?;
        if text.len() != TOKEN_LEN || !base62::is_base62(body) {
            return None;
        }
        Some(Self {
            tenant: TenantId::parse(&body[..ID_LEN]).ok()?,
            session_id: KeyId::parse(&body[ID_LEN..2 * ID_LEN]).ok()?,
            text: Zeroizing::new(text.to_owned()),
        })
    }

    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    pub fn session_id(&self) -> &KeyId {
        &self.session_id
    }

    /// What is stored: SHA-256, hex. The token is 256 random bits, so a plain digest
    /// (no salt, no slow hash) cannot be reversed.
    pub fn digest(&self) -> String {
        crate::store::item::hex(&Sha256::digest(self.text.as_bytes()))
    }

    pub fn expose(&self) -> &str {
        &self.text
    }
}

fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// What a refresh presented token matched in the stored session.
#[derive(Debug, PartialEq, Eq)]
pub enum Presented {
    Current,
    /// The token this session's last refresh retired.
    Retired,
    Unknown,
}

pub fn match_token(session: &SessionRecord, token: &RefreshToken) -> Presented {
    let digest = token.digest();
    if !session.refresh_digest.is_empty() && same_digest(&session.refresh_digest, &digest) {
        Presented::Current
    } else if session
        .previous_refresh_digest
        .as_deref()
        .is_some_and(|old| same_digest(old, &digest))
    {
        Presented::Retired
    } else {
        Presented::Unknown
    }
}

/// The scopes a refreshed session keeps: its own, less any its principal has lost
/// since (a later login with fewer groups). A refresh never adds a scope.
pub fn kept_scopes(session: &[String], principal: &[String]) -> Vec<String> {
    session
        .iter()
        .filter(|s| principal.contains(s))
        .cloned()
        .collect()
}

/// When a session token issued at `now` expires: 15 minutes, never past the session.
pub fn token_expiry(now: OffsetDateTime, refreshable_until: OffsetDateTime) -> OffsetDateTime {
    (now + time::Duration::seconds(MAX_SESSION_SECONDS)).min(refreshable_until)
}

/// A refreshed session: the new pair, the record as it will be stored, and the write
/// to commit with the caller's audit event (`Conflict`: the session changed since it
/// was read, by another refresh or a logout).
pub struct Refreshed {
    pub token: String,
    pub refresh_token: RefreshToken,
    pub session: SessionRecord,
    pub batch: WriteBatch,
}

impl Sso {
    /// Refreshes the session `presented` belongs to. Refused when the token is not the
    /// session's current one, the session has ended or run its course, or its
    /// principal or connection is disabled. A retired token ends the session.
    pub async fn refresh(
        &self,
        presented: &RefreshToken,
        now: OffsetDateTime,
    ) -> Result<Refreshed, SsoError> {
        let tenant = presented.tenant();
        let session_id = presented.session_id();
        let Some(session) = self.ephemeral.session(tenant, session_id.as_str()).await? else {
            return Err(refused(LoginRefusal::TokenInvalid, "no such session"));
        };
        match match_token(&session, presented) {
            Presented::Current => {}
            Presented::Retired => {
                self.ephemeral.revoke_session(&session, now).await?;
                return Err(refused(
                    LoginRefusal::RefreshReused,
                    format!(
                        "a retired refresh token of session {session_id} was presented; the session is ended"
                    ),
                ));
            }
            Presented::Unknown => {
                return Err(refused(
                    LoginRefusal::TokenInvalid,
                    "not this session's refresh token",
                ));
            }
        }
        if session.revoked_at.is_some() {
            return Err(refused(LoginRefusal::SessionEnded, "the session was ended"));
        }
        let until = session.refreshable_until.unwrap_or(session.expires_at);
        if until <= now {
            return Err(refused(
                LoginRefusal::Expired,
                "the session ran its course; log in again",
            ));
        }
        let principal = self
            .principals
            .get(tenant, &session.principal_id)
            .await?
            .ok_or_else(|| refused(LoginRefusal::PrincipalDisabled, "the principal is gone"))?;
        if principal.disabled {
            return Err(refused(
                LoginRefusal::PrincipalDisabled,
                "the principal is disabled",
            ));
        }
        match self.connections.get(tenant, &session.connection_id).await? {
            Some(c) if c.enabled => {}
            _ => {
                return Err(refused(
                    LoginRefusal::ConnectionDisabled,
                    "the connection is disabled or deleted",
                ));
            }
        }
        let refresh_token = RefreshToken::generate(tenant, session_id)?;
        let next = SessionRecord {
            scopes: kept_scopes(&session.scopes, &principal.scopes),
            expires_at: token_expiry(now, until),
            previous_refresh_digest: Some(session.refresh_digest.clone()),
            refresh_digest: refresh_token.digest(),
            refreshes: session.refreshes + 1,
            ..session.clone()
        };
        let mut batch = WriteBatch::new();
        self.ephemeral
            .replace_session(&mut batch, &session, &next)?;
        let token = self.sign_session(&next, now).await?;
        Ok(Refreshed {
            token,
            refresh_token,
            session: next,
            batch,
        })
    }
}

#[cfg(test)]
#[path = "tests/refresh.rs"]
mod tests;
