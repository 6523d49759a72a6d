//! `DELETE /v2/integrations/sso/{integration_id}`: removes a connection. Logins through
//! it stop at once, the sessions of its principals end within the revocation bound, and
//! its principals stay, for the audit trail. Its verified domains are let go.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, ProblemType, json_response};
use gatehouse::ids::IntegrationId;
use gatehouse::sso::ConnectionView;
use gatehouse::sso_domain::SsoConnection;
use gatehouse::store::WriteBatch;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SSO)
    .with(Needs::AUDIT)
    .with(Needs::KEYS)
    .with(Needs::EPHEMERAL);

pub const ACTION: &str = "sso.connection.delete";

pub const DOC: Operation = Operation {
    conflict: Some("Changed concurrently; retry"),
    ..Operation::new(
        Tag::Integrations,
        "Delete an SSO connection",
        &[Reply::new(
            200,
            "The connection, deleted",
            of::<ConnectionView>(),
        )],
    )
};

/// The connection the `{integration_id}` path parameter names, in the caller's tenant.
pub async fn load(call: &Call<'_>) -> Result<SsoConnection, Problem> {
    let missing = || Problem::new(ProblemType::NotFound, "no such connection");
    let id = call
        .path_parameter("integration_id")
        .and_then(|id| IntegrationId::parse(&id).ok())
        .ok_or_else(missing)?;
    call.app
        .sso
        .connections
        .get(&call.caller.tenant_id, &id)
        .await?
        .ok_or_else(missing)
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let connection = load(call).await?;
    let mut batch = WriteBatch::new();
    call.app.sso.connections.delete(&mut batch, &connection)?;
    let audit = call
        .audit_event(ACTION)
        .target(
            gatehouse::audit::TargetKind::Integration,
            connection.connection_id.as_str(),
        )
        .status(200);
    call.commit(batch, &audit, "the connection changed concurrently; retry")
        .await?;
    gatehouse::sso::end_connection_sessions(call, &connection.connection_id).await?;
    call.app
        .sso
        .release_domains(&connection, &connection.verified_domains)
        .await?;
    Ok(json_response(
        200,
        &ConnectionView::of(&connection, &gatehouse::sso::base_url(call.app, call.req)),
    ))
}
