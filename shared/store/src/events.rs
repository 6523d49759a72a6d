//! Publishing domain events to the events queue (SQS), after the change they describe
//! has committed.

pub use gatehouse_domain::events::*;

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

    /// A publisher for a function without an events queue: publishing fails, naming it.
    pub fn unconfigured() -> Self {
        Self {
            client: None,
            queue_url: String::new(),
        }
    }

    /// Publishes, logging a failure: for events that accompany a change already
    /// stored, which must not fail because the queue did.
    pub async fn publish(&self, event: &DomainEvent) {
        if let Err(e) = self.try_publish(event).await {
            tracing::error!(
                error = %e,
                event_id = %event.id,
                event_type = %event.event_type,
                "event not published"
            );
        }
    }

    /// Publishes, or says why not: for callers that can try again.
    pub async fn try_publish(&self, event: &DomainEvent) -> Result<(), String> {
        let body =
            serde_json::to_string(event).map_err(|e| format!("event did not serialise: {e}"))?;
        let client = self
            .client
            .as_ref()
            .ok_or("this function has no events queue (EVENTS_QUEUE_URL)")?;
        client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
        Ok(())
    }
}
