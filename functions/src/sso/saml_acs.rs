//! `POST /v2/sso/{tenant_id}/{integration_id}/saml/acs` (public): the SAML assertion
//! consumer service, where the IdP's HTTP-POST binding delivers a Response
//! (`SAMLResponse`, `RelayState`). The connection is the one the URL names, never
//! one found from the unverified Issuer. The response is verified
//! (`gatehouse_service::sso::saml::verify`), its assertion used once, and the session
//! answered as an OpenID Connect callback answers it: JSON, or a 303 to the login's
//! `return_to` (or an allowed RelayState) with the session in the fragment. Every
//! outcome is audited (`sso.login`); a refusal also publishes `sso.login_failed`.

use super::callback::Session;
use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::http::schema::of;
use gatehouse::http::{Problem, ProblemType};
use gatehouse::sso::base_url;
use lambda_http::{Body, Request, Response};
use schemars::JsonSchema;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SSO)
    .with(Needs::SESSIONS)
    .with(Needs::EPHEMERAL)
    .with(Needs::KEYS)
    .with(Needs::AUDIT);

/// The largest form read: a base64 response of 256 KiB and its RelayState.
const MAX_FORM_BYTES: usize = 360 * 1024;

pub const DOC: Operation = Operation {
    description: "Completes a SAML login: 200 with the session token and its refresh token, or a 303 to the login's `return_to` (or an allowed RelayState) with `#session_token=...&expires_at=...&refresh_token=...`.",
    body: RequestBody::Form(of::<AcsForm>()),
    refused: Some(
        "The login was refused; `detail` names the reason (signature_invalid, signature_missing, assertion_count, reference_invalid, request_mismatch, replayed, expired, audience_mismatch, ...)",
    ),
    ..Operation::new(
        Tag::Integrations,
        "Complete a SAML login (assertion consumer service)",
        &[
            Reply::new(200, "The session", of::<Session>()),
            Reply::redirect(
                303,
                "To the login's `return_to`, the session in the fragment",
            ),
        ],
    )
};

/// The HTTP-POST binding's form.
#[derive(JsonSchema)]
#[schemars(rename = "SamlAcsForm")]
#[allow(dead_code)]
pub struct AcsForm {
    /// The Response, base64.
    #[schemars(length(min = 1, max = 368640))]
    #[serde(rename = "SAMLResponse")]
    saml_response: String,
    /// Where the login returns to: one of the connection's return URLs.
    #[schemars(length(max = 2048))]
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// `SAMLResponse` and `RelayState` from a form body.
fn read_form(req: &Request) -> Result<(String, Option<String>), Problem> {
    let bytes: &[u8] = match req.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    if bytes.len() > MAX_FORM_BYTES {
        return Err(Problem::new(
            ProblemType::PayloadTooLarge,
            format!(
                "the form is {} bytes; the limit is {MAX_FORM_BYTES}",
                bytes.len()
            ),
        ));
    }
    let form_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !form_type {
        return Err(Problem::new(
            ProblemType::UnsupportedMediaType,
            "post the form as `application/x-www-form-urlencoded` (SAML's HTTP-POST binding)",
        ));
    }
    let (mut response, mut relay) = (None, None);
    for (name, value) in url::form_urlencoded::parse(bytes) {
        let slot = match name.as_ref() {
            "SAMLResponse" => &mut response,
            "RelayState" => &mut relay,
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(Problem::invalid_body(format!("`{name}` is given twice")));
        }
    }
    let response = response
        .filter(|r| !r.is_empty())
        .ok_or_else(|| Problem::invalid_body("the form has no `SAMLResponse`"))?;
    Ok((response, relay.filter(|r| !r.is_empty())))
}

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let origin = gatehouse::http::caller::origin(&req);
    let (saml_response, relay_state) = match read_form(&req) {
        Ok(form) => form,
        Err(problem) => return problem.into_response(),
    };
    let connection = match super::path_connection(app, &req).await {
        Ok(connection) => connection,
        Err(problem) => return problem.into_response(),
    };
    let tenant = connection.tenant_id.clone();
    let outcome = app
        .sso
        .saml_complete(
            &connection,
            &base_url(app, &req),
            &saml_response,
            relay_state.as_deref(),
            app.clock.now(),
        )
        .await;
    super::answer_login(app, &tenant, origin, outcome, ("saml", " by SAML")).await
}
