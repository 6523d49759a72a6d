//! `POST /v2/integrations/sso` (`configure_sso_integration`): a connection to the
//! tenant's OpenID Provider. The provider's discovery document and keys are fetched
//! before it is stored; the client secret is stored sealed (or as a reference).

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::config::Needs;
use gatehouse::http::body::json_body_up_to;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, ProblemType, json_response};
use gatehouse::ids::IntegrationId;
use gatehouse::sso::{ConnectionRequest, ConnectionView, connection_from};
use gatehouse::store::WriteBatch;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SECRETS)
    .with(Needs::SSO)
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL);

pub const ACTION: &str = "sso.connection.create";

pub const DOC: Operation = Operation {
    dependency: Some(
        "The provider's discovery failed: the detail says what was found (unreachable, not an OpenID Provider, no token endpoint)",
    ),
    description: "A connection to an OpenID Provider (Google Workspace, Entra ID, Okta, Auth0 or any other). Register the answer's `redirect_uri` at the provider; users log in at its `login_url`. The issuer's discovery document and keys are fetched first.",
    body: RequestBody::Required(of::<ConnectionRequest>()),
    ..Operation::new(
        Tag::Integrations,
        "Create an SSO connection",
        &[Reply::new(201, "The connection", of::<ConnectionView>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let request: ConnectionRequest =
        json_body_up_to(call.req, gatehouse::sso_saml::MAX_CONNECTION_BODY)?;
    let id = IntegrationId::generate().map_err(|e| Problem::internal(&e))?;
    let connection = connection_from(call, &id, request, None).await?;
    // An OpenID Provider is asked first; a directory is not (it may be reachable only
    // from the login function's network): `POST /v2/integrations/sso/test` checks it.
    if let Some(oidc) = connection.oidc() {
        check_provider(call, &oidc.issuer).await?;
    }
    let mut batch = WriteBatch::new();
    call.app.sso.connections.put(&mut batch, &connection)?;
    let audit = call
        .audit_event(ACTION)
        .target(gatehouse::audit::TargetKind::Integration, id.as_str())
        .status(201)
        .detail(format!(
            "{} connection to {}",
            connection.preset().as_str(),
            gatehouse::sso::endpoint_of(&connection)
        ));
    call.commit(
        batch,
        &audit,
        "the connection was created concurrently; retry",
    )
    .await?;
    Ok(json_response(
        201,
        &ConnectionView::of(&connection, &gatehouse::sso::base_url(call.app, call.req)),
    ))
}

/// The provider answers as an OpenID Provider: discovery, keys, a token endpoint.
pub async fn check_provider(call: &Call<'_>, issuer: &str) -> Result<(), Problem> {
    let metadata = call
        .app
        .sso
        .oidc
        .metadata(issuer, true)
        .await
        .map_err(|e| {
            Problem::new(
                ProblemType::IntegrationFailed,
                format!("the identity provider: {e}"),
            )
        })?;
    if metadata.token_endpoint().is_none() {
        return Err(Problem::new(
            ProblemType::IntegrationFailed,
            "the identity provider publishes no token endpoint",
        ));
    }
    Ok(())
}
