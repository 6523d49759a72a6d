//! The delivery queue and its dead-letter queue.

use crate::webhooks::delivery::DeliveryMessage;
use crate::webhooks::retry::next_hop;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub struct DeliveryQueue {
    /// `None` for a function that queues no deliveries: no SQS client is built.
    client: Option<aws_sdk_sqs::Client>,
    url: String,
    dead_letter_url: String,
}

#[derive(Debug, thiserror::Error)]
#[error("SQS: {0}")]
pub struct QueueError(pub String);

impl DeliveryQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: String, dead_letter_url: String) -> Self {
        Self {
            client: Some(client),
            url,
            dead_letter_url,
        }
    }

    /// A queue for a function without the delivery queues: sending fails, naming them.
    pub fn unconfigured() -> Self {
        Self {
            client: None,
            url: String::new(),
            dead_letter_url: String::new(),
        }
    }

    fn client(&self) -> Result<&aws_sdk_sqs::Client, QueueError> {
        self.client.as_ref().ok_or_else(|| {
            QueueError("this function has no delivery queue (DELIVERY_QUEUE_URL)".into())
        })
    }

    /// Enqueues `message`, delayed until it is due or by SQS's maximum, whichever is
    /// sooner (an early message is sent on again by the dispatcher).
    pub async fn send(
        &self,
        message: &DeliveryMessage,
        now: OffsetDateTime,
    ) -> Result<(), QueueError> {
        let delay = next_hop(message.due_at - now);
        let body = serde_json::to_string(message).map_err(|e| QueueError(e.to_string()))?;
        self.client()?
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .delay_seconds(i32::try_from(delay.whole_seconds().max(0)).unwrap_or(900))
            .send()
            .await
            .map_err(|e| QueueError(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
        Ok(())
    }

    /// A delivery that failed for good, with why, for operators to inspect or replay.
    pub async fn dead_letter(
        &self,
        message: &DeliveryMessage,
        reason: &str,
    ) -> Result<(), QueueError> {
        let body = serde_json::json!({ "message": message, "reason": reason }).to_string();
        self.client()?
            .send_message()
            .queue_url(&self.dead_letter_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| QueueError(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}
