//! RFC 9457 problem details. Every error a client sees is one of these, with a stable
//! `type` (a tag URI, listed in the README) and a human `detail`.

use lambda_http::{Body, Response};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemType {
    InvalidBody,
    InvalidParameter,
    UnsupportedMediaType,
    PayloadTooLarge,
    Unauthenticated,
    InsufficientScope,
    /// The tenant's key policy forbids the key asked for; `detail` names the rule.
    KeyPolicy,
    NotFound,
    Conflict,
    Gone,
    IntegrationFailed,
    IdempotencyKeyReused,
    ServiceUnavailable,
    Internal,
}

impl ProblemType {
    pub fn slug(self) -> &'static str {
        match self {
            Self::InvalidBody => "invalid-body",
            Self::InvalidParameter => "invalid-parameter",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::PayloadTooLarge => "payload-too-large",
            Self::Unauthenticated => "unauthenticated",
            Self::InsufficientScope => "insufficient-scope",
            Self::KeyPolicy => "key-policy",
            Self::NotFound => "not-found",
            Self::Conflict => "conflict",
            Self::Gone => "gone",
            Self::IntegrationFailed => "integration-failed",
            Self::IdempotencyKeyReused => "idempotency-key-reused",
            Self::ServiceUnavailable => "service-unavailable",
            Self::Internal => "internal",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::InvalidBody => "The request body is invalid",
            Self::InvalidParameter => "A request parameter is invalid",
            Self::UnsupportedMediaType => "The request body must be JSON",
            Self::PayloadTooLarge => "The request body is too large",
            Self::Unauthenticated => "The request carries no verified caller",
            Self::InsufficientScope => "The key lacks a required scope",
            Self::KeyPolicy => "The tenant's key policy forbids this key",
            Self::NotFound => "Not found",
            Self::Conflict => "The request conflicts with the current state",
            Self::Gone => "The object existed but is gone for good",
            Self::IntegrationFailed => "The tenant's own service refused or failed",
            Self::IdempotencyKeyReused => "The idempotency key belongs to another request",
            Self::ServiceUnavailable => "A dependency is unavailable; retry later",
            Self::Internal => "Internal error",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            Self::InvalidBody | Self::InvalidParameter => 400,
            Self::Unauthenticated => 401,
            Self::InsufficientScope | Self::KeyPolicy => 403,
            Self::NotFound => 404,
            Self::Conflict => 409,
            Self::Gone => 410,
            Self::IntegrationFailed => 424,
            Self::IdempotencyKeyReused => 422,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::Internal => 500,
            Self::ServiceUnavailable => 503,
        }
    }

    pub fn uri(self) -> String {
        format!("tag:gatehouse.dev,2026:problem/{}", self.slug())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    #[schemars(url)]
    pub type_uri: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip)]
    pub kind: ProblemType,
}

impl Problem {
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Self {
        Self {
            type_uri: kind.uri(),
            title: kind.title(),
            status: kind.status(),
            detail: detail.into(),
            kind,
        }
    }

    pub fn invalid_body(detail: impl Into<String>) -> Self {
        Self::new(ProblemType::InvalidBody, detail)
    }

    pub fn invalid_parameter(detail: impl Into<String>) -> Self {
        Self::new(ProblemType::InvalidParameter, detail)
    }

    /// Storage or another AWS dependency failed. The cause is logged here, where the
    /// request id is in scope, and the client gets a retryable 503 without internals.
    pub fn unavailable(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "dependency failure");
        Self::new(
            ProblemType::ServiceUnavailable,
            "a storage dependency did not answer; retry with backoff",
        )
    }

    /// A bug or corrupt data; logged, and the client learns nothing internal.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ProblemType::Internal, "the request could not be completed")
    }

    pub fn into_response(self) -> Response<Body> {
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut builder = Response::builder()
            .status(self.status)
            .header("content-type", "application/problem+json")
            .header("cache-control", "no-store");
        if self.kind == ProblemType::ServiceUnavailable {
            builder = builder.header("retry-after", "1");
        }
        builder
            .body(Body::from(body))
            .unwrap_or_else(|_| Response::new(Body::Empty))
    }
}

impl From<crate::store::StoreError> for Problem {
    fn from(err: crate::store::StoreError) -> Self {
        match err {
            crate::store::StoreError::Unavailable(_) => Self::unavailable(&err),
            crate::store::StoreError::AlreadyExists => {
                Self::new(ProblemType::Conflict, "the object already exists")
            }
            crate::store::StoreError::Conflict => Self::new(
                ProblemType::Conflict,
                "the object changed while this request was processed; read it again and retry",
            ),
            crate::store::StoreError::Corrupt(_) => Self::internal(&err),
        }
    }
}

#[cfg(test)]
#[path = "tests/problem.rs"]
mod tests;
