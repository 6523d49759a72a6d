//! The event publisher: reads the audit table's stream (the outbox), sends each
//! committed change's domain event to the events queue and queues each security
//! event for the SIEM destinations that want it (`gatehouse::outbox`).
//! Batches report item failures by sequence number, so the stream delivers the
//! first unsent item and those after it again; a record that can never be read is
//! logged and passed over rather than holding up the shard.

use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::outbox::{Committed, Published, publish};
use serde_dynamo::AttributeValue;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::EVENTS
    .with(Needs::SIEM)
    .with(Needs::OPERATOR)
    .with(Needs::INTEGRATIONS)
    .with(Needs::EPHEMERAL);

pub async fn handle(app: &App, event: StreamEvent) -> DynamoDbEventResponse {
    let committed = committed(event);
    let published = publish(app, &committed).await;
    count_committed(&committed, published.retry_from.as_deref());
    if published.retry_from.is_some() {
        use gatehouse::telemetry::metrics;
        metrics::count(metrics::ERRORS, &[("Class", "batch_item")]);
    }
    tracing::info!(
        records = committed.len(),
        events = published.events,
        siem_queued = published.siem_queued,
        retry_from = published.retry_from.as_deref().unwrap_or(""),
        "outbox published"
    );
    response(published)
}

/// The stream's new audit items (audit items are only ever inserted; TTL removals
/// carry nothing to publish).
fn committed(event: StreamEvent) -> Vec<Committed> {
    event
        .records
        .into_iter()
        .filter(|record| record.event_name == "INSERT")
        .filter_map(|record| {
            let sequence = record.change.sequence_number.clone().unwrap_or_default();
            let image = record.change.new_image.inner();
            let text = |name: &str| match image.get(name) {
                Some(AttributeValue::S(value)) => Some(value.as_str()),
                _ => None,
            };
            match gatehouse::store::audit::from_stream_image(text) {
                Ok(audit) => Some(Committed { sequence, audit }),
                Err(error) => {
                    tracing::error!(%error, sequence, "unreadable audit stream record skipped");
                    None
                }
            }
        })
        .collect()
}

/// Counts the key and security events among the records this batch is done with
/// (those before the retry point come back and are counted then).
fn count_committed(committed: &[Committed], retry_from: Option<&str>) {
    use gatehouse::telemetry::metrics::{self, KEY_EVENTS, SECURITY_EVENTS};
    for record in committed
        .iter()
        .take_while(|c| Some(c.sequence.as_str()) != retry_from)
    {
        let audit = &record.audit;
        if let Some(action) = key_action(&audit.action) {
            metrics::count(KEY_EVENTS, &[("Action", action)]);
        }
        if let Some(kind) = security_kind(&audit.action, &audit.outcome) {
            metrics::count(SECURITY_EVENTS, &[("Kind", kind)]);
        }
    }
}

/// The metric's `Action` for a key audit action: the bounded set the SIEM model
/// classifies, so an unforeseen action cannot add a dimension value.
fn key_action(action: &str) -> Option<&'static str> {
    const ACTIONS: &[&str] = &[
        "create",
        "rotate",
        "revoke",
        "update",
        "compromise",
        "anomaly",
        "expiring",
        "idle_warning",
        "disable_idle",
        "rotation_due",
        "quota_threshold",
        "verification_failures",
    ];
    let action = action.strip_prefix("api_key.")?;
    ACTIONS.iter().find(|known| **known == action).copied()
}

fn security_kind(action: &str, outcome: &gatehouse::audit::Outcome) -> Option<&'static str> {
    use gatehouse::audit::Outcome;
    match action {
        "api_key.verification_failures" => Some("failed_verifications"),
        "api_key.anomaly" => Some("anomaly"),
        "api_key.compromise" => Some("compromise"),
        "access.denied" => Some("access_denied"),
        "sso.login" | "sso.refresh" if *outcome != Outcome::Success => Some("sso_refused"),
        _ => None,
    }
}

fn response(published: Published) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    if let Some(sequence) = published.retry_from {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(sequence);
        response.batch_item_failures.push(failure);
    }
    response
}
