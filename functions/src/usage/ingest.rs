//! Usage ingest: the HTTP API's access logs, delivered by a CloudWatch Logs
//! subscription (gzip + base64, decoded by `LogsEvent`), become usage statistics,
//! `last_used_at` and anomaly findings (see `gatehouse::usage`).
//!
//! A storage failure fails the invocation, and Lambda retries it: counts are at least
//! once. Lines without a key (refused requests) are skipped.

use crate::event_sources::log_subscription;
use aws_lambda_events::cloudwatch_logs::LogsEvent;
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::usage::ingest::{IngestSummary, ingest};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL)
    .with(Needs::USAGE);

pub async fn handle(
    app: &App,
    event: LogsEvent,
) -> Result<IngestSummary, gatehouse::store::StoreError> {
    log_subscription(event, |lines| async move {
        let summary = ingest(app, lines.iter().map(String::as_str)).await?;
        tracing::info!(
            recorded = summary.recorded,
            skipped = summary.skipped,
            findings = summary.findings,
            "usage batch recorded"
        );
        Ok(summary)
    })
    .await
}
