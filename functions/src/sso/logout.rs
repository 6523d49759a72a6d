//! `POST /v2/sso/logout` (`revoke_oauth_session`): ends the calling session. The
//! authorizer refuses its token within the revocation bound (`AUTH_CACHE_TTL_SECONDS`,
//! as for a revoked key).

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_response};
use schemars::JsonSchema;
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::EPHEMERAL.with(Needs::AUDIT);

pub const ACTION: &str = "sso.logout";

pub const DOC: Operation = Operation {
    description: "Revokes the session whose token made this call. An API key is not a session: 400.",
    ..Operation::new(
        Tag::Integrations,
        "Log out",
        &[Reply::new(200, "The session, ended", of::<LoggedOut>())],
    )
};

#[derive(Debug, Serialize, JsonSchema)]
struct LoggedOut {
    session_id: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "gatehouse::schema::Rfc3339")]
    revoked_at: time::OffsetDateTime,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    if !call.caller.principal.starts_with("sso:") {
        return Err(Problem::invalid_parameter(
            "this call was made with an API key, not a session token",
        ));
    }
    let session_id = call.caller.key_id.as_str();
    let sessions = &call.app.sso.ephemeral;
    let Some(session) = sessions.session(&call.caller.tenant_id, session_id).await? else {
        return Err(Problem::new(
            gatehouse::http::ProblemType::NotFound,
            "no such session",
        ));
    };
    sessions.revoke_session(&session, call.now).await?;
    let audit = call
        .audit_event(ACTION)
        .status(200)
        .detail(format!("session {session_id}"));
    call.app.audit.put(&audit).await?;
    Ok(json_response(
        200,
        &LoggedOut {
            session_id: session_id.to_owned(),
            revoked_at: session.revoked_at.unwrap_or(call.now),
        },
    ))
}
