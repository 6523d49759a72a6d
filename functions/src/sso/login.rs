//! `GET /v2/sso/{tenant_id}/{integration_id}/login` (public; `initiate_oauth_flow`):
//! sends the browser to the identity provider with PKCE (S256), `state` and `nonce`,
//! kept single-use for ten minutes. `login_hint` is passed on; `return_to` must be one
//! of the connection's return URLs.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::http::Problem;
use gatehouse::http::query::{Param, Query};
use gatehouse::http::schema::of;
use lambda_http::{Body, Request, Response};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SECRETS)
    .with(Needs::SSO)
    .with(Needs::EPHEMERAL);

const LOGIN_HINT: Param = Param::text(
    "login_hint",
    "Passed to the provider (an email address, usually).",
    of::<gatehouse::schema::Text<1, 256>>(),
);
const RETURN_TO: Param = Param::text(
    "return_to",
    "Where to send the browser with the session (one of the connection's return URLs); absent: the callback answers with JSON.",
    of::<gatehouse::schema::Text<1, 2048>>(),
);
const QUERY: &[Param] = &[LOGIN_HINT, RETURN_TO];

pub const DOC: Operation = Operation {
    description: "Starts a login: a 302 to the provider's authorization endpoint. The provider sends the browser back to `/v2/sso/callback`.",
    query: QUERY,
    refused: Some("The connection is disabled (`connection_disabled`)"),
    dependency: Some("The identity provider's discovery failed"),
    ..Operation::new(
        Tag::Integrations,
        "Start an SSO login",
        &[Reply::redirect(302, "To the identity provider")],
    )
};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    start(app, &req)
        .await
        .unwrap_or_else(Problem::into_response)
}

async fn start(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let query = Query::from_request(req, QUERY)?;
    let connection = super::path_connection(app, req).await?;
    let return_to = query.text(&RETURN_TO).map(str::to_owned);
    if let Some(to) = &return_to
        && !gatehouse::sso_domain::return_allowed(&connection.return_urls, to)
    {
        return Err(Problem::invalid_parameter(
            "`return_to` is not one of the connection's return URLs",
        ));
    }
    let url = app
        .sso
        .begin(
            &app.secrets,
            &connection,
            &gatehouse::sso::base_url(app, req),
            query.text(&LOGIN_HINT),
            return_to,
            app.clock.now(),
        )
        .await?;
    Response::builder()
        .status(302)
        .header("location", url)
        .header("cache-control", "no-store")
        .body(Body::Empty)
        .map_err(|e| Problem::internal(&e))
}
