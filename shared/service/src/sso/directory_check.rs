//! The scheduled directory check: every enabled LDAP connection's principals are
//! looked up in their directory as the service account (`ldap::look_up`), between
//! logins:
//!
//! * still there: their groups and mapped scopes are brought up to date, and when the
//!   scopes changed, their keys follow (`keys::permission_sync`);
//! * gone, or disabled in Active Directory: the principal is disabled (audited as
//!   `principal.disable` by `system:directory-check`), its sessions end, and its keys
//!   are disabled.
//!
//! A directory that cannot be reached, or answers ambiguously, changes nothing: its
//! connection is skipped until the next run and counted as unreachable.

use super::ldap::{Standing, look_up};
use crate::App;
use crate::audit::{Actor, AuditEvent, Origin, TargetKind};
use crate::keys::permission_sync::{SyncCause, sync_key_permissions};
use crate::store::sso_table::Principal;
use crate::store::{StoreError, WriteBatch};
use gatehouse_domain::sso::{SsoConnection, mapped_scopes};
use serde_json::Value;
use time::OffsetDateTime;

/// Who the audit trail names for the check's own changes.
pub const CHECKER: &str = "directory-check";

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DirectorySummary {
    pub connections: usize,
    /// Connections whose directory could not be used this run.
    pub unreachable: usize,
    pub principals: usize,
    /// Principals whose groups or scopes changed.
    pub updated: usize,
    /// Principals disabled: gone from the directory, or disabled there.
    pub disabled: usize,
    pub keys_narrowed: usize,
    pub keys_disabled: usize,
}

pub async fn check_directories(app: &App, now: OffsetDateTime) -> Result<DirectorySummary, String> {
    let mut summary = DirectorySummary::default();
    let mut start = None;
    loop {
        let (page, next) = app
            .sso
            .connections
            .scan_ldap(start)
            .await
            .map_err(|e| e.to_string())?;
        for connection in page.iter().filter(|c| c.enabled) {
            summary.connections += 1;
            if let Err(e) = check_connection(app, connection, now, &mut summary).await {
                summary.unreachable += 1;
                tracing::warn!(
                    tenant_id = %connection.tenant_id,
                    connection_id = %connection.connection_id,
                    error = %e,
                    "directory not checked"
                );
            }
        }
        start = next;
        if start.is_none() {
            return Ok(summary);
        }
    }
}

/// Checks one connection's principals; an error leaves the rest for the next run.
async fn check_connection(
    app: &App,
    connection: &SsoConnection,
    now: OffsetDateTime,
    summary: &mut DirectorySummary,
) -> Result<(), String> {
    let Some(config) = connection.ldap() else {
        return Ok(());
    };
    let bind_password = app
        .sso
        .bind_password(&app.secrets, connection, config)
        .await
        .map_err(|e| e.to_string())?;
    let principals: Vec<Principal> = app
        .sso
        .principals
        .list(&connection.tenant_id)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|p| p.connection_id == connection.connection_id && !p.disabled)
        .collect();
    for principal in principals {
        summary.principals += 1;
        let standing = look_up(
            config,
            &bind_password,
            &principal.subject,
            &app.sso.ldap_allow,
        )
        .await
        .map_err(|e| e.to_string())?;
        let changed = match standing {
            Standing::Present(user) => refreshed(connection, &principal, user),
            Standing::Gone => Some(disabled(&principal, "no longer found in the directory")),
            Standing::Disabled => Some(disabled(&principal, "disabled in the directory")),
        };
        let Some((next, why)) = changed else {
            continue;
        };
        match commit(app, &principal, &next, &why, now).await {
            Ok(()) => {}
            // Changed meanwhile (a login): the next run looks again.
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.to_string()),
        }
        if next.disabled {
            summary.disabled += 1;
            end_sessions(app, &next, now)
                .await
                .map_err(|e| e.to_string())?;
        } else {
            summary.updated += 1;
        }
        let cause = SyncCause::system("directory_check", Origin::default());
        let report = sync_key_permissions(app, &next, &cause, now)
            .await
            .map_err(|e| e.to_string())?;
        summary.keys_narrowed += report.narrowed.len();
        summary.keys_disabled += report.disabled.len();
    }
    Ok(())
}

/// The principal with the directory's groups and the scopes they map to now, if
/// anything changed, and why.
fn refreshed(
    connection: &SsoConnection,
    principal: &Principal,
    user: super::ldap::DirectoryUser,
) -> Option<(Principal, String)> {
    let mut claims = principal.claims.clone();
    claims.insert("dn".into(), Value::String(user.dn.clone()));
    claims.insert(
        "groups".into(),
        Value::Array(user.groups.iter().cloned().map(Value::String).collect()),
    );
    let scopes = mapped_scopes(
        &connection.rules,
        &connection.default_scopes,
        "groups",
        &claims,
        &user.groups,
    );
    if scopes == principal.scopes && user.groups == principal.groups {
        return None;
    }
    let why = format!(
        "directory groups now {:?}; scopes {:?} (were {:?})",
        user.groups, scopes, principal.scopes
    );
    Some((
        Principal {
            groups: user.groups,
            scopes,
            claims,
            email: user.email.or_else(|| principal.email.clone()),
            name: user.name.or_else(|| principal.name.clone()),
            version: principal.version + 1,
            ..principal.clone()
        },
        why,
    ))
}

fn disabled(principal: &Principal, why: &str) -> (Principal, String) {
    (
        Principal {
            disabled: true,
            version: principal.version + 1,
            ..principal.clone()
        },
        why.to_owned(),
    )
}

/// The principal's new version with its audit event.
async fn commit(
    app: &App,
    before: &Principal,
    next: &Principal,
    why: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let action = if next.disabled && !before.disabled {
        "principal.disable"
    } else {
        "principal.update"
    };
    let audit = AuditEvent::new(
        &next.tenant_id,
        action,
        Actor {
            principal: format!("system:{CHECKER}"),
            key_id: None,
        },
        Origin::default(),
        now,
    )
    .target(TargetKind::Principal, next.principal_id.as_str())
    .detail(format!("directory check: {why}"));
    let mut batch = WriteBatch::new();
    app.sso.principals.put(&mut batch, next)?;
    app.audit.add_to(&mut batch, &audit)?;
    app.dynamo.commit(batch).await
}

/// Ends a disabled principal's live sessions (the authorizer refuses their tokens
/// within the revocation bound).
async fn end_sessions(
    app: &App,
    principal: &Principal,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    for active in principal.sessions.iter().filter(|s| s.expires_at > now) {
        if let Some(session) = app
            .sso
            .ephemeral
            .session(&principal.tenant_id, &active.session_id)
            .await?
        {
            app.sso.ephemeral.revoke_session(&session, now).await?;
        }
    }
    Ok(())
}
