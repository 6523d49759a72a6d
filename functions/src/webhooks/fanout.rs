//! Webhook fan-out: domain events from the events queue become one delivery per
//! subscribed endpoint, queued on the delivery queue. Batches report item failures,
//! so only failed events come back (and, after five tries, go to the events
//! dead-letter queue).

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use gatehouse::App;
use gatehouse::events::DomainEvent;
use gatehouse::webhooks::dispatch::fan_out;

pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let result =
            match serde_json::from_str::<DomainEvent>(record.body.as_deref().unwrap_or_default()) {
                Ok(domain_event) => fan_out(app, &domain_event, app.clock.now())
                    .await
                    .map(|queued| tracing::info!(event_id = %domain_event.id, queued, "fanned out"))
                    .map_err(|e| e.to_string()),
                Err(e) => Err(format!("not a domain event: {e}")),
            };
        if let Err(e) = result {
            tracing::error!(message_id = %id, error = %e, "fan-out failed; the message will return");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}
