//! Webhook dispatcher: each delivery-queue message is one attempt (see
//! `gatehouse::webhooks::dispatch`). A batch's attempts run concurrently, so one slow
//! endpoint does not hold up the others; failed messages are reported as batch item
//! failures and come back.

use crate::event_sources::sqs_batch;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use gatehouse::App;
use gatehouse::config::Needs;
use gatehouse::webhooks::client::OutboundClient;
use gatehouse::webhooks::delivery::DeliveryMessage;
use gatehouse::webhooks::dispatch::dispatch;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::EPHEMERAL)
    .with(Needs::DELIVERIES)
    .with(Needs::AUDIT)
    .with(Needs::DELIVERY_QUEUE)
    .with(Needs::SEALING)
    .with(Needs::OUTBOUND)
    .with(Needs::DISPATCH);

/// Attempts in flight at once: the whole batch (the event source sends at most 10), so
/// one slow endpoint never delays the others.
const CONCURRENCY: usize = 10;

pub async fn handle(app: &App, client: &OutboundClient, event: SqsEvent) -> SqsBatchResponse {
    sqs_batch(event, CONCURRENCY, |message: DeliveryMessage| async move {
        let dispatched = dispatch(app, client, &message, app.clock.precise_now()).await?;
        gatehouse::telemetry::metrics::count(
            gatehouse::telemetry::metrics::WEBHOOK_ATTEMPTS,
            &[("Outcome", dispatched.as_str())],
        );
        tracing::info!(delivery_id = %message.delivery_id, attempt = message.attempt, ?dispatched, "dispatched");
        Ok::<_, gatehouse::webhooks::dispatch::DispatchError>(())
    })
    .await
}
