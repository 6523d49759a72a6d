//! `POST /v2/secret-scanning/reports` (public): leaked-key reports from any other
//! secret scanner, in GitHub's format, signed as Standard Webhooks are (`webhook-id`,
//! `webhook-timestamp`, `webhook-signature`: HMAC-SHA256 over `id.timestamp.body`)
//! with the deployment's scanner secret (`SecretScanningSecret`, given to the scanner
//! as `whsec_...` by `gatehouse-admin scanner-secret`). Judged and answered as GitHub's
//! reports are (`keys::leak_report`).

use super::leak_report::{MAX_REPORT_BYTES, judge, refused};
use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::http::body::raw_body_up_to;
use gatehouse::http::schema::of;
use gatehouse::keys::leaks::{LeakReport, Verdict};
use gatehouse::webhooks::signature::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use lambda_http::{Body, Request, Response};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT).with(Needs::SCANNER_SECRET);

pub const ACTION: &str = "api_key.compromise";

pub const DOC: Operation = Operation {
    description: "Leaked-key reports from any secret scanner, in GitHub's format, signed the Standard Webhooks way with the deployment's scanner secret: `webhook-id`, `webhook-timestamp` (Unix seconds, within 5 minutes) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`). Each live key reported is revoked at once. At most 100 tokens per report.",
    body: RequestBody::Required(of::<Vec<LeakReport>>()),
    refused: Some("The report's signature is missing, stale or does not match"),
    ..Operation::new(
        Tag::ApiKeys,
        "Report leaked keys (any scanner)",
        &[Reply::new(
            200,
            "One label per reported token, by its SHA-256",
            of::<Vec<Verdict>>(),
        )],
    )
};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    let body = match raw_body_up_to(&req, MAX_REPORT_BYTES) {
        Ok(body) => body,
        Err(problem) => return problem.into_response(),
    };
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let verified = app
        .leak_intake
        .verify_shared(
            header(HEADER_ID),
            header(HEADER_TIMESTAMP),
            header(HEADER_SIGNATURE),
            body,
            app.clock.now(),
        )
        .await;
    match verified {
        Ok(()) => judge(app, body).await,
        Err(refusal) => refused(&refusal),
    }
}
