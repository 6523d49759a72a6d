//! `GET /v2/openapi.json`: the OpenAPI 3.1 document of the API. Public: it describes
//! the API, not any tenant's data. The document is generated ([`document`]) from the
//! route declaration and the handlers' types, and committed as `shared/openapi.json`,
//! so the function serves a constant.

pub mod document;
mod operation;

pub use operation::{Operation, Reply, RequestBody, Tag};

use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::http::schema::of;
use lambda_http::{Body, Request, Response};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::NONE;

pub const DOC: Operation = Operation::new(
    Tag::ApiDescription,
    "This document",
    &[Reply::new(
        200,
        "The OpenAPI document",
        of::<serde_json::Map<String, serde_json::Value>>(),
    )],
);

pub async fn handle(_app: &App, _req: Request) -> Response<Body> {
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("cache-control", "public, max-age=300")
        .body(Body::from(gatehouse::openapi::DOCUMENT))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}
