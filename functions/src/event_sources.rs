//! Adapters from Lambda's event sources to per-record handlers, so each consumer is
//! written for one record and gets the batch mechanics (partial failures, bounded
//! concurrency, a span per record, log-subscription control messages) from one place.

use aws_lambda_events::cloudwatch_logs::LogsEvent;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::future::Future;
use tracing::Instrument;

/// Runs `handle` on each message of an SQS batch whose JSON body is a `T`, at most
/// `concurrency` at once, each in a span naming the message. The messages whose
/// handling failed (or whose body is not a `T`) are returned as batch item failures
/// (`ReportBatchItemFailures`), so only they come back; the rest are deleted.
pub async fn sqs_batch<T, F, Fut, E>(
    event: SqsEvent,
    concurrency: usize,
    handle: F,
) -> SqsBatchResponse
where
    T: DeserializeOwned,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let handle = &handle;
    let failed: Vec<String> = futures_util::stream::iter(event.records)
        .map(|record| {
            let id = record.message_id.clone().unwrap_or_default();
            let receive_count = record
                .attributes
                .get("ApproximateReceiveCount")
                .cloned()
                .unwrap_or_default();
            let span = tracing::info_span!("sqs_message", message_id = %id, receive_count);
            async move {
                let body = record.body.as_deref().unwrap_or_default();
                let result = match serde_json::from_str::<T>(body) {
                    Ok(message) => handle(message).await.map_err(|e| e.to_string()),
                    Err(e) => Err(format!("unreadable message: {e}")),
                };
                result.err().map(|error| {
                    tracing::error!(%error, "message failed; it will return");
                    id
                })
            }
            .instrument(span)
        })
        .buffer_unordered(concurrency.max(1))
        .filter_map(std::future::ready)
        .collect()
        .await;
    gatehouse::telemetry::metrics::count_by(
        gatehouse::telemetry::metrics::ERRORS,
        &[("Class", "batch_item")],
        failed.len() as u64,
    );
    let mut response = SqsBatchResponse::default();
    for id in failed {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}

/// Runs `handle` on the log lines of a CloudWatch Logs subscription delivery, in a
/// span naming the log group. A control message (CloudWatch checking the destination
/// is reachable) carries no lines and gives `S::default()`.
pub async fn log_subscription<S, F, Fut, E>(event: LogsEvent, handle: F) -> Result<S, E>
where
    S: Default,
    F: FnOnce(Vec<String>) -> Fut,
    Fut: Future<Output = Result<S, E>>,
{
    let data = event.aws_logs.data;
    if data.message_type != "DATA_MESSAGE" {
        return Ok(S::default());
    }
    let span = tracing::info_span!(
        "log_subscription",
        log_group = %data.log_group,
        lines = data.log_events.len()
    );
    let lines = data.log_events.into_iter().map(|e| e.message).collect();
    handle(lines).instrument(span).await
}

/// Runs a scheduled job in a span naming it.
pub async fn scheduled<S, Fut>(job: &'static str, run: Fut) -> S
where
    Fut: Future<Output = S>,
{
    run.instrument(tracing::info_span!("scheduled", job)).await
}

#[cfg(test)]
mod tests {
    use super::sqs_batch;
    use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn batch(bodies: &[&str]) -> SqsEvent {
        let mut event = SqsEvent::default();
        for (i, body) in bodies.iter().enumerate() {
            let mut message = SqsMessage::default();
            message.message_id = Some(format!("m{i}"));
            message.body = Some((*body).to_owned());
            event.records.push(message);
        }
        event
    }

    #[tokio::test]
    async fn only_failed_and_unreadable_messages_come_back() {
        let event = batch(&["1", "2", "not json", "4"]);
        let response = sqs_batch(event, 2, |n: u32| async move {
            if n == 2 {
                Err("even two fails")
            } else {
                Ok(())
            }
        })
        .await;
        let mut failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        failed.sort();
        assert_eq!(failed, ["m1", "m2"]);
    }

    #[tokio::test]
    async fn no_more_than_the_concurrency_run_at_once() {
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let event = batch(&["1"; 10]);
        let response = sqs_batch(event, 3, |_: u32| async {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
            running.fetch_sub(1, Ordering::SeqCst);
            Ok::<_, String>(())
        })
        .await;
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(most.load(Ordering::SeqCst), 3);
    }
}
