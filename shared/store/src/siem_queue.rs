//! The SIEM queue (one message per event and destination) and its dead-letter queue.

use crate::queue::QueueError;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use gatehouse_domain::siem::delivery::SiemMessage;
use gatehouse_domain::webhooks::retry::next_hop;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub struct SiemQueue {
    /// `None` for a function that forwards nothing: no SQS client is built.
    client: Option<aws_sdk_sqs::Client>,
    url: String,
    dead_letter_url: String,
}

fn sqs_error(e: impl std::error::Error + Send + Sync + 'static) -> QueueError {
    QueueError(aws_sdk_sqs::error::DisplayErrorContext(e).to_string())
}

impl SiemQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: String, dead_letter_url: String) -> Self {
        Self {
            client: Some(client),
            url,
            dead_letter_url,
        }
    }

    pub fn unconfigured() -> Self {
        Self {
            client: None,
            url: String::new(),
            dead_letter_url: String::new(),
        }
    }

    fn client(&self) -> Result<&aws_sdk_sqs::Client, QueueError> {
        self.client
            .as_ref()
            .ok_or_else(|| QueueError("this function has no SIEM queue (SIEM_QUEUE_URL)".into()))
    }

    /// Enqueues `messages`, ten per call, each delayed until it is due (at most 15
    /// minutes; an early message is delayed again on arrival). On failure, the index
    /// of the first message not known to be queued.
    pub async fn send_all(
        &self,
        messages: &[SiemMessage],
        now: OffsetDateTime,
    ) -> Result<(), (usize, QueueError)> {
        if messages.is_empty() {
            return Ok(());
        }
        let client = self.client().map_err(|e| (0, e))?;
        for (n, chunk) in messages.chunks(10).enumerate() {
            let first = n * 10;
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, message) in chunk.iter().enumerate() {
                let body = serde_json::to_string(message)
                    .map_err(|e| (first + i, QueueError(e.to_string())))?;
                let delay = next_hop(message.due_at - now).whole_seconds();
                entries.push(
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .delay_seconds(i32::try_from(delay.max(0)).unwrap_or(900))
                        .build()
                        .map_err(|e| (first + i, QueueError(e.to_string())))?,
                );
            }
            let out = client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| (first, sqs_error(e)))?;
            if let Some(failed) = out
                .failed()
                .iter()
                .filter_map(|f| f.id().parse::<usize>().ok().map(|i| (i, f.message())))
                .min_by_key(|(i, _)| *i)
            {
                return Err((
                    first + failed.0,
                    QueueError(failed.1.unwrap_or("refused by SQS").to_owned()),
                ));
            }
        }
        Ok(())
    }

    /// Events that will not be delivered, with why, for operators to inspect or replay.
    pub async fn dead_letter(&self, dead: &[(SiemMessage, String)]) -> Result<(), QueueError> {
        if dead.is_empty() {
            return Ok(());
        }
        let client = self.client()?;
        for chunk in dead.chunks(10) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, (message, reason)) in chunk.iter().enumerate() {
                let body = serde_json::json!({ "message": message, "reason": reason }).to_string();
                entries.push(
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .build()
                        .map_err(|e| QueueError(e.to_string()))?,
                );
            }
            let out = client
                .send_message_batch()
                .queue_url(&self.dead_letter_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(sqs_error)?;
            if let Some(f) = out.failed().first() {
                return Err(QueueError(
                    f.message().unwrap_or("refused by SQS").to_owned(),
                ));
            }
        }
        Ok(())
    }
}
