//! `POST /v2/secret-scanning/github` (public): GitHub's secret scanning partner
//! endpoint. The report's ECDSA signature is checked against the keys GitHub publishes
//! (`SecretScanningKeysUrl`) before anything else is read; then each token is judged
//! and every live key among them revoked at once, audited as
//! `system:secret_scanning` with an `api_key.compromised` event that says where it was
//! found. The answer labels each token, by its SHA-256, `true_positive` or
//! `false_positive`.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::http::body::raw_body_up_to;
use gatehouse::http::schema::of;
use gatehouse::http::{Problem, ProblemType, json_response};
use gatehouse::keys::leak_intake::{self, SignatureError};
use gatehouse::keys::leaks::{Label, LeakReport, MAX_TOKENS, Verdict, parse_reports};
use lambda_http::{Body, Request, Response};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::SECRET_SCANNING)
    .with(Needs::INTEGRATION_OUTBOUND);

pub const ACTION: &str = "api_key.compromise";

/// A full report of `MAX_TOKENS` tokens with long URLs fits.
pub(crate) const MAX_REPORT_BYTES: usize = 256 * 1024;

pub const DOC: Operation = Operation {
    description: "GitHub's secret scanning partner endpoint. Signed by GitHub: `Github-Public-Key-Identifier` names one of the keys published at `SecretScanningKeysUrl`, and `Github-Public-Key-Signature` is the base64 DER ECDSA P-256 SHA-256 signature of the raw body. Each live key reported is revoked at once. At most 100 tokens per report.",
    body: RequestBody::Required(of::<Vec<LeakReport>>()),
    refused: Some("The report's signature is missing, unknown or does not match"),
    ..Operation::new(
        Tag::ApiKeys,
        "Report leaked keys (GitHub secret scanning)",
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
        .verify_github(
            header("github-public-key-identifier"),
            header("github-public-key-signature"),
            body,
        )
        .await;
    match verified {
        Ok(()) => judge(app, body).await,
        Err(refusal) => refused(&refusal),
    }
}

/// The answer to a report whose signature failed: 503 when the keys that check it
/// could not be read (the scanner sends it again), 401 otherwise.
pub(crate) fn refused(refusal: &SignatureError) -> Response<Body> {
    tracing::warn!(reason = %refusal, "secret scanning report refused");
    let kind = match refusal {
        SignatureError::KeysUnavailable(_) => ProblemType::ServiceUnavailable,
        _ => ProblemType::Unauthenticated,
    };
    Problem::new(kind, refusal.to_string()).into_response()
}

/// A verified report's tokens judged, and the live keys among them revoked.
pub(crate) async fn judge(app: &App, body: &[u8]) -> Response<Body> {
    let reports = match parse_reports(body) {
        Ok(reports) => reports,
        Err(e) => {
            return Problem::invalid_body(format!("{e} (at most {MAX_TOKENS} tokens)"))
                .into_response();
        }
    };
    match leak_intake::assess(app, &reports, app.clock.precise_now()).await {
        Ok(verdicts) => {
            let revoked = verdicts
                .iter()
                .filter(|v| v.label == Label::TruePositive)
                .count();
            tracing::info!(
                tokens = verdicts.len(),
                true_positives = revoked,
                "secret scanning report"
            );
            json_response(200, &verdicts)
        }
        Err(e) => Problem::from(e).into_response(),
    }
}
