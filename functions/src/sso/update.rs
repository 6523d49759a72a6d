//! `PUT /v2/integrations/sso/{integration_id}`: replaces a connection's settings (the
//! client secret is kept when none is given). The provider is checked again first; a
//! failed check changes nothing. Disabling it ends its principals' sessions within the
//! revocation bound.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::config::Needs;
use gatehouse::http::body::json_body_up_to;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::sso::{ConnectionRequest, ConnectionView, connection_from};
use gatehouse::store::WriteBatch;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SECRETS)
    .with(Needs::SSO)
    .with(Needs::AUDIT)
    .with(Needs::KEYS)
    .with(Needs::EPHEMERAL);

pub const ACTION: &str = "sso.connection.update";

pub const DOC: Operation = Operation {
    dependency: Some("The provider's discovery failed: the detail says what was found"),
    description: "Replaces the connection's settings; without `client_secret` the stored one is kept. Checked against the provider first.",
    body: RequestBody::Required(of::<ConnectionRequest>()),
    conflict: Some("Changed concurrently; retry"),
    ..Operation::new(
        Tag::Integrations,
        "Update an SSO connection",
        &[Reply::new(200, "The connection", of::<ConnectionView>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let current = super::delete::load(call).await?;
    let request: ConnectionRequest =
        json_body_up_to(call.req, gatehouse::sso_saml::MAX_CONNECTION_BODY)?;
    let connection = connection_from(call, &current.connection_id, request, Some(&current)).await?;
    if let Some(oidc) = connection.oidc() {
        super::create::check_provider(call, &oidc.issuer).await?;
    }
    let mut batch = WriteBatch::new();
    call.app.sso.connections.put(&mut batch, &connection)?;
    let audit = call
        .audit_event(ACTION)
        .target(
            gatehouse::audit::TargetKind::Integration,
            connection.connection_id.as_str(),
        )
        .status(200);
    call.commit(batch, &audit, "the connection changed concurrently; retry")
        .await?;
    // Domains it no longer lists: their claims go, so discovery stops sending people.
    let dropped: Vec<String> = current
        .verified_domains
        .iter()
        .filter(|d| !connection.verified_domains.contains(d))
        .cloned()
        .collect();
    call.app.sso.release_domains(&current, &dropped).await?;
    if current.enabled && !connection.enabled {
        // Disabled: its sessions end within the revocation bound, as a key's would.
        gatehouse::sso::end_connection_sessions(call, &connection.connection_id).await?;
    }
    Ok(json_response(
        200,
        &ConnectionView::of(&connection, &gatehouse::sso::base_url(call.app, call.req)),
    ))
}
