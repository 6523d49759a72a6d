//! `GET /v2/sso/callback` (public; `handle_oauth_callback`): where the identity
//! provider sends the browser back. The state is taken (a second use finds nothing),
//! the code exchanged with the PKCE verifier, the ID token verified, the identity held
//! to the connection's rules, the principal recorded, and a session token issued: as
//! JSON, or in the fragment of the login's `return_to`. Every outcome is audited in
//! the tenant; a refusal also publishes `sso.login_failed` with its reason.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::http::query::{Param, Query};
use gatehouse::http::schema::of;
use gatehouse::http::{Problem, json_response};
use gatehouse::ids::TenantId;
use gatehouse::sso::{LoginRefusal, SsoError};
use lambda_http::{Body, Request, Response};
use schemars::JsonSchema;
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SECRETS)
    .with(Needs::SESSIONS)
    .with(Needs::EPHEMERAL)
    .with(Needs::KEYS)
    .with(Needs::AUDIT);

pub const ACTION: &str = "sso.login";

const CODE: Param = Param::text(
    "code",
    "The provider's authorization code.",
    of::<gatehouse::schema::Text<1, 2048>>(),
);
const STATE: Param = Param::text(
    "state",
    "The state the login started with.",
    of::<gatehouse::schema::Text<1, 256>>(),
);
const ERROR: Param = Param::text(
    "error",
    "The provider's error code, when it refused.",
    of::<gatehouse::schema::Text<1, 256>>(),
);
const ERROR_DESCRIPTION: Param = Param::text(
    "error_description",
    "The provider's explanation.",
    of::<gatehouse::schema::Text<1, 1024>>(),
);
const ISS: Param = Param::text(
    "iss",
    "The issuer (RFC 9207), when the provider sends it.",
    of::<gatehouse::schema::Text<1, 512>>(),
);
const QUERY: &[Param] = &[CODE, STATE, ERROR, ERROR_DESCRIPTION, ISS];

pub const DOC: Operation = Operation {
    description: "Completes a login: 200 with the session token and its refresh token, or a 303 to the login's `return_to` with `#session_token=...&expires_at=...&refresh_token=...`. The session token is a JWT of at most 15 minutes for `Authorization: Bearer`; `POST /v2/sso/refresh` trades the refresh token for a new pair until the session ends.",
    query: QUERY,
    refused: Some(
        "The login was refused; `detail` names the reason (state_mismatch, nonce_mismatch, issuer_mismatch, audience_mismatch, expired, domain_not_allowed, ...)",
    ),
    dependency: Some("The identity provider could not be reached or answered wrongly"),
    ..Operation::new(
        Tag::Integrations,
        "Complete an SSO login",
        &[
            Reply::new(200, "The session", of::<Session>()),
            Reply::redirect(
                303,
                "To the login's `return_to`, the session in the fragment",
            ),
        ],
    )
};

/// A session, as a login or a refresh gives it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SsoSession")]
pub struct Session {
    /// Send as `Authorization: Bearer <session_token>`.
    pub session_token: String,
    pub token_type: &'static str,
    /// When the session token expires (at most 15 minutes on).
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "gatehouse::schema::Rfc3339")]
    pub expires_at: time::OffsetDateTime,
    /// Trade it at `POST /v2/sso/refresh` for a new pair, once: it is shown only here.
    pub refresh_token: String,
    /// When the session ends, refreshed or not (the connection's `session_hours`).
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "gatehouse::schema::Rfc3339")]
    pub refresh_expires_at: time::OffsetDateTime,
    pub principal_id: String,
    pub scopes: Vec<String>,
    /// True only for a person's first login.
    pub first_login: bool,
}

impl Session {
    pub fn of(
        token: String,
        refresh_token: &gatehouse::sso::RefreshToken,
        session: &gatehouse::store::sso_table::SessionRecord,
        first_login: bool,
    ) -> Self {
        Self {
            session_token: token,
            token_type: "Bearer",
            expires_at: session.expires_at,
            refresh_token: refresh_token.expose().to_owned(),
            refresh_expires_at: session.refreshable_until.unwrap_or(session.expires_at),
            principal_id: session.principal_id.clone(),
            scopes: session.scopes.clone(),
            first_login,
        }
    }
}

/// Sessions are never cached anywhere on the way.
pub fn no_store(mut response: Response<Body>) -> Response<Body> {
    response
        .headers_mut()
        .insert("cache-control", http::HeaderValue::from_static("no-store"));
    response
}

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let origin = gatehouse::http::caller::origin(&req);
    let query = match Query::from_request(&req, QUERY) {
        Ok(query) => query,
        Err(problem) => return problem.into_response(),
    };
    let state = query.text(&STATE).unwrap_or_default();
    let now = app.clock.now();
    // The tenant the state names (its first ten characters), for the audit trail even
    // when the state itself is refused.
    let tenant = state.get(..10).and_then(|t| TenantId::parse(t).ok());
    let outcome = complete(app, &query, state, now).await;
    let Some(tenant) = tenant else {
        return Problem::from(outcome.err().unwrap_or(SsoError::NoConnection)).into_response();
    };
    super::answer_login(app, &tenant, origin, outcome, ("oidc", "")).await
}

/// A finished login's answer: the session as JSON, or a 303 to the login's
/// `return_to` with the session in the fragment (never sent to a server).
pub fn answer_with(session: &Session, return_to: Option<&str>) -> Response<Body> {
    no_store(match return_to {
        Some(to) => Response::builder()
            .status(303)
            .header(
                "location",
                format!(
                    "{to}#session_token={}&expires_at={}&refresh_token={}",
                    session.session_token,
                    session.expires_at.unix_timestamp(),
                    session.refresh_token,
                ),
            )
            .body(Body::Empty)
            .unwrap_or_default(),
        None => json_response(200, session),
    })
}

async fn complete(
    app: &App,
    query: &Query,
    state: &str,
    now: time::OffsetDateTime,
) -> Result<gatehouse::sso::LoggedIn, SsoError> {
    let login = app.sso.take_state(state, now).await?;
    if let Some(error) = query.text(&ERROR) {
        return Err(SsoError::Refused {
            reason: LoginRefusal::ProviderError,
            detail: format!(
                "the provider answered {error}: {}",
                query.text(&ERROR_DESCRIPTION).unwrap_or_default()
            ),
        });
    }
    let code = query.text(&CODE).ok_or(SsoError::Refused {
        reason: LoginRefusal::CodeRejected,
        detail: "no `code`".into(),
    })?;
    app.sso.complete(&app.secrets, &login, code, now).await
}
