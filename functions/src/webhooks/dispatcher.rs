//! Webhook dispatcher: each delivery-queue message is one attempt (see
//! `gatehouse::webhooks::dispatch`). A batch's attempts run concurrently, so one slow
//! endpoint does not hold up the others; failed messages are reported as batch item
//! failures and come back.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures_util::future::join_all;
use gatehouse::App;
use gatehouse::webhooks::client::OutboundClient;
use gatehouse::webhooks::delivery::DeliveryMessage;
use gatehouse::webhooks::dispatch::dispatch;

pub async fn handle(app: &App, client: &OutboundClient, event: SqsEvent) -> SqsBatchResponse {
    let attempts = event.records.into_iter().map(|record| async move {
        let id = record.message_id.clone().unwrap_or_default();
        let body = record.body.as_deref().unwrap_or_default();
        let result = match serde_json::from_str::<DeliveryMessage>(body) {
            Ok(message) => dispatch(app, client, &message, app.clock.precise_now())
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(format!("not a delivery message: {e}")),
        };
        result.err().map(|e| {
            tracing::error!(message_id = %id, error = %e, "delivery attempt failed; the message will return");
            id
        })
    });
    let mut response = SqsBatchResponse::default();
    for id in join_all(attempts).await.into_iter().flatten() {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}
