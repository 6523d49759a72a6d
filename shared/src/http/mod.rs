//! HTTP plumbing shared by the API functions: problem+json errors, the verified caller,
//! JSON bodies, query strings and responses.

pub mod body;
pub mod call;
pub mod caller;
pub mod cursor;
pub mod idempotency;
pub mod problem;
pub mod query;
pub mod schema;

pub use body::{json_body, json_response};
pub use caller::Caller;
pub use problem::{Problem, ProblemType};

use lambda_http::{Body, Response};

/// What every API handler returns; the error side is already a client-facing problem.
pub type ApiResult = Result<Response<Body>, Problem>;

/// Turns a handler result into the response API Gateway sends.
pub fn respond(result: ApiResult) -> Response<Body> {
    result.unwrap_or_else(|problem| problem.into_response())
}
