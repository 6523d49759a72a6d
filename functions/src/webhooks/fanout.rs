//! Webhook fan-out: domain events from the events queue become one delivery per
//! subscribed endpoint, queued on the delivery queue. Batches report item failures,
//! so only failed events come back (and, after five tries, go to the events
//! dead-letter queue).

use crate::event_sources::sqs_batch;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::events::DomainEvent;
use gatehouse::webhooks::dispatch::fan_out;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::DELIVERIES)
    .with(Needs::EVENTS)
    .with(Needs::DELIVERY_QUEUE)
    .with(Needs::DISPATCH);

/// Events fanned out at once: each lists its tenant's endpoints and writes a
/// delivery per subscriber, so a few in parallel hide the round trips.
const CONCURRENCY: usize = 4;

pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    sqs_batch(event, CONCURRENCY, |domain_event: DomainEvent| async move {
        let queued = fan_out(app, &domain_event, app.clock.now()).await?;
        tracing::info!(event_id = %domain_event.id, queued, "fanned out");
        Ok::<_, gatehouse::webhooks::dispatch::DispatchError>(())
    })
    .await
}
