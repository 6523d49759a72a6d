//! `POST /v2/sso/refresh` (public; `refresh_oauth_token`): trades a session's refresh
//! token for a new session token and refresh token, until the session ends (the
//! connection's `session_hours`). The old refresh token is retired; presented again,
//! it ends the session. A logout, a disabled principal or connection stop refreshes.
//! Every outcome is audited; a refusal also publishes `sso.refresh_failed`.

use super::callback::{Session, no_store};
use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::App;
use gatehouse::audit::{Actor, AuditEvent, TargetKind};
use gatehouse::config::Needs;
use gatehouse::http::body::json_body_up_to;
use gatehouse::http::schema::of;
use gatehouse::http::{Problem, ProblemType, json_response};
use gatehouse::sso::{LoginRefusal, RefreshToken, SsoError};
use gatehouse::store::StoreError;
use lambda_http::{Body, Request, Response};
use schemars::JsonSchema;
use serde::Deserialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SESSIONS)
    .with(Needs::EPHEMERAL)
    .with(Needs::KEYS)
    .with(Needs::AUDIT);

pub const ACTION: &str = "sso.refresh";

pub const DOC: Operation = Operation {
    description: "A new session token (at most 15 minutes) and refresh token for a session's current refresh token. Use each refresh token once: a retired one presented again ends the session.",
    body: RequestBody::Required(of::<RefreshRequest>()),
    refused: Some(
        "The refresh was refused; `detail` names the reason (token_invalid, refresh_reused, session_ended, expired, principal_disabled, connection_disabled)",
    ),
    ..Operation::new(
        Tag::Integrations,
        "Refresh an SSO session",
        &[Reply::new(200, "The session, refreshed", of::<Session>())],
    )
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SsoRefreshRequest")]
pub struct RefreshRequest {
    /// The refresh token the login or the last refresh gave.
    #[schemars(length(min = 1, max = 128))]
    refresh_token: String,
}

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let origin = gatehouse::http::caller::origin(&req);
    let request: RefreshRequest = match json_body_up_to(&req, 1024) {
        Ok(request) => request,
        Err(problem) => return problem.into_response(),
    };
    // A token of the wrong shape costs no read, and names no tenant to audit in.
    let Some(token) = RefreshToken::parse(&request.refresh_token) else {
        return Problem::new(
            ProblemType::Unauthenticated,
            format!(
                "the refresh was refused: {}",
                LoginRefusal::TokenInvalid.as_str()
            ),
        )
        .into_response();
    };
    let tenant = token.tenant().clone();
    let now = app.clock.now();
    match app.sso.refresh(&token, now).await {
        Ok(refreshed) => {
            let session = &refreshed.session;
            let audit = AuditEvent::new(
                &tenant,
                ACTION,
                Actor {
                    principal: format!("sso:{}", session.principal_id),
                    key_id: None,
                },
                origin,
                app.clock.precise_now(),
            )
            .target(TargetKind::Integration, session.connection_id.as_str())
            .status(200)
            .detail(format!(
                "session {} refreshed ({} times); scopes: {}",
                session.session_id,
                session.refreshes,
                session.scopes.join(" ")
            ));
            let mut batch = refreshed.batch;
            if let Err(e) = app.audit.add_to(&mut batch, &audit) {
                return Problem::from(e).into_response();
            }
            match app.dynamo.commit(batch).await {
                Ok(()) => {}
                Err(StoreError::Conflict) => {
                    let err = SsoError::Refused {
                        reason: LoginRefusal::TokenInvalid,
                        detail: "the session changed while it was refreshed (another refresh, or a logout)".into(),
                    };
                    let response = super::refused(
                        app,
                        &tenant,
                        "refresh",
                        ACTION,
                        "sso.refresh_failed",
                        audit.origin,
                        err,
                    );
                    return no_store(response.await);
                }
                Err(e) => return Problem::from(e).into_response(),
            }
            no_store(json_response(
                200,
                &Session::of(
                    refreshed.token,
                    &refreshed.refresh_token,
                    &refreshed.session,
                    false,
                ),
            ))
        }
        Err(err @ SsoError::Refused { .. }) => no_store(
            super::refused(
                app,
                &tenant,
                "refresh",
                ACTION,
                "sso.refresh_failed",
                origin,
                err,
            )
            .await,
        ),
        Err(err) => Problem::from(err).into_response(),
    }
}
