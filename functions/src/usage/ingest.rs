//! Usage ingest: the HTTP API's access logs, delivered by a CloudWatch Logs
//! subscription (gzip + base64, decoded by `LogsEvent`), become usage statistics,
//! `last_used_at` and anomaly findings (see `gatehouse::usage`).
//!
//! A storage failure fails the invocation, and Lambda retries it: counts are at least
//! once. Lines without a key (refused requests) are skipped.

use aws_lambda_events::cloudwatch_logs::LogsEvent;
use gatehouse::App;
use gatehouse::usage::ingest::{IngestSummary, ingest};

pub async fn handle(
    app: &App,
    event: LogsEvent,
) -> Result<IngestSummary, gatehouse::store::StoreError> {
    let data = &event.aws_logs.data;
    if data.message_type != "DATA_MESSAGE" {
        // CONTROL_MESSAGE: CloudWatch checking the destination is reachable.
        return Ok(IngestSummary::default());
    }
    let summary = ingest(app, data.log_events.iter().map(|e| e.message.as_str())).await?;
    tracing::info!(
        log_group = %data.log_group,
        recorded = summary.recorded,
        skipped = summary.skipped,
        findings = summary.findings,
        "usage batch recorded"
    );
    Ok(summary)
}
