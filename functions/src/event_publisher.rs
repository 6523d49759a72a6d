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

fn response(published: Published) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    if let Some(sequence) = published.retry_from {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(sequence);
        response.batch_item_failures.push(failure);
    }
    response
}
