//! The SIEM forwarder: SQS batches of security events bound for destinations
//! (`gatehouse::siem::forward`). Every message ends delivered, queued again for a
//! retry, or dead-lettered with its reason; only a message whose next step could not
//! be queued is reported as a batch item failure and comes back.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::siem::delivery::SiemMessage;
use gatehouse::siem::forward::{Forwarded, forward};
use gatehouse::telemetry::metrics;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SIEM
    .with(Needs::INTEGRATIONS)
    .with(Needs::SECRETS)
    .with(Needs::EPHEMERAL);

pub async fn handle(app: &App, event: SqsEvent) -> (Forwarded, SqsBatchResponse) {
    let mut response = SqsBatchResponse::default();
    let mut ids = Vec::new();
    let mut messages = Vec::new();
    for record in event.records {
        let id = record.message_id.unwrap_or_default();
        match serde_json::from_str::<SiemMessage>(record.body.as_deref().unwrap_or_default()) {
            Ok(message) => {
                ids.push(id);
                messages.push(message);
            }
            Err(error) => {
                // Comes back until the queue's redrive moves it to the dead-letter queue.
                tracing::error!(%error, message_id = %id, "unreadable SIEM message");
                metrics::count(metrics::ERRORS, &[("Class", "unreadable_message")]);
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
        }
    }
    let (forwarded, failed) = forward(app, messages).await;
    for (id, failed) in ids.into_iter().zip(failed) {
        if failed {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    for (outcome, n) in [
        ("delivered", forwarded.delivered),
        ("retried", forwarded.retried),
        ("dead_lettered", forwarded.dead_lettered),
        ("dropped", forwarded.dropped),
        ("deferred", forwarded.deferred),
    ] {
        metrics::count_by(metrics::SIEM_EVENTS, &[("Outcome", outcome)], n as u64);
    }
    tracing::info!(
        delivered = forwarded.delivered,
        retried = forwarded.retried,
        dead_lettered = forwarded.dead_lettered,
        dropped = forwarded.dropped,
        deferred = forwarded.deferred,
        "forwarded"
    );
    (forwarded, response)
}
