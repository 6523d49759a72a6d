//! The local stand-in for Lambda's event source mappings: the audit table's stream
//! (the outbox) to the event publisher ([`OutboxPump`]), then the events queue and
//! the delivery queue and the SIEM queue: receives from them, hands batches to the
//! fan-out, dispatcher and SIEM forwarder handlers as `SqsEvent`s, and deletes what
//! they did not report as failed.
//!
//! One difference, for speed: a failed message is made visible again after
//! [`RETRY_VISIBILITY_SECONDS`] instead of the queue's visibility timeout.

use crate::bootstrap::LocalStack;
use crate::outbox_pump::OutboxPump;
use crate::template::{Template, TemplateValue};
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use gatehouse::App;
use gatehouse::clock::SystemClock;
use gatehouse::config::Config;
use gatehouse::webhooks::client::OutboundClient;
use std::collections::HashSet;
use std::sync::Arc;

pub const RETRY_VISIBILITY_SECONDS: i32 = 2;

/// The AWS settings a function of the template gets locally: the local stack's endpoint
/// and region, with credentials of its own whose access key id is its logical id, so
/// the local stack can tell which function made each call (and the tests can hold
/// every call against that function's template policy).
pub fn function_sdk(sdk: &aws_config::SdkConfig, function: &str) -> aws_config::SdkConfig {
    use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};
    let credentials = Credentials::new(function, "local", None, None, "gatehouse-local-stack");
    sdk.to_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}

/// The `App` a function of the template gets locally: its environment, the local
/// stack's AWS endpoint with the function's own credentials ([`function_sdk`]), the
/// system clock.
pub fn function_app(
    template: &Template,
    local: &LocalStack,
    sdk: &aws_config::SdkConfig,
    function: &str,
) -> Result<App, String> {
    let env = local
        .function_env(template, function)
        .map_err(|e| e.to_string())?;
    let handler = &template
        .functions
        .get(function)
        .ok_or_else(|| format!("template.yaml has no function {function}"))?
        .handler;
    let needs = gatehouse_functions::function(handler)
        .ok_or_else(|| format!("{function}: no function is declared with handler `{handler}`"))?
        .needs();
    let config = Config::for_needs(needs, |k| env.get(k).cloned()).map_err(|e| e.to_string())?;
    App::new(config, &function_sdk(sdk, function), Arc::new(SystemClock)).map_err(|e| e.to_string())
}

pub struct QueuePump {
    /// `false`: only the webhook queues are pumped (benchmarks that count one path's
    /// AWS calls).
    all_stages: bool,
    outbox: OutboxPump,
    sqs: aws_sdk_sqs::Client,
    events_url: String,
    deliveries_url: String,
    siem_url: String,
    fanout: App,
    forwarder: App,
    dispatcher: App,
    client: OutboundClient,
}

/// What one round moved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pumped {
    /// Committed audit records handed to the event publisher.
    pub committed: usize,
    pub events: usize,
    pub attempts: usize,
    /// SIEM messages handed to the forwarder.
    pub siem: usize,
    pub failed: usize,
}

impl QueuePump {
    pub fn new(
        template: &Template,
        local: &LocalStack,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, String> {
        let app = |function: &str| function_app(template, local, sdk, function);
        let url = |queue: &str| {
            local
                .resolve(&TemplateValue::Ref(queue.into()))
                .map_err(|e| e.to_string())
        };
        let dispatcher = app("WebhookDispatcherFunction")?;
        Ok(Self {
            all_stages: true,
            outbox: OutboxPump::new(template, local, sdk)?,
            sqs: aws_sdk_sqs::Client::new(sdk),
            events_url: url("EventsQueue")?,
            deliveries_url: url("DeliveryQueue")?,
            siem_url: url("SiemQueue")?,
            fanout: app("WebhookFanoutFunction")?,
            forwarder: app("SiemForwarderFunction")?,
            client: OutboundClient::from_config(&dispatcher.config).map_err(|e| e.to_string())?,
            dispatcher,
        })
    }

    /// A pump of the webhook queues alone: no outbox stream reads, no SIEM queue.
    pub fn webhooks_only(self) -> Self {
        Self {
            all_stages: false,
            ..self
        }
    }

    /// The outbox's new records, then one receive from each queue (long-polling up to
    /// `wait_seconds`).
    pub async fn pump_once(&self, wait_seconds: i32) -> Result<Pumped, String> {
        let mut pumped = Pumped::default();
        if self.all_stages {
            pumped.committed = self.outbox.pump_once().await?;
        }
        let (batch, handles) = self.receive(&self.events_url, wait_seconds).await?;
        if !batch.records.is_empty() {
            pumped.events = batch.records.len();
            let response = gatehouse_functions::webhooks::fanout::handle(&self.fanout, batch).await;
            pumped.failed += self.settle(&self.events_url, handles, &response).await?;
        }
        let (batch, handles) = self.receive(&self.deliveries_url, wait_seconds).await?;
        if !batch.records.is_empty() {
            pumped.attempts = batch.records.len();
            let response = gatehouse_functions::webhooks::dispatcher::handle(
                &self.dispatcher,
                &self.client,
                batch,
            )
            .await;
            pumped.failed += self
                .settle(&self.deliveries_url, handles, &response)
                .await?;
        }
        if !self.all_stages {
            return Ok(pumped);
        }
        let (batch, handles) = self.receive(&self.siem_url, wait_seconds).await?;
        if !batch.records.is_empty() {
            pumped.siem = batch.records.len();
            let (_, response) =
                gatehouse_functions::siem::forwarder::handle(&self.forwarder, batch).await;
            pumped.failed += self.settle(&self.siem_url, handles, &response).await?;
        }
        Ok(pumped)
    }

    /// Pumps until stopped (the dev server).
    pub async fn run(self) {
        loop {
            if let Err(e) = self.pump_once(1).await {
                tracing::warn!(target: "gateway", "queue pump: {e}");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }

    async fn receive(
        &self,
        url: &str,
        wait: i32,
    ) -> Result<(SqsEvent, Vec<(String, String)>), String> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(wait)
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
        let mut event = SqsEvent::default();
        let mut handles = Vec::new();
        for m in out.messages.unwrap_or_default() {
            let mut record = SqsMessage::default();
            record.message_id = m.message_id.clone();
            record.receipt_handle = m.receipt_handle.clone();
            record.body = m.body.clone();
            record.event_source = Some("aws:sqs".into());
            handles.push((
                m.message_id.unwrap_or_default(),
                m.receipt_handle.unwrap_or_default(),
            ));
            event.records.push(record);
        }
        Ok((event, handles))
    }

    /// Deletes the messages the handler did not report; returns how many failed.
    async fn settle(
        &self,
        url: &str,
        handles: Vec<(String, String)>,
        response: &aws_lambda_events::sqs::SqsBatchResponse,
    ) -> Result<usize, String> {
        let failed: HashSet<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        for (id, handle) in &handles {
            let result = if failed.contains(id.as_str()) {
                self.sqs
                    .change_message_visibility()
                    .queue_url(url)
                    .receipt_handle(handle)
                    .visibility_timeout(RETRY_VISIBILITY_SECONDS)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())
            } else {
                self.sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())
            };
            result?;
        }
        Ok(failed.len())
    }
}
