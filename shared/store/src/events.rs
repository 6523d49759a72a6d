//! Sending published domain events to the events queue (SQS), from which webhook
//! fan-out reads. Only the event publisher sends: it reads the events from the audit
//! table's stream, so an event is sent only after the change it describes committed.

pub use gatehouse_domain::events::*;

/// SQS takes at most ten messages per `SendMessageBatch`.
const SQS_BATCH: usize = 10;

#[derive(Debug, Clone)]
pub struct EventPublisher {
    /// `None` for a function that publishes nothing: no SQS client is built.
    client: Option<aws_sdk_sqs::Client>,
    queue_url: String,
}

impl EventPublisher {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            client: Some(client),
            queue_url: queue_url.into(),
        }
    }

    /// A publisher for a function without an events queue: sending fails, naming it.
    pub fn unconfigured() -> Self {
        Self {
            client: None,
            queue_url: String::new(),
        }
    }

    /// Sends `events` in order, ten per call. On failure, the index of the first
    /// event not known to be sent, and why: the caller sends again from there (the
    /// ones after it may have gone too; fan-out is idempotent per event id).
    pub async fn send_all(&self, events: &[DomainEvent]) -> Result<(), (usize, String)> {
        if events.is_empty() {
            return Ok(());
        }
        let client = self.client.as_ref().ok_or_else(|| {
            (
                0,
                "this function has no events queue (EVENTS_QUEUE_URL)".to_owned(),
            )
        })?;
        for (chunk_index, chunk) in events.chunks(SQS_BATCH).enumerate() {
            let first = chunk_index * SQS_BATCH;
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, event) in chunk.iter().enumerate() {
                let body = serde_json::to_string(event)
                    .map_err(|e| (first + i, format!("event did not serialise: {e}")))?;
                let entry = aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .build()
                    .map_err(|e| (first + i, e.to_string()))?;
                entries.push(entry);
            }
            let out = client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| {
                    (
                        first,
                        aws_sdk_sqs::error::DisplayErrorContext(e).to_string(),
                    )
                })?;
            let failed = out
                .failed()
                .iter()
                .filter_map(|f| f.id().parse::<usize>().ok().map(|i| (i, f.message())))
                .min_by_key(|(i, _)| *i);
            if let Some((i, message)) = failed {
                let why = message.unwrap_or("refused by SQS").to_owned();
                return Err((first + i, why));
            }
        }
        Ok(())
    }
}
