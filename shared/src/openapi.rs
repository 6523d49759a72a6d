//! The OpenAPI 3.1 description of every route, request, response and error.

/// The document served at `GET /v2/openapi.json` and checked against real responses
/// by `tests/tests/openapi.rs`.
pub const DOCUMENT: &str = include_str!("../openapi.json");
