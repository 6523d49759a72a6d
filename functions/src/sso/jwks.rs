//! `GET /v2/.well-known/jwks.json` (public): the public keys of session tokens, so a
//! tenant's own services can verify them too. Every listed key is here, so tokens
//! signed before a rotation verify until they expire.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::http::schema::of;
use gatehouse::http::{Problem, json_response};
use lambda_http::{Body, Request, Response};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SESSIONS;

pub const DOC: Operation = Operation::new(
    Tag::Integrations,
    "Session token keys",
    &[Reply::new(
        200,
        "A JSON Web Key Set (ES256)",
        of::<serde_json::Map<String, serde_json::Value>>(),
    )],
);

pub async fn handle(app: &App, _req: Request) -> Response<Body> {
    match app.sso.signer.jwks().await {
        Ok(jwks) => {
            let mut response = json_response(200, &jwks);
            response.headers_mut().insert(
                "cache-control",
                http::HeaderValue::from_static("public, max-age=300"),
            );
            response
        }
        Err(e) => Problem::unavailable(&e).into_response(),
    }
}
