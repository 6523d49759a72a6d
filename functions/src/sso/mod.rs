//! Single sign-on routes: a tenant's OpenID Connect connections
//! (`/v2/integrations/sso`), the public login and callback that end in a session
//! token (`/v2/sso/...`), logout, and the session keys (`/v2/.well-known/jwks.json`).
pub mod callback;
pub mod create;
pub mod delete;
pub mod directory_check;
pub mod discover;
pub mod get;
pub mod jwks;
pub mod ldap_login;
pub mod list;
pub mod login;
pub mod logout;
pub mod providers;
pub mod refresh;
pub mod saml_acs;
pub mod saml_metadata;
pub mod test;
pub mod update;
pub mod verify_domains;

use gatehouse::App;
use gatehouse::audit::{Actor, AuditEvent, Origin};
use gatehouse::events::{Category, DomainEvent};
use gatehouse::http::Problem;
use gatehouse::ids::TenantId;
use gatehouse::keys::permission_sync::{SyncCause, sync_key_permissions};
use gatehouse::sso::{LoggedIn, SsoError};
use gatehouse::telemetry::metrics;
use lambda_http::{Body, Response};

/// A refused login or refresh: audited in the tenant with what was wrong, published as
/// the security event `event_type` with its reason code, and answered with only the
/// reason code (the caller learns nothing the audit trail keeps).
pub async fn refused(
    app: &App,
    tenant: &TenantId,
    protocol: &'static str,
    action: &str,
    event_type: &str,
    origin: Origin,
    err: SsoError,
) -> Response<Body> {
    let reason = match &err {
        SsoError::Refused { reason, .. } => Some(*reason),
        _ => None,
    };
    let why = err.to_string();
    let outcome = reason.map_or("error", |reason| reason.as_str());
    metrics::count(
        metrics::SSO_LOGINS,
        &[("Protocol", protocol), ("Outcome", outcome)],
    );
    let problem = Problem::from(err);
    let audit = AuditEvent::new(
        tenant,
        action,
        Actor {
            principal: "anonymous".into(),
            key_id: None,
        },
        origin.clone(),
        app.clock.precise_now(),
    )
    .refused(problem.status, format!("{} ({why})", problem.detail));
    let audit = match reason {
        Some(reason) => {
            tracing::warn!(tenant_id = %tenant, action, reason = reason.as_str(), "SSO refused");
            let event = DomainEvent::new(
                event_type,
                Category::Security,
                tenant,
                app.clock.now(),
                serde_json::json!({
                    "reason": reason.as_str(),
                    "source_ip": origin.source_ip,
                    "user_agent": origin.user_agent,
                    "audit_event_id": audit.event_id,
                }),
            );
            audit.publishing(event)
        }
        None => audit,
    };
    if let Err(e) = app.audit.put(&audit).await {
        tracing::error!(error = %e, action, "refusal not audited");
    }
    problem.into_response()
}

/// Answers a browser login that ended (OpenID Connect callback, SAML ACS): the
/// session, or the refusal, audited and counted under `protocol`.
pub async fn answer_login(
    app: &App,
    tenant: &TenantId,
    origin: Origin,
    outcome: Result<LoggedIn, SsoError>,
    (protocol, how): (&'static str, &str),
) -> Response<Body> {
    match outcome {
        Ok(logged_in) => {
            match record_login(app, tenant, origin, logged_in, (protocol, how)).await {
                Ok((session, return_to)) => callback::answer_with(&session, return_to.as_deref()),
                Err(problem) => problem.into_response(),
            }
        }
        Err(err) => {
            let action = callback::ACTION;
            refused(
                app,
                tenant,
                protocol,
                action,
                "sso.login_failed",
                origin,
                err,
            )
            .await
        }
    }
}

/// Commits a login (its principal and session, with the `sso.login` audit event that
/// says who logged in, `how`, and with which scopes): the session to answer with, and
/// where the login returns to.
pub async fn record_login(
    app: &App,
    tenant: &TenantId,
    origin: Origin,
    logged_in: LoggedIn,
    (protocol, how): (&'static str, &str),
) -> Result<(callback::Session, Option<String>), Problem> {
    let principal = &logged_in.principal;
    let sync_origin = origin.clone();
    let audit = AuditEvent::new(
        tenant,
        callback::ACTION,
        Actor {
            principal: format!("sso:{}", principal.principal_id),
            key_id: None,
        },
        origin,
        app.clock.precise_now(),
    )
    .target(
        gatehouse::audit::TargetKind::Integration,
        principal.connection_id.as_str(),
    )
    .status(200)
    .detail(format!(
        "{} ({}) logged in{how}; session {}; scopes: {}",
        principal.email.as_deref().unwrap_or("no email"),
        if logged_in.first_login {
            "first login"
        } else {
            "again"
        },
        logged_in.session.session_id,
        logged_in.session.scopes.join(" ")
    ));
    let mut batch = logged_in.batch;
    app.audit.add_to(&mut batch, &audit)?;
    app.dynamo.commit(batch).await?;
    metrics::count(
        metrics::SSO_LOGINS,
        &[("Protocol", protocol), ("Outcome", "success")],
    );
    // The login mapped the principal's scopes afresh: its keys follow. A failure does
    // not undo the login (the session already carries the new scopes); the next
    // login, directory check or an administrator's sync catches the keys up.
    let cause = SyncCause::system("login", sync_origin);
    if let Err(e) = sync_key_permissions(app, &logged_in.principal, &cause, app.clock.now()).await {
        tracing::error!(error = %e, principal_id = %logged_in.principal.principal_id, "key permissions not synced at login");
    }
    let session = callback::Session::of(
        logged_in.token,
        &logged_in.refresh_token,
        &logged_in.session,
        logged_in.first_login,
    );
    Ok((session, logged_in.return_to))
}

/// The connection a public SSO path names (`/v2/sso/{tenant_id}/{integration_id}/...`):
/// a 404 when either id is malformed or there is no such connection.
pub async fn path_connection(
    app: &App,
    req: &lambda_http::Request,
) -> Result<gatehouse::sso_domain::SsoConnection, Problem> {
    use lambda_http::RequestExt;
    let param = |name: &str| {
        req.path_parameters_ref()
            .and_then(|p| p.first(name))
            .map(str::to_owned)
    };
    let missing = || Problem::new(gatehouse::http::ProblemType::NotFound, "no such connection");
    let tenant = param("tenant_id")
        .and_then(|t| TenantId::parse(&t).ok())
        .ok_or_else(missing)?;
    let id = param("integration_id")
        .and_then(|i| gatehouse::ids::IntegrationId::parse(&i).ok())
        .ok_or_else(missing)?;
    Ok(app.sso.connection(&tenant, &id).await?)
}
