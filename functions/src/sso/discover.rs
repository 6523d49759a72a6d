//! `POST /v2/sso/discover` (public; home-realm discovery): the connection a person
//! with this email logs in through, found by the email's domain among domains a
//! connection has proven by DNS. The answer depends on the domain only; the email is
//! neither stored nor logged, and comes back as the login's `login_hint`.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::http::body::json_body_up_to;
use gatehouse::http::schema::of;
use gatehouse::http::{Problem, ProblemType, json_response};
use gatehouse::ids::{IntegrationId, TenantId};
use gatehouse::sso_domain::Preset;
use gatehouse::sso_domain::check_domain;
use lambda_http::{Body, Request, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS.with(Needs::SSO);

pub const DOC: Operation = Operation {
    description: "The SSO connection for an email address: the one that has verified the email's domain by DNS. 404 when no connection has.",
    body: RequestBody::Required(of::<DiscoverRequest>()),
    not_found: Some("No SSO connection has verified the email's domain"),
    ..Operation::new(
        Tag::Integrations,
        "Find the SSO connection for an email",
        &[Reply::new(200, "Where to log in", of::<Discovered>())],
    )
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SsoDiscoverRequest")]
pub struct DiscoverRequest {
    #[schemars(length(min = 3, max = 320), regex(pattern = r"^[^@]+@[^@]+$"))]
    email: String,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SsoDiscovered")]
struct Discovered {
    tenant_id: TenantId,
    connection_id: IntegrationId,
    name: String,
    preset: Preset,
    /// The login, with the email as `login_hint`.
    login_url: String,
}

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    match discover(app, &req).await {
        Ok(response) => response,
        Err(problem) => problem.into_response(),
    }
}

async fn discover(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let request: DiscoverRequest = json_body_up_to(req, 1024)?;
    let not_found = || {
        Problem::new(
            ProblemType::NotFound,
            "no SSO connection has verified this email's domain",
        )
    };
    let domain = match request.email.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
        {
            domain
        }
        _ => {
            return Err(Problem::invalid_body(
                "`email` is not an address of the form `name@domain`",
            ));
        }
    };
    // What is not a domain name cannot have been verified.
    let domain = check_domain(domain).map_err(|_| not_found())?;
    let Some(connection) = app.sso.discover(&domain).await? else {
        return Err(not_found());
    };
    let base = gatehouse::sso::base_url(app, req);
    let preset = connection.preset();
    let hint: String =
        url::form_urlencoded::byte_serialize(request.email.trim().as_bytes()).collect();
    Ok(json_response(
        200,
        &Discovered {
            login_url: format!(
                "{}?login_hint={hint}",
                gatehouse::sso::login_url(&base, &connection.tenant_id, &connection.connection_id)
            ),
            tenant_id: connection.tenant_id,
            connection_id: connection.connection_id,
            preset,
            name: connection.name,
        },
    ))
}
