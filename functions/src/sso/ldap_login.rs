//! `POST /v2/sso/{tenant_id}/{integration_id}/ldap-login` (public): a directory login
//! with a username and password, through an LDAP connection. The directory is searched
//! with the service account for exactly one entry, the password is bound against it,
//! and the session is the same as an OpenID Connect login's. Every outcome is audited
//! (`sso.login`); a refusal also publishes `sso.login_failed`. The password is never
//! stored, logged or audited.

use super::callback::{Session, no_store};
use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::http::body::json_body_up_to;
use gatehouse::http::schema::of;
use gatehouse::http::{Problem, json_response};
use gatehouse::sso::SsoError;
use lambda_http::{Body, Request, Response};
use schemars::JsonSchema;
use serde::Deserialize;
use zeroize::Zeroize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SECRETS)
    .with(Needs::SESSIONS)
    .with(Needs::EPHEMERAL)
    .with(Needs::KEYS)
    .with(Needs::AUDIT);

pub const ACTION: &str = "sso.login";

pub const DOC: Operation = Operation {
    description: "Logs a person in with their directory username and password: 200 with the session token and its refresh token, as an OpenID Connect login gives.",
    body: RequestBody::Required(of::<LdapLoginRequest>()),
    refused: Some(
        "The login was refused; `detail` names the reason (invalid_credentials, ambiguous_user, domain_not_allowed, connection_disabled, principal_disabled)",
    ),
    dependency: Some(
        "The directory could not be used: unreachable, TLS, the service account, or it did not answer in time",
    ),
    ..Operation::new(
        Tag::Integrations,
        "Log in with a directory password",
        &[Reply::new(200, "The session", of::<Session>())],
    )
};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "LdapLoginRequest")]
pub struct LdapLoginRequest {
    #[schemars(length(min = 1, max = 256))]
    username: String,
    #[schemars(length(max = 1024))]
    password: String,
}

impl Drop for LdapLoginRequest {
    fn drop(&mut self) {
        self.password.zeroize();
    }
}

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let origin = gatehouse::http::caller::origin(&req);
    let request: LdapLoginRequest = match json_body_up_to(&req, 4096) {
        Ok(request) => request,
        Err(problem) => return problem.into_response(),
    };
    let connection = match super::path_connection(app, &req).await {
        Ok(connection) => connection,
        Err(problem) => return problem.into_response(),
    };
    let tenant = connection.tenant_id.clone();
    let now = app.clock.now();
    let outcome = app
        .sso
        .ldap_login(
            &app.secrets,
            &connection,
            &request.username,
            &request.password,
            now,
        )
        .await;
    match outcome {
        Ok(logged_in) => {
            match super::record_login(
                app,
                &tenant,
                origin,
                logged_in,
                ("ldap", " from the directory"),
            )
            .await
            {
                Ok((session, _)) => no_store(json_response(200, &session)),
                Err(problem) => problem.into_response(),
            }
        }
        Err(err @ (SsoError::Refused { .. } | SsoError::Directory(_))) => {
            super::refused(
                app,
                &tenant,
                "ldap",
                ACTION,
                "sso.login_failed",
                origin,
                err,
            )
            .await
        }
        Err(err) => Problem::from(err).into_response(),
    }
}
