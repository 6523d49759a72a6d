//! `GET /v2/openapi.json`: the OpenAPI 3.1 document of the API. Public: it describes
//! the API, not any tenant's data.

use gatehouse::App;
use gatehouse::config::Needs;
use lambda_http::{Body, Request, Response};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::NONE;

pub async fn handle(_app: &App, _req: Request) -> Response<Body> {
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("cache-control", "public, max-age=300")
        .body(Body::from(gatehouse::openapi::DOCUMENT))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}
